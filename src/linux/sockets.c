/* SPDX-License-Identifier: MIT */
/* /proc side of the TCP socket model: fd -> socket inodes, sockstat totals
 * and the /proc/PID/net/tcp{,6} fallback parser.  The fallback exists
 * because sock_diag may be missing (old or locked-down kernels, seccomp) or
 * unreachable (another netns we may not enter); /proc/PID/net/tcp always
 * shows pid's own netns, but without idle times. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux/sockets.h"
#include "util/xalloc.h"
#include "util/numparse.h"
#include "util/readfile.h"
#include "util/banned.h"

static const char *const state_names[TCPS_MAX] = {
	[TCPS_ESTABLISHED] = "ESTABLISHED",
	[TCPS_SYN_SENT] = "SYN_SENT",
	[TCPS_SYN_RECV] = "SYN_RECV",
	[TCPS_FIN_WAIT1] = "FIN_WAIT1",
	[TCPS_FIN_WAIT2] = "FIN_WAIT2",
	[TCPS_TIME_WAIT] = "TIME_WAIT",
	[TCPS_CLOSE] = "CLOSE",
	[TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPS_LAST_ACK] = "LAST_ACK",
	[TCPS_LISTEN] = "LISTEN",
	[TCPS_CLOSING] = "CLOSING",
	[TCPS_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

const char *tcp_state_name(unsigned state)
{
	if (state >= TCPS_MAX || !state_names[state])
		return "UNKNOWN";
	return state_names[state];
}

void tcp_sock_list_init(struct tcp_sock_list *l)
{
	memset(l, 0, sizeof(*l));
}

void tcp_sock_list_release(struct tcp_sock_list *l)
{
	free(l->v);
	tcp_sock_list_init(l);
}

void tcp_sock_list_add(struct tcp_sock_list *l, const struct tcp_sock *s)
{
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = *s;
}

void tcp_sock_list_note(struct tcp_sock_list *l, const char *fmt, ...)
{
	size_t used = strlen(l->notes);
	va_list ap;

	if (used && used + 2 < sizeof(l->notes)) {
		memcpy(l->notes + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= sizeof(l->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(l->notes + used, sizeof(l->notes) - used, fmt, ap);
	va_end(ap);
}

void tcp_addr_format(int family, const uint8_t addr[16], char *buf, size_t size)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

/* ---- inode set ---- */

void inode_set_init(struct inode_set *s)
{
	memset(s, 0, sizeof(*s));
}

void inode_set_release(struct inode_set *s)
{
	free(s->slots);
	inode_set_init(s);
}

