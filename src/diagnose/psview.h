/* SPDX-License-Identifier: MIT */
/* The model of `godiag ps`: one row per Go process on the host, with what
 * an operator looks at first when memory or connections misbehave: Go
 * version and main module (from the binary), RSS and its LazyFree part,
 * threads, TCP established/listening (one sock_diag dump per network
 * namespace: linux/netns), uptime, the memory-return policy in force, and
 * the memory rules that fire (diagnose/memrules, the same as mem and
 * doctor).  With `probe`, each process's own listeners are asked for
 * /debug/pprof/; with `goroutines`, each process's goroutines are counted
 * by the memory census (census/), which never stops it and needs no
 * endpoint.  Rendered by report/ps_report.
 *
 * What could not be read (another user's process, a process that exited
 * mid-scan) shows as an unknown value plus a reason, never as a failure. */
#ifndef GODIAG_PSVIEW_H
#define GODIAG_PSVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "diagnose/memrules.h"
#include "diagnose/rules.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "linux/sockdiag.h"
#include "runtime/godebug.h"
#include "util/error.h"

struct ps_request {
	const char *proc_root, *sys_root; /* PROCFS_ROOT_DEFAULT, SYSFS_ROOT_DEFAULT */
	bool probe;
	bool goroutines; /* count each process's goroutines from its memory */
};

struct ps_row {
	struct go_process gp;
	struct procinfo pi;
	bool user_known;
	char user[64];       /* name of the owner, or the uid */
	bool tcp_known;
	struct tcp_counts tcp;
	char tcp_why[GD_ERRBUF_SIZE];
	struct godebug_eval ev;
	char pprof[128];     /* endpoint found by probe, or "" */
	char probe_why[160]; /* why none was found */
	bool gor_known;      /* goroutines read from memory (census) */
	uint64_t goroutines; /* as debug=2 shows them: system ones hidden */
	char gor_why[GD_ERRBUF_SIZE];
	struct mem_hit hits[8]; /* the memory rules that fire */
	size_t nhits;
};

struct ps_view {
	bool probe, goroutines;
	struct process_scan scan;
	struct ruleset rules;
	struct ps_row *rows;
	size_t n;
};

/* An error only when the proc root cannot be listed. */
enum gd_err ps_view_build(struct ps_view *v, const struct ps_request *rq, struct gd_errbuf *eb);
void ps_view_release(struct ps_view *v);

bool ps_row_partial(const struct ps_row *r);
/* The main module path, or the package path, or "?". */
const char *ps_row_module(const struct ps_row *r);

#endif
