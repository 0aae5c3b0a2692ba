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
		cmocka_unit_test(test_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
