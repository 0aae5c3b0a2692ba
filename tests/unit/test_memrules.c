/* SPDX-License-Identifier: MIT */
/* The memory rules that mem, ps and doctor share: each built-in rule on
 * both sides of its bar (bytes and ratio), what it cannot judge, and the
 * finding it writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "diagnose/memrules.h"

#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)

static struct ruleset rs;

static int setup(void **state)
{
	struct gd_errbuf eb = { "" };
	(void)state;
	ruleset_init(&rs);
	return ruleset_load_builtin(&rs, &eb) == GD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ruleset_release(&rs);
	return 0;
}

static const struct rule *rule(const char *id)
{
	const struct rule *r = ruleset_find(&rs, id);
	assert_non_null(r);
	return r;
}

static void pi_status(struct procinfo *pi, enum proc_status_field f, uint64_t v)
{
	pi->status.known |= 1u << f;
	pi->status.v[f] = v;
}

static void pi_smaps(struct procinfo *pi, enum proc_smaps_field f, uint64_t v)
{
	pi->smaps.known |= 1u << f;
	pi->smaps.v[f] = v;
}

static void ms_set(struct go_memstats *ms, enum go_memstats_field f, uint64_t v)
{
	ms->known |= 1ull << f;
	ms->v[f] = v;
}

static bool fires(const char *id, const struct procinfo *pi, const struct go_memstats *ms)
{
	struct mem_facts f;
	struct mem_hit h;
	mem_facts_init(&f, pi, ms, NULL, "go1.21.0", true);
	return memrule_eval(rule(id), &f, &h);
}

/* The bars chosen in docs/rules.md ("Memory rules"). */
static void test_thresholds_are_the_documented_ones(void **state)
{
	(void)state;
	assert_int_equal(rule("rss-held-by-madv-free")->min_bytes, 64 * MIB);
	assert_true(rule("rss-held-by-madv-free")->min_ratio == 0.10);
	assert_int_equal(rule("heap-idle-not-released")->min_bytes, 256 * MIB);
	assert_true(rule("heap-idle-not-released")->min_ratio == 0.25);
	assert_int_equal(rule("rss-outside-go-heap")->min_bytes, 256 * MIB);
	assert_true(rule("rss-outside-go-heap")->min_ratio == 0.25);
	assert_int_equal(rule("thp-inflation")->min_bytes, 64 * MIB);
	assert_true(rule("thp-inflation")->min_ratio == 0.20);
	assert_int_equal(rule("cgroup-near-limit")->min_bytes, 0);
	assert_true(rule("cgroup-near-limit")->min_ratio == 0.90);
}

static void test_madv_free(void **state)
{
	struct procinfo pi;
	(void)state;
	procinfo_init(&pi);
	pi_status(&pi, PST_VMRSS, GIB);
	pi_smaps(&pi, SM_LAZYFREE, GIB / 10 + 1); /* just over a tenth, over 64 MiB */
	assert_true(fires("rss-held-by-madv-free", &pi, NULL));
	pi_smaps(&pi, SM_LAZYFREE, GIB / 10 - 1024); /* just under a tenth */
	assert_false(fires("rss-held-by-madv-free", &pi, NULL));
	/* ratio met but under 64 MiB */
	pi_status(&pi, PST_VMRSS, 100 * MIB);
	pi_smaps(&pi, SM_LAZYFREE, 64 * MIB - 1);
	assert_false(fires("rss-held-by-madv-free", &pi, NULL));
	pi_smaps(&pi, SM_LAZYFREE, 64 * MIB);
	assert_true(fires("rss-held-by-madv-free", &pi, NULL));
	/* no VmRSS: the smaps Rss sum stands in */
	pi.status.known = 0;
	pi_smaps(&pi, SM_RSS, 100 * MIB);
	assert_true(fires("rss-held-by-madv-free", &pi, NULL));
	/* no LazyFree known: cannot judge */
	pi.smaps.known &= ~(1u << SM_LAZYFREE);
	assert_false(fires("rss-held-by-madv-free", &pi, NULL));
	assert_false(fires("rss-held-by-madv-free", NULL, NULL));
	procinfo_release(&pi);
}

