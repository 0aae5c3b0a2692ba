/* SPDX-License-Identifier: MIT */
/* HTML escaping.  Everything a target sends (function names, file paths,
 * labels) passes through here before it reaches a report page. */
#ifndef GODIAG_HTML_H
#define GODIAG_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Write s[0..n) escaped for HTML text and attribute values; invalid UTF-8
 * becomes U+FFFD and control characters are dropped. */
void html_escape(FILE *out, const char *s, size_t n);
void html_escape_str(FILE *out, const char *s);

#endif
