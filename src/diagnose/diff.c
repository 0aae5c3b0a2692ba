/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diagnose/diff.h"
#include "util/hash.h"
#include "util/xalloc.h"
#include "util/banned.h"

void diff_opts_init(struct diff_opts *o)
{
	o->min_goroutines = 1;
	o->min_bytes = 1;
	o->min_sockets = 1;
}

static void add_note(struct diff_result *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct diff_result *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ALLOC_GROW(d->notes, d->nnotes + 1, d->notes_alloc);
	d->notes[d->nnotes++] = xstrdup(buf);
}

static int64_t sub(uint64_t after, uint64_t before)
{
	return after >= before ? (int64_t)(after - before) : -(int64_t)(before - after);
}

/* --- goroutine buckets ------------------------------------------------------ */

/* One key of one side: the buckets with that stack, summed. */
struct side_key {
	uint64_t key;
	const struct bucket *rep; /* the largest */
	uint64_t count;
	struct diff_wait wait;
};

static uint64_t stack_key(const struct bucket *b)
{
	uint64_t h = 0x9d1f;
	for (uint32_t i = 0; i < b->nframes; i++) {
		const struct gd_frame *f = &b->frames[i];
		h = gd_hash_bytes(f->func, f->func_len, h);
		h = gd_hash_bytes(f->file, f->file_len, h ^ f->line);
	}
	return h;
}

static int cmp_side_key(const void *x, const void *y)
{
	const struct side_key *a = x, *b = y;
	return a->key < b->key ? -1 : a->key > b->key;
}

static void wait_of(const struct bucket *b, struct diff_wait *w)
{
	w->known = bucket_wait_stats(b, &w->min, &w->median, &w->max);
}

static struct side_key *side_keys(const struct grouping *g, size_t *n)
{
	struct side_key *v = xcalloc(g->nbuckets + 1, sizeof(*v));
	size_t m = 0;
	for (size_t i = 0; i < g->nbuckets; i++) {
		v[i].key = stack_key(&g->buckets[i]);
		v[i].rep = &g->buckets[i];
		v[i].count = g->buckets[i].count;
		wait_of(&g->buckets[i], &v[i].wait);
	}
	qsort(v, g->nbuckets, sizeof(*v), cmp_side_key);
	for (size_t i = 0; i < g->nbuckets; i++) {
		if (m && v[m - 1].key == v[i].key) {
			struct side_key *k = &v[m - 1];
			struct diff_wait w = v[i].wait;
			if (v[i].count > k->rep->count) {
				k->rep = v[i].rep;
				if (w.known)
					k->wait.median = w.median;
			}
			k->count += v[i].count;
			if (w.known && (!k->wait.known || w.min < k->wait.min))
				k->wait.min = w.min;
			if (w.known && (!k->wait.known || w.max > k->wait.max))
				k->wait.max = w.max;
			if (w.known && !k->wait.known)
				k->wait.median = w.median;
			k->wait.known |= w.known;
			continue;
		}
		v[m++] = v[i];
	}
	*n = m;
	return v;
}

static const char *main_state(const struct bucket *b)
{
	const struct state_count *best = NULL;
	for (size_t i = 0; i < b->nstates; i++)
		if (!best || b->states[i].count > best->count)
			best = &b->states[i];
	return best ? best->state : NULL;
}

static uint32_t wait_max(const struct diff_wait *w)
{
	return w->known ? w->max : 0;
}

static int cmp_bucket(const void *x, const void *y)
{
	const struct diff_bucket *a = x, *b = y;
	int64_t wa = (int64_t)wait_max(&a->wait_after) - (int64_t)wait_max(&a->wait_before);
	int64_t wb = (int64_t)wait_max(&b->wait_after) - (int64_t)wait_max(&b->wait_before);
	if (a->delta != b->delta)
		return a->delta > b->delta ? -1 : 1;
	if (wa != wb)
		return wa > wb ? -1 : 1;
	if (a->after != b->after)
		return a->after > b->after ? -1 : 1;
	return a->key < b->key ? -1 : a->key > b->key;
}

