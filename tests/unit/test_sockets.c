/* SPDX-License-Identifier: MIT */
/* Tests of linux/sockets: the /proc/net/tcp{,6} parser (hand-written lines
 * and a real capture of known loopback sockets), fd -> inode collection on a
 * captured /proc tree and on ourselves, sockstat, and the inode set. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "linux/sockets.h"
#include "test_lib.h"

static char fixdir[4096];
static char procroot[4200];
static int fix_pid;

static const struct tcp_sock *find_inode(const struct tcp_sock_list *l, uint64_t inode)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].inode == inode)
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

static void test_parse_line_v4(void **state)
{
	static const char line[] =
		"   3: 0100007F:B798 0200007F:1F90 01 0000000A:00000003 02:000003E8 00000000  1000        0 123456 2 0000000000000000 20 4 30 10 -1";
	struct tcp_sock s;
	struct gd_errbuf eb;
	char a[64];
	(void)state;
	assert_int_equal(proc_net_tcp_parse_line(line, strlen(line), AF_INET, &s, &eb), GD_OK);
	assert_int_equal(s.family, AF_INET);
	tcp_addr_format(AF_INET, s.local_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	tcp_addr_format(AF_INET, s.peer_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.2");
	assert_int_equal(s.local_port, 0xB798);
	assert_int_equal(s.peer_port, 8080);
	assert_int_equal(s.state, TCPS_ESTABLISHED);
	assert_int_equal(s.wqueue, 10);
	assert_int_equal(s.rqueue, 3);
	assert_int_equal(s.uid, 1000);
	assert_int_equal(s.inode, 123456);
	assert_false(s.has_idle);
}

static void test_parse_line_v6(void **state)
{
	/* ::ffff:127.0.0.1 and ::1 as the kernel prints them on x86 */
	static const char line[] =
		"   0: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000001000000:D431 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0";
	struct tcp_sock s;
	struct gd_errbuf eb;
	char a[64];
	(void)state;
	assert_int_equal(proc_net_tcp_parse_line(line, strlen(line), AF_INET6, &s, &eb), GD_OK);
	assert_int_equal(s.family, AF_INET6);
	tcp_addr_format(AF_INET6, s.local_addr, a, sizeof(a));
	assert_string_equal(a, "::ffff:127.0.0.1");
	tcp_addr_format(AF_INET6, s.peer_addr, a, sizeof(a));
	assert_string_equal(a, "::1");
	assert_int_equal(s.local_port, 8080);
	assert_int_equal(s.peer_port, 0xD431);
	assert_int_equal(s.state, TCPS_LISTEN);
	assert_string_equal(tcp_state_name(s.state), "LISTEN");
	assert_int_equal(s.inode, 777);
}

static void test_parse_line_rejects(void **state)
{
	static const struct {
		const char *line;
		const char *field;
	} bad[] = {
		{ "   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1", "local address" },
		{ "   0: 0100007F:1F90 00000000:0000 00 00000000:00000000 00:00000000 00000000 0 0 1", "state" },
		{ "   0: 0100007F:1F90 00000000:0000 FF 00000000:00000000 00:00000000 00000000 0 0 1", "state" },
		{ "   0: 0100007F:1F90 00000000:0000 0A 00000000 00:00000000 00000000 0 0 1", "queues" },
		{ "   0: 0100007F:1F90 00000000:0000 0A 1FFFFFFFF:00000000 00:00000000 00000000 0 0 1", "queues" },
		{ "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0", "inode" },
		{ "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 99999999999 0 1", "uid" },
		{ "   0 0100007F:1F90", "slot" },
		{ "   0: 0100007F:1F9", "local address" },
	};
	struct tcp_sock s;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gd_errbuf eb = { "" };
		assert_int_equal(proc_net_tcp_parse_line(bad[i].line, strlen(bad[i].line), AF_INET,
							 &s, &eb),
				 GD_EFORMAT);
		if (!strstr(eb.msg, bad[i].field))
			fail_msg("line %zu: message '%s' does not name '%s'", i, eb.msg, bad[i].field);
	}
	/* The header is not an error. */
	{
		static const char hdr[] = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
		assert_int_equal(proc_net_tcp_parse_line(hdr, strlen(hdr), AF_INET, &s, NULL),
				 GD_ENOENT);
	}
}

