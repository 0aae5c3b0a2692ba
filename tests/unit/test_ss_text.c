/* SPDX-License-Identifier: MIT */
/* Tests for linux/ss_text: the output of the real `ss` (iproute2 6.1) on
 * loopback sockets made by tests/fixtures/ss/gen.sh (listeners on 127.0.0.1,
 * ::1 and the dual-stack any address, idle established pairs with unread
 * bytes, CLOSE-WAIT, TIME-WAIT, FIN-WAIT-2), in the -tinp, -tinpa, -tin,
 * -tinpe and -tanp variants, plus hand-made old/odd spellings and junk. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "test_lib.h"

#include "linux/ss_text.h"
#include "util/banned.h"


static void parse_file(struct ss_text *st, const char *rel, int pid)
{
	size_t len;
	char *buf = slurp(rel, &len);
	struct gd_errbuf eb = { "" };
	ss_text_init(st);
	if (ss_text_parse(st, buf, len, rel, pid, &eb) != GD_OK)
		fail_msg("%s: %s", rel, eb.msg);
	free(buf);
}

static const struct tcp_sock *find(const struct ss_text *st, uint16_t lport, uint16_t pport,
				   size_t *idx)
{
	for (size_t i = 0; i < st->socks.n; i++)
		if (st->socks.v[i].local_port == lport && st->socks.v[i].peer_port == pport) {
			if (idx)
				*idx = i;
			return &st->socks.v[i];
		}
	return NULL;
}

static void test_tinp(void **state)
{
	struct ss_text st;
	const struct tcp_sock *s;
	size_t i = 0;
	char a[64];
	(void)state;
	parse_file(&st, "tests/fixtures/ss/ss-tinp.txt", 0);
	assert_int_equal(st.socks.n, 6);
	assert_int_equal(st.noise_lines, 0);
	assert_true(st.has_process);
	assert_true(st.has_info);
	assert_true(st.socks.idle_known);
	/* The server side of the IPv4 pair: 160 unread bytes, idle ~3 s. */
	s = find(&st, 46213, 59018, &i);
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET);
	assert_int_equal(s->state, TCPS_ESTABLISHED);
	assert_int_equal(s->rqueue, 160);
	assert_true(s->has_idle);
	assert_int_equal(s->last_data_recv_ms, 3120);
	assert_int_equal(s->last_data_sent_ms, 3120);
	assert_true(s->has_bytes);
	assert_int_equal(s->bytes_received, 160);
	tcp_addr_format(s->family, s->local_addr, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(st.owners[i].pid, 13213);
	assert_int_equal(st.owners[i].fd, 7);
	assert_string_equal(st.owners[i].comm, "python3");
	/* Client side: bytes_acked. */
	s = find(&st, 59018, 46213, NULL);
	assert_non_null(s);
	assert_int_equal(s->bytes_acked, 161);
	/* IPv6 in brackets. */
	s = find(&st, 46214, 57640, &i);
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	tcp_addr_format(s->family, s->peer_addr, a, sizeof(a));
	assert_string_equal(a, "::1");
	assert_int_equal(st.owners[i].fd, 9);
	/* CLOSE-WAIT on the dual-stack listener: a v4-mapped address. */
	s = find(&st, 46215, 57752, NULL);
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_CLOSE_WAIT);
	assert_int_equal(s->rqueue, 1);
	tcp_addr_format(s->family, s->local_addr, a, sizeof(a));
	assert_string_equal(a, "::ffff:127.0.0.1");
	/* FIN-WAIT-2 has no process and an empty info line: no idle time. */
	s = find(&st, 57752, 46215, &i);
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_FIN_WAIT2);
	assert_false(s->has_idle);
	assert_int_equal(st.owners[i].pid, -1);
	assert_int_equal(ss_text_main_pid(&st), 13213);
	assert_true(strstr(st.socks.source, "ss-tinp.txt") != NULL);
	ss_text_release(&st);
}

static void test_pid_filter_and_listeners(void **state)
{
	struct ss_text st;
	const struct tcp_sock *s;
	size_t listen = 0;
	(void)state;
	parse_file(&st, "tests/fixtures/ss/ss-tinpa.txt", 13213);
	/* 10 rows; FIN-WAIT-2 and TIME-WAIT have no process. */
	assert_int_equal(st.rows, 10);
	assert_int_equal(st.filtered, 2);
	assert_int_equal(st.socks.n, 8);
	for (size_t i = 0; i < st.socks.n; i++)
		listen += st.socks.v[i].state == TCPS_LISTEN;
	assert_int_equal(listen, 3);
	/* "*:46215  *:*": the dual-stack any address. */
	s = find(&st, 46215, 0, NULL);
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_LISTEN);
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->wqueue, 16);
	/* "[::1]:46214  [::]:*" */
	s = find(&st, 46214, 0, NULL);
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	ss_text_release(&st);
	parse_file(&st, "tests/fixtures/ss/ss-tinpa.txt", 4242);
	assert_int_equal(st.socks.n, 0);
	assert_int_equal(ss_text_main_pid(&st), -1);
	ss_text_release(&st);
}

