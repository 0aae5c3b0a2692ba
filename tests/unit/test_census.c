/* SPDX-License-Identifier: MIT */
/* The census replayed from recordings of real processes (tests/fixtures/
 * census/goVER.rec, made by tests/fixtures/census/record.sh from the
 * censusmix scenario built by each installed Go): the output equals the
 * census text saved at recording time, every header equals the one in the
 * same process's own debug=2 (goVER.debug2.txt), the dump parser takes it
 * whole; and damaged recordings get clear errors.  The servers' settings
 * survive a bundle: their text form parses back to the same values, and a
 * damaged one is refused with the line named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "census/census.h"
#include "census/goelf.h"
#include "census/settings.h"
#include "goroutine/dump_parse.h"
#include "util/banned.h"

static const char *const versions[] = { "1.19", "1.21", "1.22", "1.23" };
static char fixdir[4096];

static char *slurp(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	char *b = malloc(cap);
	int k;
	while ((k = gzread(gz, b + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)k;
		if (n == cap)
			b = realloc(b, cap *= 2);
	}
	gzclose(gz);
	b = realloc(b, n + 1);
	b[n] = 0;
	*len = n;
	return b;
}

static int count_g(const struct gd_goroutine *g, void *ctx)
{
	(void)g;
	(*(size_t *)ctx)++;
	return 0;
}

static void test_replay_versions(void **s)
{
	(void)s;
	for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
		char rec[4200], golden[4200], d2[4200];
		snprintf(rec, sizeof(rec), "%s/go%s.rec", fixdir, versions[v]);
		snprintf(golden, sizeof(golden), "%s/go%s.txt", fixdir, versions[v]);
		snprintf(d2, sizeof(d2), "%s/go%s.debug2.txt", fixdir, versions[v]);
		struct strbuf out = STRBUF_INIT_MAX(CENSUS_OUT_CAP);
		struct census_stats st;
		struct gd_errbuf eb = { "" };
		enum gd_err e = census_replay(rec, &out, &st, &eb);
		if (e)
			fail_msg("go%s: %s", versions[v], eb.msg);
		size_t glen, dlen;
		char *want = slurp(golden, &glen), *dbg = slurp(d2, &dlen);
		assert_non_null(want);
		assert_non_null(dbg);
		assert_int_equal(out.len, glen);
		assert_memory_equal(out.buf, want, glen);
		assert_string_equal(st.method, "replay");
		assert_int_equal(st.unreadable, 0);
		assert_true(st.goroutines >= 10);
		/* every header, and every frame line, is in the process's own dump */
		size_t headers = 0;
		for (char *line = out.buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = 0;
			if (!strncmp(line, "goroutine ", 10)) {
				headers++;
				if (!strstr(dbg, line))
					fail_msg("go%s: header '%s' not in debug=2", versions[v], line);
			} else if (line[0] == '\t' && !strstr(dbg, line)) {
				fail_msg("go%s: frame line '%s' not in debug=2", versions[v], line);
			}
			*nl = '\n';
		}
		assert_int_equal(headers, st.goroutines);
		/* counting only (ps --goroutines): the same count, no text */
		struct census_stats cst;
		if (census_replay(rec, NULL, &cst, &eb))
			fail_msg("go%s, counting: %s", versions[v], eb.msg);
		assert_int_equal(cst.goroutines, st.goroutines);
		assert_int_equal(cst.system, st.system);
		size_t n = 0;
		struct dump_parser *p = dump_parser_new(count_g, &n, DUMP_DEFAULT_MAX_LINE);
		assert_int_equal(dump_parser_feed(p, out.buf, out.len), GD_OK);
		assert_int_equal(dump_parser_finish(p), GD_OK);
		assert_int_equal(n, st.goroutines);
		assert_int_equal(dump_parser_stats(p)->noise_lines, 0);
		assert_false(dump_parser_stats(p)->truncated);
		dump_parser_free(p);
		free(want);
		free(dbg);
		strbuf_release(&out);
	}
}

