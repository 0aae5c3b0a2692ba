/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/diagnose.h"
#include "diagnose/memrules.h"
#include "diagnose/survival.h"
#include "linux/procfs.h"
#include "runtime/waitstate.h"
#include "util/human.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* --- formatting helpers ---------------------------------------------------- */

/* --- goroutine rules ------------------------------------------------------- */

static bool frame_matches(const regex_t *re, const struct bucket *b)
{
	for (uint32_t i = 0; i < b->nframes; i++)
		if (!regexec(re, b->frames[i].func, 0, NULL, 0))
			return true;
	return false;
}

/* Where the goroutine is blocked, in its own code: the innermost frame
 * that is not the runtime's (debug=1/0 show runtime.gopark & co.). */
static const struct gd_frame *blocked_frame(const struct bucket *b)
{
	for (uint32_t i = 0; i < b->nframes; i++)
		if (strncmp(b->frames[i].func, "runtime.", 8) && strncmp(b->frames[i].func, "internal/runtime/", 17))
			return &b->frames[i];
	return b->nframes ? &b->frames[0] : NULL;
}

/* Goroutines serving a profile (godiag's own request among them) are not
 * the patient's: net/http/pprof and runtime/pprof on the stack. */
static bool serving_pprof(const struct bucket *b)
{
	for (uint32_t i = 0; i < b->nframes; i++)
		if (!strncmp(b->frames[i].func, "net/http/pprof.", 15) || !strncmp(b->frames[i].func, "runtime/pprof.", 14))
			return true;
	return false;
}

static bool bucket_matches_rule(const struct rule *rule, const struct bucket *b)
{
	const struct gd_frame *bf;
	if (!rule->has_frame || !frame_matches(&rule->frame, b) || serving_pprof(b))
		return false;
	if (rule->has_frame_also && !frame_matches(&rule->frame_also, b))
		return false;
	if (rule->has_exclude && (bf = blocked_frame(b)) && !regexec(&rule->exclude, bf->func, 0, NULL, 0))
		return false;
	return true;
}

static bool in_list(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Goroutines of b in the rule's states; for profiles without states
 * (debug=1/0) every goroutine counts. */
static uint64_t count_in_states(const struct bucket *b, char *const *states, size_t nstates, const char **state)
{
	uint64_t c = 0, best = 0;
	if (!b->nstates) {
		/* A profile without states: read the state off the stack where it
		 * shows; where it does not, the goroutines count. */
		const char *inferred = waitstate_infer(b->frames, b->nframes);
		*state = inferred;
		if (nstates && inferred && !in_list(states, nstates, inferred))
			return 0;
		return b->count;
	}
	for (size_t i = 0; i < b->nstates; i++) {
		if (nstates && !in_list(states, nstates, b->states[i].state))
			continue;
		c += b->states[i].count;
		if (b->states[i].count > best) {
			best = b->states[i].count;
			*state = b->states[i].state;
		}
	}
	return c;
}

/* Goroutines of b that waited at least `minutes` (debug=2 only). */
static uint64_t count_waited(const struct bucket *b, uint32_t minutes)
{
	uint64_t c = 0;
	if (!b->with_wait)
		return 0;
	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i].minutes >= minutes)
			c += b->waits[i].count;
	return c;
}

static uint32_t max_wait(const struct bucket *b)
{
	return b->with_wait && b->nwaits ? b->waits[b->nwaits - 1].minutes : 0;
}

struct sock_join {
	bool known, idle_known;
	uint16_t port;          /* inbound: the listener; outbound: the peer port */
	char peer[64];          /* outbound: the peer; inbound: the top client */
	uint64_t established;
	uint64_t idle;          /* of those, idle at least the idle threshold */
	uint64_t idle_suspect;  /* of those, idle at least the suspect floor */
	uint64_t top_peer_count;
	uint32_t oldest_idle_ms;
	char source[160];
	const struct tcp_sock **v; /* the chosen group's sockets (owned) */
	size_t nv;
};

static bool is_listen_port(const struct snapshot *s, uint16_t port)
{
	for (size_t i = 0; i < s->nlisten; i++)
		if (s->listen_ports[i] == port)
			return true;
	return false;
}

/* Order sockets by peer address (and port, for outbound groups). */
static int cmp_peer(const void *a, const void *b)
{
	const struct tcp_sock *x = *(const struct tcp_sock *const *)a, *y = *(const struct tcp_sock *const *)b;
	int c;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->peer_addr, y->peer_addr, sizeof(x->peer_addr));
	if (c)
		return c;
	return x->peer_port < y->peer_port ? -1 : x->peer_port > y->peer_port;
}

static bool same_peer(const struct tcp_sock *x, const struct tcp_sock *y, bool port)
{
	return x->family == y->family && !memcmp(x->peer_addr, y->peer_addr, sizeof(x->peer_addr)) &&
	       (!port || x->peer_port == y->peer_port);
}

static bool idle_for(const struct tcp_sock *c, uint64_t ms)
{
	return c->has_idle && c->last_data_recv_ms >= ms;
}

/* Pick the listener (inbound) or remote endpoint (outbound) holding the
 * most idle ESTABLISHED sockets, and describe its sockets.  Sorting keeps
 * this O(n log n): a leaking server may hold tens of thousands. */
