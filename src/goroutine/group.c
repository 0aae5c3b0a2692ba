/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "goroutine/group.h"
#include "util/hash.h"
#include "util/xalloc.h"
#include "util/banned.h"

const uint32_t wait_bin_lower[WAIT_BINS] = { 0, 1, 5, 15, 60, 360, 1440 };
const char *const wait_bin_label[WAIT_BINS] = { "<1m", "1-5m", "5-15m", "15-60m", "1-6h", "6-24h", ">=24h" };

void grouping_init(struct grouping *g, enum group_mode mode, uint32_t top_n)
{
	memset(g, 0, sizeof(*g));
	g->mode = mode;
	g->top_n = top_n;
	intern_init(&g->strings);
}

void grouping_release(struct grouping *g)
{
	for (size_t i = 0; i < g->nbuckets; i++) {
		free(g->buckets[i].frames);
		free(g->buckets[i].states);
		free(g->buckets[i].waits);
		free(g->buckets[i].label_sets);
	}
	free(g->buckets);
	free(g->index);
	free(g->states);
	intern_release(&g->strings);
	memset(g, 0, sizeof(*g));
}

static inline uint64_t frame_hash(uint64_t h, const struct gd_frame *f, bool args)
{
	h = gd_hash_bytes(f->func, f->func_len, h);
	h = gd_hash_bytes(f->file, f->file_len, h ^ f->line);
	if (args)
		h = gd_hash_bytes(f->args, f->args_len, h);
	return h;
}

