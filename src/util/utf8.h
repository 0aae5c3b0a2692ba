/* SPDX-License-Identifier: MIT */
#ifndef GODIAG_UTF8_H
#define GODIAG_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid,
 * overlong, a surrogate or cut short by n. */
size_t utf8_valid_len(const char *s, size_t n);

#endif
