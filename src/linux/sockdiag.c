/* SPDX-License-Identifier: MIT */
/* inet_diag client for one process's TCP sockets: the pure netlink reply
 * parser, the record/replay file format and the live dump, which runs in the
 * target's network namespace or falls back to /proc/PID/net/tcp{,6}.
 *
 * Why a dump of the whole netns and not per-socket queries: inet_diag has no
 * inode filter, and one SOCK_DIAG_BY_FAMILY dump per family costs far less
 * than thousands of exact-match requests.  The kernel drops states that can
 * never own an fd (TIME_WAIT, SYN_RECV request socks) before they reach us,
 * and the inode hash set drops the rest at memory speed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <libmnl/libmnl.h>

#include "linux/sockdiag.h"
#include "util/xalloc.h"
#include "util/readfile.h"
#include "util/banned.h"

/* One recv never carries more than ~32 KiB of a dump (the kernel caps dump
 * skbs), but a large buffer costs nothing and never truncates. */
#define DIAG_RECV_BUF (1u << 20)
#define DIAG_RECV_TIMEOUT_S 5
#define DIAG_DEADLINE_S 60
#define DIAG_DUMP_MAX_BYTES (2048ull << 20)

/* ---- pure parser ---- */

void sockdiag_parser_init(struct sockdiag_parser *p, const struct inode_set *filter,
			  struct tcp_sock_list *out)
{
	memset(p, 0, sizeof(*p));
	p->filter = filter;
	p->out = out;
}

static int errno_from_reply(int32_t err)
{
	/* The kernel sends a negative errno; anything else is garbage we
	 * still must turn into "an error" without overflowing. */
	if (err >= 0)
		return 0;
	if (err == INT32_MIN || -err > 4095)
		return EIO;
	return -err;
}

static void parse_tcp_info(struct tcp_sock *s, const uint8_t *data, size_t alen)
{
	struct tcp_info ti;

	/* struct tcp_info grows with the kernel: an older kernel sends less,
	 * a newer one more.  Copy what fits and trust only fields that lie
	 * wholly within what was sent. */
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, data, alen < sizeof(ti) ? alen : sizeof(ti));
#define HAS(f) (alen >= offsetof(struct tcp_info, f) + sizeof(ti.f))
	if (HAS(tcpi_last_data_recv)) {
		s->has_idle = true;
		s->last_data_recv_ms = ti.tcpi_last_data_recv;
		s->last_data_sent_ms = ti.tcpi_last_data_sent;
	}
	if (HAS(tcpi_bytes_received)) {
		s->has_bytes = true;
		s->bytes_acked = ti.tcpi_bytes_acked;
		s->bytes_received = ti.tcpi_bytes_received;
	}
#undef HAS
}

