/* SPDX-License-Identifier: MIT */
/* Parser for pasted `ss -tinp` text.  The grammar follows what iproute2's
 * misc/ss.c prints (sock_state_name[], the users:(...) process list, the
 * -i info line after a TAB); ss pads columns to the terminal width, so we
 * split on runs of blanks and never trust column positions. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "linux/ss_text.h"
#include "util/numparse.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* sock_state_name[] of ss.c, indexed by kernel state. */
static const char *const ss_states[TCPS_MAX] = {
	[TCPS_ESTABLISHED] = "ESTAB",
	[TCPS_SYN_SENT] = "SYN-SENT",
	[TCPS_SYN_RECV] = "SYN-RECV",
	[TCPS_FIN_WAIT1] = "FIN-WAIT-1",
	[TCPS_FIN_WAIT2] = "FIN-WAIT-2",
	[TCPS_TIME_WAIT] = "TIME-WAIT",
	[TCPS_CLOSE] = "UNCONN",
	[TCPS_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCPS_LAST_ACK] = "LAST-ACK",
	[TCPS_LISTEN] = "LISTEN",
	[TCPS_CLOSING] = "CLOSING",
	[TCPS_NEW_SYN_RECV] = "NEW-SYN-RECV",
};

unsigned ss_state_parse(const char *s, size_t n)
{
	for (unsigned i = 1; i < TCPS_MAX; i++)
		if (ss_states[i] && strlen(ss_states[i]) == n && !memcmp(ss_states[i], s, n))
			return i;
	/* Older ss and other tools spell a few states differently. */
	if (n == 11 && !memcmp(s, "ESTABLISHED", 11))
		return TCPS_ESTABLISHED;
	if (n == 5 && !memcmp(s, "CLOSE", 5))
		return TCPS_CLOSE;
	return 0;
}

void ss_text_init(struct ss_text *st)
{
	memset(st, 0, sizeof(*st));
	tcp_sock_list_init(&st->socks);
}

void ss_text_release(struct ss_text *st)
{
	tcp_sock_list_release(&st->socks);
	free(st->owners);
	memset(st, 0, sizeof(*st));
	tcp_sock_list_init(&st->socks);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Next blank-separated token of [*pp, end). */
static bool next_tok(const char **pp, const char *end, const char **tok, size_t *n)
{
	const char *p = *pp;
	while (p < end && is_blank(*p))
		p++;
	if (p >= end)
		return false;
	*tok = p;
	while (p < end && !is_blank(*p))
		p++;
	*n = (size_t)(p - *tok);
	*pp = p;
	return true;
}

static const struct {
	const char *name;
	uint16_t port;
} services[] = {
	{ "http", 80 }, { "https", 443 }, { "ssh", 22 }, { "domain", 53 },
	{ "http-alt", 8080 }, { "webcache", 8080 }, { "postgresql", 5432 },
	{ "mysql", 3306 }, { "redis", 6379 }, { "smtp", 25 },
};

/* "127.0.0.1:80", "[::1]:80", "[fe80::1]%eth0:22", "*:80", "0.0.0.0:*",
 * ":::22" (old ss).  family 0 means "*" (any, family unknown). */
static bool parse_addr(const char *s, size_t n, uint8_t *family, uint8_t addr[16],
		       uint16_t *port, bool *named)
{
	const char *colon = NULL, *host = s;
	size_t hn;
	char buf[INET6_ADDRSTRLEN + 8];
	uint64_t pv;

	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || colon == s)
		return false;
	{
		const char *p = colon + 1;
		size_t pn = (size_t)(s + n - p);
		if (pn == 1 && *p == '*') {
			*port = 0;
		} else if (parse_u64_n(p, pn, &pv)) {
			if (pv > 65535)
				return false;
			*port = (uint16_t)pv;
		} else {
			bool found = false;
			for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
				if (strlen(services[i].name) == pn && !memcmp(services[i].name, p, pn)) {
					*port = services[i].port;
					found = true;
				}
			if (!found)
				*port = 0;
			*named = true;
		}
	}
	hn = (size_t)(colon - s);
	memset(addr, 0, 16);
	if (hn == 1 && *host == '*') {
		*family = 0;
		return true;
	}
	if (host[0] == '[') {
		const char *close = memchr(host, ']', hn);
		if (!close)
			return false;
		host++;
		hn = (size_t)(close - host);
	}
	/* A zone ("%eth0", "%lo") is not part of the address. */
	{
		const char *pct = memchr(host, '%', hn);
		if (pct)
			hn = (size_t)(pct - host);
	}
	if (hn >= sizeof(buf))
		goto name;
	memcpy(buf, host, hn);
	buf[hn] = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		return true;
	}
name:
	/* A host name (ss without -n): we cannot resolve it, but the socket
	 * and its idle time still count. */
	memset(addr, 0, 16);
	*family = 0;
	*named = true;
	return hn > 0;
}

