/* SPDX-License-Identifier: MIT */
/* pprof index page parsing and endpoint discovery from a PID's listening
 * sockets.  The page layout is net/http/pprof's indexTmpl (it changed in Go
 * 1.13), so rows are found by their link, not by a fixed layout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux/nssock.h"
#include "linux/sockets.h"
#include "remote/discover.h"
#include "util/numparse.h"
#include "util/banned.h"

static bool name_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* The last run of digits between '>' and '<' in [s, e): the count cell. */
static bool row_count(const char *s, const char *e, uint64_t *out)
{
	bool found = false;
	for (const char *p = s; p < e; p++) {
		const char *q;
		uint64_t v;
		if (*p != '>')
			continue;
		q = p + 1;
		while (q < e && (*q == ' ' || *q == '\n'))
			q++;
		if (!scan_u64(&q, e, &v))
			continue;
		while (q < e && (*q == ' ' || *q == '\n'))
			q++;
		if (q >= e || *q == '<') {
			*out = v;
			found = true;
		}
	}
	return found;
}

enum gd_err pprof_index_parse(const char *html, size_t len, struct pprof_index *out,
			      struct gd_errbuf *eb)
{
	const char *p = html, *end = html + len;

	memset(out, 0, sizeof(*out));
	out->has_full_dump_link = memmem(html, len, "goroutine?debug=2", 17) != NULL;
	/* Each profile link "NAME?debug=1" inside href='...' or href="...". */
	while (p < end && out->n < PPROF_INDEX_MAX_PROFILES) {
		const char *h = memmem(p, (size_t)(end - p), "href=", 5), *name, *q, *row;
		char quote;
		uint64_t count;
		size_t nn;

		if (!h)
			break;
		p = h + 5;
		if (p >= end || (*p != '\'' && *p != '"'))
			continue;
		quote = *p++;
		name = p;
		while (p < end && name_ok(*p))
			p++;
		nn = (size_t)(p - name);
		if (!nn || end - p < 9 || memcmp(p, "?debug=1", 8) || p[8] != quote)
			continue;
		/* The count is in the same row, before the link. */
		row = name;
		for (q = name; q > html; q--)
			if (q - html >= 3 && !memcmp(q - 3, "<tr", 3)) {
				row = q - 3;
				break;
			}
		if (row == name || !row_count(row, h, &count))
			continue;
		if (nn >= sizeof(out->v[0].name))
			nn = sizeof(out->v[0].name) - 1;
		memcpy(out->v[out->n].name, name, nn);
		out->v[out->n].name[nn] = '\0';
		out->v[out->n].count = count;
		out->n++;
	}
	if (!out->n)
		return gd_fail(eb, GD_EFORMAT, "no profile rows: not a Go /debug/pprof/ index page");
	return GD_OK;
}

const struct pprof_index_entry *pprof_index_get(const struct pprof_index *idx, const char *name)
{
	for (size_t i = 0; i < idx->n; i++)
		if (!strcmp(idx->v[i].name, name))
			return &idx->v[i];
	return NULL;
}

enum gd_err pprof_index_fetch(const char *base_url, const struct fetch_opts *opts,
			      struct pprof_index *out, struct gd_errbuf *eb)
{
	struct fetch_opts o;
	char url[2048];
	size_t bl = strlen(base_url);
	char *body = NULL;
	size_t len = 0;
	enum gd_err rc;

	if (opts)
		o = *opts;
	else
		fetch_opts_init(&o);
	if (!o.max_bytes || o.max_bytes > PPROF_INDEX_MAX_BYTES)
		o.max_bytes = PPROF_INDEX_MAX_BYTES;
	while (bl && base_url[bl - 1] == '/')
		bl--;
	if (bl + 16 >= sizeof(url))
		return gd_fail(eb, GD_EARG, "%.64s...: URL too long", base_url);
	snprintf(url, sizeof(url), "%.*s/debug/pprof/", (int)bl, base_url);
	memset(out, 0, sizeof(*out));
	rc = fetch_buffer(url, &o, &body, &len, NULL, eb);
	if (rc == GD_OK) {
		rc = pprof_index_parse(body, len, out, eb);
		if (rc != GD_OK)
			gd_fail(eb, rc, "%s: no profile rows: not a Go /debug/pprof/ index page", url);
	}
	free(body);
	return rc;
}

static bool loopback_or_any(const struct tcp_sock *s)
{
	static const uint8_t zero[16], lo6[16] = { [15] = 1 };
	if (s->family == AF_INET)
		return s->local_addr[0] == 127 || !memcmp(s->local_addr, zero, 4);
	return !memcmp(s->local_addr, zero, 16) || !memcmp(s->local_addr, lo6, 16) ||
	       /* ::ffff:127.x.x.x */
	       (!memcmp(s->local_addr, zero, 10) && s->local_addr[10] == 0xff &&
		s->local_addr[11] == 0xff && s->local_addr[12] == 127);
}

/* Inbound ESTABLISHED connections on a listening port. */
static size_t port_load(const struct tcp_sock_list *l, uint16_t port)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += l->v[i].state == TCPS_ESTABLISHED && l->v[i].local_port == port;
	return n;
}

struct candidate {
	uint16_t port;
	bool v6only;
	bool any_addr; /* bound to every address: a service, more likely than pprof */
	size_t load;
};

static int cmp_candidate(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	if (x->v6only != y->v6only)
		return x->v6only ? 1 : -1; /* IPv4 loopback first */
	if (x->any_addr != y->any_addr)
		return x->any_addr ? 1 : -1;
	if (x->load != y->load)
		return x->load < y->load ? -1 : 1;
	return x->port < y->port ? -1 : x->port > y->port;
}

