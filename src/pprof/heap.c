/* SPDX-License-Identifier: MIT */
/* Heap profiles (heap?debug=1 text and heap profile.proto) into one model,
 * and the per-site growth between two of them.  The text side follows
 * writeHeapInternal / printStackRecord in runtime/pprof; the proto side reads
 * the four sample types writeHeapProto emits.  See heap.h for the scaling and
 * stack normalisation that make the two comparable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/heap.h"
#include "pprof/textframe.h"
#include "pprof/profile.h"
#include "util/hash.h"
#include "util/xalloc.h"
#include "util/numparse.h"
#include "util/banned.h"

void heap_profile_init(struct heap_profile *hp)
{
	memset(hp, 0, sizeof(*hp));
	intern_init(&hp->names);
}

void heap_profile_release(struct heap_profile *hp)
{
	for (size_t i = 0; i < hp->nsites; i++)
		free(hp->sites[i].frames);
	free(hp->sites);
	intern_release(&hp->names);
	memset(hp, 0, sizeof(*hp));
	intern_init(&hp->names);
}

/* Go's scaleHeapSample: undo the sampling bias of MemProfileRate. */
static void scale_sample(uint64_t count, uint64_t size, uint64_t rate, uint64_t *oc, uint64_t *os)
{
	double avg, scale, c, s;

	if (count == 0 || size == 0) {
		*oc = 0;
		*os = 0;
		return;
	}
	if (rate <= 1) {
		*oc = count;
		*os = size;
		return;
	}
	avg = (double)size / (double)count;
	scale = 1.0 / (1.0 - exp(-avg / (double)rate));
	c = (double)count * scale;
	s = (double)size * scale;
	/* A hostile header can make these huge or NaN: clamp before casting. */
	*oc = !(c < 1.8e19) ? UINT64_MAX : (uint64_t)c;
	*os = !(s < 1.8e19) ? UINT64_MAX : (uint64_t)s;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t stack_key(const struct heap_frame *f, uint32_t n)
{
	uint64_t h = 0x6865617021ULL ^ n;
	for (uint32_t i = 0; i < n; i++) {
		h = gd_hash_bytes(f[i].func, strlen(f[i].func), h);
		h = gd_hash_bytes(f[i].file, strlen(f[i].file), h ^ 0x2f);
		h = gd_hash_mix(h, f[i].line);
	}
	return h;
}

/* Append one site; frames[0..n) are copied after normalisation. */
static void add_site(struct heap_profile *hp, const struct heap_frame *frames, uint32_t n,
		     bool capped, uint64_t io, uint64_t ib, uint64_t ao, uint64_t ab)
{
	uint32_t start = 0;
	struct heap_site *s;

	/* Buckets created since the last GC print as all zeros: nothing to
	 * say about them, and keeping them would make text and proto of one
	 * state differ by the profile writer's own allocations. */
	if (!io && !ib && !ao && !ab)
		return;
	if (hp->nsites >= HEAP_MAX_SITES) {
		hp->dropped_sites++;
		return;
	}
	/* Leading runtime frames (mallocgc internals) are hidden unless the
	 * stack is nothing else; runtime.goexit never carries information. */
	while (start < n && !strncmp(frames[start].func, "runtime.", 8))
		start++;
	if (start == n)
		start = 0;
	while (n > start + 1 && !strcmp(frames[n - 1].func, "runtime.goexit"))
		n--;
	if (capped)
		hp->capped_stacks++;
	ALLOC_GROW(hp->sites, hp->nsites + 1, hp->alloc);
	s = &hp->sites[hp->nsites++];
	memset(s, 0, sizeof(*s));
	s->nframes = n - start;
	if (s->nframes) {
		s->frames = xreallocarray(NULL, s->nframes, sizeof(*s->frames));
		memcpy(s->frames, frames + start, s->nframes * sizeof(*s->frames));
	}
	s->key = stack_key(s->frames, s->nframes);
	s->inuse_objects = io;
	s->inuse_bytes = ib;
	s->alloc_objects = ao;
	s->alloc_bytes = ab;
	hp->totals.inuse_objects = sat_add(hp->totals.inuse_objects, io);
	hp->totals.inuse_bytes = sat_add(hp->totals.inuse_bytes, ib);
	hp->totals.alloc_objects = sat_add(hp->totals.alloc_objects, ao);
	hp->totals.alloc_bytes = sat_add(hp->totals.alloc_bytes, ab);
}

/* ---- text ---- */


static bool scan_lit(const char **pp, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n))
		return false;
	*pp += n;
	return true;
}