/* users:(("name",pid=N,fd=M),("other",pid=...)) starting at p; returns the
 * position after it (or end). */
static const char *parse_users(const char *p, const char *end, struct ss_owner *o)
{
	const char *q, *name, *pidp;
	uint64_t v;

	p += 8; /* users:(( */
	if (p >= end || *p != '"')
		goto skip;
	name = ++p;
	pidp = memmem(p, (size_t)(end - p), "\",pid=", 6);
	if (!pidp)
		goto skip;
	{
		size_t nn = (size_t)(pidp - name);
		if (nn >= sizeof(o->comm))
			nn = sizeof(o->comm) - 1;
		memcpy(o->comm, name, nn);
		o->comm[nn] = '\0';
	}
	p = pidp + 6;
	q = p;
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	if (parse_u64_n(p, (size_t)(q - p), &v) && v > 0 && v <= 0x7fffffff)
		o->pid = (int)v;
	p = q;
	if (end - p > 4 && !memcmp(p, ",fd=", 4)) {
		p += 4;
		q = p;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (parse_u64_n(p, (size_t)(q - p), &v) && v <= 0x7fffffff)
			o->fd = (int)v;
		p = q;
	}
skip:
	/* The list ends at "))" followed by a blank or the end of the line. */
	for (q = p; q + 1 < end; q++)
		if (q[0] == ')' && q[1] == ')' && (q + 2 == end || is_blank(q[2])))
			return q + 2;
	return end;
}

/* key:value tokens of an info line (or of a row: -e and --oneline). */
static void parse_info(struct ss_text *st, struct tcp_sock *s, const char *p, const char *end)
{
	const char *tok;
	size_t n;

	while (next_tok(&p, end, &tok, &n)) {
		const char *c = memchr(tok, ':', n);
		size_t kn, vn;
		uint64_t v;
		if (!c)
			continue;
		kn = (size_t)(c - tok);
		vn = n - kn - 1;
		if (!parse_u64_n(c + 1, vn, &v))
			continue;
#define KEY(k) (kn == sizeof(k) - 1 && !memcmp(tok, k, kn))
		if (KEY("lastrcv")) {
			s->last_data_recv_ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
			s->has_idle = true;
			st->has_info = true;
		} else if (KEY("lastsnd")) {
			s->last_data_sent_ms = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
			st->has_info = true;
		} else if (KEY("bytes_acked")) {
			s->bytes_acked = v;
			s->has_bytes = true;
			st->has_info = true;
		} else if (KEY("bytes_received")) {
			s->bytes_received = v;
			s->has_bytes = true;
			st->has_info = true;
		} else if (KEY("ino")) {
			s->inode = v;
		} else if (KEY("uid")) {
			s->uid = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		}
#undef KEY
	}
}

enum row_result { ROW_NONE, ROW_KEPT, ROW_DROPPED };

static enum row_result parse_row(struct ss_text *st, const char *p, const char *end, int pid)
{
	const char *tok;
	size_t n;
	unsigned state;
	uint64_t rq, wq;
	struct tcp_sock s;
	struct ss_owner o = { .pid = -1, .fd = -1, .comm = "" };
	uint8_t lfam = 0, pfam = 0;
	bool named = false;

	if (!next_tok(&p, end, &tok, &n))
		return ROW_NONE;
	state = ss_state_parse(tok, n);
	if (!state) {
		/* A Netid column: "tcp ESTAB ..." or "udp UNCONN ...". */
		bool tcp = n == 3 && !memcmp(tok, "tcp", 3);
		const char *t2;
		size_t n2;
		if (n > 8 || !next_tok(&p, end, &t2, &n2) || !(state = ss_state_parse(t2, n2)))
			return ROW_NONE;
		if (!tcp) {
			st->other_proto++;
			return ROW_DROPPED;
		}
	}
	memset(&s, 0, sizeof(s));
	s.state = (uint8_t)state;
	if (!next_tok(&p, end, &tok, &n) || !parse_u64_n(tok, n, &rq) ||
	    !next_tok(&p, end, &tok, &n) || !parse_u64_n(tok, n, &wq))
		return ROW_NONE;
	s.rqueue = rq > UINT32_MAX ? UINT32_MAX : (uint32_t)rq;
	s.wqueue = wq > UINT32_MAX ? UINT32_MAX : (uint32_t)wq;
	if (!next_tok(&p, end, &tok, &n) ||
	    !parse_addr(tok, n, &lfam, s.local_addr, &s.local_port, &named))
		return ROW_NONE;
	if (!next_tok(&p, end, &tok, &n) ||
	    !parse_addr(tok, n, &pfam, s.peer_addr, &s.peer_port, &named))
		return ROW_NONE;
	s.family = lfam ? lfam : pfam ? pfam : AF_INET6;
	st->rows++;
	if (named)
		st->named++;
	/* The rest: users:(...), -e fields, --oneline info. */
	while (p < end) {
		const char *q = p;
		while (q < end && is_blank(*q))
			q++;
		if (end - q >= 8 && !memcmp(q, "users:((", 8)) {
			p = parse_users(q, end, &o);
			st->has_process = true;
			continue;
		}
		if (!next_tok(&p, end, &tok, &n))
			break;
		parse_info(st, &s, tok, tok + n);
	}
	if (pid > 0 && o.pid != pid) {
		st->filtered++;
		return ROW_DROPPED;
	}
	if (st->socks.n >= SS_TEXT_MAX_SOCKETS) {
		st->dropped++;
		return ROW_DROPPED;
	}
	tcp_sock_list_add(&st->socks, &s);
	ALLOC_GROW(st->owners, st->socks.n, st->owners_alloc);
	st->owners[st->socks.n - 1] = o;
	return ROW_KEPT;
}

