/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "diagnose/memview.h"
#include "test_lib.h"

/* diagnose/memview: the model of `godiag mem` from a captured /proc. */
static void build(struct mem_view *v, int pid, enum gd_err want)
{
	struct mem_request rq;
	struct gd_errbuf eb = { "" };
	mem_request_init(&rq, pid);
	rq.roots.proc = proc_root;
	rq.roots.sys = sys_root;
	assert_int_equal(mem_view_build(v, &rq, &eb), want);
}

static void test_madv_free_process(void **state)
{
	struct mem_view v;
	(void)state;
	build(&v, 123, GD_OK);
	assert_true(v.is_go);
	assert_true(v.rss_known);
	assert_int_equal(v.rss, 1181116416);
	assert_non_null(mem_view_problem(&v));
	assert_string_equal(mem_view_problem(&v)->rule, "rss-held-by-madv-free");
	assert_non_null(strstr(v.verdict, "1.0 GiB of it is LazyFree"));
	assert_false(mem_view_partial(&v));
	mem_view_release(&v);
}

static void test_healthy_and_missing(void **state)
{
	struct mem_view v;
	(void)state;
	build(&v, 124, GD_OK);
	assert_null(mem_view_problem(&v));
	assert_non_null(strstr(v.verdict, "no memory problem"));
	assert_int_equal(v.ev.policy, MEM_POLICY_MADV_DONTNEED);
	mem_view_release(&v);
	build(&v, 200, GD_ENOENT);
	mem_view_release(&v);
	/* a refused pprof URL: partial, with the reason */
	{
		struct mem_request rq;
		struct gd_errbuf eb = { "" };
		mem_request_init(&rq, 124);
		rq.roots.proc = proc_root;
		rq.roots.sys = sys_root;
		rq.pprof_base = "http://127.0.0.1:1";
		rq.fetch.connect_timeout_ms = rq.fetch.total_timeout_ms = 2000;
		assert_int_equal(mem_view_build(&v, &rq, &eb), GD_OK);
		assert_false(v.ms_ok);
		assert_true(mem_view_partial(&v));
		assert_string_equal(v.heap_url, "http://127.0.0.1:1/debug/pprof/heap?debug=1");
		assert_true(v.pprof_why[0] != '\0');
		mem_view_release(&v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madv_free_process),
		cmocka_unit_test(test_healthy_and_missing),
	};
	return cmocka_run_group_tests(tests, fixture_roots_setup, NULL);
}
