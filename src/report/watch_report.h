/* SPDX-License-Identifier: MIT */
/* What `godiag watch` serves: the Prometheus text exposition of its targets
 * and findings, and the self-refreshing dashboard (inline SVG charts, no
 * script needed to draw them).  Everything from a target (its name, a down
 * reason, finding summaries) is escaped for its context. */
#ifndef GODIAG_REPORT_WATCH_REPORT_H
#define GODIAG_REPORT_WATCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "series/trend.h"

struct watch_series {
	const struct series_point *p;
	size_t n;
};

struct watch_dash_target {
	const char *name, *source, *reason, *trend;
	bool up;
	struct watch_series goroutines, established, idle, rss, heap, lazyfree;
	const double *trough_t, *trough_v; /* goroutine troughs (trend_analyse) */
	size_t ntroughs;
};

struct watch_dash_finding {
	int64_t id, t_ms;
	const char *target, *rule, *severity, *summary, *evidence, *bundle, *report;
};

/* base: "http://host:port" the links start with (the page is also saved
 * and opened as a file); already checked to be a plain host:port. */
void watch_render_dashboard(FILE *out, const char *base, const struct watch_dash_target *t, size_t n,
			    const struct watch_dash_finding *f, size_t nf, unsigned refresh_s);

/* One value of a Prometheus label, escaped (\\, \", \n). */
void prom_label_escape(FILE *out, const char *s);

#endif
