/* SPDX-License-Identifier: MIT */
/* Tests for runtime/godebug: Go version parsing and ordering, kernel
 * releases, -X runtime.godebugDefault extraction from -ldflags, and the
 * whole memory-policy table (Go version x kernel x GODEBUG sources).  The
 * same rules are checked against the kernel's own LazyFree numbers on real
 * binaries in tests/integration/buildinfo_real.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/godebug.h"
#include "util/banned.h"

static void test_version_parse(void **state)
{
	static const struct {
		const char *s;
		int major, minor, patch;
		enum go_pre pre;
		int pre_num;
	} ok[] = {
		{ "go1.14.2", 1, 14, 2, GO_PRE_RELEASE, 0 },
		{ "go1.9", 1, 9, 0, GO_PRE_RELEASE, 0 },
		{ "go1", 1, 0, 0, GO_PRE_RELEASE, 0 },
		{ "go1.21rc2", 1, 21, 0, GO_PRE_RC, 2 },
		{ "go1.21beta1", 1, 21, 0, GO_PRE_BETA, 1 },
		{ "devel go1.23-abc123 Tue Jan 2 15:04:05 2024 +0000", 1, 23, 0, GO_PRE_DEVEL, 0 },
		{ "go1.22.1 X:boringcrypto", 1, 22, 1, GO_PRE_RELEASE, 0 },
		{ "go1.21.0-bigcorp", 1, 21, 0, GO_PRE_RELEASE, 0 },
		{ "go1.19.8", 1, 19, 8, GO_PRE_RELEASE, 0 },
	};
	static const char *const bad[] = {
		"", "1.19", "go", "go1.", "gox", "devel +abc Mon Jan 1", "go1.19.8x",
		"go1.19.", "go1234567.1", "go1.21rc", "Go1.19", " go1.19",
	};
	struct go_version v;
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(go_version_parse(ok[i].s, &v));
		assert_int_equal(v.major, ok[i].major);
		assert_int_equal(v.minor, ok[i].minor);
		assert_int_equal(v.patch, ok[i].patch);
		assert_int_equal(v.pre, ok[i].pre);
		assert_int_equal(v.pre_num, ok[i].pre_num);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.major = 7;
		assert_false(go_version_parse(bad[i], &v));
		assert_int_equal(v.major, 0);
	}
	assert_false(go_version_parse(NULL, &v));
}

static int cmp(const char *a, const char *b)
{
	struct go_version va, vb;
	assert_true(go_version_parse(a, &va));
	assert_true(go_version_parse(b, &vb));
	return go_version_cmp(&va, &vb);
}

static void test_version_order(void **state)
{
	/* each is strictly older than the next */
	static const char *const chain[] = {
		"go1.9", "go1.10", "go1.11.13", "go1.12", "go1.16.15", "devel go1.21-abc",
		"go1.21beta1", "go1.21rc1", "go1.21rc2", "go1.21.0", "go1.21.9",
		"go1.21.10", "go1.22rc1", "go1.22.0", "go2",
	};
	struct go_version v;
	(void)state;
	for (size_t i = 0; i + 1 < sizeof(chain) / sizeof(chain[0]); i++) {
		assert_true(cmp(chain[i], chain[i + 1]) < 0);
		assert_true(cmp(chain[i + 1], chain[i]) > 0);
	}
	assert_int_equal(cmp("go1.20", "go1.20.0"), 0);
	assert_int_equal(cmp("go1.22.1 X:boringcrypto", "go1.22.1"), 0);

	assert_true(go_version_parse("go1.21.6", &v));
	assert_true(go_version_at_least(&v, 1, 21, 6));
	assert_false(go_version_at_least(&v, 1, 21, 7));
	assert_false(go_version_at_least(&v, 1, 22, 0));
	assert_true(go_version_at_least(&v, 1, 16, 0));
	assert_true(go_version_parse("go1.22rc1", &v));
	assert_true(go_version_at_least(&v, 1, 22, 0));
	assert_true(go_version_parse("go2.0", &v));
	assert_true(go_version_at_least(&v, 1, 99, 99));
}

