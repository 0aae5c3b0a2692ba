/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"
#include "util/banned.h"

static const char *const messages[GD_ERR_MAX] = {
	[GD_OK] = "success",
	[GD_ENOMEM] = "out of memory",
	[GD_EIO] = "I/O error",
	[GD_ENOENT] = "not found",
	[GD_EPERM] = "permission denied",
	[GD_ETIMEOUT] = "timed out",
	[GD_ETOOBIG] = "over the size cap",
	[GD_ETOOLONG] = "line too long",
	[GD_EFORMAT] = "unrecognised format",
	[GD_ETRUNCATED] = "truncated",
	[GD_EHTTP] = "HTTP error",
	[GD_EARG] = "bad argument",
	[GD_EUNSUPPORTED] = "unsupported",
};

const char *gd_strerror(enum gd_err e)
{
	if ((unsigned)e >= GD_ERR_MAX || !messages[e])
		return "unknown error";
	return messages[e];
}

enum gd_err gd_fail(struct gd_errbuf *eb, enum gd_err e, const char *fmt, ...)
{
	if (eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

static void report(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "godiag: %s%s\n", prefix, buf);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error: ", fmt, ap);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("warning: ", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("fatal: ", fmt, ap);
	va_end(ap);
	exit(2);
}

void gd_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "godiag: BUG %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
