/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/intern.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct intern_chunk {
	struct intern_chunk *next;
	size_t used, size;
	char data[];
};

#define CHUNK_SIZE (64 * 1024)

void intern_init(struct intern *in)
{
	memset(in, 0, sizeof(*in));
}

void intern_release(struct intern *in)
{
	struct intern_chunk *c = in->chunks;
	while (c) {
		struct intern_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(in->slots);
	intern_init(in);
}

char *intern_copy(struct intern *in, const char *s, size_t len)
{
	struct intern_chunk *c = in->chunks;
	char *dst;
	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = in->chunks;
		in->chunks = c;
		in->bytes += size;
	}
	dst = c->data + c->used;
	memcpy(dst, s, len);
	dst[len] = '\0';
	c->used += len + 1;
	return dst;
}

static void rehash(struct intern *in)
{
	size_t n = in->nslots ? in->nslots * 2 : 1024;
	struct intern_entry *slots = xcalloc(n, sizeof(*slots));
	for (size_t i = 0; i < in->nslots; i++) {
		struct intern_entry *e = &in->slots[i];
		size_t j;
		if (!e->str)
			continue;
		for (j = e->hash & (n - 1); slots[j].str; j = (j + 1) & (n - 1))
			;
		slots[j] = *e;
	}
	free(in->slots);
	in->slots = slots;
	in->nslots = n;
}

const char *intern_str(struct intern *in, const char *s, size_t len)
{
	uint64_t h = gd_hash_bytes(s, len, 0x1234);
	size_t j;
	if ((in->count + 1) * 4 > in->nslots * 3)
		rehash(in);
	for (j = h & (in->nslots - 1); in->slots[j].str; j = (j + 1) & (in->nslots - 1)) {
		struct intern_entry *e = &in->slots[j];
		if (e->hash == h && e->len == len && !memcmp(e->str, s, len))
			return e->str;
	}
	in->slots[j].str = intern_copy(in, s, len);
	in->slots[j].len = (uint32_t)len;
	in->slots[j].hash = h;
	in->count++;
	return in->slots[j].str;
}
