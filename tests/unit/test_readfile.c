/* SPDX-License-Identifier: MIT */
/* util/readfile: the one bounded file reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/readfile.h"

static void test_reads_and_caps(void **state)
{
	char path[] = "/tmp/godiag-readfile-XXXXXX";
	struct strbuf sb = STRBUF_INIT_MAX(1 << 20);
	struct gd_errbuf eb = { "" };
	int fd = mkstemp(path);
	static char big[200000];
	(void)state;
	assert_true(fd >= 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);
	assert_int_equal(read_file_capped(path, sizeof(big), &sb, &eb), GD_OK);
	assert_int_equal(sb.len, sizeof(big));
	/* over the cap: the first cap bytes, and the error says so */
	assert_int_equal(read_file_capped(path, 70000, &sb, &eb), GD_ETOOBIG);
	assert_int_equal(sb.len, 70000);
	assert_non_null(strstr(eb.msg, path));
	assert_non_null(strstr(eb.msg, "larger than 70000 bytes"));
	unlink(path);
	assert_int_equal(read_file_capped(path, 100, &sb, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "no such file"));
	strbuf_release(&sb);
}

static void test_refuses_what_is_not_a_file(void **state)
{
	struct strbuf sb = STRBUF_INIT_MAX(4096);
	struct gd_errbuf eb = { "" };
	(void)state;
	assert_int_equal(read_file_capped("/tmp", 100, &sb, &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "/tmp: not a regular file");
	/* /proc files report size 0 and are still read whole */
	assert_int_equal(read_file_capped("/proc/self/status", 65536, &sb, &eb), GD_OK);
	assert_non_null(strstr(sb.buf, "VmRSS"));
	/* procmem's use: the head of a /proc file, with no message wanted */
	assert_int_equal(read_file_capped("/proc/self/status", 16, &sb, NULL), GD_ETOOBIG);
	assert_int_equal(sb.len, 16);
	assert_memory_equal(sb.buf, "Name:", 5);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_caps),
		cmocka_unit_test(test_refuses_what_is_not_a_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