static void join_sockets(const struct snapshot *s, enum rule_sockets kind, uint32_t threshold_s,
			 uint32_t suspect_s, struct sock_join *j)
{
	const struct tcp_sock **v;
	size_t n = 0, best_idle = 0, best_total = 0, best_start = 0;
	uint64_t min_idle_ms = (uint64_t)threshold_s * 1000;
	bool inbound = kind == SOCKETS_INBOUND;

	memset(j, 0, sizeof(*j));
	if (!s->has_sockets || kind == SOCKETS_NONE)
		return;
	j->known = true;
	j->idle_known = s->socks.idle_known;
	snprintf(j->source, sizeof(j->source), "%s", s->socks.source);
	v = xcalloc(s->socks.n + 1, sizeof(*v));
	for (size_t i = 0; i < s->socks.n; i++) {
		const struct tcp_sock *c = &s->socks.v[i];
		if (c->state == TCPS_ESTABLISHED && is_listen_port(s, c->local_port) == inbound)
			v[n++] = c;
	}
	if (inbound) {
		/* Groups: the listening ports (a few). */
		for (size_t p = 0; p < s->nlisten; p++) {
			size_t total = 0, idle = 0;
			for (size_t i = 0; i < n; i++) {
				if (v[i]->local_port != s->listen_ports[p])
					continue;
				total++;
				idle += idle_for(v[i], min_idle_ms);
			}
			if (total && (idle > best_idle || (idle == best_idle && total > best_total))) {
				best_idle = idle;
				best_total = total;
				j->port = s->listen_ports[p];
			}
		}
		/* Keep the chosen port's sockets, then find its top client. */
		{
			size_t k = 0;
			for (size_t i = 0; i < n; i++)
				if (v[i]->local_port == j->port)
					v[k++] = v[i];
			n = best_total ? k : 0;
		}
		qsort(v, n, sizeof(*v), cmp_peer);
		for (size_t i = 0; i < n;) {
			size_t e = i;
			while (e < n && same_peer(v[e], v[i], false))
				e++;
			if (e - i > j->top_peer_count) {
				j->top_peer_count = e - i;
				tcp_addr_format(v[i]->family, v[i]->peer_addr, j->peer, sizeof(j->peer));
			}
			i = e;
		}
	} else {
		/* Groups: remote address and port. */
		qsort(v, n, sizeof(*v), cmp_peer);
		for (size_t i = 0; i < n;) {
			size_t e = i, idle = 0;
			while (e < n && same_peer(v[e], v[i], true)) {
				idle += idle_for(v[e], min_idle_ms);
				e++;
			}
			if (idle > best_idle || (idle == best_idle && e - i > best_total)) {
				best_idle = idle;
				best_total = e - i;
				best_start = i;
			}
			i = e;
		}
		if (best_total) {
			j->port = v[best_start]->peer_port;
			tcp_addr_format(v[best_start]->family, v[best_start]->peer_addr, j->peer, sizeof(j->peer));
			memmove(v, v + best_start, best_total * sizeof(*v));
		}
		n = best_total;
	}
	j->established = best_total;
	j->idle = best_idle;
	for (size_t i = 0; i < n; i++) {
		j->idle_suspect += idle_for(v[i], (uint64_t)suspect_s * 1000);
		if (v[i]->has_idle && v[i]->last_data_recv_ms > j->oldest_idle_ms)
			j->oldest_idle_ms = v[i]->last_data_recv_ms;
	}
	j->v = v;
	j->nv = n;
}

/* The same connection in both snapshots: its 4-tuple. */
static int cmp_tuple(const void *a, const void *b)
{
	const struct tcp_sock *x = *(const struct tcp_sock *const *)a, *y = *(const struct tcp_sock *const *)b;
	int c;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->local_port != y->local_port)
		return x->local_port < y->local_port ? -1 : 1;
	if (x->peer_port != y->peer_port)
		return x->peer_port < y->peer_port ? -1 : 1;
	c = memcmp(x->local_addr, y->local_addr, sizeof(x->local_addr));
	return c ? c : memcmp(x->peer_addr, y->peer_addr, sizeof(x->peer_addr));
}

/* Sockets of the chosen group that were ESTABLISHED in the earlier
 * snapshot too, and of those, idle throughout the interval: no byte
 * received in between (same byte counts, or last receive older than the
 * interval). */
static void socket_survival(const struct sock_join *j, const struct snapshot *prev, int64_t interval_s,
			    uint64_t *survived, uint64_t *idle_throughout)
{
	const struct tcp_sock **pv;
	size_t n = 0;
	*survived = *idle_throughout = 0;
	if (!prev || !prev->has_sockets || !j->nv)
		return;
	pv = xcalloc(prev->socks.n + 1, sizeof(*pv));
	for (size_t i = 0; i < prev->socks.n; i++)
		if (prev->socks.v[i].state == TCPS_ESTABLISHED)
			pv[n++] = &prev->socks.v[i];
	qsort(pv, n, sizeof(*pv), cmp_tuple);
	for (size_t i = 0; i < j->nv; i++) {
		const struct tcp_sock *c = j->v[i], *const *hit = bsearch(&c, pv, n, sizeof(*pv), cmp_tuple);
		bool quiet;
		if (!hit)
			continue;
		(*survived)++;
		if (c->has_bytes && (*hit)->has_bytes)
			quiet = c->bytes_received == (*hit)->bytes_received;
		else
			quiet = c->has_idle && (int64_t)c->last_data_recv_ms + 1500 >= interval_s * 1000;
		*idle_throughout += quiet;
	}
	free(pv);
}

