/* SPDX-License-Identifier: MIT */
/* Tests for series/trend: synthetic series with daily cycles for each case
 * the detector must get right (rising troughs, flat with spikes that return,
 * one step up, falling, too little data, NaNs, restarts and gaps, unsorted
 * input), the compressed waves of the watch/fleet scenarios, the exact
 * Mann-Kendall p against brute force, and the MADV_FREE hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "series/trend.h"
#include "util/banned.h"

#define DAY 86400.0
#define T0 1700000000.0
#define MIB (1024.0 * 1024.0)

static uint64_t rng = 88172645463325252ull;
static double urand(void) /* [0,1) */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* A service's daily rhythm: quiet at night, busy by day, with noise. */
static double cycle(double t, double base, double amp)
{
	double ph = fmod(t - T0, DAY) / DAY;
	return base + amp * 0.5 * (1 - cos(2 * M_PI * ph)) + (urand() - 0.5) * 0.04 * amp;
}

static struct series_point *gen(size_t n, double step, double (*f)(double t, void *), void *arg)
{
	struct series_point *p = calloc(n, sizeof(*p));
	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		p[i].t = T0 + (double)i * step;
		p[i].v = f(p[i].t, arg);
	}
	return p;
}

static double f_leak(double t, void *arg)
{
	double per_day = *(double *)arg;
	return cycle(t, 200, 400) + per_day * (t - T0) / DAY;
}

static double f_healthy_spikes(double t, void *arg)
{
	(void)arg;
	double v = cycle(t, 200, 400);
	double h = fmod(t - T0, DAY) / 3600;
	int d = (int)((t - T0) / DAY);
	/* a 40-minute spike each day at a different hour, one 3-hour burst on day 4 */
	double at = 2 + 3 * d % 20;
	if (h >= at && h < at + 0.66)
		v += 5000;
	if (d == 4 && h >= 12 && h < 15)
		v += 20000;
	return v;
}

static double f_step(double t, void *arg)
{
	(void)arg;
	double v = cycle(t, 200, 400);
	if (t - T0 >= 3.4 * DAY)
		v += 150;
	return v;
}

static double f_falling(double t, void *arg)
{
	(void)arg;
	return cycle(t, 2000, 400) - 150 * (t - T0) / DAY;
}

static void analyse(const struct series_point *p, size_t n, const struct trend_params *tp,
		    struct trend_result *r)
{
	assert_true(trend_analyse(p, n, tp, r));
}

static void test_rising(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	double per_day = 30; /* 30 goroutines a day on a 200-600 rhythm */
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_leak, &per_day);
	struct trend_result r;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
	assert_int_equal(r.npoints, n);
	assert_int_equal(r.ntroughs, 6); /* the first and last days are partial: boundaries sit at the busy hour */
	assert_true(fabs(r.growth_per_day - 30) < 4);
	assert_true(fabs(r.p_value - 1.0 / 720) < 1e-12);
	assert_true(r.mk_s == 15);
	assert_true(r.baseline > 180 && r.baseline < 240);
	assert_true(r.seconds_to_limit < 0); /* no limit known */

	/* with a limit: time until the last peak, growing at the slope, reaches it */
	tp.limit = 2000;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
	double expect = (2000 - r.last_peak) / r.slope_per_s;
	assert_true(r.last_peak > 750 && r.last_peak < 850);
	assert_true(fabs(r.seconds_to_limit - expect) < 1);
	assert_true(r.seconds_to_limit > 35 * DAY && r.seconds_to_limit < 45 * DAY);
	tp.limit = 500; /* the peaks already cross it */
	analyse(p, n, &tp, &r);
	assert_true(r.seconds_to_limit == 0);

	/* a leak far below the noise bar (0.5 a day on a baseline of 200) is not reported */
	per_day = 0.5;
	free(p);
	p = gen(n, 60, f_leak, &per_day);
	trend_params_init(&tp);
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_FLAT);
	free(p);
}

static void test_flat_with_spikes(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_healthy_spikes, NULL);
	struct trend_result r;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_FLAT);
	assert_int_equal(r.ntroughs, 6);
	for (size_t i = 0; i < r.ntroughs; i++)
		assert_true(r.trough_v[i] < 220);
	assert_true(r.last_peak > 5000); /* the spikes were there */
	free(p);
}

static void test_step(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_step, NULL);
	struct trend_result r;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_STEP);
	assert_true(fabs(r.step_size - 150) < 20);
	assert_true(r.step_at >= T0 + 3 * DAY && r.step_at <= T0 + 5 * DAY);
	assert_true(r.seconds_to_limit < 0);
	free(p);

	/* a step and then growth on top of it is a trend */
	struct series_point q[9];
	for (int i = 0; i < 9; i++) {
		q[i].t = T0 + i * DAY;
		q[i].v = i < 3 ? 100 : 200 + 40 * (i - 3);
	}
	tp.period_s = DAY;
	analyse(q, 9, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
}