static enum gd_err parse_diag_msg(struct sockdiag_parser *p, const uint8_t *msg, size_t len,
				  size_t off, struct gd_errbuf *eb)
{
	const size_t hdr = NLMSG_HDRLEN;
	const size_t body = NLMSG_ALIGN(sizeof(struct inet_diag_msg));
	struct inet_diag_msg m;
	struct tcp_sock s;
	size_t a;

	if (len < hdr + sizeof(m))
		return gd_fail(eb, GD_EFORMAT,
			       "netlink message at offset %zu: inet_diag payload of %zu bytes, want %zu",
			       off, len - hdr, sizeof(m));
	memcpy(&m, msg + hdr, sizeof(m));
	p->msgs++;
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return GD_OK;
	if (p->filter && !inode_set_has(p->filter, m.idiag_inode))
		return GD_OK;

	memset(&s, 0, sizeof(s));
	s.family = m.idiag_family;
	s.state = m.idiag_state;
	s.local_port = ntohs(m.id.idiag_sport);
	s.peer_port = ntohs(m.id.idiag_dport);
	memcpy(s.local_addr, m.id.idiag_src, m.idiag_family == AF_INET ? 4 : 16);
	memcpy(s.peer_addr, m.id.idiag_dst, m.idiag_family == AF_INET ? 4 : 16);
	s.rqueue = m.idiag_rqueue;
	s.wqueue = m.idiag_wqueue;
	s.uid = m.idiag_uid;
	s.inode = m.idiag_inode;

	/* Walk the attributes by hand: libmnl's iterator trusts the aligned
	 * tail of the message, which may lie past the end of a short buffer. */
	for (a = hdr + body; a + sizeof(struct nlattr) <= len;) {
		struct nlattr nla;
		memcpy(&nla, msg + a, sizeof(nla));
		if (nla.nla_len < sizeof(nla) || nla.nla_len > len - a)
			return gd_fail(eb, GD_EFORMAT,
				       "netlink message at offset %zu: attribute at %zu has bad length %u",
				       off, a, nla.nla_len);
		if ((nla.nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO)
			parse_tcp_info(&s, msg + a + sizeof(nla), nla.nla_len - sizeof(nla));
		a += NLA_ALIGN(nla.nla_len);
	}
	tcp_sock_list_add(p->out, &s);
	p->kept++;
	return GD_OK;
}

enum gd_err sockdiag_parse(struct sockdiag_parser *p, const void *buf, size_t len,
			   struct gd_errbuf *eb)
{
	const uint8_t *b = buf;
	size_t off = 0;

	while (off < len && !p->error) {
		struct nlmsghdr h;
		const uint8_t *msg = b + off;
		size_t mlen;

		if (len - off < sizeof(h))
			return gd_fail(eb, GD_EFORMAT, "netlink reply: %zu stray bytes at offset %zu",
				       len - off, off);
		memcpy(&h, msg, sizeof(h));
		mlen = h.nlmsg_len;
		if (mlen < sizeof(h) || mlen > len - off)
			return gd_fail(eb, GD_EFORMAT,
				       "netlink message at offset %zu: length %zu outside 16..%zu",
				       off, mlen, len - off);
		if (p->expect_seq && h.nlmsg_seq != p->expect_seq)
			goto next; /* a reply to someone else's request */
		switch (h.nlmsg_type) {
		case NLMSG_DONE: {
			int32_t err = 0;
			if (mlen >= NLMSG_HDRLEN + sizeof(err))
				memcpy(&err, msg + NLMSG_HDRLEN, sizeof(err));
			p->dones++;
			p->error = errno_from_reply(err);
			break;
		}
		case NLMSG_ERROR: {
			struct nlmsgerr e;
			if (mlen < NLMSG_HDRLEN + sizeof(e.error))
				return gd_fail(eb, GD_EFORMAT,
					       "netlink message at offset %zu: short error reply", off);
			memcpy(&e.error, msg + NLMSG_HDRLEN, sizeof(e.error));
			p->error = errno_from_reply(e.error);
			break;
		}
		case SOCK_DIAG_BY_FAMILY: {
			enum gd_err rc = parse_diag_msg(p, msg, mlen, off, eb);
			if (rc)
				return rc;
			break;
		}
		default:
			break; /* NLMSG_NOOP, NLMSG_OVERRUN: nothing for us */
		}
next:
		if (NLMSG_ALIGN(mlen) >= len - off)
			break;
		off += NLMSG_ALIGN(mlen);
	}
	return GD_OK;
}

/* ---- recording format ---- */

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct frame {
	unsigned kind;
	const uint8_t *data;
	size_t len;
	size_t off; /* of the header, for messages */
};

/* Next frame at *off; 1 on success, 0 at the end, -1 (with eb) when bad. */
static int frame_next(const uint8_t *b, size_t len, size_t *off, struct frame *f,
		      struct gd_errbuf *eb)
{
	size_t o = *off;
	uint32_t flen;

	if (o == len)
		return 0;
	if (len - o < SOCKDIAG_FRAME_HDR) {
		gd_fail(eb, GD_EFORMAT, "frame at offset %zu: %zu bytes, too short for a header",
			o, len - o);
		return -1;
	}
	if (memcmp(b + o, "GDNL", 4)) {
		gd_fail(eb, GD_EFORMAT, "frame at offset %zu: bad magic (not a godiag netlink recording)", o);
		return -1;
	}
	flen = get_le32(b + o + 8);
	if (flen > SOCKDIAG_FRAME_MAX || flen > len - o - SOCKDIAG_FRAME_HDR) {
		gd_fail(eb, GD_EFORMAT, "frame at offset %zu: length %u runs past the end", o, flen);
		return -1;
	}
	f->kind = b[o + 4];
	f->data = b + o + SOCKDIAG_FRAME_HDR;
	f->len = flen;
	f->off = o;
	*off = o + SOCKDIAG_FRAME_HDR + flen;
	return 1;
}

void sockdiag_replay_release(struct sockdiag_replay *r)
{
	inode_set_release(&r->inodes);
	memset(r, 0, sizeof(*r));
}

enum gd_err sockdiag_replay_parse(const void *buf, size_t len, const struct inode_set *filter,
				  struct sockdiag_replay *r, struct tcp_sock_list *out,
				  struct gd_errbuf *eb)
{
	const uint8_t *b = buf;
	struct sockdiag_parser p;
	struct frame f;
	size_t off = 0;
	uint8_t *scratch = NULL;
	size_t scratch_len = 0;
	enum gd_err rc = GD_OK;
	int got;

	memset(r, 0, sizeof(*r));
	inode_set_init(&r->inodes);
	/* Pass 1: the context frames, wherever they are in the file. */
	while ((got = frame_next(b, len, &off, &f, eb)) > 0) {
		if (f.kind == SOCKDIAG_FRAME_INODES) {
			if (f.len < 4 || (f.len - 4) % 8 || (f.len - 4) / 8 > SOCKETS_MAX_FDS)
				return gd_fail(eb, GD_EFORMAT,
					       "frame at offset %zu: inode list of %zu bytes", f.off,
					       f.len);
			r->has_inodes = true;
			r->pid = (int)(get_le32(f.data) & INT_MAX);
			for (size_t i = 4; i < f.len; i += 8)
				inode_set_add(&r->inodes, get_le64(f.data + i));
		} else if (f.kind == SOCKDIAG_FRAME_SOCKSTAT) {
			struct gd_errbuf seb;
			memset(&out->sockstat, 0, sizeof(out->sockstat));
			if (sockstat_parse((const char *)f.data, f.len, &out->sockstat, &seb))
				tcp_sock_list_note(out, "recorded sockstat unreadable: %s", seb.msg);
		}
	}
	if (got < 0)
		return GD_EFORMAT;

	/* Pass 2: the replies.  A frame's payload may sit at any alignment in
	 * the file; the parser copes, but copy anyway so a kernel-layout
	 * struct is never read through a misaligned pointer by accident. */
	sockdiag_parser_init(&p, filter ? filter : r->has_inodes ? &r->inodes : NULL, out);
	off = 0;
	while ((got = frame_next(b, len, &off, &f, eb)) > 0) {
		size_t dones;
		if (f.kind != SOCKDIAG_FRAME_NETLINK)
			continue;
		r->frames++;
		if (f.len > scratch_len) {
			free(scratch);
			scratch = xmalloc(f.len);
			scratch_len = f.len;
		}
		if (f.len)
			memcpy(scratch, f.data, f.len);
		dones = p.dones;
		rc = sockdiag_parse(&p, scratch, f.len, eb);
		if (rc)
			break;
		if (p.error) {
			r->error = p.error;
			break;
		}
		r->dumps_done += p.dones - dones;
	}
	free(scratch);
	if (!rc && got < 0)
		rc = GD_EFORMAT;
	return rc;
}

/* ---- live side ---- */

static const char *root_of(const struct sock_opts *o)
{
	return o->proc_root && *o->proc_root ? o->proc_root : "/proc";
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

static bool write_frame(int fd, unsigned kind, const void *data, size_t len)
{
	uint8_t h[SOCKDIAG_FRAME_HDR] = { 'G', 'D', 'N', 'L', (uint8_t)kind, 0, 0, 0 };
	put_le32(h + 8, (uint32_t)len);
	return write_all(fd, h, sizeof(h)) && write_all(fd, data, len);
}

static bool write_inodes_frame(int fd, int pid, const struct inode_set *s)
{
	size_t len = 4 + 8 * s->n, o = 4;
	uint8_t *b = xmalloc(len);
	bool ok;
	put_le32(b, (uint32_t)pid);
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slots[i])
			continue;
		put_le32(b + o, (uint32_t)s->slots[i]);
		put_le32(b + o + 4, (uint32_t)(s->slots[i] >> 32));
		o += 8;
	}
	ok = write_frame(fd, SOCKDIAG_FRAME_INODES, b, len);
	free(b);
	return ok;
}