static size_t inode_slot(uint64_t inode, size_t cap)
{
	/* Fibonacci hashing: socket inodes are consecutive numbers, which a
	 * plain modulo would pile into runs. */
	return (size_t)((inode * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static void inode_set_put(uint64_t *slots, size_t cap, uint64_t inode)
{
	size_t i = inode_slot(inode, cap);
	while (slots[i] && slots[i] != inode)
		i = (i + 1) & (cap - 1);
	slots[i] = inode;
}

void inode_set_add(struct inode_set *s, uint64_t inode)
{
	if (!inode || inode_set_has(s, inode))
		return;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *ns = xcalloc(ncap, sizeof(*ns));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				inode_set_put(ns, ncap, s->slots[i]);
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	inode_set_put(s->slots, s->cap, inode);
	s->n++;
}

bool inode_set_has(const struct inode_set *s, uint64_t inode)
{
	size_t i;
	if (!s->cap || !inode)
		return false;
	i = inode_slot(inode, s->cap);
	while (s->slots[i]) {
		if (s->slots[i] == inode)
			return true;
		i = (i + 1) & (s->cap - 1);
	}
	return false;
}

/* ---- fds ---- */

static const char *root_or_default(const char *proc_root)
{
	return proc_root && *proc_root ? proc_root : "/proc";
}

/* Parse "socket:[12345]"; 0 when the link is not a socket. */
static uint64_t socket_link_inode(const char *link, size_t len)
{
	uint64_t v;
	if (len < 10 || memcmp(link, "socket:[", 8) || link[len - 1] != ']' ||
	    !parse_u64_n(link + 8, len - 9, &v))
		return 0;
	return v;
}

enum gd_err proc_socket_inodes(const char *proc_root, int pid, struct inode_set *out,
			       struct gd_errbuf *eb)
{
	char path[4096];
	struct dirent *de;
	size_t nfds = 0;
	DIR *d;

	if (pid <= 0)
		return gd_fail(eb, GD_EARG, "bad pid %d", pid);
	snprintf(path, sizeof(path), "%s/%d/fd", root_or_default(proc_root), pid);
	d = opendir(path);
	if (!d) {
		int e = errno;
		if (e == ENOENT || e == ESRCH)
			return gd_fail(eb, GD_ENOENT, "no such process %d (%s: %s)", pid, path,
				       strerror(e));
		if (e == EACCES || e == EPERM)
			return gd_fail(eb, GD_EPERM,
				       "cannot read '%s': %s (need the same uid as pid %d or CAP_SYS_PTRACE)",
				       path, strerror(e), pid);
		return gd_fail(eb, GD_EIO, "cannot open '%s': %s", path, strerror(e));
	}
	for (;;) {
		char link[64];
		ssize_t n;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (++nfds > SOCKETS_MAX_FDS) {
			closedir(d);
			return gd_fail(eb, GD_ETOOBIG, "'%s' holds more than %u fds", path,
				       SOCKETS_MAX_FDS);
		}
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n < 0) {
			/* The fd was closed between readdir and readlink:
			 * a live process does that all the time. */
			if (errno == ENOENT)
				continue;
			if (errno == EACCES || errno == EPERM) {
				int e = errno;
				closedir(d);
				return gd_fail(eb, GD_EPERM, "cannot read '%s/%s': %s", path,
					       de->d_name, strerror(e));
			}
			continue;
		}
		inode_set_add(out, socket_link_inode(link, (size_t)n));
	}
	if (errno) {
		int e = errno;
		closedir(d);
		/* The process exited while we listed its fds. */
		if (e == ENOENT || e == ESRCH)
			return gd_fail(eb, GD_ENOENT, "process %d exited while reading '%s'", pid,
				       path);
		return gd_fail(eb, GD_EIO, "cannot list '%s': %s", path, strerror(e));
	}
	closedir(d);
	return GD_OK;
}

/* ---- small file reading ---- */

/* Read at most cap bytes of a /proc file into a NUL-terminated buffer. */
static enum gd_err read_small_file(const char *path, size_t cap, char **out, size_t *len,
				   struct gd_errbuf *eb)
{
	struct strbuf sb = STRBUF_INIT_MAX(cap);
	enum gd_err rc = read_file_capped(path, cap, &sb, eb);

	if (rc != GD_OK) {
		strbuf_release(&sb);
		return rc;
	}
	*out = strbuf_detach(&sb, len);
	return GD_OK;
}

/* ---- sockstat ---- */

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}


/* Parse "KEY: name v name v ..." calling back per pair. */
static enum gd_err sockstat_pairs(const char *p, const char *end, struct sockstat *st,
				  bool v6, struct gd_errbuf *eb)
{
	while ((p = skip_spaces(p, end)) < end) {
		const char *name = p;
		size_t nlen;
		uint64_t v = 0;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		nlen = (size_t)(p - name);
		p = skip_spaces(p, end);
		if (!scan_u64(&p, end, &v))
			return gd_fail(eb, GD_EFORMAT, "sockstat: no number after '%.*s'",
				       (int)(nlen > 32 ? 32 : nlen), name);
#define IS(s) (nlen == sizeof(s) - 1 && !memcmp(name, s, nlen))
		if (v6) {
			if (IS("inuse"))
				st->tcp6_inuse = v;
		} else if (IS("inuse")) {
			st->tcp_inuse = v;
		} else if (IS("orphan")) {
			st->tcp_orphan = v;
		} else if (IS("tw")) {
			st->tcp_tw = v;
		} else if (IS("alloc")) {
			st->tcp_alloc = v;
		} else if (IS("mem")) {
			st->tcp_mem_pages = v;
		}
#undef IS
	}
	return GD_OK;
}

enum gd_err sockstat_parse(const char *buf, size_t len, struct sockstat *st,
			   struct gd_errbuf *eb)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		enum gd_err rc = GD_OK;
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > 5 && !memcmp(p, "TCP: ", 5)) {
			rc = sockstat_pairs(p + 5, eol, st, false, eb);
			st->valid = rc == GD_OK;
		} else if ((size_t)(eol - p) > 6 && !memcmp(p, "TCP6: ", 6)) {
			rc = sockstat_pairs(p + 6, eol, st, true, eb);
			st->valid6 = rc == GD_OK;
		} else if ((size_t)(eol - p) > 14 && !memcmp(p, "sockets: used ", 14)) {
			const char *q = p + 14;
			if (!scan_u64(&q, eol, &st->sockets_used))
				rc = gd_fail(eb, GD_EFORMAT, "sockstat: bad 'sockets: used' line");
		}
		if (rc)
			return rc;
		p = eol + 1;
	}
	return GD_OK;
}