static void test_parse_whole_file_reports_line(void **state)
{
	static const char text[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11 1 0000000000000000 100 0 0 10 0\n"
		"   1: 0100007F:1F90 0100007F:C000 01 00000000:00000000 00:00000000 00000000     0        0 12 1 0000000000000000 100 0 0 10 0\n"
		"   2: garbage\n";
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	struct inode_set only12;
	(void)state;
	tcp_sock_list_init(&l);
	assert_int_equal(proc_net_tcp_parse(text, sizeof(text) - 1, AF_INET, "tcp", NULL, &l, &eb),
			 GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "tcp:4:"));
	assert_int_equal(l.n, 2); /* what came before the bad line is kept */
	tcp_sock_list_release(&l);

	inode_set_init(&only12);
	inode_set_add(&only12, 12);
	tcp_sock_list_init(&l);
	assert_int_equal(proc_net_tcp_parse(text, (size_t)(strstr(text, "   2:") - text), AF_INET,
					    "tcp", &only12, &l, &eb),
			 GD_OK);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].inode, 12);
	assert_int_equal(l.v[0].peer_port, 0xC000);
	tcp_sock_list_release(&l);
	inode_set_release(&only12);
}

static void test_line_cap(void **state)
{
	char *text = malloc(4096);
	struct tcp_sock_list l;
	struct gd_errbuf eb;
	(void)state;
	memset(text, ' ', 4095);
	text[4095] = '\n';
	tcp_sock_list_init(&l);
	assert_int_equal(proc_net_tcp_parse(text, 4096, AF_INET, "tcp", NULL, &l, &eb),
			 GD_ETOOLONG);
	tcp_sock_list_release(&l);
	free(text);
}

/* The captured tree holds the fd links and net/tcp{,6} of the process that
 * created known sockets (tests/fixtures/netlink/record.py). */
static void test_captured_proc_tree(void **state)
{
	struct inode_set inodes;
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	const struct tcp_sock *s;
	(void)state;

	inode_set_init(&inodes);
	assert_int_equal(proc_socket_inodes(procroot, fix_pid, &inodes, &eb), GD_OK);
	assert_int_equal(inodes.n, 10); /* 2 listeners, 4 clients, 4 accepted; not /dev/null */
	assert_true(inode_set_has(&inodes, loopback_expect("listen4_inode")));
	assert_true(inode_set_has(&inodes, loopback_expect("cli6_47021_inode")));

	tcp_sock_list_init(&l);
	assert_int_equal(proc_net_tcp_read(procroot, fix_pid, &inodes, &l, &eb), GD_OK);
	assert_int_equal(l.n, 10);
	assert_false(l.idle_known);

	s = find_inode(&l, loopback_expect("listen4_inode"));
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_LISTEN);
	assert_int_equal(s->local_port, 47001);
	s = find_inode(&l, loopback_expect("srv4_47011_inode"));
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_ESTABLISHED);
	assert_int_equal(s->local_port, 47001);
	assert_int_equal(s->peer_port, 47011);
	assert_int_equal(s->rqueue, 3); /* "abc", never read */
	s = find_inode(&l, loopback_expect("srv4_47012_inode"));
	assert_non_null(s);
	assert_int_equal(s->rqueue, 0); /* read */
	s = find_inode(&l, loopback_expect("cli4_47013_inode"));
	assert_non_null(s);
	assert_int_equal(s->rqueue, 11); /* "hello world", never read */
	assert_int_equal(s->local_port, 47013);
	s = find_inode(&l, loopback_expect("srv6_47021_inode"));
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->rqueue, 2);
	{
		char a[64];
		tcp_addr_format(AF_INET6, s->peer_addr, a, sizeof(a));
		assert_string_equal(a, "::1");
	}
	tcp_sock_list_release(&l);
	inode_set_release(&inodes);
}

