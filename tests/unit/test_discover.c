/* SPDX-License-Identifier: MIT */
/* Tests for remote/discover: Go's real /debug/pprof/ index pages (1.19 and
 * 1.23, written by evidencegen), the pre-1.13 layout, pages that are not
 * an index, and discovery against a live Go process
 * (tests/scenarios/evidencegen -serve 127.0.0.1:0, built with gobuild.sh). */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_lib.h"

#include "linux/sockdiag.h"
#include "remote/discover.h"
#include "util/banned.h"


static void test_real_pages(void **state)
{
	static const char *const files[] = {
		"tests/fixtures/metrics/pprof_index-go1.19.html",
		"tests/fixtures/metrics/pprof_index-go1.23.html",
	};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *buf = slurp(files[i], &len);
		struct pprof_index idx;
		struct gd_errbuf eb;
		const struct pprof_index_entry *e;
		assert_int_equal(pprof_index_parse(buf, len, &idx, &eb), GD_OK);
		assert_int_equal(idx.n, 9);
		assert_true(idx.has_full_dump_link);
		e = pprof_index_get(&idx, "goroutine");
		assert_non_null(e);
		assert_int_equal(e->count, 1);
		e = pprof_index_get(&idx, "heap");
		assert_non_null(e);
		assert_true(e->count > 10);
		assert_non_null(pprof_index_get(&idx, "threadcreate"));
		assert_null(pprof_index_get(&idx, "goroutineleak"));
		free(buf);
	}
}

static void test_old_and_odd(void **state)
{
	/* Go <= 1.12 layout; a goroutineleak row (1.26+). */
	static const char old[] =
		"<html><body>/debug/pprof/<br><br>Types of profiles available:\n<table>\n"
		"<tr><td align=right>3<td><a href=\"allocs?debug=1\">allocs</a>\n"
		"<tr><td align=right>12345<td><a href=\"goroutine?debug=1\">goroutine</a>\n"
		"<tr><td>2</td><td><a href='goroutineleak?debug=1'>goroutineleak</a></td></tr>\n"
		"<tr><td>x</td><td><a href='bogus?debug=1'>bogus</a></td></tr>\n"
		"</table><a href=\"goroutine?debug=2\">full goroutine stack dump</a>\n";
	static const char *const notidx[] = {
		"", "<html><body>hello</body></html>", "404 page not found\n",
		"<a href='heap?debug=1'>heap</a>", "<tr><td>1</td><td><a href=x?debug=1>x</a>",
	};
	struct pprof_index idx;
	struct gd_errbuf eb;
	(void)state;
	assert_int_equal(pprof_index_parse(old, sizeof(old) - 1, &idx, &eb), GD_OK);
	assert_int_equal(idx.n, 3);
	assert_int_equal(pprof_index_get(&idx, "goroutine")->count, 12345);
	assert_int_equal(pprof_index_get(&idx, "goroutineleak")->count, 2);
	assert_null(pprof_index_get(&idx, "bogus"));
	for (size_t i = 0; i < sizeof(notidx) / sizeof(notidx[0]); i++)
		assert_int_equal(pprof_index_parse(notidx[i], strlen(notidx[i]), &idx, &eb), GD_EFORMAT);
}

static pid_t server_pid;
static char gobin[512];

static int start_server(int *port, int *pid)
{
	const char *src = getenv("SRCDIR");
	char cmd[2048];
	int p[2];
	char buf[128];
	size_t len = 0;

	snprintf(gobin, sizeof(gobin), "/tmp/godiag-discover-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s/tests/lib/gobuild.sh %s/tests/scenarios/evidencegen %s 1.19 >/dev/null 2>&1",
		 src ? src : ".", src ? src : ".", gobin);
	if (system(cmd) != 0)
		return -1;
	if (pipe(p))
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(gobin, gobin, "-serve", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		ssize_t r;
		if (poll(&pfd, 1, 30000) <= 0)
			break;
		r = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(p[0]);
	buf[len] = '\0';
	{
		char *end;
		*port = (int)strtol(buf, &end, 10);
		*pid = (int)strtol(end, &end, 10);
	}
	return *port > 0 && *pid > 0 ? 0 : -1;
}

/* What doctor does for a PID: its sockets, then a probe of its listeners. */
static enum gd_err endpoint_for_pid(int pid, char *base, size_t len, struct gd_errbuf *eb)
{
	struct tcp_sock_list l;
	enum gd_err rc;
	base[0] = '\0';
	tcp_sock_list_init(&l);
	rc = tcp_socks_for_pid(NULL, pid, &l, eb);
	if (!rc)
		rc = pprof_endpoint_from_socks(&l, NULL, base, len, eb);
	tcp_sock_list_release(&l);
	return rc;
}

static void test_live(void **state)
{
	int port = 0, pid = 0;
	char base[128], want[64];
	struct pprof_index idx;
	struct gd_errbuf eb = { "" };
	(void)state;
	assert_int_equal(fetch_global_init(&eb), GD_OK);
	if (start_server(&port, &pid))
		fail_msg("could not build or start evidencegen -serve");
	assert_int_equal(endpoint_for_pid(pid, base, sizeof(base), &eb), GD_OK);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d", port);
	assert_string_equal(base, want);
	assert_int_equal(pprof_index_fetch(base, NULL, &idx, &eb), GD_OK);
	assert_true(pprof_index_get(&idx, "goroutine")->count >= 2);
	assert_non_null(pprof_index_get(&idx, "heap"));
	/* A trailing slash is fine; /debug/vars is not an index page. */
	snprintf(base + strlen(base), sizeof(base) - strlen(base), "/");
	assert_int_equal(pprof_index_fetch(base, NULL, &idx, &eb), GD_OK);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/debug/vars#", port);
	assert_int_not_equal(pprof_index_fetch(base, NULL, &idx, &eb), GD_OK);
	/* This test process listens nowhere. */
	assert_int_equal(endpoint_for_pid((int)getpid(), base, sizeof(base), &eb), GD_ENOENT);
	assert_true(strstr(eb.msg, "no listening port") != NULL);
	assert_string_equal(base, "");
	/* No such process. */
	assert_int_not_equal(endpoint_for_pid(0x7ffffff0, base, sizeof(base), &eb), GD_OK);
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	unlink(gobin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_pages),
		cmocka_unit_test(test_old_and_odd),
		cmocka_unit_test(test_live),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