/* Replace the value of fact `key` in a decompressed recording. */
static char *with_fact(const char *rec, size_t len, const char *key, const char *val, size_t *outlen)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\n%s ", key);
	const char *p = memmem(rec, len, pat, strlen(pat));
	assert_non_null(p);
	p += strlen(pat);
	const char *e = memchr(p, '\n', len - (size_t)(p - rec));
	size_t n1 = (size_t)(p - rec), vl = strlen(val), rest = len - (size_t)(e - rec);
	char *o = malloc(n1 + vl + rest);
	memcpy(o, rec, n1);
	memcpy(o + n1, val, vl);
	memcpy(o + n1 + vl, e, rest);
	*outlen = n1 + vl + rest;
	return o;
}

static enum gd_err run_mem(const char *b, size_t n, struct gd_errbuf *eb)
{
	struct strbuf out = STRBUF_INIT_MAX(CENSUS_OUT_CAP);
	struct census_stats st;
	enum gd_err e = census_replay_mem(b, n, &out, &st, eb);
	if (e)
		assert_int_equal(out.len, 0); /* nothing printed on failure */
	strbuf_release(&out);
	return e;
}

static void test_bad_recordings(void **s)
{
	(void)s;
	char rec[4200];
	size_t len, n2;
	struct gd_errbuf eb = { "" };
	snprintf(rec, sizeof(rec), "%s/go1.21.rec", fixdir);
	char *b = slurp(rec, &len);
	assert_non_null(b);
	assert_int_equal(run_mem(b, len, &eb), GD_OK);

	/* cut short: a record's header or bytes missing */
	assert_int_not_equal(run_mem(b, len - 3, &eb), GD_OK);
	assert_non_null(strstr(eb.msg, "record"));
	assert_int_equal(run_mem(b, 10, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "not a godiag census recording"));

	/* a version with no known layout and no DWARF */
	char *c = with_fact(b, len, "offsets_from", "-", &n2);
	char *c2 = with_fact(c, n2, "goversion", "go1.17.13", &n2);
	assert_int_equal(run_mem(c2, n2, &eb), GD_EUNSUPPORTED);
	assert_non_null(strstr(eb.msg, "no known runtime.g layout"));
	free(c);
	free(c2);

	/* wrong offsets: the census refuses instead of printing garbage */
	c = with_fact(b, len, "g.goid", "0xa8", &n2);
	assert_int_equal(run_mem(c, n2, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "failed validation"));
	free(c);

	/* flipped bytes anywhere in the data: an error or a census, no crash */
	srand(7);
	for (int i = 0; i < 120; i++) {
		char *d = malloc(len);
		memcpy(d, b, len);
		for (int k = 0; k < 4; k++)
			d[(size_t)rand() % len] ^= (char)(1 + rand() % 255);
		run_mem(d, len, &eb);
		free(d);
	}
	free(b);

	/* a file that is not there, and one that is not gzip'd */
	struct strbuf out = STRBUF_INIT_MAX(CENSUS_OUT_CAP);
	struct census_stats st;
	assert_int_equal(census_replay("/nonexistent/x.rec", &out, &st, &eb), GD_ENOENT);
	snprintf(rec, sizeof(rec), "%s/go1.21.txt", fixdir);
	assert_int_not_equal(census_replay(rec, &out, &st, &eb), GD_OK);
	assert_non_null(strstr(eb.msg, "go1.21.txt"));
	strbuf_release(&out);
}

