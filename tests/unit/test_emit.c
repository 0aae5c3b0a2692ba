/* SPDX-License-Identifier: MIT */
/* report/emit: one call per field writes the text or the JSON. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/emit.h"

/* One object of fields, as text or JSON (compact: JSON on one line). */
static char *rendered(void (*fields)(struct emitter *), bool json, bool compact)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct emitter e;

	if (compact)
		emit_init_compact(&e, f, json);
	else
		emit_init(&e, f, json);
	emit_object_begin(&e, NULL);
	fields(&e);
	emit_object_end(&e);
	emit_end(&e);
	fclose(f);
	return buf;
}

/* The same report, as text or JSON. */
static void report_fields(struct emitter *e)
{
	emit_int(e, EMIT_ANY, "pid", "pid %s", 42);
	emit_string(e, EMIT_ANY, "name", " (%s)\n", "evil\x1b]0;title\x07");
	emit_bytes(e, EMIT_ANY, "rss_bytes", "RSS %8s|\n", true, 3u << 20);
	emit_bytes(e, EMIT_ANY, "swap_bytes", "swap %-4s|\n", false, 0);
	emit_uint(e, EMIT_ANY, "threads", "threads %s, 100%% sure\n", true, 7);
	emit_string(e, EMIT_JSON, "json_only", "never shown %s", "j");
	emit_string(e, EMIT_TEXT, "text_only", "text only %s\n", "t");
	emit_array_begin(e, "rules");
	emit_string(e, EMIT_ANY, NULL, "[%s]", "a\"b");
	e->text_muted = true;
	emit_string(e, EMIT_ANY, NULL, "[%s]", "hidden-in-text");
	emit_text(e, "muted\n");
	e->text_muted = false;
	emit_array_end(e);
	emit_text(e, "\nend\n");
	emit_bool(e, EMIT_JSON, "ok", NULL, true);
	emit_null(e, "nothing");
}

static void test_text(void **state)
{
	char *t = rendered(report_fields, false, false);
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
	char *j = rendered(report_fields, true, false);
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

/* Counts: grouped digits in text, compact JSON (stacks). */
static void count_fields(struct emitter *e)
{
	emit_count(e, EMIT_ANY, "total", "%s goroutines", 1234567);
	emit_count(e, EMIT_ANY, "shown", ", %6s shown", 999);
	emit_count(e, EMIT_JSON, "json_only", "never %s", 1000);
	emit_count(e, EMIT_TEXT, NULL, ", %s\n", UINT64_MAX);
}

static void test_count_text(void **state)
{
	char *t = rendered(count_fields, false, true);
	(void)state;
	assert_string_equal(t, "1,234,567 goroutines,    999 shown, 18,446,744,073,709,551,615\n");
	free(t);
}

static void test_count_json_compact(void **state)
{
	char *j = rendered(count_fields, true, true);
	(void)state;
	assert_string_equal(j, "{\"total\":1234567,\"shown\":999,\"json_only\":1000}\n");
	free(j);
}

/* Cut strings, numbers as the caller shows them, laid-out prose (doctor). */

static void shout(FILE *out, const char *s, const void *arg)
{
	fprintf(out, "%s<%s>\n", (const char *)arg, s);
}

static void doctor_fields(struct emitter *e)
{
	emit_string_cut(e, EMIT_ANY, "cut", "[%-8s]", 6, "abcdefghij");
	emit_string_cut(e, EMIT_ANY, "short", "[%5s]", 6, "\xc3\xa9\x1b");
	emit_string_cut(e, EMIT_ANY, "none", "[%s]\n", 6, NULL);
	emit_int_as(e, EMIT_ANY, "goroutines", "n %s", EMIT_NO_CUT, true, 1204, "1,204");
	emit_int_as(e, EMIT_ANY, "sockets", " s %s", EMIT_NO_CUT, false, -1, "unused");
	emit_double_as(e, EMIT_ANY, "confidence", " c %s 100%%\n", EMIT_NO_CUT, 0.92, "92%");
	emit_double_as(e, EMIT_ANY, "value", "[%4s]\n", 4, INFINITY, "12.5 GiB");
	emit_string_layout(e, EMIT_ANY, "prose", "a b", shout, "->");
	emit_string_layout(e, EMIT_ANY, "null_prose", NULL, shout, "->");
	e->text_muted = true;
	emit_string_layout(e, EMIT_ANY, "muted_prose", "m", shout, "->");
	emit_string_cut(e, EMIT_ANY, "muted_cut", "%s", 6, "m");
	e->text_muted = false;
}

static void test_doctor_text(void **state)
{
	char *t = rendered(doctor_fields, false, false);
	(void)state;
	assert_string_equal(t, "[abc...  ]"
			       "[   \xc3\xa9?]"
			       "[?]\n"
			       "n 1,204 s ? c 92% 100%\n"
			       "[1...]\n"
			       "-><a b>\n");
	free(t);
}

static void test_doctor_json(void **state)
{
	char *j = rendered(doctor_fields, true, false);
	(void)state;
	assert_non_null(strstr(j, "\"cut\": \"abcdefghij\""));
	assert_non_null(strstr(j, "\"short\": \"\xc3\xa9\\u001b\""));
	assert_non_null(strstr(j, "\"none\": null"));
	assert_non_null(strstr(j, "\"goroutines\": 1204"));
	assert_non_null(strstr(j, "\"sockets\": null"));
	assert_non_null(strstr(j, "\"confidence\": 0.92"));
	assert_non_null(strstr(j, "\"value\": null"));
	assert_non_null(strstr(j, "\"prose\": \"a b\""));
	assert_non_null(strstr(j, "\"null_prose\": null"));
	assert_non_null(strstr(j, "\"muted_prose\": \"m\""));
	assert_non_null(strstr(j, "\"muted_cut\": \"m\""));
	assert_null(strstr(j, "->"));
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_count_text),
		cmocka_unit_test(test_count_json_compact),
		cmocka_unit_test(test_doctor_text),
		cmocka_unit_test(test_doctor_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
