/* SPDX-License-Identifier: MIT */
/* Writing untrusted text (function names, paths, labels from a target) to a
 * terminal.  A goroutine dump can carry escape sequences that would move the
 * cursor, retitle the window or hide lines; these helpers turn every C0/C1
 * control, DEL, invalid UTF-8 byte and bidi override into '?' so what the
 * user sees is what the target sent, nothing more.  They never fail. */
#ifndef GODIAG_TERMSAFE_H
#define GODIAG_TERMSAFE_H

#include <stddef.h>
#include <stdio.h>

/* Write s[0..n) with every unsafe character replaced by '?'. */
void termsafe_write(FILE *out, const char *s, size_t n);
/* The same for a C string; NULL writes nothing. */
void termsafe_puts(FILE *out, const char *s);
/* Write at most maxcols characters (code points) of s, the last three being
 * "..." when s is longer; returns the number of columns written.  Every
 * character counts as one column (good enough for aligning tables of
 * identifiers; wide CJK characters only make a row a little longer). */
size_t termsafe_write_cols(FILE *out, const char *s, size_t maxcols);
/* Number of characters termsafe_write would print for s[0..n). */
size_t termsafe_cols(const char *s, size_t n);

#endif
