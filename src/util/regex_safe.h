/* SPDX-License-Identifier: MIT */
/* POSIX regcomp for patterns from users (--match, rules files).  glibc's
 * compiler copies the tree for every quantifier and bound, so a short pattern
 * like "a++++...+" or "(a{999}){999}" takes gigabytes: refuse those shapes
 * before compiling. */
#ifndef GODIAG_REGEX_SAFE_H
#define GODIAG_REGEX_SAFE_H

#include <regex.h>
#include <stddef.h>

#define REGEX_SAFE_MAX_LEN 1024

/* regcomp(re, pattern, REG_EXTENDED | REG_NOSUB) after the checks; 0 on
 * success, else non-zero with a one-line reason in err. */
int regcomp_safe(regex_t *re, const char *pattern, char *err, size_t errlen);

#endif