/* The goroutines of one rule in one snapshot (all matching buckets, or a
 * single bucket in bucket scope). */
struct gtally {
	uint64_t goroutines;
	uint64_t unaged;       /* in the rule's unaged states */
	uint64_t waited;       /* waited at least the idle threshold */
	uint64_t waited_suspect; /* waited at least the suspect floor */
	uint32_t max_wait;
	uint32_t min_wait;     /* 0 when some goroutine printed no minutes */
	size_t distinct_waits; /* distinct wait values (pool or leak) */
	const struct bucket *top;
	const char *state;
	bool have_waits;
	uint64_t keys[64];     /* stack keys of the buckets, for survival */
	size_t nkeys;
};

static uint64_t min_waited(uint64_t w, uint64_t c)
{
	return w < c ? w : c;
}

static void tally_bucket(const struct rule *rule, const struct bucket *b, uint32_t threshold_min,
			 uint32_t suspect_min, struct gtally *t)
{
	const char *state = NULL, *ustate = NULL;
	uint64_t c = count_in_states(b, rule->states, rule->nstates, &state);
	if (!c)
		return;
	t->goroutines += c;
	if (rule->nunaged_states && b->nstates)
		t->unaged += count_in_states(b, rule->unaged_states, rule->nunaged_states, &ustate);
	if (b->with_wait) {
		uint32_t lo = b->with_wait < b->count ? 0 : b->waits[0].minutes;
		if (!t->have_waits || lo < t->min_wait)
			t->min_wait = lo;
		t->have_waits = true;
		if (threshold_min)
			t->waited += min_waited(count_waited(b, threshold_min), c);
		if (suspect_min)
			t->waited_suspect += min_waited(count_waited(b, suspect_min), c);
		if (max_wait(b) > t->max_wait)
			t->max_wait = max_wait(b);
		t->distinct_waits += b->nwaits + (b->with_wait < b->count && (!b->nwaits || b->waits[0].minutes));
	}
	if (t->nkeys < sizeof(t->keys) / sizeof(t->keys[0]))
		t->keys[t->nkeys++] = survival_frames_key(b->frames, b->nframes);
	if (!t->top || b->count > t->top->count) {
		t->top = b;
		t->state = state;
	}
}

static uint64_t tally_previous(const struct rule *rule, const struct snapshot *prev, const struct bucket *like)
{
	struct gtally t;
	memset(&t, 0, sizeof(t));
	if (!prev || !prev->has_goroutines)
		return 0;
	for (size_t i = 0; i < prev->g.nbuckets; i++) {
		const struct bucket *b = &prev->g.buckets[i];
		if (!bucket_matches_rule(rule, b))
			continue;
		if (like) {
			const struct gd_frame *x = blocked_frame(b), *y = blocked_frame(like);
			if (!x || !y || strcmp(x->func, y->func) || x->line != y->line)
				continue;
		}
		tally_bucket(rule, b, 0, 0, &t);
	}
	return t.goroutines;
}

static const char *const confirm_hint =
	"take a later snapshot (godiag doctor TARGET LATER_TARGET), run godiag doctor PID --observe 5m, "
	"or follow it with godiag watch";

/* The age the shape has reached, in seconds, from what is known. */
static double known_age_s(const struct gtally *t, const struct sock_join *j, int64_t survived_s)
{
	double age = t->have_waits ? t->max_wait * 60.0 : 0;
	if (j->known && j->idle_known && j->oldest_idle_ms / 1000.0 > age)
		age = j->oldest_idle_ms / 1000.0;
	if (survived_s > age)
		age = (double)survived_s;
	return age;
}

/* The frame that makes the shape the rule's: the first of the goroutine's
 * own frames (not the runtime's or the poller's) the rule's pattern
 * matches; where the goroutines wait when none does. */
static const char *shape_func(const struct rule *rule, const struct bucket *b)
{
	const struct gd_frame *bf;
	for (uint32_t i = 0; b && i < b->nframes; i++) {
		const char *fn = b->frames[i].func;
		if (!strncmp(fn, "runtime.", 8) || !strncmp(fn, "internal/", 9))
			continue;
		if (!regexec(&rule->frame, fn, 0, NULL, 0))
			return fn;
	}
	bf = b ? blocked_frame(b) : NULL;
	return bf ? bf->func : "?";
}

enum verdict { V_NONE, V_OLD, V_UNAGED, V_YOUNG, V_POOL };

/* --- server settings read from the process's memory (census/settings.h) ---
 * The leak an idle-connection rule describes depends on the server's own
 * timeouts.  No timeout, and connections idle past what any client pool
 * keeps (Go's http.Transport: 90 s), is a leak whatever the age; a timeout
 * that will close them first means the connections are not a leak. */
#define POOL_IDLE_S 90.0

static const struct server_settings *rule_settings(const struct rule *rule, const struct snapshot *s)
{
	enum server_kind k;
	if (!strncmp(rule->id, "http-server-idle", 16))
		k = SERVER_HTTP;
	else if (!strncmp(rule->id, "grpc-server-idle", 16))
		k = SERVER_GRPC;
	else if (!strncmp(rule->id, "thrift-server-idle", 18))
		k = SERVER_THRIFT;
	else
		return NULL;
	const struct server_settings *best = NULL;
	for (size_t i = 0; i < s->settings.n; i++)
		if (s->settings.v[i].kind == k && (!best || s->settings.v[i].goroutines > best->goroutines))
			best = &s->settings.v[i];
	return best;
}

