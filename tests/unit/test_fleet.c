/* SPDX-License-Identifier: MIT */
/* Tests for fleet: the analysis over synthetic instances (leak in waves and
 * its healthy twin, the MADV_FREE hold and its look-alikes, RSS against the
 * heap, a restart, node sockets, the ranking), the renderers (the JSON
 * contract, hostile labels in text, JSON and HTML), --end parsing and the
 * rules' text.  The queries themselves are tested against a real
 * Prometheus in tests/integration/fleet_*.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <jansson.h>
#include <cmocka.h>

#include "fleet/fleet.h"
#include "report/fleet_report.h"
#include "util/banned.h"

#define T0 1796000000.0
#define MIB (1024.0 * 1024.0)
#define N 240 /* 4 minutes at 1 s, 12 waves of 20 s */

static void wave_series(struct fleet_series *s, double base, double peak, double leak_per_period)
{
	s->pts = calloc(N, sizeof(*s->pts));
	assert_non_null(s->pts);
	s->n = s->alloc = N;
	for (size_t i = 0; i < N; i++) {
		double ph = fmod((double)i, 20) / 20;
		double w = ph < 0.5 ? ph * 2 : (1 - ph) * 2;
		s->pts[i].t = T0 + (double)i;
		s->pts[i].v = base + peak * w + floor(leak_per_period * (double)i / 20);
	}
}

static void flat_series(struct fleet_series *s, double v)
{
	s->pts = calloc(N, sizeof(*s->pts));
	assert_non_null(s->pts);
	s->n = s->alloc = N;
	for (size_t i = 0; i < N; i++) {
		s->pts[i].t = T0 + (double)i;
		s->pts[i].v = v;
	}
}

static void setup_opts(struct fleet_opts *o)
{
	fleet_opts_init(o);
	o->tp.period_s = 20;
	o->range_s = N;
	o->step_s = 1;
	o->range_str = "4m";
	o->step_str = "1s";
	o->drill_top = 0;
}

static void setup_report(struct fleet_report *r)
{
	fleet_report_init(r);
	r->prometheus = strdup("http://127.0.0.1:9090");
	r->range_str = strdup("4m");
	r->step_str = strdup("1s");
	r->selector = strdup("");
	r->start = T0 - 1;
	r->end = T0 + N;
	r->window_s = 1;
	r->period_s = 20;
}

/* A healthy Go service: waves of goroutines, RSS following the heap. */
static struct fleet_instance *healthy(struct fleet_report *r, const char *inst)
{
	struct fleet_instance *in = fleet_instance_get(r, "waves", inst, false);
	wave_series(&in->m[FM_GOROUTINES], 10, 200, 0);
	wave_series(&in->m[FM_HEAP], 8 * MIB, 200 * MIB, 0);
	wave_series(&in->m[FM_RSS], 20 * MIB, 200 * MIB, 0);
	flat_series(&in->m[FM_RELEASED], 2 * MIB);
	flat_series(&in->m[FM_FDS], 12);
	in->go_version = strdup("go1.19.8");
	return in;
}

static const struct fleet_suspect *find(const struct fleet_report *r, const char *inst, const char *rule)
{
	for (size_t k = 0; k < r->nsuspects; k++)
		if (!strcmp(r->inst[r->suspects[k].inst].instance, inst) && !strcmp(r->suspects[k].rule, rule))
			return &r->suspects[k];
	return NULL;
}

static size_t count_for(const struct fleet_report *r, const char *inst)
{
	size_t n = 0;
	for (size_t k = 0; k < r->nsuspects; k++)
		n += !strcmp(r->inst[r->suspects[k].inst].instance, inst);
	return n;
}

