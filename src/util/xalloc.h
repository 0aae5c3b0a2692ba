/* SPDX-License-Identifier: MIT */
/* Allocation that aborts on failure, so callers never check for NULL.
 * Growth driven by input is bounded elsewhere (strbuf caps, line caps). */
#ifndef GODIAG_XALLOC_H
#define GODIAG_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* NULL stays NULL (an optional field). */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

/* Grow array `x` of `alloc` elements so index `nr` fits (git's ALLOC_GROW). */
#define ALLOC_GROW(x, nr, alloc)                                              \
	do {                                                                  \
		if ((size_t)(nr) > (size_t)(alloc)) {                         \
			size_t alloc_new_ = (alloc) < 8 ? 8 : (alloc) * 2;    \
			if (alloc_new_ < (size_t)(nr))                        \
				alloc_new_ = (nr);                            \
			(x) = xreallocarray((x), alloc_new_, sizeof(*(x)));   \
			(alloc) = alloc_new_;                                 \
		}                                                             \
	} while (0)

#endif