static void diff_buckets(struct diff_result *d, const struct diff_opts *o)
{
	size_t na, nb, i = 0, j = 0, n = 0;
	struct side_key *ka = side_keys(&d->a->g, &na), *kb = side_keys(&d->b->g, &nb);
	d->buckets = xcalloc(na + nb + 1, sizeof(*d->buckets));
	while (i < na || j < nb) {
		struct diff_bucket *e = &d->buckets[n];
		const struct side_key *x = NULL, *y = NULL;
		if (j >= nb || (i < na && ka[i].key < kb[j].key))
			x = &ka[i++];
		else if (i >= na || kb[j].key < ka[i].key)
			y = &kb[j++];
		else
			x = &ka[i++], y = &kb[j++];
		e->key = x ? x->key : y->key;
		e->rep = y ? y->rep : x->rep;
		e->before = x ? x->count : 0;
		e->after = y ? y->count : 0;
		e->delta = sub(e->after, e->before);
		if (x)
			e->wait_before = x->wait;
		if (y)
			e->wait_after = y->wait;
		e->state = main_state(e->rep);
		/* A bucket that kept its count but whose goroutines waited
		 * longer is not growth: they are the same goroutines, older. */
		e->grew = e->delta > 0 && (uint64_t)e->delta >= o->min_goroutines;
		if (e->delta == 0 && wait_max(&e->wait_after) == wait_max(&e->wait_before))
			continue;
		d->grew += e->grew;
		n++;
	}
	d->nbuckets = n;
	if (n > 1)
		qsort(d->buckets, n, sizeof(*d->buckets), cmp_bucket);
	free(ka);
	free(kb);
}

/* --- heap sites ------------------------------------------------------------- */

static int cmp_site(const void *x, const void *y)
{
	const struct diff_site *a = x, *b = y;
	if (a->delta_bytes != b->delta_bytes)
		return a->delta_bytes > b->delta_bytes ? -1 : 1;
	return a->after_bytes > b->after_bytes ? -1 : a->after_bytes < b->after_bytes;
}

static void diff_heap(struct diff_result *d, const struct diff_opts *o)
{
	const struct heap_profile *a = &d->a->heap, *b = &d->b->heap;
	size_t max = a->nsites + b->nsites + 1, ng, ns;
	struct heap_growth *g = xcalloc(max, sizeof(*g)), *s = xcalloc(max, sizeof(*s));
	ng = heap_profile_growth(a, b, g, max);
	ns = heap_profile_growth(b, a, s, max); /* what shrank: growth from b to a */
	d->sites = xcalloc(ng + ns + 1, sizeof(*d->sites));
	for (size_t i = 0; i < ng; i++) {
		struct diff_site *e = &d->sites[d->nsites++];
		e->site = g[i].site;
		e->before_bytes = g[i].before_bytes;
		e->after_bytes = g[i].after_bytes;
		e->before_objects = g[i].before_objects;
		e->after_objects = g[i].after_objects;
		e->delta_bytes = g[i].delta_bytes;
		e->delta_objects = g[i].delta_objects;
		e->new_site = g[i].new_site;
		e->grew = (uint64_t)e->delta_bytes >= o->min_bytes;
		d->grew += e->grew;
	}
	for (size_t i = 0; i < ns; i++) {
		struct diff_site *e = &d->sites[d->nsites++];
		e->site = s[i].site;
		e->before_bytes = s[i].after_bytes;
		e->after_bytes = s[i].before_bytes;
		e->before_objects = s[i].after_objects;
		e->after_objects = s[i].before_objects;
		e->delta_bytes = -s[i].delta_bytes;
		e->delta_objects = -s[i].delta_objects;
	}
	if (d->nsites > 1)
		qsort(d->sites, d->nsites, sizeof(*d->sites), cmp_site);
	d->heap_before = a->totals.inuse_bytes;
	d->heap_after = b->totals.inuse_bytes;
	free(g);
	free(s);
}

/* --- sockets by peer -------------------------------------------------------- */

struct peer_key {
	char peer[96];
	bool inbound;
	int side; /* 0: a, 1: b */
};

static bool listening_on(const struct snapshot *s, uint16_t port)
{
	for (size_t i = 0; i < s->nlisten; i++)
		if (s->listen_ports[i] == port)
			return true;
	return false;
}

static size_t peer_keys(const struct snapshot *s, int side, struct peer_key *out)
{
	size_t n = 0;
	for (size_t i = 0; i < s->socks.n; i++) {
		const struct tcp_sock *t = &s->socks.v[i];
		char addr[64];
		struct peer_key *k;
		if (t->state == TCPS_LISTEN)
			continue;
		k = &out[n++];
		tcp_addr_format(t->family, t->peer_addr, addr, sizeof(addr));
		k->side = side;
		k->inbound = listening_on(s, t->local_port);
		if (k->inbound)
			snprintf(k->peer, sizeof(k->peer), "%s -> :%u", addr, t->local_port);
		else if (t->family == AF_INET6)
			snprintf(k->peer, sizeof(k->peer), "[%s]:%u", addr, t->peer_port);
		else
			snprintf(k->peer, sizeof(k->peer), "%s:%u", addr, t->peer_port);
	}
	return n;
}

