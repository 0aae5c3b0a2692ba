/* SPDX-License-Identifier: MIT */
/* Terminal-safe output of untrusted strings; see termsafe.h. */
#include <stdbool.h>
#include <string.h>

#include "util/termsafe.h"
#include "util/utf8.h"
#include "util/banned.h"

/* Decode the valid sequence s[0..l) (l from utf8_valid_len). */
static unsigned decode(const unsigned char *s, size_t l)
{
	switch (l) {
	case 2: return (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	case 3: return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
	case 4: return (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
	default: return s[0];
	}
}

/* C1 controls are honoured by some terminals even UTF-8 encoded (U+009B is
 * CSI); bidi embeddings and isolates can reorder what the user reads. */
static bool unsafe_cp(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/* Length of the next character at s (1 for a byte that is not valid UTF-8)
 * and whether it may be written as is. */
static size_t next_char(const char *s, size_t n, bool *ok)
{
	size_t l = 1;
	if ((unsigned char)s[0] >= 0x80) {
		l = utf8_valid_len(s, n);
		if (!l) {
			*ok = false;
			return 1;
		}
	}
	*ok = !unsafe_cp(decode((const unsigned char *)s, l));
	return l;
}

void termsafe_write(FILE *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		bool ok;
		size_t l = next_char(s + i, n - i, &ok);
		if (ok)
			fwrite(s + i, 1, l, out);
		else
			fputc('?', out);
		i += l;
	}
}

void termsafe_puts(FILE *out, const char *s)
{
	if (s)
		termsafe_write(out, s, strlen(s));
}

size_t termsafe_cols(const char *s, size_t n)
{
	size_t i = 0, cols = 0;
	while (i < n) {
		bool ok;
		i += next_char(s + i, n - i, &ok);
		cols++;
	}
	return cols;
}

size_t termsafe_write_cols(FILE *out, const char *s, size_t maxcols)
{
	size_t n, i = 0, cols = 0, total;
	if (!s || !maxcols)
		return 0;
	n = strlen(s);
	total = termsafe_cols(s, n);
	if (total <= maxcols) {
		termsafe_write(out, s, n);
		return total;
	}
	if (maxcols <= 3) {
		for (; cols < maxcols; cols++)
			fputc('.', out);
		return cols;
	}
	while (i < n && cols < maxcols - 3) {
		bool ok;
		size_t l = next_char(s + i, n - i, &ok);
		if (ok)
			fwrite(s + i, 1, l, out);
		else
			fputc('?', out);
		i += l;
		cols++;
	}
	fputs("...", out);
	return cols + 3;
}