/* The timeout that closes an idle connection, in seconds: 0 none, -1 unknown. */
static double settings_idle_close_s(const struct server_settings *st)
{
	int64_t v = -1;
	switch (st->kind) {
	case SERVER_HTTP:
		/* net/http waits IdleTimeout, or ReadTimeout when that is 0 */
		v = server_settings_get(st, "IdleTimeout");
		if (v == 0)
			v = server_settings_get(st, "ReadTimeout");
		break;
	case SERVER_GRPC: {
		int64_t idle = server_settings_get(st, "MaxConnectionIdle");
		int64_t age = server_settings_get(st, "MaxConnectionAge");
		if (idle < 0 || age < 0)
			return -1;
		const int64_t inf = INT64_MAX;
		v = idle > 0 && idle != inf ? idle : 0;
		if (age > 0 && age != inf && (v == 0 || age < v))
			v = age;
		break;
	}
	case SERVER_THRIFT:
		v = server_settings_get(st, "ClientTimeout");
		break;
	}
	return v < 0 ? -1 : (double)v / 1e9;
}

static void settings_evidence(struct finding *f, const struct server_settings *st)
{
	for (size_t k = 0; k < st->nfields; k++)
		if (st->ns[k] >= 0)
			finding_add_evidence(f, st->names[k], st->ns[k] == INT64_MAX ? -1 : (double)st->ns[k] / 1e9,
					     st->ns[k] == INT64_MAX ? "infinite" : "seconds",
					     "read from the process's memory");
}