static inline bool same_str(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

static inline bool same_frame(const struct gd_frame *a, const struct gd_frame *b, bool args)
{
	return a->line == b->line && same_str(a->func, a->func_len, b->func, b->func_len) &&
	       same_str(a->file, a->file_len, b->file, b->file_len) &&
	       (!args || same_str(a->args, a->args_len, b->args, b->args_len));
}

/* The part of a goroutine that decides its bucket. */
struct key {
	const struct gd_frame *frames;
	uint32_t nframes;
	const struct gd_frame *creator; /* GROUP_CREATOR only; NULL: no creator */
	bool args;
};

static uint64_t key_hash(const struct key *k)
{
	uint64_t h = 0x5eed ^ k->nframes;
	for (uint32_t i = 0; i < k->nframes; i++)
		h = frame_hash(h, &k->frames[i], k->args);
	if (k->creator)
		h = frame_hash(h ^ 0xc4ea7e, k->creator, false);
	return h;
}

static bool key_matches(const struct grouping *g, const struct bucket *b, const struct key *k)
{
	if (g->mode == GROUP_CREATOR) {
		if (!k->creator)
			return !b->has_creator;
		return b->has_creator && same_frame(&b->creator, k->creator, false);
	}
	if (b->nframes != k->nframes)
		return false;
	for (uint32_t i = 0; i < k->nframes; i++)
		if (!same_frame(&b->frames[i], &k->frames[i], k->args))
			return false;
	return true;
}

static void intern_frame(struct grouping *g, struct gd_frame *dst, const struct gd_frame *src, bool args)
{
	*dst = *src;
	dst->func = intern_str(&g->strings, src->func, src->func_len);
	dst->file = intern_str(&g->strings, src->file, src->file_len);
	if (args) {
		dst->args = intern_str(&g->strings, src->args, src->args_len);
	} else {
		dst->args = "";
		dst->args_len = 0;
	}
}

static void index_grow(struct grouping *g)
{
	size_t n = g->index_size ? g->index_size * 2 : 1024;
	uint32_t *idx = xcalloc(n, sizeof(*idx));
	for (size_t i = 0; i < g->nbuckets; i++) {
		size_t j = g->buckets[i].hash & (n - 1);
		while (idx[j])
			j = (j + 1) & (n - 1);
		idx[j] = (uint32_t)i + 1;
	}
	free(g->index);
	g->index = idx;
	g->index_size = n;
}

static struct bucket *bucket_find(struct grouping *g, const struct key *k, const struct gd_frame *all,
				  uint32_t nall, const struct gd_frame *creator)
{
	uint64_t h;
	size_t j;
	struct bucket *b;

	/* Goroutines come in runs of one stack (a loop started them, allgs
	 * keeps their order): comparing with the last bucket is cheaper than
	 * hashing every frame, and usually settles it. */
	if (g->last_bucket && key_matches(g, &g->buckets[g->last_bucket - 1], k))
		return &g->buckets[g->last_bucket - 1];
	h = key_hash(k);
	if ((g->nbuckets + 1) * 2 > g->index_size)
		index_grow(g);
	for (j = h & (g->index_size - 1); g->index[j]; j = (j + 1) & (g->index_size - 1)) {
		b = &g->buckets[g->index[j] - 1];
		if (b->hash == h && key_matches(g, b, k)) {
			g->last_bucket = g->index[j];
			return b;
		}
	}
	ALLOC_GROW(g->buckets, g->nbuckets + 1, g->buckets_alloc);
	b = &g->buckets[g->nbuckets];
	memset(b, 0, sizeof(*b));
	b->hash = h;
	/* The bucket shows the stack of its first goroutine: in creator mode that
	 * is one example of what the creator started. */
	{
		uint32_t n = g->mode == GROUP_CREATOR ? nall : k->nframes;
		const struct gd_frame *src = g->mode == GROUP_CREATOR ? all : k->frames;
		b->frames = xcalloc(n ? n : 1, sizeof(*b->frames));
		for (uint32_t i = 0; i < n; i++)
			intern_frame(g, &b->frames[i], &src[i], k->args);
		b->nframes = n;
	}
	if (creator) {
		intern_frame(g, &b->creator, creator, false);
		b->has_creator = true;
	}
	g->index[j] = (uint32_t)g->nbuckets + 1;
	g->nbuckets++;
	g->last_bucket = (uint32_t)g->nbuckets;
	return b;
}

static const char no_labels[] = "";

/* Labels do not split buckets (the stack is the leak's identity); a bucket
 * keeps each distinct label set with its count. */
static void count_labels(struct grouping *g, struct bucket *b, const char *labels, size_t len, uint64_t n)
{
	const char *l = no_labels;
	if (!len && b->nlabel_sets && b->label_sets[0].labels == no_labels) {
		b->label_sets[0].count += n; /* the common case: no labels at all */
		return;
	}
	if (len)
		l = intern_str(&g->strings, labels, len);
	for (size_t i = 0; i < b->nlabel_sets; i++) {
		if (b->label_sets[i].labels == l) {
			b->label_sets[i].count += n;
			return;
		}
	}
	if (b->nlabel_sets) {
		b->labels_mixed = true;
	} else if (len) {
		b->labels = l;
	}
	if (b->nlabel_sets >= BUCKET_MAX_LABEL_SETS) {
		b->labels_other += n;
		return;
	}
	ALLOC_GROW(b->label_sets, b->nlabel_sets + 1, b->label_sets_alloc);
	b->label_sets[b->nlabel_sets].labels = l;
	b->label_sets[b->nlabel_sets].count = n;
	b->nlabel_sets++;
}

/* One label text value, quoted ("v", Go %q escapes) or bare (up to ',' or
 * '}'); unquoted into out.  Returns the position after it. */
static const char *label_token(const char *s, const char *end, char *out, size_t cap, size_t *outlen)
{
	size_t o = 0;
	while (s < end && *s == ' ')
		s++;
	if (s < end && *s == '"') {
		for (s++; s < end && *s != '"'; s++) {
			char c = *s;
			if (c == '\\' && s + 1 < end) {
				c = *++s;
				if (c == 'n')
					c = '\n';
				else if (c == 't')
					c = '\t';
			}
			if (o < cap)
				out[o++] = c;
		}
		if (s < end)
			s++;
	} else {
		while (s < end && *s != ',' && *s != '}' && *s != ':') {
			if (o < cap)
				out[o++] = *s;
			s++;
		}
		while (o && out[o - 1] == ' ')
			o--;
	}
	*outlen = o;
	return s;
}

bool labels_match(const char *labels, size_t n, const char *key_value)
{
	const char *eq = strchr(key_value, '='), *s = labels, *end = labels + n;
	size_t klen, vlen;
	char k[256], v[1024];
	if (!eq || !n)
		return false;
	klen = (size_t)(eq - key_value);
	vlen = strlen(eq + 1);
	if (s < end && *s == '{')
		s++;
	while (s < end && *s != '}') {
		size_t kl, vl;
		s = label_token(s, end, k, sizeof(k), &kl);
		if (s >= end || *s != ':')
			return false;
		s = label_token(s + 1, end, v, sizeof(v), &vl);
		if (kl == klen && vl == vlen && !memcmp(k, key_value, klen) && !memcmp(v, eq + 1, vlen))
			return true;
		while (s < end && *s == ' ')
			s++;
		if (s < end && *s == ',')
			s++;
		else
			break;
	}
	return false;
}

static bool labels_wanted(const struct group_filter *f, const char *labels, size_t n)
{
	for (size_t i = 0; i < f->nlabels; i++)
		if (!labels_match(labels, n, f->labels[i]))
			return false;
	return true;
}

static void count_state(struct state_count **v, size_t *n, size_t *alloc, const char *state, uint64_t c)
{
	for (size_t i = 0; i < *n; i++) {
		if ((*v)[i].state == state) {
			(*v)[i].count += c;
			return;
		}
	}
	ALLOC_GROW(*v, *n + 1, *alloc);
	(*v)[*n].state = state;
	(*v)[*n].count = c;
	(*n)++;
}

static void count_wait(struct bucket *b, uint32_t minutes, uint64_t n)
{
	size_t lo = 0, hi = b->nwaits;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b->waits[mid].minutes < minutes)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < b->nwaits && b->waits[lo].minutes == minutes) {
		b->waits[lo].count += n;
		return;
	}
	ALLOC_GROW(b->waits, b->nwaits + 1, b->waits_alloc);
	memmove(&b->waits[lo + 1], &b->waits[lo], (b->nwaits - lo) * sizeof(*b->waits));
	b->waits[lo].minutes = minutes;
	b->waits[lo].count = n;
	b->nwaits++;
}

