/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "diagnose/psview.h"
#include "test_lib.h"

/* diagnose/psview: the rows of `godiag ps` from a captured /proc. */
static void test_rows(void **state)
{
	struct ps_request rq = { 0 };
	struct ps_view v;
	struct gd_errbuf eb = { "" };
	(void)state;
	rq.proc_root = proc_root;
	rq.sys_root = sys_root;
	assert_int_equal(ps_view_build(&v, &rq, &eb), GD_OK);
	assert_int_equal(v.n, 3);
	assert_int_equal(v.rows[0].gp.pid, 123);
	assert_string_equal(ps_row_module(&v.rows[0]), "example.com/billing");
	assert_int_equal(v.rows[0].nhits, 1);
	assert_string_equal(v.rows[0].hits[0].rule->id, "rss-held-by-madv-free");
	assert_true(v.rows[0].tcp_known);
	assert_int_equal(v.rows[0].tcp.listening, 2);
	assert_int_equal(v.rows[1].nhits, 0);
	assert_false(v.rows[1].tcp_known);
	assert_true(ps_row_partial(&v.rows[1]));
	assert_true(v.rows[1].tcp_why[0] != '\0');
	ps_view_release(&v);
	rq.proc_root = "/nonexistent/proc";
	assert_int_not_equal(ps_view_build(&v, &rq, &eb), GD_OK);
	assert_non_null(strstr(eb.msg, "/nonexistent/proc"));
	ps_view_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};
	return cmocka_run_group_tests(tests, fixture_roots_setup, NULL);
}
