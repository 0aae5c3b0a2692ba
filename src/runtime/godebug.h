/* SPDX-License-Identifier: MIT */
/* Go versions, the effective GODEBUG of a process, and the memory-return
 * policy that follows from them.
 *
 * Whether freed heap pages leave RSS at once (MADV_DONTNEED) or linger as
 * LazyFree until the kernel needs them (MADV_FREE) depends on the Go version,
 * the kernel, and GODEBUG=madvdontneed, which can come from three places:
 * the binary's DefaultGODEBUG build setting, a `-X runtime.godebugDefault=`
 * in its -ldflags, and the environment it was started with.  This module
 * merges them the way the runtime's parsedebugvars does and says which
 * policy is in force and why.  Pure: strings in, result out. */
#ifndef GODIAG_RUNTIME_GODEBUG_H
#define GODIAG_RUNTIME_GODEBUG_H

#include <stdbool.h>

/* Pre-release kinds, in release order. */
enum go_pre {
	GO_PRE_DEVEL = 0,   /* "devel go1.23-abc ..." */
	GO_PRE_BETA,        /* "go1.21beta1" */
	GO_PRE_RC,          /* "go1.21rc2" */
	GO_PRE_RELEASE,     /* "go1.21.0", "go1.20" */
};

struct go_version {
	int major, minor, patch;
	enum go_pre pre;
	int pre_num;        /* N of betaN / rcN */
};

/* Parse "go1.14.2", "go1.9", "go1.21rc2", "go1.22.1 X:boringcrypto",
 * "devel go1.23-abc Tue ...".  Text after the number that begins with ' ',
 * '-' or '+' is ignored.  Returns false (and zeroes *v) otherwise,
 * including for old devel strings such as "devel +abc" that carry no
 * version. */
bool go_version_parse(const char *s, struct go_version *v);

/* <0, 0, >0 in release order: devel < beta < rc < release within a minor;
 * "go1.20" == "go1.20.0". */
int go_version_cmp(const struct go_version *a, const struct go_version *b);

/* major.minor.patch >= the given triple, ignoring the pre-release kind: a
 * go1.22rc1 counts as 1.22 for "which features exist", since features land
 * before the release. */
bool go_version_at_least(const struct go_version *v, int major, int minor, int patch);

/* Leading "MAJOR.MINOR" of a kernel release ("5.10.0-28-amd64"). */
bool kernel_release_parse(const char *release, int *major, int *minor);

/* The value of the last `-X runtime.godebugDefault=...` in an -ldflags
 * build setting (split like cmd/go: whitespace, '...' and "..." fields;
 * "-X v", "-X=v", "--X v"; an "all=" style package pattern is stripped).
 * Returns a new string, or NULL if there is none. */
char *godebug_ldflags_default(const char *ldflags);

enum mem_policy {
	MEM_POLICY_UNKNOWN,
	MEM_POLICY_MADV_FREE,
	MEM_POLICY_MADV_DONTNEED,
};

struct godebug_eval {
	enum mem_policy policy;
	/* Merged "k=v,k=v" in first-seen order, last value wins.  The knobs
	 * modelled here (madvdontneed, disablethp) appear only on Go versions
	 * whose runtime reads them, with the integer value in force (runtime
	 * default included); other keys pass through as given. */
	char *effective;
	char reason[256];   /* one line: why this policy */
	int madvdontneed;   /* value in force; -1 if the Go version lacks it or is unknown */
	int disablethp;     /* value in force; -1 if the Go version lacks it or is unknown */
};

/* Any argument may be NULL.  go_version is the binary's ("go1.19.8");
 * kernel_release is `uname -r`; default_godebug is the DefaultGODEBUG
 * build setting; ldflags the -ldflags build setting; env_godebug the
 * GODEBUG from /proc/PID/environ.
 *
 * Order, as runtime1.go parsedebugvars: runtime defaults, then
 * godebugDefault, then the environment left to right (last wins; entries
 * without '=' and non-integer values of integer knobs are ignored).
 * godebugDefault exists from go1.21 on; cmd/go passes DefaultGODEBUG to the
 * linker as -X=runtime.godebugDefault before the user's -ldflags, and the
 * linker keeps the last -X for a symbol, so a user -X replaces
 * DefaultGODEBUG as a whole rather than merging with it. */
void godebug_eval_compute(struct godebug_eval *out, const char *go_version,
			  const char *kernel_release, const char *default_godebug,
			  const char *ldflags, const char *env_godebug);
void godebug_eval_release(struct godebug_eval *ev);

/* "MADV_FREE", "MADV_DONTNEED" or "unknown". */
const char *mem_policy_name(enum mem_policy p);

#endif
