/* SPDX-License-Identifier: MIT */
/* fetch against a real hostile server: tests/scenarios/badserver is built
 * with tests/lib/gobuild.sh into a temp dir and started once for the group;
 * each test asserts the gd_err, the message and a time bound for one way a
 * pprof endpoint can fail. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "remote/fetch.h"
#include "util/human.h"
#include "util/banned.h"

static char tmpdir[] = "/tmp/godiag-fetch-XXXXXX";
static char sockpath[256], certpath[256];
static pid_t server_pid;
static long http_port, tls_port;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void url_for(char *buf, size_t n, const char *path)
{
	snprintf(buf, n, "http://127.0.0.1:%ld%s", http_port, path);
}

/* Read the server's three stdout lines (http port, tls port, pid). */
static int read_ports(int fd)
{
	char buf[256];
	size_t len = 0;
	int lines = 0;
	uint64_t deadline = now_ms() + 30000;

	while (lines < 3) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int left = (int)(deadline - now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return -1;
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			return -1;
		for (ssize_t i = 0; i < r; i++)
			lines += buf[len + (size_t)i] == '\n';
		len += (size_t)r;
		if (len >= sizeof(buf) - 1)
			return -1;
	}
	buf[len] = '\0';
	{
		char *end;
		http_port = strtol(buf, &end, 10);
		tls_port = strtol(end, &end, 10);
	}
	return http_port > 0 && tls_port > 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	const char *src = getenv("SRCDIR");
	char bin[512], cmd[2048];
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (!src) {
		fprintf(stderr, "test_fetch: SRCDIR not set\n");
		return -1;
	}
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(bin, sizeof(bin), "%s/badserver", tmpdir);
	snprintf(sockpath, sizeof(sockpath), "%s/bs.sock", tmpdir);
	snprintf(certpath, sizeof(certpath), "%s/cert.pem", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s/tests/lib/gobuild.sh' '%s/tests/scenarios/badserver' '%s'",
		 src, src, bin);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_fetch: could not build badserver: %s\n", cmd);
		return -1;
	}
	if (pipe(p))
		return -1;
	server_pid = fork();
	if (server_pid < 0)
		return -1;
	if (server_pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(bin, bin, "-timeout", "300", "-unix", sockpath, "-tls-cert", certpath,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (read_ports(p[0])) {
		fprintf(stderr, "test_fetch: badserver did not report its ports\n");
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return fetch_global_init(NULL) == GD_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	char path[512];

	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	snprintf(path, sizeof(path), "%s/badserver", tmpdir);
	unlink(path);
	unlink(sockpath);
	unlink(certpath);
	rmdir(tmpdir);
	return 0;
}

/* A consumer that counts bytes and checks they are all zero. */
struct counter {
	uint64_t bytes;
	uint64_t calls;
	uint64_t nonzero;
	enum gd_err fail_with;   /* return this from the first call */
	struct gd_errbuf *eb;    /* write a message here when failing */
};

static enum gd_err count_zeros(const char *data, size_t len, void *ctx)
{
	struct counter *c = ctx;

	c->calls++;
	if (c->fail_with) {
		if (c->eb)
			gd_fail(c->eb, c->fail_with, "reader: not a goroutine dump");
		return c->fail_with;
	}
	for (size_t i = 0; i < len; i++)
		c->nonzero += data[i] != 0;
	c->bytes += len;
	return GD_OK;
}

static void assert_msg(const struct gd_errbuf *eb, const char *want)
{
	if (!strstr(eb->msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", eb->msg, want);
}

static void test_format_size(void **state)
{
	char b[32];

	(void)state;
	human_size_exact(b, sizeof(b), (uint64_t)1 << 30);
	assert_string_equal(b, "1 GiB");
	human_size_exact(b, sizeof(b), 64u << 20);
	assert_string_equal(b, "64 MiB");
	human_size_exact(b, sizeof(b), 1500);
	assert_string_equal(b, "1500 bytes");
	human_size_exact(b, sizeof(b), 3072);
	assert_string_equal(b, "3 KiB");
}

static void test_ok_dump(void **state)
{
	char url[128], *buf = NULL;
	size_t len = 0;
	struct fetch_result res;
	struct gd_errbuf eb;

	(void)state;
	url_for(url, sizeof(url), "/ok");
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, &res, &eb), GD_OK);
	assert_non_null(buf);
	assert_true(len > 100);
	assert_int_equal(strlen(buf), len);
	assert_memory_equal(buf, "goroutine ", 10);
	assert_non_null(strstr(buf, "[running]:\n"));
	assert_int_equal(res.status, 200);
	assert_int_equal(res.bytes, len);
	assert_string_equal(res.content_type, "text/plain; charset=utf-8");
	assert_string_equal(res.effective_url, url);
	assert_int_equal(res.redirects, 0);
	free(buf);
}

static void test_ok_gzip_decoded(void **state)
{
	char url[128], *buf = NULL;
	size_t len = 0;
	struct fetch_result res;
	struct gd_errbuf eb;

	(void)state;
	url_for(url, sizeof(url), "/ok?gzip=1");
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, &res, &eb), GD_OK);
	assert_memory_equal(buf, "goroutine ", 10);
	assert_non_null(strstr(buf, "[running]:\n"));
	free(buf);
}

