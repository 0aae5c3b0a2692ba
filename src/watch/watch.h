/* SPDX-License-Identifier: MIT */
/* `godiag watch`: sample many Go services on one thread, keep the samples in
 * the store, run the trend detector (src/series) over them, capture a bundle
 * and run doctor when a trend fires, and export it all (Prometheus /metrics,
 * a dashboard, a status line per target, one event line per change).
 *
 * Threads: the sampling loop (all targets, one libcurl multi round per
 * interval, each transfer's timeout below the interval so a hung target
 * cannot delay the others), one capture thread (snapshot + doctor take
 * seconds and must not stall sampling), and libmicrohttpd's thread for the
 * server.  They share `struct watch_state` under its mutex. */
#ifndef GODIAG_WATCH_WATCH_H
#define GODIAG_WATCH_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "series/trend.h"
#include "watch/store.h"

struct watch_opts {
	double interval_s;       /* --interval, default 15 */
	double period_s;         /* --period, default 86400 */
	double duration_s;       /* --duration: stop after; 0 runs until a signal */
	double cooldown_s;       /* between two captures of one target (default: 2 periods) */
	double max_stw_ms;       /* debug=2 pause budget for captures (default 100) */
	uint32_t idle_threshold_s;
	const char *db;          /* store path */
	const char *listen;      /* "127.0.0.1:9187"; NULL: no server */
	const char *bundles;     /* where captures go (default: next to the store) */
	const char *proc_root;   /* NULL: /proc */
	bool all_go;
	bool no_capture;
	bool json_events;        /* events as JSON lines */
	FILE *events;            /* one line per event; NULL: none */
	bool status_lines;       /* a terminal: redraw a status line per target */
};

void watch_opts_init(struct watch_opts *o);

enum watch_source { WS_UNKNOWN, WS_METRICS, WS_VARS, WS_PPROF, WS_NONE };
const char *watch_source_name(enum watch_source s);

/* The trend-based rules watch raises, in this order. */
enum watch_rule {
	WR_GOROUTINE_GROWTH, WR_SOCKET_GROWTH, WR_RSS_GROWTH, WR_HEAP_GROWTH, WR_MADV_HOLD,
	WR_NR
};
const char *watch_rule_id(enum watch_rule r);

#define WATCH_NAME_MAX 256
#define WATCH_URL_MAX 512

struct watch_target {
	char name[WATCH_NAME_MAX];  /* as given (PID or URL), or "pid:N" for --all-go */
	int pid;                    /* 0: a URL target */
	char base[WATCH_URL_MAX];   /* http base URL, or "" */
	int64_t id;                 /* in the store */
	enum watch_source src;
	bool up, ever_up, gone;
	char reason[600];           /* why it is down (sanitised) */
	struct watch_sample last;
	uint64_t samples, failures;
	double last_latency_ms;
	double discover_at;
	double started;             /* the PID's start time (unix s), 0 unknown */         /* next endpoint probe for a PID without one */
	/* trend state */
	enum trend_kind kind[WR_NR];
	bool active[WR_NR];
	double clear_since[WR_NR];
	char summary[WR_NR][256];
	double last_analysis;
	/* capture state */
	bool capturing;             /* a trough bundle is queued or running */
	bool triggered;             /* a capture on a trigger is queued or running */
	bool pending;               /* a trend fired: capture at the next trough */
	enum watch_rule pending_rule;
	double last_capture;
	double trough_bundle_t[2];  /* the two latest trough bundles */
	char trough_bundle[2][1024];
	double last_trough_try;
	double trough_rise;         /* goroutine trough slope per period (>= 0) */
	double period_min, period_max, cur_min, cur_max, period_start;
	unsigned ncaptures;
};

struct watch_state {
	pthread_mutex_t mu;
	struct watch_target *t;
	size_t n, alloc;
	uint64_t rounds, samples, failures, captures, findings;
	double latency_sum_ms, last_round_ms, started;
	struct watch_opts opts;
	char db_path[1024];
};

/* Run until duration or SIGINT/SIGTERM.  Returns the exit code: 0 no
 * finding, 1 findings, 3 nothing could be sampled or stored. */
int watch_run(const struct watch_opts *o, char **targets, int ntargets);

/* Parse a TARGET: a PID or an http(s) URL (its path is dropped). */
bool watch_target_parse(const char *arg, struct watch_target *t, char *err, size_t errlen);

/* One sample's worth of a target's answer (pure; the fuzz harness drives
 * it): a /metrics body, /debug/vars, the first line of goroutine?debug=1,
 * or heap?debug=1.  Fills the fields found into s; false with why when the
 * body is not what that source serves.  buf need not be NUL-terminated. */
enum watch_body { WB_METRICS, WB_VARS, WB_GOROUTINE1, WB_HEAP1 };
bool watch_body_parse(enum watch_body kind, const char *buf, size_t len, const char *url, struct watch_sample *s,
		      char *why, size_t whylen);

/* The exporter (server.c): start/stop libmicrohttpd on o->listen. */
struct watch_server;
struct watch_server *watch_server_start(struct watch_state *st, const char *listen, char *err, size_t errlen);
void watch_server_stop(struct watch_server *s);

#endif
