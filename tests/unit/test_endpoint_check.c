/* SPDX-License-Identifier: MIT */
/* endpoint_check: the server end of godiag's own connection must be a
 * socket of the PID.  A child process listens and accepts: checked against
 * the child it passes; checked against this process (which does not hold
 * the accepted socket) it is refused, naming the URL and the PID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "diagnose/endpoint_check.h"

static void test_owner(void **state)
{
	int pfd[2];
	uint16_t port = 0;
	pid_t child;
	char url[64];
	struct gd_errbuf eb = { "" };
	(void)state;
	assert_int_equal(pipe(pfd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		int lfd = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16) ||
		    getsockname(lfd, (struct sockaddr *)&sa, &sl))
			_exit(3);
		port = ntohs(sa.sin_port);
		if (write(pfd[1], &port, sizeof(port)) != sizeof(port))
			_exit(4);
		alarm(30);
		for (;;) {
			/* Accepted sockets are never closed: the server end
			 * stays in this process's fd table. */
			if (accept(lfd, NULL, NULL) < 0)
				_exit(5);
		}
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &port, sizeof(port)), sizeof(port));
	close(pfd[0]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);

	assert_int_equal(endpoint_check_owner(child, NULL, url, &eb), GD_OK);
	assert_int_equal(endpoint_check_owner(getpid(), NULL, url, &eb), GD_EPERM);
	assert_non_null(strstr(eb.msg, "is not served by PID"));
	assert_non_null(strstr(eb.msg, url));
	assert_non_null(strstr(eb.msg, "--pprof"));
	/* Nothing listens: a clean error, no hang. */
	snprintf(url, sizeof(url), "http://127.0.0.1:1");
	assert_int_not_equal(endpoint_check_owner(child, NULL, url, &eb), GD_OK);

	kill(child, SIGKILL); /* our own helper child, not a target */
	waitpid(child, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