static void build_fleet(struct fleet_report *r)
{
	struct fleet_instance *in;
	setup_report(r);
	healthy(r, "twin:1");
	in = healthy(r, "leak:1"); /* 3 goroutines kept per wave */
	free(in->m[FM_GOROUTINES].pts);
	wave_series(&in->m[FM_GOROUTINES], 10, 200, 3);
	in = healthy(r, "leak:2"); /* a faster one */
	free(in->m[FM_GOROUTINES].pts);
	wave_series(&in->m[FM_GOROUTINES], 10, 200, 12);
	/* MADV_FREE: RSS stays at the peak, the heap comes back, the runtime
	 * counts the difference as released */
	in = healthy(r, "madv:1");
	free(in->m[FM_RSS].pts);
	flat_series(&in->m[FM_RSS], 240 * MIB);
	free(in->m[FM_RELEASED].pts);
	flat_series(&in->m[FM_RELEASED], 190 * MIB);
	/* the same shape but nothing released: scavenger lag, not MADV_FREE */
	in = healthy(r, "lag:1");
	free(in->m[FM_RSS].pts);
	flat_series(&in->m[FM_RSS], 240 * MIB);
	/* MADV_FREE shape on Go 1.11, which used MADV_DONTNEED */
	in = healthy(r, "old:1");
	free(in->m[FM_RSS].pts);
	flat_series(&in->m[FM_RSS], 240 * MIB);
	free(in->m[FM_RELEASED].pts);
	flat_series(&in->m[FM_RELEASED], 190 * MIB);
	free(in->go_version);
	in->go_version = strdup("go1.11.13");
	/* RSS climbs, the heap does not: memory outside the heap */
	in = healthy(r, "cgo:1");
	free(in->m[FM_RSS].pts);
	wave_series(&in->m[FM_RSS], 20 * MIB, 200 * MIB, 16 * MIB);
	/* heap and RSS climb together: a heap leak */
	in = healthy(r, "heap:1");
	free(in->m[FM_RSS].pts);
	wave_series(&in->m[FM_RSS], 20 * MIB, 200 * MIB, 16 * MIB);
	free(in->m[FM_HEAP].pts);
	wave_series(&in->m[FM_HEAP], 8 * MIB, 200 * MIB, 16 * MIB);
	/* a leak that restarted 100 s in: judged on its new life */
	in = healthy(r, "restarted:1");
	free(in->m[FM_GOROUTINES].pts);
	wave_series(&in->m[FM_GOROUTINES], 10, 200, 6);
	for (size_t i = 0; i < N; i++)
		if (i >= 100)
			in->m[FM_GOROUTINES].pts[i].v -= floor(6.0 * 100 / 20);
	in->start_time = T0 + 100;
	/* a healthy one that restarted: from nothing, then waves */
	in = healthy(r, "restarted:2");
	for (size_t i = 100; i < 104; i++)
		in->m[FM_GOROUTINES].pts[i].v = 1;
	in->start_time = T0 + 100;
	/* a node whose TCP sockets climb, on the host of leak:2 */
	in = fleet_instance_get(r, "node", "leak:9100", true);
	wave_series(&in->m[FM_SOCKETS], 30, 100, 5);
}

