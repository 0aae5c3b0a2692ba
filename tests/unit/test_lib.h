/* SPDX-License-Identifier: MIT */
/* Helpers the unit tests share: fixture files under $SRCDIR (the source
 * root meson passes) and the captured /proc and /sys trees of
 * tests/fixtures/proc/host1. */
#ifndef GODIAG_TEST_LIB_H
#define GODIAG_TEST_LIB_H

#include <stdio.h>
#include <stdlib.h>

/* The file at $SRCDIR/rel, whole and NUL-terminated; the test fails if it
 * cannot be read.  The caller frees it. */
static inline char *slurp(const char *rel, size_t *len)
{
	char path[4096];
	const char *src = getenv("SRCDIR");
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	assert_true(n >= 0);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static char fix_root[4000], proc_root[4096], sys_root[4096];

/* A cmocka group setup: fix_root, proc_root and sys_root. */
static inline int fixture_roots_setup(void **state)
{
	const char *src = getenv("SRCDIR");
	(void)state;
	if (!src)
		src = ".";
	snprintf(fix_root, sizeof(fix_root), "%.3900s/tests/fixtures", src);
	snprintf(proc_root, sizeof(proc_root), "%s/proc/host1/proc", fix_root);
	snprintf(sys_root, sizeof(sys_root), "%s/proc/host1/sys", fix_root);
	return 0;
}

#endif
