/* SPDX-License-Identifier: MIT */
/* Trend detection over the lower envelope of a series (see trend.h and
 * docs/trends.md).  Everything here is O(n) in the points plus O(k^2) in the
 * troughs (k <= TREND_MAX_TROUGHS), with no allocation unless the points come
 * unsorted, so that fleet can run it over ten thousand series in seconds. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "series/trend.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Exact Mann-Kendall p up to this many troughs; the normal approximation is
 * good beyond and the exact counts would exceed a double's integer range. */
#define TREND_EXACT_MAX 20

void trend_params_init(struct trend_params *p)
{
	memset(p, 0, sizeof(*p));
	p->period_s = 86400;
	p->min_periods = 4;
	p->alpha = 0.05;
	p->min_growth_frac = 0.02;
	p->min_growth_abs = 0;
	p->limit = 0;
	p->min_coverage = 0.8;
	p->madv_min_bytes = 64.0 * 1024 * 1024;
	p->madv_min_frac = 0.10;
}

const char *trend_kind_name(enum trend_kind k)
{
	switch (k) {
	case TREND_INSUFFICIENT: return "insufficient";
	case TREND_FLAT: return "flat";
	case TREND_RISING: return "rising";
	case TREND_STEP: return "step";
	case TREND_FALLING: return "falling";
	}
	return "unknown";
}

static int cmp_point_t(const void *a, const void *b)
{
	const struct series_point *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static bool usable(const struct series_point *pt)
{
	return isfinite(pt->t) && isfinite(pt->v);
}

/* Points sorted by time: the input itself when it already is (the common
 * case: Prometheus and SQLite both return time order), else a sorted copy
 * the caller frees (*copy). */
static const struct series_point *sorted_points(const struct series_point *pts, size_t n,
						struct series_point **copy)
{
	double prev = -INFINITY;
	*copy = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!usable(&pts[i]))
			continue;
		if (pts[i].t < prev) {
			*copy = xmemdup(pts, n * sizeof(*pts));
			qsort(*copy, n, sizeof(**copy), cmp_point_t);
			return *copy;
		}
		prev = pts[i].t;
	}
	return pts;
}

/* Median of a[0..n) (reorders a).  n > 0. */
static double median_inplace(double *a, size_t n)
{
	qsort(a, n, sizeof(*a), cmp_double);
	return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

struct period {
	size_t count;
	double min, min_t, max;
};

/* Where the periods begin.  A boundary at the busiest phase of the rhythm
 * puts each trough in the middle of its period: with boundaries at the
 * quiet hour, one trough can land in two periods (the end of one and the
 * start of the next) and another period gets none.  Returns the first
 * boundary at or after t_last. */
#define PHASE_BINS 48
static double period_anchor(const struct series_point *pts, size_t n, double since, double period_s,
			    double t_last)
{
	double sum[PHASE_BINS] = { 0 };
	size_t cnt[PHASE_BINS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (!usable(&pts[i]) || pts[i].t < since)
			continue;
		double ph = fmod(pts[i].t, period_s);
		if (ph < 0)
			ph += period_s;
		size_t b = (size_t)(ph / period_s * PHASE_BINS);
		if (b >= PHASE_BINS)
			b = PHASE_BINS - 1;
		sum[b] += pts[i].v;
		cnt[b]++;
	}
	size_t best = 0;
	double bestmean = -INFINITY;
	for (size_t b = 0; b < PHASE_BINS; b++)
		if (cnt[b] && sum[b] / (double)cnt[b] > bestmean) {
			bestmean = sum[b] / (double)cnt[b];
			best = b;
		}
	double phase = ((double)best + 0.5) / PHASE_BINS * period_s;
	double base = t_last - fmod(t_last, period_s);
	double anchor = base + phase;
	while (anchor < t_last)
		anchor += period_s;
	while (anchor - period_s >= t_last)
		anchor -= period_s;
	return anchor;
}

/* Split into periods ending at t_end, t_end - period, ...: fills
 * per[0..*nper) oldest first; returns the usable points. */
static size_t split_periods(const struct series_point *pts, size_t n, double t_end, double since,
			    double period_s, struct period *per, size_t *nper)
{
	size_t used = 0, kmax = 0;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!usable(&pts[i]) || pts[i].t > t_end || pts[i].t < since)
			continue;
		double kk = floor((t_end - pts[i].t) / period_s);
		if (kk >= TREND_MAX_TROUGHS)
			continue; /* older than the troughs we keep */
		size_t k = (size_t)kk;
		if (!any) {
			/* sorted: the first point kept is in the oldest period */
			kmax = k;
			for (size_t j = 0; j <= kmax; j++)
				per[j] = (struct period){ 0, INFINITY, 0, -INFINITY };
			any = true;
		}
		struct period *q = &per[k];
		q->count++;
		used++;
		if (pts[i].v < q->min) {
			q->min = pts[i].v;
			q->min_t = pts[i].t;
		}
		if (pts[i].v > q->max)
			q->max = pts[i].v;
	}
	*nper = any ? kmax + 1 : 0;
	/* oldest first */
	for (size_t a = 0, b = *nper ? *nper - 1 : 0; a < b; a++, b--) {
		struct period tmp = per[a];
		per[a] = per[b];
		per[b] = tmp;
	}
	return used;
}

