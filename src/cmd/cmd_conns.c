/* SPDX-License-Identifier: MIT */
/* `godiag conns PID`: the process's TCP sockets grouped the way a leak shows
 * up.  A connection whose local port is one of the process's listening ports
 * is inbound on that port, anything else is outbound to its peer; inside a
 * group, sockets are split by peer address.  Each group carries its state
 * counts, a histogram of idle times (since data was last received) and its
 * oldest idle socket, because "thousands of ESTABLISHED inbound sockets idle
 * for hours" is the fingerprint of a server without IdleTimeout. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "cmd/options.h"
#include "util/duration.h"
#include "linux/sockdiag.h"
#include "linux/procfs.h"
#include "linux/sockets.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/xalloc.h"
#include "util/banned.h"

enum { HIST_N = 7 };
static const char *const hist_names[HIST_N] = { "<1s", "<10s", "<1m", "<10m", "<1h", "<1d",
						">=1d" };
static const uint64_t hist_limits_ms[HIST_N - 1] = { 1000, 10000, 60000, 600000, 3600000,
						     86400000 };

struct conn_stats {
	size_t n;
	size_t states[TCPS_MAX + 1]; /* [TCPS_MAX] counts out-of-table states */
	size_t hist[HIST_N];
	size_t idle_unknown;
	const struct tcp_sock *oldest;
};

struct peer_group {
	const struct tcp_sock *first; /* holds the peer address */
	struct conn_stats st;
};

struct conn_group {
	bool inbound;
	const struct tcp_sock *first; /* inbound: local port; outbound: peer */
	struct conn_stats st;
	struct peer_group *peers;
	size_t npeers, apeers;
	const struct tcp_sock **listeners;
	size_t nlisteners, alisteners;
};

struct conns_view {
	struct conn_group *groups;
	size_t n, alloc;
	struct tcp_counts totals;
	size_t filtered_out; /* by --min-idle */
};

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

/* ---- formatting helpers ---- */

