/* SPDX-License-Identifier: MIT */
/* `godiag mem PID`: explain a Go process's RSS.  /proc gives the classes
 * (anon, file, shmem, LazyFree, AnonHugePages, swap), the cgroup and THP
 * settings; the binary gives the Go version and GODEBUG defaults, and so the
 * memory-return policy in force; with --pprof the runtime's MemStats split
 * the anonymous part into heap in use, idle, released, stacks, metadata and
 * what is not Go's at all.  The verdict names the largest explainable cause,
 * because "RSS is high" alone sends people hunting leaks that are not
 * there (MADV_FREE backlog being the classic). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "cmd/options.h"
#include "diagnose/finding.h"
#include "diagnose/memrules.h"
#include "diagnose/rules.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "remote/fetch.h"
#include "runtime/godebug.h"
#include "runtime/memstats.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/human.h"
#include "util/banned.h"

#define MIB ((uint64_t)1 << 20)
#define FINDINGS_MAX 8
#define HEAP_BODY_MAX ((uint64_t)64 << 20)

struct mem_view {
	int pid;
	bool is_go;
	struct go_process gp;
	char not_go_why[GD_ERRBUF_SIZE];
	struct procinfo pi;
	struct godebug_eval ev;
	bool ev_set;
	/* --pprof */
	const char *pprof_base;
	const struct cmd_http *http;
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
	struct report rep; /* the memory rules that fire */
};

static void mem_usage(FILE *out)
{
	cmd_help(out, "mem");
}

static bool st_has(const struct procinfo *pi, enum proc_status_field f)
{
	return (pi->status.known >> f) & 1;
}

static bool sm_has(const struct procinfo *pi, enum proc_smaps_field f)
{
	return (pi->smaps.known >> f) & 1;
}

static bool cg_has(const struct procinfo *pi, enum proc_cg_field f)
{
	return (pi->cgroup.known >> f) & 1;
}

static void hb(char *buf, size_t n, uint64_t v)
{
	human_bytes(buf, n, v);
}

/* ---- --pprof --------------------------------------------------------- */

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

static void read_pprof(struct mem_view *v)
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
	fetch_opts_init(&fo);
	fo.total_timeout_ms = 15000;
	fo.max_bytes = HEAP_BODY_MAX;
	cmd_http_apply(v->http, &fo);
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

/* ---- verdict: the memory rules (diagnose/memrules) ---------------------- */

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

static const struct finding *first_problem(const struct mem_view *v)
{
	return v->rep.nfindings ? &v->rep.findings[0] : NULL;
}

static bool mem_partial(const struct mem_view *v)
{
	return procinfo_partial(&v->pi) || (v->is_go && !v->gp.verified) ||
	       (v->pprof_base && !v->ms_ok);
}

static void verdict_line(const struct mem_view *v, struct strbuf *sb)
{
	const struct finding *f = first_problem(v);
	char a[32];

	if (f) {
		strbuf_addstr(sb, f->summary);
		return;
	}
	if (!v->rss_known) {
		strbuf_addstr(sb, "RSS unknown: the process's memory could not be read");
		return;
	}
	hb(a, sizeof(a), v->rss);
	strbuf_addf(sb, "RSS %s: no memory problem visible from %s", a,
		    v->split_ok ? "/proc and MemStats" : "/proc");
	if (!v->split_ok)
		strbuf_addstr(sb, " (the Go heap needs --pprof URL; a growing heap shows between two heap "
				  "profiles or bundles: godiag diff A B)");
}

/* ---- output ---------------------------------------------------------- */

static void jw_bytes_or_null(struct json_writer *jw, const char *key, bool known, uint64_t v)
{
	jw_key(jw, key);
	if (known)
		jw_uint(jw, v);
	else
		jw_null(jw);
}

static void jw_str_or_null(struct json_writer *jw, const char *key, const char *s)
{
	jw_key(jw, key);
	if (s)
		jw_string(jw, s);
	else
		jw_null(jw);
}