/* Periods with too few samples (the oldest partial one, an instance that
 * vanished for part of a day) could miss the trough: they give none. */
static bool period_complete(const struct period *q, size_t maxcount, double min_coverage)
{
	return q->count > 0 && (double)q->count >= min_coverage * (double)maxcount;
}

/* --- Mann-Kendall ---------------------------------------------------- */

/* poly[0..deg] *= the Gaussian binomial [N choose K]_q, whose coefficient of
 * q^j counts the interleavings of K equal new values, all larger than the N-K
 * already placed, that add j inversions.  work has room for
 * (K+1) * (K*(N-K)+1) doubles. */
static size_t mul_qbinom(double *poly, size_t deg, size_t N, size_t K, double *work, double *tmp)
{
	if (K == 0 || K > N || N > TREND_EXACT_MAX)
		return deg; /* [N choose 0] = 1; beyond the exact range never called */
	size_t d = K * (N - K);
	size_t stride = d + 1;
	/* rolling table over N' = 0..N of [N' choose K']_q, K' = 0..K */
	for (size_t k = 0; k <= K; k++)
		memset(&work[k * stride], 0, stride * sizeof(double));
	work[0] = 1; /* [0 choose 0] */
	for (size_t np = 1; np <= N; np++) {
		size_t top = np < K ? np : K;
		for (size_t k = top; k > 0; k--) {
			double *cur = &work[k * stride], *lower = &work[(k - 1) * stride];
			/* [np,k] = [np-1,k-1] + q^k [np-1,k]: shift cur by k, add lower */
			for (size_t j = d + 1; j-- > 0;)
				cur[j] = (j >= k ? cur[j - k] : 0) + lower[j];
		}
	}
	double *qb = &work[K * stride];
	size_t ndeg = deg + d;
	for (size_t j = 0; j <= ndeg; j++)
		tmp[j] = 0;
	for (size_t a = 0; a <= deg; a++) {
		if (poly[a] == 0)
			continue;
		for (size_t b = 0; b <= d; b++)
			tmp[a + b] += poly[a] * qb[b];
	}
	memcpy(poly, tmp, (ndeg + 1) * sizeof(double));
	return ndeg;
}

/* Exact one-sided p of the observed inversions under H0 (every arrangement
 * of the observed multiset of values equally likely): P(Q <= q_obs) when
 * rising, P(Q >= q_obs) when falling.  v sorted copy of the values. */
static double mk_exact_p(const double *sorted_v, size_t n, size_t q_obs, bool rising)
{
	enum { MAXD = TREND_EXACT_MAX * (TREND_EXACT_MAX - 1) / 2 + 1 };
	double poly[MAXD], tmp[MAXD];
	double work[(TREND_EXACT_MAX + 1) * (TREND_EXACT_MAX * TREND_EXACT_MAX / 4 + 1)];
	size_t deg = 0, placed = 0;
	poly[0] = 1;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && sorted_v[j] == sorted_v[i])
			j++;
		size_t m = j - i;
		placed += m;
		deg = mul_qbinom(poly, deg, placed, m, work, tmp);
		i = j;
	}
	double total = 0, tail = 0;
	for (size_t k = 0; k <= deg; k++) {
		total += poly[k];
		if (rising ? k <= q_obs : k >= q_obs)
			tail += poly[k];
	}
	return total > 0 ? tail / total : 1.0;
}