static void test_heap_idle(void **state)
{
	struct go_memstats ms;
	(void)state;
	memset(&ms, 0, sizeof(ms));
	ms_set(&ms, MS_HEAP_SYS, 2 * GIB);
	ms_set(&ms, MS_HEAP_RELEASED, 100 * MIB);
	ms_set(&ms, MS_HEAP_IDLE, 100 * MIB + 512 * MIB); /* a quarter of HeapSys */
	assert_true(fires("heap-idle-not-released", NULL, &ms));
	ms_set(&ms, MS_HEAP_IDLE, 100 * MIB + 512 * MIB - 1);
	assert_false(fires("heap-idle-not-released", NULL, &ms));
	/* ratio met, under 256 MiB */
	ms_set(&ms, MS_HEAP_SYS, 512 * MIB);
	ms_set(&ms, MS_HEAP_IDLE, 100 * MIB + 256 * MIB - 1);
	assert_false(fires("heap-idle-not-released", NULL, &ms));
	ms_set(&ms, MS_HEAP_IDLE, 100 * MIB + 256 * MIB);
	assert_true(fires("heap-idle-not-released", NULL, &ms));
	/* released above idle (a racy read): no finding */
	ms_set(&ms, MS_HEAP_IDLE, 50 * MIB);
	assert_false(fires("heap-idle-not-released", NULL, &ms));
	assert_false(fires("heap-idle-not-released", NULL, NULL));
}

/* non-Go = RssAnon - (Sys - HeapReleased) - LazyFree */
static void test_rss_outside(void **state)
{
	struct procinfo pi;
	struct go_memstats ms;
	(void)state;
	procinfo_init(&pi);
	memset(&ms, 0, sizeof(ms));
	ms_set(&ms, MS_SYS, 600 * MIB);
	ms_set(&ms, MS_HEAP_INUSE, 400 * MIB);
	ms_set(&ms, MS_HEAP_IDLE, 100 * MIB);
	ms_set(&ms, MS_HEAP_RELEASED, 0);
	pi_status(&pi, PST_VMRSS, GIB);
	pi_status(&pi, PST_RSSANON, GIB); /* non-Go 424 MiB of 1 GiB: over both bars */
	assert_true(fires("rss-outside-go-heap", &pi, &ms));
	/* a quarter of RssAnon exactly: 1 GiB, non-Go 256 MiB */
	ms_set(&ms, MS_SYS, 768 * MIB);
	assert_true(fires("rss-outside-go-heap", &pi, &ms));
	ms_set(&ms, MS_SYS, 768 * MIB + 1);
	assert_false(fires("rss-outside-go-heap", &pi, &ms));
	/* LazyFree is not counted as non-Go */
	ms_set(&ms, MS_SYS, 600 * MIB);
	pi_smaps(&pi, SM_LAZYFREE, 200 * MIB);
	assert_false(fires("rss-outside-go-heap", &pi, &ms));
	/* ratio met (small process), under 256 MiB */
	pi.smaps.known = 0;
	ms_set(&ms, MS_SYS, 100 * MIB);
	pi_status(&pi, PST_RSSANON, 100 * MIB + 256 * MIB - 1);
	assert_false(fires("rss-outside-go-heap", &pi, &ms));
	pi_status(&pi, PST_RSSANON, 100 * MIB + 256 * MIB);
	assert_true(fires("rss-outside-go-heap", &pi, &ms));
	/* no MemStats: cannot judge */
	assert_false(fires("rss-outside-go-heap", &pi, NULL));
	procinfo_release(&pi);
}

