/* SPDX-License-Identifier: MIT */
/* linux/elffile: what is refused before libelf sees a byte (a missing
 * file, a directory, a FIFO, a short or foreign file), what libelf refuses
 * (a damaged header), and this test's own executable opened both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "linux/elffile.h"

static void test_refused_files(void **state)
{
	char dir[] = "/tmp/godiag-elffile-XXXXXX", path[64];
	struct elf_file ef;
	struct gd_errbuf eb = { "" };
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(elf_file_open(&ef, path, false, &eb), GD_ENOENT);
	assert_int_equal(elf_file_open(&ef, dir, false, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "not a regular file"));
	/* a FIFO must not block the open */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(elf_file_open(&ef, path, false, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "not a regular file"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/text", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho not an executable of ours\n", f);
	fclose(f);
	assert_int_equal(elf_file_open(&ef, path, false, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, ": not an ELF file"));
	/* release after a refusal is harmless */
	elf_file_release(&ef);
	unlink(path);
	rmdir(dir);
}

static void test_from_mem(void **state)
{
	unsigned char b[64] = { 0x7f, 'E', 'L', 'F' };
	struct elf_file ef;
	struct gd_errbuf eb = { "" };
	(void)state;
	assert_int_equal(elf_file_from_mem(&ef, b, 8, NULL, &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "not an ELF file");
	/* the magic, then nothing libelf accepts */
	assert_int_equal(elf_file_from_mem(&ef, b, sizeof(b), "img", &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "img: damaged ELF header");
	elf_file_release(&ef);
}

static void test_own_executable(void **state)
{
	struct elf_file ef;
	struct gd_errbuf eb = { "" };
	(void)state;
	for (int writable = 0; writable < 2; writable++) {
		assert_int_equal(elf_file_open(&ef, "/proc/self/exe", writable, &eb), GD_OK);
		assert_non_null(ef.elf);
		assert_true(ef.len > 64);
		assert_memory_equal(ef.data, "\177ELF", 4);
		assert_true(ef.eh.e_type == ET_EXEC || ef.eh.e_type == ET_DYN);
		elf_file_release(&ef);
		assert_null(ef.elf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_files),
		cmocka_unit_test(test_from_mem),
		cmocka_unit_test(test_own_executable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
