/* SPDX-License-Identifier: MIT */
/* Renderers for `godiag doctor`: text for a terminal (verdict, evidence, fix,
 * one screen per finding), JSON (a contract, see docs and the field list in
 * doctor_report.c), and one self-contained HTML page.  They only read the
 * report model (diagnose/finding.h) and compute nothing but layout.  Every
 * string in the model may come from the target: the text renderer strips
 * terminal controls, the JSON writer escapes, the HTML page escapes
 * everything and runs no script (a strict Content-Security-Policy). */
#ifndef GODIAG_DOCTOR_REPORT_H
#define GODIAG_DOCTOR_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diagnose/finding.h"

/* Frames shown per finding in the text output; the rest are counted. */
#define DOCTOR_TEXT_MAX_FRAMES 12

/* Human report.  color adds ANSI attributes (the caller decides, e.g. from
 * isatty and NO_COLOR).  Findings are printed in model order: call
 * report_sort() first. */
void doctor_render_text(FILE *out, const struct report *r, bool color);

/* {"target", "snapshots": [...], "findings": [...]}; -1/NULL in the model
 * become null, numbers stay numbers (integral values are printed exactly). */
void doctor_render_json(FILE *out, const struct report *r);

/* A complete HTML document with inline CSS and SVG, no script, no external
 * resource. */
void doctor_render_html(FILE *out, const struct report *r);

/* Format an evidence value with its unit for people: "1.5 GiB",
 * "1,390 min (23 h)", "12 s", "1,204 sockets".  Always NUL-terminates
 * buf (n > 0); exposed for the HTML page and the tests. */
void doctor_format_value(char *buf, size_t n, double value, const char *unit);

#endif