static void mann_kendall(const double *v, size_t n, struct trend_result *out)
{
	long s = 0;
	size_t inv = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			if (v[j] > v[i])
				s++;
			else if (v[j] < v[i]) {
				s--;
				inv++;
			}
		}
	double sorted[TREND_MAX_TROUGHS];
	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	double var = (double)n * (n - 1) * (2.0 * n + 5);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && sorted[j] == sorted[i])
			j++;
		double t = (double)(j - i);
		var -= t * (t - 1) * (2 * t + 5);
		i = j;
	}
	var /= 18;
	double z = 0;
	if (var > 0)
		z = s > 0 ? (s - 1) / sqrt(var) : s < 0 ? (s + 1) / sqrt(var) : 0;
	out->mk_s = (double)s;
	out->mk_z = z;
	if (s == 0 || var <= 0)
		out->p_value = 1.0;
	else if (n <= TREND_EXACT_MAX)
		out->p_value = mk_exact_p(sorted, n, inv, s > 0);
	else
		out->p_value = 0.5 * erfc(fabs(z) / M_SQRT2);
}

/* --- Theil-Sen -------------------------------------------------------- */

static void theil_sen(const double *t, const double *v, size_t n, double *slope, double *icept)
{
	size_t npairs = n * (n - 1) / 2, m = 0;
	double *sl = xmalloc((npairs ? npairs : 1) * sizeof(*sl));
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (t[j] > t[i])
				sl[m++] = (v[j] - v[i]) / (t[j] - t[i]);
	*slope = m ? median_inplace(sl, m) : 0;
	double res[TREND_MAX_TROUGHS];
	for (size_t i = 0; i < n; i++)
		res[i] = v[i] - *slope * t[i];
	*icept = n ? median_inplace(res, n) : 0;
	free(sl);
}

/* --- one step up --------------------------------------------------------- */

static double median_of(const double *v, size_t n)
{
	double tmp[TREND_MAX_TROUGHS];
	memcpy(tmp, v, n * sizeof(*v));
	return median_inplace(tmp, n);
}

/* How far one side of a step climbs (Theil-Sen over its span), and its
 * scatter around that line (median absolute residual). */
static void side_climb(const double *t, const double *v, size_t n, double *climb, double *scatter)
{
	double s, c, res[TREND_MAX_TROUGHS];
	theil_sen(t, v, n, &s, &c);
	for (size_t i = 0; i < n; i++)
		res[i] = fabs(v[i] - (c + s * t[i]));
	*climb = s * (t[n - 1] - t[0]);
	*scatter = median_inplace(res, n);
}

/* A level shift explains the troughs better than a line when the best
 * two-level fit (a median each side, >= 2 troughs a side) leaves clearly
 * less residual than the Theil-Sen line, and neither level climbs by more
 * than a quarter of the step beyond its own scatter.  The period in which
 * the step happens holds troughs from both levels: its trough may sit in
 * between, so the fit may leave it out. */
