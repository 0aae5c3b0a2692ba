/* SPDX-License-Identifier: MIT */
/* The captured /proc and /sys trees of tests/fixtures/proc/host1 (under
 * $SRCDIR, the source root meson passes). */
#ifndef GODIAG_TEST_FIXTURE_ROOTS_H
#define GODIAG_TEST_FIXTURE_ROOTS_H

#include <stdio.h>
#include <stdlib.h>

static char fix_root[4000], proc_root[4096], sys_root[4096];

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