enum gd_err sockstat_read(const char *proc_root, int pid, struct sockstat *st,
			  struct gd_errbuf *eb)
{
	static const char *const files[] = { "sockstat", "sockstat6" };
	char path[4096];
	enum gd_err rc;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < 2; i++) {
		char *buf = NULL;
		size_t len = 0;
		if (pid > 0)
			snprintf(path, sizeof(path), "%s/%d/net/%s", root_or_default(proc_root),
				 pid, files[i]);
		else
			snprintf(path, sizeof(path), "%s/net/%s", root_or_default(proc_root),
				 files[i]);
		rc = read_small_file(path, 64 << 10, &buf, &len, eb);
		if (rc) {
			if (i == 1 && rc == GD_ENOENT)
				break; /* no IPv6 in this kernel */
			return rc;
		}
		rc = sockstat_parse(buf, len, st, eb);
		free(buf);
		if (rc)
			return rc;
	}
	if (!st->valid)
		return gd_fail(eb, GD_EFORMAT, "'%s/...' has no TCP line",
			       root_or_default(proc_root));
	return GD_OK;
}

/* ---- /proc/net/tcp ---- */

/* Exactly `digits` hex digits into *v. */
static bool parse_hex_fixed(const char **pp, const char *end, int digits, uint32_t *v)
{
	const char *p = *pp;
	uint32_t x = 0;
	if (end - p < digits)
		return false;
	for (int i = 0; i < digits; i++) {
		int h = hex_value(p[i]);
		if (h < 0)
			return false;
		x = (x << 4) | (uint32_t)h;
	}
	*pp = p + digits;
	*v = x;
	return true;
}

/* 1..16 hex digits. */
static bool parse_hex(const char **pp, const char *end, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;
	int n = 0;
	for (; p < end && hex_value(*p) >= 0; p++, n++) {
		if (n == 16)
			return false;
		x = (x << 4) | (uint64_t)hex_value(*p);
	}
	if (!n)
		return false;
	*pp = p;
	*v = x;
	return true;
}

/* "0100007F:1F90": the kernel prints each 32-bit word of the address with
 * %08X in host byte order, so storing the parsed words back in host order
 * yields the network-order bytes. */
static bool parse_addr_port(const char **pp, const char *end, int family, uint8_t addr[16],
			    uint16_t *port)
{
	int words = family == AF_INET6 ? 4 : 1;
	uint32_t w, pt;
	memset(addr, 0, 16);
	for (int i = 0; i < words; i++) {
		if (!parse_hex_fixed(pp, end, 8, &w))
			return false;
		memcpy(addr + 4 * i, &w, 4);
	}
	if (*pp >= end || **pp != ':')
		return false;
	(*pp)++;
	if (!parse_hex_fixed(pp, end, 4, &pt))
		return false;
	*port = (uint16_t)pt;
	return true;
}

static bool expect_char(const char **pp, const char *end, char c)
{
	if (*pp >= end || **pp != c)
		return false;
	(*pp)++;
	return true;
}

enum gd_err proc_net_tcp_parse_line(const char *line, size_t len, int family,
				    struct tcp_sock *s, struct gd_errbuf *eb)
{
	const char *p = line, *end = line + len;
	uint64_t v, tx, rx;
	const char *what;

	memset(s, 0, sizeof(*s));
	s->family = (uint8_t)(family == AF_INET6 ? AF_INET6 : AF_INET);
	p = skip_spaces(p, end);
	if (end - p >= 2 && !memcmp(p, "sl", 2))
		return GD_ENOENT;
	what = "slot";
	if (!scan_u64(&p, end, &v) || !expect_char(&p, end, ':'))
		goto bad;
	what = "local address";
	p = skip_spaces(p, end);
	if (!parse_addr_port(&p, end, family, s->local_addr, &s->local_port))
		goto bad;
	what = "remote address";
	p = skip_spaces(p, end);
	if (!parse_addr_port(&p, end, family, s->peer_addr, &s->peer_port))
		goto bad;
	what = "state";
	p = skip_spaces(p, end);
	if (!parse_hex(&p, end, &v) || v == 0 || v >= TCPS_MAX)
		goto bad;
	s->state = (uint8_t)v;
	what = "queues";
	p = skip_spaces(p, end);
	if (!parse_hex(&p, end, &tx) || !expect_char(&p, end, ':') || !parse_hex(&p, end, &rx) ||
	    tx > UINT32_MAX || rx > UINT32_MAX)
		goto bad;
	s->wqueue = (uint32_t)tx;
	s->rqueue = (uint32_t)rx;
	what = "timer";
	p = skip_spaces(p, end);
	if (!parse_hex(&p, end, &v) || !expect_char(&p, end, ':') || !parse_hex(&p, end, &v))
		goto bad;
	what = "retransmits";
	p = skip_spaces(p, end);
	if (!parse_hex(&p, end, &v))
		goto bad;
	what = "uid";
	p = skip_spaces(p, end);
	if (!scan_u64(&p, end, &v) || v > UINT32_MAX)
		goto bad;
	s->uid = (uint32_t)v;
	what = "timeout";
	p = skip_spaces(p, end);
	if (!scan_u64(&p, end, &v))
		goto bad;
	what = "inode";
	p = skip_spaces(p, end);
	if (!scan_u64(&p, end, &v))
		goto bad;
	s->inode = v;
	return GD_OK;
bad:
	return gd_fail(eb, GD_EFORMAT, "bad %s at column %zu", what, (size_t)(p - line) + 1);
}

