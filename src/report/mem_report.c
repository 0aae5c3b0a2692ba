/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "report/emit.h"
#include "report/mem_report.h"
#include "util/human.h"
#include "util/banned.h"

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

/* One line of the RSS table: label indented by depth, the size right-
 * aligned, a comment; in JSON just key: bytes. */
static void line(struct emitter *e, const char *key, int indent, const char *label, bool known, uint64_t v,
		 const char *comment)
{
	char fmt[256];

	snprintf(fmt, sizeof(fmt), "%*s%-*s %%10s%s%s\n", indent, "", 22 - indent, label, comment ? "  " : "",
		 comment ? comment : "");
	emit_bytes(e, EMIT_ANY, key, fmt, known, v);
}

static void header(struct emitter *e, const struct mem_view *v)
{
	const struct procinfo *pi = &v->pi;
	const struct go_buildinfo *bi = v->is_go ? &v->gp.bin->bi : NULL;

	emit_int(e, EMIT_ANY, "pid", "pid %s", v->pid);
	emit_string(e, EMIT_JSON, "name", NULL, st_has(pi, PST_NAME) ? pi->status.name : NULL);
	if (st_has(pi, PST_NAME))
		emit_string(e, EMIT_TEXT, NULL, " (%s)", pi->status.name);
	emit_object_begin(e, "go");
	emit_bool(e, EMIT_JSON, "is_go", NULL, v->is_go);
	if (bi) {
		emit_string(e, EMIT_JSON, "version", NULL, bi->go_version);
		emit_string(e, EMIT_TEXT, NULL, "  %s", bi->go_version ? bi->go_version : "go?");
		emit_string(e, EMIT_JSON, "path", NULL, bi->path);
		emit_string(e, EMIT_JSON, "module", NULL, bi->mod_path);
		emit_string(e, EMIT_TEXT, NULL, "  %s\n", bi->mod_path ? bi->mod_path : bi->path ? bi->path : "");
		emit_string(e, EMIT_JSON, "exe", NULL, v->gp.exe);
		emit_bool(e, EMIT_JSON, "verified", NULL, v->gp.verified);
	} else {
		emit_string(e, EMIT_ANY, "why", "  not a Go process: %s\n", v->not_go_why);
	}
	emit_object_end(e);
	emit_string(e, EMIT_ANY, "kernel_release", pi->kernel_release[0] ? "kernel %s\n" : NULL,
		    pi->kernel_release[0] ? pi->kernel_release : NULL);
	emit_text(e, "\n");
}

static void rss(struct emitter *e, const struct mem_view *v)
{
	const struct procinfo *pi = &v->pi;

	emit_object_begin(e, "rss");
	line(e, "rss_bytes", 0, "RSS", v->rss_known, v->rss, NULL);
	line(e, "anon_bytes", 2, "anon", st_has(pi, PST_RSSANON), pi->status.v[PST_RSSANON], NULL);
	line(e, "lazyfree_bytes", 4, "LazyFree", sm_has(pi, SM_LAZYFREE), pi->smaps.v[SM_LAZYFREE],
	     "freed with MADV_FREE, still counted until memory pressure");
	line(e, "anon_huge_bytes", 4, "AnonHugePages", sm_has(pi, SM_ANON_HUGE), pi->smaps.v[SM_ANON_HUGE], NULL);
	line(e, "file_bytes", 2, "file", st_has(pi, PST_RSSFILE), pi->status.v[PST_RSSFILE],
	     "binary, libraries, mapped files");
	line(e, "shmem_bytes", 2, "shmem", st_has(pi, PST_RSSSHMEM), pi->status.v[PST_RSSSHMEM], NULL);
	line(e, "swap_bytes", 0, "swap", st_has(pi, PST_VMSWAP), pi->status.v[PST_VMSWAP], NULL);
	line(e, "hwm_bytes", 0, "peak RSS (VmHWM)", st_has(pi, PST_VMHWM), pi->status.v[PST_VMHWM], NULL);
	emit_bytes(e, EMIT_JSON, "pss_bytes", NULL, sm_has(pi, SM_PSS), pi->smaps.v[SM_PSS]);
	emit_bytes(e, EMIT_JSON, "anonymous_bytes", NULL, sm_has(pi, SM_ANONYMOUS), pi->smaps.v[SM_ANONYMOUS]);
	emit_uint(e, EMIT_JSON, "threads", NULL, st_has(pi, PST_THREADS), pi->status.v[PST_THREADS]);
	emit_string(e, EMIT_JSON, "source", NULL, proc_smaps_source_name(pi->smaps.source));
	if (pi->smaps.source != SMAPS_NONE)
		emit_string(e, EMIT_TEXT, NULL, "(LazyFree and AnonHugePages from %s)\n",
			    pi->smaps.source == SMAPS_ROLLUP ? "smaps_rollup" : "smaps, summed over mappings");
	emit_object_end(e);
}

