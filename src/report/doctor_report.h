/* SPDX-License-Identifier: MIT */
/* Renderers for `godiag doctor`: text for a terminal (verdict, evidence, fix,
 * one screen per finding), JSON (a contract, the field list is at
 * doctor_render_json), and one self-contained HTML page.  They only read the
 * report model (diagnose/finding.h) and compute nothing but layout.  Text and
 * JSON are one description through report/emit, a field both show written
 * once.  Every string in the model may come from the target: the text strips
 * terminal controls, the JSON escapes, the HTML page escapes everything and
 * runs no script (a strict Content-Security-Policy). */
#ifndef GODIAG_DOCTOR_REPORT_H
#define GODIAG_DOCTOR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diagnose/finding.h"

/* Frames shown per finding in the text output; the rest are counted. */
#define DOCTOR_TEXT_MAX_FRAMES 12

/* Human report: verdict, then per finding the badge, rule, confidence,
 * summary, evidence table, fix, snippet, references and up to
 * DOCTOR_TEXT_MAX_FRAMES frames; then what was read per snapshot.  Target
 * strings go through util/termsafe and are cut to fit a line.  color adds
 * ANSI attributes (the caller decides, e.g. from isatty and NO_COLOR).
 * Findings are printed in model order: call report_sort() first. */
void doctor_render_text(FILE *out, const struct report *r, bool color);

/* The contract (docs and tests/unit/test_doctor_report.c pin it):
 *   {"target": s,
 *    "snapshots": [{"label": s, "time": n, "pid": n|null, "go_version": s|null,
 *                   "module": s|null, "kernel": s|null, "mem_policy": s|null,
 *                   "pieces": [{"what": s, "source": s|null, "ok": b, "note": s|null}]}],
 *    "findings": [{"rule": s, "severity": "info|warning|critical", "confidence": 0..1,
 *                  "summary": s, "goroutines": n|null, "max_wait_minutes": n|null,
 *                  "sockets": n|null,
 *                  "evidence": [{"what": s, "value": n|null, "unit": s, "text": s|null, "source": s|null,
 *                                "basis": "read|inferred|process memory"}],
 *                  "fix": s, "snippet": s|null, "references": [s], "frames": [s]}],
 *    "seen": [{"rule": s, "goroutines": n|null, "sockets": n|null, "text": s}]}
 * -1/NULL in the model become null, and so does a non-finite evidence value
 * (JSON has no NaN or infinity); integral values are printed exactly
 * (not as 1.61061e+09), confidence with two decimals.  Strings are whole
 * (no length cap) and valid UTF-8 (invalid bytes become U+FFFD). */
void doctor_render_json(FILE *out, const struct report *r);

/* A complete HTML document with inline CSS and SVG bar charts (goroutines
 * and sockets per finding, evidence numbers per unit), no script, no external
 * resource, CSP default-src 'none'.  Links only for http(s) references.  Long
 * strings are cut (2 KiB, 512 bytes in table cells) and say how much was cut:
 * the JSON has them whole. */
void doctor_render_html(FILE *out, const struct report *r);

/* Format an evidence value with its unit for people: "1.5 GiB",
 * "1,390 min (23 h)", "12 s", "1,204 sockets".  Always NUL-terminates
 * buf (n > 0); exposed for the HTML page and the tests. */
void doctor_format_value(char *buf, size_t n, double value, const char *unit);

#endif
