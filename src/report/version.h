/* SPDX-License-Identifier: MIT */
/* What `godiag version` (and --version) reports: godiag's version, the git
 * describe of the tree it was built from, and for each library it is
 * linked against the version found at run time next to the version it was
 * built with, so a bug report says exactly which build ran where. */
#ifndef GODIAG_REPORT_VERSION_H
#define GODIAG_REPORT_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define VERSION_LIBS_MAX 16

struct lib_version {
	const char *name;
	char runtime[64];  /* "" when the library cannot say (libmnl) */
	char detail[96];   /* e.g. libcurl's TLS backend, "" when none */
	const char *built; /* pkg-config's version at build time, "" unknown */
};

struct version_info {
	const char *version;      /* meson's project version */
	const char *git_describe; /* "unknown" outside a git checkout */
	struct lib_version libs[VERSION_LIBS_MAX];
	size_t nlibs;
};

/* Fill *v.  Libraries that only some builds link (libdw, sqlite3,
 * libmicrohttpd) are listed only when this binary links them. */
void version_info_collect(struct version_info *v);

/* Print it as text or as one JSON object. */
void version_print(FILE *out, const struct version_info *v, bool json);

#endif