static void test_hang_times_out(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0 = now_ms(), dt;

	(void)state;
	fetch_opts_init(&o);
	o.total_timeout_ms = 1500;
	url_for(url, sizeof(url), "/hang");
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, &res, &eb), GD_ETIMEOUT);
	dt = now_ms() - t0;
	assert_msg(&eb, url);
	assert_msg(&eb, "timed out after 1.5 s (no response)");
	assert_true(dt >= 1400 && dt < 4000);
	assert_int_equal(res.status, 0);
	assert_int_equal(c.calls, 0);
}

static void test_slowbody_stalls(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct fetch_result res;
	struct gd_errbuf eb;
	char *buf = NULL;
	size_t len = 0;
	uint64_t t0 = now_ms(), dt;

	(void)state;
	fetch_opts_init(&o);
	o.stall_timeout_ms = 1000;
	url_for(url, sizeof(url), "/slowbody");
	assert_int_equal(fetch_buffer(url, &o, &buf, &len, &res, &eb), GD_ETIMEOUT);
	dt = now_ms() - t0;
	assert_msg(&eb, "stalled: no data for 1 s after 23 bytes");
	assert_true(dt >= 900 && dt < 4000);
	/* What arrived is handed back. */
	assert_int_equal(len, 23);
	assert_string_equal(buf, "goroutine 1 [running]:\n");
	assert_int_equal(res.status, 200);
	free(buf);
}

static void test_slowbody_total_timeout(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct gd_errbuf eb;
	struct counter c = { 0 };

	(void)state;
	fetch_opts_init(&o);
	o.stall_timeout_ms = 0;
	o.total_timeout_ms = 1200;
	url_for(url, sizeof(url), "/slowbody");
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, NULL, &eb), GD_ETIMEOUT);
	assert_msg(&eb, "timed out after 1.2 s (body incomplete after 23 bytes)");
}

static void test_huge_stops_at_cap(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0 = now_ms();

	(void)state;
	fetch_opts_init(&o);
	o.max_bytes = 8u << 20;
	url_for(url, sizeof(url), "/huge");
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, &res, &eb), GD_ETOOBIG);
	assert_true(now_ms() - t0 < 5000);
	assert_msg(&eb, url);
	assert_msg(&eb, "body exceeds 8 MiB cap");
	/* The consumer gets exactly the cap, never a byte more. */
	assert_int_equal(c.bytes, 8u << 20);
	assert_int_equal(res.bytes, 8u << 20);
	assert_int_equal(c.nonzero, 0);
}