static void skip_sp(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
}

/* "A: B [C: D] @" -> the four counts; *pp is left after the '@'. */
static bool scan_counts(const char **pp, const char *end, uint64_t v[4])
{
	const char *p = *pp;

	if (!scan_u64(&p, end, &v[0]) || !scan_lit(&p, end, ":"))
		return false;
	skip_sp(&p, end);
	if (!scan_u64(&p, end, &v[1]))
		return false;
	skip_sp(&p, end);
	if (!scan_lit(&p, end, "["))
		return false;
	if (!scan_u64(&p, end, &v[2]) || !scan_lit(&p, end, ":"))
		return false;
	skip_sp(&p, end);
	if (!scan_u64(&p, end, &v[3]) || !scan_lit(&p, end, "]"))
		return false;
	skip_sp(&p, end);
	if (!scan_lit(&p, end, "@"))
		return false;
	*pp = p;
	return true;
}

struct text_state {
	struct heap_profile *hp;
	struct heap_frame *frames;
	size_t nframes, frames_alloc;
	bool in_record, capped;
	uint64_t v[4];
	uint64_t rate;
	uint64_t sum_inuse_objects, sum_inuse_bytes;
};

static void finish_record(struct text_state *st)
{
	uint64_t io, ib, ao, ab;

	if (!st->in_record)
		return;
	scale_sample(st->v[0], st->v[1], st->rate, &io, &ib);
	scale_sample(st->v[2], st->v[3], st->rate, &ao, &ab);
	add_site(st->hp, st->frames, (uint32_t)st->nframes, st->capped, io, ib, ao, ab);
	st->in_record = false;
	st->nframes = 0;
	st->capped = false;
}

/* "#\t0x4b4f24\tmain.main+0x64\t\t/home/user/app/heap.go:16" */
static void parse_frame(struct text_state *st, const char *s, const char *end)
{
	struct heap_profile *hp = st->hp;
	struct text_frame tf;
	struct heap_frame *f;

	if (st->nframes >= HEAP_MAX_FRAMES) {
		st->capped = true;
		return;
	}
	text_frame_split(s, (size_t)(end - s), &tf);
	ALLOC_GROW(st->frames, st->nframes + 1, st->frames_alloc);
	f = &st->frames[st->nframes++];
	if (!tf.func_len) {
		f->func = intern_str(&hp->names, tf.pc, tf.pc_len);
		f->file = intern_str(&hp->names, "", 0);
		f->line = 0;
		return;
	}
	f->func = intern_str(&hp->names, tf.func, tf.func_len);
	f->file = intern_str(&hp->names, tf.file, tf.file_len);
	f->line = tf.line;
}

enum gd_err heap_profile_parse_text(struct heap_profile *hp, const char *buf, size_t len,
				    struct gd_errbuf *eb)
{
	const char *p = buf, *end = buf + len;
	struct text_state st;
	bool header = false, ended_blank = true;
	enum gd_err rc = GD_OK;

	if (len > HEAP_MAX_INPUT)
		return gd_fail(eb, GD_ETOOBIG, "heap profile: %zu bytes is over the %zu MiB cap", len,
			       HEAP_MAX_INPUT >> 20);
	memset(&st, 0, sizeof(st));
	st.hp = hp;
	hp->from_proto = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
		const char *s = p;

