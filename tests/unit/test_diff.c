/* SPDX-License-Identifier: MIT */
/* Tests for diagnose/diff and report/diff_report, replaying two real
 * bundles of tests/scenarios/growleak taken 2 s apart: the leaking bucket
 * (main.subscribe), allocation site (main.keep) and peer come first with
 * the right numbers; a debug=1 profile matches a debug=2 dump by stack; a
 * snapshot compared with itself grew nothing; the minimums filter; the
 * --pprof profile decodes with the goroutine and byte deltas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diagnose/diff.h"
#include "pprof/profile.h"
#include "report/diff_report.h"
#include "util/banned.h"

static char fix[1024];

static const char *fixture(const char *rel)
{
	const char *src = getenv("SRCDIR");
	snprintf(fix, sizeof(fix), "%s/tests/fixtures/diff/%s", src ? src : ".", rel);
	return fix;
}

static void load(struct snapshot *s, struct report *rep, const char *rel)
{
	struct collect_opts o;
	struct gd_errbuf eb = { "" };
	struct report_snapshot *rs;
	collect_opts_init(&o);
	report_init(rep, rel);
	rs = report_add_snapshot(rep, rel, 0);
	snapshot_init(s);
	if (snapshot_collect(s, fixture(rel), &o, rs, &eb))
		fail_msg("%s: %s", rel, eb.msg);
}

static bool func_is(const struct gd_frame *f, const char *name)
{
	return f->func_len == strlen(name) && !memcmp(f->func, name, f->func_len);
}

static const struct gd_frame *own_frame(const struct bucket *b)
{
	for (uint32_t i = 0; i < b->nframes; i++)
		if (strncmp(b->frames[i].func, "runtime.", 8))
			return &b->frames[i];
	return NULL;
}

static void test_bundles(void **state)
{
	struct snapshot a, b;
	struct report ra, rb;
	struct diff_result d;
	const struct heap_site *site;
	(void)state;
	load(&a, &ra, "growleak-a");
	load(&b, &rb, "growleak-b");
	diff_compute(&d, &a, &b, NULL);
	assert_true(d.has_goroutines && d.has_heap && d.has_sockets);
	assert_int_equal(d.seconds, 2);
	assert_int_equal(d.goroutines_before, 56);
	assert_int_equal(d.goroutines_after, 96);
	/* The leaking bucket first. */
	assert_true(func_is(own_frame(d.buckets[0].rep), "main.subscribe"));
	assert_int_equal(d.buckets[0].before, 35);
	assert_int_equal(d.buckets[0].after, 75);
	assert_int_equal(d.buckets[0].delta, 40);
	assert_true(d.buckets[0].grew);
	assert_string_equal(d.buckets[0].state, "select");
	assert_true(d.buckets[1].delta < 40);
	/* The leaking allocation site first: 8 more chunks of 256 KiB. */
	site = d.sites[0].site;
	assert_string_equal(site->frames[0].func, "main.keep");
	assert_int_equal(d.sites[0].delta_objects, 8);
	assert_true(d.sites[0].delta_bytes >= 8 * (256 << 10) - 4096 && d.sites[0].delta_bytes <= 8 * (256 << 10) + 4096);
	assert_true(d.sites[1].delta_bytes < d.sites[0].delta_bytes / 10);
	/* The peer that grew: one more connection each way per step. */
	assert_int_equal(d.peers[0].delta, 8);
	assert_int_equal(d.peers[1].delta, 8);
	assert_true(d.peers[0].inbound != d.peers[1].inbound);
	assert_true(d.grew >= 3);
	assert_int_equal(d.nnotes, 0);

	/* The profile of the difference. */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct gd_errbuf eb = { "" };
		struct profile p;
		int64_t goroutines = 0, bytes = 0;
		assert_int_equal(diff_write_pprof(f, &d, &eb), GD_OK);
		fclose(f);
		profile_init(&p);
		assert_int_equal(profile_decode(&p, buf, len, NULL, &eb), GD_OK);
		assert_int_equal(p.nsample_types, 2);
		for (size_t i = 0; i < p.nsamples; i++) {
			bytes += p.samples[i].values[0];
			goroutines += p.samples[i].values[1];
		}
		assert_int_equal(goroutines, (int64_t)d.goroutines_after - (int64_t)d.goroutines_before);
		assert_int_equal(bytes, (int64_t)d.heap_after - (int64_t)d.heap_before);
		profile_release(&p);
		free(buf);
	}

	/* The minimums: only the leak is left growing. */
	{
		struct diff_opts o;
		size_t grew = 0;
		diff_opts_init(&o);
		o.min_goroutines = 10;
		o.min_bytes = 1 << 20;
		o.min_sockets = 5;
		diff_release(&d);
		diff_compute(&d, &a, &b, &o);
		for (size_t i = 0; i < d.nbuckets; i++)
			grew += d.buckets[i].grew;
		assert_int_equal(grew, 1);
		grew = 0;
		for (size_t i = 0; i < d.nsites; i++)
			grew += d.sites[i].grew;
		assert_int_equal(grew, 1);
		assert_int_equal(d.grew, 4);
	}
	diff_release(&d);

	/* Itself: nothing grew, and nothing to put in a profile. */
	diff_compute(&d, &a, &a, NULL);
	assert_int_equal(d.grew, 0);
	assert_int_equal(d.nbuckets, 0);
	assert_int_equal(d.npeers, 0);
	{
		struct gd_errbuf eb = { "" };
		FILE *f = fopen("/dev/null", "w");
		assert_int_equal(diff_write_pprof(f, &d, &eb), GD_EFORMAT);
		fclose(f);
	}
	diff_release(&d);
	snapshot_release(&a);
	snapshot_release(&b);
	report_release(&ra);
	report_release(&rb);
}

static void test_mixed_inputs(void **state)
{
	struct snapshot a, b;
	struct report ra, rb;
	struct diff_result d;
	(void)state;
	/* debug=1 text against a debug=2 dump: the same stacks match. */
	load(&a, &ra, "growleak-a/goroutine-debug1.txt");
	load(&b, &rb, "growleak-b/goroutine-debug2.txt");
	diff_compute(&d, &a, &b, NULL);
	assert_true(d.has_goroutines);
	assert_false(d.has_heap);
	assert_true(func_is(own_frame(d.buckets[0].rep), "main.subscribe"));
	assert_int_equal(d.buckets[0].before, 35);
	assert_int_equal(d.buckets[0].after, 75);
	diff_release(&d);
	snapshot_release(&b);
	report_release(&rb);
	/* A dump against a heap profile: nothing in common, and said so. */
	load(&b, &rb, "growleak-b/heap-debug1.txt");
	diff_compute(&d, &a, &b, NULL);
	assert_false(d.has_goroutines || d.has_heap || d.has_sockets);
	assert_int_equal(d.grew, 0);
	assert_true(d.nnotes >= 2);
	assert_non_null(strstr(d.notes[0], "B has no goroutine dump"));
	diff_release(&d);
	snapshot_release(&a);
	snapshot_release(&b);
	report_release(&ra);
	report_release(&rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundles),
		cmocka_unit_test(test_mixed_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