static void runtime_split(struct emitter *e, const struct mem_view *v)
{
	const struct go_mem_split *sp = &v->split;
	bool madv_free = v->ev_set && v->ev.policy == MEM_POLICY_MADV_FREE;

	emit_string(e, EMIT_JSON, "pprof_url", NULL, v->pprof_base ? v->heap_url : NULL);
	if (v->pprof_base)
		emit_string(e, EMIT_TEXT, NULL, "\nGo runtime (%s)\n", v->heap_url);
	if (v->ms_ok) {
		emit_object_begin(e, "memstats");
		for (int f = 0; f < MS_NR; f++)
			if ((v->ms.known >> f) & 1)
				emit_uint(e, EMIT_JSON, go_memstats_name(f), NULL, true, v->ms.v[f]);
		emit_object_end(e);
	} else {
		emit_null(e, "memstats");
	}
	if (!v->split_ok) {
		emit_null(e, "split");
		if (v->pprof_base)
			emit_string(e, EMIT_TEXT, NULL, "  unavailable: %s\n",
				    v->pprof_why[0] ? v->pprof_why : "no MemStats");
		return;
	}
	emit_object_begin(e, "split");
	line(e, "heap_inuse_bytes", 2, "heap in use", true, sp->heap_inuse, "HeapInuse");
	line(e, "heap_idle_bytes", 2, "heap idle", true, sp->heap_idle, "HeapIdle - HeapReleased");
	/* Released pages leave RSS at once under MADV_DONTNEED; only
	 * MADV_FREE leaves them resident until the kernel wants them. */
	line(e, "heap_released_bytes", 2, "heap released", true, sp->heap_released,
	     madv_free ? "HeapReleased (MADV_FREE'd pages may still be resident)"
		       : "HeapReleased (returned to the OS)");
	line(e, "stacks_bytes", 2, "stacks", true, sp->stacks, "StackSys");
	line(e, "metadata_bytes", 2, "runtime metadata", true, sp->metadata, "MSpan, MCache, BuckHash, GC, Other");
	emit_bytes(e, EMIT_JSON, "go_retained_bytes", NULL, true, sp->go_retained);
	line(e, "non_go_bytes", 2, "non-Go", sp->non_go_known, sp->non_go,
	     "RssAnon - (Sys - HeapReleased) - LazyFree: cgo, mmap, threads");
	emit_text(e, "  (growth of the heap in use is what heap profiles explain: compare two with "
		     "godiag diff A B)\n");
	emit_object_end(e);
}

static void cgroup(struct emitter *e, const struct mem_view *v)
{
	const struct procinfo *pi = &v->pi;
	const struct proc_cgroup *cg = &pi->cgroup;
	bool max_known = cg_has(pi, CG_MAX) && !cg->unlimited;

	if (!(pi->have & PI_CGROUP) && !cg->known) {
		emit_null(e, "cgroup");
		return;
	}
	emit_object_begin(e, "cgroup");
	if (cg->version) {
		emit_int(e, EMIT_ANY, "version", "\ncgroup v%s", cg->version);
		emit_string(e, EMIT_ANY, "path", " %s\n", cg->version == 1 ? cg->v1_path : cg->path);
	} else {
		emit_int(e, EMIT_JSON, "version", NULL, cg->version);
		emit_string(e, EMIT_JSON, "path", NULL, cg->version == 1 ? cg->v1_path : cg->path);
	}
	emit_bytes(e, cg->version ? EMIT_ANY : EMIT_JSON, "current_bytes", "  memory               %10s",
		   cg_has(pi, CG_CURRENT), cg->v[CG_CURRENT]);
	emit_bytes(e, EMIT_JSON, "max_bytes", NULL, max_known, cg->v[CG_MAX]);
	if (cg->version) {
		char lim[32] = "?";
		if (max_known)
			human_bytes(lim, sizeof(lim), cg->v[CG_MAX]);
		else if (cg_has(pi, CG_MAX))
			snprintf(lim, sizeof(lim), "max");
		emit_text(e, " of %s\n", lim);
	}
	emit_bool(e, EMIT_JSON, "unlimited", NULL, cg->unlimited);
	for (int f = CG_ANON; f < CG_NR; f++) {
		char key[48];
		snprintf(key, sizeof(key), "%s_bytes", proc_cg_key(f));
		if (cg->version && f == CG_ANON)
			line(e, key, 2, "anon", cg_has(pi, f), cg->v[f], NULL);
		else if (cg->version && f == CG_FILE)
			line(e, key, 2, "file", cg_has(pi, f), cg->v[f], NULL);
		else
			emit_bytes(e, EMIT_JSON, key, NULL, cg_has(pi, f), cg->v[f]);
	}
	emit_object_end(e);
}

