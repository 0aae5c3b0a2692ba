/* SPDX-License-Identifier: MIT */
/* Tests for runtime/memstats: the MemStats trailer of a real go1.19
 * heap?debug=1 body (tests/fixtures/proc/heap-debug1-go1.19.txt), older and
 * damaged trailers, and the RSS split. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_lib.h"

#include "runtime/memstats.h"


#define HAS(ms, f) (((ms).known >> (f)) & 1)

static void test_real_go119(void **state)
{
	size_t len;
	char *buf = slurp("tests/fixtures/proc/heap-debug1-go1.19.txt", &len);
	struct go_memstats ms;
	struct gd_errbuf eb;
	uint64_t xsys;
	(void)state;
	assert_int_equal(go_memstats_parse(buf, len, &ms, "heap", &eb), GD_OK);
	assert_true(ms.v[MS_SYS] == 14398728);
	assert_true(ms.v[MS_HEAP_RELEASED] == 2965504);
	assert_true(ms.v[MS_STACK_INUSE] == 294912);
	assert_true(ms.v[MS_STACK_SYS] == 294912);
	assert_true(ms.v[MS_MSPAN_INUSE] == 30096);
	assert_true(ms.v[MS_MSPAN_SYS] == 32544);
	assert_true(ms.v[MS_MCACHE_SYS] == 15600);
	assert_true(ms.v[MS_MAX_RSS] == 7790592);
	assert_true(HAS(ms, MS_LAST_GC));
	assert_true(ms.gc_cpu_fraction_known);
	assert_true(ms.debug_gc_known);
	assert_false(ms.debug_gc);
	/* Every field of the go1.19 trailer was recognised. */
	assert_true(ms.known == (1ull << MS_NR) - 1);
	/* The runtime's own identities hold for what we parsed. */
	xsys = ms.v[MS_HEAP_SYS] + ms.v[MS_STACK_SYS] + ms.v[MS_MSPAN_SYS] + ms.v[MS_MCACHE_SYS] +
	       ms.v[MS_BUCK_HASH_SYS] + ms.v[MS_GC_SYS] + ms.v[MS_OTHER_SYS];
	assert_true(xsys == ms.v[MS_SYS]);
	assert_true(ms.v[MS_HEAP_SYS] == ms.v[MS_HEAP_INUSE] + ms.v[MS_HEAP_IDLE]);
	free(buf);
}

static void test_old_and_partial(void **state)
{
	struct go_memstats ms;
	struct gd_errbuf eb;
	/* Older Go: fewer keys, CRLF from a proxy, a float in e-notation. */
	static const char old[] = "heap profile: 0: 0 [0: 0] @ heap/1048576\r\n\r\n"
				  "# runtime.MemStats\r\n# Alloc = 10\r\n# Sys = 100\r\n"
				  "# HeapReleased = 5\r\n# GCCPUFraction = 1.5e-05\r\n";
	static const char bad[] = "# runtime.MemStats\n# Alloc = 10\n# Sys = lots\n"
				  "# Stack = 1 / x\n# HeapIdle = 7\n";
	static const char none[] = "heap profile: 0: 0 [0: 0] @ heap/1048576\n";
	static const char empty[] = "# runtime.MemStats\n# Unknown = 3\nplain line\n# Alloc = 1\n";
	/* A record's frame comment line must not be taken for the header. */
	static const char lookalike[] = "#\t0x1\t# runtime.MemStats\n# Alloc = 4\n";
	(void)state;
	assert_int_equal(go_memstats_parse(old, sizeof(old) - 1, &ms, "h", &eb), GD_OK);
	assert_true(ms.v[MS_SYS] == 100);
	assert_false(HAS(ms, MS_GC_SYS));
	assert_true(ms.gc_cpu_fraction > 1.4e-05 && ms.gc_cpu_fraction < 1.6e-05);
	assert_int_equal(go_memstats_parse(bad, sizeof(bad) - 1, &ms, "h", &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "line 2"));
	assert_true(HAS(ms, MS_ALLOC));
	assert_false(HAS(ms, MS_SYS));
	assert_false(HAS(ms, MS_STACK_INUSE));
	assert_true(HAS(ms, MS_HEAP_IDLE));
	assert_int_equal(go_memstats_parse(none, sizeof(none) - 1, &ms, "h", &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "no '# runtime.MemStats'"));
	/* The block ends at the first line that is not "# ...". */
	assert_int_equal(go_memstats_parse(empty, sizeof(empty) - 1, &ms, "h", &eb), GD_EFORMAT);
	assert_false(HAS(ms, MS_ALLOC));
	assert_int_equal(go_memstats_parse(lookalike, sizeof(lookalike) - 1, &ms, "h", &eb),
			 GD_EFORMAT);
	assert_int_equal(go_memstats_parse("", 0, &ms, "h", &eb), GD_EFORMAT);
}

static void test_split(void **state)
{
	struct go_memstats ms;
	struct go_mem_split sp;
	(void)state;
	memset(&ms, 0, sizeof(ms));
	assert_false(go_mem_split_compute(&ms, 0, false, 0, &sp));
	ms.known = (1ull << MS_SYS) | (1ull << MS_HEAP_INUSE) | (1ull << MS_HEAP_IDLE) |
		   (1ull << MS_HEAP_RELEASED) | (1ull << MS_STACK_SYS) | (1ull << MS_GC_SYS);
	ms.v[MS_SYS] = 1100 << 20;
	ms.v[MS_HEAP_INUSE] = 20 << 20;
	ms.v[MS_HEAP_IDLE] = 1030 << 20;
	ms.v[MS_HEAP_RELEASED] = 1024 << 20;
	ms.v[MS_STACK_SYS] = 1 << 20;
	ms.v[MS_GC_SYS] = 3 << 20;
	/* RssAnon 1.1 GiB of which LazyFree 1 GiB: the rest is Go, plus 10 MiB C. */
	assert_true(go_mem_split_compute(&ms, (uint64_t)(1110) << 20, true,
					 (uint64_t)1024 << 20, &sp));
	assert_true(sp.heap_inuse == 20u << 20);
	assert_true(sp.heap_idle == 6u << 20);
	assert_true(sp.heap_released == 1024u << 20);
	assert_true(sp.stacks == 1u << 20);
	assert_true(sp.metadata == 3u << 20);
	assert_true(sp.go_retained == 76u << 20);
	assert_true(sp.non_go_known);
	assert_true(sp.non_go == 10u << 20);
	/* Released larger than Sys (hostile input) floors at zero. */
	ms.v[MS_HEAP_RELEASED] = UINT64_MAX;
	assert_true(go_mem_split_compute(&ms, 5, true, 0, &sp));
	assert_true(sp.go_retained == 0);
	assert_true(sp.heap_idle == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_go119),
		cmocka_unit_test(test_old_and_partial),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
