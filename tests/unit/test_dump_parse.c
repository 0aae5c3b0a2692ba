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
		/* A cut loses something unless only the final newline is
		 * missing; no partial goroutine is passed on. */
		bool whole = !strcmp(dump + cut, "\n");
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

/* Neighbours that share all but one thing a bucket is keyed on: the
 * parser's "same stack as the goroutine before" shortcut (a file line equal
 * to the last one's at that depth, a function line with its name) must
 * group exactly as the plain parse does.  Fed byte by byte every line is a
 * copy and the shortcut is off, so the two feeds are compared. */
struct flagged {
	struct grouping *g;
	unsigned same;
};

static int count_same(const struct gd_goroutine *g, void *ctx)
{
	struct flagged *f = ctx;
	if (g->flags & GD_G_SAME_STACK)
		f->same++;
	return grouping_add_goroutine(g, f->g);
}

static void test_repeated_stacks(void **state)
{
	static const char dump[] =
		/* 1, 2: the same stack, other arguments */
		"goroutine 1 [select]:\nmain.a(0x1)\n\t/a.go:1 +0x1\nmain.b(0x2)\n\t/b.go:2 +0x2\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		"goroutine 2 [select]:\nmain.a(0x3)\n\t/a.go:1 +0x1\nmain.b(0x4)\n\t/b.go:2 +0x2\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		/* 3: another line in frame 1 (and another header: 4 and 6 share
		 * theirs with it but for the wait) */
		"goroutine 3 [chan receive, 5 minutes]:\nmain.a(0x3)\n\t/a.go:1 +0x1\nmain.b(0x4)\n\t/b.go:3 +0x2\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		/* 4: another function in frame 0, whose name extends the last one's */
		"goroutine 4 [chan receive, 6 minutes]:\nmain.ab(0x3)\n\t/a.go:1 +0x1\nmain.b(0x4)\n\t/b.go:3 +0x2\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		/* 5: one frame more; 6: as 4 again, after a deeper one */
		"goroutine 5 [select]:\nmain.ab(0x3)\n\t/a.go:1 +0x1\nmain.b(0x4)\n\t/b.go:3 +0x2\nmain.c()\n\t/c.go:1 +0x1\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		"goroutine 6 [chan receive, 6 minutes]:\nmain.ab(0x5)\n\t/a.go:1 +0x1\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		/* 7: another creator; 8: its file line differs */
		"goroutine 7 [select]:\nmain.ab(0x5)\n\t/a.go:1 +0x1\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.other\n\t/m.go:9 +0x9\n\n"
		"goroutine 8 [select]:\nmain.ab(0x5)\n\t/a.go:1 +0x1\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.other\n\t/m.go:19 +0x9\n\n"
		/* 9: as 8, one line CRLF; 10: as 9, another PC offset (same key) */
		"goroutine 9 [select]:\nmain.ab(0x5)\n\t/a.go:1 +0x1\r\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.other\n\t/m.go:19 +0x9\n\n"
		"goroutine 10 [select]:\nmain.ab(0x5)\n\t/a.go:1 +0x7\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.other\n\t/m.go:19 +0x9\n\n"
		/* 11: no file line where 10 had one; 12: inlined */
		"goroutine 11 [select]:\nmain.ab(0x5)\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.other\n\t/m.go:19 +0x9\n\n"
		"goroutine 12 [select]:\nmain.ab(...)\n\t/a.go:1\nmain.b(0x6)\n\t/b.go:3 +0x2\ncreated by main.other\n\t/m.go:19 +0x9\n\n"
		/* 13: as 12, without a creator */
		"goroutine 13 [select]:\nmain.ab(...)\n\t/a.go:1\nmain.b(0x6)\n\t/b.go:3 +0x2\n\n"
		/* 14-17: 17's file line equals the one at its depth two goroutines
		 * before 16, which has none there */
		"goroutine 14 [select]:\nmain.z(0x1)\n\t/z.go:1 +0x1\n\n"
		"goroutine 15 [select]:\nmain.y(0x1)\n\t/y.go:1 +0x1\n\n"
		"goroutine 16 [select]:\nmain.z(0x1)\n\n"
		"goroutine 17 [select]:\nmain.z(0x1)\n\t/z.go:1 +0x1\n\n"
		/* 18, 19: the same creator line, but in 19 a frame after it
		 * takes the creator's place */
		"goroutine 18 [select]:\nmain.w()\n\t/w.go:1 +0x1\ncreated by main.main\n\t/m.go:9 +0x9\n\n"
		"goroutine 19 [select]:\nmain.w()\n\t/w.go:1 +0x1\ncreated by main.main\n\t/m.go:9 +0x9\nmain.q()\n\t/q.go:1 +0x1\n\n";
	static const struct {
		enum group_mode mode;
		size_t buckets;
		unsigned same; /* goroutines flagged: 2, 9; in exact mode 9 only */
	} cases[] = {
		{ GROUP_ANY_ARGS, 9, 2 }, { GROUP_EXACT_ARGS, 12, 1 }, { GROUP_TOP_N, 0, 2 }, { GROUP_CREATOR, 0, 2 },
	};
	size_t n = strlen(dump);
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct grouping whole, bytes;
		struct flagged f = { &whole, 0 }, fb = { &bytes, 0 };
		struct dump_parser *p;
		grouping_init(&whole, cases[c].mode, 1);
		grouping_init(&bytes, cases[c].mode, 1);
		p = dump_parser_new(count_same, &f, 0);
		dump_parser_keep_args(p, cases[c].mode == GROUP_EXACT_ARGS);
		assert_int_equal(dump_parser_feed(p, dump, n), GD_OK);
		assert_int_equal(dump_parser_finish(p), GD_OK);
		dump_parser_free(p);
		p = dump_parser_new(count_same, &fb, 0);
		dump_parser_keep_args(p, cases[c].mode == GROUP_EXACT_ARGS);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(dump_parser_feed(p, dump + i, 1), GD_OK);
		assert_int_equal(dump_parser_finish(p), GD_OK);
		dump_parser_free(p);
		assert_int_equal(whole.total, 19);
		assert_true(grouping_same(&whole, &bytes));
		assert_int_equal(f.same, cases[c].same);
		assert_int_equal(fb.same, 0);
		if (cases[c].buckets)
			assert_int_equal(whole.nbuckets, cases[c].buckets);
		if (cases[c].mode == GROUP_ANY_ARGS) {
			/* 1+2, 3, 4+6+7+8+9+10+12+13 (the creator is not
			 * the key; "(...)" at a.go:1 is a.go:1), 5, 11 */
			assert_int_equal(whole.buckets[0].count, 2);
			assert_int_equal(whole.buckets[1].count, 1);
			assert_int_equal(whole.buckets[2].count, 8);
			assert_int_equal(whole.buckets[2].ids[1], 6);
			assert_int_equal(whole.buckets[2].with_wait, 2);
			assert_int_equal(whole.buckets[2].wait_sum, 12);
			assert_int_equal(whole.buckets[3].nframes, 3);
			assert_int_equal(whole.buckets[4].ids[0], 11);
			assert_int_equal(whole.buckets[5].count, 2); /* 14, 17 */
			assert_int_equal(whole.buckets[5].ids[1], 17);
		}
		if (cases[c].mode == GROUP_EXACT_ARGS)
			assert_int_equal(whole.buckets[5].count, 5); /* 6-10: args 0x5, 0x6 */
		grouping_release(&whole);
		grouping_release(&bytes);
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


/* One input, whole, through dump_input into g (want_dump: 0 = last). */
static enum gd_err input_text(const char *text, size_t n, struct grouping *g, uint32_t want, struct dump_input *in)
{
	enum gd_err e;
	dump_input_init(in, g, 0);
	in->want_dump = want;
	e = dump_input_write(in, text, n);
	if (!e)
		e = dump_input_finish(in);
	else
		dump_input_flush(in);
	return e;
}

static const char crash_a[] =
	"panic: boom\n\ngoroutine 7 [running]:\nmain.explode()\n\t/a.go:5 +0x1\n\n"
	"goroutine 1 [chan receive]:\nmain.main()\n\t/a.go:9 +0x2\n\n"
	"goroutine 8 [select]:\nmain.loop()\n\t/a.go:12 +0x3\ncreated by main.main\n\t/a.go:10 +0x4\n\n"
	"exit status 2\n";

static void test_several_dumps(void **state)
{
	struct seen s;
	struct dump_stats st;
	char twice[1024];
	struct grouping g;
	struct dump_input in;
	(void)state;

	/* The same crash twice (a restarting pod): two dumps, the crash
	 * goroutine flagged in each. */
	snprintf(twice, sizeof(twice), "%s%s", crash_a, crash_a);
	st = parse(twice, &s);
	assert_int_equal(s.n, 6);
	assert_int_equal(st.dumps, 2);
	assert_int_equal(s.g[0].dump, 1);
	assert_int_equal(s.g[3].dump, 2);
	assert_true(s.g[0].flags & GD_G_CRASHED);
	assert_false(s.g[1].flags & GD_G_CRASHED);
	assert_true(s.g[3].flags & GD_G_CRASHED);
	assert_string_equal(st.preamble, "panic: boom");

	/* Two debug=2 dumps, no crash line: the IDs repeat. */
	st = parse("goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\ngoroutine 5 [select]:\nmain.f()\n\t/a.go:2 +0x1\n\n"
		   "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n",
		   &s);
	assert_int_equal(st.dumps, 2);
	assert_int_equal(s.g[2].dump, 2);
	assert_false(st.crash);

	/* GOTRACEBACK=crash: every thread's "SIGQUIT: quit" after "-----" is
	 * the same dump, and goroutine 0 may repeat. */
	st = parse("SIGQUIT: quit\nPC=0x1 m=0 sigcode=0\n\ngoroutine 0 [idle]:\nruntime.futex()\n\t/r.go:1 +0x1\n\n"
		   "goroutine 1 [select]:\nmain.main()\n\t/a.go:1 +0x1\n\nrax    0x0\n\n-----\n\n"
		   "SIGQUIT: quit\nPC=0x2 m=2 sigcode=0\n\ngoroutine 0 [idle]:\nruntime.futex()\n\t/r.go:1 +0x1\n\n",
		   &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(st.dumps, 1);
	assert_string_equal(st.signal, "SIGQUIT: quit");

	/* dump_input keeps the last, or the one asked for. */
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	assert_int_equal(input_text(twice, strlen(twice), &g, 0, &in), GD_OK);
	assert_int_equal(in.dumps, 2);
	assert_int_equal(g.total, 3);
	assert_true(g.has_crash);
	assert_int_equal(g.crash_goid, 7);
	assert_non_null(grouping_crash_bucket(&g));
	assert_string_equal(dump_input_stats(&in)->preamble, "panic: boom");
	dump_input_release(&in);
	grouping_release(&g);
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	assert_int_equal(input_text(twice, strlen(twice), &g, 3, &in), GD_EARG);
	assert_string_equal(in.eb.msg, "holds 2 dumps; --dump 3 is out of range");
	dump_input_release(&in);
	grouping_release(&g);
}

static void test_prefixed_crash_and_binary_bytes(void **state)
{
	struct seen s;
	struct dump_stats st;
	struct grouping g;
	struct dump_input in;
	char buf[8192];
	size_t n = 0;
	(void)state;

	/* CRI: the panic line comes before the first header, behind the same
	 * prefix; an unrelated log line without it is not taken. */
	st = parse("2026-12-02T19:38:59.000000001Z stderr F some log: panic: not this\n"
		   "2026-12-02T19:38:59.000000002Z stderr F panic: assignment to entry in nil map\n"
		   "2026-12-02T19:38:59.000000003Z stderr F \n"
		   "2026-12-02T19:38:59.000000004Z stderr F goroutine 9 [running]:\n"
		   "2026-12-02T19:38:59.000000005Z stderr F main.f()\n"
		   "2026-12-02T19:38:59.000000006Z stderr F \t/a.go:3 +0x1\n",
		   &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(st.preamble, "panic: assignment to entry in nil map");
	assert_true(s.g[0].flags & GD_G_CRASHED);

	/* NUL padding, then a BEL before the crash line and a NUL before a
	 * header: all text, all read. */
	memset(buf, 0, 3000);
	n = 3000;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			      "\afatal error: all goroutines are asleep - deadlock!\n\n"
			      "goroutine 1 [chan receive]:\nmain.main()\n\t/a.go:9 +0x2\n\n");
	buf[n++] = '\0';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "goroutine 2 [select]:\nmain.f()\n\t/a.go:2 +0x1\n");
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	assert_int_equal(input_text(buf, n, &g, 0, &in), GD_OK);
	assert_int_equal(in.format, DUMP_FMT_DEBUG2);
	assert_int_equal(g.total, 2);
	assert_string_equal(dump_input_stats(&in)->preamble, "fatal error: all goroutines are asleep - deadlock!");
	assert_int_equal(g.crash_goid, 1);
	dump_input_release(&in);
	grouping_release(&g);

	/* Binary junk is still refused, and gzip'd junk says gzip. */
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	memset(buf, 0x01, 200);
	assert_int_equal(input_text(buf, 200, &g, 0, &in), GD_EFORMAT);
	assert_non_null(strstr(in.eb.msg, "binary data"));
	dump_input_release(&in);
	assert_int_equal(input_text("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff", 12, &g, 0, &in), GD_EFORMAT);
	assert_true(!strncmp(in.eb.msg, "gzip: ", 6));
	dump_input_release(&in);
	assert_int_equal(input_text("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10, &g, 0, &in), GD_ETRUNCATED);
	assert_true(!strncmp(in.eb.msg, "truncated gzip stream", 21));
	dump_input_release(&in);
	grouping_release(&g);
}

static void test_complete_without_newline(void **state)
{
	struct seen s;
	struct dump_stats st;
	(void)state;
	st = parse("goroutine 1 [select]:\nmain.f()\n\t/a.go:2 +0x1c9", &s);
	assert_int_equal(s.n, 1);
	assert_false(st.truncated);
	st = parse("goroutine 1 [select]:\nmain.g(...)\n\t/a.go:7", &s); /* inlined: no offset */
	assert_int_equal(s.n, 1);
	assert_false(st.truncated);
	st = parse("goroutine 1 [select]:\nmain.f()\n\t/a.go:2", &s); /* cut before " +0x" */
	assert_int_equal(s.n, 0);
	assert_true(st.truncated);
	st = parse("goroutine 1 [select]:\nmain.f()\n\t/a.go:2 +0x1\n\ngoroutine 2 [sel", &s);
	assert_int_equal(s.n, 1);
	assert_true(st.truncated);
	st = parse("goroutine 1 [select]:\nmain.f()\n\t/a.go:2 +0x1\n\nexit status 2", &s);
	assert_int_equal(s.n, 1);
	assert_false(st.truncated);
}

static void test_label_sets(void **state)
{
	struct grouping g, m;
	struct gd_frame f = { .func = "main.w", .func_len = 6, .args = "", .file = "/a.go", .file_len = 5, .line = 3 };
	struct gd_record r = { .count = 2, .frames = &f, .nframes = 1, .labels = "{\"tenant\":\"t0\"}", .labels_len = 15, .dump = 1 };
	struct gd_goroutine gr;
	struct bucket **v;
	size_t n;
	const char *want[] = { "tenant=t1" };
	(void)state;

	assert_true(labels_match("{\"tenant\":\"t0\", \"svc\":\"a b\"}", 29, "svc=a b"));
	assert_true(labels_match("{tenant: t0, route: \"/a b\"}", 27, "route=/a b"));
	assert_true(labels_match("{tenant: t0, route: \"/a b\"}", 27, "tenant=t0"));
	assert_false(labels_match("{tenant: t0}", 12, "tenant=t"));
	assert_false(labels_match("", 0, "tenant=t0"));

	grouping_init(&g, GROUP_ANY_ARGS, 0);
	grouping_add_record(&r, &g);
	r.count = 1;
	r.labels = "{\"tenant\":\"t1\"}";
	grouping_add_record(&r, &g);
	v = grouping_sorted(&g, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->count, 3);
	assert_int_equal(v[0]->nlabel_sets, 2);
	assert_string_equal(v[0]->label_sets[0].labels, "{\"tenant\":\"t0\"}");
	assert_int_equal(v[0]->label_sets[0].count, 2);
	assert_int_equal(v[0]->label_sets[1].count, 1);
	assert_true(v[0]->labels_mixed);
	free(v);

	/* Merged with a dump that has states: the profile counts as unknown. */
	grouping_init(&m, GROUP_ANY_ARGS, 0);
	memset(&gr, 0, sizeof(gr));
	gr.id = 4;
	gr.state = "select";
	gr.state_len = 6;
	gr.labels = "";
	gr.frames = &f;
	gr.nframes = 1;
	gr.dump = 1;
	grouping_add_goroutine(&gr, &m);
	grouping_merge(&m, &g);
	assert_int_equal(m.total, 4);
	assert_int_equal(m.unknown, 3);
	v = grouping_sorted(&m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->nlabel_sets, 3);
	assert_int_equal(v[0]->nstates, 2);
	free(v);
	grouping_release(&m);
	grouping_release(&g);

	/* --label filter */
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	g.filter.labels = want;
	g.filter.nlabels = 1;
	r.count = 2;
	r.labels = "{\"tenant\":\"t0\"}";
	grouping_add_record(&r, &g);
	r.count = 1;
	r.labels = "{\"tenant\":\"t1\"}";
	grouping_add_record(&r, &g);
	assert_int_equal(g.total, 3);
	assert_int_equal(g.filtered, 2);
	assert_int_equal(g.nbuckets, 1);
	assert_int_equal(g.buckets[0].count, 1);
	grouping_release(&g);
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
		cmocka_unit_test(test_several_dumps),
		cmocka_unit_test(test_prefixed_crash_and_binary_bytes),
		cmocka_unit_test(test_complete_without_newline),
		cmocka_unit_test(test_label_sets),
		cmocka_unit_test(test_repeated_stacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
