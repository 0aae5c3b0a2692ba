/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "util/html.h"
#include "util/utf8.h"
#include "util/banned.h"

void html_escape(FILE *out, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t l = utf8_valid_len(s + i, n - i);
			if (l) {
				fwrite(s + i, 1, l, out);
				i += l;
			} else {
				fputs("&#xfffd;", out);
				i++;
			}
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		case '`': fputs("&#96;", out); break;
		default:
			if (c >= 0x20 && c != 0x7f)
				fputc(c, out);
			else if (c == '\t' || c == '\n')
				fputc(c, out);
		}
		i++;
	}
}

void html_escape_str(FILE *out, const char *s)
{
	if (s)
		html_escape(out, s, strlen(s));
}
