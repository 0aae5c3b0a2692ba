/* SPDX-License-Identifier: MIT */
/* watch's embedded store: one SQLite file of samples per target, findings
 * and the bundles they were captured in.
 *
 * Crash safety: WAL journal, one transaction per sampling round.  A kill -9
 * loses at most the round in flight (its transaction never committed), and
 * the file always opens afterwards (SQLite rolls the WAL forward or back).
 * synchronous=NORMAL: a committed round survives the process dying; only a
 * power cut may lose the last rounds.
 *
 * Schema versions live in PRAGMA user_version and are applied one by one
 * (watch_store_migrate), so a file written by any earlier godiag opens; the
 * unit test builds a version-1 file by hand and migrates it.
 *
 * Retention: raw samples for raw_keep (2 days), then one point per
 * 5 minutes for agg_keep (30 days).  A 5-minute point keeps the MINIMUM of
 * each value: the lower envelope is the trend's signal (docs/trends.md), and
 * a mean would let a busy hour raise a trough. */
#ifndef GODIAG_WATCH_STORE_H
#define GODIAG_WATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "series/trend.h"
#include "util/error.h"

enum watch_field {
	WF_GOROUTINES, WF_RSS, WF_LAZYFREE, WF_HEAP_INUSE, WF_HEAP_RELEASED, WF_HEAP_IDLE,
	WF_SYS, WF_THREADS, WF_FDS, WF_ESTABLISHED, WF_IDLE, WF_LATENCY_MS,
	WF_NR
};

/* Column name: "goroutines", "rss", ... */
const char *watch_field_name(enum watch_field f);

struct watch_sample {
	int64_t t_ms;       /* unix milliseconds */
	double v[WF_NR];    /* NaN: not known in this sample */
	char source[16];    /* "metrics", "vars", "pprof", "proc" */
};

void watch_sample_clear(struct watch_sample *s);

#define WATCH_SCHEMA_VERSION 3
#define WATCH_RAW_KEEP_S (2 * 86400)
#define WATCH_AGG_KEEP_S (30 * 86400)
#define WATCH_AGG_STEP_S 300

struct sqlite3;
struct sqlite3_stmt;

struct watch_store {
	struct sqlite3 *db;
	struct sqlite3_stmt *ins;
	char path[1024];
	bool in_tx;
};

/* Open (creating it and its directory's last level when absent) and migrate
 * to WATCH_SCHEMA_VERSION.  readonly: open an existing file for export, no
 * migration (GD_EFORMAT when its version is newer or older). */
enum gd_err watch_store_open(struct watch_store *st, const char *path, bool readonly,
			     struct gd_errbuf *eb);
void watch_store_close(struct watch_store *st);

/* Apply migrations from the file's version up to `to` (tests step through
 * them).  GD_EFORMAT for a file newer than this godiag. */
enum gd_err watch_store_migrate(struct watch_store *st, int to, struct gd_errbuf *eb);
int watch_store_version(struct watch_store *st);

/* The SQL that created a version-1 file (for the migration test). */
extern const char watch_store_v1_sql[];

enum gd_err watch_store_begin(struct watch_store *st, struct gd_errbuf *eb);
enum gd_err watch_store_commit(struct watch_store *st, struct gd_errbuf *eb);

/* The id of target `name`, created on first use. */
enum gd_err watch_store_target(struct watch_store *st, const char *name, int64_t *id,
			       struct gd_errbuf *eb);
enum gd_err watch_store_add_sample(struct watch_store *st, int64_t target, const struct watch_sample *s,
				   struct gd_errbuf *eb);

struct watch_finding_row {
	int64_t id;             /* filled when read back */
	int64_t t_ms;
	const char *rule, *severity, *summary;
	const char *evidence;   /* JSON text, or NULL */
	const char *bundle;     /* the captured bundle's directory, or NULL */
	const char *report;     /* its doctor report (HTML), or NULL */
};
enum gd_err watch_store_add_finding(struct watch_store *st, int64_t target, const struct watch_finding_row *f,
				    struct gd_errbuf *eb);

/* Downsample raw samples older than now - raw_keep_s into agg_step_s
 * points, and drop points older than now - agg_keep_s.  One transaction. */
enum gd_err watch_store_retention(struct watch_store *st, int64_t now_ms, int64_t raw_keep_s,
				  int64_t agg_keep_s, int64_t agg_step_s, struct gd_errbuf *eb);

/* One field of one target over [since_ms, until_ms) (0: open), oldest first;
 * *pts is malloc'd (t in seconds). */
enum gd_err watch_store_series(struct watch_store *st, int64_t target, enum watch_field f, int64_t since_ms,
			       int64_t until_ms, struct series_point **pts, size_t *n, struct gd_errbuf *eb);

/* Every sample of every target (name given: that one) in the range, as CSV
 * (header line, empty cells for unknown values) or a JSON object
 * {"schema":3,"samples":[...],"findings":[...]}. */
enum gd_err watch_store_export(struct watch_store *st, FILE *out, bool json, int64_t since_ms,
			       int64_t until_ms, struct gd_errbuf *eb);

/* Callback over the findings, newest first, at most `limit`. */
typedef void (*watch_finding_fn)(const char *target, const struct watch_finding_row *f, void *ctx);
enum gd_err watch_store_findings(struct watch_store *st, size_t limit, watch_finding_fn fn, void *ctx,
				 struct gd_errbuf *eb);

/* The bundle directory and report path stored with finding id (malloc'd,
 * NULL when absent).  The server serves only paths found here. */
enum gd_err watch_store_finding_paths(struct watch_store *st, int64_t id, char **bundle, char **report,
				      struct gd_errbuf *eb);

/* Number of rows in samples (tests, --verbose). */
int64_t watch_store_count(struct watch_store *st);

#endif
