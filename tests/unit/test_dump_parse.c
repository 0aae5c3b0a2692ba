/* SPDX-License-Identifier: MIT */
/* The debug=2 / traceback parser and grouping, on inline dumps written from
 * the grammar in shared/reference/goroutine-dump-format.md, fed whole and
 * byte by byte (the streaming path must give the same answer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "goroutine/dump_input.h"
#include "goroutine/dump_parse.h"
#include "goroutine/group.h"
#include "util/duration.h"

struct seen {
	struct gd_goroutine g[16];
	char state[16][64];
	char func0[16][128];
	char creator[16][128];
	char labels[16][128];
	uint32_t nframes[16];
	int n;
};

static void copy_slice(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int collect(const struct gd_goroutine *g, void *ctx)
{
	struct seen *s = ctx;
	if (s->n >= 16)
		return 0;
	s->g[s->n] = *g;
	copy_slice(s->state[s->n], 64, g->state, g->state_len);
	if (g->nframes)
		copy_slice(s->func0[s->n], 128, g->frames[0].func, g->frames[0].func_len);
	if (g->flags & GD_G_HAS_CREATOR)
		copy_slice(s->creator[s->n], 128, g->creator.func, g->creator.func_len);
	copy_slice(s->labels[s->n], 128, g->labels, g->labels_len);
	s->nframes[s->n] = g->nframes;
	s->n++;
	return 0;
}

/* Parse whole, then again one byte at a time; both must agree. */
static struct dump_stats parse(const char *text, struct seen *s)
{
	struct seen s2;
	struct dump_parser *p = dump_parser_new(collect, s, 0);
	struct dump_stats st;
	size_t n = strlen(text);
	memset(s, 0, sizeof(*s));
	assert_int_equal(dump_parser_feed(p, text, n), GD_OK);
	assert_int_equal(dump_parser_finish(p), GD_OK);
	st = *dump_parser_stats(p);
	dump_parser_free(p);

