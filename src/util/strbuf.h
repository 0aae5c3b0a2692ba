/* SPDX-License-Identifier: MIT */
/* Growable byte buffer with a hard size cap (git's strbuf + curl's dynbuf).
 *
 * Invariants: after strbuf_init() `buf` is never NULL and is always
 * NUL-terminated; `len` never exceeds `max`.  Any add that would pass `max`
 * leaves the buffer unchanged and returns GD_ETOOBIG, so growth driven by
 * untrusted input is always bounded. */
#ifndef GODIAG_STRBUF_H
#define GODIAG_STRBUF_H

#include <stddef.h>

#include "util/error.h"

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;
};

extern char strbuf_slopbuf[1];
#define STRBUF_INIT_MAX(m) { strbuf_slopbuf, 0, 0, (m) }
#define STRBUF_UNLIMITED ((size_t)-1)

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Hand the buffer over to the caller, who frees it; sb is re-initialised. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

enum gd_err strbuf_add(struct strbuf *sb, const void *data, size_t n);
enum gd_err strbuf_addstr(struct strbuf *sb, const char *s);
enum gd_err strbuf_addch(struct strbuf *sb, int c);
enum gd_err strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
