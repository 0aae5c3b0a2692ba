/* SPDX-License-Identifier: MIT */
/* Tests of linux/sockdiag: replay of recordings of known loopback sockets
 * (tests/fixtures/netlink, made by record.py through godiag itself), the
 * parser on damaged and synthetic replies (tcp_info of every length), the
 * /proc fallback on a recorded error reply, and live sockets of this very
 * process found through sock_diag, including idle times that grow and a
 * socket in another network namespace. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <cmocka.h>

#include "linux/sockdiag.h"
#include "test_lib.h"

static char fixdir[4096];
static char procroot[4200];
static int fix_pid;

static uint8_t *netlink_fixture(const char *name, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "tests/fixtures/netlink/%s", name);
	return (uint8_t *)slurp(rel, len);
}

static const struct tcp_sock *find_inode(const struct tcp_sock_list *l, uint64_t inode)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].inode == inode)
			return &l->v[i];
	return NULL;
}

static const struct tcp_sock *find_ports(const struct tcp_sock_list *l, uint16_t lport,
					 uint16_t pport)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].local_port == lport && l->v[i].peer_port == pport)
			return &l->v[i];
	return NULL;
}

static int setup(void **state)
{
	const char *src = getenv("SRCDIR");
	(void)state;
	snprintf(fixdir, sizeof(fixdir), "%s/tests/fixtures", src ? src : ".");
	snprintf(procroot, sizeof(procroot), "%s/proc_net/root", fixdir);
	fix_pid = (int)loopback_expect("pid");
	return 0;
}

/* What record.py made: see the comments there for each number. */
static void check_loopback_sockets(const struct tcp_sock_list *l, bool idle)
{
	const struct tcp_sock *s;
	char a[64];

	assert_int_equal(l->n, 10);
	s = find_inode(l, loopback_expect("listen4_inode"));
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_LISTEN);
	assert_int_equal(s->local_port, 47001);
	tcp_addr_format(s->family, s->local_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	s = find_inode(l, loopback_expect("listen6_inode"));
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->local_port, 47002);

	s = find_inode(l, loopback_expect("srv4_47011_inode"));
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_ESTABLISHED);
	assert_int_equal(s->local_port, 47001);
	assert_int_equal(s->peer_port, 47011);
	assert_int_equal(s->rqueue, 3);
	s = find_inode(l, loopback_expect("cli4_47013_inode"));
	assert_non_null(s);
	assert_int_equal(s->rqueue, 11);
	assert_int_equal(s->local_port, 47013);
	assert_int_equal(s->peer_port, 47001);
	s = find_inode(l, loopback_expect("srv6_47021_inode"));
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->rqueue, 2);
	tcp_addr_format(s->family, s->peer_addr, a, sizeof(a));
	assert_string_equal(a, "::1");
	if (!idle)
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].state != TCPS_ESTABLISHED)
			continue;
		assert_true(l->v[i].has_idle);
		assert_true(l->v[i].has_bytes);
		/* record.py slept 1.5 s after the last byte moved */
		assert_in_range(l->v[i].last_data_recv_ms, 1000, 10000);
		assert_in_range(l->v[i].last_data_sent_ms, 1000, 10000);
	}
	s = find_inode(l, loopback_expect("srv4_47012_inode"));
	assert_int_equal(s->bytes_received, 7);
	s = find_inode(l, loopback_expect("srv4_47013_inode"));
	assert_int_equal(s->bytes_acked, 11);
	s = find_inode(l, loopback_expect("cli4_47011_inode"));
	assert_int_equal(s->bytes_acked, 4); /* "abc" + the SYN, as the kernel counts */
	s = find_inode(l, loopback_expect("cli4_47013_inode"));
	assert_int_equal(s->bytes_received, 11);
}

static void test_replay_loopback(void **state)
{
	struct sockdiag_replay r;
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	size_t len;
	uint8_t *buf = netlink_fixture("loopback.bin", &len);
	(void)state;

	tcp_sock_list_init(&l);
	assert_int_equal(sockdiag_replay_parse(buf, len, NULL, &r, &l, &eb), GD_OK);
	assert_true(r.has_inodes);
	assert_int_equal(r.pid, fix_pid);
	assert_int_equal(r.inodes.n, 10);
	assert_int_equal(r.dumps_done, 2);
	assert_int_equal(r.error, 0);
	assert_true(l.sockstat.valid);
	check_loopback_sockets(&l, true);
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);
	free(buf);
}

