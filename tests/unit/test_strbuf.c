/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/strbuf.h"
#include "util/intern.h"
#include "util/json_writer.h"

static void test_cap_is_hard(void **state)
{
	struct strbuf sb;
	(void)state;
	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_add(&sb, "12345678", 8), GD_OK);
	assert_int_equal(strbuf_add(&sb, "9", 1), GD_ETOOBIG);
	assert_int_equal(sb.len, 8);
	assert_string_equal(sb.buf, "12345678");
	strbuf_reset(&sb);
	assert_int_equal(strbuf_addf(&sb, "%d-%s", 42, "x"), GD_OK);
	assert_string_equal(sb.buf, "42-x");
	assert_int_equal(strbuf_addf(&sb, "%s", "toolong"), GD_ETOOBIG);
	assert_string_equal(sb.buf, "42-x");
	strbuf_release(&sb);
}

static void test_intern_dedups(void **state)
{
	struct intern in;
	char buf[32];
	(void)state;
	intern_init(&in);
	const char *a = intern_str(&in, "net/http.(*conn).serve", 22);
	memcpy(buf, "net/http.(*conn).serve", 23);
	const char *b = intern_str(&in, buf, 22);
	assert_ptr_equal(a, b);
	for (int i = 0; i < 5000; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "f%d", i);
		intern_str(&in, k, (size_t)n);
	}
	assert_ptr_equal(intern_str(&in, "net/http.(*conn).serve", 22), a);
	assert_int_equal(in.count, 5001);
	intern_release(&in);
}

static void test_json_escapes_hostile_strings(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json_writer jw;
	(void)state;
	jw_init(&jw, f, false);
	jw_object_begin(&jw);
	jw_key(&jw, "s");
	jw_string_n(&jw, "a\"b\\</script>\x01\xff", 15);
	jw_key(&jw, "n");
	jw_int(&jw, -3);
	jw_key(&jw, "a");
	jw_array_begin(&jw);
	jw_uint(&jw, 1);
	jw_uint(&jw, 2);
	jw_array_end(&jw);
	jw_object_end(&jw);
	fclose(f);
	assert_string_equal(out,
		"{\"s\":\"a\\\"b\\\\\\u003c/script\\u003e\\u0001\\ufffd\",\"n\":-3,\"a\":[1,2]}");
	free(out);
}

/* An optional field: a NULL string is null, through either call. */
static void test_json_null_strings(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct json_writer jw;
	(void)state;
	jw_init(&jw, f, false);
	jw_object_begin(&jw);
	jw_key(&jw, "a");
	jw_string(&jw, NULL);
	jw_key_string(&jw, "b", NULL);
	jw_key_string(&jw, "c", "x");
	jw_object_end(&jw);
	fclose(f);
	assert_string_equal(out, "{\"a\":null,\"b\":null,\"c\":\"x\"}");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_is_hard),
		cmocka_unit_test(test_intern_dedups),
		cmocka_unit_test(test_json_escapes_hostile_strings),
		cmocka_unit_test(test_json_null_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
