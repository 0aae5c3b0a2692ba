/* SPDX-License-Identifier: MIT */
/* cmd/options: the option table every command parses with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd/options.h"

struct args {
	bool json, quiet;
	const char *out, *color;
	uint64_t n, ms, bytes, span_ms;
	const char *span;
	struct cmd_list rules;
	struct cmd_http http;
	struct cmd_sources src;
	const char *pprof;
};

static const char *const colors[] = { "auto", "always", "never", NULL };

/* Writable copies of a NULL-terminated list (argv is char **). */
static char *argbuf[64], *pool[64]; /* argv (reordered by the parser), the copies */
static void freeargv(void)
{
	for (size_t i = 0; pool[i]; i++) {
		free(pool[i]);
		pool[i] = NULL;
	}
}

static int teardown(void **state)
{
	(void)state;
	freeargv();
	return 0;
}

static char **mkargv(const char *const *list)
{
	size_t i = 0;
	freeargv();
	for (; list[i]; i++)
		argbuf[i] = pool[i] = strdup(list[i]);
	argbuf[i] = NULL;
	return argbuf;
}

/* Parse a NULL-terminated argument list; argv[0] is "test". */
static int parse(struct args *a, char **argv)
{
	int argc = 0;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &a->json, "json"),
		OPT_BOOL('q', "quiet", &a->quiet, "quiet"),
		OPT_STRING('o', "output", &a->out, "DIR", "out"),
		OPT_UINT(0, "count", &a->n, "a count", 1, 100, "n"),
		OPT_DURATION(0, "wait", &a->ms, 60000, 1000, 3600000, "wait"),
		OPT_DURATION_AS(0, "span", &a->span_ms, &a->span, 1000, 1000, 86400000, "span"),
		OPT_SIZE(0, "max", &a->bytes, 1024, (uint64_t)1 << 30, "max"),
		OPT_CHOICE(0, "color", &a->color, colors, "color"),
		OPT_LIST(0, "rules", &a->rules, "FILE", "rules"),
		OPT_HTTP(&a->http),
		OPT_PPROF_URL(&a->pprof),
		OPT_SOURCES(&a->src),
		OPT_END(),
	};
	while (argv[argc])
		argc++;
	memset(a, 0, sizeof(*a));
	cmd_http_init(&a->http);
	cmd_sources_init(&a->src);
	a->color = "auto";
	return cmd_parse_options("test", argc, argv, opts);
}

static void release(struct args *a)
{
	cmd_list_release(&a->rules);
	cmd_http_release(&a->http);
}

/* stderr of a call, for the message checks: between capture_begin() and
 * capture_end(), which leaves it in msgbuf. */
static char msgbuf[1024];
struct capture {
	FILE *tmp;
	int saved;
};

static struct capture capture_begin(void)
{
	struct capture c = { tmpfile(), dup(2) };
	fflush(stderr);
	dup2(fileno(c.tmp), 2);
	return c;
}

static void capture_end(struct capture c)
{
	size_t n;
	fflush(stderr);
	dup2(c.saved, 2);
	close(c.saved);
	rewind(c.tmp);
	n = fread(msgbuf, 1, sizeof(msgbuf) - 1, c.tmp);
	msgbuf[n] = '\0';
	fclose(c.tmp);
}

static int parse_capture(struct args *a, char **argv)
{
	struct capture c = capture_begin();
	int rc = parse(a, argv);
	capture_end(c);
	return rc;
}

/* cmd_parse_args() with a bare table, stderr in msgbuf. */
static int parse_args_capture(char **argv, int max_args)
{
	bool json = false;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "json"),
		OPT_END(),
	};
	struct capture c;
	int argc = 0, rc;

	while (argv[argc])
		argc++;
	c = capture_begin();
	rc = cmd_parse_args("test", argc, argv, opts, max_args);
	capture_end(c);
	return rc;
}

static void test_forms_and_positionals(void **state)
{
	struct args a;
	const char *list[] = { "test", "A", "--json", "-q", "-oDIR", "--count=7", "B", "--wait", "90s",
			 "--max", "64k", "--color", "never", "--rules", "r1", "--rules=r2", "-",
			 "-H", "X-A: 1", "--header=X-B: 2", "--timeout", "3600", "--insecure",
			 "--cacert", "ca.pem", "--pprof", "http://127.0.0.1:6060",
			 "--proc-root", "/p", "--sys-root=/s", "--replay-netlink", "f.bin",
			 "--", "--json", NULL };
	char **argv = mkargv(list);
	(void)state;
	assert_int_equal(parse(&a, argv), 4);
	assert_string_equal(argv[0], "A");
	assert_string_equal(argv[1], "B");
	assert_string_equal(argv[2], "-");
	assert_string_equal(argv[3], "--json");
	assert_true(a.json && a.quiet);
	assert_string_equal(a.out, "DIR");
	assert_int_equal(a.n, 7);
	assert_int_equal(a.ms, 90000);
	assert_int_equal(a.bytes, 65536);
	assert_string_equal(a.color, "never");
	assert_int_equal(a.rules.n, 2);
	assert_string_equal(a.rules.v[1], "r2");
	assert_int_equal(a.http.headers.n, 2);
	assert_string_equal(a.http.headers.v[1], "X-B: 2");
	assert_int_equal(a.http.timeout_s, 3600);
	assert_true(a.http.insecure);
	assert_string_equal(a.pprof, "http://127.0.0.1:6060");
	assert_string_equal(a.src.proc_root, "/p");
	assert_string_equal(a.src.sys_root, "/s");
	assert_string_equal(a.src.replay_netlink, "f.bin");
	{
		struct fetch_opts fo;
		fetch_opts_init(&fo);
		cmd_http_apply(&a.http, &fo);
		assert_int_equal(fo.total_timeout_ms, 3600000);
		assert_int_equal(fo.nheaders, 2);
		assert_string_equal(fo.cacert, "ca.pem");
		assert_true(fo.insecure);
	}
	release(&a);
}