static void test_huge_content_length_refused_early(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0 = now_ms();

	(void)state;
	fetch_opts_init(&o);
	o.max_bytes = 8u << 20;
	url_for(url, sizeof(url), "/huge?cl=1");
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, NULL, &eb), GD_ETOOBIG);
	assert_true(now_ms() - t0 < 2000);
	assert_msg(&eb, "body exceeds 8 MiB cap (Content-Length 10737418240)");
	assert_int_equal(c.bytes, 0);
}

static void test_huge_default_cap(void **state)
{
	char url[128];
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0 = now_ms(), dt;

	(void)state;
	url_for(url, sizeof(url), "/huge");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_ETOOBIG);
	dt = now_ms() - t0;
	assert_msg(&eb, "body exceeds 1 GiB cap");
	assert_int_equal(c.bytes, (uint64_t)1 << 30);
	print_message("fetch: 10 GB body stopped at the 1 GiB default cap in %llu ms\n",
		      (unsigned long long)dt);
}

static void test_gzip_bomb_stops_at_cap(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0 = now_ms(), dt;

	(void)state;
	fetch_opts_init(&o);
	o.max_bytes = 64u << 20;
	url_for(url, sizeof(url), "/gzipbomb");
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, &res, &eb), GD_ETOOBIG);
	dt = now_ms() - t0;
	assert_true(dt < 10000);
	assert_msg(&eb, "body exceeds 64 MiB cap (after gzip decoding of ");
	assert_int_equal(c.bytes, 64u << 20);
	assert_int_equal(c.nonzero, 0);
	print_message("fetch: 10 GiB gzip bomb stopped at 64 MiB decoded in %llu ms\n",
		      (unsigned long long)dt);
}

static void test_gzip_bomb_small_is_whole(void **state)
{
	char url[128];
	struct fetch_opts o;
	struct gd_errbuf eb;
	struct counter c = { 0 };

	(void)state;
	/* Proves the bomb is a valid gzip stream (CRC and size check out),
	 * so the cap test above stops a real one. */
	fetch_opts_init(&o);
	url_for(url, sizeof(url), "/gzipbomb?mib=16");
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, NULL, &eb), GD_OK);
	assert_int_equal(c.bytes, 16u << 20);
}

static void test_http_500(void **state)
{
	char url[128];
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };

	(void)state;
	url_for(url, sizeof(url), "/500");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_EHTTP);
	assert_msg(&eb, url);
	assert_msg(&eb, "HTTP 500 Internal Server Error: boom: profile failed");
	assert_int_equal(res.status, 500);
	assert_int_equal(c.calls, 0);
}

static void test_http_404_403(void **state)
{
	char url[128];
	struct gd_errbuf eb;
	struct counter c = { 0 };

	(void)state;
	url_for(url, sizeof(url), "/notfound");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, NULL, &eb), GD_ENOENT);
	assert_msg(&eb, "HTTP 404 Not Found: Unknown profile");
	url_for(url, sizeof(url), "/forbidden");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, NULL, &eb), GD_EPERM);
	assert_msg(&eb, "HTTP 403 Forbidden");
	assert_int_equal(c.calls, 0);
}

static void test_redirects(void **state)
{
	char url[128];
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0 = now_ms();

	(void)state;
	url_for(url, sizeof(url), "/redirect-loop");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_EHTTP);
	assert_msg(&eb, "too many redirects (>3)");
	assert_true(now_ms() - t0 < 3000);
	assert_int_equal(c.calls, 0);

	/* Three hops are allowed, four are not. */
	url_for(url, sizeof(url), "/redirect?n=2");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_OK);
	assert_int_equal(res.redirects, 3);
	assert_non_null(strstr(res.effective_url, "/ok"));
	url_for(url, sizeof(url), "/redirect?n=3");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_EHTTP);
	assert_msg(&eb, "too many redirects (>3)");

	url_for(url, sizeof(url), "/redirect-file");
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_EHTTP);
	assert_msg(&eb, "redirect to a scheme other than http/https refused");
}

