/* SPDX-License-Identifier: MIT */
/* Numbers from text we do not control (command lines, /proc, rule files):
 * strict decimal, no sign, no spaces, no overflow. */
#ifndef GODIAG_NUMPARSE_H
#define GODIAG_NUMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The cursor scanner every parser uses (curl's strparse habit): decimal
 * digits at *pp (before end), at least one, no overflow; on success *pp
 * moves past them.  Inline: the goroutine dump parser calls it per line. */
static inline bool scan_u64(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		p++;
	}
	*pp = p;
	*out = v;
	return true;
}

/* The value of one hex digit (either case), or -1. */
static inline int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The whole of s is a decimal number that fits in 64 bits. */
bool parse_u64(const char *s, uint64_t *out);
/* The first len bytes of s: the same rule, for text that is not
 * NUL-terminated (a field inside a line). */
bool parse_u64_n(const char *s, size_t len, uint64_t *out);
/* "1024", "64k", "256M", "1G" (optionally followed by B, or iB): bytes. */
bool parse_size(const char *s, uint64_t *out);

#endif
