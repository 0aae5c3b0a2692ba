/* SPDX-License-Identifier: MIT */
/* The report model of `godiag doctor`: findings with their evidence and fix.
 * Rules produce it; renderers (text, JSON, HTML) only read it.  Every string
 * is owned by the report (copied in) and may hold text from the target. */
#ifndef GODIAG_FINDING_H
#define GODIAG_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };
const char *severity_name(enum severity s); /* "info", "warning", "critical" */

/* How a fact was learnt: read from a source, inferred by godiag from other
 * facts (an age, a missing close), or read from the process's memory (a
 * server's configured timeouts, once godiag reads them there). */
enum evidence_basis { EVB_READ, EVB_INFERRED, EVB_PROCESS_MEMORY };
const char *evidence_basis_name(enum evidence_basis b); /* "read", "inferred", "process memory" */

/* One number with its unit and where it came from, e.g.
 * {"ESTABLISHED sockets on :8080", 1204, "sockets", "sock_diag"}. */
struct evidence {
	char *what;
	double value;
	char *unit;    /* "goroutines", "minutes", "bytes", "sockets", "seconds", "" */
	char *text;    /* a non-numeric fact ("Go 1.14.2 on Linux 5.10"), or NULL */
	char *source;  /* "goroutine?debug=2", "/proc/123/smaps_rollup", "sock_diag" */
	enum evidence_basis basis;
};

struct finding {
	char *rule;        /* stable id: "http-server-idle-conn" */
	enum severity severity;
	double confidence; /* 0..1 */
	char *summary;     /* one line: the verdict */
	int64_t goroutines;       /* -1 when not applicable */
	int64_t max_wait_minutes; /* -1 when unknown */
	int64_t sockets;          /* -1 when unknown */
	struct evidence *evidence;
	size_t nevidence, evidence_alloc;
	char *fix;         /* text */
	char *snippet;     /* Go code, or NULL */
	char **refs;       /* URLs */
	size_t nrefs, refs_alloc;
	char **frames;     /* the stack the finding is about (func  file:line), innermost first */
	size_t nframes, frames_alloc;
};

/* A piece of evidence read (or not) for the snapshot. */
struct snapshot_piece {
	char *what;    /* "goroutine?debug=2", "/proc/123/status", "sock_diag" */
	char *source;  /* file path or URL */
	int64_t time;  /* unix seconds when taken */
	bool ok;
	char *note;    /* why it could not be read, or a caveat ("skipped: pause budget") */
};

struct report_snapshot {
	char *label;   /* target as given */
	int64_t time;
	struct snapshot_piece *pieces;
	size_t npieces, pieces_alloc;
	/* identity, NULL when unknown */
	char *go_version, *module, *kernel, *mem_policy;
	int pid;       /* 0 when not a live process */
};

/* A shape seen that is not (yet) a finding: too young, ages unknown, or a
 * probable pool.  Shown instead of a bare "No leak found". */
struct seen_item {
	char *rule;
	int64_t goroutines; /* -1 when not applicable */
	int64_t sockets;    /* -1 when unknown */
	char *text;
};

struct report {
	char *target;
	struct report_snapshot snaps[2];
	size_t nsnaps;
	struct finding *findings;
	size_t nfindings, findings_alloc;
	struct seen_item *seen;
	size_t nseen, seen_alloc;
};

void report_init(struct report *r, const char *target);
void report_release(struct report *r);
struct report_snapshot *report_add_snapshot(struct report *r, const char *label, int64_t time);
void report_snapshot_piece(struct report_snapshot *s, const char *what, const char *source, int64_t time,
			   bool ok, const char *note);
struct finding *report_add_finding(struct report *r, const char *rule, enum severity sev, double confidence);
void finding_set_summary(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_add_evidence(struct finding *f, const char *what, double value, const char *unit,
			  const char *source);
void finding_add_fact(struct finding *f, const char *what, const char *text, const char *source);
/* A fact godiag inferred (`how` says from what), never read anywhere. */
void finding_add_inferred(struct finding *f, const char *what, const char *text, const char *how);
void report_add_seen(struct report *r, const char *rule, int64_t goroutines, int64_t sockets, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* A duration for people, rounded one way everywhere (to the nearest unit
 * shown): "0.42 ms" below 1 ms, "350 ms", "42 s", "3 min 10 s", "2 h 5 min",
 * "3.5 days". */
void report_format_duration(char *buf, size_t n, double seconds);
void finding_set_fix(struct finding *f, const char *fix, const char *snippet);
void finding_add_ref(struct finding *f, const char *url);
void finding_add_frame(struct finding *f, const char *func, const char *file, uint32_t line);
/* Sort findings by severity, then confidence, descending. */
void report_sort(struct report *r);

#endif