		if (le > p && le[-1] == '\r')
			le--;
		p = next;
		if ((size_t)(le - s) > HEAP_MAX_LINE) {
			hp->noise_lines++;
			continue;
		}
		if (!header) {
			uint64_t v[4];
			if (le == s)
				continue;
			if (!scan_lit(&s, le, "heap profile:")) {
				rc = gd_fail(eb, GD_EFORMAT,
					     "heap profile: does not start with 'heap profile:'");
				goto out;
			}
			skip_sp(&s, le);
			if (!scan_counts(&s, le, v)) {
				rc = gd_fail(eb, GD_EFORMAT, "heap profile: bad header line");
				goto out;
			}
			skip_sp(&s, le);
			hp->header.valid = true;
			hp->header.inuse_objects = v[0];
			hp->header.inuse_bytes = v[1];
			hp->header.alloc_objects = v[2];
			hp->header.alloc_bytes = v[3];
			if (scan_lit(&s, le, "heap/") && scan_u64(&s, le, &hp->header.rate_field)) {
				st.rate = hp->header.rate_field / 2;
				hp->sample_rate = st.rate;
			}
			header = true;
			continue;
		}
		ended_blank = le == s;
		if (le == s) {
			finish_record(&st);
			continue;
		}
		if (*s >= '0' && *s <= '9') {
			uint64_t v[4];
			finish_record(&st);
			if (!scan_counts(&s, le, v)) {
				hp->noise_lines++;
				continue;
			}
			memcpy(st.v, v, sizeof(v));
			st.in_record = true;
			st.sum_inuse_objects = sat_add(st.sum_inuse_objects, v[0]);
			st.sum_inuse_bytes = sat_add(st.sum_inuse_bytes, v[1]);
			continue;
		}
		if (le - s >= 18 && !memcmp(s, "# runtime.MemStats", 18)) {
			struct gd_errbuf meb;
			finish_record(&st);
			ended_blank = true;
			/* A damaged trailer still gives the fields before the
			 * damage; only a trailer with no field at all is absent. */
			go_memstats_parse(s, (size_t)(end - s), &hp->memstats, "heap profile", &meb);
			hp->has_memstats = hp->memstats.known != 0;
			break;
		}
		if (*s == '#' && st.in_record && le - s >= 2 && (s[1] == '\t' || s[1] == ' ')) {
			parse_frame(&st, s, le);
			continue;
		}
		hp->noise_lines++;
	}
	if (!header) {
		rc = gd_fail(eb, GD_EFORMAT, "heap profile: empty input");
		goto out;
	}
	/* Go ends every record with a blank line: without one the last
	 * record's stack may be cut, so it is dropped rather than mismatched. */
	if (st.in_record && !ended_blank) {
		hp->truncated = true;
		st.in_record = false;
	}
	finish_record(&st);
	if (st.sum_inuse_objects < hp->header.inuse_objects ||
	    st.sum_inuse_bytes < hp->header.inuse_bytes)
		hp->truncated = true;
out:
	free(st.frames);
	return rc;
}

/* ---- proto ---- */

static uint64_t pos_value(const struct profile_sample *s, int idx)
{
	return idx >= 0 && s->values[idx] > 0 ? (uint64_t)s->values[idx] : 0;
}

enum gd_err heap_profile_from_proto(struct heap_profile *hp, const void *buf, size_t len,
				    struct gd_errbuf *eb)
{
	struct profile prof;
	struct heap_frame *frames = NULL;
	size_t frames_alloc = 0;
	int ao, ab, io, ib;
	enum gd_err rc;

	profile_init(&prof);
	rc = profile_decode(&prof, buf, len, NULL, eb);
	if (rc != GD_OK) {
		profile_release(&prof);
		return rc;
	}
	ao = profile_sample_type_index(&prof, "alloc_objects");
	ab = profile_sample_type_index(&prof, "alloc_space");
	io = profile_sample_type_index(&prof, "inuse_objects");
	ib = profile_sample_type_index(&prof, "inuse_space");
	if (ib < 0) {
		rc = gd_fail(eb, GD_EFORMAT, "heap profile: protobuf has no inuse_space sample type%s",
			     profile_is_goroutine(&prof) ? " (it is a goroutine profile)" : "");
		profile_release(&prof);
		return rc;
	}
	hp->from_proto = true;
	hp->time_nanos = prof.time_nanos;
	hp->sample_rate = prof.period > 0 ? (uint64_t)prof.period : 0;
	for (size_t i = 0; i < prof.nsamples; i++) {
		const struct profile_sample *s = &prof.samples[i];
		size_t n = 0;
		bool capped = false;

		for (uint32_t l = 0; l < s->nlocs && !capped; l++) {
			const struct profile_location *loc = s->locs[l];
			if (!loc->nlines) {
				char pc[24];
				int k = snprintf(pc, sizeof(pc), "0x%llx", (unsigned long long)loc->address);
				if (n >= HEAP_MAX_FRAMES) {
					capped = true;
					break;
				}
				ALLOC_GROW(frames, n + 1, frames_alloc);
				frames[n].func = intern_str(&hp->names, pc, (size_t)k);
				frames[n].file = intern_str(&hp->names, "", 0);
				frames[n].line = 0;
				n++;
				continue;
			}
			for (uint32_t j = 0; j < loc->nlines; j++) {
				const struct profile_line *ln = &loc->lines[j];
				if (n >= HEAP_MAX_FRAMES) {
					capped = true;
					break;
				}
				ALLOC_GROW(frames, n + 1, frames_alloc);
				frames[n].func = intern_str(&hp->names, ln->function->name,
							    ln->function->name_len);
				frames[n].file = intern_str(&hp->names, ln->function->filename,
							    ln->function->filename_len);
				frames[n].line = ln->line > 0 && ln->line <= UINT32_MAX ? (uint32_t)ln->line : 0;
				n++;
			}
		}
		add_site(hp, frames, (uint32_t)n, capped, pos_value(s, io), pos_value(s, ib),
			 pos_value(s, ao), pos_value(s, ab));
	}
	free(frames);
	profile_release(&prof);
	return GD_OK;
}