static void test_missing_process(void **state)
{
	struct inode_set inodes;
	struct gd_errbuf eb = { "" };
	(void)state;
	inode_set_init(&inodes);
	assert_int_equal(proc_socket_inodes(procroot, 999999999, &inodes, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, "999999999"));
	assert_int_equal(proc_socket_inodes(NULL, 0, &inodes, &eb), GD_EARG);
	inode_set_release(&inodes);
}

static void test_own_fds(void **state)
{
	struct inode_set inodes;
	struct gd_errbuf eb = { "" };
	struct stat st;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	inode_set_init(&inodes);
	assert_int_equal(proc_socket_inodes(NULL, getpid(), &inodes, &eb), GD_OK);
	assert_true(inode_set_has(&inodes, st.st_ino));
	inode_set_release(&inodes);
	close(fd);
}

static void test_sockstat(void **state)
{
	static const char text[] = "sockets: used 143\n"
				   "TCP: inuse 7 orphan 1 tw 382 alloc 17 mem 210\n"
				   "UDP: inuse 0 mem 0\n";
	static const char text6[] = "TCP6: inuse 3\nUDP6: inuse 1\n";
	struct sockstat st;
	struct gd_errbuf eb;
	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(sockstat_parse(text, sizeof(text) - 1, &st, &eb), GD_OK);
	assert_int_equal(sockstat_parse(text6, sizeof(text6) - 1, &st, &eb), GD_OK);
	assert_true(st.valid && st.valid6);
	assert_int_equal(st.sockets_used, 143);
	assert_int_equal(st.tcp_inuse, 7);
	assert_int_equal(st.tcp_orphan, 1);
	assert_int_equal(st.tcp_tw, 382);
	assert_int_equal(st.tcp_alloc, 17);
	assert_int_equal(st.tcp_mem_pages, 210);
	assert_int_equal(st.tcp6_inuse, 3);
	memset(&st, 0, sizeof(st));
	assert_int_equal(sockstat_parse("TCP: inuse x\n", 13, &st, &eb), GD_EFORMAT);
	assert_false(st.valid);

	/* the captured file and the live one */
	assert_int_equal(sockstat_read(procroot, fix_pid, &st, &eb), GD_OK);
	assert_true(st.valid);
	assert_int_equal(st.tcp6_inuse, 3);
	assert_int_equal(sockstat_read(NULL, getpid(), &st, &eb), GD_OK);
	assert_true(st.valid);
}

static void test_inode_set(void **state)
{
	struct inode_set s;
	(void)state;
	inode_set_init(&s);
	assert_false(inode_set_has(&s, 5));
	for (uint64_t i = 1; i <= 100000; i++)
		inode_set_add(&s, i * 3);
	inode_set_add(&s, 3); /* duplicate */
	inode_set_add(&s, 0); /* never a socket */
	assert_int_equal(s.n, 100000);
	for (uint64_t i = 1; i <= 100000; i++) {
		assert_true(inode_set_has(&s, i * 3));
		assert_false(inode_set_has(&s, i * 3 + 1));
	}
	assert_false(inode_set_has(&s, 0));
	inode_set_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line_v4),
		cmocka_unit_test(test_parse_line_v6),
		cmocka_unit_test(test_parse_line_rejects),
		cmocka_unit_test(test_parse_whole_file_reports_line),
		cmocka_unit_test(test_line_cap),
		cmocka_unit_test(test_captured_proc_tree),
		cmocka_unit_test(test_missing_process),
		cmocka_unit_test(test_own_fds),
		cmocka_unit_test(test_sockstat),
		cmocka_unit_test(test_inode_set),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