static void test_connection_refused(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char url[128], want[64];
	struct gd_errbuf eb;
	struct counter c = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint64_t t0 = now_ms();

	(void)state;
	/* A port that was just free and has no listener. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/debug/pprof/", ntohs(sa.sin_port));
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u refused", ntohs(sa.sin_port));
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, NULL, &eb), GD_EHTTP);
	assert_msg(&eb, url);
	assert_msg(&eb, want);
	assert_true(now_ms() - t0 < 2000);
}

static void test_connect_timeout(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), cfd[4];
	char url[128], want[96];
	struct fetch_opts o;
	struct gd_errbuf eb;
	struct counter c = { 0 };
	uint64_t t0, dt;

	(void)state;
	/* A listener whose accept queue is full drops new SYNs, so the
	 * handshake never completes: a black hole on loopback. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(listen(lfd, 0), 0);
	for (int i = 0; i < 4; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(cfd[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(100 * 1000);
	fetch_opts_init(&o);
	o.connect_timeout_ms = 1000;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sa.sin_port));
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u timed out after 1 s",
		 ntohs(sa.sin_port));
	t0 = now_ms();
	assert_int_equal(fetch_stream(url, &o, count_zeros, &c, NULL, &eb), GD_ETIMEOUT);
	dt = now_ms() - t0;
	assert_msg(&eb, want);
	assert_true(dt >= 900 && dt < 3000);
	for (int i = 0; i < 4; i++)
		close(cfd[i]);
	close(lfd);
}

static void test_unix_socket(void **state)
{
	char url[512], *buf = NULL;
	size_t len = 0;
	struct fetch_opts o;
	struct fetch_result res;
	struct gd_errbuf eb;
	struct counter c = { 0 };

	(void)state;
	snprintf(url, sizeof(url), "unix:%s:http://localhost/debug/pprof/goroutine?debug=1",
		 sockpath);
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, &res, &eb), GD_OK);
	assert_memory_equal(buf, "goroutine profile: total ", 25);
	free(buf);

	/* The same through the opts field. */
	fetch_opts_init(&o);
	o.unix_socket = sockpath;
	assert_int_equal(fetch_buffer("http://localhost/ok", &o, &buf, &len, &res, &eb), GD_OK);
	assert_memory_equal(buf, "goroutine ", 10);
	free(buf);

	snprintf(url, sizeof(url), "unix:%s/nope.sock:http://localhost/ok", tmpdir);
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, NULL, &eb), GD_ENOENT);
	assert_msg(&eb, "nope.sock does not exist");

	assert_int_equal(fetch_stream("unix:http://localhost/", NULL, count_zeros, &c, NULL, &eb),
			 GD_EARG);
	assert_msg(&eb, "bad unix socket URL");
	assert_int_equal(fetch_stream("unix:/x.sock", NULL, count_zeros, &c, NULL, &eb), GD_EARG);
}

static void test_bad_urls(void **state)
{
	struct gd_errbuf eb;
	struct counter c = { 0 };

	(void)state;
	assert_int_equal(fetch_stream("file:///etc/passwd", NULL, count_zeros, &c, NULL, &eb),
			 GD_EARG);
	assert_msg(&eb, "file:///etc/passwd: unsupported URL scheme \"file\" (only http and https)");
	assert_int_equal(fetch_stream("ftp://127.0.0.1/x", NULL, count_zeros, &c, NULL, &eb),
			 GD_EARG);
	assert_int_equal(fetch_stream("not a url", NULL, count_zeros, &c, NULL, &eb), GD_EARG);
	assert_msg(&eb, "malformed URL");
	assert_int_equal(fetch_stream(NULL, NULL, count_zeros, &c, NULL, &eb), GD_EARG);
	/* Credentials never reach a message. */
	assert_int_equal(fetch_stream("gopher://user:secret@host/", NULL, count_zeros, &c, NULL,
				      &eb), GD_EARG);
	assert_null(strstr(eb.msg, "secret"));
	assert_int_equal(c.calls, 0);
}

