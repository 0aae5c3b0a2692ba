/* SPDX-License-Identifier: MIT */
/* The Prometheus HTTP API (/api/v1/query, /api/v1/query_range), for
 * `godiag fleet`.
 *
 * The server is trusted no more than a target: every response is capped in
 * size and time (fetch), its JSON is parsed with bounded copies (jansson), and
 * every way it can go wrong -- HTTP and API errors ("bad_data",
 * "execution", "timeout"), warnings (partial data), a hang, a huge answer --
 * ends as a one-line message on the query, never as a crash.
 *
 * A range query may need more points per series than the server allows
 * (11,000 by default): promapi_plan_range() cuts it into time chunks.  The
 * caller cuts by series (a matcher over a batch of instances, built with
 * promapi_regex_alternation()) so that each answer stays small.  Queries run
 * concurrently with a bound on one thread (fetch_many). */
#ifndef GODIAG_REMOTE_PROMAPI_H
#define GODIAG_REMOTE_PROMAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "remote/fetch.h"
#include "series/trend.h"
#include "util/error.h"
#include "util/strbuf.h"

/* Parser bounds: a label set larger than this is refused as malformed. */
#define PROM_MAX_LABELS 128
#define PROM_MAX_LABEL_LEN 4096
#define PROM_MAX_WARNINGS 16

struct prom_label {
	char *name, *value;
};

struct prom_series {
	struct prom_label *labels;
	size_t nlabels;
	struct series_point *pts; /* in the server's order (time order) */
	size_t npts;
};

enum prom_result_type { PROM_NONE, PROM_MATRIX, PROM_VECTOR, PROM_SCALAR, PROM_STRING,
		       PROM_SERIES /* /api/v1/series: label sets, no points */ };

struct prom_result {
	enum prom_result_type type;
	struct prom_series *series; /* matrix and vector (one point each) */
	size_t nseries, series_alloc;
	double scalar_t, scalar_v;  /* scalar */
	char *warnings[PROM_MAX_WARNINGS];
	size_t nwarnings;           /* kept; more are counted in warnings_dropped */
	size_t warnings_dropped;
	size_t bad_points;          /* samples that were not [number, "number"] */
};

void prom_result_init(struct prom_result *r);
void prom_result_release(struct prom_result *r);
/* The value of label `name`, or NULL. */
const char *prom_series_label(const struct prom_series *s, const char *name);

/* Parse one API response body.  GD_OK for "status":"success" (warnings,
 * if any, in r).  A "status":"error" answer gives GD_EHTTP with
 * "prometheus: ERRORTYPE: ERROR"; anything that is not the API's JSON gives
 * GD_EFORMAT.  On error r holds nothing. */
enum gd_err promapi_parse(const char *buf, size_t len, struct prom_result *r, struct gd_errbuf *eb);

/* Cut [start, end] at `step` into chunks of at most max_points points each
 * (Prometheus counts (end - start) / step + 1).  Fills starts/ends (room
 * for `room`), returns the number of chunks, 0 when room is too small or
 * the arguments are bad. */
size_t promapi_plan_range(double start, double end, double step, size_t max_points, double *starts,
			  double *ends, size_t room);

/* Append an RE2 alternation matching exactly the given strings
 * ("a|b\\.c"), escaped for a PromQL double-quoted string: regex
 * metacharacters get a backslash, and backslash and quote are escaped
 * again for the string. */
enum gd_err promapi_regex_alternation(struct strbuf *sb, const char *const *values, size_t n);
/* Append s as a PromQL double-quoted string body (\\, \", \n escaped). */
enum gd_err promapi_quote(struct strbuf *sb, const char *s);

/* One query.  in: expr, and start/end/step for a range query (step 0:
 * an instant query at `end`; series: /api/v1/series with expr as the
 * match[] selector over [start, end], which reads only the index). out:
 * result or err + eb. */
struct prom_query {
	const char *expr;
	bool series;
	double start, end, step;
	void *user;              /* the caller's */
	enum gd_err err;
	struct gd_errbuf eb;
	struct prom_result result;
	size_t bytes;            /* response size */
	double elapsed_s;
};

struct promapi_client {
	const char *base;        /* "http://host:9090" (a path prefix is kept) */
	struct fetch_opts fetch; /* caps: total timeout and max_bytes per response */
	size_t parallel;         /* queries in flight (default 4) */
	double server_timeout_s; /* sent as timeout=; 0: the server's default */
};

void promapi_client_init(struct promapi_client *c, const char *base);

/* Run n queries, at most c->parallel at a time.  done (may be NULL) is
 * called as each ends, with its result filled in: fleet merges there and
 * may release the result at once (prom_result_release) to keep memory flat. */
void promapi_run(struct promapi_client *c, struct prom_query *qs, size_t n,
		 void (*done)(struct prom_query *q, void *arg), void *arg);

#endif
