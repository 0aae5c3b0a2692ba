/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diagnose/memrules.h"
#include "util/human.h"
#include "util/banned.h"

void mem_facts_init(struct mem_facts *f, const struct procinfo *pi, const struct go_memstats *ms,
		    const struct godebug_eval *policy, const char *go_version, bool is_go)
{
	memset(f, 0, sizeof(*f));
	f->pi = pi;
	f->ms = ms;
	f->policy = policy;
	f->go_version = go_version;
	f->is_go = is_go;
}

bool memrule_kind(enum rule_kind k)
{
	return k == RULE_MADV_FREE || k == RULE_HEAP_IDLE || k == RULE_RSS_OUTSIDE || k == RULE_THP ||
	       k == RULE_CGROUP_LIMIT;
}

static bool st_has(const struct mem_facts *f, enum proc_status_field fld)
{
	return f->pi && (f->pi->status.known >> fld) & 1;
}

static bool sm_has(const struct mem_facts *f, enum proc_smaps_field fld)
{
	return f->pi && (f->pi->smaps.known >> fld) & 1;
}

static bool ms_has(const struct mem_facts *f, enum go_memstats_field fld)
{
	return f->ms && (f->ms->known >> fld) & 1;
}

/* VmRSS, or the smaps Rss sum when status lacks it. */
static bool rss_of(const struct mem_facts *f, uint64_t *rss)
{
	if (st_has(f, PST_VMRSS)) {
		*rss = f->pi->status.v[PST_VMRSS];
		return true;
	}
	if (sm_has(f, SM_RSS)) {
		*rss = f->pi->smaps.v[SM_RSS];
		return true;
	}
	return false;
}

bool memrule_passes(const struct rule *r, uint64_t value, uint64_t base)
{
	return value >= r->min_bytes && (double)value >= r->min_ratio * (double)base;
}

static bool split_of(const struct mem_facts *f, struct go_mem_split *split)
{
	uint64_t lazy = sm_has(f, SM_LAZYFREE) ? f->pi->smaps.v[SM_LAZYFREE] : 0;

	if (!st_has(f, PST_RSSANON) || !f->ms)
		return false;
	return go_mem_split_compute(f->ms, f->pi->status.v[PST_RSSANON], true, lazy, split) &&
	       split->non_go_known;
}

bool memrule_eval(const struct rule *r, const struct mem_facts *f, struct mem_hit *out)
{
	const struct proc_cgroup *cg;
	struct go_mem_split split;
	uint64_t v, base;

	switch (r->kind) {
	case RULE_MADV_FREE:
		if (!sm_has(f, SM_LAZYFREE) || !rss_of(f, &base))
			return false;
		v = f->pi->smaps.v[SM_LAZYFREE];
		break;
	case RULE_HEAP_IDLE:
		if (!ms_has(f, MS_HEAP_IDLE) || !ms_has(f, MS_HEAP_RELEASED) || !ms_has(f, MS_HEAP_SYS) ||
		    f->ms->v[MS_HEAP_IDLE] < f->ms->v[MS_HEAP_RELEASED])
			return false;
		v = f->ms->v[MS_HEAP_IDLE] - f->ms->v[MS_HEAP_RELEASED];
		base = f->ms->v[MS_HEAP_SYS];
		break;
	case RULE_RSS_OUTSIDE:
		if (!split_of(f, &split))
			return false;
		v = split.non_go;
		base = f->pi->status.v[PST_RSSANON];
		break;
	case RULE_THP:
		if (!sm_has(f, SM_ANON_HUGE))
			return false;
		v = f->pi->smaps.v[SM_ANON_HUGE];
		if (sm_has(f, SM_ANONYMOUS))
			base = f->pi->smaps.v[SM_ANONYMOUS];
		else if (st_has(f, PST_RSSANON))
			base = f->pi->status.v[PST_RSSANON];
		else
			return false;
		break;
	case RULE_CGROUP_LIMIT:
		if (!f->pi)
			return false;
		cg = &f->pi->cgroup;
		if (!((cg->known >> CG_CURRENT) & 1) || !((cg->known >> CG_MAX) & 1) || cg->unlimited ||
		    !cg->v[CG_MAX])
			return false;
		v = cg->v[CG_CURRENT];
		base = cg->v[CG_MAX];
		break;
	default:
		return false;
	}
	if (!memrule_passes(r, v, base))
		return false;
	out->rule = r;
	out->value = v;
	out->base = base;
	return true;
}

