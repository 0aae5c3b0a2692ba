/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/numparse.h"

/* util/numparse: the one strict decimal and size scanner. */
static void test_u64(void **state)
{
	uint64_t v = 0;
	(void)state;
	assert_true(parse_u64("0", &v) && v == 0);
	assert_true(parse_u64("18446744073709551615", &v) && v == UINT64_MAX);
	assert_false(parse_u64("18446744073709551616", &v));
	assert_false(parse_u64("", &v));
	assert_false(parse_u64("-1", &v));
	assert_false(parse_u64("+1", &v));
	assert_false(parse_u64(" 1", &v));
	assert_false(parse_u64("1 ", &v));
	assert_false(parse_u64("0x10", &v));
	assert_true(parse_u64_n("123abc", 3, &v) && v == 123);
	assert_false(parse_u64_n("123abc", 4, &v));
	assert_false(parse_u64_n("1", 0, &v));
}

/* The cursor form the parsers call: it stops at the first non-digit or at
 * end, and leaves the cursor alone when it fails. */
static void test_scan(void **state)
{
	const char *s = "4096 kB", *p = s;
	const char *big = "18446744073709551616";
	uint64_t v = 0;
	(void)state;
	assert_true(scan_u64(&p, s + strlen(s), &v) && v == 4096 && p == s + 4);
	assert_false(scan_u64(&p, s + strlen(s), &v));
	assert_true(p == s + 4);
	p = s;
	assert_true(scan_u64(&p, s + 2, &v) && v == 40 && p == s + 2);
	assert_false(scan_u64(&p, p, &v));
	p = big;
	assert_false(scan_u64(&p, big + strlen(big), &v));
	assert_true(p == big);
	assert_true(scan_u64(&p, big + 19, &v) && v == 1844674407370955161ULL);
}

static void test_size(void **state)
{
	uint64_t v = 0;
	(void)state;
	assert_true(parse_size("1024", &v) && v == 1024);
	assert_true(parse_size("64k", &v) && v == 65536);
	assert_true(parse_size("256M", &v) && v == (uint64_t)256 << 20);
	assert_true(parse_size("1GB", &v) && v == (uint64_t)1 << 30);
	assert_true(parse_size("2g", &v) && v == (uint64_t)2 << 30);
	assert_true(parse_size("4MiB", &v) && v == (uint64_t)4 << 20);
	assert_false(parse_size("4iB", &v));
	assert_false(parse_size("1T", &v));
	assert_false(parse_size("k", &v));
	assert_false(parse_size("1kk", &v));
	assert_false(parse_size("17179869184G", &v)); /* 2^34 GiB overflows */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
