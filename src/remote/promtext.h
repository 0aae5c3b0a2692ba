/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format (version 0.0.4, what a Go service's
 * /metrics serves through client_golang), parsed into flat samples, and
 * the mapping of client_golang's Go collector names back onto
 * runtime.MemStats so `godiag doctor` can read a /metrics file like a
 * heap?debug=1 trailer.
 *
 * Grammar: `# HELP name text`, `# TYPE name type`, other `#` lines are
 * comments; a sample is `name{label="value",...} value [timestamp_ms]` with
 * label values escaped as \\ \" \n, values any Go ParseFloat spelling
 * including NaN and +Inf/-Inf.  Histogram and summary series (_bucket, _sum,
 * _count, quantile=...) stay plain samples; each sample carries the TYPE of
 * the family it belongs to.  A line outside the grammar is skipped and
 * counted (the first one is described in bad_line_msg); parsing goes on.
 *
 * Bounded: input over PROM_MAX_INPUT is refused; lines over PROM_MAX_LINE,
 * samples beyond PROM_MAX_SAMPLES and labels beyond PROM_MAX_LABELS per
 * sample are dropped and counted.  All strings are interned in the set and
 * may hold any bytes the target sent: escape before printing. */
#ifndef GODIAG_REMOTE_PROMTEXT_H
#define GODIAG_REMOTE_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/memstats.h"
#include "util/error.h"
#include "util/intern.h"

#define PROM_MAX_INPUT ((size_t)64 << 20)
#define PROM_MAX_LINE ((size_t)1 << 20)
#define PROM_MAX_SAMPLES ((size_t)1 << 20)
#define PROM_MAX_LABELS 64

enum prom_type {
	PROM_UNTYPED,
	PROM_COUNTER,
	PROM_GAUGE,
	PROM_HISTOGRAM,
	PROM_SUMMARY,
};

const char *prom_type_name(enum prom_type t);

struct prom_label {
	const char *name;
	const char *value; /* unescaped */
};

struct prom_sample {
	const char *name;
	const struct prom_label *labels; /* in the order written */
	uint32_t nlabels;
	uint32_t label_off;              /* internal */
	enum prom_type type;
	double value;
	bool has_timestamp;
	int64_t timestamp_ms;
};

struct prom_set {
	struct prom_sample *samples;
	size_t n, alloc;
	struct prom_label *labels;
	size_t nlabels, labels_alloc;
	size_t nhelp, ntype;       /* HELP and TYPE lines */
	uint64_t bad_lines;        /* outside the grammar, skipped */
	uint64_t long_lines;
	uint64_t dropped_samples;  /* over PROM_MAX_SAMPLES */
	uint64_t dropped_labels;   /* over PROM_MAX_LABELS in one sample */
	char bad_line_msg[160];    /* "line 12: ..." for the first bad line */
	struct intern names;
};

void prom_set_init(struct prom_set *s);
void prom_set_release(struct prom_set *s);

/* Parse an exposition and append its samples.  GD_ETOOBIG over the cap;
 * GD_EFORMAT when the input holds no sample and no HELP/TYPE line (the
 * message names the input and the first bad line). */
enum gd_err prom_parse(struct prom_set *s, const char *buf, size_t len, const char *name,
		       struct gd_errbuf *eb);

/* The first sample called `name` whose labels include every pair of
 * `selector`, written `k=v,k2=v2` (no quotes; a value cannot hold a comma);
 * NULL selects any.  NULL when none. */
const struct prom_sample *prom_get(const struct prom_set *s, const char *name,
				   const char *selector);
/* The value of a label of a sample, or NULL. */
const char *prom_label(const struct prom_sample *smp, const char *name);

/* What the Go and process collectors say beside MemStats. */
struct prom_go_info {
	bool has_goroutines, has_threads, has_rss;
	uint64_t goroutines;   /* go_goroutines */
	uint64_t threads;      /* go_threads: threads CREATED, not live ones */
	uint64_t rss_bytes;    /* process_resident_memory_bytes */
	char go_version[64];   /* go_info{version="go1.19.8"}, "" if absent */
};

/* Map go_memstats_* (and, where those are missing, the runtime/metrics
 * names newer client_golang versions export) onto ms, which is cleared
 * first; LastGC comes from go_memstats_last_gc_time_seconds (ns), NumGC
 * from go_gc_duration_seconds_count.  Negative, NaN and infinite values are
 * left unknown.  info may be NULL.  Returns true when any MemStats field
 * was found. */
bool prom_to_memstats(const struct prom_set *s, struct go_memstats *ms, struct prom_go_info *info);

#endif