static void test_falling(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_falling, NULL);
	struct trend_result r;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_FALLING);
	assert_true(r.growth_per_day < -120 && r.growth_per_day > -180);
	free(p);
}

static void test_insufficient(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	struct trend_result r;
	analyse(NULL, 0, &tp, &r);
	assert_int_equal(r.kind, TREND_INSUFFICIENT);
	assert_int_equal(r.npoints, 0);
	struct series_point one = { T0, 5 };
	analyse(&one, 1, &tp, &r);
	assert_int_equal(r.kind, TREND_INSUFFICIENT);
	assert_int_equal(r.ntroughs, 1);

	/* two and a half days of a strong leak: three troughs, below min_periods */
	double per_day = 500;
	size_t n = (size_t)(2.5 * 1440);
	struct series_point *p = gen(n, 60, f_leak, &per_day);
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_INSUFFICIENT);
	assert_int_equal(r.ntroughs, 2); /* the oldest half day is partial */
	tp.min_periods = 2;              /* never fewer than 3 troughs, whatever asked */
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_INSUFFICIENT);
	free(p);

	/* bad arguments */
	assert_false(trend_analyse(NULL, 3, &tp, &r));
	assert_false(trend_analyse(&one, 1, NULL, &r));
	assert_false(trend_analyse(&one, 1, &tp, NULL));
	tp.period_s = 0;
	assert_false(trend_analyse(&one, 1, &tp, &r));
	tp.period_s = NAN;
	assert_false(trend_analyse(&one, 1, &tp, &r));
}

static void test_nans(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	double per_day = 30;
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_leak, &per_day);
	size_t dropped = 0;
	for (size_t i = 0; i < n; i++)
		if (urand() < 0.1) {
			p[i].v = NAN;
			dropped++;
		}
	p[17].t = NAN;
	p[18].v = INFINITY;
	struct trend_result r;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
	assert_true(r.npoints <= n - dropped && r.npoints >= n - dropped - 2);
	for (size_t i = 0; i < n; i++)
		p[i].v = NAN;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_INSUFFICIENT);
	assert_int_equal(r.npoints, 0);
	free(p);
}

/* A healthy instance restarts on day 3 (goroutines start from nothing and
 * warm up) and vanishes for a night on day 5: neither is a trend.  A leaking
 * one with the same hole is still found; a leaking one that restarts starts
 * a new envelope, which the caller marks with `since`. */
static double restart_at = 3.3;
static double f_restart(double t, void *arg)
{
	double per_day = *(double *)arg;
	double d = (t - T0) / DAY;
	if (d >= 5.1 && d < 5.5)
		return NAN; /* gone: no samples */
	double life = d >= restart_at ? d - restart_at : d;
	double v = cycle(t, 200, 400) + per_day * life;
	if (d >= restart_at && d < restart_at + 0.05)
		v = 20 + (d - restart_at) * 4000; /* back from nothing */
	return v;
}

static void test_restarts_and_gaps(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	double per_day = 0;
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_restart, &per_day);
	struct trend_result r;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.kind, TREND_FLAT);
	assert_int_equal(r.ntroughs, 5); /* and the day with the hole is partial */
	free(p);

	/* the missing points dropped entirely (Prometheus returns no pair for
	 * them); no restart: the leak is still found */
	per_day = 40;
	restart_at = 99;
	p = gen(n, 60, f_restart, &per_day);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(p[i].v))
			p[m++] = p[i];
	analyse(p, m, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
	assert_true(fabs(r.growth_per_day - 40) < 8);
	free(p);

	/* a leaking one restarted on day 1: across the restart the troughs
	 * fall and rise again; from the end of its warm-up on the leak is plain */
	per_day = 60;
	restart_at = 1.0;
	p = gen(n, 60, f_restart, &per_day);
	tp.since = T0 + 1.05 * DAY;
	analyse(p, n, &tp, &r);
	assert_int_equal(r.ntroughs, 4);
	assert_int_equal(r.kind, TREND_RISING);
	assert_true(r.trough_t[0] >= tp.since);
	assert_true(fabs(r.growth_per_day - 60) < 10);
	free(p);
	restart_at = 3.3;
}