static int cmp_peer_key(const void *x, const void *y)
{
	const struct peer_key *a = x, *b = y;
	int c = strcmp(a->peer, b->peer);
	return c ? c : a->inbound - b->inbound;
}

static int cmp_peer(const void *x, const void *y)
{
	const struct diff_peer *a = x, *b = y;
	if (a->delta != b->delta)
		return a->delta > b->delta ? -1 : 1;
	if (a->after != b->after)
		return a->after > b->after ? -1 : 1;
	return strcmp(a->peer, b->peer);
}

static void diff_sockets(struct diff_result *d, const struct diff_opts *o)
{
	size_t total = d->a->socks.n + d->b->socks.n, n;
	struct peer_key *k = xcalloc(total + 1, sizeof(*k));
	n = peer_keys(d->a, 0, k);
	d->sockets_before = n;
	n += peer_keys(d->b, 1, k + n);
	d->sockets_after = n - d->sockets_before;
	qsort(k, n, sizeof(*k), cmp_peer_key);
	d->peers = xcalloc(n + 1, sizeof(*d->peers));
	for (size_t i = 0; i < n;) {
		struct diff_peer *p = &d->peers[d->npeers];
		size_t j = i;
		memset(p, 0, sizeof(*p));
		snprintf(p->peer, sizeof(p->peer), "%s", k[i].peer);
		p->inbound = k[i].inbound;
		for (; j < n && !cmp_peer_key(&k[i], &k[j]); j++) {
			if (k[j].side)
				p->after++;
			else
				p->before++;
		}
		i = j;
		p->delta = sub(p->after, p->before);
		if (!p->delta)
			continue;
		p->grew = p->delta > 0 && (uint64_t)p->delta >= o->min_sockets;
		d->grew += p->grew;
		d->npeers++;
	}
	if (d->npeers > 1)
		qsort(d->peers, d->npeers, sizeof(*d->peers), cmp_peer);
	free(k);
}

/* --- entry point ------------------------------------------------------------ */

static const char *side_name(int i)
{
	return i ? "B" : "A";
}

void diff_compute(struct diff_result *d, const struct snapshot *a, const struct snapshot *b,
		  const struct diff_opts *o)
{
	struct diff_opts dflt;
	if (!o) {
		diff_opts_init(&dflt);
		o = &dflt;
	}
	memset(d, 0, sizeof(*d));
	d->a = a;
	d->b = b;
	if (a->time && b->time)
		d->seconds = b->time - a->time;
	if (d->seconds < 0)
		add_note(d, "B was taken %lld s before A: the growth shown is from the later to the earlier one",
			 (long long)-d->seconds);

	if (a->has_goroutines && b->has_goroutines) {
		d->has_goroutines = true;
		d->goroutines_before = a->g.total;
		d->goroutines_after = b->g.total;
		diff_buckets(d, o);
		if (a->goroutines_truncated || b->goroutines_truncated)
			add_note(d, "the goroutine dump of %s is truncated: its counts are low",
				 a->goroutines_truncated ? side_name(0) : side_name(1));
	} else if (a->has_goroutines || b->has_goroutines) {
		add_note(d, "goroutines not compared: %s has no goroutine dump or profile",
			 a->has_goroutines ? side_name(1) : side_name(0));
	}
	if (a->has_heap && b->has_heap) {
		d->has_heap = true;
		diff_heap(d, o);
	} else if (a->has_heap || b->has_heap) {
		add_note(d, "heap not compared: %s has no heap profile", a->has_heap ? side_name(1) : side_name(0));
	}
	if (a->has_sockets && b->has_sockets) {
		d->has_sockets = true;
		diff_sockets(d, o);
	} else if (a->has_sockets || b->has_sockets) {
		add_note(d, "sockets not compared: %s has no socket list", a->has_sockets ? side_name(1) : side_name(0));
	}
	if (!d->has_goroutines && !d->has_heap && !d->has_sockets)
		add_note(d, "nothing to compare: A and B hold no evidence of the same kind");
}

void diff_release(struct diff_result *d)
{
	free(d->buckets);
	free(d->sites);
	free(d->peers);
	for (size_t i = 0; i < d->nnotes; i++)
		free(d->notes[i]);
	free(d->notes);
	memset(d, 0, sizeof(*d));
}
