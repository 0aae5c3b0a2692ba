/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "diagnose/connsview.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *const conns_hist_names[HIST_N] = { "<1s", "<10s", "<1m", "<10m", "<1h", "<1d", ">=1d" };
static const uint64_t hist_limits_ms[HIST_N - 1] = { 1000, 10000, 60000, 600000, 3600000, 86400000 };

/* ---- grouping ---- */

struct keyed {
	const struct tcp_sock *s;
	bool inbound;
};

static int cmp_u16(uint16_t a, uint16_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_peer_addr(const struct tcp_sock *a, const struct tcp_sock *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->peer_addr, b->peer_addr, 16);
}

/* Group identity: inbound by local port; outbound by peer address+port. */
static int cmp_group(const struct keyed *a, const struct keyed *b)
{
	int c;
	if (a->inbound != b->inbound)
		return a->inbound ? -1 : 1;
	if (a->inbound)
		return cmp_u16(a->s->local_port, b->s->local_port);
	c = cmp_peer_addr(a->s, b->s);
	return c ? c : cmp_u16(a->s->peer_port, b->s->peer_port);
}

static int cmp_keyed(const void *va, const void *vb)
{
	const struct keyed *a = va, *b = vb;
	int c = cmp_group(a, b);
	if (c)
		return c;
	c = cmp_peer_addr(a->s, b->s);
	if (c)
		return c;
	return a->s->inode < b->s->inode ? -1 : a->s->inode > b->s->inode;
}

static void stats_add(struct conn_stats *st, const struct tcp_sock *s, bool idle_known)
{
	st->n++;
	st->states[s->state < TCPS_MAX ? s->state : TCPS_MAX]++;
	if (!idle_known || !s->has_idle) {
		st->idle_unknown++;
		return;
	}
	{
		size_t b = 0;
		while (b < HIST_N - 1 && s->last_data_recv_ms >= hist_limits_ms[b])
			b++;
		st->hist[b]++;
	}
	if (!st->oldest || s->last_data_recv_ms > st->oldest->last_data_recv_ms)
		st->oldest = s;
}

static bool port_listened(const uint16_t *ports, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static int cmp_groups_by_size(const void *va, const void *vb)
{
	const struct conn_group *a = va, *b = vb;
	if (a->inbound != b->inbound)
		return a->inbound ? -1 : 1;
	if (a->st.n != b->st.n)
		return a->st.n > b->st.n ? -1 : 1;
	return a->inbound ? cmp_u16(a->first->local_port, b->first->local_port)
			  : cmp_peer_addr(a->first, b->first);
}

static int cmp_peers_by_size(const void *va, const void *vb)
{
	const struct peer_group *a = va, *b = vb;
	if (a->st.n != b->st.n)
		return a->st.n > b->st.n ? -1 : 1;
	return cmp_peer_addr(a->first, b->first);
}

static struct conn_group *group_for_port(struct conns_view *v, uint16_t port)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->groups[i].inbound && v->groups[i].first->local_port == port)
			return &v->groups[i];
	return NULL;
}

static void view_build(struct conns_view *v, const struct tcp_sock_list *l, uint64_t min_idle_ms)
{
	uint16_t *ports = NULL;
	size_t nports = 0, aports = 0, nk = 0;
	struct keyed *k = xcalloc(l->n ? l->n : 1, sizeof(*k));

	memset(v, 0, sizeof(*v));
	tcp_sock_list_count(l, &v->totals);
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].state != TCPS_LISTEN || port_listened(ports, nports, l->v[i].local_port))
			continue;
		ALLOC_GROW(ports, nports + 1, aports);
		ports[nports++] = l->v[i].local_port;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct tcp_sock *s = &l->v[i];
		if (s->state == TCPS_LISTEN)
			continue;
		if (min_idle_ms && l->idle_known &&
		    (!s->has_idle || s->last_data_recv_ms < min_idle_ms)) {
			v->filtered_out++;
			continue;
		}
		k[nk].s = s;
		k[nk].inbound = port_listened(ports, nports, s->local_port);
		nk++;
	}
	if (nk > 1)
		qsort(k, nk, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < nk; i++) {
		struct conn_group *g;
		struct peer_group *pg;
		if (!i || cmp_group(&k[i - 1], &k[i])) {
			ALLOC_GROW(v->groups, v->n + 1, v->alloc);
			g = &v->groups[v->n++];
			memset(g, 0, sizeof(*g));
			g->inbound = k[i].inbound;
			g->first = k[i].s;
		}
		g = &v->groups[v->n - 1];
		if (!g->npeers || cmp_peer_addr(g->peers[g->npeers - 1].first, k[i].s)) {
			ALLOC_GROW(g->peers, g->npeers + 1, g->apeers);
			pg = &g->peers[g->npeers++];
			memset(pg, 0, sizeof(*pg));
			pg->first = k[i].s;
		}
		pg = &g->peers[g->npeers - 1];
		stats_add(&g->st, k[i].s, l->idle_known);
		stats_add(&pg->st, k[i].s, l->idle_known);
	}
	/* Every listener gets its inbound group, even with no connections:
	 * "listening, nobody connected" is an answer too. */
	for (size_t i = 0; i < l->n; i++) {
		const struct tcp_sock *s = &l->v[i];
		struct conn_group *g;
		if (s->state != TCPS_LISTEN)
			continue;
		g = group_for_port(v, s->local_port);
		if (!g) {
			ALLOC_GROW(v->groups, v->n + 1, v->alloc);
			g = &v->groups[v->n++];
			memset(g, 0, sizeof(*g));
			g->inbound = true;
			g->first = s;
		}
		ALLOC_GROW(g->listeners, g->nlisteners + 1, g->alisteners);
		g->listeners[g->nlisteners++] = s;
	}
	/* qsort's array must not be NULL, even when empty */
	for (size_t i = 0; i < v->n; i++)
		if (v->groups[i].npeers > 1)
			qsort(v->groups[i].peers, v->groups[i].npeers, sizeof(struct peer_group),
			      cmp_peers_by_size);
	if (v->n > 1)
		qsort(v->groups, v->n, sizeof(*v->groups), cmp_groups_by_size);
	free(ports);
	free(k);
}

static void view_release(struct conns_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->groups[i].peers);
		free(v->groups[i].listeners);
	}
	free(v->groups);
	memset(v, 0, sizeof(*v));
}

enum gd_err conns_view_build(struct conns_view *v, const struct sock_opts *o, int pid, uint64_t min_idle_ms,
			     struct gd_errbuf *eb)
{
	struct tcp_sock_list l;
	enum gd_err rc;

	memset(v, 0, sizeof(*v));
	tcp_sock_list_init(&l);
	rc = tcp_socks_for_pid(o, pid, &l, eb);
	if (rc) {
		tcp_sock_list_release(&l);
		tcp_sock_list_init(&v->list);
		return rc;
	}
	view_build(v, &l, min_idle_ms);
	v->list = l; /* the groups point into l.v, which moves with it */
	v->pid = pid;
	v->min_idle_ms = min_idle_ms;
	return GD_OK;
}

void conns_view_release(struct conns_view *v)
{
	struct tcp_sock_list l = v->list;

	view_release(v); /* clears *v */
	tcp_sock_list_release(&l);
}