/* The text of PID/net/sockstat and sockstat6, concatenated (for parsing and
 * for the recording).  Returns false with errno-ish text in why. */
static bool read_sockstat_text(const char *root, int pid, char **txt, size_t *len, char *why,
			       size_t whylen)
{
	static const char *const names[] = { "sockstat", "sockstat6" };
	/* A sockstat is a few hundred bytes. */
	struct strbuf all = STRBUF_INIT_MAX(256u << 10), one = STRBUF_INIT_MAX(128u << 10);

	for (size_t i = 0; i < 2; i++) {
		char path[4096];
		struct gd_errbuf eb;
		enum gd_err rc;
		snprintf(path, sizeof(path), "%s/%d/net/%s", root, pid, names[i]);
		rc = read_file_capped(path, 128u << 10, &one, &eb);
		if (rc != GD_OK && rc != GD_ETOOBIG) {
			if (i == 1)
				break; /* no IPv6 */
			snprintf(why, whylen, "%s", eb.msg);
			strbuf_release(&all);
			strbuf_release(&one);
			return false;
		}
		strbuf_add(&all, one.buf, one.len);
	}
	strbuf_release(&one);
	*txt = strbuf_detach(&all, len);
	return true;
}

struct ns_arg {
	char path[4096];
	int fd;
	int err;
	const char *step;
};