enum gd_err ss_text_parse(struct ss_text *st, const char *buf, size_t len, const char *name,
			  int pid, struct gd_errbuf *eb)
{
	const char *p = buf, *end = buf + len;
	enum row_result last = ROW_NONE;
	bool header = false;
	uint64_t rows_before = st->rows;

	if (!name)
		name = "ss output";
	if (len > SS_TEXT_MAX_INPUT)
		return gd_fail(eb, GD_ETOOBIG, "%s: %zu bytes is over the %zu MiB cap", name, len,
			       SS_TEXT_MAX_INPUT >> 20);
	snprintf(st->socks.source, sizeof(st->socks.source), "ss text %s", name);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *s = p;
		p = nl ? nl + 1 : end;
		if (le > s && le[-1] == '\r')
			le--;
		if ((size_t)(le - s) > SS_TEXT_MAX_LINE) {
			st->noise_lines++;
			last = ROW_NONE;
			continue;
		}
		if (s < le && is_blank(*s)) {
			/* The -i info line belongs to the row above it. */
			if (last == ROW_KEPT)
				parse_info(st, &st->socks.v[st->socks.n - 1], s, le);
			else if (last == ROW_NONE) {
				const char *t;
				size_t tn;
				const char *q = s;
				if (next_tok(&q, le, &t, &tn))
					st->noise_lines++;
			}
			continue;
		}
		if (s == le)
			continue;
		if ((le - s >= 5 && !memcmp(s, "State", 5)) || (le - s >= 5 && !memcmp(s, "Netid", 5))) {
			header = true;
			last = ROW_NONE;
			continue;
		}
		last = parse_row(st, s, le, pid);
		if (last == ROW_NONE)
			st->noise_lines++;
	}
	for (size_t i = 0; i < st->socks.n; i++)
		if (st->socks.v[i].has_idle)
			st->socks.idle_known = true;
	if (st->named)
		tcp_sock_list_note(&st->socks, "%llu rows with host or service names (ss without -n)",
				   (unsigned long long)st->named);
	if (st->dropped) {
		st->socks.partial = true;
		tcp_sock_list_note(&st->socks, "%llu rows over the %zu socket cap",
				   (unsigned long long)st->dropped, SS_TEXT_MAX_SOCKETS);
	}
	if (!header && st->rows == rows_before && !st->other_proto)
		return gd_fail(eb, GD_EFORMAT, "%s: no ss header or socket row", name);
	return GD_OK;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int ss_text_main_pid(const struct ss_text *st)
{
	int *pids, best = -1;
	size_t n = 0, best_n = 0;

	if (!st->socks.n)
		return -1;
	pids = xreallocarray(NULL, st->socks.n, sizeof(*pids));
	for (size_t i = 0; i < st->socks.n; i++)
		if (st->owners[i].pid > 0)
			pids[n++] = st->owners[i].pid;
	if (n > 1)
		qsort(pids, n, sizeof(*pids), int_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && pids[j] == pids[i])
			j++;
		if (j - i > best_n) {
			best_n = j - i;
			best = pids[i];
		}
		i = j;
	}
	free(pids);
	return best;
}

size_t ss_text_pid_count(const struct ss_text *st)
{
	int *pids;
	size_t n = 0, distinct = 0;
	if (!st->socks.n)
		return 0;
	pids = xreallocarray(NULL, st->socks.n, sizeof(*pids));
	for (size_t i = 0; i < st->socks.n; i++)
		if (st->owners[i].pid > 0)
			pids[n++] = st->owners[i].pid;
	if (n > 1)
		qsort(pids, n, sizeof(*pids), int_cmp);
	for (size_t i = 0; i < n; i++)
		distinct += !i || pids[i] != pids[i - 1];
	free(pids);
	return distinct;
}
