/* SPDX-License-Identifier: MIT */
/* report/emit: one call per field writes the text or the JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/emit.h"

/* The same report, as text or JSON. */
static char *render(bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct emitter e;

	emit_init(&e, f, json);
	emit_object_begin(&e, NULL);
	emit_int(&e, EMIT_ANY, "pid", "pid %s", 42);
	emit_string(&e, EMIT_ANY, "name", " (%s)\n", "evil\x1b]0;title\x07");
	emit_bytes(&e, EMIT_ANY, "rss_bytes", "RSS %8s|\n", true, 3u << 20);
	emit_bytes(&e, EMIT_ANY, "swap_bytes", "swap %-4s|\n", false, 0);
	emit_uint(&e, EMIT_ANY, "threads", "threads %s, 100%% sure\n", true, 7);
	emit_string(&e, EMIT_JSON, "json_only", "never shown %s", "j");
	emit_string(&e, EMIT_TEXT, "text_only", "text only %s\n", "t");
	emit_array_begin(&e, "rules");
	emit_string(&e, EMIT_ANY, NULL, "[%s]", "a\"b");
	e.text_muted = true;
	emit_string(&e, EMIT_ANY, NULL, "[%s]", "hidden-in-text");
	emit_text(&e, "muted\n");
	e.text_muted = false;
	emit_array_end(&e);
	emit_text(&e, "\nend\n");
	emit_bool(&e, EMIT_JSON, "ok", NULL, true);
	emit_null(&e, "nothing");
	emit_object_end(&e);
	emit_end(&e);
	fclose(f);
	return buf;
}

static void test_text(void **state)
{
	char *t = render(false);
	(void)state;
	assert_string_equal(t, "pid 42 (evil?]0;title?)\n"
			       "RSS  3.0 MiB|\n"
			       "swap ?   |\n"
			       "threads 7, 100% sure\n"
			       "text only t\n"
			       "[a\"b]\n"
			       "end\n");
	free(t);
}

static void test_json(void **state)
{
	char *j = render(true);
	(void)state;
	assert_non_null(strstr(j, "\"pid\": 42"));
	assert_non_null(strstr(j, "\"name\": \"evil\\u001b]0;title\\u0007\""));
	assert_non_null(strstr(j, "\"rss_bytes\": 3145728"));
	assert_non_null(strstr(j, "\"swap_bytes\": null"));
	assert_non_null(strstr(j, "\"json_only\": \"j\""));
	assert_null(strstr(j, "text_only"));
	assert_non_null(strstr(j, "\"a\\\"b\""));
	assert_non_null(strstr(j, "\"hidden-in-text\""));
	assert_null(strstr(j, "muted"));
	assert_null(strstr(j, "end"));
	assert_non_null(strstr(j, "\"ok\": true"));
	assert_non_null(strstr(j, "\"nothing\": null"));
	free(j);
}

/* --- added for stacks --- */
static char *render_counts(bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct emitter e;

	emit_init_compact(&e, f, json);
	emit_object_begin(&e, NULL);
	emit_count(&e, EMIT_ANY, "total", "%s goroutines", 1234567);
	emit_count(&e, EMIT_ANY, "shown", ", %6s shown", 999);
	emit_count(&e, EMIT_JSON, "json_only", "never %s", 1000);
	emit_count(&e, EMIT_TEXT, NULL, ", %s\n", UINT64_MAX);
	emit_object_end(&e);
	emit_end(&e);
	fclose(f);
	return buf;
}

static void test_count_text(void **state)
{
	char *t = render_counts(false);
	(void)state;
	assert_string_equal(t, "1,234,567 goroutines,    999 shown, 18,446,744,073,709,551,615\n");
	free(t);
}

static void test_count_json_compact(void **state)
{
	char *j = render_counts(true);
	(void)state;
	assert_string_equal(j, "{\"total\":1234567,\"shown\":999,\"json_only\":1000}\n");
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_count_text),
		cmocka_unit_test(test_count_json_compact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
