/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "report/emit.h"
#include "util/human.h"
#include "util/termsafe.h"
#include "util/banned.h"

void emit_init(struct emitter *e, FILE *out, bool json)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->json = json;
	if (json)
		jw_init(&e->jw, out, true);
}

void emit_end(struct emitter *e)
{
	if (e->json)
		jw_end(&e->jw);
}

static bool to_json(const struct emitter *e, enum emit_to to)
{
	return e->json && to != EMIT_TEXT;
}

static bool to_text(const struct emitter *e, enum emit_to to, const char *fmt)
{
	return !e->json && !e->text_muted && to != EMIT_JSON && fmt;
}

static void key(struct emitter *e, const char *k)
{
	if (k)
		jw_key(&e->jw, k);
}

void emit_object_begin(struct emitter *e, const char *k)
{
	if (!e->json)
		return;
	key(e, k);
	jw_object_begin(&e->jw);
}

void emit_object_end(struct emitter *e)
{
	if (e->json)
		jw_object_end(&e->jw);
}

void emit_array_begin(struct emitter *e, const char *k)
{
	if (!e->json)
		return;
	key(e, k);
	jw_array_begin(&e->jw);
}

void emit_array_end(struct emitter *e)
{
	if (e->json)
		jw_array_end(&e->jw);
}

/* Write a trusted literal, "%%" as '%'. */
static void literal(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 1 < n && s[i + 1] == '%')
			i++;
		fputc(s[i], out);
	}
}

/* fmt with its one %s (width and '-' allowed) replaced by v, which is
 * written through termsafe when untrusted, cut to maxcols columns
 * (SIZE_MAX: whole); the width pads what is left. */
static void text_field_cols(FILE *out, const char *fmt, const char *v, bool untrusted, size_t maxcols)
{
	const char *p = fmt, *q;
	bool left = false;
	size_t width = 0, cols;

	while ((p = strchr(p, '%')) && p[1] == '%')
		p += 2;
	if (!p) {
		literal(out, fmt, strlen(fmt));
		return;
	}
	literal(out, fmt, (size_t)(p - fmt));
	q = p + 1;
	if (*q == '-') {
		left = true;
		q++;
	}
	while (*q >= '0' && *q <= '9')
		width = width * 10 + (size_t)(*q++ - '0');
	if (*q == 's')
		q++;
	cols = untrusted ? termsafe_cols(v, strlen(v)) : strlen(v);
	cols = cols < maxcols ? cols : maxcols;
	for (size_t i = cols; !left && i < width; i++)
		fputc(' ', out);
	if (untrusted)
		termsafe_write_cols(out, v, maxcols);
	else
		fputs(v, out);
	for (size_t i = cols; left && i < width; i++)
		fputc(' ', out);
	literal(out, q, strlen(q));
}

static void text_field(FILE *out, const char *fmt, const char *v, bool untrusted)
{
	text_field_cols(out, fmt, v, untrusted, SIZE_MAX);
}

void emit_string(struct emitter *e, enum emit_to to, const char *k, const char *fmt, const char *s)
{
	if (to_json(e, to)) {
		key(e, k);
		jw_string(&e->jw, s);
	} else if (to_text(e, to, fmt)) {
		text_field(e->out, fmt, s ? s : "?", s != NULL);
	}
}

void emit_uint(struct emitter *e, enum emit_to to, const char *k, const char *fmt, bool known, uint64_t v)
{
	char buf[32];

	if (to_json(e, to)) {
		key(e, k);
		if (known)
			jw_uint(&e->jw, v);
		else
			jw_null(&e->jw);
	} else if (to_text(e, to, fmt)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		text_field(e->out, fmt, known ? buf : "?", false);
	}
}

void emit_int(struct emitter *e, enum emit_to to, const char *k, const char *fmt, int64_t v)
{
	char buf[32];

	if (to_json(e, to)) {
		key(e, k);
		jw_int(&e->jw, v);
	} else if (to_text(e, to, fmt)) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		text_field(e->out, fmt, buf, false);
	}
}

void emit_bytes(struct emitter *e, enum emit_to to, const char *k, const char *fmt, bool known, uint64_t v)
{
	char buf[32];

	if (to_json(e, to)) {
		emit_uint(e, EMIT_JSON, k, NULL, known, v);
	} else if (to_text(e, to, fmt)) {
		if (known)
			human_bytes(buf, sizeof(buf), v);
		text_field(e->out, fmt, known ? buf : "?", false);
	}
}

void emit_bool(struct emitter *e, enum emit_to to, const char *k, const char *fmt, bool v)
{
	if (to_json(e, to)) {
		key(e, k);
		jw_bool(&e->jw, v);
	} else if (to_text(e, to, fmt)) {
		text_field(e->out, fmt, v ? "yes" : "no", false);
	}
}

void emit_null(struct emitter *e, const char *k)
{
	if (e->json) {
		key(e, k);
		jw_null(&e->jw);
	}
}

void emit_text(struct emitter *e, const char *fmt, ...)
{
	va_list ap;

	if (e->json || e->text_muted)
		return;
	va_start(ap, fmt);
	vfprintf(e->out, fmt, ap);
	va_end(ap);
}

/* --- compact JSON and grouped counts (stacks) --- */
void emit_init_compact(struct emitter *e, FILE *out, bool json)
{
	emit_init(e, out, json);
	if (json)
		jw_init(&e->jw, out, false);
}

void emit_count(struct emitter *e, enum emit_to to, const char *k, const char *fmt, uint64_t v)
{
	char buf[32];

	if (to_json(e, to)) {
		emit_uint(e, EMIT_JSON, k, NULL, true, v);
	} else if (to_text(e, to, fmt)) {
		human_count(buf, sizeof(buf), v);
		text_field(e->out, fmt, buf, false);
	}
}

/* --- cut strings, numbers shown as the caller formats them, laid-out prose (doctor) --- */

void emit_string_cut(struct emitter *e, enum emit_to to, const char *k, const char *fmt, size_t maxcols,
		     const char *s)
{
	if (to_json(e, to))
		emit_string(e, EMIT_JSON, k, NULL, s);
	else if (to_text(e, to, fmt))
		text_field_cols(e->out, fmt, s ? s : "?", true, maxcols);
}

void emit_int_as(struct emitter *e, enum emit_to to, const char *k, const char *fmt, size_t maxcols, bool known,
		 int64_t v, const char *shown)
{
	if (to_json(e, to)) {
		key(e, k);
		if (known)
			jw_int(&e->jw, v);
		else
			jw_null(&e->jw);
	} else if (to_text(e, to, fmt)) {
		text_field_cols(e->out, fmt, known && shown ? shown : "?", true, maxcols);
	}
}

void emit_double_as(struct emitter *e, enum emit_to to, const char *k, const char *fmt, size_t maxcols, double v,
		    const char *shown)
{
	if (to_json(e, to)) {
		key(e, k);
		jw_double(&e->jw, v);
	} else if (to_text(e, to, fmt)) {
		text_field_cols(e->out, fmt, shown ? shown : "?", true, maxcols);
	}
}

void emit_string_layout(struct emitter *e, enum emit_to to, const char *k, const char *s, emit_layout_fn *layout,
			const void *arg)
{
	if (to_json(e, to))
		emit_string(e, EMIT_JSON, k, NULL, s);
	else if (s && !e->json && !e->text_muted && to != EMIT_JSON)
		layout(e->out, s, arg);
}