static void test_variants(void **state)
{
	struct ss_text st;
	const struct tcp_sock *s;
	size_t i = 0;
	(void)state;
	/* Without -p: no owners, idle times still there. */
	parse_file(&st, "tests/fixtures/ss/ss-tin.txt", 0);
	assert_int_equal(st.socks.n, 6);
	assert_false(st.has_process);
	assert_true(st.socks.idle_known);
	assert_int_equal(ss_text_main_pid(&st), -1);
	ss_text_release(&st);
	/* -e: uid and inode on the row. */
	parse_file(&st, "tests/fixtures/ss/ss-tinpe.txt", 0);
	s = find(&st, 46213, 59018, &i);
	assert_non_null(s);
	assert_int_equal(s->inode, 606565);
	assert_int_equal(st.owners[i].pid, 13213);
	assert_true(s->has_idle);
	ss_text_release(&st);
	/* -tanp: no info lines, so no idle times. */
	parse_file(&st, "tests/fixtures/ss/ss-tanp.txt", 0);
	assert_int_equal(st.socks.n, 10);
	assert_false(st.socks.idle_known);
	assert_false(st.has_info);
	s = find(&st, 46213, 59024, NULL);
	assert_non_null(s);
	assert_int_equal(s->state, TCPS_TIME_WAIT);
	ss_text_release(&st);
}

static void test_handmade(void **state)
{
	static const char txt[] =
		"$ ss -tinp\r\n"
		"Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\r\n"
		"udp   UNCONN 0      0      127.0.0.53%lo:53   0.0.0.0:*\r\n"
		"tcp   ESTAB  0      0      10.0.0.1:http      10.0.0.2:51234 users:((\"my app\",pid=77,fd=3),(\"x\",pid=78,fd=4)) ino:5\r\n"
		"\t cubic lastsnd:10 lastrcv:600000 bytes_received:99\r\n"
		"tcp   ESTAB  0      0      [fe80::1]%eth0:22  [fe80::2]%eth0:40000 users:((\"sshd\",pid=9,fd=4)) lastrcv:5\r\n"
		"tcp   LISTEN 0      128    :::8080            :::*\r\n"
		"tcp   ESTAB  0      0      myhost:https       other:9999\r\n"
		"ESTAB  0 0 1.2.3.4:99999 5.6.7.8:1\r\n"
		"\tlastrcv:1\r\n"
		"garbage\r\n";
	struct ss_text st;
	struct gd_errbuf eb;
	const struct tcp_sock *s;
	size_t i = 0;
	char a[64];
	(void)state;
	ss_text_init(&st);
	assert_int_equal(ss_text_parse(&st, txt, sizeof(txt) - 1, "ticket.txt", 0, &eb), GD_OK);
	assert_int_equal(st.other_proto, 1);
	assert_int_equal(st.socks.n, 4);
	s = find(&st, 80, 51234, &i);
	assert_non_null(s);
	assert_string_equal(st.owners[i].comm, "my app");
	assert_int_equal(st.owners[i].pid, 77);
	assert_int_equal(s->last_data_recv_ms, 600000);
	assert_int_equal(s->bytes_received, 99);
	assert_int_equal(s->inode, 5);
	/* Zone stripped; --oneline style lastrcv on the row. */
	s = find(&st, 22, 40000, &i);
	assert_non_null(s);
	tcp_addr_format(s->family, s->local_addr, a, sizeof(a));
	assert_string_equal(a, "fe80::1");
	assert_true(s->has_idle);
	assert_int_equal(s->last_data_recv_ms, 5);
	/* Old ss's ":::8080". */
	s = find(&st, 8080, 0, NULL);
	assert_non_null(s);
	assert_int_equal(s->family, AF_INET6);
	/* Host names are kept and counted. */
	assert_non_null(find(&st, 443, 9999, NULL));
	assert_int_equal(st.named, 2);
	assert_true(strstr(st.socks.notes, "ss without -n") != NULL);
	/* Port 99999 is not a row; its info line is not attached anywhere;
	 * "$ ss -tinp", the bad row, its info line and "garbage" are noise. */
	assert_int_equal(st.noise_lines, 4);
	ss_text_release(&st);
}

static void test_not_ss(void **state)
{
	static const char *const bad[] = {
		"", "hello world\n", "goroutine 1 [running]:\nmain.main()\n",
		"\t lastrcv:5\n", "ESTAB\n", "ESTAB 0 0\n",
	};
	struct ss_text st;
	struct gd_errbuf eb;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ss_text_init(&st);
		eb.msg[0] = '\0';
		assert_int_equal(ss_text_parse(&st, bad[i], strlen(bad[i]), "x.txt", 0, &eb), GD_EFORMAT);
		assert_true(strstr(eb.msg, "x.txt") != NULL);
		assert_int_equal(st.socks.n, 0);
		ss_text_release(&st);
	}
	ss_text_init(&st);
	assert_int_equal(ss_text_parse(&st, "", SS_TEXT_MAX_INPUT + 1, "big", 0, &eb), GD_ETOOBIG);
	ss_text_release(&st);
	assert_int_equal(ss_state_parse("SYN-RECV", 8), TCPS_SYN_RECV);
	assert_int_equal(ss_state_parse("ESTA", 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tinp),
		cmocka_unit_test(test_pid_filter_and_listeners),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_handmade),
		cmocka_unit_test(test_not_ss),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
