/* SPDX-License-Identifier: MIT */
/* The model of `godiag mem PID`: what /proc, the binary and (with a pprof
 * URL) the runtime's MemStats say about a process's RSS, and the memory
 * rules (diagnose/memrules) that fire.  Built here, rendered by
 * report/mem_report; the command only parses options.
 *
 * /proc gives the classes (anon, file, shmem, LazyFree, AnonHugePages,
 * swap), the cgroup and THP settings; the binary gives the Go version and
 * GODEBUG defaults, and so the memory-return policy in force; MemStats split
 * the anonymous part into heap in use, idle, released, stacks, metadata and
 * what is not Go's at all.  The verdict names the largest explainable cause,
 * because "RSS is high" alone sends people hunting leaks that are not
 * there (MADV_FREE backlog being the classic). */
#ifndef GODIAG_MEMVIEW_H
#define GODIAG_MEMVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnose/finding.h"
#include "diagnose/rules.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "remote/fetch.h"
#include "runtime/godebug.h"
#include "runtime/memstats.h"
#include "util/error.h"

#define MEM_HEAP_BODY_MAX ((uint64_t)64 << 20)

struct mem_request {
	int pid;
	struct procfs_roots roots;
	const char *pprof_base;        /* NULL: /proc and the binary only */
	struct fetch_opts fetch;       /* for pprof_base; mem_request_init's defaults */
};

/* Defaults: live /proc and /sys, a 15 s fetch capped at 64 MiB. */
void mem_request_init(struct mem_request *rq, int pid);

struct mem_view {
	int pid;
	bool is_go;
	struct bin_cache cache;
	struct go_process gp;
	char not_go_why[GD_ERRBUF_SIZE];
	struct procinfo pi;
	struct godebug_eval ev;
	bool ev_set;
	/* pprof */
	const char *pprof_base;
	char heap_url[1024];
	bool ms_ok;
	struct go_memstats ms;
	bool split_ok;
	struct go_mem_split split;
	char pprof_why[GD_ERRBUF_SIZE];
	/* derived */
	bool rss_known;
	uint64_t rss;
	struct ruleset rules;
	struct report rep;       /* the memory rules that fire, worst first */
	char *verdict;           /* one line */
};

/* GD_ENOENT / GD_EPERM (the process cannot be read at all) with eb set;
 * otherwise GD_OK, whatever was partial being in the view. */
enum gd_err mem_view_build(struct mem_view *v, const struct mem_request *rq, struct gd_errbuf *eb);
void mem_view_release(struct mem_view *v);

/* The first finding (the verdict's), or NULL. */
const struct finding *mem_view_problem(const struct mem_view *v);
bool mem_view_partial(const struct mem_view *v);

#endif
