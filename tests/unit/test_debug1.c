/* SPDX-License-Identifier: MIT */
/* Tests for the debug=1 goroutine profile parser, on real Go 1.19/1.23
 * output from tests/scenarios/profilegen (cross-checked against the debug=0
 * profile of the same run) and on cut, noisy and hostile text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "goroutine/debug1.h"
#include "pprof/profile.h"
#include "test_lib.h"
#include "util/banned.h"

#define MAXR 16
#define MAXF 16

struct rec {
	uint64_t count;
	char labels[128];
	char func[MAXF][96];
	char file[MAXF][96];
	uint32_t line[MAXF];
	uint32_t flags[MAXF];
	uint32_t nframes;
};

struct recs {
	struct rec r[MAXR];
	size_t n;
	int stop_after; /* 0: never */
};

static int collect(const struct gd_record *r, void *ctx)
{
	struct recs *rs = ctx;
	struct rec *o;
	if (rs->n == MAXR)
		return 0;
	o = &rs->r[rs->n++];
	memset(o, 0, sizeof(*o));
	o->count = r->count;
	snprintf(o->labels, sizeof(o->labels), "%.*s", (int)r->labels_len, r->labels);
	o->nframes = r->nframes;
	for (uint32_t i = 0; i < r->nframes && i < MAXF; i++) {
		const struct gd_frame *f = &r->frames[i];
		snprintf(o->func[i], sizeof(o->func[i]), "%.*s", (int)f->func_len, f->func);
		snprintf(o->file[i], sizeof(o->file[i]), "%.*s", (int)f->file_len, f->file);
		o->line[i] = f->line;
		o->flags[i] = f->flags;
		assert_int_equal(f->args_len, 0);
	}
	if (rs->stop_after && (int)rs->n >= rs->stop_after)
		return 9;
	return 0;
}

/* Parse text fed in chunks of `step` bytes. */
static struct debug1_parser *parse(const char *text, size_t len, size_t step, struct recs *rs,
				   enum gd_err *ferr)
{
	struct debug1_parser *p = debug1_parser_new(collect, rs);
	enum gd_err e = GD_OK;
	memset(rs->r, 0, sizeof(rs->r));
	rs->n = 0;
	for (size_t off = 0; off < len && !e; off += step)
		e = debug1_parser_feed(p, text + off, len - off < step ? len - off : step);
	if (!e)
		e = debug1_parser_finish(p);
	*ferr = e;
	return p;
}

static const struct rec *find_rec(const struct recs *rs, uint64_t count)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->r[i].count == count)
			return &rs->r[i];
	fail_msg("no record with count %llu", (unsigned long long)count);
	return NULL;
}

static const char gen_file[] = "_/work/main/tests/scenarios/profilegen/main.go";

static void check_fixture(const char *rel)
{
	size_t len;
	char *text = slurp(rel, &len);
	static const size_t steps[] = { 1, 2, 7, 64, 4096, 1 << 20 };

	for (size_t si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
		struct recs rs = { .stop_after = 0 };
		enum gd_err e;
		struct debug1_parser *p = parse(text, len, steps[si], &rs, &e);
		const struct rec *r;

		assert_int_equal(e, GD_OK);
		assert_string_equal(debug1_parser_error(p), "");
		assert_false(debug1_parser_truncated(p));
		assert_int_equal(debug1_parser_total(p), 126);
		assert_string_equal(debug1_parser_profile_name(p), "goroutine");
		assert_int_equal(debug1_parser_stats(p)->records, 4);
		assert_int_equal(debug1_parser_stats(p)->goroutines, 126);
		assert_int_equal(debug1_parser_stats(p)->noise_lines, 0);
		assert_int_equal(rs.n, 4);
		/* Sorted by count, as Go writes them. */
		assert_int_equal(rs.r[0].count, 100);
		assert_int_equal(rs.r[3].count, 1);

		r = find_rec(&rs, 100);
		assert_int_equal(r->nframes, 1);
		assert_string_equal(r->func[0], "main.blockedRecv");
		assert_string_equal(r->file[0], gen_file);
		assert_int_equal(r->line[0], 41);
		assert_int_equal(r->flags[0], 0);
		assert_string_equal(r->labels, "");

		r = find_rec(&rs, 20);
		assert_int_equal(r->nframes, 1);
		assert_string_equal(r->func[0], "main.selectWaiter");
		assert_int_equal(r->line[0], 47);

		r = find_rec(&rs, 5);
		assert_string_equal(r->labels, "{\"tenant\":\"t\\\"1\", \"worker\":\"labeled\"}");
		assert_int_equal(r->nframes, 4);
		assert_string_equal(r->func[0], "main.recvInline");
		assert_int_equal(r->line[0], 55);
		assert_string_equal(r->func[1], "main.labeledWorker.func1");
		assert_int_equal(r->line[1], 63);
		assert_string_equal(r->func[2], "runtime/pprof.Do");
		assert_string_equal(r->file[2], "runtime/pprof/runtime.go");
		assert_string_equal(r->func[3], "main.labeledWorker");
		assert_int_equal(r->line[3], 61);

		r = find_rec(&rs, 1);
		assert_string_equal(r->func[r->nframes - 1], "runtime.main");
		debug1_parser_free(p);
	}
	free(text);
}

