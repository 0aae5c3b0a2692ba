/* SPDX-License-Identifier: MIT */
/* Tests for pprof/heap: real heap profiles written by
 * tests/scenarios/evidencegen (Go 1.19 and 1.23, MemProfileRate 4096, text
 * and proto of the same state, before and after main.growSite kept 2000 x
 * 8 KiB) and by profilegen (rate 1, exact counts), plus damaged and hostile
 * inputs. */
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

#include "pprof/heap.h"
#include "util/banned.h"


static void load(struct heap_profile *hp, const char *rel)
{
	size_t len;
	char *buf = slurp(rel, &len);
	struct gd_errbuf eb = { "" };
	enum gd_err rc;

	heap_profile_init(hp);
	if (strstr(rel, ".pb"))
		rc = heap_profile_from_proto(hp, buf, len, &eb);
	else
		rc = heap_profile_parse_text(hp, buf, len, &eb);
	if (rc != GD_OK)
		fail_msg("%s: %s", rel, eb.msg);
	free(buf);
}

/* In-use bytes of the sites whose innermost frame is `func`. */
static uint64_t site_bytes(const struct heap_profile *hp, const char *func)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < hp->nsites; i++)
		if (hp->sites[i].nframes && !strcmp(hp->sites[i].frames[0].func, func))
			sum += hp->sites[i].inuse_bytes;
	return sum;
}

static void check_text_vs_proto(const char *ver)
{
	char t[128], p[128];
	struct heap_profile a, b;
	struct heap_growth g[4];

	snprintf(t, sizeof(t), "tests/fixtures/heap/heap2-go%s.txt", ver);
	snprintf(p, sizeof(p), "tests/fixtures/heap/heap2-go%s.pb.gz", ver);
	load(&a, t);
	load(&b, p);
	assert_false(a.from_proto);
	assert_true(b.from_proto);
	assert_int_equal(a.sample_rate, 4096);
	assert_int_equal(b.sample_rate, 4096);
	assert_true(a.has_memstats);
	assert_false(b.has_memstats);
	assert_false(a.truncated);
	assert_int_equal(a.nsites, b.nsites);
	/* The text is scaled exactly like Go scales the proto: the totals
	 * agree to rounding (libm vs Go's math.Exp), per site at most 1. */
	assert_true(llabs((long long)(a.totals.inuse_bytes - b.totals.inuse_bytes)) <= (long long)a.nsites);
	assert_true(llabs((long long)(a.totals.alloc_objects - b.totals.alloc_objects)) <= (long long)a.nsites);
	/* And the stacks are normalised alike, so no site "grows" between two
	 * formats of one state. */
	assert_true(heap_profile_growth(&a, &b, g, 4) == 0 || g[0].delta_bytes <= 1);
	assert_true(heap_profile_growth(&b, &a, g, 4) == 0 || g[0].delta_bytes <= 1);
	/* Scaled: 2000 x 8 KiB sampled at 4096 is estimated within 10%. */
	{
		double grown = (double)site_bytes(&a, "main.growSite");
		assert_true(fabs(grown - 2000.0 * 8192) < 0.10 * 2000 * 8192);
		/* The raw header is smaller than the estimate. */
		assert_true(a.header.inuse_bytes < a.totals.inuse_bytes);
	}
	heap_profile_release(&a);
	heap_profile_release(&b);
}

static void test_text_vs_proto_go119(void **state)
{
	(void)state;
	check_text_vs_proto("1.19");
}

static void test_text_vs_proto_go123(void **state)
{
	(void)state;
	check_text_vs_proto("1.23");
}

static void check_growth(const char *before, const char *after)
{
	struct heap_profile a, b;
	struct heap_growth g[8];
	size_t n;

	load(&a, before);
	load(&b, after);
	n = heap_profile_growth(&a, &b, g, 8);
	assert_true(n >= 1);
	assert_string_equal(g[0].site->frames[0].func, "main.growSite");
	assert_string_equal(g[0].site->frames[1].func, "main.main");
	assert_true(strstr(g[0].site->frames[0].file, "evidencegen/main.go") != NULL);
	assert_int_equal(g[0].site->frames[0].line, 61);
	assert_true(g[0].new_site);
	assert_int_equal(g[0].before_bytes, 0);
	assert_true(g[0].delta_bytes > 14 * 1000 * 1000 && g[0].delta_bytes < 19 * 1000 * 1000);
	assert_true(g[0].delta_objects > 1700 && g[0].delta_objects < 2300);
	/* Sorted, and the steady site did not grow enough to show up high. */
	for (size_t i = 1; i < n; i++) {
		assert_true(g[i].delta_bytes <= g[i - 1].delta_bytes);
		assert_true(g[i].delta_bytes > 0);
		if (!strcmp(g[i].site->frames[0].func, "main.steadySite"))
			assert_true(g[i].delta_bytes < 100000);
	}
	/* Nothing grows from a profile to itself; the reverse shows no growSite. */
	assert_int_equal(heap_profile_growth(&b, &b, g, 8), 0);
	n = heap_profile_growth(&b, &a, g, 8);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(g[i].site->frames[0].func, "main.growSite");
	heap_profile_release(&a);
	heap_profile_release(&b);
}

