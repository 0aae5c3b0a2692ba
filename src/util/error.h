/* SPDX-License-Identifier: MIT */
/* One error enum for the whole program (curl's CURLcode habit).
 *
 * Library code returns an enum gd_err and, where useful, fills a struct
 * gd_errbuf with a one-line message that names the input.  Only the command
 * layer prints, through error() / warning(), which go to stderr. */
#ifndef GODIAG_ERROR_H
#define GODIAG_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum gd_err {
	GD_OK = 0,
	GD_ENOMEM,     /* allocation failed */
	GD_EIO,        /* read/write failed */
	GD_ENOENT,     /* file, process or endpoint not found */
	GD_EPERM,      /* permission denied */
	GD_ETIMEOUT,   /* an I/O did not finish in time */
	GD_ETOOBIG,    /* input over its size cap */
	GD_ETOOLONG,   /* a line over the line cap */
	GD_EFORMAT,    /* input is not in the expected format */
	GD_ETRUNCATED, /* input ends early; a partial result may exist */
	GD_EHTTP,      /* HTTP status or transport failure */
	GD_EARG,       /* bad argument */
	GD_EUNSUPPORTED,
	GD_ERR_MAX
};

const char *gd_strerror(enum gd_err e);

#define GD_ERRBUF_SIZE 512
struct gd_errbuf {
	char msg[GD_ERRBUF_SIZE];
};

/* Format into eb (if non-NULL) and return e, so parsers can write
 * `return gd_fail(eb, GD_EFORMAT, "line %zu: ...", n);`. */
enum gd_err gd_fail(struct gd_errbuf *eb, enum gd_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Command-layer reporting, git style: lowercase, no period, stderr.
 * error() returns -1 so `return error(...)` is one line. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define BUG(...) gd_bug(__FILE__, __LINE__, __VA_ARGS__)
__attribute__((noreturn)) void gd_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