	memset(&s2, 0, sizeof(s2));
	p = dump_parser_new(collect, &s2, 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(dump_parser_feed(p, text + i, 1), GD_OK);
	assert_int_equal(dump_parser_finish(p), GD_OK);
	assert_int_equal(s2.n, s->n);
	for (int i = 0; i < s->n; i++) {
		assert_string_equal(s2.state[i], s->state[i]);
		assert_string_equal(s2.func0[i], s->func0[i]);
		assert_int_equal(s2.nframes[i], s->nframes[i]);
	}
	assert_int_equal(dump_parser_stats(p)->truncated, st.truncated);
	dump_parser_free(p);
	return st;
}

static void test_go119_panic_dump(void **state)
{
	struct seen s;
	struct dump_stats st;
	(void)state;
	st = parse("panic: assignment to entry in nil map\n"
		   "\n"
		   "goroutine 1 [running]:\n"
		   "main.main()\n"
		   "\t/home/user/app/main.go:28 +0x1c9\n"
		   "\n"
		   "goroutine 8 [chan receive, 12 minutes]:\n"
		   "main.gen[...]({0x0?, 0x0?}, 0x0?)\n"
		   "\t/home/user/app/main.go:13 +0x1e\n"
		   "created by main.main\n"
		   "\t/home/user/app/main.go:22 +0x195\n"
		   "\n"
		   "goroutine 9 [sleep]:\n"
		   "time.Sleep(0x34630b8a000)\n"
		   "\t/usr/local/go/src/runtime/time.go:195 +0x135\n"
		   "main.main.func1.1(...)\n"
		   "\t/home/user/app/main.go:24\n"
		   "main.main.func1()\n"
		   "\t/home/user/app/main.go:24 +0x25\n"
		   "created by main.main\n"
		   "\t/home/user/app/main.go:23 +0x1a5\n"
		   "exit status 2\n",
		   &s);
	assert_int_equal(s.n, 3);
	assert_false(st.truncated);
	assert_true(st.crash);
	assert_string_equal(st.preamble, "panic: assignment to entry in nil map");
	assert_string_equal(s.state[0], "running");
	assert_string_equal(s.func0[1], "main.gen[...]");
	assert_int_equal(s.g[1].wait_minutes, 12);
	assert_true(s.g[1].flags & GD_G_HAS_WAIT);
	assert_string_equal(s.creator[1], "main.main");
	assert_int_equal(s.nframes[2], 3);
	assert_string_equal(s.state[2], "sleep");
}

static void test_header_variants(void **state)
{
	struct gd_goroutine g;
	(void)state;
#define H(s) dump_parse_header(s, strlen(s), &g)
	assert_true(H("goroutine 0 gp=0x4ded80 m=0 mp=0x4df340 [idle]:"));
	assert_int_equal(g.id, 0);
	assert_true(g.flags & GD_G_DECORATED);
	assert_int_equal(g.state_len, 4);
	assert_true(H("goroutine 17 gp=0xc000102000 m=nil [GC worker (idle)]:"));
	assert_memory_equal(g.state, "GC worker (idle)", 16);
	assert_true(H("goroutine 8 [select (durable), synctest bubble 1]:"));
	assert_memory_equal(g.state, "select", 6);
	assert_int_equal(g.state_len, 6);
	assert_true(g.flags & GD_G_DURABLE);
	assert_true(g.flags & GD_G_HAS_BUBBLE);
	assert_int_equal(g.bubble, 1);
	assert_true(H("goroutine 7 [chan send (leaked)]:"));
	assert_int_equal(g.state_len, 9);
	assert_true(g.flags & GD_G_LEAKED);
	assert_true(H("goroutine 5 [chan receive (scan), 12 minutes]:"));
	assert_true(g.flags & GD_G_SCAN);
	assert_int_equal(g.wait_minutes, 12);
	assert_true(H("goroutine 5 [chan receive (nil chan)]:"));
	assert_int_equal(g.state_len, 23);
	assert_true(H("goroutine 33 [syscall, 214 minutes, locked to thread]:"));
	assert_true(g.flags & GD_G_LOCKED);
	assert_int_equal(g.wait_minutes, 214);
	assert_true(H("goroutine 3 [select] {svc: users, route: \"/a b\"}:"));
	assert_memory_equal(g.labels, "{svc: users, route: \"/a b\"}", g.labels_len);
	assert_true(H("goroutine 3 [running labels:{\"foobar\": \"baz\"}]:"));
	assert_memory_equal(g.state, "running", g.state_len);
	assert_memory_equal(g.labels, "{\"foobar\": \"baz\"}", g.labels_len);
	assert_true(H("goroutine 9 [sync.WaitGroup.Wait (durable), synctest group 4]:"));
	assert_int_equal(g.bubble, 4);
	assert_false(H("goroutine profile: total 5"));
	assert_false(H("goroutine 1 [running]"));
	assert_false(H("goroutine 99999999999999999999999 [running]:"));
	assert_false(H("goroutine 1 [running]: trailing"));
	assert_false(H("goroutine 1 []:"));
#undef H
}

static void test_elision_ancestors_unavailable(void **state)
{
	struct seen s;
	(void)state;
	parse("goroutine 4 [running]:\n"
	      "\tgoroutine running on other thread; stack unavailable\n"
	      "created by main.main in goroutine 1\n"
	      "\t/app/main.go:10 +0x30\n"
	      "\n"
	      "goroutine 5 [chan receive]:\n"
	      "main.rec(0x5)\n"
	      "\t/app/main.go:5 +0x10\n"
	      "...12 frames elided...\n"
	      "main.rec(0x64)\n"
	      "\t/app/main.go:5 +0x10\n"
	      "created by main.main in goroutine 1\n"
	      "\t/app/main.go:11 +0x30\n"
	      "[originating from goroutine 1]:\n"
	      "main.main(...)\n"
	      "\t/app/main.go:11 +0x34\n"
	      "...additional frames elided...\n"
	      "created by main.init\n"
	      "\t/app/main.go:3 +0x10\n",
	      &s);
	assert_int_equal(s.n, 2);
	assert_true(s.g[0].flags & GD_G_UNAVAILABLE);
	assert_int_equal(s.nframes[0], 0);
	assert_true(s.g[0].flags & GD_G_CREATOR_GOID);
	assert_int_equal(s.g[0].creator_goid, 1);
	assert_int_equal(s.nframes[1], 2);
	assert_int_equal(s.g[1].elided, 12);
	assert_int_equal(s.g[1].nancestors, 1);
	/* The ancestor's creator must not replace the goroutine's own. */
	assert_string_equal(s.creator[1], "main.main");
}

static void test_log_prefixes(void **state)
{
	struct seen s;
	struct dump_stats st;
	(void)state;
	st = parse("2024-05-01T10:00:00.123456789Z some unrelated log line\n"
		   "2024-05-01T10:00:01.1234567Z goroutine 7 [IO wait, 3 minutes]:\n"
		   "2024-05-01T10:00:01.123456789Z internal/poll.runtime_pollWait(0x7f, 0x72)\n"
		   "2024-05-01T10:00:01.12345678Z \t/usr/lib/go/src/runtime/netpoll.go:305 +0x89\n"
		   "2024-05-01T10:00:01.123456789Z net/http.(*conn).serve(0xc0001)\r\n"
		   "2024-05-01T10:00:01.123456789Z \t/usr/lib/go/src/net/http/server.go:1991 +0x5b0\r\n"
		   "2024-05-01T10:00:01.123456789Z \n"
		   "2024-05-01T10:00:01.123456789Z goroutine 8 [IO wait, 3 minutes]:\n"
		   "2024-05-01T10:00:01.123456789Z internal/poll.runtime_pollWait(0x7f, 0x72)\n"
		   "2024-05-01T10:00:01.123456789Z \t/usr/lib/go/src/runtime/netpoll.go:305 +0x89\n",
		   &s);
	assert_int_equal(s.n, 2);
	assert_false(st.truncated);
	assert_string_equal(s.state[0], "IO wait");
	assert_int_equal(s.nframes[0], 2);
	assert_string_equal(s.func0[0], "internal/poll.runtime_pollWait");

	st = parse("Nov 26 09:38:59 host app[123]: goroutine 1 [select]:\n"
		   "Nov 26 09:38:59 host app[123]: main.loop()\n"
		   "Nov 26 09:38:59 host app[123]:         /app/main.go:9 +0x10\n"
		   "Nov 26 09:38:59 host app[123]: \n",
		   &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.nframes[0], 1);
}

static void test_truncation(void **state)
{
	const char *dump = "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\n"
			   "goroutine 2 [select]:\nmain.f()\n\t/a.go:2 +0x1\n\n"
			   "goroutine 3 [select]:\nmain.f()\n\t/a.go:2 +0x1\n";
	(void)state;
	for (size_t cut = 1; cut < strlen(dump); cut++) {
		struct seen s;
		struct dump_parser *p = dump_parser_new(collect, &s, 0);
		const struct dump_stats *st;
		memset(&s, 0, sizeof(s));
		dump_parser_feed(p, dump, cut);
		dump_parser_finish(p);
		st = dump_parser_stats(p);
		/* A cut loses something unless only the final newline, or a
		 * tail of the last line after a whole "FILE:LINE" / "+0xHEX",
		 * is missing; no partial goroutine is passed on. */
		bool whole = !strcmp(dump + cut, "\n") || !strcmp(dump + cut, " +0x1\n");
		for (int i = 0; i < s.n; i++)
			assert_int_equal(s.nframes[i], 1);
		if (cut < strlen(dump) && s.n == 3)
			assert_true(whole && !st->truncated);
		if (whole)
			assert_true(s.n == 3 && !st->truncated);
		dump_parser_free(p);
	}
}

static void test_overlong_line_is_skipped(void **state)
{
	struct seen s;
	struct dump_parser *p = dump_parser_new(collect, &s, 1024);
	char *junk = malloc(100000);
	(void)state;
	memset(&s, 0, sizeof(s));
	memset(junk, 'a', 100000);
	dump_parser_feed(p, junk, 100000);
	{
		const char *rest = "\ngoroutine 1 [running]:\nmain.main()\n\t/a.go:1\n";
		dump_parser_feed(p, rest, strlen(rest));
	}
	dump_parser_finish(p);
	assert_int_equal(dump_parser_stats(p)->long_lines, 1);
	assert_int_equal(s.n, 1);
	dump_parser_free(p);
	free(junk);
}

static void test_grouping_modes(void **state)
{
	const char *dump = "goroutine 1 [IO wait, 5 minutes]:\nmain.read(0x1)\n\t/a.go:1 +0x1\nmain.serve()\n\t/a.go:9 +0x1\ncreated by main.listen\n\t/a.go:20 +0x1\n\n"
			   "goroutine 2 [IO wait, 50 minutes]:\nmain.read(0x2)\n\t/a.go:1 +0x1\nmain.serve()\n\t/a.go:9 +0x1\ncreated by main.listen\n\t/a.go:20 +0x1\n\n"
			   "goroutine 3 [IO wait]:\nmain.read(0x2)\n\t/a.go:1 +0x1\nmain.other()\n\t/a.go:30 +0x1\ncreated by main.listen\n\t/a.go:20 +0x1\n\n"
			   "goroutine 4 [chan receive, 7 minutes, locked to thread]:\nmain.wait()\n\t/a.go:40 +0x1\n";
	struct { enum group_mode mode; uint32_t top; size_t want; } cases[] = {
		{ GROUP_ANY_ARGS, 0, 3 }, { GROUP_EXACT_ARGS, 0, 4 }, { GROUP_TOP_N, 1, 2 }, { GROUP_CREATOR, 0, 2 },
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct grouping g;
		struct dump_parser *p;
		struct bucket **v;
		size_t n;
		uint32_t mn, med, mx;
		grouping_init(&g, cases[c].mode, cases[c].top);
		p = dump_parser_new(grouping_add_goroutine, &g, 0);
		dump_parser_feed(p, dump, strlen(dump));
		dump_parser_finish(p);
		v = grouping_sorted(&g, &n);
		assert_int_equal(n, cases[c].want);
		assert_int_equal(g.total, 4);
		assert_int_equal(g.locked, 1);
		if (cases[c].mode == GROUP_ANY_ARGS) {
			assert_int_equal(v[0]->count, 2);
			assert_true(bucket_wait_stats(v[0], &mn, &med, &mx));
			assert_int_equal(mn, 5);
			assert_int_equal(mx, 50);
			assert_string_equal(v[0]->creator.func, "main.listen");
			assert_int_equal(v[0]->ids[0], 1);
			assert_int_equal(v[0]->ids[1], 2);
		}
		if (cases[c].mode == GROUP_TOP_N)
			assert_int_equal(v[0]->count, 3);
		free(v);
		dump_parser_free(p);
		grouping_release(&g);
	}
}

static void test_filters(void **state)
{
	const char *dump = "goroutine 1 [IO wait, 5 minutes]:\nmain.read()\n\t/a.go:1 +0x1\n\n"
			   "goroutine 2 [IO wait, 50 minutes]:\nmain.read()\n\t/a.go:1 +0x1\n\n"
			   "goroutine 3 [select]:\nmain.sel()\n\t/b.go:1 +0x1\n";
	const char *states[] = { "IO wait" };
	struct grouping g;
	struct dump_parser *p;
	struct bucket **v;
	size_t n;
	(void)state;
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	g.filter.states = states;
	g.filter.nstates = 1;
	g.filter.min_wait = 10;
	g.filter.has_min_wait = true;
	p = dump_parser_new(grouping_add_goroutine, &g, 0);
	dump_parser_feed(p, dump, strlen(dump));
	dump_parser_finish(p);
	v = grouping_sorted(&g, &n);
	assert_int_equal(g.total, 3);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->count, 1);
	assert_int_equal(v[0]->ids[0], 2);
	free(v);
	dump_parser_free(p);
	grouping_release(&g);
}

