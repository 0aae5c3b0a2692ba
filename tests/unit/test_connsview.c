/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "diagnose/connsview.h"
#include "test_lib.h"

/* diagnose/connsview: grouping a recorded sock_diag dump (the loopback
 * fixture: listeners on :47001 (v4) and :47002 (v6), three connections to
 * each, and the client ends of them). */
static void test_groups(void **state)
{
	char rec[4200];
	struct sock_opts o = { 0 };
	struct conns_view v;
	struct gd_errbuf eb = { "" };
	size_t inbound = 0, outbound = 0, sum = 0;
	(void)state;
	snprintf(rec, sizeof(rec), "%s/netlink/loopback.bin", fix_root);
	o.replay_file = rec;
	assert_int_equal(conns_view_build(&v, &o, (int)loopback_expect("pid"), 0, &eb), GD_OK);
	assert_true(v.list.idle_known);
	assert_int_equal(v.totals.listening, 2);
	for (size_t i = 0; i < v.n; i++) {
		const struct conn_group *g = &v.groups[i];
		inbound += g->inbound;
		outbound += !g->inbound;
		sum += g->st.n;
		if (g->inbound)
			assert_int_equal(g->nlisteners, 1);
		if (i && g->inbound) /* inbound groups come first */
			assert_true(v.groups[i - 1].inbound);
	}
	assert_int_equal(inbound, 2);
	assert_true(outbound >= 2);
	assert_int_equal(sum, v.totals.total - v.totals.listening);
	conns_view_release(&v);

	/* --min-idle 1 h hides every connection of a fresh recording */
	assert_int_equal(conns_view_build(&v, &o, (int)loopback_expect("pid"), 3600000, &eb), GD_OK);
	assert_int_equal(v.filtered_out, v.totals.total - v.totals.listening);
	conns_view_release(&v);
}

static void test_bad_recording(void **state)
{
	struct sock_opts o = { .replay_file = "/nonexistent.bin" };
	struct conns_view v;
	struct gd_errbuf eb = { "" };
	(void)state;
	assert_int_not_equal(conns_view_build(&v, &o, 1, 0, &eb), GD_OK);
	assert_non_null(strstr(eb.msg, "/nonexistent.bin"));
	conns_view_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_bad_recording),
	};
	return cmocka_run_group_tests(tests, fixture_roots_setup, NULL);
}