static void test_replay_error_reply(void **state)
{
	struct sockdiag_replay r;
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	size_t len;
	uint8_t *buf = netlink_fixture("error-enoent.bin", &len);
	(void)state;
	tcp_sock_list_init(&l);
	assert_int_equal(sockdiag_replay_parse(buf, len, NULL, &r, &l, &eb), GD_OK);
	assert_int_equal(r.error, ENOENT);
	assert_int_equal(l.n, 0);
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);
	free(buf);
}

/* Offset of the first NETLINK frame's payload in a recording. */
static size_t first_netlink_payload(const uint8_t *b, size_t len)
{
	size_t o = 0;
	while (o + 12 <= len) {
		uint32_t flen;
		memcpy(&flen, b + o + 8, 4);
		if (b[o + 4] == SOCKDIAG_FRAME_NETLINK)
			return o + 12;
		o += 12 + flen;
	}
	fail_msg("no netlink frame");
	return 0;
}

/* Offset of the SOCK_DIAG_BY_FAMILY message about `inode` in a recording. */
static size_t find_diag_msg(const uint8_t *b, size_t len, uint32_t inode)
{
	size_t o = 0;
	while (o + 12 <= len) {
		uint32_t flen;
		memcpy(&flen, b + o + 8, 4);
		if (b[o + 4] == SOCKDIAG_FRAME_NETLINK) {
			size_t m = o + 12, end = o + 12 + flen;
			while (m + NLMSG_HDRLEN + sizeof(struct inet_diag_msg) <= end) {
				struct nlmsghdr h;
				struct inet_diag_msg d;
				memcpy(&h, b + m, sizeof(h));
				memcpy(&d, b + m + NLMSG_HDRLEN, sizeof(d));
				if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && d.idiag_inode == inode)
					return m;
				m += NLMSG_ALIGN(h.nlmsg_len);
			}
		}
		o += 12 + flen;
	}
	fail_msg("inode %u not in the recording", inode);
	return 0;
}

static void test_replay_damaged(void **state)
{
	struct sockdiag_replay r;
	struct tcp_sock_list l;
	struct gd_errbuf eb;
	size_t len, nl;
	uint8_t *orig = netlink_fixture("loopback.bin", &len);
	uint8_t *b = malloc(len);
	uint32_t v;
	(void)state;

	/* bad magic */
	memcpy(b, orig, len);
	b[0] = 'X';
	tcp_sock_list_init(&l);
	assert_int_equal(sockdiag_replay_parse(b, len, NULL, &r, &l, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "magic"));
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);

	/* cut in the middle: the last frame runs past the end */
	tcp_sock_list_init(&l);
	assert_int_equal(sockdiag_replay_parse(orig, len - 5, NULL, &r, &l, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "past the end"));
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);

	/* a netlink message longer than its frame */
	memcpy(b, orig, len);
	nl = first_netlink_payload(b, len);
	v = 0x7fffffff;
	memcpy(b + nl, &v, 4);
	tcp_sock_list_init(&l);
	assert_int_equal(sockdiag_replay_parse(b, len, NULL, &r, &l, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "length"));
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);

	/* an attribute longer than its message, in a socket we keep (others
	 * are dropped before their attributes are read) */
	memcpy(b, orig, len);
	{
		uint16_t big = 0xfff0;
		size_t m = find_diag_msg(b, len, (uint32_t)loopback_expect("listen4_inode"));
		memcpy(b + m + NLMSG_HDRLEN + sizeof(struct inet_diag_msg), &big, 2);
	}
	tcp_sock_list_init(&l);
	assert_int_equal(sockdiag_replay_parse(b, len, NULL, &r, &l, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "attribute"));
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);

	free(b);
	free(orig);
}

/* Build one SOCK_DIAG_BY_FAMILY message with an INET_DIAG_INFO of
 * `info_len` bytes (filled with a pattern) into buf; returns its length. */
static size_t make_diag_msg(uint8_t *buf, size_t info_len, uint32_t inode)
{
	struct nlmsghdr h = { 0 };
	struct inet_diag_msg m;
	struct nlattr a;
	struct tcp_info ti;
	size_t off = 0;

	memset(&m, 0, sizeof(m));
	m.idiag_family = AF_INET;
	m.idiag_state = TCPS_ESTABLISHED;
	m.id.idiag_sport = htons(1234);
	m.id.idiag_dport = htons(80);
	m.idiag_inode = inode;
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_last_data_recv = 4242;
	ti.tcpi_last_data_sent = 77;
	ti.tcpi_bytes_acked = 1000;
	ti.tcpi_bytes_received = 2000;

	h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + sizeof(m) + NLA_HDRLEN + info_len);
	memcpy(buf, &h, sizeof(h));
	off = NLMSG_HDRLEN;
	memcpy(buf + off, &m, sizeof(m));
	off += sizeof(m);
	a.nla_len = (uint16_t)(NLA_HDRLEN + info_len);
	a.nla_type = INET_DIAG_INFO;
	memcpy(buf + off, &a, sizeof(a));
	off += NLA_HDRLEN;
	/* A newer kernel's tcp_info: ours, then unknown trailing bytes. */
	memset(buf + off, 0xAB, info_len);
	memcpy(buf + off, &ti, info_len < sizeof(ti) ? info_len : sizeof(ti));
	return off + info_len;
}