static void test_settings_text(void **s)
{
	(void)s;
	struct server_settings_list l, back;
	struct strbuf text = STRBUF_INIT_MAX(SERVER_SETTINGS_MAX_TEXT);
	struct gd_errbuf eb = { "" };
	/* one of each kind, as a parse of the text godiag itself writes */
	static const char in[] = "godiag-server-settings 1\n"
				 "server\tnet/http.Server\t20\tDWARF\t:8080%09x\tReadTimeout=0\tReadHeaderTimeout=0"
				 "\tWriteTimeout=0\tIdleTimeout=0\n"
				 "server\tgrpc.Server keepalive\t60\ttable%20(go1.21.13)\t\tMaxConnectionIdle=600000000000"
				 "\tMaxConnectionAge=9223372036854775807\n"
				 "server\tthrift.TServerSocket\t40\tDWARF\t\tClientTimeout=-1\n"
				 "note\tx:%20no%20DWARF\n";
	server_settings_list_init(&l);
	assert_int_equal(server_settings_parse(in, strlen(in), &l, &eb), GD_OK);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.v[0].kind, SERVER_HTTP);
	assert_string_equal(l.v[0].addr, ":8080\tx");
	assert_int_equal(l.v[0].goroutines, 20);
	assert_int_equal(server_settings_get(&l.v[0], "IdleTimeout"), 0);
	assert_int_equal(l.v[1].kind, SERVER_GRPC);
	assert_string_equal(l.v[1].source, "table (go1.21.13)");
	assert_int_equal(server_settings_get(&l.v[1], "MaxConnectionIdle"), 600000000000LL);
	assert_int_equal(server_settings_get(&l.v[1], "MaxConnectionAge"), INT64_MAX);
	assert_int_equal(server_settings_get(&l.v[2], "ClientTimeout"), -1);
	assert_string_equal(l.note, "x: no DWARF");
	server_settings_format(&l, &text);
	assert_memory_equal(text.buf, in, strlen(in));
	assert_int_equal(text.len, strlen(in));
	server_settings_list_init(&back);
	assert_int_equal(server_settings_parse(text.buf, text.len, &back, &eb), GD_OK);
	assert_int_equal(back.n, 3);
	server_settings_list_release(&back);
	server_settings_list_release(&l);
	strbuf_release(&text);

	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "not godiag server settings" },
		{ "godiag-server-settings 2\n", "not godiag server settings" },
		{ "godiag-server-settings 1\nserver\tnet/http.Server\t1\tDWARF\t", "line 2: cut" },
		{ "godiag-server-settings 1\nserver\tfoo.Server\t1\tDWARF\t\n", "line 2: unknown server type" },
		{ "godiag-server-settings 1\nserver\tthrift.TServerSocket\t1\tDWARF\t\tIdleTimeout=0\n",
		  "line 2: thrift.TServerSocket has no such setting" },
		{ "godiag-server-settings 1\nserver\tthrift.TServerSocket\t-3\tDWARF\t\n", "line 2: bad goroutine count" },
		{ "godiag-server-settings 1\n\nserver\tthrift.TServerSocket\t1\tDW%4\t\n", "line 3: bad escaped text" },
		{ "godiag-server-settings 1\nserver\tthrift.TServerSocket\t1\tDWARF\t\tClientTimeout=-2\n",
		  "line 2: bad duration" },
		{ "godiag-server-settings 1\nserver\tthrift.TServerSocket\t1\n", "line 2: a server needs" },
		{ "godiag-server-settings 1\nhello\n", "line 2: neither a server nor a note" },
		{ "godiag-server-settings 1\nnote\tA%00B\n", "line 2: bad escaped text" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		server_settings_list_init(&l);
		eb.msg[0] = 0;
		assert_int_equal(server_settings_parse(bad[i].in, strlen(bad[i].in), &l, &eb), GD_EFORMAT);
		if (!strstr(eb.msg, bad[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, eb.msg, bad[i].why);
		server_settings_list_release(&l);
	}
	/* 65 servers: over the cap the census itself keeps */
	struct strbuf many = STRBUF_INIT_MAX(SERVER_SETTINGS_MAX_TEXT);
	strbuf_addstr(&many, SERVER_SETTINGS_MAGIC);
	for (int i = 0; i < 65; i++)
		strbuf_addstr(&many, "server\tthrift.TServerSocket\t1\tDWARF\t\n");
	server_settings_list_init(&l);
	assert_int_equal(server_settings_parse(many.buf, many.len, &l, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "line 66: more than 64 servers"));
	server_settings_list_release(&l);
	strbuf_release(&many);
}

/* The minor version picks the g offsets table: only a plain go1.N counts. */
static void test_go_minor(void **s)
{
	(void)s;
	assert_int_equal(census_go_minor("go1.21.3"), 21);
	assert_int_equal(census_go_minor("go1.22rc1"), 22);
	assert_int_equal(census_go_minor("go1.1000"), 1000);
	assert_int_equal(census_go_minor("go1.1001"), 0);
	assert_int_equal(census_go_minor("go1.0"), 0);
	assert_int_equal(census_go_minor("go1."), 0);
	assert_int_equal(census_go_minor("go1.+5"), 0);
	assert_int_equal(census_go_minor("devel go1.23"), 0);
	assert_int_equal(census_go_minor(NULL), 0);
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	snprintf(fixdir, sizeof(fixdir), "%s/tests/fixtures/census", src ? src : ".");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_versions),
		cmocka_unit_test(test_bad_recordings),
		cmocka_unit_test(test_settings_text),
		cmocka_unit_test(test_go_minor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