static void emit_goroutine_finding(const struct rule *rule, const struct snapshot *s, const struct snapshot *prev,
				   const struct gtally *t, const struct diagnose_opts *o, struct report *r)
{
	struct sock_join j;
	uint64_t aged = 0, suspect = 0, prev_count = 0, conns, sk_survived = 0, sk_quiet = 0;
	struct survival_count gs;
	double confidence = rule->confidence, age_s;
	bool weak = false, have_gsurv = false;
	uint32_t per = rule->per_connection ? rule->per_connection : 1;
	uint32_t suspect_s = o->suspect_after_s < o->idle_threshold_s ? o->suspect_after_s : o->idle_threshold_s;
	int64_t interval = prev ? s->time - prev->time : 0;
	enum verdict v = V_NONE;
	enum severity sev = rule->severity;
	struct rule_var vars[24];
	size_t nv = 0;
	char b1[64], b2[64], b3[64], surv_text[256] = "";
	const struct gd_frame *bf;
	struct finding *f;

	memset(&gs, 0, sizeof(gs));
	join_sockets(s, rule->sockets, o->idle_threshold_s, suspect_s, &j);
	if (o->idle_threshold_s >= 60)
		aged = t->waited;
	if (j.known && j.idle_known && j.idle * per > aged)
		aged = j.idle * per < t->goroutines ? j.idle * per : t->goroutines;
	if (prev) {
		prev_count = tally_previous(rule, prev, rule->scope == SCOPE_BUCKET ? t->top : NULL);
		if (t->goroutines > prev_count && t->goroutines - prev_count > aged)
			aged = t->goroutines - prev_count;
	}
	suspect = aged;
	if (suspect_s >= 60 && t->waited_suspect > suspect)
		suspect = t->waited_suspect;
	if (j.known && j.idle_known && j.idle_suspect * per > suspect)
		suspect = j.idle_suspect * per < t->goroutines ? j.idle_suspect * per : t->goroutines;

	/* A second look: the same goroutines at the same stack, the same
	 * connections with no byte in between.  Survival over at least half
	 * the suspect floor counts as that age. */
	if (prev) {
		if (prev->has_ids && s->has_ids) {
			survival_count(&prev->ids, &s->ids, t->keys, t->nkeys, &gs);
			have_gsurv = true;
		}
		socket_survival(&j, prev, interval, &sk_survived, &sk_quiet);
		if (interval >= (int64_t)suspect_s / 2 && interval > 0) {
			uint64_t sv = gs.survived;
			if (sk_quiet * per > sv)
				sv = sk_quiet * per < t->goroutines ? sk_quiet * per : t->goroutines;
			if (sv > suspect)
				suspect = sv;
		}
		report_format_duration(b3, sizeof(b3), (double)interval);
		if (have_gsurv && gs.earlier)
			snprintf(surv_text, sizeof(surv_text), "%" PRIu64 " of %" PRIu64 " goroutines survived %s at the same stack",
				 gs.survived, gs.earlier, b3);
		if (sk_survived) {
			size_t l = strlen(surv_text);
			snprintf(surv_text + l, sizeof(surv_text) - l, "%s%" PRIu64 " of %" PRIu64 " connections survived %s%s",
				 l ? "; " : "", sk_survived, j.established, b3,
				 sk_quiet == sk_survived ? ", idle throughout" : "");
			if (sk_quiet != sk_survived) {
				l = strlen(surv_text);
				snprintf(surv_text + l, sizeof(surv_text) - l, " (%" PRIu64 " idle throughout)", sk_quiet);
			}
		}
	}
	/* A threshold under a minute cannot be read from wait minutes; with no
	 * sockets to ask either (a URL target), the count is all we have. */
	if (!aged && o->idle_threshold_s < 60 && !(j.known && j.idle_known) && !prev) {
		aged = suspect = t->goroutines;
		weak = true;
	}

	if (aged >= rule->min_goroutines)
		v = V_OLD;
	else if (rule->unaged_min && t->unaged >= rule->unaged_min)
		v = V_UNAGED;
	else if (suspect >= rule->min_goroutines)
		v = V_YOUNG;

	/* Pools versus leaks (docs/rules.md): a fixed count parked where
	 * workers wait, from one creator, with equal ages (or a few reset by
	 * recent work), is what an idle pool looks like; a count that grows or
	 * ages spread over many values is a leak. */
	if ((v == V_OLD || v == V_YOUNG) && rule->pool_check && t->top && t->top->has_creator) {
		bool grew = prev && t->goroutines > prev_count;
		bool fixed = prev && prev->has_goroutines && t->goroutines == prev_count;
		bool equal_ages = t->have_waits && t->distinct_waits <= 2;
		if (!grew && (fixed || (!prev && equal_ages)))
			v = V_POOL;
	}

	age_s = known_age_s(t, &j, interval > 0 && (gs.survived || sk_quiet) ? interval : 0);
	/* the server's own settings, when read from its memory */
	const struct server_settings *st = rule_settings(rule, s);
	double close_s = st ? settings_idle_close_s(st) : -1;
	bool settings_leak = false;
	if (st && close_s == 0 && t->goroutines >= rule->min_goroutines && age_s >= POOL_IDLE_S) {
		v = V_OLD; /* no timeout will ever close them */
		settings_leak = true;
	} else if (st && close_s > 0 && age_s < close_s && t->goroutines >= rule->min_goroutines) {
		char line[512];
		server_settings_describe(st, line, sizeof(line));
		report_add_seen(r, rule->id, (int64_t)t->goroutines, j.known ? (int64_t)j.established : -1,
				"%" PRIu64 " goroutines in this shape, but the server closes idle connections "
				"itself (%s, read from the process's memory): not a leak", t->goroutines, line);
		goto out;
	}
	if (v == V_NONE) {
		if (t->goroutines < rule->min_goroutines)
			goto out;
		if (!t->have_waits && !(j.known && j.idle_known) && !prev) {
			report_add_seen(r, rule->id, (int64_t)t->goroutines, j.known ? (int64_t)j.established : -1,
					"%" PRIu64 " goroutines in this shape at %s; their ages are unknown (%s), so "
					"young and old cannot be told apart: %s",
					t->goroutines, shape_func(rule, t->top),
					s->goroutines_have_waits ? "the dump printed no wait minutes: under a minute, or not "
								   "measured yet (Go notes when a wait began at a GC)"
								 : "a profile without wait times, and no socket idle times",
					confirm_hint);
		} else {
			report_format_duration(b1, sizeof(b1), age_s);
			report_format_duration(b2, sizeof(b2), suspect_s);
			report_add_seen(r, rule->id, (int64_t)t->goroutines, j.known ? (int64_t)j.established : -1,
					"%" PRIu64 " goroutines in this shape at %s, at most %s old: under the %s "
					"suspect floor (--suspect-after); not a finding yet",
					t->goroutines, shape_func(rule, t->top), b1, b2);
		}
		goto out;
	}

	if (v == V_YOUNG) {
		if (sev > SEV_WARNING)
			sev = SEV_WARNING;
		confidence -= 0.2;
	} else if (v == V_POOL) {
		sev = SEV_INFO;
		confidence -= 0.3;
	}
	if (t->have_waits && t->max_wait >= 1)
		confidence += 0.1;
	if (j.known && j.idle_known && j.idle)
		confidence += 0.15;
	if (prev && t->goroutines > prev_count)
		confidence += 0.1;
	if (prev && (gs.survived >= rule->min_goroutines || sk_quiet * per >= rule->min_goroutines))
		confidence += 0.1;
	if (weak)
		confidence -= 0.25;
	if (v == V_UNAGED && aged < rule->min_goroutines)
		confidence -= 0.1;
	if (settings_leak)
		confidence += 0.25;

	conns = t->goroutines / per;
	bf = t->top ? blocked_frame(t->top) : NULL;
	rule_var_set(vars, &nv, "goroutines", "%" PRIu64, t->goroutines);
	rule_var_set(vars, &nv, "conns", "%" PRIu64, conns);
	rule_var_set(vars, &nv, "max_wait", "%" PRIu32, t->max_wait);
	rule_var_set(vars, &nv, "state", "%s", t->state ? t->state : "the same place");
	rule_var_set(vars, &nv, "func", "%s", bf ? bf->func : "?");
	rule_var_set(vars, &nv, "creator", "%s", t->top && t->top->has_creator ? t->top->creator.func : "an unknown creator");
	rule_var_set(vars, &nv, "verdict", "%s",
		     v == V_POOL ? "Could be an idle pool" : v == V_YOUNG ? "Suspected goroutine leak (young)" : "Goroutine leak");
	report_format_duration(b1, sizeof(b1), t->max_wait * 60.0);
	if (t->have_waits && t->max_wait >= 1)
		rule_var_set(vars, &nv, "wait_clause", " for up to %s", b1);
	else if (prev && t->goroutines > prev_count)
		rule_var_set(vars, &nv, "wait_clause", ", up from %" PRIu64 " in the earlier snapshot", prev_count);
	else
		rule_var_set(vars, &nv, "wait_clause", "%s", "");
	if (j.known && j.established) {
		report_format_duration(b1, sizeof(b1), j.oldest_idle_ms / 1000.0);
		report_format_duration(b2, sizeof(b2), v == V_YOUNG ? suspect_s : o->idle_threshold_s);
		if (rule->sockets == SOCKETS_INBOUND)
			rule_var_set(vars, &nv, "socket_clause",
			       " %" PRIu64 " ESTABLISHED connections on :%u%s%" PRIu64 " idle >= %s (oldest %s), %" PRIu64
			       " of them from %s.",
			       j.established, j.port, j.idle_known ? ", " : " (idle times unknown), ",
			       v == V_YOUNG ? j.idle_suspect : j.idle, b2, b1, j.top_peer_count, j.peer);
		else
			rule_var_set(vars, &nv, "socket_clause", " %" PRIu64 " ESTABLISHED connections to %s:%u, %" PRIu64
			       " idle >= %s (oldest %s).", j.established, j.peer, j.port,
			       v == V_YOUNG ? j.idle_suspect : j.idle, b2, b1);
	} else {
		rule_var_set(vars, &nv, "socket_clause", "%s", "");
	}
	if (surv_text[0])
		rule_var_set(vars, &nv, "survival_clause", " Second look: %s.", surv_text);
	else
		rule_var_set(vars, &nv, "survival_clause", "%s", "");

	f = rule_add_finding(r, rule, confidence, vars, nv);
	if (st)
		settings_evidence(f, st);
	f->severity = sev;
	f->goroutines = (int64_t)t->goroutines;
	f->max_wait_minutes = t->have_waits ? (int64_t)t->max_wait : -1;
	f->sockets = j.known ? (int64_t)j.established : -1;
	finding_add_evidence(f, "goroutines matching the rule", (double)t->goroutines, "goroutines",
			     s->goroutines_have_waits ? "goroutine?debug=2" : "goroutine profile");
	if (per > 1)
		finding_add_evidence(f, "connections (goroutines / per-connection)", (double)conns, "connections",
				     "goroutine profile");
	if (t->have_waits)
		finding_add_evidence(f, "longest wait", t->max_wait, "minutes", "goroutine?debug=2");
	if (t->have_waits && o->idle_threshold_s >= 60)
		finding_add_evidence(f, "goroutines waiting at least the idle threshold", (double)t->waited,
				     "goroutines", "goroutine?debug=2");
	if (prev)
		finding_add_evidence(f, "goroutines in the earlier snapshot", (double)prev_count, "goroutines",
				     prev->label);
	if (have_gsurv && gs.earlier)
		finding_add_evidence(f, "goroutines in both snapshots, same id and stack", (double)gs.survived,
				     "goroutines", "goroutine ids of two debug=2 dumps");
	if (sk_survived) {
		finding_add_evidence(f, "connections in both snapshots (same 4-tuple)", (double)sk_survived, "sockets",
				     j.source);
		finding_add_evidence(f, "of them idle throughout", (double)sk_quiet, "sockets", j.source);
	}
	if (prev)
		finding_add_evidence(f, "between the snapshots", (double)interval, "seconds", "snapshot times");
	if (surv_text[0])
		finding_add_fact(f, "second look", surv_text, "two snapshots");
	if (j.known && j.established) {
		char what[160];
		snprintf(what, sizeof(what), "ESTABLISHED sockets %s :%u", rule->sockets == SOCKETS_INBOUND ? "on" : "to",
			 j.port);
		finding_add_evidence(f, what, (double)j.established, "sockets", j.source);
		if (j.idle_known) {
			snprintf(what, sizeof(what), "of them idle at least %u s", o->idle_threshold_s);
			finding_add_evidence(f, what, (double)j.idle, "sockets", j.source);
			if (suspect_s < o->idle_threshold_s) {
				snprintf(what, sizeof(what), "of them idle at least %u s (suspect floor)", suspect_s);
				finding_add_evidence(f, what, (double)j.idle_suspect, "sockets", j.source);
			}
			finding_add_evidence(f, "oldest idle socket", j.oldest_idle_ms / 1000.0, "seconds", j.source);
		}
		if (rule->sockets == SOCKETS_INBOUND && j.top_peer_count) {
			snprintf(what, sizeof(what), "connections from the top client %s", j.peer);
			finding_add_evidence(f, what, (double)j.top_peer_count, "sockets", j.source);
		}
	}
	if (rule->inferred && v != V_POOL && age_s > 0) {
		struct rule_var av[1];
		size_t na = 0;
		char *text;
		report_format_duration(b1, sizeof(b1), age_s);
		rule_var_set(av, &na, "age", "%s", b1);
		text = rule_expand(rule->inferred, av, na);
		finding_add_inferred(f, "inferred, not read", text, "ages of the goroutines and sockets");
		free(text);
	}
	if (v == V_YOUNG) {
		char text[512];
		report_format_duration(b1, sizeof(b1), age_s);
		report_format_duration(b2, sizeof(b2), o->idle_threshold_s);
		snprintf(text, sizeof(text), "%s old, under the %s idle threshold: a young leak or slow clients; to confirm, %s",
			 b1, b2, confirm_hint);
		finding_add_fact(f, "age", text, NULL);
	}
	if (v == V_POOL)
		finding_add_inferred(f, "pool or leak",
				     prev ? "the count did not change between the snapshots and nothing grew: a fixed pool of workers"
					  : "one creator, equal ages: the signature of an idle worker pool; one snapshot cannot "
					    "prove a leak. Confirm with a second look (doctor PID --observe 5m)",
				     "count, creator and ages");
	if (weak)
		finding_add_fact(f, "caveat", "no socket idle times or wait minutes: judged on the goroutine count alone",
				 NULL);
	if (t->top) {
		for (uint32_t i = 0; i < t->top->nframes && i < 16; i++)
			finding_add_frame(f, t->top->frames[i].func, t->top->frames[i].file, t->top->frames[i].line);
		if (t->top->has_creator) {
			char c[1024];
			snprintf(c, sizeof(c), "created by %s", t->top->creator.func);
			finding_add_frame(f, c, t->top->creator.file, t->top->creator.line);
		}
	}
out:
	free(j.v);
}