static enum gd_err parse_lines(const char *buf, size_t len, int family, const char *name,
			       const struct inode_set *filter, struct tcp_sock_list *out,
			       size_t *linep, struct gd_errbuf *eb)
{
	const char *p = buf, *end = buf + len;
	size_t lineno = *linep;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		struct tcp_sock s;
		struct gd_errbuf lineeb;
		enum gd_err rc;

		if (!eol)
			eol = end;
		lineno++;
		*linep = lineno;
		if ((size_t)(eol - p) > PROC_NET_TCP_MAX_LINE)
			return gd_fail(eb, GD_ETOOLONG, "%s:%zu: line over %d bytes", name, lineno,
				       PROC_NET_TCP_MAX_LINE);
		if (eol == p || skip_spaces(p, eol) == eol) {
			p = eol + 1;
			continue;
		}
		rc = proc_net_tcp_parse_line(p, (size_t)(eol - p), family, &s, &lineeb);
		if (rc == GD_EFORMAT)
			return gd_fail(eb, rc, "%s:%zu: %s", name, lineno, lineeb.msg);
		if (rc == GD_OK && (!filter || inode_set_has(filter, s.inode)))
			tcp_sock_list_add(out, &s);
		p = eol + 1;
	}
	return GD_OK;
}

enum gd_err proc_net_tcp_parse(const char *buf, size_t len, int family, const char *name,
			       const struct inode_set *filter, struct tcp_sock_list *out,
			       struct gd_errbuf *eb)
{
	size_t lineno = 0;
	return parse_lines(buf, len, family, name, filter, out, &lineno, eb);
}

/* Stream the file in chunks: /proc/net/tcp of a busy netns is many MiB, and
 * only the few lines of our process are kept. */
static enum gd_err proc_net_tcp_read_one(const char *path, int family,
					 const struct inode_set *filter,
					 struct tcp_sock_list *out, struct gd_errbuf *eb)
{
	char buf[64 << 10];
	size_t have = 0, total = 0, lineno = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		return gd_fail(eb, e == ENOENT ? GD_ENOENT : e == EACCES ? GD_EPERM : GD_EIO,
			       "cannot open '%s': %s", path, strerror(e));
	}
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		const char *last_nl;
		size_t used;
		enum gd_err rc;

		if (r < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			close(fd);
			return gd_fail(eb, GD_EIO, "cannot read '%s': %s", path, strerror(e));
		}
		total += (size_t)r;
		if (total > PROC_NET_TCP_MAX_BYTES) {
			close(fd);
			return gd_fail(eb, GD_ETOOBIG, "'%s' is over %u bytes", path,
				       PROC_NET_TCP_MAX_BYTES);
		}
		have += (size_t)r;
		if (!r) {
			/* Last line without a newline. */
			rc = parse_lines(buf, have, family, path, filter, out, &lineno, eb);
			close(fd);
			return rc;
		}
		last_nl = memrchr(buf, '\n', have);
		if (!last_nl) {
			if (have == sizeof(buf)) {
				close(fd);
				return gd_fail(eb, GD_ETOOLONG, "'%s': line over %zu bytes", path,
					       sizeof(buf));
			}
			continue;
		}
		used = (size_t)(last_nl - buf) + 1;
		rc = parse_lines(buf, used, family, path, filter, out, &lineno, eb);
		if (rc) {
			close(fd);
			return rc;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
}

enum gd_err proc_net_tcp_read(const char *proc_root, int pid, const struct inode_set *filter,
			      struct tcp_sock_list *out, struct gd_errbuf *eb)
{
	char path[4096];
	enum gd_err rc;

	snprintf(path, sizeof(path), "%s/%d/net/tcp", root_or_default(proc_root), pid);
	rc = proc_net_tcp_read_one(path, AF_INET, filter, out, eb);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%d/net/tcp6", root_or_default(proc_root), pid);
	rc = proc_net_tcp_read_one(path, AF_INET6, filter, out, eb);
	if (rc == GD_ENOENT)
		return GD_OK;
	return rc;
}
