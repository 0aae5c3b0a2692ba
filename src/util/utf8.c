/* SPDX-License-Identifier: MIT */
#include "util/utf8.h"
#include "util/banned.h"

size_t utf8_valid_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned cp;
	size_t len;
	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void utf8_write_escaped(FILE *out, const char *s, size_t n, const char *invalid, utf8_ascii_fn ascii)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			ascii(out, c);
			i++;
		} else {
			size_t l = utf8_valid_len(s + i, n - i);
			if (l) {
				fwrite(s + i, 1, l, out);
				i += l;
			} else {
				fputs(invalid, out);
				i++;
			}
		}
	}
}