static void test_fixture_go119(void **state)
{
	(void)state;
	check_fixture("tests/fixtures/debug1/profilegen-go1.19.txt");
}

static void test_fixture_go123(void **state)
{
	(void)state;
	check_fixture("tests/fixtures/debug1/profilegen-go1.23.txt");
}

/* debug=1 and debug=0 of the same run describe the same records: same
 * counts, labels, and the debug=1 frames are the debug=0 frames minus the
 * leading runtime.* ones that printStackRecord hides. */
struct pcheck {
	const struct recs *d1;
	int matched;
};

static int match_profile(const struct gd_record *r, void *ctx)
{
	struct pcheck *pc = ctx;
	const struct rec *d = NULL;
	uint32_t skip = 0;

	if (r->count == 1)
		return 0; /* main: a different WriteTo call site in each */
	for (size_t i = 0; i < pc->d1->n; i++)
		if (pc->d1->r[i].count == r->count)
			d = &pc->d1->r[i];
	assert_non_null(d);
	assert_int_equal(strlen(d->labels), r->labels_len);
	assert_memory_equal(d->labels, r->labels, r->labels_len);
	while (skip < r->nframes && r->frames[skip].func_len > 8 &&
	       !memcmp(r->frames[skip].func, "runtime.", 8))
		skip++;
	assert_int_equal(r->nframes - skip, d->nframes);
	for (uint32_t i = 0; i < d->nframes; i++) {
		const struct gd_frame *f = &r->frames[skip + i];
		assert_int_equal(strlen(d->func[i]), f->func_len);
		assert_memory_equal(d->func[i], f->func, f->func_len);
		assert_int_equal(strlen(d->file[i]), f->file_len);
		assert_memory_equal(d->file[i], f->file, f->file_len);
		assert_int_equal(d->line[i], f->line);
	}
	pc->matched++;
	return 0;
}

static void check_against_proto(const char *d1rel, const char *pbrel)
{
	size_t len, pblen;
	char *text = slurp(d1rel, &len);
	char *pb = slurp(pbrel, &pblen);
	struct recs rs = { .stop_after = 0 };
	enum gd_err e;
	struct debug1_parser *p = parse(text, len, len, &rs, &e);
	struct profile prof;
	struct gd_errbuf eb;
	struct pcheck pc = { &rs, 0 };

	assert_int_equal(e, GD_OK);
	assert_int_equal(profile_decode(&prof, pb, pblen, NULL, &eb), GD_OK);
	assert_int_equal(profile_goroutine_total(&prof), debug1_parser_total(p));
	assert_int_equal(profile_goroutine_records(&prof, match_profile, &pc), 0);
	assert_int_equal(pc.matched, 3);
	profile_release(&prof);
	debug1_parser_free(p);
	free(text);
	free(pb);
}

static void test_matches_debug0(void **state)
{
	(void)state;
	check_against_proto("tests/fixtures/debug1/profilegen-go1.19.txt",
			    "tests/fixtures/pprof/goroutine-go1.19.pb.gz");
	check_against_proto("tests/fixtures/debug1/profilegen-go1.23.txt",
			    "tests/fixtures/pprof/goroutine-go1.23.pb.gz");
}

/* The example of goroutine-dump-format.md §7, with its elided records: the
 * counts add up to less than the total, so it reads as truncated. */
static const char doc_example[] =
	"goroutine profile: total 60001\n"
	"20000 @ 0x438556 0x448b1e 0x448af5 0x4605c5 0x470dc5 0x4bc745 0x4bc746 0x463e81\n"
	"#\t0x4605c4\tsync.runtime_SemacquireMutex+0x24\t/usr/local/go/src/runtime/sema.go:77\n"
	"#\t0x470dc4\tsync.(*Mutex).lockSlow+0x164\t\t/usr/local/go/src/sync/mutex.go:171\n"
	"#\t0x4bc744\tsync.(*Mutex).Lock+0xa4\t\t\t/usr/local/go/src/sync/mutex.go:90\n"
	"#\t0x4bc745\tmain.handler+0xa5\t\t\t/home/user/app/main.go:23\n"
	"\n"
	"1 @ 0x437816 0x4462cc 0x4b4e77 0x461421\n"
	"# labels: {\"conn\":\"db\", \"svc\":\"users\"}\n"
	"#\t0x4b4e76\tmain.main.func1.1+0x16\t/home/user/app/heap.go:19\n"
	"\n";

