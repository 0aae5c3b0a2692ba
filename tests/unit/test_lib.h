/* SPDX-License-Identifier: MIT */
/* Helpers the unit tests share: fixture files under $SRCDIR (the source
 * root meson passes) and the captured /proc and /sys trees of
 * tests/fixtures/proc/host1. */
#ifndef GODIAG_TEST_LIB_H
#define GODIAG_TEST_LIB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file at path, NUL-terminated, or NULL when it cannot be
 * opened (an optional system file the host lacks; *len is then 0).  Read in chunks, not by
 * its size, so /proc files (size 0) come whole.  The caller frees it. */
static inline char *slurp_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	*len = 0;
	if (!f)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 131072;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The file at $SRCDIR/rel; the test fails if it cannot be read. */
static inline char *slurp(const char *rel, size_t *len)
{
	char path[4096];
	const char *src = getenv("SRCDIR");
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	buf = slurp_path(path, len);
	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

/* A number of tests/fixtures/netlink/loopback.expect: "key value" lines
 * written by record.py with the recording (the PID, each socket's inode). */
static inline uint64_t loopback_expect(const char *key)
{
	size_t len, n = strlen(key);
	char *buf = slurp("tests/fixtures/netlink/loopback.expect", &len);
	const char *line = buf;
	uint64_t v = 0;
	bool found = false;

	while (line && *line && !found) {
		if (!strncmp(line, key, n) && line[n] == ' ') {
			v = strtoull(line + n + 1, NULL, 10);
			found = true;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	free(buf);
	if (!found)
		fail_msg("no key %s in loopback.expect", key);
	return v;
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
