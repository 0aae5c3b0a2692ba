/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "linux/process.h"
#include "test_lib.h"

/* linux/process: finding the Go processes of a (captured) host. */
static void test_scan_fixture(void **state)
{
	struct process_scan ps;
	struct gd_errbuf eb = { "" };
	(void)state;
	process_scan_init(&ps);
	assert_int_equal(process_scan_run(&ps, proc_root, &eb), GD_OK);
	assert_int_equal(ps.nr, 3);
	assert_int_equal(ps.v[0].pid, 123);
	assert_int_equal(ps.v[1].pid, 124);
	assert_int_equal(ps.v[2].pid, 127);
	assert_string_equal(ps.v[0].bin->bi.go_version, "go1.14.15");
	assert_true(ps.v[0].verified);
	assert_true(ps.seen >= 6);
	assert_true(ps.not_go + ps.no_exe + ps.denied >= 2); /* 125/126/130 */
	process_scan_release(&ps);
}

static void test_identify(void **state)
{
	struct bin_cache c;
	struct go_process gp;
	struct gd_errbuf eb = { "" };
	(void)state;
	bin_cache_init(&c);
	assert_int_equal(process_identify(&c, proc_root, 127, &gp, &eb), GD_OK);
	assert_string_equal(gp.bin->bi.go_version, "go1.21.6");
	/* no exe link: a kernel thread or zombie */
	assert_int_equal(process_identify(&c, proc_root, 126, &gp, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "126"));
	assert_int_equal(process_identify(&c, proc_root, 999999, &gp, &eb), GD_ENOENT);
	bin_cache_release(&c);
}

static void test_not_go_elf(void **state)
{
	const char *why = NULL;
	char path[4200];
	int fd = open("/bin/sh", O_RDONLY);
	(void)state;
	assert_true(fd >= 0);
	assert_true(elf_surely_not_go(fd, &why));
	assert_non_null(strstr(why, "no Go sections"));
	close(fd);
	/* a shell script: not ELF at all */
	snprintf(path, sizeof(path), "%s/../bin/notgo.sh", proc_root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(elf_surely_not_go(fd, &why));
	assert_string_equal(why, "not an ELF file");
	close(fd);
	/* a Go binary (sections or not) is never "surely not Go" */
	snprintf(path, sizeof(path), "%s/../bin/billing", proc_root);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_false(elf_surely_not_go(fd, &why));
	close(fd);
	/* the test binary itself is ELF but not Go */
	fd = open("/proc/self/exe", O_RDONLY);
	assert_true(elf_surely_not_go(fd, &why));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_fixture),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_not_go_elf),
	};
	return cmocka_run_group_tests(tests, fixture_roots_setup, NULL);
}
