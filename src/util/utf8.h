/* SPDX-License-Identifier: MIT */
#ifndef GODIAG_UTF8_H
#define GODIAG_UTF8_H

#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid,
 * overlong, a surrogate or cut short by n. */
size_t utf8_valid_len(const char *s, size_t n);

/* The loop of every escaper of untrusted text (HTML, JSON): valid UTF-8
 * sequences are copied, each invalid byte becomes `invalid`, and each ASCII
 * byte goes to ascii() to be escaped as the format needs. */
typedef void (*utf8_ascii_fn)(FILE *out, unsigned char c);
void utf8_write_escaped(FILE *out, const char *s, size_t n, const char *invalid, utf8_ascii_fn ascii);

#endif
