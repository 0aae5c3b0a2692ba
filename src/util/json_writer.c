/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "util/json_writer.h"
#include "util/utf8.h"
#include "util/banned.h"

void jw_init(struct json_writer *jw, FILE *out, bool pretty)
{
	memset(jw, 0, sizeof(*jw));
	jw->out = out;
	jw->pretty = pretty;
}

static void indent(struct json_writer *jw)
{
	if (!jw->pretty)
		return;
	fputc('\n', jw->out);
	for (int i = 0; i < jw->depth; i++)
		fputs("  ", jw->out);
}

/* Called before every value or key at the current level. */
static void sep(struct json_writer *jw)
{
	if (jw->depth > 0) {
		if (jw->need_comma[jw->depth])
			fputc(',', jw->out);
		jw->need_comma[jw->depth] = true;
		indent(jw);
	}
}

static void value_start(struct json_writer *jw)
{
	if (jw->after_key)
		jw->after_key = false;
	else
		sep(jw);
}

static void open(struct json_writer *jw, int c)
{
	value_start(jw);
	fputc(c, jw->out);
	if (jw->depth < JW_MAX_DEPTH - 1)
		jw->depth++;
	jw->need_comma[jw->depth] = false;
}

static void close_(struct json_writer *jw, int c)
{
	bool had = jw->need_comma[jw->depth];
	if (jw->depth > 0)
		jw->depth--;
	if (had)
		indent(jw);
	fputc(c, jw->out);
}

void jw_object_begin(struct json_writer *jw) { open(jw, '{'); }
void jw_object_end(struct json_writer *jw) { close_(jw, '}'); }
void jw_array_begin(struct json_writer *jw) { open(jw, '['); }
void jw_array_end(struct json_writer *jw) { close_(jw, ']'); }

static void json_ascii(FILE *out, unsigned char c)
{
	switch (c) {
	case '"': fputs("\\\"", out); break;
	case '\\': fputs("\\\\", out); break;
	case '\n': fputs("\\n", out); break;
	case '\r': fputs("\\r", out); break;
	case '\t': fputs("\\t", out); break;
	default:
		/* '<' too, so JSON embedded in HTML can never close a script. */
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void json_escape(FILE *out, const char *s, size_t n)
{
	utf8_write_escaped(out, s, n, "\\ufffd", json_ascii);
}

void jw_key(struct json_writer *jw, const char *key)
{
	sep(jw);
	fputc('"', jw->out);
	json_escape(jw->out, key, strlen(key));
	fputs(jw->pretty ? "\": " : "\":", jw->out);
	jw->after_key = true;
}

void jw_string_n(struct json_writer *jw, const char *s, size_t n)
{
	value_start(jw);
	fputc('"', jw->out);
	json_escape(jw->out, s, n);
	fputc('"', jw->out);
}

void jw_string(struct json_writer *jw, const char *s)
{
	if (!s) {
		jw_null(jw);
		return;
	}
	jw_string_n(jw, s, strlen(s));
}

void jw_int(struct json_writer *jw, int64_t v)
{
	value_start(jw);
	fprintf(jw->out, "%" PRId64, v);
}

void jw_uint(struct json_writer *jw, uint64_t v)
{
	value_start(jw);
	fprintf(jw->out, "%" PRIu64, v);
}

void jw_double(struct json_writer *jw, double v)
{
	value_start(jw);
	if (!isfinite(v))
		fputs("null", jw->out);
	else
		fprintf(jw->out, "%.6g", v);
}

void jw_bool(struct json_writer *jw, bool v)
{
	value_start(jw);
	fputs(v ? "true" : "false", jw->out);
}

void jw_null(struct json_writer *jw)
{
	value_start(jw);
	fputs("null", jw->out);
}

void jw_end(struct json_writer *jw)
{
	fputc('\n', jw->out);
	jw->after_key = false;
}

void jw_key_string(struct json_writer *jw, const char *key, const char *s)
{
	jw_key(jw, key);
	jw_string(jw, s);
}