static void test_tcp_info_any_length(void **state)
{
	const size_t idle_end = offsetof(struct tcp_info, tcpi_last_data_recv) + 4;
	const size_t bytes_end = offsetof(struct tcp_info, tcpi_bytes_received) + 8;
	const size_t lens[] = { 0, 8, idle_end - 1, idle_end, bytes_end - 1, bytes_end,
				sizeof(struct tcp_info), sizeof(struct tcp_info) + 100 };
	uint8_t *buf = malloc(4096);
	(void)state;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct sockdiag_parser p;
		struct tcp_sock_list l;
		struct gd_errbuf eb = { "" };
		size_t n = make_diag_msg(buf + 1, lens[i], 99);
		tcp_sock_list_init(&l);
		sockdiag_parser_init(&p, NULL, &l);
		/* buf + 1: the parser must not need aligned input */
		assert_int_equal(sockdiag_parse(&p, buf + 1, n, &eb), GD_OK);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].local_port, 1234);
		assert_int_equal(l.v[0].peer_port, 80);
		assert_int_equal(l.v[0].has_idle, lens[i] >= idle_end);
		assert_int_equal(l.v[0].has_bytes, lens[i] >= bytes_end);
		if (l.v[0].has_idle) {
			assert_int_equal(l.v[0].last_data_recv_ms, 4242);
			assert_int_equal(l.v[0].last_data_sent_ms, 77);
		} else {
			assert_int_equal(l.v[0].last_data_recv_ms, 0);
		}
		if (l.v[0].has_bytes) {
			assert_int_equal(l.v[0].bytes_acked, 1000);
			assert_int_equal(l.v[0].bytes_received, 2000);
		}
		tcp_sock_list_release(&l);
	}

	/* The filter drops other inodes before any attribute is read. */
	{
		struct sockdiag_parser p;
		struct tcp_sock_list l;
		struct inode_set only;
		size_t n = make_diag_msg(buf, 16, 5);
		inode_set_init(&only);
		inode_set_add(&only, 6);
		tcp_sock_list_init(&l);
		sockdiag_parser_init(&p, &only, &l);
		assert_int_equal(sockdiag_parse(&p, buf, n, NULL), GD_OK);
		assert_int_equal(p.msgs, 1);
		assert_int_equal(l.n, 0);
		inode_set_release(&only);
		tcp_sock_list_release(&l);
	}
	/* A message too short for inet_diag_msg. */
	{
		struct sockdiag_parser p;
		struct tcp_sock_list l;
		struct gd_errbuf eb = { "" };
		struct nlmsghdr h = { .nlmsg_len = NLMSG_HDRLEN + 8, .nlmsg_type = SOCK_DIAG_BY_FAMILY };
		memset(buf, 0, 64);
		memcpy(buf, &h, sizeof(h));
		tcp_sock_list_init(&l);
		sockdiag_parser_init(&p, NULL, &l);
		assert_int_equal(sockdiag_parse(&p, buf, h.nlmsg_len, &eb), GD_EFORMAT);
		assert_non_null(strstr(eb.msg, "inet_diag"));
		tcp_sock_list_release(&l);
	}
	free(buf);
}

static void test_for_pid_replay_without_process(void **state)
{
	struct sock_opts o = { 0 };
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	char path[4400];
	(void)state;
	snprintf(path, sizeof(path), "%s/netlink/loopback.bin", fixdir);
	o.replay_file = path;
	tcp_sock_list_init(&l);
	/* The recorded process is long gone: the recording carries its inodes. */
	assert_int_equal(tcp_socks_for_pid(&o, fix_pid, &l, &eb), GD_OK);
	assert_true(l.idle_known);
	assert_false(l.partial);
	assert_non_null(strstr(l.source, "sock_diag"));
	assert_non_null(strstr(l.source, "replayed"));
	assert_string_equal(l.notes, "");
	check_loopback_sockets(&l, true);
	tcp_sock_list_release(&l);
}

