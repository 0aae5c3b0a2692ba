/* SPDX-License-Identifier: MIT */
/* `godiag fleet`: the trend rules of watch over every instance a Prometheus
 * server scrapes, ranked, with a drill-down into the worst.
 *
 * Per instance (job, instance) it reads the lower envelope of go_goroutines,
 * process_resident_memory_bytes, the heap in use, the heap released,
 * process_open_fds, and per node node_sockstat_TCP_inuse: Prometheus
 * computes min_over_time over windows of max(step, period/48), so a week of
 * ten thousand series is a few million points, not a hundred million.  Then
 * src/series/trend does the rest, the same code as watch.
 *
 * The library never prints; progress goes to a callback. */
#ifndef GODIAG_FLEET_FLEET_H
#define GODIAG_FLEET_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diagnose/finding.h"
#include "diagnose/rules.h"
#include "remote/fetch.h"
#include "series/trend.h"
#include "util/error.h"

enum fleet_metric {
	FM_GOROUTINES,
	FM_RSS,
	FM_HEAP,     /* heap in use */
	FM_RELEASED, /* heap released to the OS (as the runtime believes) */
	FM_FDS,
	FM_SOCKETS,  /* node_sockstat_TCP_inuse: nodes only */
	FM_N
};
const char *fleet_metric_name(enum fleet_metric m); /* the PromQL series read */
const char *fleet_metric_unit(enum fleet_metric m); /* "goroutines", "bytes", "fds", "sockets" */

struct fleet_opts {
	const char *prometheus;     /* base URL */
	const char *selector;       /* "{job=~\"api.*\"}" or NULL */
	const char *range_str, *step_str; /* as given, for the report */
	double end;                 /* unix seconds */
	double range_s, step_s;
	struct trend_params tp;     /* period_s, alpha, ... */
	struct fetch_opts fetch;    /* per-response caps (timeout, bytes), headers, TLS */
	size_t parallel;            /* queries in flight (4) */
	size_t max_points;          /* per series per query (11,000, Prometheus's limit) */
	size_t max_samples;         /* per query (250,000: answers stay a few MB) */

	/* drill-down */
	size_t drill_top;           /* suspects (distinct instances) to drill into; 0: none */
	int pprof_port;             /* http://HOST:PORT, HOST from the instance label */
	const char *pprof_url;      /* or a template: {host}, {instance}, {job} */
	double max_stw_ms;          /* doctor's pause budget */
	const struct ruleset *rules;

	void (*progress)(const char *msg, void *arg);
	void *progress_arg;
};

void fleet_opts_init(struct fleet_opts *o);

struct fleet_series {
	struct series_point *pts;
	size_t n, alloc;
};

struct fleet_instance {
	char *job, *instance, *host;
	bool node;                  /* a node_exporter instance (sockets only) */
	char *go_version;           /* from go_info, or NULL */
	double start_time;          /* last process_start_time_seconds, or 0 */
	double fd_limit;            /* process_max_fds, or 0 */
	double mem_limit;           /* go_gc_gomemlimit_bytes when set, or 0 */
	struct fleet_series m[FM_N];
	bool analysed[FM_N];
	struct trend_result tr[FM_N];
	struct madv_hold_result madv;
};

/* The drill-down's answer for one instance. */
struct fleet_drill {
	char *url;                  /* pprof base URL tried */
	bool ok;
	char *note;                 /* why not, or a caveat */
	char *rule;                 /* doctor's finding, or "survivors" */
	char *summary;
	char **frames;              /* the leaking stack, innermost first */
	size_t nframes;
	long long goroutines;       /* in that stack; -1 unknown */
};

struct fleet_suspect {
	size_t inst;                /* index into instances */
	const char *rule;           /* goroutine-growth-trend, ... (static) */
	enum severity severity;
	enum fleet_metric metric;
	double growth_per_day;      /* in the metric's unit; 0 for rss-held-by-madv-free */
	double rate;                /* growth per period over the level: the ranking key */
	struct finding *f;          /* summary and evidence: in rep (the report model) */
	struct fleet_drill *drill;  /* shared by the suspects of one instance, or NULL */
};

struct fleet_report {
	char *prometheus, *range_str, *step_str, *selector;
	double start, end, window_s, period_s;
	struct fleet_instance *inst;
	size_t ninst, inst_alloc;
	size_t ngo;                 /* Go instances (not nodes) */
	struct fleet_suspect *suspects;
	size_t nsuspects, suspects_alloc;
	struct report rep;          /* the suspects' findings, in suspect order */
	struct fleet_drill *drills;
	size_t ndrills;
	char **errors;              /* one line each: failed queries, warnings, partial data */
	size_t nerrors, errors_alloc;
	size_t queries, queries_failed;
	size_t bytes, points;
	double elapsed_s, drill_s;
	void *index;                /* (job, instance) -> instance, while querying */
};

void fleet_report_init(struct fleet_report *r);
void fleet_report_release(struct fleet_report *r);

/* Query, analyse, rank, drill.  GD_OK when the analysis ran (errors of
 * single queries are in r->errors: the rest of the fleet is analysed);
 * otherwise nothing at all could be read (the server down, every query
 * refused) and eb says why. */
enum gd_err fleet_run(const struct fleet_opts *o, struct fleet_report *r, struct gd_errbuf *eb);

/* The analysis alone, over instances already filled in (fleet_run calls it
 * after the queries; tests call it on synthetic series). */
void fleet_analyse(const struct fleet_opts *o, struct fleet_report *r);

/* Write Prometheus recording and alerting rules for the same signals
 * (period and selector from o) to out, as YAML.  GD_EARG on a bad
 * selector. */
enum gd_err fleet_emit_rules(FILE *out, const struct fleet_opts *o, struct gd_errbuf *eb);

/* --end: Unix seconds or RFC 3339.  false when it is neither. */
bool fleet_parse_time(const char *s, double *out);

/* Drill into the top suspects (fleet_analyse calls it last). */
void fleet_drill(const struct fleet_opts *o, struct fleet_report *r);

/* Add an instance (job, instance) or find it; node marks node_exporter's. */
struct fleet_instance *fleet_instance_get(struct fleet_report *r, const char *job, const char *instance,
					  bool node);

#endif
