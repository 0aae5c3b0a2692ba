/* SPDX-License-Identifier: MIT */
/* The second look: goroutine ids of two debug=2 dumps, matched by id and
 * stack; and the one duration format of doctor's reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "diagnose/finding.h"
#include "diagnose/survival.h"
#include "goroutine/group.h"

static const char earlier[] =
	"goroutine 1 [running]:\nmain.main()\n\t/app/main.go:10 +0x1\n\n"
	"goroutine 7 [IO wait, 1 minutes]:\nnet/http.(*conn).serve(0x1)\n\t/go/src/net/http/server.go:1991 +0x2\n\n"
	"goroutine 8 [IO wait, 1 minutes]:\nnet/http.(*conn).serve(0x2)\n\t/go/src/net/http/server.go:1991 +0x2\n\n"
	"goroutine 9 [IO wait]:\nnet/http.(*conn).serve(0x3)\n\t/go/src/net/http/server.go:1991 +0x2\n\n";
/* 7 survived (waits grew), 8 is gone, 9 is at another stack, 10 is new. */
static const char later[] =
	"goroutine 1 [running]:\nmain.main()\n\t/app/main.go:10 +0x1\n\n"
	"goroutine 7 [IO wait, 4 minutes]:\nnet/http.(*conn).serve(0x1)\n\t/go/src/net/http/server.go:1991 +0x2\n\n"
	"goroutine 9 [select]:\nmain.other()\n\t/app/main.go:20 +0x1\n\n"
	"goroutine 10 [IO wait]:\nnet/http.(*conn).serve(0x4)\n\t/go/src/net/http/server.go:1991 +0x2\n\n";

static void test_survival(void **state)
{
	struct survival_set a, b;
	struct survival_count c;
	struct gd_errbuf eb = { "" };
	struct grouping g;
	uint64_t key = 0;
	(void)state;
	survival_set_init(&a);
	survival_set_init(&b);
	assert_int_equal(survival_set_parse(&a, earlier, sizeof(earlier) - 1, &eb), GD_OK);
	assert_int_equal(survival_set_parse(&b, later, sizeof(later) - 1, &eb), GD_OK);
	assert_int_equal(a.n, 4);
	assert_int_equal(b.n, 4);
	assert_true(a.v[1].has_wait && a.v[1].wait_minutes == 1);
	/* The key of a bucket equals the key of its goroutines. */
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	{
		struct gd_goroutine gr;
		struct gd_frame f = { .func = "net/http.(*conn).serve", .func_len = 22, .file = "/go/src/net/http/server.go",
				      .file_len = 26, .line = 1991, .args = "", .args_len = 0 };
		memset(&gr, 0, sizeof(gr));
		gr.id = 7;
		gr.state = "IO wait";
		gr.state_len = 7;
		gr.frames = &f;
		gr.nframes = 1;
		grouping_add_goroutine(&gr, &g);
		assert_int_equal(g.nbuckets, 1);
		key = survival_frames_key(g.buckets[0].frames, g.buckets[0].nframes);
	}
	assert_true(key == a.v[1].key);
	survival_count(&a, &b, &key, 1, &c);
	assert_int_equal(c.earlier, 3);
	assert_int_equal(c.survived, 1);
	assert_int_equal(c.waits_grew, 1);
	grouping_release(&g);
	survival_set_release(&a);
	survival_set_release(&b);
}

static void test_duration_format(void **state)
{
	char b[64];
	(void)state;
	report_format_duration(b, sizeof(b), 0.00042);
	assert_string_equal(b, "0.42 ms");
	report_format_duration(b, sizeof(b), 0.35);
	assert_string_equal(b, "350 ms");
	report_format_duration(b, sizeof(b), 42.4);
	assert_string_equal(b, "42 s");
	report_format_duration(b, sizeof(b), 59.6); /* rounded once: not "0 min 60 s" */
	assert_string_equal(b, "1 min");
	report_format_duration(b, sizeof(b), 190);
	assert_string_equal(b, "3 min 10 s");
	report_format_duration(b, sizeof(b), 7500);
	assert_string_equal(b, "2 h 5 min");
	report_format_duration(b, sizeof(b), 3 * 86400 + 43200);
	assert_string_equal(b, "3.5 days");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_survival),
		cmocka_unit_test(test_duration_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