static void test_analyse(void **state)
{
	(void)state;
	struct fleet_opts o;
	struct fleet_report r;
	setup_opts(&o);
	build_fleet(&r);
	fleet_analyse(&o, &r);

	assert_non_null(find(&r, "leak:1", "goroutine-growth-trend"));
	assert_non_null(find(&r, "leak:2", "goroutine-growth-trend"));
	assert_int_equal(count_for(&r, "leak:1"), 1);
	assert_int_equal(count_for(&r, "twin:1"), 0);
	assert_non_null(find(&r, "madv:1", "rss-held-by-madv-free"));
	assert_int_equal(count_for(&r, "madv:1"), 1);
	assert_int_equal(count_for(&r, "lag:1"), 0);
	assert_int_equal(count_for(&r, "old:1"), 0);
	assert_non_null(find(&r, "cgo:1", "rss-growth-trend"));
	assert_int_equal(count_for(&r, "cgo:1"), 1);
	assert_non_null(find(&r, "heap:1", "heap-growth-trend"));
	assert_int_equal(count_for(&r, "heap:1"), 1); /* RSS follows: no second finding */
	assert_non_null(find(&r, "restarted:1", "goroutine-growth-trend"));
	assert_int_equal(count_for(&r, "restarted:2"), 0);
	assert_non_null(find(&r, "leak:9100", "socket-growth-trend"));
	assert_int_equal(r.nsuspects, 7);

	/* growth numbers: 3 a wave of 20 s is 12960 a day */
	const struct fleet_suspect *s = find(&r, "leak:1", "goroutine-growth-trend");
	assert_true(fabs(s->growth_per_day - 3 * 86400 / 20) < 0.1 * 3 * 86400 / 20);
	assert_non_null(s->f->summary);
	assert_non_null(strstr(s->f->summary, "goroutines rise at off-peak"));

	/* ranking: severity first, then rate (leak:2 grows 4x faster than leak:1) */
	for (size_t k = 1; k < r.nsuspects; k++) {
		const struct fleet_suspect *a = &r.suspects[k - 1], *b = &r.suspects[k];
		assert_true(a->severity > b->severity || (a->severity == b->severity && a->rate >= b->rate));
	}
	size_t i1 = 0, i2 = 0;
	for (size_t k = 0; k < r.nsuspects; k++) {
		if (&r.suspects[k] == find(&r, "leak:1", "goroutine-growth-trend"))
			i1 = k;
		if (&r.suspects[k] == find(&r, "leak:2", "goroutine-growth-trend"))
			i2 = k;
	}
	assert_true(i2 < i1);
	/* the madv finding is info, last */
	assert_string_equal(r.suspects[r.nsuspects - 1].rule, "rss-held-by-madv-free");
	fleet_report_release(&r);
}

static char *render(void (*fn)(FILE *, const struct fleet_report *), const struct fleet_report *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	assert_non_null(f);
	fn(f, r);
	fclose(f);
	return buf;
}

static void render_text_nocolor(FILE *f, const struct fleet_report *r)
{
	fleet_render_text(f, r, false);
}

static void test_json_contract(void **state)
{
	(void)state;
	struct fleet_opts o;
	struct fleet_report r;
	size_t len;
	setup_opts(&o);
	build_fleet(&r);
	/* a hostile label, and an error line */
	struct fleet_instance *in = healthy(&r, "x\"<script>alert(1)</script>\x1b[2J:1");
	free(in->m[FM_GOROUTINES].pts);
	wave_series(&in->m[FM_GOROUTINES], 10, 200, 30);
	free(in->job);
	in->job = strdup("job</td><img src=x onerror=alert(1)>");
	r.errors = calloc(2, sizeof(char *));
	r.errors[0] = strdup("query min_over_time(...): timed out after 60 s (no response)");
	r.nerrors = 1;
	r.errors_alloc = 2;
	fleet_analyse(&o, &r);

	char *buf = render(fleet_render_json, &r, &len);
	json_error_t je;
	json_t *root = json_loads(buf, 0, &je);
	assert_non_null(root);
	/* exactly the keys of the contract, at the top and in each suspect */
	const char *top[] = { "prometheus", "range", "step", "instances", "suspects", "errors" };
	assert_int_equal(json_object_size(root), 6);
	for (size_t i = 0; i < 6; i++)
		assert_non_null(json_object_get(root, top[i]));
	assert_string_equal(json_string_value(json_object_get(root, "range")), "4m");
	assert_string_equal(json_string_value(json_object_get(root, "step")), "1s");
	assert_int_equal(json_integer_value(json_object_get(root, "instances")), r.ngo);
	json_t *sus = json_object_get(root, "suspects");
	assert_int_equal(json_array_size(sus), r.nsuspects);
	const char *keys[] = { "instance", "job", "rule", "severity", "growth_per_day", "evidence" };
	bool hostile = false;
	for (size_t k = 0; k < json_array_size(sus); k++) {
		json_t *s = json_array_get(sus, k);
		assert_int_equal(json_object_size(s), 6);
		for (size_t i = 0; i < 6; i++)
			assert_non_null(json_object_get(s, keys[i]));
		assert_true(json_is_number(json_object_get(s, "growth_per_day")));
		assert_true(json_array_size(json_object_get(s, "evidence")) >= 2);
		const char *sev = json_string_value(json_object_get(s, "severity"));
		assert_true(!strcmp(sev, "info") || !strcmp(sev, "warning") || !strcmp(sev, "critical"));
		if (!strcmp(json_string_value(json_object_get(s, "instance")), in->instance))
			hostile = true;
	}
	assert_true(hostile); /* the label came through whole, escaped by JSON */
	assert_string_equal(json_string_value(json_array_get(json_object_get(root, "errors"), 0)), r.errors[0]);
	json_decref(root);
	free(buf);

	buf = render(fleet_render_html, &r, &len);
	assert_null(strstr(buf, "<script>"));
	assert_null(strstr(buf, "<img"));
	assert_non_null(strstr(buf, "&lt;script&gt;"));
	assert_non_null(strstr(buf, "<svg"));
	assert_non_null(strstr(buf, "<circle class=\"tr\"")); /* troughs marked */
	assert_non_null(strstr(buf, "default-src 'none'"));
	free(buf);

	buf = render(render_text_nocolor, &r, &len);
	assert_null(memchr(buf, 0x1b, len)); /* no terminal escape from a label */
	assert_non_null(strstr(buf, "goroutine-growth-trend"));
	assert_non_null(strstr(buf, "errors (the rest of the fleet was analysed)"));
	free(buf);
	fleet_report_release(&r);
}