/* Runs in its own thread so that only this thread enters the target's
 * netns; a netlink socket stays bound to the netns it was created in, so
 * the main thread can use it after this thread is gone. */
static void *ns_socket_thread(void *v)
{
	struct ns_arg *a = v;
	int nsfd = open(a->path, O_RDONLY | O_CLOEXEC);

	a->fd = -1;
	if (nsfd < 0) {
		a->err = errno;
		a->step = "open";
		return NULL;
	}
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		a->err = errno;
		a->step = "setns";
		close(nsfd);
		return NULL;
	}
	close(nsfd);
	a->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (a->fd < 0) {
		a->err = errno;
		a->step = "socket";
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One SOCK_DIAG_BY_FAMILY dump of `family`.  GD_OK with p->error set means
 * the kernel refused; other codes are transport failures. */
static enum gd_err diag_dump(struct mnl_socket *nl, int family, bool want_info, uint32_t seq,
			     struct sockdiag_parser *p, uint8_t *buf, int rec_fd,
			     struct gd_errbuf *eb)
{
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;
	size_t dones = p->dones;
	unsigned long long total = 0;
	double deadline = now_s() + DIAG_DEADLINE_S;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	/* States that can own an fd.  TIME_WAIT and request socks have inode
	 * 0, and on a busy host they are most of the table. */
	req->idiag_states = ((1u << TCPS_MAX) - 1) & ~(1u << TCPS_TIME_WAIT) &
			    ~(1u << TCPS_SYN_RECV) & ~(1u << TCPS_NEW_SYN_RECV) & ~1u;
	req->idiag_ext = want_info ? (uint8_t)(1u << (INET_DIAG_INFO - 1)) : 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return gd_fail(eb, GD_EIO, "sock_diag: send: %s", strerror(errno));
	p->expect_seq = seq;
	p->error = 0;
	while (p->dones == dones) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, DIAG_RECV_BUF);
		enum gd_err rc;
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if (e == EAGAIN || e == EWOULDBLOCK)
				return gd_fail(eb, GD_ETIMEOUT, "sock_diag: no reply in %d s",
					       DIAG_RECV_TIMEOUT_S);
			return gd_fail(eb, GD_EIO, "sock_diag: recv: %s", strerror(e));
		}
		if (n == 0)
			return gd_fail(eb, GD_EIO, "sock_diag: socket closed mid-dump");
		if (rec_fd >= 0 && !write_frame(rec_fd, SOCKDIAG_FRAME_NETLINK, buf, (size_t)n))
			return gd_fail(eb, GD_EIO, "cannot write the recording: %s", strerror(errno));
		rc = sockdiag_parse(p, buf, (size_t)n, eb);
		if (rc)
			return rc;
		if (p->error)
			return GD_OK;
		total += (unsigned long long)n;
		if (total > DIAG_DUMP_MAX_BYTES)
			return gd_fail(eb, GD_ETOOBIG, "sock_diag: dump over %llu MiB",
				       DIAG_DUMP_MAX_BYTES >> 20);
		if (now_s() > deadline)
			return gd_fail(eb, GD_ETIMEOUT, "sock_diag: dump not done in %d s",
				       DIAG_DEADLINE_S);
	}
	return GD_OK;
}