static void test_for_pid_error_reply_falls_back(void **state)
{
	struct sock_opts o = { 0 };
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	char path[4400];
	(void)state;
	snprintf(path, sizeof(path), "%s/netlink/error-enoent.bin", fixdir);
	o.replay_file = path;
	o.proc_root = procroot;
	tcp_sock_list_init(&l);
	assert_int_equal(tcp_socks_for_pid(&o, fix_pid, &l, &eb), GD_OK);
	assert_false(l.idle_known);
	assert_non_null(strstr(l.source, "/net/tcp"));
	assert_non_null(strstr(l.source, "no idle times"));
	assert_non_null(strstr(l.notes, "sock_diag not used"));
	assert_true(l.sockstat.valid); /* read from the captured tree */
	check_loopback_sockets(&l, false);
	tcp_sock_list_release(&l);
}

static void test_for_pid_partial_recording(void **state)
{
	struct sock_opts o = { 0 };
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	char tmp[] = "/tmp/godiag-sockdiag-XXXXXX";
	size_t len, cut;
	uint8_t *b = netlink_fixture("loopback.bin", &len);
	uint32_t flen;
	int fd = mkstemp(tmp);
	(void)state;
	assert_true(fd >= 0);
	/* keep everything up to and including the first netlink frame */
	cut = first_netlink_payload(b, len);
	memcpy(&flen, b + cut - 4, 4);
	cut += flen;
	assert_int_equal(write(fd, b, cut), (ssize_t)cut);
	close(fd);
	o.replay_file = tmp;
	tcp_sock_list_init(&l);
	assert_int_equal(tcp_socks_for_pid(&o, fix_pid, &l, &eb), GD_OK);
	assert_true(l.partial);
	assert_non_null(strstr(l.notes, "partial"));
	assert_true(l.n < 10);
	tcp_sock_list_release(&l);
	unlink(tmp);
	free(b);
}

/* ---- live ---- */

#define NCONN 5

struct live {
	int lfd;
	uint16_t port;
	int cli[NCONN], srv[NCONN];
	uint16_t cport[NCONN];
};

static void live_open(struct live *lv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lv->lfd >= 0);
	assert_int_equal(bind(lv->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lv->lfd, 64), 0);
	assert_int_equal(getsockname(lv->lfd, (struct sockaddr *)&sa, &sl), 0);
	lv->port = ntohs(sa.sin_port);
	for (int i = 0; i < NCONN; i++) {
		struct sockaddr_in ca;
		socklen_t cl = sizeof(ca);
		lv->cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(lv->cli[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(lv->cli[i], (struct sockaddr *)&ca, &cl), 0);
		lv->cport[i] = ntohs(ca.sin_port);
		lv->srv[i] = accept(lv->lfd, NULL, NULL);
		assert_true(lv->srv[i] >= 0);
	}
	/* one byte from the first two clients, left unread */
	assert_int_equal(write(lv->cli[0], "x", 1), 1);
	assert_int_equal(write(lv->cli[1], "y", 1), 1);
}

static void live_close(struct live *lv)
{
	for (int i = 0; i < NCONN; i++) {
		close(lv->cli[i]);
		close(lv->srv[i]);
	}
	close(lv->lfd);
}