static int cmp_bucket_count(const void *a, const void *b)
{
	const struct bucket *x = *(const struct bucket *const *)a, *y = *(const struct bucket *const *)b;
	return x->count > y->count ? -1 : x->count < y->count;
}

static void run_goroutine_rule(const struct rule *rule, const struct snapshot *prev, const struct snapshot *s,
			       const struct diagnose_opts *o, struct report *r)
{
	uint32_t threshold_min = o->idle_threshold_s >= 60 ? o->idle_threshold_s / 60 : 0;
	uint32_t sfloor = o->suspect_after_s < o->idle_threshold_s ? o->suspect_after_s : o->idle_threshold_s;
	uint32_t suspect_min = sfloor >= 60 ? sfloor / 60 : 0;
	if (!s->has_goroutines)
		return;
	if (rule->scope == SCOPE_ALL) {
		struct gtally t;
		memset(&t, 0, sizeof(t));
		for (size_t i = 0; i < s->g.nbuckets; i++)
			if (bucket_matches_rule(rule, &s->g.buckets[i]))
				tally_bucket(rule, &s->g.buckets[i], threshold_min, suspect_min, &t);
		if (t.goroutines)
			emit_goroutine_finding(rule, s, prev, &t, o, r);
		return;
	}
	/* One finding per site, biggest first, at most five. */
	{
		const struct bucket **v = xcalloc(s->g.nbuckets + 1, sizeof(*v));
		size_t n = 0, emitted = 0;
		for (size_t i = 0; i < s->g.nbuckets; i++)
			if (bucket_matches_rule(rule, &s->g.buckets[i]))
				v[n++] = &s->g.buckets[i];
		qsort(v, n, sizeof(*v), cmp_bucket_count);
		for (size_t i = 0; i < n && emitted < 5; i++) {
			struct gtally t;
			size_t before = r->nfindings;
			memset(&t, 0, sizeof(t));
			tally_bucket(rule, v[i], threshold_min, suspect_min, &t);
			if (!t.goroutines)
				continue;
			emit_goroutine_finding(rule, s, prev, &t, o, r);
			emitted += r->nfindings > before;
		}
		free(v);
	}
}

