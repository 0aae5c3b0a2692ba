/* SPDX-License-Identifier: MIT */
/* One call per field, text or JSON (iproute2 ss's print_uint(PRINT_ANY, ...)).
 *
 * A renderer describes its report once:
 *
 *   emit_bytes(e, EMIT_ANY, "rss_bytes", "RSS %10s\n", known, rss);
 *
 * With --json this writes "rss_bytes": N (or null when !known); as text it
 * writes the format with the value put in place of its one %s ("?" when
 * unknown, sizes as people read them).  EMIT_JSON and EMIT_TEXT limit a call
 * to one of the two, for what only one of them shows.  Objects and arrays
 * exist only in JSON; in text they are no-ops, so nesting is free.
 *
 * Text formats are trusted literals holding at most one %s, with optional
 * `-` and a width (`%-28s`, `%10s`); "%%" is a percent sign.  Values from
 * the target are untrusted: text goes through termsafe, JSON through
 * json_writer's escaping. */
#ifndef GODIAG_EMIT_H
#define GODIAG_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/json_writer.h"

enum emit_to { EMIT_ANY, EMIT_JSON, EMIT_TEXT };

struct emitter {
	FILE *out;
	bool json;
	bool text_muted; /* text calls write nothing (a part only JSON lists in full) */
	struct json_writer jw;
};

void emit_init(struct emitter *e, FILE *out, bool json);
/* Finish the JSON document (a newline); nothing for text. */
void emit_end(struct emitter *e);

/* JSON structure; key NULL inside an array or at the top. */
void emit_object_begin(struct emitter *e, const char *key);
void emit_object_end(struct emitter *e);
void emit_array_begin(struct emitter *e, const char *key);
void emit_array_end(struct emitter *e);

/* key NULL: an array element. fmt NULL: nothing in text. */
void emit_string(struct emitter *e, enum emit_to to, const char *key, const char *fmt, const char *s);
void emit_uint(struct emitter *e, enum emit_to to, const char *key, const char *fmt, bool known, uint64_t v);
void emit_int(struct emitter *e, enum emit_to to, const char *key, const char *fmt, int64_t v);
void emit_bytes(struct emitter *e, enum emit_to to, const char *key, const char *fmt, bool known, uint64_t v);
void emit_bool(struct emitter *e, enum emit_to to, const char *key, const char *fmt, bool v);
void emit_null(struct emitter *e, const char *key);

/* Text only: a trusted literal with printf arguments (labels, newlines). */
void emit_text(struct emitter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- compact JSON and grouped counts (stacks) --- */
/* As emit_init, but JSON on one line: `stacks --json` has always been
 * compact, and its output is a contract (docs/ARCHITECTURE.md). */
void emit_init_compact(struct emitter *e, FILE *out, bool json);
/* A count people read: "1,234" in text (digits grouped), 1234 in JSON. */
void emit_count(struct emitter *e, enum emit_to to, const char *key, const char *fmt, uint64_t v);

/* --- cut strings, numbers shown as the caller formats them, laid-out prose (doctor) --- */
/* Doctor's text cuts long strings to a column budget and writes numbers as
 * people read them ("1,204", "1,390 min (23 h 10 min)", "92%"); its JSON
 * keeps both whole and exact.
 *
 * The text value takes at most maxcols columns, "..." ending a cut
 * (termsafe_write_cols); a width pads the columns written.  shown is the
 * caller's text form of v, untrusted like a string value (a unit may come
 * from a rules file); "?" when NULL or !known. */
#define EMIT_NO_CUT SIZE_MAX
void emit_string_cut(struct emitter *e, enum emit_to to, const char *key, const char *fmt, size_t maxcols,
		     const char *s);
/* JSON v, or null when !known. */
void emit_int_as(struct emitter *e, enum emit_to to, const char *key, const char *fmt, size_t maxcols, bool known,
		 int64_t v, const char *shown);
/* JSON v as jw_double writes it (six digits, null when not finite). */
void emit_double_as(struct emitter *e, enum emit_to to, const char *key, const char *fmt, size_t maxcols, double v,
		    const char *shown);
/* A string whose text the caller lays out (wrapped prose, code): JSON gets
 * s (null when NULL), text calls layout(out, s, arg) when s is not NULL. */
typedef void emit_layout_fn(FILE *out, const char *s, const void *arg);
void emit_string_layout(struct emitter *e, enum emit_to to, const char *key, const char *s, emit_layout_fn *layout,
			const void *arg);

#endif