static void test_parse_time(void **state)
{
	(void)state;
	double t;
	assert_true(fleet_parse_time("1733150000", &t) && t == 1733150000);
	assert_true(fleet_parse_time("1733150000.25", &t) && t == 1733150000.25);
	assert_true(fleet_parse_time("2024-12-02T14:33:20Z", &t) && t == 1733150000);
	assert_true(fleet_parse_time("2024-12-02t14:33:20.5z", &t) && t == 1733150000.5);
	assert_true(fleet_parse_time("2024-12-02T15:33:20+01:00", &t) && t == 1733150000);
	assert_true(fleet_parse_time("2024-12-02T09:03:20-05:30", &t) && t == 1733150000);
	static const char *const bad[] = {
		"", "now", "-5", "1e99", "2024-12-02", "2024-12-02T14:33:20", "2024-12-02T14:33:20+0100",
		"2024-02-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-12-02T24:00:00Z", "2024-12-02T14:33:20.Z",
		"2024-12-02T14:33:20Zjunk", "0x10",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (fleet_parse_time(bad[i], &t))
			fail_msg("accepted \"%s\"", bad[i]);
}

static void test_emit_rules(void **state)
{
	(void)state;
	struct fleet_opts o;
	struct gd_errbuf eb;
	char *buf = NULL;
	size_t len;
	setup_opts(&o);
	o.selector = "{job=~\"api.*\"}";
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(fleet_emit_rules(f, &o, &eb), GD_OK);
	fclose(f);
	assert_non_null(strstr(buf, "record: godiag:go_goroutines:trough\n        expr: min_over_time(go_goroutines{job=~\"api.*\"}[20s])"));
	assert_non_null(strstr(buf, "godiag:go_goroutines:trough offset 20s > godiag:go_goroutines:trough offset 40s"));
	assert_non_null(strstr(buf, "godiag_rule: rss-held-by-madv-free"));
	assert_non_null(strstr(buf, "unless on (job, instance)"));
	assert_non_null(strstr(buf, "interval: 1s"));
	free(buf);
	o.selector = "job=\"x\"";
	f = open_memstream(&buf, &len);
	assert_int_equal(fleet_emit_rules(f, &o, &eb), GD_EARG);
	fclose(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analyse),
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_emit_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