void pprof_probe_opts_init(struct fetch_opts *fo, int netns_pid)
{
	fetch_opts_init(fo);
	fo->connect_timeout_ms = 1000;
	fo->total_timeout_ms = 1000;
	fo->stall_timeout_ms = 1000;
	fo->max_bytes = 256 * 1024;
	fo->max_redirects = 0;
	if (netns_pid > 0)
		fo->netns_pid = netns_pid;
}

enum gd_err pprof_endpoint_from_socks(const struct tcp_sock_list *l, const struct fetch_opts *opts,
				      char *out_base_url, size_t outlen, struct gd_errbuf *eb)
{
	struct candidate c[DISCOVER_MAX_PROBES];
	size_t nc = 0;
	struct fetch_opts o;

	if (outlen)
		out_base_url[0] = '\0';
	if (opts) {
		o = *opts;
	} else {
		fetch_opts_init(&o);
		o.connect_timeout_ms = 1000;
		o.total_timeout_ms = 1000;
		o.stall_timeout_ms = 1000;
		o.max_redirects = 0;
	}
	o.one_shot = true;
	for (size_t i = 0; i < l->n && nc < DISCOVER_MAX_PROBES; i++) {
		const struct tcp_sock *s = &l->v[i];
		bool dup = false;
		if (s->state != TCPS_LISTEN || !loopback_or_any(s))
			continue;
		for (size_t j = 0; j < nc; j++)
			dup |= c[j].port == s->local_port;
		if (dup)
			continue;
		c[nc].port = s->local_port;
		c[nc].v6only = s->family == AF_INET6 && s->local_addr[15] == 1 &&
			       !memcmp(s->local_addr, (const uint8_t[15]){ 0 }, 15);
		c[nc].any_addr = !memcmp(s->local_addr, (const uint8_t[16]){ 0 }, s->family == AF_INET ? 4 : 16);
		c[nc].load = port_load(l, s->local_port);
		nc++;
	}
	/* A probe is an HTTP request the application itself may serve: ask
	 * loopback-only and quiet ports (admin, pprof) first and the busy,
	 * all-interfaces service port last, so that where pprof has its own
	 * port the service most likely never sees us.  `doctor --pprof URL`
	 * skips probing altogether. */
	qsort(c, nc, sizeof(*c), cmp_candidate);
	for (size_t i = 0; i < nc; i++) {
		struct pprof_index idx;
		struct gd_errbuf peb;
		char base[64];
		snprintf(base, sizeof(base), c[i].v6only ? "http://[::1]:%u" : "http://127.0.0.1:%u", c[i].port);
		if (pprof_index_fetch(base, &o, &idx, &peb) == GD_OK) {
			snprintf(out_base_url, outlen, "%s", base);
			return GD_OK;
		}
	}
	if (!nc)
		return gd_fail(eb, GD_ENOENT, "no listening port on loopback or any address");
	return gd_fail(eb, GD_ENOENT, "no /debug/pprof/ on %zu listening port%s", nc, nc == 1 ? "" : "s");
}

enum gd_err pprof_endpoint_connect(const char *base_url, int netns_pid, long timeout_ms, int *fd,
				   uint16_t *local_port, uint16_t *remote_port, struct gd_errbuf *eb)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64];
	const char *p = base_url, *colon;
	unsigned long port;
	char *end;
	int s, rc;
	bool v6;

	*fd = -1;
	if (strncmp(p, "http://", 7))
		return gd_fail(eb, GD_EARG, "%s: not an http:// loopback URL", base_url);
	p += 7;
	v6 = *p == '[';
	colon = v6 ? strstr(p, "]:") : strrchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(host))
		return gd_fail(eb, GD_EARG, "%s: no host:port", base_url);
	memcpy(host, p + v6, (size_t)(colon - p - v6));
	host[colon - p - v6] = '\0';
	errno = 0;
	port = strtoul(colon + 1 + v6, &end, 10);
	if (errno || !port || port > 65535 || (*end && *end != '/'))
		return gd_fail(eb, GD_EARG, "%s: bad port", base_url);
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return gd_fail(eb, GD_EARG, "%s: not a numeric address", base_url);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return gd_fail(eb, GD_EARG, "%s: not a numeric address", base_url);
		sl = sizeof(*a);
	}
	s = netns_pid > 0 && nssock_netns_differs(netns_pid)
		    ? nssock_open(netns_pid, ss.ss_family, SOCK_STREAM, 0, eb)
		    : socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return eb->msg[0] ? GD_EIO : gd_fail(eb, GD_EIO, "socket: %s", strerror(errno));
	fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
	rc = connect(s, (struct sockaddr *)&ss, sl);
	if (rc < 0 && errno == EINPROGRESS) {
		struct pollfd pf = { .fd = s, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof(err);
		rc = poll(&pf, 1, (int)timeout_ms);
		if (rc == 0) {
			close(s);
			return gd_fail(eb, GD_ETIMEOUT, "%s: no connection in %ld ms", base_url, timeout_ms);
		}
		if (rc < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el) || err) {
			close(s);
			return gd_fail(eb, GD_EHTTP, "%s: connect: %s", base_url, strerror(err ? err : errno));
		}
	} else if (rc < 0) {
		int e = errno;
		close(s);
		return gd_fail(eb, GD_EHTTP, "%s: connect: %s", base_url, strerror(e));
	}
	sl = sizeof(ss);
	if (getsockname(s, (struct sockaddr *)&ss, &sl)) {
		close(s);
		return gd_fail(eb, GD_EIO, "getsockname: %s", strerror(errno));
	}
	*local_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						    : ((struct sockaddr_in *)&ss)->sin_port);
	*remote_port = (uint16_t)port;
	*fd = s;
	return GD_OK;
}