static void test_live_own_sockets(void **state)
{
	struct live lv;
	struct sock_opts o = { 0 };
	struct tcp_sock_list l1, l2, l3;
	struct gd_errbuf eb = { "" };
	char tmp[] = "/tmp/godiag-sockdiag-rec-XXXXXX";
	const struct tcp_sock *s;
	struct tcp_counts c;
	int fd = mkstemp(tmp);
	(void)state;
	assert_true(fd >= 0);
	close(fd);

	live_open(&lv);
	usleep(200 * 1000);
	o.record_file = tmp;
	tcp_sock_list_init(&l1);
	assert_int_equal(tcp_socks_for_pid(&o, getpid(), &l1, &eb), GD_OK);
	assert_string_equal(l1.source, "sock_diag");
	assert_true(l1.idle_known);
	assert_true(l1.sockstat.valid);
	s = find_ports(&l1, lv.port, 0);
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_LISTEN);
	assert_int_equal(s->wqueue, 64); /* backlog limit */
	for (int i = 0; i < NCONN; i++) {
		s = find_ports(&l1, lv.port, lv.cport[i]);
		assert_non_null(s);
		assert_int_equal(s->state, TCPS_ESTABLISHED);
		assert_int_equal(s->rqueue, i < 2 ? 1 : 0);
		assert_true(s->has_idle);
		s = find_ports(&l1, lv.cport[i], lv.port);
		assert_non_null(s);
		assert_int_equal(s->state, TCPS_ESTABLISHED);
		assert_int_equal(s->uid, getuid());
	}
	tcp_sock_list_count(&l1, &c);
	assert_true(c.established >= 2 * NCONN);
	assert_true(c.listening >= 1);

	/* idle time grows while nothing moves */
	usleep(1100 * 1000);
	o.record_file = NULL;
	tcp_sock_list_init(&l2);
	assert_int_equal(tcp_socks_for_pid(&o, getpid(), &l2, &eb), GD_OK);
	for (int i = 0; i < NCONN; i++) {
		const struct tcp_sock *a = find_ports(&l1, lv.port, lv.cport[i]);
		const struct tcp_sock *b = find_ports(&l2, lv.port, lv.cport[i]);
		assert_non_null(b);
		assert_true(b->last_data_recv_ms >= a->last_data_recv_ms + 1000);
		assert_true(b->last_data_recv_ms >= 1100);
	}

	/* the recording replays to the same sockets */
	o.replay_file = tmp;
	tcp_sock_list_init(&l3);
	assert_int_equal(tcp_socks_for_pid(&o, getpid(), &l3, &eb), GD_OK);
	assert_int_equal(l3.n, l1.n);
	for (size_t i = 0; i < l1.n; i++) {
		s = find_inode(&l3, l1.v[i].inode);
		assert_non_null(s);
		assert_int_equal(s->state, l1.v[i].state);
		assert_int_equal(s->local_port, l1.v[i].local_port);
		assert_int_equal(s->last_data_recv_ms, l1.v[i].last_data_recv_ms);
	}

	/* the counting helper for `ps` */
	o.replay_file = NULL;
	assert_int_equal(tcp_counts_for_pid(&o, getpid(), &c, &eb), GD_OK);
	assert_true(c.established >= 2 * NCONN);
	assert_true(c.listening >= 1);

	tcp_sock_list_release(&l1);
	tcp_sock_list_release(&l2);
	tcp_sock_list_release(&l3);
	live_close(&lv);
	unlink(tmp);
}

/* A child in its own network namespace listens; only a dump made inside
 * that netns can see it.  Needs CAP_SYS_ADMIN; without it the fallback
 * must say why. */
static void test_live_other_netns(void **state)
{
	int pfd[2], go[2];
	uint16_t port = 0;
	pid_t child;
	struct sock_opts o = { 0 };
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	(void)state;

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		char c;
		int lfd;
		if (unshare(CLONE_NEWNET) < 0)
			_exit(3); /* reported as port 0 */
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4) ||
		    getsockname(lfd, (struct sockaddr *)&sa, &sl))
			_exit(4);
		port = ntohs(sa.sin_port);
		if (write(pfd[1], &port, sizeof(port)) != sizeof(port))
			_exit(5);
		if (read(go[0], &c, 1) < 0)
			_exit(6);
		_exit(0);
	}
	close(pfd[1]);
	close(go[0]);
	if (read(pfd[0], &port, sizeof(port)) != sizeof(port))
		port = 0;
	close(pfd[0]);

	tcp_sock_list_init(&l);
	if (port) {
		assert_int_equal(tcp_socks_for_pid(&o, child, &l, &eb), GD_OK);
		assert_non_null(strstr(l.source, "in the netns of pid"));
		assert_true(l.idle_known);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].state, TCPS_LISTEN);
		assert_int_equal(l.v[0].local_port, port);
	} else {
		/* unshare refused (no privilege): the netns path cannot run
		 * here; say so (cmocka reports it SKIPPED, never passed). */
		assert_true(geteuid() != 0);
		assert_int_equal(write(go[1], "x", 1), 1);
		close(go[1]);
		waitpid(child, NULL, 0);
		tcp_sock_list_release(&l);
		fprintf(stderr, "SKIP: not root: unshare(CLONE_NEWNET) refused\n");
		skip();
	}
	tcp_sock_list_release(&l);
	assert_int_equal(write(go[1], "x", 1), 1);
	close(go[1]);
	waitpid(child, NULL, 0);

	/* The process is gone now: a clean error, no crash. */
	tcp_sock_list_init(&l);
	assert_int_equal(tcp_socks_for_pid(&o, child, &l, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "no such process"));
	tcp_sock_list_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_loopback),
		cmocka_unit_test(test_replay_error_reply),
		cmocka_unit_test(test_replay_damaged),
		cmocka_unit_test(test_tcp_info_any_length),
		cmocka_unit_test(test_for_pid_replay_without_process),
		cmocka_unit_test(test_for_pid_error_reply_falls_back),
		cmocka_unit_test(test_for_pid_partial_recording),
		cmocka_unit_test(test_live_own_sockets),
		cmocka_unit_test(test_live_other_netns),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
