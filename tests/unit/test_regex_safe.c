/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/regex_safe.h"

/* util/regex_safe: user regular expressions with bounded cost. */
#include <regex.h>
static void test_accepts_and_refuses(void **state)
{
	regex_t re;
	char err[256];
	char big[2048];
	(void)state;
	assert_int_equal(regcomp_safe(&re, "^net/http\\.\\(\\*conn\\)\\.serve$", err, sizeof(err)), 0);
	assert_int_equal(regexec(&re, "net/http.(*conn).serve", 0, NULL, 0), 0);
	regfree(&re);
	assert_int_not_equal(regcomp_safe(&re, "(a", err, sizeof(err)), 0);
	assert_true(err[0] != 0);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_not_equal(regcomp_safe(&re, big, err, sizeof(err)), 0);
	assert_int_not_equal(regcomp_safe(&re, "a{1,100000}", err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_and_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