static void fmt_endpoint(int family, const uint8_t *addr, uint16_t port, char *buf, size_t size)
{
	char a[64];
	tcp_addr_format(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
}

static void fmt_duration_ms(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;
	if (ms < 60000)
		snprintf(buf, size, "%llu.%llus", (unsigned long long)s,
			 (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

/* "30s", "5m", "1h30m", "2d", "500ms", a bare number is seconds. */
static void text_states(FILE *out, const struct conn_stats *st)
{
	bool first = true;
	for (unsigned i = 0; i <= TCPS_MAX; i++) {
		if (!st->states[i])
			continue;
		fprintf(out, "%s%s %zu", first ? "" : ", ", tcp_state_name(i), st->states[i]);
		first = false;
	}
}

static void text_group(FILE *out, const struct conn_group *g, bool idle_known)
{
	char ep[96], dur[32];

	if (g->inbound) {
		fprintf(out, "inbound on :%u", g->first->local_port);
		for (size_t i = 0; i < g->nlisteners; i++) {
			fmt_endpoint(g->listeners[i]->family, g->listeners[i]->local_addr,
				     g->listeners[i]->local_port, ep, sizeof(ep));
			fprintf(out, "%s%s", i ? ", " : "  (listening on ", ep);
		}
		/* /proc/net/tcp has no backlog limit for a listener, only
		 * sock_diag does. */
		if (g->nlisteners && g->listeners[0]->wqueue)
			fprintf(out, ", backlog %u/%u)", g->listeners[0]->rqueue,
				g->listeners[0]->wqueue);
		else if (g->nlisteners)
			fprintf(out, ", backlog %u)", g->listeners[0]->rqueue);
		else
			fprintf(out, "  (no listening socket)");
	} else {
		fmt_endpoint(g->first->family, g->first->peer_addr, g->first->peer_port, ep,
			     sizeof(ep));
		fprintf(out, "outbound to %s", ep);
	}
	fprintf(out, "\n  %zu socket%s", g->st.n, g->st.n == 1 ? "" : "s");
	if (g->st.n) {
		fprintf(out, ": ");
		text_states(out, &g->st);
	}
	fputc('\n', out);
	if (!g->st.n)
		return;
	if (idle_known) {
		fprintf(out, "  idle since last data received:");
		for (int b = 0; b < HIST_N; b++)
			fprintf(out, "  %s %zu", hist_names[b], g->st.hist[b]);
		if (g->st.idle_unknown)
			fprintf(out, "  unknown %zu", g->st.idle_unknown);
		fputc('\n', out);
	}
	if (g->st.oldest) {
		const struct tcp_sock *o = g->st.oldest;
		char lep[96];
		fmt_duration_ms(o->last_data_recv_ms, dur, sizeof(dur));
		fmt_endpoint(o->family, o->local_addr, o->local_port, lep, sizeof(lep));
		fmt_endpoint(o->family, o->peer_addr, o->peer_port, ep, sizeof(ep));
		fprintf(out, "  oldest idle: %s  %s -> %s  %s  inode %llu\n", dur, lep, ep,
			tcp_state_name(o->state), (unsigned long long)o->inode);
	}
	if (g->inbound || g->npeers > 1) {
		fprintf(out, "  by peer:\n");
		for (size_t i = 0; i < g->npeers; i++) {
			const struct peer_group *pg = &g->peers[i];
			char a[64];
			if (i == 20 && g->npeers > 21) {
				fprintf(out, "    ... %zu more peers\n", g->npeers - 20);
				break;
			}
			tcp_addr_format(pg->first->family, pg->first->peer_addr, a, sizeof(a));
			fprintf(out, "    %-39s %6zu  ", a, pg->st.n);
			text_states(out, &pg->st);
			if (pg->st.oldest) {
				fmt_duration_ms(pg->st.oldest->last_data_recv_ms, dur, sizeof(dur));
				fprintf(out, "  oldest idle %s", dur);
			}
			fputc('\n', out);
		}
	}
}

static void text_notes(FILE *out, const char *notes)
{
	const char *p = notes;
	while (*p) {
		const char *e = strstr(p, "; ");
		size_t n = e ? (size_t)(e - p) : strlen(p);
		fprintf(out, "note: %.*s\n", (int)n, p);
		p += n + (e ? 2 : 0);
	}
}

static void render_text(FILE *out, int pid, const struct tcp_sock_list *l,
			const struct conns_view *v, uint64_t min_idle_ms)
{
	char dur[32];

	fprintf(out, "TCP sockets of pid %d: %zu (%zu established, %zu listening, %zu close-wait, %zu other)\n",
		pid, v->totals.total, v->totals.established, v->totals.listening,
		v->totals.close_wait, v->totals.other);
	fprintf(out, "source: %s\n", l->source);
	if (!l->idle_known)
		fprintf(out, "idle times: unknown (only sock_diag's tcp_info has them)\n");
	if (min_idle_ms) {
		fmt_duration_ms(min_idle_ms, dur, sizeof(dur));
		if (l->idle_known)
			fprintf(out, "showing connections idle >= %s (%zu younger hidden)\n", dur,
				v->filtered_out);
		else
			fprintf(out, "--min-idle %s ignored: no idle times\n", dur);
	}
	text_notes(out, l->notes);
	if (l->sockstat.valid) {
		fprintf(out, "sockstat (netns of pid %d): TCP inuse %llu, orphan %llu, tw %llu, alloc %llu, mem %llu pages",
			pid, (unsigned long long)l->sockstat.tcp_inuse,
			(unsigned long long)l->sockstat.tcp_orphan,
			(unsigned long long)l->sockstat.tcp_tw,
			(unsigned long long)l->sockstat.tcp_alloc,
			(unsigned long long)l->sockstat.tcp_mem_pages);
		if (l->sockstat.valid6)
			fprintf(out, "; TCP6 inuse %llu", (unsigned long long)l->sockstat.tcp6_inuse);
		fputc('\n', out);
	}
	for (size_t i = 0; i < v->n; i++) {
		fputc('\n', out);
		text_group(out, &v->groups[i], l->idle_known);
	}
	if (!v->n)
		fprintf(out, "\nno TCP sockets\n");
}

/* ---- JSON ---- */

static void json_endpoint(struct json_writer *jw, const char *key, int family,
			  const uint8_t *addr, uint16_t port)
{
	char ep[96];
	fmt_endpoint(family, addr, port, ep, sizeof(ep));
	jw_key(jw, key);
	jw_string(jw, ep);
}

static void json_stats(struct json_writer *jw, const struct conn_stats *st, bool idle_known)
{
	jw_key(jw, "sockets");
	jw_uint(jw, st->n);
	jw_key(jw, "states");
	jw_object_begin(jw);
	for (unsigned i = 0; i <= TCPS_MAX; i++) {
		if (!st->states[i])
			continue;
		jw_key(jw, tcp_state_name(i));
		jw_uint(jw, st->states[i]);
	}
	jw_object_end(jw);
	jw_key(jw, "idle_histogram");
	if (idle_known) {
		jw_object_begin(jw);
		for (int b = 0; b < HIST_N; b++) {
			jw_key(jw, hist_names[b]);
			jw_uint(jw, st->hist[b]);
		}
		jw_object_end(jw);
	} else {
		jw_null(jw);
	}
	jw_key(jw, "idle_unknown");
	jw_uint(jw, st->idle_unknown);
	jw_key(jw, "oldest_idle");
	if (st->oldest) {
		const struct tcp_sock *o = st->oldest;
		jw_object_begin(jw);
		jw_key(jw, "idle_ms");
		jw_uint(jw, o->last_data_recv_ms);
		jw_key(jw, "last_data_sent_ms");
		jw_uint(jw, o->last_data_sent_ms);
		json_endpoint(jw, "local", o->family, o->local_addr, o->local_port);
		json_endpoint(jw, "peer", o->family, o->peer_addr, o->peer_port);
		jw_key(jw, "state");
		jw_string(jw, tcp_state_name(o->state));
		jw_key(jw, "inode");
		jw_uint(jw, o->inode);
		jw_key(jw, "rqueue");
		jw_uint(jw, o->rqueue);
		jw_key(jw, "wqueue");
		jw_uint(jw, o->wqueue);
		if (o->has_bytes) {
			jw_key(jw, "bytes_acked");
			jw_uint(jw, o->bytes_acked);
			jw_key(jw, "bytes_received");
			jw_uint(jw, o->bytes_received);
		}
		jw_object_end(jw);
	} else {
		jw_null(jw);
	}
}

static void render_json(FILE *out, int pid, const struct tcp_sock_list *l,
			const struct conns_view *v, uint64_t min_idle_ms)
{
	struct json_writer jw;
	const char *p;

	jw_init(&jw, out, true);
	jw_object_begin(&jw);
	jw_key(&jw, "pid");
	jw_int(&jw, pid);
	jw_key(&jw, "source");
	jw_string(&jw, l->source);
	jw_key(&jw, "idle_known");
	jw_bool(&jw, l->idle_known);
	jw_key(&jw, "partial");
	jw_bool(&jw, l->partial);
	jw_key(&jw, "notes");
	jw_array_begin(&jw);
	for (p = l->notes; *p;) {
		const char *e = strstr(p, "; ");
		size_t n = e ? (size_t)(e - p) : strlen(p);
		jw_string_n(&jw, p, n);
		p += n + (e ? 2 : 0);
	}
	jw_array_end(&jw);
	jw_key(&jw, "min_idle_ms");
	jw_uint(&jw, l->idle_known ? min_idle_ms : 0);
	jw_key(&jw, "hidden_by_min_idle");
	jw_uint(&jw, v->filtered_out);
	jw_key(&jw, "totals");
	jw_object_begin(&jw);
	jw_key(&jw, "sockets");
	jw_uint(&jw, v->totals.total);
	jw_key(&jw, "established");
	jw_uint(&jw, v->totals.established);
	jw_key(&jw, "listening");
	jw_uint(&jw, v->totals.listening);
	jw_key(&jw, "close_wait");
	jw_uint(&jw, v->totals.close_wait);
	jw_key(&jw, "other");
	jw_uint(&jw, v->totals.other);
	jw_object_end(&jw);
	jw_key(&jw, "sockstat");
	if (l->sockstat.valid) {
		jw_object_begin(&jw);
		jw_key(&jw, "tcp_inuse");
		jw_uint(&jw, l->sockstat.tcp_inuse);
		jw_key(&jw, "tcp_orphan");
		jw_uint(&jw, l->sockstat.tcp_orphan);
		jw_key(&jw, "tcp_tw");
		jw_uint(&jw, l->sockstat.tcp_tw);
		jw_key(&jw, "tcp_alloc");
		jw_uint(&jw, l->sockstat.tcp_alloc);
		jw_key(&jw, "tcp_mem_pages");
		jw_uint(&jw, l->sockstat.tcp_mem_pages);
		if (l->sockstat.valid6) {
			jw_key(&jw, "tcp6_inuse");
			jw_uint(&jw, l->sockstat.tcp6_inuse);
		}
		jw_object_end(&jw);
	} else {
		jw_null(&jw);
	}
	jw_key(&jw, "groups");
	jw_array_begin(&jw);
	for (size_t i = 0; i < v->n; i++) {
		const struct conn_group *g = &v->groups[i];
		jw_object_begin(&jw);
		jw_key(&jw, "direction");
		jw_string(&jw, g->inbound ? "inbound" : "outbound");
		if (g->inbound) {
			jw_key(&jw, "port");
			jw_uint(&jw, g->first->local_port);
			jw_key(&jw, "listen");
			jw_array_begin(&jw);
			for (size_t j = 0; j < g->nlisteners; j++) {
				char ep[96];
				fmt_endpoint(g->listeners[j]->family, g->listeners[j]->local_addr,
					     g->listeners[j]->local_port, ep, sizeof(ep));
				jw_string(&jw, ep);
			}
			jw_array_end(&jw);
		} else {
			json_endpoint(&jw, "peer", g->first->family, g->first->peer_addr,
				      g->first->peer_port);
			jw_key(&jw, "port");
			jw_uint(&jw, g->first->peer_port);
		}
		json_stats(&jw, &g->st, l->idle_known);
		jw_key(&jw, "peers");
		jw_array_begin(&jw);
		for (size_t j = 0; j < g->npeers; j++) {
			char a[64];
			tcp_addr_format(g->peers[j].first->family, g->peers[j].first->peer_addr, a,
					sizeof(a));
			jw_object_begin(&jw);
			jw_key(&jw, "addr");
			jw_string(&jw, a);
			json_stats(&jw, &g->peers[j].st, l->idle_known);
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end(&jw);
}

/* ---- command ---- */

static void conns_usage(FILE *out)
{
	cmd_help(out, "conns");
}

int cmd_conns(int argc, char **argv)
{
	struct sock_opts o = { 0 };
	struct tcp_sock_list l;
	struct conns_view v;
	struct gd_errbuf eb = { "" };
	uint64_t min_idle_ms = 0;
	bool json = false;
	enum gd_err rc;
	int pid;

	struct cmd_sources src;
	const char *record = NULL;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "machine-readable output"),
		OPT_DURATION(0, "min-idle", &min_idle_ms, 1000, 0, UINT64_MAX,
			     "only connections idle at least this long"),
		OPT_PROC_ROOT(&src),
		OPT_REPLAY_NETLINK(&src),
		OPT_STRING(0, "record-netlink", &record, "FILE", "also save the sock_diag replies to FILE"),
		OPT_END(),
	};

	cmd_sources_init(&src);
	argc = cmd_parse_options("conns", argc, argv, opts);
	if (argc == CMD_OPT_HELP) {
		conns_usage(stdout);
		return EXIT_OK;
	}
	if (argc == CMD_OPT_ERROR)
		return EXIT_USAGE;
	if (argc == 0) {
		conns_usage(stderr);
		return EXIT_USAGE;
	}
	if (argc > 1) {
		error("conns: more than one TARGET ('%s')", argv[1]);
		return EXIT_USAGE;
	}
	if (!cmd_parse_pid("conns", argv[0], &pid))
		return EXIT_USAGE;
	/* The default root is the live /proc; only an explicit one changes
	 * the source (sock_opts treats a set proc_root as a captured tree). */
	o.proc_root = strcmp(src.proc_root, PROCFS_ROOT_DEFAULT) ? src.proc_root : NULL;
	o.replay_file = src.replay_netlink;
	o.record_file = record;
	if (o.record_file && o.replay_file) {
		error("conns: --record-netlink and --replay-netlink exclude each other");
		return EXIT_USAGE;
	}

	tcp_sock_list_init(&l);
	rc = tcp_socks_for_pid(&o, pid, &l, &eb);
	if (rc) {
		error("conns: %s", eb.msg[0] ? eb.msg : gd_strerror(rc));
		tcp_sock_list_release(&l);
		return EXIT_FAIL;
	}
	view_build(&v, &l, min_idle_ms);
	if (json)
		render_json(stdout, pid, &l, &v, min_idle_ms);
	else
		render_text(stdout, pid, &l, &v, min_idle_ms);
	view_release(&v);
	rc = l.partial ? GD_ETRUNCATED : GD_OK;
	tcp_sock_list_release(&l);
	return rc ? EXIT_FAIL : EXIT_OK;
}
