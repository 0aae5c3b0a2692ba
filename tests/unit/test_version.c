/* SPDX-License-Identifier: MIT */
/* report/version: the versions `godiag version` reports are the linked
 * libraries' own answers, the build-time ones come from pkg-config, and
 * the JSON form is valid and carries the same facts as the text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <zlib.h>

#include "report/version.h"

static const struct lib_version *find(const struct version_info *v, const char *name)
{
	for (size_t i = 0; i < v->nlibs; i++)
		if (!strcmp(v->libs[i].name, name))
			return &v->libs[i];
	return NULL;
}

static void test_runtime_versions_are_the_libraries(void **state)
{
	struct version_info v;
	const struct lib_version *l;
	(void)state;

	version_info_collect(&v);
	assert_string_equal(v.version, GODIAG_VERSION);
	assert_non_null(v.git_describe);
	assert_true(v.git_describe[0] != '\0');

	assert_non_null(l = find(&v, "zlib"));
	assert_string_equal(l->runtime, zlibVersion());
	assert_string_equal(l->built, ZLIB_VERSION); /* the header we were built against */
	assert_non_null(l = find(&v, "libcurl"));
	assert_string_equal(l->runtime, curl_version_info(CURLVERSION_NOW)->version);
	assert_string_equal(l->built, LIBCURL_VERSION);
	assert_non_null(l = find(&v, "jansson"));
	assert_string_equal(l->runtime, jansson_version_str());
	assert_string_equal(l->built, JANSSON_VERSION);
	assert_non_null(l = find(&v, "libprotobuf-c"));
	assert_string_equal(l->runtime, protobuf_c_version());
	assert_string_equal(l->built, PROTOBUF_C_VERSION);
	/* No run-time version to ask for: only the build-time one, not blank. */
	assert_non_null(l = find(&v, "libmnl"));
	assert_string_equal(l->runtime, "");
	assert_true(l->built[0] != '\0');
	assert_non_null(l = find(&v, "libelf"));
	assert_string_equal(l->detail, "ELF API 1");
}

static char *print(const struct version_info *v, bool json)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	version_print(f, v, json);
	fclose(f);
	return buf;
}

static void test_json_and_text_agree(void **state)
{
	struct version_info v;
	json_error_t err;
	json_t *root, *libs;
	char *text, *js;
	(void)state;

	version_info_collect(&v);
	text = print(&v, false);
	js = print(&v, true);
	root = json_loads(js, 0, &err);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "version")), GODIAG_VERSION);
	assert_string_equal(json_string_value(json_object_get(root, "git_describe")), v.git_describe);
	libs = json_object_get(root, "libraries");
	assert_int_equal(json_array_size(libs), v.nlibs);
	for (size_t i = 0; i < v.nlibs; i++) {
		json_t *o = json_array_get(libs, i);
		const char *name = json_string_value(json_object_get(o, "name"));
		json_t *rt = json_object_get(o, "runtime");
		char line[256];

		assert_string_equal(name, v.libs[i].name);
		if (v.libs[i].runtime[0])
			assert_string_equal(json_string_value(rt), v.libs[i].runtime);
		else
			assert_true(json_is_null(rt));
		/* the text has one row per library with the same run-time version */
		snprintf(line, sizeof(line), "  %-14s %-12s ", name, v.libs[i].runtime[0] ? v.libs[i].runtime : "-");
		assert_non_null(strstr(text, line));
	}
	assert_non_null(strstr(text, "godiag " GODIAG_VERSION " (git "));
	json_decref(root);
	free(text);
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_versions_are_the_libraries),
		cmocka_unit_test(test_json_and_text_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