static void run_leak_profile_rule(const struct rule *rule, const struct snapshot *s, struct report *r)
{
	struct rule_var vars[4];
	size_t nv = 0;
	const struct bucket *top = NULL;
	struct finding *f;
	if (!s->has_leak_profile || s->leak.total < (rule->min_goroutines ? rule->min_goroutines : 1))
		return;
	for (size_t i = 0; i < s->leak.nbuckets; i++)
		if (!top || s->leak.buckets[i].count > top->count)
			top = &s->leak.buckets[i];
	rule_var_set(vars, &nv, "goroutines", "%" PRIu64, s->leak.total);
	rule_var_set(vars, &nv, "func", "%s", top && blocked_frame(top) ? blocked_frame(top)->func : "?");
	f = rule_add_finding(r, rule, rule->confidence, vars, nv);
	f->goroutines = (int64_t)s->leak.total;
	finding_add_evidence(f, "goroutines reported leaked", (double)s->leak.total, "goroutines",
			     "goroutineleak profile");
	if (top)
		for (uint32_t i = 0; i < top->nframes && i < 16; i++)
			finding_add_frame(f, top->frames[i].func, top->frames[i].file, top->frames[i].line);
}

/* --- memory rules: src/diagnose/memrules.c -------------------------------- */

static bool ms_has(const struct snapshot *s, enum go_memstats_field fld)
{
	return s->has_memstats && (s->ms.known & (1ull << fld));
}

static bool heap_inuse(const struct snapshot *s, uint64_t *out, const char **src)
{
	if (ms_has(s, MS_HEAP_INUSE)) {
		*out = s->ms.v[MS_HEAP_INUSE];
		*src = "MemStats HeapInuse";
		return true;
	}
	if (s->has_heap) {
		*out = s->heap.totals.inuse_bytes;
		*src = "heap profile in-use bytes";
		return true;
	}
	return false;
}

/* An allocation made while serving a profile (godiag's own requests):
 * never the site to name. */
static bool site_is_profiler(const struct heap_site *site)
{
	for (uint32_t i = 0; i < site->nframes; i++)
		if (!strncmp(site->frames[i].func, "net/http/pprof.", 15) ||
		    !strncmp(site->frames[i].func, "runtime/pprof.", 14))
			return true;
	return false;
}