static void test_thp(void **state)
{
	struct procinfo pi;
	(void)state;
	procinfo_init(&pi);
	pi_smaps(&pi, SM_ANONYMOUS, GIB);
	pi_smaps(&pi, SM_ANON_HUGE, GIB / 5 + 1);
	assert_true(fires("thp-inflation", &pi, NULL));
	pi_smaps(&pi, SM_ANON_HUGE, GIB / 5 - 1024);
	assert_false(fires("thp-inflation", &pi, NULL));
	pi_smaps(&pi, SM_ANONYMOUS, 100 * MIB);
	pi_smaps(&pi, SM_ANON_HUGE, 64 * MIB - 1);
	assert_false(fires("thp-inflation", &pi, NULL));
	pi_smaps(&pi, SM_ANON_HUGE, 64 * MIB);
	assert_true(fires("thp-inflation", &pi, NULL));
	/* without smaps Anonymous, RssAnon is the base */
	pi.smaps.known &= ~(1u << SM_ANONYMOUS);
	assert_false(fires("thp-inflation", &pi, NULL));
	pi_status(&pi, PST_RSSANON, 320 * MIB);
	assert_true(fires("thp-inflation", &pi, NULL));
	pi_status(&pi, PST_RSSANON, 320 * MIB + 5);
	assert_false(fires("thp-inflation", &pi, NULL));
	procinfo_release(&pi);
}

static void test_cgroup(void **state)
{
	struct procinfo pi;
	(void)state;
	procinfo_init(&pi);
	pi.cgroup.known = 1u << CG_CURRENT | 1u << CG_MAX;
	pi.cgroup.v[CG_MAX] = 1000 * MIB;
	pi.cgroup.v[CG_CURRENT] = 900 * MIB;
	assert_true(fires("cgroup-near-limit", &pi, NULL));
	pi.cgroup.v[CG_CURRENT] = 900 * MIB - 1;
	assert_false(fires("cgroup-near-limit", &pi, NULL));
	pi.cgroup.v[CG_CURRENT] = 999 * MIB;
	pi.cgroup.unlimited = true;
	assert_false(fires("cgroup-near-limit", &pi, NULL));
	pi.cgroup.unlimited = false;
	pi.cgroup.known = 1u << CG_CURRENT;
	assert_false(fires("cgroup-near-limit", &pi, NULL));
	procinfo_release(&pi);
}

/* The finding: rule id, expanded summary, the fix that fits the policy,
 * and evidence with the numbers compared. */
static void test_run_writes_findings(void **state)
{
	struct procinfo pi;
	struct godebug_eval ev;
	struct mem_facts f;
	struct report r;
	(void)state;
	procinfo_init(&pi);
	memset(&ev, 0, sizeof(ev));
	ev.policy = MEM_POLICY_MADV_FREE;
	snprintf(ev.reason, sizeof(ev.reason), "madvdontneed=0 from the environment's GODEBUG");
	pi_status(&pi, PST_VMRSS, GIB);
	pi_smaps(&pi, SM_LAZYFREE, 600 * MIB);
	pi.cgroup.known = 1u << CG_CURRENT | 1u << CG_MAX;
	pi.cgroup.v[CG_MAX] = GIB;
	pi.cgroup.v[CG_CURRENT] = GIB - MIB;
	mem_facts_init(&f, &pi, NULL, &ev, "go1.21.0", true);
	report_init(&r, "test");
	assert_int_equal(memrules_run(&rs, &f, &r), 2);
	assert_string_equal(r.findings[0].rule, "rss-held-by-madv-free");
	assert_non_null(strstr(r.findings[0].summary, "600 MiB of it is LazyFree"));
	assert_non_null(strstr(r.findings[0].fix, "remove madvdontneed=0 from the GODEBUG"));
	assert_true(r.findings[0].nevidence >= 2);
	assert_true(r.findings[0].evidence[1].value == (double)(600 * MIB));
	assert_string_equal(r.findings[1].rule, "cgroup-near-limit");
	assert_null(strchr(r.findings[1].summary, '{'));
	report_release(&r);
	/* Go 1.14: the advice is the version or the knob */
	mem_facts_init(&f, &pi, NULL, &ev, "go1.14.15", true);
	assert_string_equal(memrules_policy_fix(&f), "GODEBUG=madvdontneed=1 or Go >= 1.16");
	mem_facts_init(&f, &pi, NULL, NULL, NULL, false);
	assert_non_null(strstr(memrules_policy_fix(&f), "none needed"));
	procinfo_release(&pi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thresholds_are_the_documented_ones),
		cmocka_unit_test(test_madv_free),
		cmocka_unit_test(test_heap_idle),
		cmocka_unit_test(test_rss_outside),
		cmocka_unit_test(test_thp),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_run_writes_findings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