static void test_doc_example(void **state)
{
	struct recs rs = { .stop_after = 0 };
	enum gd_err e;
	struct debug1_parser *p = parse(doc_example, sizeof(doc_example) - 1, 3, &rs, &e);
	(void)state;

	assert_int_equal(e, GD_OK);
	assert_int_equal(debug1_parser_total(p), 60001);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.r[0].count, 20000);
	assert_int_equal(rs.r[0].nframes, 4);
	assert_string_equal(rs.r[0].func[0], "sync.runtime_SemacquireMutex");
	assert_string_equal(rs.r[0].file[0], "/usr/local/go/src/runtime/sema.go");
	assert_int_equal(rs.r[0].line[0], 77);
	assert_string_equal(rs.r[0].func[1], "sync.(*Mutex).lockSlow");
	assert_string_equal(rs.r[0].func[2], "sync.(*Mutex).Lock");
	assert_string_equal(rs.r[0].file[2], "/usr/local/go/src/sync/mutex.go");
	assert_int_equal(rs.r[0].line[2], 90);
	assert_string_equal(rs.r[0].func[3], "main.handler");
	assert_string_equal(rs.r[1].labels, "{\"conn\":\"db\", \"svc\":\"users\"}");
	assert_string_equal(rs.r[1].func[0], "main.main.func1.1");
	assert_true(debug1_parser_truncated(p));
	debug1_parser_free(p);
}

static void test_cut_anywhere(void **state)
{
	size_t len;
	char *text = slurp("tests/fixtures/debug1/profilegen-go1.19.txt", &len);
	(void)state;

	/* Every cut before the end is detected as truncated, and no record
	 * reaches the callback with a partial stack. */
	for (size_t cut = 40; cut < len; cut++) {
		struct recs rs = { .stop_after = 0 };
		enum gd_err e;
		struct debug1_parser *p = parse(text, cut, 5, &rs, &e);
		size_t full = 0;
		assert_int_equal(e, GD_OK);
		/* Complete only when the text ends, without its newline, in a
		 * whole "#\t...\tFILE:LINE" frame line of the last record:
		 * nothing visible was lost (the rule debug=2 uses too). */
		if (!debug1_parser_truncated(p)) {
			const char *ls = text + cut;
			while (ls > text && ls[-1] != '\n')
				ls--;
			assert_true(text[cut] != '\0' && ls[0] == '#' && text[cut - 1] >= '0' && text[cut - 1] <= '9');
			assert_int_equal(debug1_parser_stats(p)->goroutines, 126);
		}
		/* Each emitted record is a full one from the fixture. */
		for (size_t i = 0; i < rs.n; i++) {
			if (rs.r[i].count == 100 || rs.r[i].count == 20)
				assert_int_equal(rs.r[i].nframes, 1);
			if (rs.r[i].count == 5)
				assert_int_equal(rs.r[i].nframes, 4);
			full++;
		}
		assert_true(full <= 3 || !debug1_parser_truncated(p));
		debug1_parser_free(p);
	}
	free(text);
}

static void test_odd_lines(void **state)
{
	static const char text[] =
		"\r\n"
		"goroutineleak profile: total 3\r\n"
		"2 @ 0x1 0x2\r\n"
		"#\t0x4605c4\r\n"
		"#\t0x470dc4\tmain.gen[...]+0x10\t\t/app/x y.go:12\r\n"
		"#\t0x470dc5\tmain.nofile+0x1\r\n"
		"#\t0x470dc6\tmain.badoff+0xzz\t/app/a.go:notanumber\r\n"
		"this line is noise\r\n"
		"\r\n"
		"1 @ 0x1\n"
		"#\t0x1\tmain.f+0x1\t/a.go:1\n"
		"1 @ 0x2\n" /* no blank line before: still a new record */
		"#\t0x2\tmain.g+0x1\t/a.go:2\n"
		"\n";
	struct recs rs = { .stop_after = 0 };
	enum gd_err e;
	struct debug1_parser *p = parse(text, sizeof(text) - 1, 1, &rs, &e);
	(void)state;

	assert_int_equal(e, GD_OK);
	assert_string_equal(debug1_parser_profile_name(p), "goroutineleak");
	assert_int_equal(debug1_parser_total(p), 3);
	assert_false(debug1_parser_truncated(p));
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.r[0].nframes, 4);
	assert_string_equal(rs.r[0].func[0], "0x4605c4");
	assert_string_equal(rs.r[0].file[0], "");
	assert_int_equal(rs.r[0].flags[0], GD_FRAME_NOFILE);
	assert_string_equal(rs.r[0].func[1], "main.gen[...]");
	assert_string_equal(rs.r[0].file[1], "/app/x y.go");
	assert_int_equal(rs.r[0].line[1], 12);
	assert_string_equal(rs.r[0].func[2], "main.nofile");
	assert_int_equal(rs.r[0].flags[2], GD_FRAME_NOFILE);
	assert_string_equal(rs.r[0].func[3], "main.badoff+0xzz");
	assert_string_equal(rs.r[0].file[3], "/app/a.go:notanumber");
	assert_int_equal(rs.r[0].line[3], 0);
	assert_string_equal(rs.r[1].func[0], "main.f");
	assert_string_equal(rs.r[2].func[0], "main.g");
	assert_int_equal(debug1_parser_stats(p)->noise_lines, 1);
	debug1_parser_free(p);
}