static void test_growth(void **state)
{
	(void)state;
	check_growth("tests/fixtures/heap/heap1-go1.19.txt", "tests/fixtures/heap/heap2-go1.19.txt");
	check_growth("tests/fixtures/heap/heap1-go1.19.pb.gz", "tests/fixtures/heap/heap2-go1.19.pb.gz");
	/* Across formats: text before, proto after. */
	check_growth("tests/fixtures/heap/heap1-go1.19.txt", "tests/fixtures/heap/heap2-go1.19.pb.gz");
	check_growth("tests/fixtures/heap/heap1-go1.23.pb.gz", "tests/fixtures/heap/heap2-go1.23.txt");
}

static void test_growth_max(void **state)
{
	struct heap_profile a, b;
	struct heap_growth g[1];
	(void)state;
	heap_profile_init(&a);
	load(&b, "tests/fixtures/heap/heap2-go1.19.txt");
	/* From an empty profile every site is new; only max are returned. */
	assert_int_equal(heap_profile_growth(&a, &b, g, 1), 1);
	assert_string_equal(g[0].site->frames[0].func, "main.growSite");
	assert_int_equal(heap_profile_growth(&a, &b, g, 0), 0);
	heap_profile_release(&a);
	heap_profile_release(&b);
}

static void test_exact_rate1(void **state)
{
	struct heap_profile hp;
	(void)state;
	/* profilegen: MemProfileRate=1, main.allocKeep holds 1000 x 4096. */
	load(&hp, "tests/fixtures/debug1/heap-go1.19.txt");
	assert_int_equal(hp.sample_rate, 1);
	assert_int_equal(hp.header.rate_field, 2);
	assert_false(hp.truncated);
	assert_int_equal(site_bytes(&hp, "main.allocKeep"), 4096000 + 32768);
	assert_int_equal(hp.totals.inuse_bytes, hp.header.inuse_bytes);
	assert_int_equal(hp.totals.inuse_objects, 1027);
	assert_int_equal(hp.memstats.v[MS_SYS] != 0, 1);
	/* runtime.malg's site is all runtime: kept whole, not emptied. */
	{
		bool malg = false;
		for (size_t i = 0; i < hp.nsites; i++)
			if (!strcmp(hp.sites[i].frames[0].func, "runtime.malg"))
				malg = hp.sites[i].nframes == 4;
		assert_true(malg);
	}
	heap_profile_release(&hp);
	load(&hp, "tests/fixtures/pprof/heap-go1.19.pb.gz");
	assert_int_equal(site_bytes(&hp, "main.allocKeep"), 4096000 + 32768);
	heap_profile_release(&hp);
}

static void test_truncated(void **state)
{
	size_t len;
	char *buf = slurp("tests/fixtures/heap/heap2-go1.19.txt", &len);
	char *cut = strstr(buf, "main.steadySite");
	struct heap_profile hp;
	struct gd_errbuf eb;
	(void)state;
	assert_non_null(cut);
	heap_profile_init(&hp);
	assert_int_equal(heap_profile_parse_text(&hp, buf, (size_t)(cut - buf), &eb), GD_OK);
	assert_true(hp.truncated);
	assert_false(hp.has_memstats);
	assert_true(hp.nsites >= 1);
	/* The cut record is dropped, not kept with half a stack. */
	assert_int_equal(site_bytes(&hp, "main.steadySite"), 0);
	heap_profile_release(&hp);
	free(buf);
}

