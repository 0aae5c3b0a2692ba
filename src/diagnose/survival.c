/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "diagnose/survival.h"
#include "goroutine/dump_parse.h"
#include "util/hash.h"
#include "util/xalloc.h"
#include "util/banned.h"

void survival_set_init(struct survival_set *ss)
{
	memset(ss, 0, sizeof(*ss));
}

void survival_set_release(struct survival_set *ss)
{
	free(ss->v);
	memset(ss, 0, sizeof(*ss));
}

uint64_t survival_frames_key(const struct gd_frame *frames, uint32_t nframes)
{
	uint64_t h = 0x5eed;
	for (uint32_t i = 0; i < nframes; i++) {
		h = gd_hash_bytes(frames[i].func, frames[i].func_len, h);
		h = gd_hash_mix(h, frames[i].line);
	}
	return h;
}

static int add_one(const struct gd_goroutine *g, void *ctx)
{
	struct survival_set *ss = ctx;
	struct gsurvivor *s;
	if (ss->n >= SURVIVAL_MAX) {
		ss->truncated = true;
		return 0;
	}
	ALLOC_GROW(ss->v, ss->n + 1, ss->alloc);
	s = &ss->v[ss->n++];
	s->goid = g->id;
	s->key = survival_frames_key(g->frames, g->nframes);
	s->has_wait = g->flags & GD_G_HAS_WAIT;
	s->wait_minutes = s->has_wait ? g->wait_minutes : 0;
	return 0;
}

static int cmp_goid(const void *a, const void *b)
{
	const struct gsurvivor *x = a, *y = b;
	return (x->goid > y->goid) - (x->goid < y->goid);
}

enum gd_err survival_set_parse(struct survival_set *ss, const char *buf, size_t len, struct gd_errbuf *eb)
{
	struct dump_parser *p = dump_parser_new(add_one, ss, 0);
	enum gd_err e = dump_parser_feed(p, buf, len);
	if (!e)
		e = dump_parser_finish(p);
	dump_parser_free(p);
	if (ss->n > 1)
		qsort(ss->v, ss->n, sizeof(*ss->v), cmp_goid);
	if (e)
		return gd_fail(eb, e, "goroutine ids: %s", gd_strerror(e));
	return GD_OK;
}

static bool has_key(const uint64_t *keys, size_t nkeys, uint64_t k)
{
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i] == k)
			return true;
	return false;
}

void survival_count(const struct survival_set *earlier, const struct survival_set *later, const uint64_t *keys,
		    size_t nkeys, struct survival_count *out)
{
	size_t j = 0;
	memset(out, 0, sizeof(*out));
	/* Both sorted by goid: one merge pass. */
	for (size_t i = 0; i < earlier->n; i++) {
		const struct gsurvivor *a = &earlier->v[i];
		if (!has_key(keys, nkeys, a->key))
			continue;
		out->earlier++;
		while (j < later->n && later->v[j].goid < a->goid)
			j++;
		if (j < later->n && later->v[j].goid == a->goid && later->v[j].key == a->key) {
			out->survived++;
			out->waits_grew += later->v[j].wait_minutes >= a->wait_minutes;
		}
	}
}