static bool state_wanted(const struct group_filter *f, const char *state)
{
	if (!f->nstates)
		return true;
	for (size_t i = 0; i < f->nstates; i++)
		if (!strcmp(f->states[i], state))
			return true;
	return false;
}

static bool same_whole_frame(const struct gd_frame *a, const struct gd_frame *b)
{
	return same_frame(a, b, true) && a->flags == b->flags;
}

bool grouping_same(const struct grouping *a, const struct grouping *b)
{
	if (a->total != b->total || a->filtered != b->filtered || a->nbuckets != b->nbuckets)
		return false;
	for (size_t i = 0; i < a->nbuckets; i++) {
		const struct bucket *x = &a->buckets[i], *y = &b->buckets[i];
		if (x->count != y->count || x->nframes != y->nframes || x->has_creator != y->has_creator ||
		    x->nids != y->nids || memcmp(x->ids, y->ids, x->nids * sizeof(x->ids[0])) ||
		    x->with_wait != y->with_wait || x->wait_sum != y->wait_sum)
			return false;
		for (uint32_t f = 0; f < x->nframes; f++)
			if (!same_whole_frame(&x->frames[f], &y->frames[f]))
				return false;
		if (x->has_creator && !same_whole_frame(&x->creator, &y->creator))
			return false;
		if (x->nstates != y->nstates)
			return false;
		for (size_t k = 0; k < x->nstates; k++)
			if (x->states[k].count != y->states[k].count || strcmp(x->states[k].state, y->states[k].state))
				return false;
	}
	return true;
}