static void run_heap_growth_rule(const struct rule *rule, const struct snapshot *a, const struct snapshot *b,
				 struct report *r)
{
	uint64_t before, after, delta, explained = 0;
	const char *src_a, *src_b;
	struct rule_var vars[8];
	size_t nv = 0, ngrowth = 0, ntop = 0;
	char b1[64], b2[64], b3[64], b4[64];
	struct heap_growth growth[32], top[5];
	bool profiles = false, have_gcs = false, stale = false;
	uint64_t gcs = 0;
	double fraction = 0;
	struct finding *f;
	if (!a || !heap_inuse(a, &before, &src_a) || !heap_inuse(b, &after, &src_b) || after <= before)
		return;
	delta = after - before;
	if (delta < rule->min_bytes || (double)delta < rule->min_ratio * (double)before)
		return;
	if (a->has_heap && b->has_heap) {
		profiles = true;
		ngrowth = heap_profile_growth(&a->heap, &b->heap, growth, sizeof(growth) / sizeof(growth[0]));
		for (size_t i = 0; i < ngrowth; i++) {
			if (growth[i].delta_bytes <= 0 || site_is_profiler(growth[i].site))
				continue;
			explained += (uint64_t)growth[i].delta_bytes;
			if (ntop < sizeof(top) / sizeof(top[0]))
				top[ntop++] = growth[i];
		}
		fraction = (double)explained / (double)delta;
	}
	/* The in-use profile is the heap as of the last completed GC cycle:
	 * with fewer than two GCs between the two, both show the same heap. */
	if (ms_has(a, MS_NUM_GC) && ms_has(b, MS_NUM_GC) && b->ms.v[MS_NUM_GC] >= a->ms.v[MS_NUM_GC]) {
		have_gcs = true;
		gcs = b->ms.v[MS_NUM_GC] - a->ms.v[MS_NUM_GC];
		stale = gcs < 2;
	}
	human_bytes(b1, sizeof(b1), (uint64_t)before);
	human_bytes(b2, sizeof(b2), (uint64_t)after);
	human_bytes(b3, sizeof(b3), (uint64_t)delta);
	report_format_duration(b4, sizeof(b4), (double)(b->time - a->time));
	rule_var_set(vars, &nv, "before", "%s", b1);
	rule_var_set(vars, &nv, "after", "%s", b2);
	rule_var_set(vars, &nv, "delta", "%s", b3);
	rule_var_set(vars, &nv, "interval", "%s", b4);
	if (!profiles)
		rule_var_set(vars, &nv, "func", "%s", "not known (no heap profiles)");
	else if (stale)
		rule_var_set(vars, &nv, "func", "not named: only %" PRIu64 " GC%s ran between the profiles, so they show the same heap",
			     gcs, gcs == 1 ? "" : "s");
	else if (!ntop || fraction < 0.3)
		rule_var_set(vars, &nv, "func", "not named: the profiles explain only %.0f%% of the growth", fraction * 100);
	else
		rule_var_set(vars, &nv, "func", "%s", top[0].site->nframes ? top[0].site->frames[0].func : "?");
	if (stale || fraction < 0.3)
		ntop = 0;
	f = rule_add_finding(r, rule, rule->confidence + (ntop ? 0.15 : 0), vars, nv);
	finding_add_evidence(f, "heap in use, earlier", (double)before, "bytes", src_a);
	finding_add_evidence(f, "heap in use, later", (double)after, "bytes", src_b);
	finding_add_evidence(f, "growth", (double)delta, "bytes", "computed");
	if (have_gcs)
		finding_add_evidence(f, "GCs between the snapshots", (double)gcs, "", "MemStats NumGC");
	if (profiles)
		finding_add_evidence(f, "of the growth, explained by the heap profiles", fraction * 100, "%",
				     "heap profiles (pprof's own allocations left out)");
	for (size_t i = 0; i < ntop; i++) {
		char what[512];
		const struct heap_site *site = top[i].site;
		snprintf(what, sizeof(what), "growth at %s (%s:%u)", site->nframes ? site->frames[0].func : "?",
			 site->nframes ? site->frames[0].file : "", site->nframes ? site->frames[0].line : 0);
		finding_add_evidence(f, what, (double)top[i].delta_bytes, "bytes", "heap profiles");
	}
	if (ntop)
		for (uint32_t i = 0; i < top[0].site->nframes && i < 16; i++)
			finding_add_frame(f, top[0].site->frames[i].func, top[0].site->frames[i].file,
					  top[0].site->frames[i].line);
}

void diagnose_opts_init(struct diagnose_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->idle_threshold_s = 600;
	o->suspect_after_s = 120;
}

void diagnose_run(const struct ruleset *rs, const struct snapshot *before, const struct snapshot *now,
		  const struct diagnose_opts *o, struct report *r)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *rule = &rs->rules[i];
		switch (rule->kind) {
		case RULE_GOROUTINES: run_goroutine_rule(rule, before, now, o, r); break;
		case RULE_LEAK_PROFILE: run_leak_profile_rule(rule, now, r); break;
		case RULE_HEAP_GROWTH: run_heap_growth_rule(rule, before, now, r); break;
		default: break; /* memory rules: memrules_run() below */
		}
	}
	{
		struct mem_facts mf;
		mem_facts_init(&mf, now->has_proc ? &now->pi : NULL, now->has_memstats ? &now->ms : NULL,
			       now->has_policy ? &now->policy : NULL,
			       now->has_buildinfo ? now->bi.go_version : NULL, true);
		mf.memstats_source = now->memstats_source;
		memrules_run(rs, &mf, r);
	}
	report_sort(r);
}