static void test_kernel_release(void **state)
{
	int maj = -1, min = -1;
	(void)state;
	assert_true(kernel_release_parse("5.10.0-28-amd64", &maj, &min));
	assert_int_equal(maj, 5);
	assert_int_equal(min, 10);
	assert_true(kernel_release_parse("4.4.0", &maj, &min));
	assert_int_equal(min, 4);
	assert_true(kernel_release_parse("6.18.44-fc-v669", &maj, &min));
	assert_int_equal(maj, 6);
	assert_int_equal(min, 18);
	assert_true(kernel_release_parse("3.10.0-1160.el7.x86_64", &maj, &min));
	assert_false(kernel_release_parse("", &maj, &min));
	assert_false(kernel_release_parse("5", &maj, &min));
	assert_false(kernel_release_parse("linux", &maj, &min));
	assert_false(kernel_release_parse(NULL, &maj, &min));
}

static void test_ldflags_default(void **state)
{
	static const struct {
		const char *ldflags, *want;
	} cases[] = {
		{ "-X runtime.godebugDefault=madvdontneed=0", "madvdontneed=0" },
		{ "-X=runtime.godebugDefault=madvdontneed=0", "madvdontneed=0" },
		{ "--X runtime.godebugDefault=a=1,b=2", "a=1,b=2" },
		{ "-s -w -X 'runtime.godebugDefault=madvdontneed=0,disablethp=1'",
		  "madvdontneed=0,disablethp=1" },
		{ "-X \"runtime.godebugDefault=x=1\" -s", "x=1" },
		{ "-X runtime.godebugDefault=a=1 -X main.v=2 -X runtime.godebugDefault=b=2", "b=2" },
		{ "  all=-X runtime.godebugDefault=q=1", "q=1" },
		{ "-X runtime.godebugDefault=", "" },
		{ "-X main.version=1.0 -s -w", NULL },
		{ "-X runtime.godebugDefaultx=1", NULL },
		/* -extldflags eats "-X"; then a non-flag ends flag parsing */
		{ "-extldflags -X runtime.godebugDefault=z=1", NULL },
		{ "-extldflags=-static -X runtime.godebugDefault=z=1", "z=1" },
		{ "-X 'runtime.godebugDefault=a=1", NULL },
		{ "-X", NULL },
		{ "", NULL },
		{ "main", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = godebug_ldflags_default(cases[i].ldflags);
		if (!cases[i].want) {
			if (got)
				fail_msg("%s: got '%s', want none", cases[i].ldflags, got);
		} else {
			if (!got)
				fail_msg("%s: got none, want '%s'", cases[i].ldflags, cases[i].want);
			assert_string_equal(got, cases[i].want);
		}
		free(got);
	}
	assert_null(godebug_ldflags_default(NULL));
}

struct pcase {
	const char *go, *kernel, *def, *ldflags, *env;
	enum mem_policy policy;
	const char *effective;
	int madv, thp;
	const char *reason;     /* substring */
};

#define K510 "5.10.0-28-amd64"
#define XFREE "-X runtime.godebugDefault=madvdontneed=0"

static const struct pcase policy_cases[] = {
	/* <= 1.11: no knob, always DONTNEED */
	{ "go1.11.13", K510, NULL, NULL, "madvdontneed=0", MEM_POLICY_MADV_DONTNEED, "", -1, -1,
	  "predates MADV_FREE" },
	{ "go1.9", NULL, NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED, "", -1, -1, "always" },
	/* 1.12-1.15: FREE by default when the kernel has it */
	{ "go1.12.17", K510, NULL, NULL, NULL, MEM_POLICY_MADV_FREE, "madvdontneed=0", 0, -1,
	  "1.12-1.15 default" },
	{ "go1.14.2", "4.4.0-210-generic", NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=0", 0, -1, "kernel 4.4 lacks it" },
	{ "go1.14.2", "4.5.0", NULL, NULL, NULL, MEM_POLICY_MADV_FREE, "madvdontneed=0", 0, -1,
	  "kernel 4.5 >= 4.5" },
	{ "go1.13.8", "3.10.0-1160.el7.x86_64", NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=0", 0, -1, "falls back" },
	{ "go1.15.15", K510, NULL, NULL, "madvdontneed=1", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1", 1, -1, "from the GODEBUG environment" },
	{ "go1.15", NULL, NULL, NULL, NULL, MEM_POLICY_UNKNOWN, "madvdontneed=0", 0, -1,
	  "kernel release is unknown" },
	/* >= 1.16: DONTNEED unless madvdontneed=0 */
	{ "go1.16.0", K510, NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED, "madvdontneed=1", 1, -1,
	  "default since go1.16" },
	{ "go1.16.0", NULL, NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED, "madvdontneed=1", 1, -1,
	  "default since go1.16" },
	{ "go1.19.8", K510, NULL, NULL, "madvdontneed=0", MEM_POLICY_MADV_FREE, "madvdontneed=0",
	  0, -1, "madvdontneed=0 from the GODEBUG environment" },
	{ "go1.19.8", "4.1.0", NULL, NULL, "madvdontneed=0", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=0", 0, -1, "lacks it" },
	{ "go1.19.8", K510, NULL, NULL, "madvdontneed=0", MEM_POLICY_MADV_FREE,
	  "madvdontneed=0", 0, -1, "kernel 5.10 >= 4.5" },
	/* godebugDefault does not exist before go1.21 */
	{ "go1.19.8", K510, NULL, XFREE, NULL, MEM_POLICY_MADV_DONTNEED, "madvdontneed=1", 1, -1,
	  "ignored before go1.21" },
	{ "go1.20.5", K510, "madvdontneed=0", NULL, NULL, MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1", 1, -1, "default since go1.16" },
	/* from go1.21: -X counts; disablethp from 1.21.6 */
	{ "go1.21.0", K510, NULL, XFREE, NULL, MEM_POLICY_MADV_FREE, "madvdontneed=0", 0, -1,
	  "from -ldflags -X runtime.godebugDefault" },
	{ "go1.21.5", K510, NULL, NULL, "disablethp=1", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1", 1, -1, "default" },
	{ "go1.21.6", K510, NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1,disablethp=0", 1, 0, "default" },
	{ "go1.21.6", K510, NULL, NULL, "disablethp=1", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1,disablethp=1", 1, 1, "default" },
	{ "go1.22.0", K510, "panicnil=1,disablethp=1", NULL, NULL, MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1,disablethp=1,panicnil=1", 1, 1, "default since go1.16" },
	{ "go1.22.0", K510, "madvdontneed=0", NULL, NULL, MEM_POLICY_MADV_FREE,
	  "madvdontneed=0,disablethp=0", 0, 0, "from the DefaultGODEBUG build setting" },
	/* a user -X replaces DefaultGODEBUG wholesale */
	{ "go1.22.0", K510, "madvdontneed=0,panicnil=1", "-X runtime.godebugDefault=x509sha1=1",
	  NULL, MEM_POLICY_MADV_DONTNEED, "madvdontneed=1,disablethp=0,x509sha1=1", 1, 0,
	  "default since go1.16" },
	/* environment: left to right, last wins; bad values ignored */
	{ "go1.23.5", K510, NULL, XFREE, "madvdontneed=0,http2debug=1,madvdontneed=1",
	  MEM_POLICY_MADV_DONTNEED, "madvdontneed=1,disablethp=0,http2debug=1", 1, 0,
	  "madvdontneed=1 from the GODEBUG environment" },
	{ "go1.23.5", K510, NULL, XFREE, "madvdontneed=1,madvdontneed=abc,madvdontneed",
	  MEM_POLICY_MADV_DONTNEED, "madvdontneed=1,disablethp=0", 1, 0, "environment" },
	{ "go1.23.5", K510, NULL, NULL, "madvdontneed=abc", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1,disablethp=0", 1, 0, "default since go1.16" },
	{ "go1.16.3", K510, NULL, NULL, "madvdontneed=2", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=2", 2, -1, "madvdontneed=2" },
	{ "go1.16.3", K510, NULL, NULL, "madvdontneed=00", MEM_POLICY_MADV_FREE,
	  "madvdontneed=0", 0, -1, "" },
	{ "go1.16.3", K510, NULL, NULL, ",,foo,=x,madvdontneed=99999999999", MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1", 1, -1, "default" },
	{ "devel go1.23-abc123 Tue Jan 2 2024", K510, NULL, NULL, NULL, MEM_POLICY_MADV_DONTNEED,
	  "madvdontneed=1,disablethp=0", 1, 0, "default" },
	/* unknown version: keys pass through, modelled knobs do not */
	{ "garbage", K510, NULL, NULL, "foo=1,madvdontneed=0", MEM_POLICY_UNKNOWN, "foo=1", -1, -1,
	  "Go version \"garbage\" is unknown" },
	{ NULL, K510, NULL, NULL, NULL, MEM_POLICY_UNKNOWN, "", -1, -1, "(none)" },
};

static void test_policy_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		const struct pcase *c = &policy_cases[i];
		struct godebug_eval ev;
		godebug_eval_compute(&ev, c->go, c->kernel, c->def, c->ldflags, c->env);
		if (ev.policy != c->policy || strcmp(ev.effective, c->effective) ||
		    ev.madvdontneed != c->madv || ev.disablethp != c->thp ||
		    !strstr(ev.reason, c->reason))
			fail_msg("case %zu (%s, env %s): policy %s effective '%s' madv %d thp %d "
				 "reason '%s'; want %s '%s' %d %d '%s'",
				 i, c->go ? c->go : "NULL", c->env ? c->env : "NULL",
				 mem_policy_name(ev.policy), ev.effective, ev.madvdontneed,
				 ev.disablethp, ev.reason, mem_policy_name(c->policy),
				 c->effective, c->madv, c->thp, c->reason);
		assert_true(strlen(ev.reason) > 0);
		assert_null(strchr(ev.reason, '\n'));
		godebug_eval_release(&ev);
		assert_null(ev.effective);
	}
}

static void test_hostile_inputs(void **state)
{
	struct godebug_eval ev;
	size_t n = 200000;
	char *big = malloc(n + 1);
	(void)state;
	/* over the input cap: ignored, not parsed */
	for (size_t i = 0; i < n; i += 2) {
		big[i] = 'k';
		big[i + 1] = ',';
	}
	big[n] = '\0';
	godebug_eval_compute(&ev, "go1.19.8", K510, big, big, big);
	assert_int_equal(ev.policy, MEM_POLICY_MADV_DONTNEED);
	assert_string_equal(ev.effective, "madvdontneed=1");
	godebug_eval_release(&ev);
	/* thousands of distinct keys: capped, still a sane answer */
	size_t len = 0;
	for (int i = 0; i < 3000 && len + 32 < n; i++)
		len += (size_t)snprintf(big + len, n - len, "key%d=%d,", i, i);
	snprintf(big + len, n - len, "madvdontneed=0");
	godebug_eval_compute(&ev, "go1.19.8", K510, NULL, NULL, big);
	assert_int_equal(ev.policy, MEM_POLICY_MADV_FREE);
	assert_int_equal(ev.madvdontneed, 0);
	assert_true(strlen(ev.effective) < 8192);
	godebug_eval_release(&ev);
	free(big);
	assert_string_equal(mem_policy_name(MEM_POLICY_MADV_FREE), "MADV_FREE");
	assert_string_equal(mem_policy_name(MEM_POLICY_MADV_DONTNEED), "MADV_DONTNEED");
	assert_string_equal(mem_policy_name(MEM_POLICY_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_kernel_release),
		cmocka_unit_test(test_ldflags_default),
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_hostile_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