static void test_handmade(void **state)
{
	static const char txt[] =
		"\r\nheap profile: 3: 300 [4: 400] @ heap/2\r\n"
		"2: 200 [2: 200] @ 0x1 0x2 0x3 0x4\r\n"
		"#\t0x1\truntime.mallocgc+0x10\t/go/src/runtime/malloc.go:900\r\n"
		"#\t0x2\tmain.f+0x1f\t\t/app/f.go:10\r\n"
		"#\t0x3\r\n"
		"#\t0x4\truntime.goexit+0x1\t/go/src/runtime/asm_amd64.s:1594\r\n"
		"\r\n"
		"junk line\r\n"
		"1: 100 [2: 200] @ 0x5\r\n"
		"#\t0x5\tmain.g+0xzz\t/app/g.go:notanumber\r\n"
		"\r\n"
		"# runtime.MemStats\r\n# Alloc = 300\r\n# HeapReleased = 7\r\n";
	struct heap_profile hp;
	struct gd_errbuf eb;
	(void)state;
	heap_profile_init(&hp);
	assert_int_equal(heap_profile_parse_text(&hp, txt, sizeof(txt) - 1, &eb), GD_OK);
	assert_int_equal(hp.nsites, 2);
	assert_int_equal(hp.noise_lines, 1);
	/* Leading runtime frame and trailing goexit dropped, pc-only kept. */
	assert_int_equal(hp.sites[0].nframes, 2);
	assert_string_equal(hp.sites[0].frames[0].func, "main.f");
	assert_string_equal(hp.sites[0].frames[0].file, "/app/f.go");
	assert_int_equal(hp.sites[0].frames[0].line, 10);
	assert_string_equal(hp.sites[0].frames[1].func, "0x3");
	assert_string_equal(hp.sites[0].frames[1].file, "");
	/* Not a hex offset, not a line: kept as printed. */
	assert_string_equal(hp.sites[1].frames[0].func, "main.g+0xzz");
	assert_string_equal(hp.sites[1].frames[0].file, "/app/g.go:notanumber");
	assert_int_equal(hp.sites[1].frames[0].line, 0);
	assert_true(hp.has_memstats);
	assert_int_equal(hp.memstats.v[MS_HEAP_RELEASED], 7);
	assert_int_equal(hp.totals.inuse_bytes, 300);
	assert_int_equal(hp.totals.alloc_objects, 4);
	assert_false(hp.truncated);
	heap_profile_release(&hp);
}

static void test_hostile(void **state)
{
	/* Absurd rate and counts: values clamp, nothing overflows. */
	static const char big[] =
		"heap profile: 1: 1 [1: 1] @ heap/18446744073709551614\n"
		"18446744073709551615: 18446744073709551615 [1: 18446744073709551615] @ 0x1\n"
		"#\t0x1\tmain.x+0x1\t/x.go:1\n\n"
		"18446744073709551615: 18446744073709551615 [1: 1] @ 0x1\n"
		"#\t0x1\tmain.x+0x1\t/x.go:1\n\n";
	static const char *const bad[] = {
		"", "\n\n", "goroutine profile: total 1\n1 @ 0x1\n", "heap profile: x\n",
		"heap profile: 1: 2 [3: 4] heap/2\n", "GIF89a\x01\x02",
	};
	struct heap_profile hp;
	struct gd_errbuf eb;
	struct heap_growth g[2];
	(void)state;
	heap_profile_init(&hp);
	assert_int_equal(heap_profile_parse_text(&hp, big, sizeof(big) - 1, &eb), GD_OK);
	assert_int_equal(hp.nsites, 2);
	assert_true(hp.totals.inuse_bytes == UINT64_MAX);
	assert_int_equal(heap_profile_growth(&hp, &hp, g, 2), 0);
	heap_profile_release(&hp);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		heap_profile_init(&hp);
		eb.msg[0] = '\0';
		assert_int_equal(heap_profile_parse_text(&hp, bad[i], strlen(bad[i]), &eb), GD_EFORMAT);
		assert_true(strstr(eb.msg, "heap profile") != NULL);
		heap_profile_release(&hp);
	}
	heap_profile_init(&hp);
	assert_int_equal(heap_profile_parse_text(&hp, big, HEAP_MAX_INPUT + 1, &eb), GD_ETOOBIG);
	heap_profile_release(&hp);
}

static void test_proto_not_heap(void **state)
{
	size_t len;
	char *buf = slurp("tests/fixtures/pprof/goroutine-go1.19.pb.gz", &len);
	struct heap_profile hp;
	struct gd_errbuf eb;
	(void)state;
	heap_profile_init(&hp);
	assert_int_equal(heap_profile_from_proto(&hp, buf, len, &eb), GD_EFORMAT);
	assert_true(strstr(eb.msg, "goroutine profile") != NULL);
	heap_profile_release(&hp);
	heap_profile_init(&hp);
	assert_int_not_equal(heap_profile_from_proto(&hp, "not a proto at all", 18, &eb), GD_OK);
	assert_int_equal(hp.nsites, 0);
	heap_profile_release(&hp);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_vs_proto_go119),
		cmocka_unit_test(test_text_vs_proto_go123),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_growth_max),
		cmocka_unit_test(test_exact_rate1),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_handmade),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_proto_not_heap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
