/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/utf8.h"

/* util/utf8: the length of a valid UTF-8 sequence. */
static void test_valid_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_valid_len("a", 1), 1);
	assert_int_equal(utf8_valid_len("\xc3\xa9", 2), 2);
	assert_int_equal(utf8_valid_len("\xe2\x82\xac", 3), 3);
	assert_int_equal(utf8_valid_len("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(utf8_valid_len("\xc3", 1), 0);         /* cut short */
	assert_int_equal(utf8_valid_len("\xc0\xaf", 2), 0);     /* overlong */
	assert_int_equal(utf8_valid_len("\xed\xa0\x80", 3), 0); /* surrogate */
	assert_int_equal(utf8_valid_len("\xff", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