static bool find_step(const double *t, const double *v, size_t n, double slope, double icept,
		      bool strict, double *step_at, double *step_size)
{
	if (n < 4)
		return false;
	double lin = 0;
	for (size_t i = 0; i < n; i++)
		lin += fabs(v[i] - (icept + slope * t[i]));
	lin /= (double)n;
	double best = INFINITY, best_l = 0, best_r = 0;
	size_t best_k = 0, best_skip = 0;
	for (size_t k = 2; k + 2 <= n; k++)
		for (size_t skip = 0; skip <= 1 && k + skip + 2 <= n; skip++) {
			size_t r0 = k + skip;
			double ml = median_of(v, k), mr = median_of(v + r0, n - r0), r = 0;
			if (skip && !(v[k] >= ml && v[k] <= mr))
				continue; /* only a trough between the levels is a transition */
			for (size_t i = 0; i < k; i++)
				r += fabs(v[i] - ml);
			for (size_t i = r0; i < n; i++)
				r += fabs(v[i] - mr);
			r /= (double)(n - skip);
			if (r < best) {
				best = r;
				best_k = k;
				best_skip = skip;
				best_l = ml;
				best_r = mr;
			}
		}
	/* leaving a trough out buys a better fit: ask for more */
	if (!best_k || best_r <= best_l || !(best <= (best_skip ? 0.5 : 0.8) * lin))
		return false;
	double step = best_r - best_l;
	/* without a significant rise the step must stand well clear of the
	 * scatter */
	if (strict && step < 4 * best)
		return false;
	/* climbing after the step (or before it) too: that is growth, not a
	 * step.  Two troughs a side are only their scatter, so it takes three. */
	double climb, scatter;
	size_t r0 = best_k + best_skip, nr = n - r0;
	if (nr >= 3) {
		side_climb(t + r0, v + r0, nr, &climb, &scatter);
		if (climb > 0.25 * step + 2 * scatter)
			return false;
	}
	if (best_k >= 3) {
		side_climb(t, v, best_k, &climb, &scatter);
		if (climb > 0.25 * step + 2 * scatter)
			return false;
	}
	*step_at = t[best_k];
	*step_size = step;
	return true;
}

bool trend_analyse(const struct series_point *pts, size_t n, const struct trend_params *p,
		   struct trend_result *out)
{
	if ((!pts && n) || !p || !out || !(p->period_s > 0))
		return false;
	memset(out, 0, sizeof(*out));
	out->kind = TREND_INSUFFICIENT;
	out->seconds_to_limit = -1;

	struct series_point *copy;
	const struct series_point *sp = sorted_points(pts, n, &copy);
	double t_end = -INFINITY;
	for (size_t i = n; i-- > 0;)
		if (usable(&sp[i])) {
			t_end = sp[i].t;
			break;
		}
	struct period per[TREND_MAX_TROUGHS];
	size_t nper = 0;
	if (isfinite(t_end)) {
		double anchor = period_anchor(sp, n, p->since, p->period_s, t_end);
		out->npoints = split_periods(sp, n, anchor, p->since, p->period_s, per, &nper);
	}
	free(copy);

	size_t maxcount = 0;
	for (size_t k = 0; k < nper; k++)
		if (per[k].count > maxcount)
			maxcount = per[k].count;
	size_t nt = 0;
	for (size_t k = 0; k < nper; k++) {
		if (!period_complete(&per[k], maxcount, p->min_coverage))
			continue;
		out->trough_t[nt] = per[k].min_t;
		out->trough_v[nt] = per[k].min;
		out->last_peak = per[k].max;
		nt++;
	}
	out->ntroughs = nt;
	size_t need = p->min_periods < 3 ? 3 : p->min_periods;
	if (nt == 0)
		return true;
	out->baseline = out->trough_v[0];
	out->last = out->trough_v[nt - 1];
	if (nt < need)
		return true;

	const double *tt = out->trough_t, *tv = out->trough_v;
	double slope, icept;
	theil_sen(tt, tv, nt, &slope, &icept);
	mann_kendall(tv, nt, out);
	out->slope_per_s = slope;
	out->growth_per_day = slope * 86400;
	out->baseline = icept + slope * tt[0];

	double growth_per_period = slope * p->period_s;
	double level = fabs(out->baseline) > fabs(median_of(tv, nt)) ? fabs(out->baseline)
								    : fabs(median_of(tv, nt));
	double bar = p->min_growth_frac * level;
	if (p->min_growth_abs > bar)
		bar = p->min_growth_abs;
	bool significant = out->p_value < p->alpha;

	out->kind = TREND_FLAT;
	if (significant && out->mk_s > 0 && growth_per_period > 0 && growth_per_period >= bar) {
		double at, size;
		if (find_step(tt, tv, nt, slope, icept, false, &at, &size)) {
			out->kind = TREND_STEP;
			out->step_at = at;
			out->step_size = size;
		} else {
			out->kind = TREND_RISING;
			if (p->limit > 0) {
				double head = p->limit - out->last_peak;
				out->seconds_to_limit = head <= 0 ? 0 : head / slope;
			}
		}
	} else if (significant && out->mk_s < 0 && growth_per_period < 0 && -growth_per_period >= bar) {
		out->kind = TREND_FALLING;
	} else if (out->mk_s > 0) {
		double at, size;
		/* a level shift no bigger than a few days of noise is no news */
		if (find_step(tt, tv, nt, slope, icept, true, &at, &size) && size >= 5 * bar) {
			out->kind = TREND_STEP;
			out->step_at = at;
			out->step_size = size;
		}
	}
	return true;
}

