/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "util/html.h"
#include "util/utf8.h"
#include "util/banned.h"

static void html_ascii(FILE *out, unsigned char c)
{
	switch (c) {
	case '&': fputs("&amp;", out); break;
	case '<': fputs("&lt;", out); break;
	case '>': fputs("&gt;", out); break;
	case '"': fputs("&quot;", out); break;
	case '\'': fputs("&#39;", out); break;
	case '`': fputs("&#96;", out); break;
	default:
		if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n')
			fputc(c, out);
	}
}

void html_escape(FILE *out, const char *s, size_t n)
{
	utf8_write_escaped(out, s, n, "&#xfffd;", html_ascii);
}

void html_escape_str(FILE *out, const char *s)
{
	if (s)
		html_escape(out, s, strlen(s));
}