static void test_unsorted(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	double per_day = 30;
	size_t n = 7 * 1440;
	struct series_point *p = gen(n, 60, f_leak, &per_day);
	struct trend_result a, b;
	analyse(p, n, &tp, &a);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(urand() * (double)(i + 1));
		struct series_point x = p[i];
		p[i] = p[j];
		p[j] = x;
	}
	analyse(p, n, &tp, &b);
	assert_int_equal(a.kind, b.kind);
	assert_int_equal(a.ntroughs, b.ntroughs);
	assert_true(a.slope_per_s == b.slope_per_s);
	assert_memory_equal(a.trough_v, b.trough_v, a.ntroughs * sizeof(double));
	free(p);
}

/* The watch/fleet scenario, compressed: a wave every 20 s sampled every
 * second; the leaking one keeps 3 goroutines per wave. */
static void waves(struct series_point *p, size_t n, double leak_per_period, double peak)
{
	for (size_t i = 0; i < n; i++) {
		double t = T0 + (double)i;
		double ph = fmod((double)i, 20) / 20;
		double w = ph < 0.5 ? ph * 2 : (1 - ph) * 2;
		p[i].t = t;
		p[i].v = 10 + floor(peak * w) + floor(leak_per_period * (double)i / 20);
	}
}

static void test_compressed_waves(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	tp.period_s = 20;
	struct series_point p[180];
	struct trend_result r;
	waves(p, 180, 3, 200);
	analyse(p, 180, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
	assert_int_equal(r.ntroughs, 8);
	assert_true(fabs(r.slope_per_s * 20 - 3) < 0.5);
	waves(p, 180, 0, 200);
	analyse(p, 180, &tp, &r);
	assert_int_equal(r.kind, TREND_FLAT);
	/* a quarter-minute of data is not enough */
	analyse(p, 15, &tp, &r);
	assert_int_equal(r.kind, TREND_INSUFFICIENT);
}

/* The exact one-sided Mann-Kendall p (ties included) against brute force
 * over every permutation of small multisets. */
static long s_of(const double *v, size_t n)
{
	long s = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			s += (v[j] > v[i]) - (v[j] < v[i]);
	return s;
}

static void permute(double *v, size_t k, size_t n, long s_obs, size_t *ge, size_t *le, size_t *total)
{
	if (k == n) {
		long s = s_of(v, n);
		*ge += s >= s_obs;
		*le += s <= s_obs;
		(*total)++;
		return;
	}
	for (size_t i = k; i < n; i++) {
		double x = v[k];
		v[k] = v[i];
		v[i] = x;
		permute(v, k + 1, n, s_obs, ge, le, total);
		v[i] = v[k];
		v[k] = x;
	}
}

static void test_mk_exact(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	tp.period_s = 10;
	tp.min_periods = 3;
	tp.alpha = 1e-9; /* only the statistics are compared here */
	for (int round = 0; round < 60; round++) {
		size_t n = 3 + (size_t)(urand() * 5); /* 3..7 */
		struct series_point p[8];
		double v[8];
		for (size_t i = 0; i < n; i++) {
			p[i].t = T0 + 10.0 * (double)i;
			p[i].v = v[i] = floor(urand() * (round % 2 ? 3 : 50));
		}
		struct trend_result r;
		analyse(p, n, &tp, &r);
		assert_int_equal(r.ntroughs, n);
		long s = s_of(v, n);
		assert_true(r.mk_s == (double)s);
		if (s == 0) {
			assert_true(r.p_value == 1.0);
			continue;
		}
		size_t ge = 0, le = 0, total = 0;
		permute(v, 0, n, s, &ge, &le, &total);
		double want = s > 0 ? (double)ge / (double)total : (double)le / (double)total;
		assert_true(fabs(r.p_value - want) < 1e-12);
	}
	/* four rising troughs: 1/24 one-sided, significant at 0.05 */
	struct series_point q[4] = { { 0, 1 }, { 10, 2 }, { 20, 3 }, { 30, 4 } };
	struct trend_result r;
	tp.alpha = 0.05;
	tp.min_periods = 4;
	analyse(q, 4, &tp, &r);
	assert_true(fabs(r.p_value - 1.0 / 24) < 1e-12);
	assert_int_equal(r.kind, TREND_RISING);
	/* beyond the exact range: normal approximation */
	struct series_point big[40];
	for (int i = 0; i < 40; i++) {
		big[i].t = 10.0 * i;
		big[i].v = 100 + 5 * i + (i % 3) * 12;
	}
	analyse(big, 40, &tp, &r);
	assert_int_equal(r.kind, TREND_RISING);
	assert_true(r.mk_z > 5 && r.p_value < 1e-6);
}

static void mem_series(struct series_point *rss, struct series_point *heap, size_t n, bool held,
		       double peak_mib)
{
	for (size_t i = 0; i < n; i++) {
		double ph = fmod((double)i, 20) / 20;
		double w = ph < 0.5 ? ph * 2 : (1 - ph) * 2;
		double h = (20 + peak_mib * w) * MIB;
		rss[i].t = heap[i].t = T0 + (double)i;
		heap[i].v = h;
		rss[i].v = held && i >= 10 ? (30 + peak_mib) * MIB : h + 10 * MIB;
	}
}

static void test_madv_hold(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	tp.period_s = 20;
	struct series_point rss[200], heap[200];
	struct madv_hold_result m;

	mem_series(rss, heap, 200, true, 300);
	assert_true(trend_madv_hold(rss, 200, heap, 200, &tp, &m));
	assert_true(m.held);
	assert_int_equal(m.nperiods, 9);
	assert_true(m.rss_peak == 330 * MIB);
	assert_true(m.heap_trough < 30 * MIB);
	assert_true(m.held_frac > 0.95);
	assert_true(m.held_bytes > 290 * MIB);

	/* the twin that returns its memory */
	mem_series(rss, heap, 200, false, 300);
	assert_true(trend_madv_hold(rss, 200, heap, 200, &tp, &m));
	assert_false(m.held);
	assert_true(m.held_frac < 0.1);

	/* held, but too little to matter (the bar of godiag mem: 64 MiB) */
	mem_series(rss, heap, 200, true, 40);
	assert_true(trend_madv_hold(rss, 200, heap, 200, &tp, &m));
	assert_false(m.held);

	/* one period is not "the troughs stay" */
	mem_series(rss, heap, 200, true, 300);
	assert_true(trend_madv_hold(rss, 25, heap, 25, &tp, &m));
	assert_false(m.held);
	assert_true(trend_madv_hold(NULL, 0, heap, 200, &tp, &m));
	assert_false(m.held);
	assert_false(trend_madv_hold(NULL, 3, heap, 200, &tp, &m));
	assert_false(trend_madv_hold(rss, 200, heap, 200, NULL, &m));
}

/* Many instances with day-to-day scatter in their troughs (+-5%) over a
 * week (six whole days): no healthy one is flagged; a leak of 5% a day is
 * found in nearly all (a few look like one step: with six troughs and this
 * scatter they are one); a step in mid-range is nearly always a step. */
static void test_population(void **state)
{
	(void)state;
	struct trend_params tp;
	trend_params_init(&tp);
	size_t n = 7 * 1440;
	struct series_point *p = calloc(n, sizeof(*p));
	int rising[3] = { 0 }, steps = 0;
	for (int kind = 0; kind < 3; kind++)
		for (int seed = 0; seed < 100; seed++) {
			double dayoff[8], stepat = 2 + urand() * 2.5;
			for (int d = 0; d < 8; d++)
				dayoff[d] = (urand() - 0.5) * 20;
			for (size_t i = 0; i < n; i++) {
				double t = T0 + (double)i * 60, d = (t - T0) / DAY;
				double v = cycle(t, 200, 400) + dayoff[(int)d];
				if (kind == 1)
					v += 10 * d;
				if (kind == 2 && d >= stepat)
					v += 60;
				p[i].t = t;
				p[i].v = v;
			}
			struct trend_result r;
			analyse(p, n, &tp, &r);
			rising[kind] += r.kind == TREND_RISING;
			steps += kind == 2 && r.kind == TREND_STEP;
		}
	print_message("population: healthy %d, leak %d, step %d rising; %d steps\n", rising[0],
		      rising[1], rising[2], steps);
	assert_int_equal(rising[0], 0);
	assert_true(rising[1] >= 97);
	assert_true(rising[2] <= 4);
	assert_true(steps >= 90);
	free(p);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(trend_kind_name(TREND_RISING), "rising");
	assert_string_equal(trend_kind_name(TREND_STEP), "step");
	assert_string_equal(trend_kind_name(TREND_FLAT), "flat");
	assert_string_equal(trend_kind_name(TREND_FALLING), "falling");
	assert_string_equal(trend_kind_name(TREND_INSUFFICIENT), "insufficient");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rising),
		cmocka_unit_test(test_flat_with_spikes),
		cmocka_unit_test(test_step),
		cmocka_unit_test(test_falling),
		cmocka_unit_test(test_insufficient),
		cmocka_unit_test(test_nans),
		cmocka_unit_test(test_restarts_and_gaps),
		cmocka_unit_test(test_unsorted),
		cmocka_unit_test(test_compressed_waves),
		cmocka_unit_test(test_mk_exact),
		cmocka_unit_test(test_madv_hold),
		cmocka_unit_test(test_population),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