size_t memrules_eval(const struct ruleset *rs, const struct mem_facts *f, struct mem_hit *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n && n < max; i++)
		if (memrule_kind(rs->rules[i].kind) && memrule_eval(&rs->rules[i], f, &out[n]))
			n++;
	return n;
}

static bool go_before_116(const struct mem_facts *f)
{
	struct go_version gv;

	return f->go_version && go_version_parse(f->go_version, &gv) && !go_version_at_least(&gv, 1, 16, 0);
}

const char *memrules_policy_fix(const struct mem_facts *f)
{
	const char *why = f->policy ? f->policy->reason : "";

	if (!f->is_go)
		return "none needed; the kernel reclaims them on demand";
	if (go_before_116(f))
		return "GODEBUG=madvdontneed=1 or Go >= 1.16";
	if (strstr(why, "environment"))
		return "remove madvdontneed=0 from the GODEBUG it is started with "
		       "(Go >= 1.16 defaults to MADV_DONTNEED)";
	if (strstr(why, "godebugDefault"))
		return "drop madvdontneed=0 from -X runtime.godebugDefault in the build's -ldflags, "
		       "or start it with GODEBUG=madvdontneed=1";
	if (strstr(why, "DefaultGODEBUG"))
		return "drop madvdontneed=0 from go.mod godebug / //go:debug, or start it with "
		       "GODEBUG=madvdontneed=1";
	return "GODEBUG=madvdontneed=1";
}

static void bytes_var(struct rule_var *v, size_t *n, const char *name, uint64_t bytes)
{
	char b[64];

	human_bytes(b, sizeof(b), bytes);
	rule_var_set(v, n, name, "%s", b);
}