static void test_durations(void **state)
{
	uint64_t ms;
	(void)state;
	assert_true(parse_duration_ms("90s", 60000, &ms));
	assert_int_equal(ms, 90000);
	assert_true(parse_duration_ms("2h", 60000, &ms));
	assert_int_equal(ms, 7200000);
	assert_true(parse_duration_ms("1h30m", 60000, &ms));
	assert_int_equal(ms, 5400000);
	assert_true(parse_duration_ms("15", 60000, &ms));
	assert_int_equal(ms, 900000);
	assert_true(parse_duration_ms("15", 1000, &ms));
	assert_int_equal(ms, 15000);
	assert_true(parse_duration_ms("250ms", 1000, &ms));
	assert_int_equal(ms, 250);
	assert_false(parse_duration_ms("", 1000, &ms));
	assert_false(parse_duration_ms("5x", 1000, &ms));
	assert_false(parse_duration_ms("-5m", 1000, &ms));
	assert_false(parse_duration_ms("99999999999999999999d", 1000, &ms));
}

/* A dump big enough for the two-thread path must give exactly what the
 * streaming path gives: totals, buckets, counts, waits and first IDs. */
static void test_parallel_equals_streaming(void **state)
{
	const char *shapes[] = {
		"[IO wait, %u minutes]:\nnet.read()\n\t/n.go:1 +0x1\nnet/http.(*conn).serve(0x%x)\n\t/s.go:9 +0x2\ncreated by net/http.(*Server).Serve\n\t/s.go:30 +0x3\n\n",
		"[chan receive, %u minutes]:\nmain.leak(0x%x)\n\t/m.go:4 +0x1\ncreated by main.main\n\t/m.go:8 +0x3\n\n",
		"[select]:\nmain.loop%u(0x%x)\n\t/m.go:12 +0x1\n\n",
	};
	size_t cap = (size_t)80 << 20, len = 0;
	char *buf = malloc(cap);
	struct grouping g1, g2;
	struct dump_input in1, in2;
	struct bucket **v1, **v2;
	size_t n1, n2;
	unsigned id = 1;
	(void)state;
	while (len < cap - 512) {
		unsigned k = id % 7 == 0 ? 2 : id % 3 == 0 ? 1 : 0;
		len += (size_t)snprintf(buf + len, cap - len, "goroutine %u ", id);
		len += (size_t)snprintf(buf + len, cap - len, shapes[k], k == 2 ? id % 5 : id % 90, id);
		id++;
	}
	grouping_init(&g1, GROUP_ANY_ARGS, 0);
	grouping_init(&g2, GROUP_ANY_ARGS, 0);
	dump_input_init(&in1, &g1, 0);
	dump_input_init(&in2, &g2, 0);
	assert_int_equal(dump_input_parse_buffer(&in1, buf, len, false, NULL, NULL), GD_OK);
	assert_true(in1.parallel);
	for (size_t off = 0; off < len; off += 65536)
		assert_int_equal(dump_input_write(&in2, buf + off, len - off < 65536 ? len - off : 65536), GD_OK);
	assert_int_equal(dump_input_finish(&in2), GD_OK);
	assert_false(in2.parallel);
	assert_int_equal(g1.total, id - 1);
	assert_int_equal(g2.total, id - 1);
	assert_int_equal(dump_input_stats(&in1)->goroutines, id - 1);
	v1 = grouping_sorted(&g1, &n1);
	v2 = grouping_sorted(&g2, &n2);
	assert_int_equal(n1, n2);
	assert_int_equal(n1, 7); /* serve, leak, loop0..loop4 */
	for (size_t i = 0; i < n1; i++) {
		uint32_t a1, b1, c1, a2, b2, c2;
		assert_int_equal(v1[i]->count, v2[i]->count);
		assert_string_equal(v1[i]->frames[0].func, v2[i]->frames[0].func);
		assert_int_equal(bucket_wait_stats(v1[i], &a1, &b1, &c1), bucket_wait_stats(v2[i], &a2, &b2, &c2));
		if (v1[i]->with_wait) {
			assert_int_equal(a1, a2);
			assert_int_equal(b1, b2);
			assert_int_equal(c1, c2);
		}
		assert_memory_equal(v1[i]->ids, v2[i]->ids, sizeof(v1[i]->ids));
	}
	free(v1);
	free(v2);
	dump_input_release(&in1);
	dump_input_release(&in2);
	grouping_release(&g1);
	grouping_release(&g2);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go119_panic_dump),
		cmocka_unit_test(test_header_variants),
		cmocka_unit_test(test_elision_ancestors_unavailable),
		cmocka_unit_test(test_log_prefixes),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_overlong_line_is_skipped),
		cmocka_unit_test(test_grouping_modes),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_parallel_equals_streaming),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
