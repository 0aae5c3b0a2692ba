/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

char strbuf_slopbuf[1];

void strbuf_init(struct strbuf *sb, size_t max)
{
	sb->buf = strbuf_slopbuf;
	sb->len = 0;
	sb->alloc = 0;
	sb->max = max;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, sb->max);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;
	if (len)
		*len = sb->len;
	p = sb->alloc ? sb->buf : xstrdup("");
	strbuf_init(sb, sb->max);
	return p;
}

static enum gd_err grow(struct strbuf *sb, size_t extra)
{
	size_t want;
	if (extra > sb->max || sb->len > sb->max - extra)
		return GD_ETOOBIG;
	want = sb->len + extra + 1;
	if (want <= sb->alloc)
		return GD_OK;
	{
		size_t n = sb->alloc ? sb->alloc : 64;
		while (n < want)
			n = n * 2 < n ? want : n * 2;
		/* Doubling must not reserve past the cap: a buffer capped at
		 * 128 MiB never holds 256 MiB. */
		if (sb->max != STRBUF_UNLIMITED && n > sb->max + 1)
			n = sb->max + 1;
		if (sb->alloc) {
			sb->buf = xrealloc(sb->buf, n);
		} else {
			sb->buf = xmalloc(n);
			sb->buf[0] = '\0';
		}
		sb->alloc = n;
	}
	return GD_OK;
}

enum gd_err strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	enum gd_err e = grow(sb, n);
	if (e)
		return e;
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return GD_OK;
}

enum gd_err strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

enum gd_err strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;
	return strbuf_add(sb, &ch, 1);
}

enum gd_err strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum gd_err e;
	char small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return GD_EFORMAT;
	if ((size_t)n < sizeof(small))
		return strbuf_add(sb, small, (size_t)n);
	e = grow(sb, (size_t)n);
	if (e)
		return e;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return GD_OK;
}