static void test_long_lines(void **state)
{
	size_t big = (3u << 20) + 5;
	const char head[] = "goroutine profile: total 2\n1 @ 0x1\n#\t0x1\tmain.f+0x1\t/a.go:1\n\n";
	const char tail[] = "\n1 @ 0x2\n#\t0x2\tmain.g+0x1\t/a.go:2\n\n";
	char *text = malloc(sizeof(head) + big + sizeof(tail));
	size_t len = 0;
	(void)state;

	memcpy(text, head, sizeof(head) - 1);
	len += sizeof(head) - 1;
	memset(text + len, 'x', big);
	len += big;
	memcpy(text + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	/* Whole, and in pieces that split the long line across feeds. */
	for (size_t step = 1000; step <= len; step = step * 1000 > len ? len : step * 1000) {
		struct recs rs = { .stop_after = 0 };
		enum gd_err e;
		struct debug1_parser *p = parse(text, len, step, &rs, &e);
		assert_int_equal(e, GD_OK);
		assert_int_equal(debug1_parser_stats(p)->long_lines, 1);
		assert_int_equal(rs.n, 2);
		assert_string_equal(rs.r[1].func[0], "main.g");
		assert_false(debug1_parser_truncated(p));
		debug1_parser_free(p);
		if (step == len)
			break;
	}
	free(text);
}

static void test_not_debug1(void **state)
{
	size_t len;
	char *heap = slurp("tests/fixtures/debug1/heap-go1.19.txt", &len);
	struct recs rs = { .stop_after = 0 };
	enum gd_err e;
	struct debug1_parser *p;
	(void)state;

	p = parse(heap, len, 100, &rs, &e);
	assert_int_equal(e, GD_EFORMAT);
	assert_non_null(strstr(debug1_parser_error(p), "not a debug=1 profile header"));
	assert_int_equal(rs.n, 0);
	debug1_parser_free(p);

	p = parse("threadcreate profile: total 7\n", 30, 4, &rs, &e);
	assert_int_equal(e, GD_EFORMAT);
	assert_string_equal(debug1_parser_error(p),
			    "line 1: a threadcreate profile, not a goroutine profile");
	debug1_parser_free(p);

	p = parse("goroutine 1 [running]:\nmain.main()\n", 35, 35, &rs, &e);
	assert_int_equal(e, GD_EFORMAT);
	debug1_parser_free(p);

	p = parse("goroutine profile: total 12x\n", 29, 29, &rs, &e);
	assert_int_equal(e, GD_EFORMAT);
	assert_non_null(strstr(debug1_parser_error(p), "bad total"));
	debug1_parser_free(p);

	p = parse("", 0, 1, &rs, &e);
	assert_int_equal(e, GD_EFORMAT);
	assert_string_equal(debug1_parser_error(p), "empty input");
	debug1_parser_free(p);
	free(heap);
}

static void test_callback_stops(void **state)
{
	size_t len;
	char *text = slurp("tests/fixtures/debug1/profilegen-go1.19.txt", &len);
	struct recs rs = { .stop_after = 2 };
	enum gd_err e;
	struct debug1_parser *p = parse(text, len, 10, &rs, &e);
	(void)state;
	assert_int_equal(e, GD_EARG);
	assert_int_equal(rs.n, 2);
	assert_int_equal(debug1_parser_feed(p, "\n", 1), GD_EARG);
	assert_int_equal(rs.n, 2);
	debug1_parser_free(p);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_go119),
		cmocka_unit_test(test_fixture_go123),
		cmocka_unit_test(test_matches_debug0),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_cut_anywhere),
		cmocka_unit_test(test_odd_lines),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_not_debug1),
		cmocka_unit_test(test_callback_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