int grouping_add_goroutine(const struct gd_goroutine *gr, void *ctx)
{
	struct grouping *g = ctx;
	const char *state = g->last_state;
	uint32_t minutes = (gr->flags & GD_G_HAS_WAIT) ? gr->wait_minutes : 0;
	struct key k;
	struct bucket *b;

	if (!state || strlen(state) != gr->state_len || memcmp(state, gr->state, gr->state_len))
		state = g->last_state = intern_str(&g->strings, gr->state, gr->state_len);
	g->has_states = true;
	g->total++;
	count_state(&g->states, &g->nstates, &g->states_alloc, state, 1);
	if (gr->flags & GD_G_LOCKED)
		g->locked++;
	if (gr->flags & GD_G_LEAKED)
		g->leaked++;
	if (gr->flags & GD_G_CRASHED) {
		g->has_crash = true;
		g->crash_goid = gr->id;
	}
	if (!state_wanted(&g->filter, state) || (g->filter.has_min_wait && minutes < g->filter.min_wait) ||
	    (g->filter.nlabels && !labels_wanted(&g->filter, gr->labels, gr->labels_len))) {
		g->filtered++;
		g->prev_bucket = 0;
		return 0;
	}

	memset(&k, 0, sizeof(k));
	k.frames = gr->frames;
	k.nframes = gr->nframes;
	k.args = g->mode == GROUP_EXACT_ARGS;
	if (g->mode == GROUP_TOP_N && k.nframes > g->top_n)
		k.nframes = g->top_n;
	if (g->mode == GROUP_CREATOR) {
		k.nframes = 0;
		k.creator = (gr->flags & GD_G_HAS_CREATOR) ? &gr->creator : NULL;
	}
	if ((gr->flags & GD_G_SAME_STACK) && g->prev_bucket) {
		b = &g->buckets[g->prev_bucket - 1];
		g->last_bucket = g->prev_bucket;
	} else {
		b = bucket_find(g, &k, gr->frames, gr->nframes, (gr->flags & GD_G_HAS_CREATOR) ? &gr->creator : NULL);
		g->prev_bucket = (uint32_t)(b - g->buckets) + 1;
	}
	count_labels(g, b, gr->labels, gr->labels_len, 1);
	if (gr->flags & GD_G_CRASHED)
		b->crashed = true;

	b->count++;
	count_state(&b->states, &b->nstates, &b->states_alloc, state, 1);
	count_wait(b, minutes, 1);
	if (gr->flags & GD_G_HAS_WAIT) {
		b->with_wait++;
		b->wait_sum += minutes;
	}
	if (gr->flags & GD_G_LOCKED)
		b->locked++;
	if (gr->flags & GD_G_LEAKED)
		b->leaked++;
	if (gr->flags & GD_G_UNAVAILABLE)
		b->unavailable++;
	if (gr->elided > b->elided)
		b->elided = gr->elided;
	if (gr->elided_unknown)
		b->elided_unknown = true;
	if (b->nids < BUCKET_MAX_IDS)
		b->ids[b->nids++] = gr->id;
	return 0;
}

int grouping_add_record(const struct gd_record *r, void *ctx)
{
	struct grouping *g = ctx;
	struct key k;
	struct bucket *b;

	g->total += r->count;
	if (g->filter.nlabels && !labels_wanted(&g->filter, r->labels, r->labels_len)) {
		g->filtered += r->count;
		return 0;
	}
	memset(&k, 0, sizeof(k));
	k.frames = r->frames;
	k.nframes = r->nframes;
	if (g->mode == GROUP_TOP_N && k.nframes > g->top_n)
		k.nframes = g->top_n;
	if (g->mode == GROUP_CREATOR)
		k.nframes = 0; /* profiles carry no creator: everything shares one bucket */
	b = bucket_find(g, &k, r->frames, r->nframes, NULL);
	count_labels(g, b, r->labels, r->labels_len, r->count);
	b->count += r->count;
	return 0;
}

/* Goroutines without a state (from profiles) next to ones with states:
 * count them as "unknown", so the states still add up to the total. */
static void mark_unknown(struct grouping *g)
{
	const char *unk = intern_str(&g->strings, GROUP_UNKNOWN_STATE, strlen(GROUP_UNKNOWN_STATE));
	uint64_t sum = 0;
	for (size_t i = 0; i < g->nstates; i++)
		sum += g->states[i].count;
	if (g->total > sum) {
		count_state(&g->states, &g->nstates, &g->states_alloc, unk, g->total - sum);
		g->unknown += g->total - sum;
	}
	for (size_t i = 0; i < g->nbuckets; i++) {
		struct bucket *b = &g->buckets[i];
		uint64_t bs = 0;
		for (size_t j = 0; j < b->nstates; j++)
			bs += b->states[j].count;
		if (b->count > bs)
			count_state(&b->states, &b->nstates, &b->states_alloc, unk, b->count - bs);
	}
}