static void test_resolve_failure(void **state)
{
	struct gd_errbuf eb;
	struct counter c = { 0 };
	enum gd_err e;

	(void)state;
	e = fetch_stream("http://no-such-host.invalid:6060/debug/pprof/", NULL, count_zeros, &c,
			 NULL, &eb);
	/* Without any DNS server the lookup may time out instead. */
	if (e == GD_ETIMEOUT) {
		assert_msg(&eb, "timed out");
		return;
	}
	assert_int_equal(e, GD_EHTTP);
	assert_msg(&eb, "could not resolve host no-such-host.invalid:6060");
}

static void test_tls(void **state)
{
	char url[128], *buf = NULL;
	size_t len = 0;
	struct fetch_opts o;
	struct gd_errbuf eb;

	(void)state;
	snprintf(url, sizeof(url), "https://127.0.0.1:%ld/ok", tls_port);
	/* Self-signed: the system CAs refuse it. */
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, NULL, &eb), GD_EHTTP);
	assert_null(buf);
	assert_msg(&eb, url);
	assert_msg(&eb, ": TLS: ");

	fetch_opts_init(&o);
	o.cacert = certpath;
	assert_int_equal(fetch_buffer(url, &o, &buf, &len, NULL, &eb), GD_OK);
	assert_memory_equal(buf, "goroutine ", 10);
	free(buf);

	fetch_opts_init(&o);
	o.insecure = true;
	assert_int_equal(fetch_buffer(url, &o, &buf, &len, NULL, &eb), GD_OK);
	free(buf);

	/* TLS spoken to a plain HTTP port. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%ld/ok", http_port);
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, NULL, &eb), GD_EHTTP);
	assert_msg(&eb, ": TLS: ");

	fetch_opts_init(&o);
	o.cacert = "/nonexistent/ca.pem";
	snprintf(url, sizeof(url), "https://127.0.0.1:%ld/ok", tls_port);
	assert_int_equal(fetch_buffer(url, &o, &buf, &len, NULL, &eb), GD_EHTTP);
	assert_msg(&eb, ": TLS: ");
}

static void test_broken_responses(void **state)
{
	char url[128], *buf = NULL;
	size_t len = 0;
	struct gd_errbuf eb;

	(void)state;
	url_for(url, sizeof(url), "/cut");
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, NULL, &eb), GD_ETRUNCATED);
	assert_msg(&eb, "connection closed after 500 of 1000 bytes");
	assert_int_equal(len, 500);
	free(buf);

	url_for(url, sizeof(url), "/reset");
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, NULL, &eb), GD_EHTTP);
	assert_msg(&eb, "server closed the connection without a response");
	assert_null(buf);

	url_for(url, sizeof(url), "/rawgarbage");
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, NULL, &eb), GD_EHTTP);
	assert_msg(&eb, "not an HTTP response");

	/* Random bytes in a 200 are the parser's business, not fetch's. */
	url_for(url, sizeof(url), "/garbage?bytes=1000");
	assert_int_equal(fetch_buffer(url, NULL, &buf, &len, NULL, &eb), GD_OK);
	assert_int_equal(len, 1000);
	free(buf);
}

static void test_headers(void **state)
{
	static const char *const hdrs[] = { "X-Godiag-Test: 42", "Authorization: Bearer t0k" };
	static const char *const bad[] = { "X-Evil: a\r\nX-Injected: b" };
	char url[128], *buf = NULL;
	size_t len = 0;
	struct fetch_opts o;
	struct gd_errbuf eb;

	(void)state;
	fetch_opts_init(&o);
	o.headers = hdrs;
	o.nheaders = 2;
	url_for(url, sizeof(url), "/headers");
	assert_int_equal(fetch_buffer(url, &o, &buf, &len, NULL, &eb), GD_OK);
	assert_non_null(strstr(buf, "X-Godiag-Test: 42\n"));
	assert_non_null(strstr(buf, "Authorization: Bearer t0k\n"));
	assert_non_null(strstr(buf, "User-Agent: godiag/"));
	assert_non_null(strstr(buf, "Accept-Encoding: "));
	assert_non_null(strstr(buf, "gzip"));
	free(buf);

	o.headers = bad;
	o.nheaders = 1;
	assert_int_equal(fetch_buffer(url, &o, &buf, &len, NULL, &eb), GD_EARG);
	assert_msg(&eb, "bad request header #1");
	assert_null(buf);
}

