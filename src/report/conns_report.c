/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "report/conns_report.h"
#include "report/emit.h"
#include "util/banned.h"

/* Peers listed in text per group; JSON lists them all. */
#define TEXT_PEERS_MAX 20

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
		snprintf(buf, size, "%llu.%llus", (unsigned long long)s, (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

static void endpoint(struct emitter *e, enum emit_to to, const char *key, const char *fmt, int family,
		     const uint8_t *addr, uint16_t port)
{
	char ep[96];

	fmt_endpoint(family, addr, port, ep, sizeof(ep));
	emit_string(e, to, key, fmt, ep);
}

/* "ESTABLISHED 3, CLOSE-WAIT 1" in text; {"ESTABLISHED": 3, ...} in JSON. */
static void states(struct emitter *e, const struct conn_stats *st)
{
	bool first = true;

	emit_object_begin(e, "states");
	for (unsigned i = 0; i <= TCPS_MAX; i++) {
		char fmt[64];
		if (!st->states[i])
			continue;
		snprintf(fmt, sizeof(fmt), "%s%s %%s", first ? "" : ", ", tcp_state_name(i));
		emit_uint(e, EMIT_ANY, tcp_state_name(i), fmt, true, st->states[i]);
		first = false;
	}
	emit_object_end(e);
}

static void oldest(struct emitter *e, const struct tcp_sock *o, bool peer_line)
{
	char dur[32];

	if (!o) {
		emit_null(e, "oldest_idle");
		return;
	}
	fmt_duration_ms(o->last_data_recv_ms, dur, sizeof(dur));
	emit_object_begin(e, "oldest_idle");
	emit_uint(e, EMIT_JSON, "idle_ms", NULL, true, o->last_data_recv_ms);
	emit_string(e, EMIT_TEXT, NULL, peer_line ? "  oldest idle %s" : "  oldest idle: %s", dur);
	emit_uint(e, EMIT_JSON, "last_data_sent_ms", NULL, true, o->last_data_sent_ms);
	/* A peer's line in text ends at the idle time. */
	e->text_muted |= peer_line;
	endpoint(e, EMIT_ANY, "local", "  %s", o->family, o->local_addr, o->local_port);
	endpoint(e, EMIT_ANY, "peer", " -> %s", o->family, o->peer_addr, o->peer_port);
	emit_string(e, EMIT_ANY, "state", "  %s", tcp_state_name(o->state));
	emit_uint(e, EMIT_ANY, "inode", "  inode %s\n", true, o->inode);
	emit_uint(e, EMIT_JSON, "rqueue", NULL, true, o->rqueue);
	emit_uint(e, EMIT_JSON, "wqueue", NULL, true, o->wqueue);
	if (o->has_bytes) {
		emit_uint(e, EMIT_JSON, "bytes_acked", NULL, true, o->bytes_acked);
		emit_uint(e, EMIT_JSON, "bytes_received", NULL, true, o->bytes_received);
	}
	emit_object_end(e);
}

/* The counts of a group (peer_line false) or of one peer in its group's
 * "by peer" list. */
static void stats(struct emitter *e, const struct conn_stats *st, bool idle_known, bool peer_line)
{
	bool muted = e->text_muted;

	if (peer_line) {
		emit_uint(e, EMIT_ANY, "sockets", "%6s  ", true, st->n);
	} else {
		emit_uint(e, EMIT_ANY, "sockets", "\n  %s", true, st->n);
		emit_text(e, " socket%s%s", st->n == 1 ? "" : "s", st->n ? ": " : "");
	}
	states(e, st);
	if (!peer_line) {
		emit_text(e, "\n");
		/* An empty group shows only its count in text. */
		e->text_muted |= !st->n;
	}
	if (idle_known) {
		e->text_muted |= peer_line;
		emit_text(e, "  idle since last data received:");
		emit_object_begin(e, "idle_histogram");
		for (int b = 0; b < HIST_N; b++) {
			char fmt[32];
			snprintf(fmt, sizeof(fmt), "  %s %%s", conns_hist_names[b]);
			emit_uint(e, EMIT_ANY, conns_hist_names[b], fmt, true, st->hist[b]);
		}
		emit_object_end(e);
		emit_uint(e, st->idle_unknown ? EMIT_ANY : EMIT_JSON, "idle_unknown", "  unknown %s", true,
			  st->idle_unknown);
		emit_text(e, "\n");
		e->text_muted = muted || (!peer_line && !st->n);
	} else {
		emit_null(e, "idle_histogram");
		emit_uint(e, EMIT_JSON, "idle_unknown", NULL, true, st->idle_unknown);
	}
	oldest(e, st->oldest, peer_line);
	if (peer_line) {
		e->text_muted = muted;
		emit_text(e, "\n");
	}
}

static void group(struct emitter *e, const struct conn_group *g, bool idle_known)
{
	bool muted = e->text_muted;

	emit_object_begin(e, NULL);
	emit_text(e, "\n");
	emit_string(e, EMIT_JSON, "direction", NULL, g->inbound ? "inbound" : "outbound");
	if (g->inbound) {
		emit_uint(e, EMIT_ANY, "port", "inbound on :%s", true, g->first->local_port);
		emit_array_begin(e, "listen");
		for (size_t i = 0; i < g->nlisteners; i++) {
			emit_text(e, "%s", i ? ", " : "  (listening on ");
			endpoint(e, EMIT_ANY, NULL, "%s", g->listeners[i]->family, g->listeners[i]->local_addr,
				 g->listeners[i]->local_port);
		}
		emit_array_end(e);
		/* /proc/net/tcp has no backlog limit for a listener, only
		 * sock_diag does. */
		if (g->nlisteners && g->listeners[0]->wqueue)
			emit_text(e, ", backlog %u/%u)", g->listeners[0]->rqueue, g->listeners[0]->wqueue);
		else if (g->nlisteners)
			emit_text(e, ", backlog %u)", g->listeners[0]->rqueue);
		else
			emit_text(e, "  (no listening socket)");
	} else {
		endpoint(e, EMIT_ANY, "peer", "outbound to %s", g->first->family, g->first->peer_addr,
			 g->first->peer_port);
		emit_uint(e, EMIT_JSON, "port", NULL, true, g->first->peer_port);
	}
	stats(e, &g->st, idle_known, false);
	e->text_muted = muted || !g->st.n || !(g->inbound || g->npeers > 1);
	emit_text(e, "  by peer:\n");
	emit_array_begin(e, "peers");
	for (size_t j = 0; j < g->npeers; j++) {
		char a[64];
		if (j == TEXT_PEERS_MAX && g->npeers > TEXT_PEERS_MAX + 1) {
			emit_text(e, "    ... %zu more peers\n", g->npeers - TEXT_PEERS_MAX);
			e->text_muted = true;
		}
		tcp_addr_format(g->peers[j].first->family, g->peers[j].first->peer_addr, a, sizeof(a));
		emit_object_begin(e, NULL);
		emit_string(e, EMIT_ANY, "addr", "    %-39s ", a);
		stats(e, &g->peers[j].st, idle_known, true);
		emit_object_end(e);
	}
	emit_array_end(e);
	e->text_muted = muted;
	emit_object_end(e);
}

static void notes(struct emitter *e, const char *text)
{
	emit_array_begin(e, "notes");
	for (const char *p = text; *p;) {
		const char *end = strstr(p, "; ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char one[sizeof(((struct tcp_sock_list *)0)->notes)];
		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		emit_string(e, EMIT_ANY, NULL, "note: %s\n", one);
		p += n + (end ? 2 : 0);
	}
	emit_array_end(e);
}

void conns_render(FILE *out, const struct conns_view *v, bool json)
{
	const struct tcp_sock_list *l = &v->list;
	const struct sockstat *ss = &l->sockstat;
	struct emitter e;
	char dur[32];

	emit_init(&e, out, json);
	emit_object_begin(&e, NULL);
	emit_int(&e, EMIT_ANY, "pid", "TCP sockets of pid %s: ", v->pid);
	emit_object_begin(&e, "totals");
	emit_uint(&e, EMIT_ANY, "sockets", "%s", true, v->totals.total);
	emit_uint(&e, EMIT_ANY, "established", " (%s established", true, v->totals.established);
	emit_uint(&e, EMIT_ANY, "listening", ", %s listening", true, v->totals.listening);
	emit_uint(&e, EMIT_ANY, "close_wait", ", %s close-wait", true, v->totals.close_wait);
	emit_uint(&e, EMIT_ANY, "other", ", %s other)\n", true, v->totals.other);
	emit_object_end(&e);
	emit_string(&e, EMIT_ANY, "source", "source: %s\n", l->source);
	emit_bool(&e, EMIT_JSON, "idle_known", NULL, l->idle_known);
	if (!l->idle_known)
		emit_text(&e, "idle times: unknown (only sock_diag's tcp_info has them)\n");
	emit_bool(&e, EMIT_JSON, "partial", NULL, l->partial);
	emit_uint(&e, EMIT_JSON, "min_idle_ms", NULL, true, l->idle_known ? v->min_idle_ms : 0);
	emit_uint(&e, EMIT_JSON, "hidden_by_min_idle", NULL, true, v->filtered_out);
	if (v->min_idle_ms) {
		fmt_duration_ms(v->min_idle_ms, dur, sizeof(dur));
		if (l->idle_known)
			emit_text(&e, "showing connections idle >= %s (%zu younger hidden)\n", dur, v->filtered_out);
		else
			emit_text(&e, "--min-idle %s ignored: no idle times\n", dur);
	}
	notes(&e, l->notes);
	if (ss->valid) {
		emit_object_begin(&e, "sockstat");
		emit_text(&e, "sockstat (netns of pid %d): ", v->pid);
		emit_uint(&e, EMIT_ANY, "tcp_inuse", "TCP inuse %s", true, ss->tcp_inuse);
		emit_uint(&e, EMIT_ANY, "tcp_orphan", ", orphan %s", true, ss->tcp_orphan);
		emit_uint(&e, EMIT_ANY, "tcp_tw", ", tw %s", true, ss->tcp_tw);
		emit_uint(&e, EMIT_ANY, "tcp_alloc", ", alloc %s", true, ss->tcp_alloc);
		emit_uint(&e, EMIT_ANY, "tcp_mem_pages", ", mem %s pages", true, ss->tcp_mem_pages);
		if (ss->valid6)
			emit_uint(&e, EMIT_ANY, "tcp6_inuse", "; TCP6 inuse %s", true, ss->tcp6_inuse);
		emit_text(&e, "\n");
		emit_object_end(&e);
	} else {
		emit_null(&e, "sockstat");
	}
	emit_array_begin(&e, "groups");
	for (size_t i = 0; i < v->n; i++)
		group(&e, &v->groups[i], l->idle_known);
	emit_array_end(&e);
	if (!v->n)
		emit_text(&e, "\nno TCP sockets\n");
	emit_object_end(&e);
	emit_end(&e);
}