void grouping_merge(struct grouping *dst, const struct grouping *src)
{
	bool stateless = (!dst->has_states && dst->total) || (!src->has_states && src->total);
	if (src->has_crash && !dst->has_crash) {
		dst->has_crash = true;
		dst->crash_goid = src->crash_goid;
	}
	dst->total += src->total;
	dst->filtered += src->filtered;
	dst->locked += src->locked;
	dst->leaked += src->leaked;
	dst->has_states |= src->has_states;
	for (size_t i = 0; i < src->nstates; i++)
		count_state(&dst->states, &dst->nstates, &dst->states_alloc,
			    intern_str(&dst->strings, src->states[i].state, strlen(src->states[i].state)),
			    src->states[i].count);
	for (size_t i = 0; i < src->nbuckets; i++) {
		const struct bucket *sb = &src->buckets[i];
		struct bucket *b;
		struct key k;
		memset(&k, 0, sizeof(k));
		k.frames = sb->frames;
		k.nframes = sb->nframes;
		k.args = dst->mode == GROUP_EXACT_ARGS;
		if (dst->mode == GROUP_CREATOR) {
			k.nframes = 0;
			k.creator = sb->has_creator ? &sb->creator : NULL;
		}
		b = bucket_find(dst, &k, sb->frames, sb->nframes, sb->has_creator ? &sb->creator : NULL);
		for (size_t j = 0; j < sb->nlabel_sets; j++)
			count_labels(dst, b, sb->label_sets[j].labels, strlen(sb->label_sets[j].labels),
				     sb->label_sets[j].count);
		b->labels_other += sb->labels_other;
		b->labels_mixed |= sb->labels_mixed || sb->labels_other;
		b->crashed |= sb->crashed;
		b->count += sb->count;
		for (size_t j = 0; j < sb->nstates; j++)
			count_state(&b->states, &b->nstates, &b->states_alloc,
				    intern_str(&dst->strings, sb->states[j].state, strlen(sb->states[j].state)),
				    sb->states[j].count);
		for (size_t j = 0; j < sb->nwaits; j++)
			count_wait(b, sb->waits[j].minutes, sb->waits[j].count);
		b->with_wait += sb->with_wait;
		b->wait_sum += sb->wait_sum;
		b->locked += sb->locked;
		b->leaked += sb->leaked;
		b->unavailable += sb->unavailable;
		if (sb->elided > b->elided)
			b->elided = sb->elided;
		b->elided_unknown |= sb->elided_unknown;
		for (uint32_t j = 0; j < sb->nids && b->nids < BUCKET_MAX_IDS; j++)
			b->ids[b->nids++] = sb->ids[j];
	}
	if (stateless && dst->has_states)
		mark_unknown(dst);
}

const struct bucket *grouping_crash_bucket(const struct grouping *g)
{
	for (size_t i = 0; i < g->nbuckets; i++)
		if (g->buckets[i].crashed)
			return &g->buckets[i];
	return NULL;
}

static bool bucket_matches(const struct bucket *b, const regex_t *re)
{
	for (uint32_t i = 0; i < b->nframes; i++)
		if (!regexec(re, b->frames[i].func, 0, NULL, 0) || !regexec(re, b->frames[i].file, 0, NULL, 0))
			return true;
	if (b->has_creator &&
	    (!regexec(re, b->creator.func, 0, NULL, 0) || !regexec(re, b->creator.file, 0, NULL, 0)))
		return true;
	return false;
}

static int cmp_bucket(const void *a, const void *b)
{
	const struct bucket *x = *(const struct bucket *const *)a, *y = *(const struct bucket *const *)b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->nframes && y->nframes) {
		int c = strcmp(x->frames[0].func, y->frames[0].func);
		if (c)
			return c;
	}
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

struct bucket **grouping_sorted(struct grouping *g, size_t *n)
{
	struct bucket **v = xcalloc(g->nbuckets ? g->nbuckets : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < g->nbuckets; i++) {
		struct bucket *b = &g->buckets[i];
		if (b->count < g->filter.min_count)
			continue;
		if (g->filter.match && !bucket_matches(b, g->filter.match))
			continue;
		v[k++] = b;
	}
	qsort(v, k, sizeof(*v), cmp_bucket);
	*n = k;
	return v;
}

bool bucket_wait_stats(const struct bucket *b, uint32_t *min, uint32_t *median, uint32_t *max)
{
	uint64_t half, seen = 0;
	if (!b->with_wait || !b->nwaits)
		return false;
	*min = b->waits[0].minutes;
	*max = b->waits[b->nwaits - 1].minutes;
	half = (b->count + 1) / 2; /* lower median */
	*median = *max;
	for (size_t i = 0; i < b->nwaits; i++) {
		seen += b->waits[i].count;
		if (seen >= half) {
			*median = b->waits[i].minutes;
			break;
		}
	}
	return true;
}

void bucket_wait_histogram(const struct bucket *b, uint64_t bins[WAIT_BINS])
{
	memset(bins, 0, sizeof(uint64_t) * WAIT_BINS);
	for (size_t i = 0; i < b->nwaits; i++) {
		int bin = WAIT_BINS - 1;
		while (bin > 0 && b->waits[i].minutes < wait_bin_lower[bin])
			bin--;
		bins[bin] += b->waits[i].count;
	}
}