static void settings(struct emitter *e, const struct mem_view *v)
{
	const struct procinfo *pi = &v->pi;
	bool any = false;

	emit_object_begin(e, "thp");
	emit_string(e, EMIT_ANY, "enabled", "\nTHP enabled=%s", pi->thp.enabled_known ? pi->thp.enabled : NULL);
	emit_string(e, EMIT_ANY, "defrag", " defrag=%s", pi->thp.defrag_known ? pi->thp.defrag : NULL);
	emit_uint(e, pi->thp.max_ptes_none_known ? EMIT_ANY : EMIT_JSON, "max_ptes_none", " max_ptes_none=%s",
		  pi->thp.max_ptes_none_known, pi->thp.max_ptes_none);
	emit_text(e, "\n");
	emit_object_end(e);

	if (pi->have & PI_ENVIRON) {
		emit_object_begin(e, "env");
		for (int k = 0; k < PENV_NR; k++) {
			const char *val = pi->env.val[k];
			emit_string(e, EMIT_JSON, proc_env_name(k), NULL, val);
			if (!val)
				continue;
			emit_text(e, "%s%s=", any ? " " : "environment: ", proc_env_name(k));
			emit_string(e, EMIT_TEXT, NULL, "%s", val);
			any = true;
		}
		if (any)
			emit_text(e, "\n");
		emit_object_end(e);
	} else {
		emit_null(e, "env");
	}

	if (v->ev_set) {
		emit_object_begin(e, "policy");
		emit_string(e, EMIT_ANY, "name", "policy %s", mem_policy_name(v->ev.policy));
		emit_string(e, EMIT_ANY, "reason", ": %s\n", v->ev.reason);
		emit_int(e, EMIT_JSON, "madvdontneed", NULL, v->ev.madvdontneed);
		emit_string(e, EMIT_JSON, "effective_godebug", NULL, v->ev.effective);
		emit_object_end(e);
	} else {
		emit_null(e, "policy");
	}
}

static void emit_note(struct emitter *e, const char *what, const char *why)
{
	emit_object_begin(e, NULL);
	emit_string(e, EMIT_ANY, "what", "  %s", what);
	emit_string(e, EMIT_ANY, "why", ": %s\n", why);
	emit_object_end(e);
}

static void verdict(struct emitter *e, const struct mem_view *v)
{
	const struct finding *top = mem_view_problem(v);
	bool partial = mem_view_partial(v);

	emit_array_begin(e, "findings");
	for (size_t i = 0; i < v->rep.nfindings; i++) {
		const struct finding *f = &v->rep.findings[i];
		/* In text the first is the verdict below; the others are "also". */
		emit_object_begin(e, NULL);
		emit_string(e, i ? EMIT_ANY : EMIT_JSON, "id", "also [%s]", f->rule);
		emit_string(e, EMIT_JSON, "severity", NULL, severity_name(f->severity));
		emit_string(e, i ? EMIT_ANY : EMIT_JSON, "text", ": %s\n", f->summary);
		emit_string(e, EMIT_JSON, "fix", NULL, f->fix);
		emit_object_end(e);
	}
	emit_array_end(e);

	emit_array_begin(e, "notes");
	if (partial)
		emit_text(e, "\npartial read:\n");
	if (v->is_go && v->gp.note[0])
		emit_note(e, "exe", v->gp.note);
	for (size_t i = 0; i < v->pi.notes.nr; i++)
		emit_note(e, v->pi.notes.v[i].what, v->pi.notes.v[i].why);
	if (v->pprof_why[0])
		emit_note(e, "pprof", v->pprof_why);
	emit_array_end(e);

	emit_string(e, EMIT_ANY, "verdict", "\nverdict: %s\n", v->verdict);
	emit_string(e, top && top->fix ? EMIT_ANY : EMIT_JSON, "fix", "fix: %s\n", top ? top->fix : NULL);
	emit_bool(e, EMIT_JSON, "problem", NULL, top != NULL);
	emit_bool(e, EMIT_JSON, "partial", NULL, partial);
}

void mem_render(FILE *out, const struct mem_view *v, bool json)
{
	struct emitter e;

	emit_init(&e, out, json);
	emit_object_begin(&e, NULL);
	header(&e, v);
	rss(&e, v);
	runtime_split(&e, v);
	cgroup(&e, v);
	settings(&e, v);
	verdict(&e, v);
	emit_object_end(&e);
	emit_end(&e);
}