/* Open a sock_diag socket in pid's netns.  Returns -1 and fills why when
 * sock_diag cannot be used, which sends the caller to /proc. */
static int open_diag_socket(const char *root, int pid, bool *entered, char *why, size_t whylen)
{
	char path[4096];
	struct stat self_ns, target_ns;
	int fd;

	*entered = false;
	snprintf(path, sizeof(path), "%s/%d/ns/net", root, pid);
	if (stat(path, &target_ns) < 0) {
		snprintf(why, whylen, "cannot see the netns of pid %d (%.256s: %s)", pid, path,
			 strerror(errno));
		return -1;
	}
	if (stat("/proc/self/ns/net", &self_ns) < 0) {
		snprintf(why, whylen, "cannot see our own netns: %s", strerror(errno));
		return -1;
	}
	if (self_ns.st_ino != target_ns.st_ino || self_ns.st_dev != target_ns.st_dev) {
		struct ns_arg a;
		pthread_t t;
		memset(&a, 0, sizeof(a));
		memcpy(a.path, path, sizeof(path));
		if (pthread_create(&t, NULL, ns_socket_thread, &a)) {
			snprintf(why, whylen, "cannot start the netns thread");
			return -1;
		}
		pthread_join(t, NULL);
		if (a.fd < 0) {
			snprintf(why, whylen, "pid %d is in another network namespace (%s %.256s: %s)",
				 pid, a.step, path, strerror(a.err));
			return -1;
		}
		*entered = true;
		fd = a.fd;
	} else {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		if (fd < 0) {
			snprintf(why, whylen, "no sock_diag socket: %s", strerror(errno));
			return -1;
		}
	}
	{
		struct timeval tv = { .tv_sec = DIAG_RECV_TIMEOUT_S };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static enum gd_err fallback_proc(const char *root, int pid, const struct inode_set *inodes,
				 const char *why, struct tcp_sock_list *out, struct gd_errbuf *eb)
{
	struct gd_errbuf peb;
	enum gd_err rc;

	out->n = 0;
	out->idle_known = false;
	snprintf(out->source, sizeof(out->source),
		 "%s/%d/net/tcp (no idle times: sock_diag not used)", root, pid);
	tcp_sock_list_note(out, "sock_diag not used: %s", why);
	if (!out->sockstat.valid && sockstat_read(root, pid, &out->sockstat, &peb))
		tcp_sock_list_note(out, "sockstat: %s", peb.msg);
	rc = proc_net_tcp_read(root, pid, inodes, out, &peb);
	if (rc == GD_ENOENT)
		return gd_fail(eb, GD_ENOENT, "process %d exited during the scan (%s)", pid,
			       peb.msg);
	if (rc && out->n) {
		tcp_sock_list_note(out, "partial: %s", peb.msg);
		out->partial = true;
		return GD_OK;
	}
	if (rc)
		return gd_fail(eb, rc, "%s", peb.msg);
	return GD_OK;
}

/* A recording, whole (capped at SOCKDIAG_REPLAY_MAX). */
static enum gd_err read_recording(const char *path, uint8_t **buf, size_t *len, struct gd_errbuf *eb)
{
	struct strbuf sb = STRBUF_INIT_MAX(SOCKDIAG_REPLAY_MAX);
	enum gd_err rc = read_file_capped(path, SOCKDIAG_REPLAY_MAX, &sb, eb);

	if (rc != GD_OK) {
		strbuf_release(&sb);
		return rc;
	}
	*buf = (uint8_t *)strbuf_detach(&sb, len);
	return GD_OK;
}

static enum gd_err socks_replay(const struct sock_opts *o, int pid, struct tcp_sock_list *out,
				struct gd_errbuf *eb)
{
	struct sockdiag_replay r;
	struct inode_set live;
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	struct frame f;
	bool has_inodes = false;
	enum gd_err rc;
	int got;

	inode_set_init(&live);
	memset(&r, 0, sizeof(r));
	rc = read_recording(o->replay_file, &buf, &len, eb);
	if (rc)
		return rc;
	{
		struct gd_errbuf feb;
		while ((got = frame_next(buf, len, &off, &f, &feb)) > 0)
			has_inodes |= f.kind == SOCKDIAG_FRAME_INODES;
		/* A bad file is the answer, before any look at the live system. */
		if (got < 0) {
			rc = gd_fail(eb, GD_EFORMAT, "replay '%s': %s", o->replay_file, feb.msg);
			goto out;
		}
	}
	/* A bare dump (no inode frame) is filtered by the live process. */
	if (!has_inodes) {
		rc = proc_socket_inodes(root_of(o), pid, &live, eb);
		if (rc)
			goto out;
	}
	rc = sockdiag_replay_parse(buf, len, has_inodes ? NULL : &live, &r, out, eb);
	if (rc) {
		char msg[GD_ERRBUF_SIZE];
		snprintf(msg, sizeof(msg), "%s", eb ? eb->msg : gd_strerror(rc));
		rc = gd_fail(eb, rc, "replay '%s': %s", o->replay_file, msg);
		goto out;
	}
	if (r.has_inodes && pid > 0 && r.pid != pid)
		tcp_sock_list_note(out, "the recording is of pid %d", r.pid);
	if (r.error) {
		char why[256];
		snprintf(why, sizeof(why), "recorded sock_diag reply: %s", strerror(r.error));
		rc = fallback_proc(root_of(o), r.has_inodes ? r.pid : pid,
				   r.has_inodes ? &r.inodes : &live, why, out, eb);
		goto out;
	}
	if (!out->sockstat.valid)
		tcp_sock_list_note(out, "sockstat not in the recording");
	snprintf(out->source, sizeof(out->source), "sock_diag (replayed from %s)", o->replay_file);
	out->idle_known = true;
	if (r.dumps_done < 2) {
		tcp_sock_list_note(out, "the recording holds %zu of 2 finished dumps (partial)",
				   r.dumps_done);
		out->partial = true;
	}
out:
	sockdiag_replay_release(&r);
	inode_set_release(&live);
	free(buf);
	return rc;
}

struct inode_scan {
	const char *root;
	int pid;
	struct inode_set *set;
	enum gd_err rc;
	struct gd_errbuf eb;
};

static void *inode_scan_thread(void *v)
{
	struct inode_scan *a = v;
	a->rc = proc_socket_inodes(a->root, a->pid, a->set, &a->eb);
	return NULL;
}

/* Above this many TCP sockets in the namespace, the dump is filtered as it
 * is read instead of being held whole while the fd scan finishes. */
#define PARALLEL_MAX_SOCKETS 200000

static enum gd_err socks_live(const struct sock_opts *o, int pid, bool want_info,
			      struct tcp_sock_list *out, struct gd_errbuf *eb)
{
	const char *root = root_of(o);
	bool live_root = !strcmp(root, "/proc");
	struct inode_set inodes;
	struct inode_scan scan = { .root = root, .pid = pid, .set = &inodes };
	struct sockdiag_parser p;
	struct tcp_sock_list all, *dst = out;
	struct mnl_socket *nl = NULL;
	uint8_t *buf = NULL;
	char why[512], path[4096];
	char *sst = NULL;
	size_t sstlen = 0;
	bool entered = false, scanning = false, joined = false;
	pthread_t scanner;
	int rec_fd = -1, fd;
	enum gd_err rc = GD_OK;

	inode_set_init(&inodes);
	tcp_sock_list_init(&all);
	if (read_sockstat_text(root, pid, &sst, &sstlen, why, sizeof(why))) {
		struct gd_errbuf seb;
		if (sockstat_parse(sst, sstlen, &out->sockstat, &seb))
			tcp_sock_list_note(out, "sockstat: %s", seb.msg);
	} else {
		tcp_sock_list_note(out, "sockstat: %s", why);
	}
	/* The fd scan (one readlink per fd) and the netlink dump take about as
	 * long each on a busy process: on a live root, run them side by side
	 * and filter the dump by the process's inodes afterwards. */
	if (live_root && (!out->sockstat.valid || out->sockstat.tcp_inuse < PARALLEL_MAX_SOCKETS) &&
	    !pthread_create(&scanner, NULL, inode_scan_thread, &scan)) {
		scanning = true;
		dst = &all;
	} else {
		inode_scan_thread(&scan);
		joined = true;
		if ((rc = scan.rc)) {
			gd_fail(eb, rc, "%s", scan.eb.msg);
			goto out;
		}
	}
	if (o->record_file) {
		rec_fd = open(o->record_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (rec_fd < 0) {
			rc = gd_fail(eb, GD_EIO, "cannot create '%s': %s", o->record_file,
				     strerror(errno));
			goto out;
		}
	}
	if (!live_root) {
		/* sock_diag would answer about the live kernel, not the
		 * captured /proc tree. */
		rc = fallback_proc(root, pid, &inodes, "--proc-root is not /proc", out, eb);
		goto out;
	}
	fd = open_diag_socket(root, pid, &entered, why, sizeof(why));
	if (fd < 0)
		goto fallback;
	nl = mnl_socket_fdopen(fd);
	if (!nl) {
		close(fd);
		snprintf(why, sizeof(why), "libmnl cannot use the socket");
		goto fallback;
	}
	buf = xmalloc(DIAG_RECV_BUF);
	sockdiag_parser_init(&p, scanning ? NULL : &inodes, dst);
	for (int i = 0; i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;
		rc = diag_dump(nl, family, want_info, (uint32_t)time(NULL) + (uint32_t)i, &p, buf,
			       rec_fd, eb);
		if (rc) {
			if (!i && !dst->n) {
				snprintf(why, sizeof(why), "%s", eb ? eb->msg : gd_strerror(rc));
				goto fallback;
			}
			tcp_sock_list_note(out, "partial: %s", eb ? eb->msg : gd_strerror(rc));
			out->partial = true;
			rc = GD_OK;
			break;
		}
		if (p.error) {
			if (!i) {
				snprintf(why, sizeof(why), "the kernel refused the dump: %s",
					 strerror(p.error));
				goto fallback;
			}
			tcp_sock_list_note(out, "no IPv6 sockets read: %s", strerror(p.error));
			out->partial = true;
		}
	}
	if (scanning) {
		pthread_join(scanner, NULL);
		joined = true;
		if ((rc = scan.rc)) {
			gd_fail(eb, rc, "%s", scan.eb.msg);
			goto out;
		}
		for (size_t i = 0; i < all.n; i++)
			if (inode_set_has(&inodes, all.v[i].inode))
				tcp_sock_list_add(out, &all.v[i]);
	}
	if (entered)
		snprintf(out->source, sizeof(out->source), "sock_diag (in the netns of pid %d)", pid);
	else
		snprintf(out->source, sizeof(out->source), "sock_diag");
	out->idle_known = want_info;
	/* If the process died meanwhile, its closed sockets are gone from the
	 * dump: say the answer is partial rather than pretend. */
	snprintf(path, sizeof(path), "%s/%d", root, pid);
	if (access(path, F_OK) < 0) {
		tcp_sock_list_note(out, "process %d exited during the scan; the result is partial",
				   pid);
		out->partial = true;
	}
	goto out;

fallback:
	if (!joined) {
		pthread_join(scanner, NULL);
		joined = true;
		if ((rc = scan.rc)) {
			gd_fail(eb, rc, "%s", scan.eb.msg);
			goto out;
		}
	}
	rc = fallback_proc(root, pid, &inodes, why, out, eb);
out:
	if (scanning && !joined)
		pthread_join(scanner, NULL);
	if (rec_fd >= 0) {
		/* The recording carries the inodes and sockstat after the replies;
		 * replay reads all frames before it filters. */
		if (!rc && (!write_inodes_frame(rec_fd, pid, &inodes) ||
			    (sst && !write_frame(rec_fd, SOCKDIAG_FRAME_SOCKSTAT, sst, sstlen))))
			rc = gd_fail(eb, GD_EIO, "cannot write '%s': %s", o->record_file, strerror(errno));
		close(rec_fd);
		if (rc)
			unlink(o->record_file);
	}
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	free(sst);
	tcp_sock_list_release(&all);
	inode_set_release(&inodes);
	return rc;
}

static enum gd_err socks_for_pid(const struct sock_opts *o, int pid, bool want_info,
				 struct tcp_sock_list *out, struct gd_errbuf *eb)
{
	static const struct sock_opts none;
	if (!o)
		o = &none;
	if (o->replay_file && o->record_file)
		return gd_fail(eb, GD_EARG, "cannot record while replaying");
	if (pid <= 0 && !o->replay_file)
		return gd_fail(eb, GD_EARG, "bad pid %d", pid);
	if (o->replay_file)
		return socks_replay(o, pid, out, eb);
	return socks_live(o, pid, want_info, out, eb);
}

enum gd_err tcp_socks_for_pid(const struct sock_opts *o, int pid, struct tcp_sock_list *out,
			      struct gd_errbuf *eb)
{
	return socks_for_pid(o, pid, true, out, eb);
}

void tcp_counts_add(struct tcp_counts *c, const struct tcp_sock *s)
{
	c->total++;
	switch (s->state) {
	case TCPS_ESTABLISHED:
		c->established++;
		break;
	case TCPS_LISTEN:
		c->listening++;
		break;
	case TCPS_CLOSE_WAIT:
		c->close_wait++;
		break;
	default:
		c->other++;
	}
}

void tcp_sock_list_count(const struct tcp_sock_list *l, struct tcp_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < l->n; i++)
		tcp_counts_add(c, &l->v[i]);
}

enum gd_err tcp_counts_for_pid(const struct sock_opts *o, int pid, struct tcp_counts *c,
			       struct gd_errbuf *eb)
{
	struct tcp_sock_list l;
	enum gd_err rc;

	tcp_sock_list_init(&l);
	rc = socks_for_pid(o, pid, false, &l, eb);
	if (!rc)
		tcp_sock_list_count(&l, c);
	tcp_sock_list_release(&l);
	return rc;
}
