/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/netns.h"

/* linux/netns: one sock_diag dump per network namespace.  Live: this
 * process listens on a loopback port and connects to it, and two queries
 * for it (the same namespace, so the shared-dump path) must both count the
 * listener and the connection, the same as asking alone. */
static void test_netns_of(void **state)
{
	struct stat st;
	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(netns_of_pid(NULL, getpid()), (uint64_t)st.st_ino);
	assert_int_equal(netns_of_pid("/nonexistent", getpid()), 0);
}

static void test_shared_dump_counts(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct netns_tcp_query q[2];
	struct tcp_counts alone;
	struct sock_opts so = { 0 };
	struct gd_errbuf eb = { "" };
	int l, c, s;
	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);

	memset(q, 0, sizeof(q));
	q[0].pid = q[1].pid = getpid();
	netns_tcp_counts(NULL, q, 2);
	assert_int_equal(tcp_counts_for_pid(&so, getpid(), &alone, &eb), GD_OK);
	for (int i = 0; i < 2; i++) {
		assert_true(q[i].known);
		assert_true(q[i].counts.listening >= 1);
		assert_true(q[i].counts.established >= 2); /* both ends are ours */
		assert_int_equal(q[i].counts.listening, alone.listening);
		assert_int_equal(q[i].counts.established, alone.established);
	}
	/* A process that does not exist: unknown, with the reason. */
	memset(q, 0, sizeof(q));
	q[0].pid = 0x7ffffff0;
	netns_tcp_counts(NULL, q, 1);
	assert_false(q[0].known);
	assert_true(q[0].why[0] != '\0');
	close(s);
	close(c);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netns_of),
		cmocka_unit_test(test_shared_dump_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
