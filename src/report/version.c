/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <gelf.h>
#include <jansson.h>
#include <libelf.h>
#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "report/git_describe.h"
#include "report/version.h"
#include "report/version_build.h"
#include "util/json_writer.h"
#include "util/banned.h"

/* Weak references: these libraries are linked only when some module of
 * this build uses them, and then the reference resolves; otherwise it is
 * NULL and the library is not listed.  Declared here rather than through
 * their headers, which a build without them need not have. */
struct Dwfl;
extern const char *dwfl_version(struct Dwfl *dwfl) __attribute__((weak));
extern const char *sqlite3_libversion(void) __attribute__((weak));
extern const char *MHD_get_version(void) __attribute__((weak));

static struct lib_version *add(struct version_info *v, const char *name, const char *runtime, const char *built)
{
	struct lib_version *l;

	if (v->nlibs >= VERSION_LIBS_MAX)
		return NULL;
	l = &v->libs[v->nlibs++];
	memset(l, 0, sizeof(*l));
	l->name = name;
	snprintf(l->runtime, sizeof(l->runtime), "%s", runtime ? runtime : "");
	l->built = built;
	return l;
}

void version_info_collect(struct version_info *v)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	struct lib_version *l;
	char buf[32];

	memset(v, 0, sizeof(*v));
	v->version = GODIAG_VERSION;
	v->git_describe = GODIAG_GIT_DESCRIBE[0] ? GODIAG_GIT_DESCRIBE : "unknown";

	l = add(v, "libcurl", cv ? cv->version : "", BUILT_LIBCURL);
	if (l && cv && cv->ssl_version)
		snprintf(l->detail, sizeof(l->detail), "%s", cv->ssl_version);
	add(v, "zlib", zlibVersion(), BUILT_ZLIB);
	add(v, "jansson", jansson_version_str(), BUILT_JANSSON);
	add(v, "libprotobuf-c", protobuf_c_version(), BUILT_LIBPROTOBUF_C);
	/* libelf has no version string; elf_version(EV_NONE) only asks which
	 * ELF API it speaks, without changing the one selected. */
	l = add(v, "libelf", dwfl_version ? dwfl_version(NULL) : "", BUILT_LIBELF);
	if (l) {
		snprintf(buf, sizeof(buf), "ELF API %u", elf_version(EV_NONE));
		snprintf(l->detail, sizeof(l->detail), "%s", buf);
	}
	/* libmnl exports no version: only the build's pkg-config one is known. */
	add(v, "libmnl", "", BUILT_LIBMNL);
	if (dwfl_version)
		add(v, "libdw", dwfl_version(NULL), BUILT_LIBDW);
	if (sqlite3_libversion)
		add(v, "sqlite3", sqlite3_libversion(), BUILT_SQLITE3);
	if (MHD_get_version)
		add(v, "libmicrohttpd", MHD_get_version(), BUILT_LIBMICROHTTPD);
}

void version_print(FILE *out, const struct version_info *v, bool json)
{
	if (json) {
		struct json_writer jw;

		jw_init(&jw, out, true);
		jw_object_begin(&jw);
		jw_key(&jw, "version");
		jw_string(&jw, v->version);
		jw_key(&jw, "git_describe");
		jw_string(&jw, v->git_describe);
		jw_key(&jw, "libraries");
		jw_array_begin(&jw);
		for (size_t i = 0; i < v->nlibs; i++) {
			const struct lib_version *l = &v->libs[i];
			jw_object_begin(&jw);
			jw_key(&jw, "name");
			jw_string(&jw, l->name);
			jw_key(&jw, "runtime");
			if (l->runtime[0])
				jw_string(&jw, l->runtime);
			else
				jw_null(&jw);
			jw_key(&jw, "built");
			if (l->built[0])
				jw_string(&jw, l->built);
			else
				jw_null(&jw);
			if (l->detail[0]) {
				jw_key(&jw, "detail");
				jw_string(&jw, l->detail);
			}
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
		jw_end(&jw);
		return;
	}
	fprintf(out, "godiag %s (git %s)\n", v->version, v->git_describe);
	fprintf(out, "  %-14s %-12s %s\n", "library", "run time", "built with");
	for (size_t i = 0; i < v->nlibs; i++) {
		const struct lib_version *l = &v->libs[i];
		const char *built = l->built[0] ? l->built : "-";

		fprintf(out, "  %-14s %-12s ", l->name, l->runtime[0] ? l->runtime : "-");
		if (l->detail[0])
			fprintf(out, "%-12s %s\n", built, l->detail);
		else
			fprintf(out, "%s\n", built);
	}
}
