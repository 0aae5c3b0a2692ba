/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/memrules.h"
#include "diagnose/memview.h"
#include "util/strbuf.h"
#include "util/human.h"
#include "util/banned.h"

void mem_request_init(struct mem_request *rq, int pid)
{
	memset(rq, 0, sizeof(*rq));
	rq->pid = pid;
	rq->roots.proc = PROCFS_ROOT_DEFAULT;
	rq->roots.sys = SYSFS_ROOT_DEFAULT;
	fetch_opts_init(&rq->fetch);
	rq->fetch.total_timeout_ms = 15000;
	rq->fetch.max_bytes = MEM_HEAP_BODY_MAX;
}

static bool st_has(const struct procinfo *pi, enum proc_status_field f)
{
	return (pi->status.known >> f) & 1;
}

static bool sm_has(const struct procinfo *pi, enum proc_smaps_field f)
{
	return (pi->smaps.known >> f) & 1;
}

static void heap_url_of(const char *base, char *out, size_t n)
{
	size_t len = strlen(base);
	static const char tail[] = "/debug/pprof";

	/* Accept "http://h:p", "http://h:p/", ".../debug/pprof/" alike. */
	while (len && base[len - 1] == '/')
		len--;
	if (len >= sizeof(tail) - 1 && !memcmp(base + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1))
		len -= sizeof(tail) - 1;
	snprintf(out, n, "%.*s/debug/pprof/heap?debug=1", (int)len, base);
}

static void read_pprof(struct mem_view *v, const struct fetch_opts *base)
{
	struct fetch_opts fo;
	struct fetch_result res;
	struct gd_errbuf eb = { "" };
	char *body = NULL;
	size_t len = 0;
	enum gd_err rc;

	heap_url_of(v->pprof_base, v->heap_url, sizeof(v->heap_url));
	if (fetch_global_init(&eb) != GD_OK) {
		snprintf(v->pprof_why, sizeof(v->pprof_why), "%s", eb.msg);
		return;
	}
	fo = *base;
	rc = fetch_buffer(v->heap_url, &fo, &body, &len, &res, &eb);
	if (rc != GD_OK) {
		snprintf(v->pprof_why, sizeof(v->pprof_why), "%s", eb.msg);
		free(body);
		return;
	}
	rc = go_memstats_parse(body, len, &v->ms, v->heap_url, &eb);
	free(body);
	if (rc != GD_OK && !v->ms.known) {
		snprintf(v->pprof_why, sizeof(v->pprof_why), "%s", eb.msg);
		return;
	}
	if (rc != GD_OK)
		snprintf(v->pprof_why, sizeof(v->pprof_why), "%s", eb.msg);
	v->ms_ok = true;
	v->split_ok = go_mem_split_compute(&v->ms, v->pi.status.v[PST_RSSANON],
					   st_has(&v->pi, PST_RSSANON),
					   sm_has(&v->pi, SM_LAZYFREE) ? v->pi.smaps.v[SM_LAZYFREE] : 0,
					   &v->split);
}

static enum gd_err judge(struct mem_view *v, struct gd_errbuf *eb)
{
	const struct procinfo *pi = &v->pi;
	struct mem_facts mf;
	enum gd_err rc;

	if (st_has(pi, PST_VMRSS)) {
		v->rss = pi->status.v[PST_VMRSS];
		v->rss_known = true;
	} else if (sm_has(pi, SM_RSS)) {
		v->rss = pi->smaps.v[SM_RSS];
		v->rss_known = true;
	}
	rc = ruleset_load_builtin(&v->rules, eb);
	if (rc != GD_OK)
		return rc;
	mem_facts_init(&mf, &v->pi, v->ms_ok ? &v->ms : NULL, v->ev_set ? &v->ev : NULL,
		       v->is_go ? v->gp.bin->bi.go_version : NULL, v->is_go);
	mf.memstats_source = v->heap_url;
	memrules_run(&v->rules, &mf, &v->rep);
	return GD_OK;
}

const struct finding *mem_view_problem(const struct mem_view *v)
{
	return v->rep.nfindings ? &v->rep.findings[0] : NULL;
}

bool mem_view_partial(const struct mem_view *v)
{
	return procinfo_partial(&v->pi) || (v->is_go && !v->gp.verified) ||
	       (v->pprof_base && !v->ms_ok);
}

static void verdict_line(const struct mem_view *v, struct strbuf *sb)
{
	const struct finding *f = mem_view_problem(v);
	char a[32];

	if (f) {
		strbuf_addstr(sb, f->summary);
		return;
	}
	if (!v->rss_known) {
		strbuf_addstr(sb, "RSS unknown: the process's memory could not be read");
		return;
	}
	human_bytes(a, sizeof(a), v->rss);
	strbuf_addf(sb, "RSS %s: no memory problem visible from %s", a,
		    v->split_ok ? "/proc and MemStats" : "/proc");
	if (!v->split_ok)
		strbuf_addstr(sb, " (the Go heap needs --pprof URL; a growing heap shows between two heap "
				  "profiles or bundles: godiag diff A B)");
}

enum gd_err mem_view_build(struct mem_view *v, const struct mem_request *rq, struct gd_errbuf *eb)
{
	struct strbuf sb;
	char target[32];
	enum gd_err rc;

	memset(v, 0, sizeof(*v));
	v->pid = rq->pid;
	v->pprof_base = rq->pprof_base;
	procinfo_init(&v->pi);
	bin_cache_init(&v->cache);
	ruleset_init(&v->rules);
	snprintf(target, sizeof(target), "%d", rq->pid);
	report_init(&v->rep, target);
	rc = procinfo_read(&v->pi, &rq->roots, v->pid, PI_ALL, eb);
	if (rc != GD_OK)
		return rc;
	if (process_identify(&v->cache, rq->roots.proc, v->pid, &v->gp, eb) == GD_OK) {
		v->is_go = true;
		process_mem_policy(&v->gp, v->pi.kernel_release,
				   (v->pi.have & PI_ENVIRON) ? v->pi.env.val[PENV_GODEBUG] : NULL, &v->ev);
		v->ev_set = true;
	} else {
		snprintf(v->not_go_why, sizeof(v->not_go_why), "%s", eb->msg);
		eb->msg[0] = '\0';
	}
	if (v->pprof_base)
		read_pprof(v, &rq->fetch);
	rc = judge(v, eb);
	if (rc != GD_OK)
		return rc;
	report_sort(&v->rep);
	strbuf_init(&sb, 4096);
	verdict_line(v, &sb);
	v->verdict = strbuf_detach(&sb, NULL);
	return GD_OK;
}

void mem_view_release(struct mem_view *v)
{
	free(v->verdict);
	report_release(&v->rep);
	ruleset_release(&v->rules);
	if (v->ev_set)
		godebug_eval_release(&v->ev);
	procinfo_release(&v->pi);
	bin_cache_release(&v->cache);
}
