/* SPDX-License-Identifier: MIT */
/* Tests for remote/promtext: the /metrics exposition evidencegen writes
 * from a real runtime.MemStats with client_golang's names (Go 1.19, 1.23),
 * checked against the same process's expvar where they must agree, and the
 * grammar's corners (escapes, NaN/Inf, timestamps, junk lines). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_lib.h"

#include "remote/promtext.h"
#include "util/banned.h"


#define HAS(ms, f) (((ms).known >> (f)) & 1)

static void test_real(void **state)
{
	size_t len;
	char *buf = slurp("tests/fixtures/metrics/metrics-go1.19.txt", &len);
	struct prom_set s;
	struct gd_errbuf eb = { "" };
	struct go_memstats ms;
	struct prom_go_info info;
	const struct prom_sample *smp;
	(void)state;
	prom_set_init(&s);
	assert_int_equal(prom_parse(&s, buf, len, "metrics", &eb), GD_OK);
	assert_int_equal(s.bad_lines, 0);
	assert_int_equal(s.ntype, 31);
	smp = prom_get(&s, "go_goroutines", NULL);
	assert_non_null(smp);
	assert_int_equal(smp->type, PROM_GAUGE);
	assert_true(smp->value == 1.0);
	smp = prom_get(&s, "go_gc_duration_seconds", "quantile=0.5");
	assert_non_null(smp);
	assert_int_equal(smp->type, PROM_SUMMARY);
	assert_true(fabs(smp->value - 8.1361e-05) < 1e-12);
	assert_int_equal(prom_get(&s, "go_gc_duration_seconds_count", NULL)->type, PROM_SUMMARY);
	smp = prom_get(&s, "http_request_duration_seconds_bucket", "handler=/api,le=+Inf");
	assert_non_null(smp);
	assert_int_equal(smp->type, PROM_HISTOGRAM);
	assert_true(smp->value == 7.0);
	assert_null(prom_get(&s, "http_request_duration_seconds_bucket", "handler=/other"));
	assert_null(prom_get(&s, "go_goroutines", "x"));
	/* Escapes, NaN and a timestamp. */
	smp = prom_get(&s, "app_weird", NULL);
	assert_non_null(smp);
	assert_string_equal(prom_label(smp, "path"), "/a\"b\\c\nd");
	assert_true(isnan(smp->value));
	assert_true(smp->has_timestamp);
	assert_true(smp->timestamp_ms == 1700000000000LL);

	assert_true(prom_to_memstats(&s, &ms, &info));
	assert_int_equal(ms.v[MS_SYS], 36287752);
	assert_int_equal(ms.v[MS_HEAP_RELEASED], 3842048);
	assert_int_equal(ms.v[MS_STACK_INUSE], 294912);
	assert_int_equal(ms.v[MS_NEXT_GC], 37561264);
	assert_int_equal(ms.v[MS_NUM_GC], 5);
	assert_true(HAS(ms, MS_LAST_GC));
	assert_false(HAS(ms, MS_MAX_RSS));
	/* Everything client_golang exports that MemStats has. */
	assert_true(ms.known == (((1ull << MS_NR) - 1) & ~(1ull << MS_MAX_RSS) & ~(1ull << MS_NUM_FORCED_GC)));
	assert_true(ms.v[MS_HEAP_SYS] == ms.v[MS_HEAP_INUSE] + ms.v[MS_HEAP_IDLE]);
	assert_true(info.has_goroutines && info.goroutines == 1);
	assert_true(info.has_threads && info.threads == 6);
	assert_true(info.has_rss && info.rss_bytes == 13062144);
	assert_string_equal(info.go_version, "go1.19.8");
	prom_set_release(&s);
	free(buf);

	buf = slurp("tests/fixtures/metrics/metrics-go1.23.txt", &len);
	prom_set_init(&s);
	assert_int_equal(prom_parse(&s, buf, len, "metrics", &eb), GD_OK);
	assert_true(prom_to_memstats(&s, &ms, &info));
	assert_string_equal(info.go_version, "go1.23.5");
	prom_set_release(&s);
	free(buf);
}

static void test_grammar(void **state)
{
	static const char txt[] =
		"# a comment\r\n"
		"# TYPE rpc_total counter\r\n"
		"rpc_total{code=\"200\" , method=\"GET\",} 10 -5\r\n"
		"rpc_total{code=\"500\"} +Inf\r\n"
		"  indented_ok 1.5e3\r\n"
		"neg -Inf\r\n"
		"bad{=\"x\"} 1\r\n"
		"bad2{a=\"x} 1\r\n"
		"bad3 0x10\r\n"
		"bad4 1 2 3\r\n"
		"bad5 1 notatime\r\n"
		"9bad 1\r\n"
		"odd_escape{a=\"x\\ty\"} 2\r\n"
		"go_memstats_sys_bytes NaN\r\n"
		"go_memstats_heap_released_bytes -1\r\n"
		"go_memstats_next_gc_bytes 1e300\r\n"
		"go_memory_classes_heap_released_bytes 77\r\n"
		"go_memory_classes_total_bytes 88\r\n";
	struct prom_set s;
	struct gd_errbuf eb;
	const struct prom_sample *smp;
	struct go_memstats ms;
	(void)state;
	prom_set_init(&s);
	assert_int_equal(prom_parse(&s, txt, sizeof(txt) - 1, "t", &eb), GD_OK);
	assert_int_equal(s.bad_lines, 6);
	assert_true(strstr(s.bad_line_msg, "line 7") != NULL);
	smp = prom_get(&s, "rpc_total", "method=GET");
	assert_non_null(smp);
	assert_int_equal(smp->type, PROM_COUNTER);
	assert_int_equal(smp->nlabels, 2);
	assert_true(smp->timestamp_ms == -5);
	assert_true(isinf(prom_get(&s, "rpc_total", "code=500")->value));
	assert_true(prom_get(&s, "indented_ok", NULL)->value == 1500.0);
	assert_int_equal(prom_get(&s, "indented_ok", NULL)->type, PROM_UNTYPED);
	assert_true(prom_get(&s, "neg", NULL)->value < 0);
	assert_string_equal(prom_label(prom_get(&s, "odd_escape", NULL), "a"), "x\\ty");
	/* NaN, negative and absurd values stay unknown; the runtime/metrics
	 * names fill what the classic ones do not give. */
	assert_true(prom_to_memstats(&s, &ms, NULL));
	assert_int_equal(ms.v[MS_HEAP_RELEASED], 77);
	assert_int_equal(ms.v[MS_SYS], 88);
	assert_false(HAS(ms, MS_NEXT_GC));
	prom_set_release(&s);
}

static void test_rejects(void **state)
{
	static const char *const bad[] = {
		"", "\n\n", "hello world\n", "{\"memstats\":{}}\n", "goroutine 1 [running]:\n",
	};
	struct prom_set s;
	struct gd_errbuf eb;
	struct go_memstats ms;
	struct prom_go_info info;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		prom_set_init(&s);
		eb.msg[0] = '\0';
		assert_int_equal(prom_parse(&s, bad[i], strlen(bad[i]), "m.txt", &eb), GD_EFORMAT);
		assert_true(strstr(eb.msg, "m.txt") != NULL);
		assert_false(prom_to_memstats(&s, &ms, &info));
		assert_false(info.has_goroutines);
		prom_set_release(&s);
	}
	prom_set_init(&s);
	assert_int_equal(prom_parse(&s, "", PROM_MAX_INPUT + 1, "big", &eb), GD_ETOOBIG);
	prom_set_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
