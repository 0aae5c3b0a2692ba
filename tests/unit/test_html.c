/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/html.h"

/* util/html: escaping target strings into HTML. */
static void test_escapes(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)state;
	html_escape_str(f, "<script>alert(\"x&y\")</script>'");
	html_escape(f, "\xff", 1);
	fclose(f);
	assert_null(strchr(buf, '<'));
	assert_null(strstr(buf, "\"x"));
	assert_non_null(strstr(buf, "&lt;script&gt;"));
	assert_non_null(strstr(buf, "&amp;"));
	assert_null(strchr(buf, '\xff'));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