/* ---- growth ---- */

struct agg {
	const struct heap_site *site; /* NULL: empty slot */
	uint64_t inuse_bytes, inuse_objects, alloc_bytes;
};

struct agg_map {
	struct agg *slots;
	size_t mask;
};

static bool same_stack(const struct heap_site *x, const struct heap_site *y)
{
	if (x->key != y->key || x->nframes != y->nframes)
		return false;
	for (uint32_t i = 0; i < x->nframes; i++)
		if (x->frames[i].line != y->frames[i].line ||
		    strcmp(x->frames[i].func, y->frames[i].func) ||
		    strcmp(x->frames[i].file, y->frames[i].file))
			return false;
	return true;
}

static struct agg *agg_find(const struct agg_map *m, const struct heap_site *s)
{
	size_t i = (size_t)s->key & m->mask;
	while (m->slots[i].site && !same_stack(m->slots[i].site, s))
		i = (i + 1) & m->mask;
	return &m->slots[i];
}

static void agg_build(struct agg_map *m, const struct heap_profile *hp)
{
	size_t cap = 16;
	while (cap < hp->nsites * 2 + 2)
		cap <<= 1;
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	for (size_t i = 0; i < hp->nsites; i++) {
		const struct heap_site *s = &hp->sites[i];
		struct agg *a = agg_find(m, s);
		if (!a->site)
			a->site = s;
		a->inuse_bytes = sat_add(a->inuse_bytes, s->inuse_bytes);
		a->inuse_objects = sat_add(a->inuse_objects, s->inuse_objects);
		a->alloc_bytes = sat_add(a->alloc_bytes, s->alloc_bytes);
	}
}

static int64_t diff(uint64_t after, uint64_t before)
{
	if (after >= before)
		return after - before > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(after - before);
	return before - after > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(before - after);
}

static int growth_cmp(const void *x, const void *y)
{
	const struct heap_growth *a = x, *b = y;
	if (a->delta_bytes != b->delta_bytes)
		return a->delta_bytes > b->delta_bytes ? -1 : 1;
	if (a->delta_objects != b->delta_objects)
		return a->delta_objects > b->delta_objects ? -1 : 1;
	return 0;
}

size_t heap_profile_growth(const struct heap_profile *a, const struct heap_profile *b,
			   struct heap_growth *out, size_t max)
{
	struct agg_map ma, mb;
	struct heap_growth *all = NULL;
	size_t n = 0, alloc = 0;

	if (!max || !b->nsites)
		return 0;
	agg_build(&ma, a);
	agg_build(&mb, b);
	for (size_t i = 0; i <= mb.mask; i++) {
		const struct agg *g = &mb.slots[i];
		const struct agg *old;
		struct heap_growth *h;
		if (!g->site)
			continue;
		old = agg_find(&ma, g->site);
		if (g->inuse_bytes <= (old->site ? old->inuse_bytes : 0))
			continue;
		ALLOC_GROW(all, n + 1, alloc);
		h = &all[n++];
		h->site = g->site;
		h->new_site = !old->site;
		h->before_bytes = old->site ? old->inuse_bytes : 0;
		h->before_objects = old->site ? old->inuse_objects : 0;
		h->after_bytes = g->inuse_bytes;
		h->after_objects = g->inuse_objects;
		h->delta_bytes = diff(h->after_bytes, h->before_bytes);
		h->delta_objects = diff(h->after_objects, h->before_objects);
		h->delta_alloc_bytes = diff(g->alloc_bytes, old->site ? old->alloc_bytes : 0);
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), growth_cmp);
	if (n > max)
		n = max;
	if (n)
		memcpy(out, all, n * sizeof(*out));
	free(all);
	free(ma.slots);
	free(mb.slots);
	return n;
}