static void render_json(FILE *out, struct mem_view *v, const char *verdict)
{
	const struct procinfo *pi = &v->pi;
	struct json_writer jw;

	jw_init(&jw, out, true);
	jw_object_begin(&jw);
	jw_key(&jw, "pid");
	jw_int(&jw, v->pid);
	jw_str_or_null(&jw, "name", st_has(pi, PST_NAME) ? pi->status.name : NULL);
	jw_key(&jw, "go");
	jw_object_begin(&jw);
	jw_key(&jw, "is_go");
	jw_bool(&jw, v->is_go);
	if (v->is_go) {
		const struct go_buildinfo *bi = &v->gp.bin->bi;
		jw_str_or_null(&jw, "version", bi->go_version);
		jw_str_or_null(&jw, "path", bi->path);
		jw_str_or_null(&jw, "module", bi->mod_path);
		jw_str_or_null(&jw, "exe", v->gp.exe);
		jw_key(&jw, "verified");
		jw_bool(&jw, v->gp.verified);
	} else {
		jw_str_or_null(&jw, "why", v->not_go_why);
	}
	jw_object_end(&jw);
	jw_str_or_null(&jw, "kernel_release", pi->kernel_release[0] ? pi->kernel_release : NULL);

	jw_key(&jw, "rss");
	jw_object_begin(&jw);
	jw_key(&jw, "source");
	jw_string(&jw, proc_smaps_source_name(pi->smaps.source));
	jw_bytes_or_null(&jw, "rss_bytes", v->rss_known, v->rss);
	jw_bytes_or_null(&jw, "hwm_bytes", st_has(pi, PST_VMHWM), pi->status.v[PST_VMHWM]);
	jw_bytes_or_null(&jw, "anon_bytes", st_has(pi, PST_RSSANON), pi->status.v[PST_RSSANON]);
	jw_bytes_or_null(&jw, "file_bytes", st_has(pi, PST_RSSFILE), pi->status.v[PST_RSSFILE]);
	jw_bytes_or_null(&jw, "shmem_bytes", st_has(pi, PST_RSSSHMEM), pi->status.v[PST_RSSSHMEM]);
	jw_bytes_or_null(&jw, "swap_bytes", st_has(pi, PST_VMSWAP), pi->status.v[PST_VMSWAP]);
	jw_bytes_or_null(&jw, "pss_bytes", sm_has(pi, SM_PSS), pi->smaps.v[SM_PSS]);
	jw_bytes_or_null(&jw, "anonymous_bytes", sm_has(pi, SM_ANONYMOUS), pi->smaps.v[SM_ANONYMOUS]);
	jw_bytes_or_null(&jw, "lazyfree_bytes", sm_has(pi, SM_LAZYFREE), pi->smaps.v[SM_LAZYFREE]);
	jw_bytes_or_null(&jw, "anon_huge_bytes", sm_has(pi, SM_ANON_HUGE), pi->smaps.v[SM_ANON_HUGE]);
	jw_bytes_or_null(&jw, "threads", st_has(pi, PST_THREADS), pi->status.v[PST_THREADS]);
	jw_object_end(&jw);

	jw_key(&jw, "cgroup");
	if (pi->have & PI_CGROUP || pi->cgroup.known) {
		const struct proc_cgroup *cg = &pi->cgroup;
		jw_object_begin(&jw);
		jw_key(&jw, "version");
		jw_int(&jw, cg->version);
		jw_key(&jw, "path");
		jw_string(&jw, cg->version == 1 ? cg->v1_path : cg->path);
		jw_bytes_or_null(&jw, "current_bytes", cg_has(pi, CG_CURRENT), cg->v[CG_CURRENT]);
		jw_bytes_or_null(&jw, "max_bytes", cg_has(pi, CG_MAX) && !cg->unlimited, cg->v[CG_MAX]);
		jw_key(&jw, "unlimited");
		jw_bool(&jw, cg->unlimited);
		for (int f = CG_ANON; f < CG_NR; f++) {
			char key[48];
			snprintf(key, sizeof(key), "%s_bytes", proc_cg_key(f));
			jw_bytes_or_null(&jw, key, cg_has(pi, f), cg->v[f]);
		}
		jw_object_end(&jw);
	} else {
		jw_null(&jw);
	}

	jw_key(&jw, "thp");
	jw_object_begin(&jw);
	jw_str_or_null(&jw, "enabled", pi->thp.enabled_known ? pi->thp.enabled : NULL);
	jw_str_or_null(&jw, "defrag", pi->thp.defrag_known ? pi->thp.defrag : NULL);
	jw_bytes_or_null(&jw, "max_ptes_none", pi->thp.max_ptes_none_known, pi->thp.max_ptes_none);
	jw_object_end(&jw);

	jw_key(&jw, "env");
	if (pi->have & PI_ENVIRON) {
		jw_object_begin(&jw);
		for (int e = 0; e < PENV_NR; e++)
			jw_str_or_null(&jw, proc_env_name(e), pi->env.val[e]);
		jw_object_end(&jw);
	} else {
		jw_null(&jw);
	}

	jw_key(&jw, "policy");
	if (v->ev_set) {
		jw_object_begin(&jw);
		jw_key(&jw, "name");
		jw_string(&jw, mem_policy_name(v->ev.policy));
		jw_key(&jw, "reason");
		jw_string(&jw, v->ev.reason);
		jw_key(&jw, "madvdontneed");
		jw_int(&jw, v->ev.madvdontneed);
		jw_str_or_null(&jw, "effective_godebug", v->ev.effective);
		jw_object_end(&jw);
	} else {
		jw_null(&jw);
	}

	jw_str_or_null(&jw, "pprof_url", v->pprof_base ? v->heap_url : NULL);
	jw_key(&jw, "memstats");
	if (v->ms_ok) {
		jw_object_begin(&jw);
		for (int f = 0; f < MS_NR; f++)
			if ((v->ms.known >> f) & 1) {
				jw_key(&jw, go_memstats_name(f));
				jw_uint(&jw, v->ms.v[f]);
			}
		jw_object_end(&jw);
	} else {
		jw_null(&jw);
	}
	jw_key(&jw, "split");
	if (v->split_ok) {
		jw_object_begin(&jw);
		jw_key(&jw, "heap_inuse_bytes");
		jw_uint(&jw, v->split.heap_inuse);
		jw_key(&jw, "heap_idle_bytes");
		jw_uint(&jw, v->split.heap_idle);
		jw_key(&jw, "heap_released_bytes");
		jw_uint(&jw, v->split.heap_released);
		jw_key(&jw, "stacks_bytes");
		jw_uint(&jw, v->split.stacks);
		jw_key(&jw, "metadata_bytes");
		jw_uint(&jw, v->split.metadata);
		jw_key(&jw, "go_retained_bytes");
		jw_uint(&jw, v->split.go_retained);
		jw_bytes_or_null(&jw, "non_go_bytes", v->split.non_go_known, v->split.non_go);
		jw_object_end(&jw);
	} else {
		jw_null(&jw);
	}

	jw_key(&jw, "findings");
	jw_array_begin(&jw);
	for (size_t i = 0; i < v->rep.nfindings; i++) {
		const struct finding *f = &v->rep.findings[i];
		jw_object_begin(&jw);
		jw_key(&jw, "id");
		jw_string(&jw, f->rule);
		jw_key(&jw, "severity");
		jw_string(&jw, severity_name(f->severity));
		jw_key(&jw, "text");
		jw_string(&jw, f->summary);
		jw_str_or_null(&jw, "fix", f->fix);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_key(&jw, "verdict");
	jw_string(&jw, verdict);
	jw_str_or_null(&jw, "fix", first_problem(v) ? first_problem(v)->fix : NULL);
	jw_key(&jw, "problem");
	jw_bool(&jw, first_problem(v) != NULL);
	jw_key(&jw, "partial");
	jw_bool(&jw, mem_partial(v));
	jw_key(&jw, "notes");
	jw_array_begin(&jw);
	if (v->is_go && v->gp.note[0]) {
		jw_object_begin(&jw);
		jw_key(&jw, "what");
		jw_string(&jw, "exe");
		jw_key(&jw, "why");
		jw_string(&jw, v->gp.note);
		jw_object_end(&jw);
	}
	for (size_t i = 0; i < pi->notes.nr; i++) {
		jw_object_begin(&jw);
		jw_key(&jw, "what");
		jw_string(&jw, pi->notes.v[i].what);
		jw_key(&jw, "why");
		jw_string(&jw, pi->notes.v[i].why);
		jw_object_end(&jw);
	}
	if (v->pprof_why[0]) {
		jw_object_begin(&jw);
		jw_key(&jw, "what");
		jw_string(&jw, "pprof");
		jw_key(&jw, "why");
		jw_string(&jw, v->pprof_why);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end(&jw);
}

static void line(FILE *out, int indent, const char *label, bool known, uint64_t bytes,
		 const char *comment)
{
	char a[32];

	if (known)
		hb(a, sizeof(a), bytes);
	else
		snprintf(a, sizeof(a), "?");
	fprintf(out, "%*s%-*s %10s%s%s\n", indent, "", 22 - indent, label, a, comment ? "  " : "",
		comment ? comment : "");
}

static void render_text(FILE *out, struct mem_view *v, const char *verdict)
{
	const struct procinfo *pi = &v->pi;

	fprintf(out, "pid %d", v->pid);
	if (st_has(pi, PST_NAME))
		fprintf(out, " (%s)", pi->status.name);
	if (v->is_go) {
		const struct go_buildinfo *bi = &v->gp.bin->bi;
		fprintf(out, "  %s  %s", bi->go_version ? bi->go_version : "go?",
			bi->mod_path ? bi->mod_path : bi->path ? bi->path : "");
	} else {
		fprintf(out, "  not a Go process: %s", v->not_go_why);
	}
	fprintf(out, "\n");
	if (pi->kernel_release[0])
		fprintf(out, "kernel %s\n", pi->kernel_release);
	fprintf(out, "\n");

	line(out, 0, "RSS", v->rss_known, v->rss, NULL);
	line(out, 2, "anon", st_has(pi, PST_RSSANON), pi->status.v[PST_RSSANON], NULL);
	line(out, 4, "LazyFree", sm_has(pi, SM_LAZYFREE), pi->smaps.v[SM_LAZYFREE],
	     "freed with MADV_FREE, still counted until memory pressure");
	line(out, 4, "AnonHugePages", sm_has(pi, SM_ANON_HUGE), pi->smaps.v[SM_ANON_HUGE], NULL);
	line(out, 2, "file", st_has(pi, PST_RSSFILE), pi->status.v[PST_RSSFILE],
	     "binary, libraries, mapped files");
	line(out, 2, "shmem", st_has(pi, PST_RSSSHMEM), pi->status.v[PST_RSSSHMEM], NULL);
	line(out, 0, "swap", st_has(pi, PST_VMSWAP), pi->status.v[PST_VMSWAP], NULL);
	line(out, 0, "peak RSS (VmHWM)", st_has(pi, PST_VMHWM), pi->status.v[PST_VMHWM], NULL);
	if (pi->smaps.source != SMAPS_NONE)
		fprintf(out, "(LazyFree and AnonHugePages from %s)\n",
			pi->smaps.source == SMAPS_ROLLUP ? "smaps_rollup" : "smaps, summed over mappings");

	if (v->pprof_base) {
		fprintf(out, "\nGo runtime (%s)\n", v->heap_url);
		if (v->split_ok) {
			line(out, 2, "heap in use", true, v->split.heap_inuse, "HeapInuse");
			line(out, 2, "heap idle", true, v->split.heap_idle, "HeapIdle - HeapReleased");
			line(out, 2, "heap released", true, v->split.heap_released,
			     v->ev_set && v->ev.policy == MEM_POLICY_MADV_FREE
				     ? "HeapReleased (MADV_FREE'd pages may still be resident)"
				     : "HeapReleased (returned to the OS)");
			line(out, 2, "stacks", true, v->split.stacks, "StackSys");
			line(out, 2, "runtime metadata", true, v->split.metadata,
			     "MSpan, MCache, BuckHash, GC, Other");
			line(out, 2, "non-Go", v->split.non_go_known, v->split.non_go,
			     "RssAnon - (Sys - HeapReleased) - LazyFree: cgo, mmap, threads");
			fprintf(out, "  (growth of the heap in use is what heap profiles explain: "
				     "compare two with godiag diff A B)\n");
		} else {
			fprintf(out, "  unavailable: %s\n", v->pprof_why[0] ? v->pprof_why : "no MemStats");
		}
	}

	if (pi->cgroup.version) {
		const struct proc_cgroup *cg = &pi->cgroup;
		char a[32] = "?", b[32] = "max";
		fprintf(out, "\ncgroup v%d %s\n", cg->version, cg->version == 1 ? cg->v1_path : cg->path);
		if (cg_has(pi, CG_CURRENT))
			hb(a, sizeof(a), cg->v[CG_CURRENT]);
		if (cg_has(pi, CG_MAX) && !cg->unlimited)
			hb(b, sizeof(b), cg->v[CG_MAX]);
		else if (!cg_has(pi, CG_MAX))
			snprintf(b, sizeof(b), "?");
		fprintf(out, "  %-20s %10s of %s\n", "memory", a, b);
		line(out, 2, "anon", cg_has(pi, CG_ANON), cg->v[CG_ANON], NULL);
		line(out, 2, "file", cg_has(pi, CG_FILE), cg->v[CG_FILE], NULL);
	}
	fprintf(out, "\nTHP enabled=%s defrag=%s", pi->thp.enabled_known ? pi->thp.enabled : "?",
		pi->thp.defrag_known ? pi->thp.defrag : "?");
	if (pi->thp.max_ptes_none_known)
		fprintf(out, " max_ptes_none=%llu", (unsigned long long)pi->thp.max_ptes_none);
	fprintf(out, "\n");
	if (pi->have & PI_ENVIRON) {
		bool any = false;
		for (int e = 0; e < PENV_NR; e++)
			if (pi->env.val[e]) {
				fprintf(out, "%s%s=%s", any ? " " : "environment: ", proc_env_name(e),
					pi->env.val[e]);
				any = true;
			}
		if (any)
			fprintf(out, "\n");
	}
	if (v->ev_set)
		fprintf(out, "policy %s: %s\n", mem_policy_name(v->ev.policy), v->ev.reason);

	for (size_t i = 1; i < v->rep.nfindings; i++)
		fprintf(out, "also [%s]: %s\n", v->rep.findings[i].rule, v->rep.findings[i].summary);
	if (mem_partial(v)) {
		fprintf(out, "\npartial read:\n");
		if (v->is_go && v->gp.note[0])
			fprintf(out, "  exe: %s\n", v->gp.note);
		for (size_t i = 0; i < pi->notes.nr; i++)
			fprintf(out, "  %s: %s\n", pi->notes.v[i].what, pi->notes.v[i].why);
		if (v->pprof_base && !v->ms_ok)
			fprintf(out, "  pprof: %s\n", v->pprof_why);
	}
	fprintf(out, "\nverdict: %s\n", verdict);
	if (first_problem(v) && first_problem(v)->fix)
		fprintf(out, "fix: %s\n", first_problem(v)->fix);
}

int cmd_mem(int argc, char **argv)
{
	struct procfs_roots roots = { PROCFS_ROOT_DEFAULT, SYSFS_ROOT_DEFAULT };
	struct mem_view *v;
	struct bin_cache cache;
	struct gd_errbuf eb = { "" };
	struct strbuf verdict;
	struct cmd_http http;
	struct cmd_sources src;
	const char *pprof = NULL;
	bool json = false;
	enum gd_err rc;
	int pid, ret;

	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "one JSON object"),
		OPT_PPROF_URL(&pprof),
		OPT_HTTP(&http),
		OPT_PROC_ROOT(&src),
		OPT_SYS_ROOT(&src),
		OPT_END(),
	};

	cmd_http_init(&http);
	cmd_sources_init(&src);
	argc = cmd_parse_options("mem", argc, argv, opts);
	if (argc == CMD_OPT_HELP || argc == CMD_OPT_ERROR || argc != 1) {
		if (argc == CMD_OPT_HELP)
			mem_usage(stdout);
		else if (argc > 1)
			error("mem: more than one TARGET ('%s')", argv[1]);
		else if (argc == 0)
			mem_usage(stderr);
		cmd_http_release(&http);
		return argc == CMD_OPT_HELP ? EXIT_OK : EXIT_USAGE;
	}
	if (!cmd_parse_pid("mem", argv[0], &pid)) {
		cmd_http_release(&http);
		return EXIT_USAGE;
	}
	roots.proc = src.proc_root;
	roots.sys = src.sys_root;
	v = xcalloc(1, sizeof(*v));
	v->pprof_base = pprof;
	v->http = &http;
	v->pid = pid;

	procinfo_init(&v->pi);
	rc = procinfo_read(&v->pi, &roots, v->pid, PI_ALL, &eb);
	if (rc != GD_OK) {
		error("mem: %s", eb.msg);
		procinfo_release(&v->pi);
		cmd_http_release(&http);
		free(v);
		return EXIT_UNREADABLE;
	}
	bin_cache_init(&cache);
	rc = process_identify(&cache, roots.proc, v->pid, &v->gp, &eb);
	if (rc == GD_OK) {
		v->is_go = true;
		process_mem_policy(&v->gp, v->pi.kernel_release,
				   (v->pi.have & PI_ENVIRON) ? v->pi.env.val[PENV_GODEBUG] : NULL, &v->ev);
		v->ev_set = true;
	} else {
		snprintf(v->not_go_why, sizeof(v->not_go_why), "%s", eb.msg);
	}
	ruleset_init(&v->rules);
	report_init(&v->rep, argv[0]);
	if (v->pprof_base)
		read_pprof(v);
	rc = judge(v, &eb);
	if (rc != GD_OK) {
		error("mem: %s", eb.msg);
		ret = EXIT_FAIL;
		goto out;
	}

	report_sort(&v->rep);
	strbuf_init(&verdict, 4096);
	verdict_line(v, &verdict);
	if (json)
		render_json(stdout, v, verdict.buf);
	else
		render_text(stdout, v, verdict.buf);
	ret = first_problem(v) || mem_partial(v) ? EXIT_FAIL : EXIT_OK;
	strbuf_release(&verdict);
out:
	report_release(&v->rep);
	ruleset_release(&v->rules);
	if (v->ev_set)
		godebug_eval_release(&v->ev);
	procinfo_release(&v->pi);
	bin_cache_release(&cache);
	cmd_http_release(&http);
	free(v);
	return ret;
}