/* --- the MADV_FREE hold ------------------------------------------------ */

bool trend_madv_hold(const struct series_point *rss, size_t nrss, const struct series_point *heap,
		     size_t nheap, const struct trend_params *p, struct madv_hold_result *out)
{
	if ((!rss && nrss) || (!heap && nheap) || !p || !out || !(p->period_s > 0))
		return false;
	memset(out, 0, sizeof(*out));

	struct series_point *c1, *c2;
	const struct series_point *r = sorted_points(rss, nrss, &c1);
	const struct series_point *h = sorted_points(heap, nheap, &c2);
	double t_end = -INFINITY;
	for (size_t i = nrss; i-- > 0;)
		if (usable(&r[i])) {
			t_end = r[i].t;
			break;
		}
	for (size_t i = nheap; i-- > 0;)
		if (usable(&h[i])) {
			if (h[i].t > t_end)
				t_end = h[i].t;
			break;
		}
	/* both on the same windows, so each period's RSS and heap troughs are
	 * the same part of the day */
	struct period pr[TREND_MAX_TROUGHS], ph[TREND_MAX_TROUGHS];
	size_t npr = 0, nph = 0;
	if (isfinite(t_end)) {
		/* the heap's rhythm: RSS held by MADV_FREE has none */
		double anchor = period_anchor(h, nheap, p->since, p->period_s, t_end);
		split_periods(r, nrss, anchor, p->since, p->period_s, pr, &npr);
		split_periods(h, nheap, anchor, p->since, p->period_s, ph, &nph);
	}
	free(c1);
	free(c2);
	if (!npr || !nph)
		return true;

	/* align newest-first: index from the end */
	size_t n = npr < nph ? npr : nph;
	size_t maxr = 0, maxh = 0;
	out->rss_peak = -INFINITY;
	out->heap_peak = -INFINITY;
	for (size_t k = 0; k < npr; k++) {
		maxr = pr[k].count > maxr ? pr[k].count : maxr;
		if (pr[k].count && pr[k].max > out->rss_peak)
			out->rss_peak = pr[k].max;
	}
	for (size_t k = 0; k < nph; k++) {
		maxh = ph[k].count > maxh ? ph[k].count : maxh;
		if (ph[k].count && ph[k].max > out->heap_peak)
			out->heap_peak = ph[k].max;
	}
	double rt[TREND_MAX_TROUGHS], ht[TREND_MAX_TROUGHS];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct period *a = &pr[npr - 1 - i], *b = &ph[nph - 1 - i];
		if (!period_complete(a, maxr, p->min_coverage) || !period_complete(b, maxh, p->min_coverage))
			continue;
		rt[m] = a->min;
		ht[m] = b->min;
		m++;
	}
	out->nperiods = m;
	if (m < 2)
		return true;
	/* the recent half (newest first in rt/ht): what RSS holds now */
	size_t use = m / 2 < 2 ? 2 : m / 2;
	out->rss_trough = median_of(rt, use);
	out->heap_trough = median_of(ht, use);
	out->held_bytes = out->rss_trough - out->heap_trough;
	double gap = out->rss_peak - out->heap_trough;
	out->held_frac = gap > 0 ? out->held_bytes / gap : 0;
	if (out->held_frac < 0)
		out->held_frac = 0;
	if (out->held_frac > 1)
		out->held_frac = 1;
	double bar = p->madv_min_bytes;
	if (p->madv_min_frac * out->rss_peak > bar)
		bar = p->madv_min_frac * out->rss_peak;
	bool heap_fell = out->heap_peak - out->heap_trough >= p->madv_min_bytes;
	out->held = heap_fell && out->held_bytes >= bar && out->held_frac >= 0.7;
	return true;
}
