/* SPDX-License-Identifier: MIT */
/* Renderers for `godiag fleet`: text, JSON (a contract) and one
 * self-contained HTML page with a sparkline per suspect.  They read the
 * fleet report and compute only layout.  Every label value comes from the
 * scraped targets' configuration and is escaped (termsafe, JSON, HTML). */
#ifndef GODIAG_REPORT_FLEET_REPORT_H
#define GODIAG_REPORT_FLEET_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "fleet/fleet.h"

/* The ranked suspects, each with its evidence, trend line and drill-down;
 * then the errors (failed queries, warnings, partial data). */
void fleet_render_text(FILE *out, const struct fleet_report *r, bool color);

/* The contract (docs/fleet.md; tests/integration/fleet_prometheus_slow.sh):
 *   {"prometheus": s, "range": s, "step": s, "instances": n,
 *    "suspects": [{"instance": s, "job": s, "rule": s,
 *                  "severity": "info|warning|critical", "growth_per_day": x,
 *                  "evidence": [{"what": s, "value": x, "unit": s, "text": s|null,
 *                                "source": s|null}
 *                               | {"what": "drill-down", "url": s, "ok": b, "rule": s|null,
 *                                  "summary": s|null, "goroutines": n|null,
 *                                  "frames": [s], "note": s|null}]}],
 *    "errors": [s]}
 * Suspects in rank order; growth_per_day in the metric's unit (goroutines,
 * bytes, fds, sockets), 0 for rss-held-by-madv-free. */
void fleet_render_json(FILE *out, const struct fleet_report *r);

/* A complete HTML document: inline CSS and SVG, no script, CSP
 * default-src 'none'. */
void fleet_render_html(FILE *out, const struct fleet_report *r);

#endif
