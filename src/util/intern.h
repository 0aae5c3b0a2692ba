/* SPDX-License-Identifier: MIT */
/* String interning: each distinct string is stored once, in an arena, and
 * lives until intern_release().  Function and file names repeat millions of
 * times in a dump; interning keeps memory proportional to distinct names. */
#ifndef GODIAG_INTERN_H
#define GODIAG_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct intern_entry {
	const char *str; /* NUL-terminated, owned by the arena */
	uint32_t len;
	uint64_t hash;
};

struct intern_chunk;

struct intern {
	struct intern_entry *slots;
	size_t nslots;
	size_t count;
	struct intern_chunk *chunks;
	size_t bytes; /* total bytes held, for memory accounting */
};

void intern_init(struct intern *in);
void intern_release(struct intern *in);
/* Return the canonical copy of s[0..len). */
const char *intern_str(struct intern *in, const char *s, size_t len);
/* Copy bytes into the arena without deduplication (stable until release). */
char *intern_copy(struct intern *in, const char *s, size_t len);

#endif
