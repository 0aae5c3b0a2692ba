/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/human.h"

/* util/human: sizes for people and exact sizes for messages. */
static void test_human_bytes(void **state)
{
	char b[32];
	(void)state;
	human_bytes(b, sizeof(b), 0);
	assert_string_equal(b, "0 B");
	human_bytes(b, sizeof(b), 512);
	assert_string_equal(b, "512 B");
	human_bytes(b, sizeof(b), 3u << 20);
	assert_string_equal(b, "3.0 MiB");
	human_bytes(b, sizeof(b), (uint64_t)640 << 20);
	assert_string_equal(b, "640 MiB");
	human_bytes(b, sizeof(b), 1181116416);
	assert_string_equal(b, "1.1 GiB");
}

static void test_human_exact(void **state)
{
	char b[32];
	(void)state;
	human_size_exact(b, sizeof(b), (uint64_t)256 << 20);
	assert_string_equal(b, "256 MiB");
	human_size_exact(b, sizeof(b), (uint64_t)1 << 30);
	assert_string_equal(b, "1 GiB");
	human_size_exact(b, sizeof(b), 1000);
	assert_string_equal(b, "1000 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human_bytes),
		cmocka_unit_test(test_human_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