static void test_consumer_abort(void **state)
{
	char url[128];
	struct gd_errbuf eb;
	struct counter c = { .fail_with = GD_EFORMAT };
	struct fetch_result res;

	(void)state;
	url_for(url, sizeof(url), "/huge");
	memcpy(eb.msg, "stale", 6);
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, &res, &eb), GD_EFORMAT);
	assert_int_equal(c.calls, 1);
	assert_int_equal(res.bytes, 0);
	assert_string_equal(eb.msg, "");

	/* A reader that shares the errbuf keeps its own message. */
	memset(&c, 0, sizeof(c));
	c.fail_with = GD_EFORMAT;
	c.eb = &eb;
	assert_int_equal(fetch_stream(url, NULL, count_zeros, &c, NULL, &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "reader: not a goroutine dump");
}

/* fetch_many: three hanging requests among good and bad ones, three in
 * flight, so the hangs overlap and the batch takes about one timeout, not
 * three; each request gets the error fetch_stream()
 * would give it, and done() sees every one exactly once. */
struct many_seen {
	int calls[8];
};

static void many_done(struct fetch_req *rq, void *arg)
{
	struct many_seen *s = arg;
	s->calls[(intptr_t)rq->user]++;
}

static void test_many(void **state)
{
	char urls[7][128];
	struct fetch_req rq[7];
	struct counter c[7];
	struct fetch_opts o;
	struct many_seen seen = { { 0 } };
	uint64_t t0 = now_ms(), dt;

	(void)state;
	fetch_opts_init(&o);
	o.total_timeout_ms = 1500;
	memset(rq, 0, sizeof(rq));
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 7; i++) {
		url_for(urls[i], sizeof(urls[i]), i < 3 ? "/hang" : i < 5 ? "/ok" : "/notfound");
		rq[i].url = urls[i];
		rq[i].fn = count_zeros;
		rq[i].ctx = &c[i];
		rq[i].user = (void *)(intptr_t)i;
	}
	rq[6].url = "ftp://127.0.0.1/x";
	fetch_many(rq, 7, 3, &o, many_done, &seen);
	dt = now_ms() - t0;
	for (int i = 0; i < 7; i++)
		assert_int_equal(seen.calls[i], 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rq[i].err, GD_ETIMEOUT);
		assert_msg(&rq[i].eb, "timed out after 1.5 s (no response)");
	}
	for (int i = 3; i < 5; i++) {
		assert_int_equal(rq[i].err, GD_OK);
		assert_int_equal(rq[i].res.status, 200);
		assert_true(c[i].bytes > 100 && c[i].bytes == rq[i].res.bytes);
	}
	assert_int_equal(rq[5].err, GD_ENOENT);
	assert_msg(&rq[5].eb, "HTTP 404");
	assert_int_equal(rq[6].err, GD_EARG);
	assert_msg(&rq[6].eb, "unsupported URL scheme");
	/* the three hangs ran side by side */
	assert_true(dt >= 1400 && dt < 2900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_ok_dump),
		cmocka_unit_test(test_ok_gzip_decoded),
		cmocka_unit_test(test_hang_times_out),
		cmocka_unit_test(test_slowbody_stalls),
		cmocka_unit_test(test_slowbody_total_timeout),
		cmocka_unit_test(test_huge_stops_at_cap),
		cmocka_unit_test(test_huge_content_length_refused_early),
		cmocka_unit_test(test_huge_default_cap),
		cmocka_unit_test(test_gzip_bomb_stops_at_cap),
		cmocka_unit_test(test_gzip_bomb_small_is_whole),
		cmocka_unit_test(test_http_500),
		cmocka_unit_test(test_http_404_403),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_resolve_failure),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_broken_responses),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_consumer_abort),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
