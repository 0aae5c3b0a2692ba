/* SPDX-License-Identifier: MIT */
/* Tests for remote/expvar: real /debug/vars pages written by
 * tests/scenarios/evidencegen (Go 1.19 and 1.23), and JSON that is not an
 * expvar page, damaged, or hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_lib.h"

#include "remote/expvar.h"
#include "util/banned.h"


#define HAS(ms, f) (((ms).known >> (f)) & 1)

static void test_real(void **state)
{
	static const struct {
		const char *file, *arg0;
		uint64_t sys, released, last_gc;
	} cases[] = {
		{ "tests/fixtures/expvar/vars-go1.19.json", "/tmp/evgen", 36287752, 3915776, 0 },
		{ "tests/fixtures/expvar/vars-go1.23.json", "/tmp/evgen123", 29971720, 4243456,
		  1795688229357430758ull },
	};
	(void)state;
	for (size_t c = 0; c < 2; c++) {
		size_t len;
		char *buf = slurp(cases[c].file, &len);
		struct expvar_vars v;
		struct gd_errbuf eb = { "" };
		uint64_t xsys;

		expvar_vars_init(&v);
		assert_int_equal(expvar_parse(&v, buf, len, cases[c].file, &eb), GD_OK);
		assert_true(v.has_memstats);
		assert_true(v.has_cmdline);
		assert_int_equal(v.ncmdline, 3);
		assert_string_equal(v.cmdline[0], cases[c].arg0);
		assert_string_equal(v.cmdline[1], "-out");
		assert_int_equal(v.memstats.v[MS_SYS], cases[c].sys);
		assert_int_equal(v.memstats.v[MS_HEAP_RELEASED], cases[c].released);
		if (cases[c].last_gc)
			assert_true(v.memstats.v[MS_LAST_GC] == cases[c].last_gc);
		assert_int_equal(v.memstats.v[MS_NUM_GC], 5);
		assert_int_equal(v.bad_values, 0);
		assert_true(v.pause_total_known);
		assert_true(v.memstats.gc_cpu_fraction_known);
		assert_true(v.memstats.debug_gc_known);
		assert_false(v.memstats.debug_gc);
		/* Every MemStats field but MaxRSS (not in the JSON). */
		assert_true(v.memstats.known == (((1ull << MS_NR) - 1) & ~(1ull << MS_MAX_RSS)));
		assert_false(HAS(v.memstats, MS_MAX_RSS));
		/* The runtime's identities hold for what we read. */
		xsys = v.memstats.v[MS_HEAP_SYS] + v.memstats.v[MS_STACK_SYS] + v.memstats.v[MS_MSPAN_SYS] +
		       v.memstats.v[MS_MCACHE_SYS] + v.memstats.v[MS_BUCK_HASH_SYS] +
		       v.memstats.v[MS_GC_SYS] + v.memstats.v[MS_OTHER_SYS];
		assert_true(xsys == v.memstats.v[MS_SYS]);
		assert_true(v.memstats.v[MS_ALLOC] == v.memstats.v[MS_HEAP_ALLOC]);
		expvar_vars_release(&v);
		free(buf);
	}
}

static void test_partial_and_odd(void **state)
{
	static const char odd[] =
		"{\"cmdline\": [\"/srv/app\", 7, \"a\\u0000b\"], \"myapp.requests\": 12,"
		" \"memstats\": {\"Sys\": 100, \"HeapReleased\": -5, \"HeapIdle\": 1.5,"
		" \"HeapInuse\": 3e2, \"NextGC\": \"lots\", \"DebugGC\": 1, \"GCCPUFraction\": 0.25}}";
	static const char only_cmd[] = "{\"cmdline\":[\"x\"]}";
	struct expvar_vars v;
	struct gd_errbuf eb;
	(void)state;
	expvar_vars_init(&v);
	assert_int_equal(expvar_parse(&v, odd, sizeof(odd) - 1, "odd", &eb), GD_OK);
	assert_int_equal(v.nkeys, 3);
	assert_int_equal(v.ncmdline, 3);
	assert_string_equal(v.cmdline[1], "");  /* not a string */
	assert_string_equal(v.cmdline[2], "a"); /* cut at the NUL */
	assert_true(HAS(v.memstats, MS_SYS));
	assert_int_equal(v.memstats.v[MS_SYS], 100);
	assert_false(HAS(v.memstats, MS_HEAP_RELEASED));
	assert_false(HAS(v.memstats, MS_HEAP_IDLE));
	assert_true(HAS(v.memstats, MS_HEAP_INUSE)); /* integral real */
	assert_int_equal(v.memstats.v[MS_HEAP_INUSE], 300);
	assert_false(HAS(v.memstats, MS_NEXT_GC));
	assert_false(v.memstats.debug_gc_known);
	assert_true(v.memstats.gc_cpu_fraction_known);
	assert_int_equal(v.bad_values, 4);
	expvar_vars_release(&v);
	expvar_vars_init(&v);
	assert_int_equal(expvar_parse(&v, only_cmd, sizeof(only_cmd) - 1, "c", &eb), GD_OK);
	assert_false(v.has_memstats);
	assert_true(v.has_cmdline);
	expvar_vars_release(&v);
}

static void test_rejects(void **state)
{
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{ "", "not JSON" },
		{ "[1,2,3]", "not an object" },
		{ "\"memstats\"", "not an object" },
		{ "{\"a\":1}", "without \"memstats\"" },
		{ "{\"memstats\": [1]}", "without \"memstats\"" },
		{ "{\"memstats\": {\"Sys\": 1}", "not JSON (line 1" },
		{ "# runtime.MemStats\n# Sys = 1\n", "not JSON" },
	};
	struct expvar_vars v;
	struct gd_errbuf eb;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expvar_vars_init(&v);
		eb.msg[0] = '\0';
		assert_int_equal(expvar_parse(&v, bad[i].in, strlen(bad[i].in), "vars.json", &eb), GD_EFORMAT);
		if (!strstr(eb.msg, bad[i].msg) || !strstr(eb.msg, "vars.json"))
			fail_msg("case %zu: %s", i, eb.msg);
		assert_false(v.has_memstats);
		expvar_vars_release(&v);
	}
	expvar_vars_init(&v);
	assert_int_equal(expvar_parse(&v, "{}", EXPVAR_MAX_INPUT + 1, "big", &eb), GD_ETOOBIG);
	expvar_vars_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_partial_and_odd),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