/* A value kept as typed (fleet quotes --range and --step): only an
 * accepted one, in either form, the last one winning. */
static void test_duration_as(void **state)
{
	struct args a;
	const char *as_eq[] = { "test", "--span=1h", NULL };
	const char *as_next[] = { "test", "--span=1h", "--span", "90", NULL };
	const char *refused[] = { "test", "--span", "2d", NULL };
	(void)state;
	assert_int_equal(parse(&a, mkargv(as_eq)), 0);
	assert_int_equal(a.span_ms, 3600000);
	assert_string_equal(a.span, "1h");
	release(&a);
	assert_int_equal(parse(&a, mkargv(as_next)), 0);
	assert_int_equal(a.span_ms, 90000);
	assert_string_equal(a.span, "90");
	release(&a);
	assert_int_equal(parse_capture(&a, mkargv(refused)), CMD_OPT_ERROR);
	assert_null(a.span);
	release(&a);
}

/* How many positional arguments a command takes, said one way. */
static void test_args_counted(void **state)
{
	const char *none[] = { "test", "--json", NULL };
	const char *one[] = { "test", "A", "--json", NULL };
	const char *two[] = { "test", "A", "B", NULL };
	(void)state;
	assert_int_equal(parse_args_capture(mkargv(none), 0), 0);
	assert_int_equal(parse_args_capture(mkargv(one), 0), CMD_OPT_ERROR);
	assert_string_equal(msgbuf, "godiag: error: test: unexpected argument 'A'\n");
	assert_int_equal(parse_args_capture(mkargv(one), 1), 1);
	assert_int_equal(parse_args_capture(mkargv(two), 1), CMD_OPT_ERROR);
	assert_string_equal(msgbuf, "godiag: error: test: more than one TARGET ('B')\n");
	assert_int_equal(parse_args_capture(mkargv(two), CMD_ARGS_ANY), 2);
}

static void test_defaults_and_help(void **state)
{
	struct args a;
	const char *none[] = { "test", NULL };
	const char *help[] = { "test", "x", "--help", NULL };
	const char *h[] = { "test", "-h", NULL };
	(void)state;
	assert_int_equal(parse(&a, mkargv(none)), 0);
	assert_string_equal(a.src.proc_root, "/proc");
	assert_string_equal(a.src.sys_root, "/sys");
	assert_null(a.src.replay_netlink);
	release(&a);
	assert_int_equal(parse(&a, mkargv(help)), CMD_OPT_HELP);
	release(&a);
	assert_int_equal(parse(&a, mkargv(h)), CMD_OPT_HELP);
	release(&a);
}

static void test_errors_say_one_thing(void **state)
{
	struct args a;
	static const struct {
		const char *arg, *val, *msg;
	} bad[] = {
		{ "--frob", NULL, "test: unknown option '--frob'" },
		{ "-z", NULL, "test: unknown option '-z'" },
		{ "--timeout", "0", "test: --timeout: expected seconds (1-3600), got '0'" },
		{ "--timeout", "3601", "test: --timeout: expected seconds (1-3600), got '3601'" },
		{ "--timeout", "12x", "test: --timeout: expected seconds (1-3600), got '12x'" },
		{ "--timeout", "-5", "test: --timeout: expected seconds (1-3600), got '-5'" },
		{ "--count", "101", "test: --count: expected a count (1-100), got '101'" },
		{ "--wait", "1ms", "test: --wait: expected a duration like 90s, 10m, 2h, 1d, got '1ms'" },
		{ "--max", "1000", "test: --max: expected a size between 1 KiB and 1 GiB (k, M, G suffixes), got '1000'" },
		{ "--color", "blue", "test: --color: expected auto, always or never, got 'blue'" },
		{ "-H", "nocolon", "test: -H: expected 'Name: value' on one line, got 'nocolon'" },
		{ "--pprof", "ftp://x", "test: --pprof: expected an http(s):// or unix: URL, got 'ftp://x'" },
		{ "--proc-root", "", "test: --proc-root: expected DIR, got ''" },
		{ "--json=1", NULL, "test: option '--json' takes no value" },
		{ "--output", NULL, "test: option '--output' needs a value" },
		{ "-o", NULL, "test: option '-o' needs a value" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *list[] = { "test", bad[i].arg, bad[i].val, NULL };
		char want[512];
		assert_int_equal(parse_capture(&a, mkargv(list)), CMD_OPT_ERROR);
		snprintf(want, sizeof(want), "godiag: error: %s\n", bad[i].msg);
		assert_string_equal(msgbuf, want);
		release(&a);
	}
}

static void test_pid(void **state)
{
	int pid = 0;
	(void)state;
	assert_true(cmd_parse_pid("t", "1", &pid) && pid == 1);
	assert_true(cmd_parse_pid("t", "2147483647", &pid) && pid == 2147483647);
	fclose(stderr);
	stderr = fopen("/dev/null", "w");
	assert_false(cmd_parse_pid("t", "0", &pid));
	assert_false(cmd_parse_pid("t", "2147483648", &pid));
	assert_false(cmd_parse_pid("t", "12a", &pid));
	assert_false(cmd_parse_pid("t", "-3", &pid));
	assert_false(cmd_parse_pid("t", "", &pid));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms_and_positionals),
		cmocka_unit_test(test_duration_as),
		cmocka_unit_test(test_args_counted),
		cmocka_unit_test(test_defaults_and_help),
		cmocka_unit_test(test_errors_say_one_thing),
		cmocka_unit_test(test_pid),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
