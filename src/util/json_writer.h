/* SPDX-License-Identifier: MIT */
/* Streaming JSON writer (git's json-writer, but straight to a FILE).
 *
 * Strings may come from the target and are untrusted: control characters are
 * escaped and invalid UTF-8 becomes U+FFFD, so the output is always valid
 * JSON.  Nesting is tracked so commas are placed by the writer. */
#ifndef GODIAG_JSON_WRITER_H
#define GODIAG_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 64

struct json_writer {
	FILE *out;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool pretty;
	bool after_key;
};

void jw_init(struct json_writer *jw, FILE *out, bool pretty);
void jw_object_begin(struct json_writer *jw);
void jw_object_end(struct json_writer *jw);
void jw_array_begin(struct json_writer *jw);
void jw_array_end(struct json_writer *jw);
/* Inside an object, every value is preceded by jw_key(). */
void jw_key(struct json_writer *jw, const char *key);
/* A NULL s is written as null: an optional field needs no test of its own. */
void jw_string(struct json_writer *jw, const char *s);
void jw_string_n(struct json_writer *jw, const char *s, size_t n);
void jw_int(struct json_writer *jw, int64_t v);
void jw_uint(struct json_writer *jw, uint64_t v);
void jw_double(struct json_writer *jw, double v);
void jw_bool(struct json_writer *jw, bool v);
void jw_null(struct json_writer *jw);
/* jw_key() and jw_string(): a string member, null when s is NULL. */
void jw_key_string(struct json_writer *jw, const char *key, const char *s);
/* Finish the document with a newline. */
void jw_end(struct json_writer *jw);

/* Escape s[0..n) as a JSON string body (no quotes) into out. */
void json_escape(FILE *out, const char *s, size_t n);

#endif
