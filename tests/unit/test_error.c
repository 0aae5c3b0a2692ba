/* SPDX-License-Identifier: MIT */
/* util/error: the error enum, gd_fail() and the command-side messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/error.h"

static void test_fail_formats_and_returns(void **state)
{
	struct gd_errbuf eb = { "" };
	char long_arg[2000];
	(void)state;
	assert_int_equal(gd_fail(&eb, GD_EFORMAT, "%s:%d: bad %s", "f.rules", 7, "key"), GD_EFORMAT);
	assert_string_equal(eb.msg, "f.rules:7: bad key");
	/* a message longer than the buffer is cut, still NUL-terminated */
	memset(long_arg, 'a', sizeof(long_arg) - 1);
	long_arg[sizeof(long_arg) - 1] = '\0';
	gd_fail(&eb, GD_EIO, "%s", long_arg);
	assert_int_equal(strlen(eb.msg), GD_ERRBUF_SIZE - 1);
	/* a NULL buffer is allowed: only the code comes back */
	assert_int_equal(gd_fail(NULL, GD_ENOENT, "x"), GD_ENOENT);
	for (int e = GD_OK; e <= GD_ENOENT; e++)
		assert_non_null(gd_strerror((enum gd_err)e));
}

static void test_error_line(void **state)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	char buf[256] = "";
	(void)state;
	fflush(stderr);
	dup2(fileno(tmp), 2);
	assert_int_equal(error("mem: option '%s' needs a value", "--pprof"), -1);
	warning("ps: %d processes could not be inspected", 3);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, tmp) > 0, 1);
	fclose(tmp);
	assert_string_equal(buf, "godiag: error: mem: option '--pprof' needs a value\n"
				 "godiag: warning: ps: 3 processes could not be inspected\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_formats_and_returns),
		cmocka_unit_test(test_error_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
