/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/duration.h"

/* util/duration: durations on the command line. */
static void test_durations(void **state)
{
	uint64_t v = 0;
	(void)state;
	assert_true(parse_duration_ms("500ms", 1000, &v) && v == 500);
	assert_true(parse_duration_ms("90s", 1000, &v) && v == 90000);
	assert_true(parse_duration_ms("10m", 1000, &v) && v == 600000);
	assert_true(parse_duration_ms("1h30m", 1000, &v) && v == 5400000);
	assert_true(parse_duration_ms("2d", 1000, &v) && v == 172800000);
	assert_true(parse_duration_ms("5", 60000, &v) && v == 300000); /* bare: the unit given */
	assert_true(parse_duration_ms("5", 1000, &v) && v == 5000);
	assert_false(parse_duration_ms("", 1000, &v));
	assert_false(parse_duration_ms("m", 1000, &v));
	assert_false(parse_duration_ms("5x", 1000, &v));
	assert_false(parse_duration_ms("-5s", 1000, &v));
	assert_false(parse_duration_ms("99999999999999999999d", 1000, &v));
	assert_false(parse_duration_ms("213503982334601d", 1000, &v)); /* ms overflow */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