static void add_hit(const struct mem_hit *h, const struct mem_facts *f, struct report *r)
{
	const struct rule *rule = h->rule;
	const char *mss = f->memstats_source ? f->memstats_source : "MemStats";
	const char *smaps = f->pi && f->pi->smaps.source == SMAPS_SUMMED ? "/proc/PID/smaps (summed)"
									   : "/proc/PID/smaps_rollup";
	struct rule_var vars[12];
	size_t nv = 0;
	struct go_mem_split split;
	struct finding *fi;
	char pct[32];

	snprintf(pct, sizeof(pct), "%.0f%%", h->base ? 100.0 * (double)h->value / (double)h->base : 0.0);
	rule_var_set(vars, &nv, "percent", "%s", pct);
	switch (rule->kind) {
	case RULE_MADV_FREE:
		bytes_var(vars, &nv, "rss", h->base);
		bytes_var(vars, &nv, "lazyfree", h->value);
		rule_var_set(vars, &nv, "policy_reason", "%s",
			     !f->is_go ? "by the allocator"
			     : f->policy && f->policy->reason[0] ? f->policy->reason
								   : "the runtime's memory policy");
		rule_var_set(vars, &nv, "policy_fix", "%s", memrules_policy_fix(f));
		fi = rule_add_finding(r, rule, rule->confidence, vars, nv);
		finding_add_evidence(fi, "VmRSS", (double)h->base, "bytes", "/proc/PID/status");
		finding_add_evidence(fi, "LazyFree", (double)h->value, "bytes", smaps);
		if (st_has(f, PST_RSSANON))
			finding_add_evidence(fi, "RssAnon", (double)f->pi->status.v[PST_RSSANON], "bytes",
					     "/proc/PID/status");
		if (ms_has(f, MS_HEAP_INUSE))
			finding_add_evidence(fi, "Go heap in use (HeapInuse)", (double)f->ms->v[MS_HEAP_INUSE],
					     "bytes", mss);
		if (ms_has(f, MS_HEAP_RELEASED))
			finding_add_evidence(fi, "HeapReleased (counted released, still resident)",
					     (double)f->ms->v[MS_HEAP_RELEASED], "bytes", mss);
		if (f->policy)
			finding_add_fact(fi, "memory policy in force", mem_policy_name(f->policy->policy),
					 f->policy->reason);
		if (f->go_version)
			finding_add_fact(fi, "Go version", f->go_version, "ELF build info");
		if (f->pi && f->pi->kernel_release[0])
			finding_add_fact(fi, "kernel", f->pi->kernel_release, "/proc/sys/kernel/osrelease");
		break;
	case RULE_HEAP_IDLE:
		bytes_var(vars, &nv, "idle", h->value);
		bytes_var(vars, &nv, "heap_sys", h->base);
		rule_var_set(vars, &nv, "rss_clause", "HeapSys %s", vars[nv - 1].value);
		fi = rule_add_finding(r, rule, rule->confidence, vars, nv);
		finding_add_evidence(fi, "HeapIdle - HeapReleased", (double)h->value, "bytes", mss);
		finding_add_evidence(fi, "HeapSys", (double)h->base, "bytes", mss);
		finding_add_evidence(fi, "HeapReleased", (double)f->ms->v[MS_HEAP_RELEASED], "bytes", mss);
		break;
	case RULE_RSS_OUTSIDE: {
		uint64_t rss = 0;
		split_of(f, &split);
		if (!rss_of(f, &rss))
			rss = h->base;
		bytes_var(vars, &nv, "rss", rss);
		bytes_var(vars, &nv, "anon", h->base);
		bytes_var(vars, &nv, "sys", ms_has(f, MS_SYS) ? f->ms->v[MS_SYS] : 0);
		bytes_var(vars, &nv, "outside", h->value);
		fi = rule_add_finding(r, rule, rule->confidence, vars, nv);
		finding_add_evidence(fi, "RssAnon", (double)h->base, "bytes", "/proc/PID/status");
		finding_add_evidence(fi, "Go retained (Sys - HeapReleased)", (double)split.go_retained, "bytes", mss);
		finding_add_evidence(fi, "resident outside the Go runtime", (double)h->value, "bytes", "computed");
		if (sm_has(f, SM_LAZYFREE) && f->pi->smaps.v[SM_LAZYFREE])
			finding_add_evidence(fi, "LazyFree", (double)f->pi->smaps.v[SM_LAZYFREE], "bytes", smaps);
		if (st_has(f, PST_THREADS))
			finding_add_evidence(fi, "OS threads", (double)f->pi->status.v[PST_THREADS], "threads",
					     "/proc/PID/status");
		break;
	}
	case RULE_THP: {
		const struct sys_thp *t = &f->pi->thp;
		bytes_var(vars, &nv, "anon_huge", h->value);
		bytes_var(vars, &nv, "anon", h->base);
		rule_var_set(vars, &nv, "thp_enabled", "%s", t->enabled_known ? t->enabled : "?");
		rule_var_set(vars, &nv, "max_ptes_none", "%s",
			     !t->max_ptes_none_known ? "?" : t->max_ptes_none ? "non-zero" : "0");
		fi = rule_add_finding(r, rule, rule->confidence, vars, nv);
		finding_add_evidence(fi, "AnonHugePages", (double)h->value, "bytes", smaps);
		finding_add_evidence(fi, "anonymous RSS", (double)h->base, "bytes", smaps);
		if (t->enabled_known)
			finding_add_fact(fi, "THP enabled", t->enabled, "/sys/kernel/mm/transparent_hugepage/enabled");
		break;
	}
	case RULE_CGROUP_LIMIT:
		bytes_var(vars, &nv, "current", h->value);
		bytes_var(vars, &nv, "max", h->base);
		fi = rule_add_finding(r, rule, rule->confidence, vars, nv);
		finding_add_evidence(fi, "cgroup memory in use", (double)h->value, "bytes", "memory.current");
		finding_add_evidence(fi, "cgroup memory limit", (double)h->base, "bytes", "memory.max");
		break;
	default:
		break;
	}
}

size_t memrules_run(const struct ruleset *rs, const struct mem_facts *f, struct report *r)
{
	struct mem_hit hits[RULES_MAX_RULES];
	size_t n = memrules_eval(rs, f, hits, RULES_MAX_RULES);

	for (size_t i = 0; i < n; i++)
		add_hit(&hits[i], f, r);
	return n;
}
