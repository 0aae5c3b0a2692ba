/* SPDX-License-Identifier: MIT */
/* Trend detection over one time series: is the lower envelope rising?
 *
 * Shared by `godiag watch` (samples from its SQLite store) and `godiag fleet`
 * (range queries from Prometheus); neither keeps its own copy.  Pure: points
 * in, verdict out; no I/O, no printing.  docs/trends.md explains the method.
 *
 * Method: split the series into periods (default 24 h), take the minimum of
 * each period (the troughs: what the service holds when it is least busy),
 * fit a Theil-Sen slope through the troughs and test it with Mann-Kendall.
 * Spikes that return to the baseline leave the troughs flat; a single step
 * up that then stays flat is reported as TREND_STEP, not as a trend. */
#ifndef GODIAG_SERIES_TREND_H
#define GODIAG_SERIES_TREND_H

#include <stdbool.h>
#include <stddef.h>

struct series_point {
	double t;   /* unix seconds */
	double v;   /* NaN for a missing sample (ignored) */
};

struct trend_params {
	double period_s;        /* trough window; default 86400 (--period) */
	size_t min_periods;     /* fewer troughs than this: TREND_INSUFFICIENT (default 4) */
	double alpha;           /* Mann-Kendall significance level (default 0.05) */
	double min_growth_frac; /* growth per period below this fraction of the baseline is noise (default 0.02);
				 * per day at the default period, per period in compressed tests */
	double min_growth_abs;  /* ... and below this absolute amount per period (default 0) */
	double limit;           /* a known ceiling (cgroup memory.max, fd limit, GOMEMLIMIT); 0: none */
	double min_coverage;    /* a period with fewer samples than this fraction of the fullest
				 * period is partial and gives no trough (default 0.8) */
	double madv_min_bytes;  /* trend_madv_hold: RSS must hold at least this much above the heap
				 * (default 64 MiB, the bar of `godiag mem`) ... */
	double madv_min_frac;   /* ... and at least this fraction of the RSS peak (default 0.10) */
	double since;           /* ignore points before this time (the last restart, when the
				 * caller knows it: a restart starts a new lower envelope); 0: none */
};

void trend_params_init(struct trend_params *p);

/* The floor of min_growth_abs for a memory series (RSS, heap), per period.
 * Below it is a runtime's own drift.  A higher floor would trade away slow
 * real leaks: bench/fleet.sh generates heap leaks from 4% of a 16 MiB heap
 * a day, and scores recall 1.0 at this floor.  (A compressed test period
 * must still hold GC cycles, or the GC sawtooth itself rises for minutes:
 * tests/scenarios/waves runs one per period.) */
#define TREND_MIN_GROWTH_BYTES (1024.0 * 1024)

enum trend_kind {
	TREND_INSUFFICIENT, /* too few points or periods to say anything */
	TREND_FLAT,         /* troughs do not rise (includes spikes that return) */
	TREND_RISING,       /* troughs rise significantly: a leak's signature */
	TREND_STEP,         /* one step up, flat before and after: not a trend */
	TREND_FALLING,
};
const char *trend_kind_name(enum trend_kind k); /* "insufficient", "flat", "rising", "step", "falling" */

#define TREND_MAX_TROUGHS 512

struct trend_result {
	enum trend_kind kind;
	size_t npoints;          /* usable points */
	size_t ntroughs;
	double trough_t[TREND_MAX_TROUGHS]; /* time of each trough (its minimum's sample) */
	double trough_v[TREND_MAX_TROUGHS];
	double slope_per_s;      /* Theil-Sen slope of the troughs */
	double growth_per_day;   /* slope_per_s * 86400 */
	double baseline;         /* first trough (or fitted value at the first period) */
	double last;             /* last trough */
	double last_peak;        /* maximum of the last complete period */
	double mk_s, mk_z;       /* Mann-Kendall statistic S and its normal score z */
	double p_value;          /* one-sided p for the direction of S (rising when S > 0):
				  * exact (ties included) up to 20 troughs, normal beyond */
	double step_at;          /* TREND_STEP: time of the step, else 0 */
	double step_size;
	double seconds_to_limit; /* until the last period's peak, growing at the trough slope,
				  * reaches the limit (0: already there); < 0 when no limit or not rising */
};

/* Analyse n points (need not be sorted by t; NaNs are skipped).  Returns
 * false only on bad arguments. */
bool trend_analyse(const struct series_point *pts, size_t n, const struct trend_params *p,
		   struct trend_result *out);

/* The MADV_FREE signature over time: RSS troughs stay near the RSS peak while
 * the heap in use falls back.  rss and heap are sampled on (roughly) the same
 * times.  held_frac is how much of the peak-to-heap-trough gap RSS still
 * holds at its troughs (1.0: all of it). */
struct madv_hold_result {
	bool held;               /* the signature is present */
	size_t nperiods;         /* complete periods compared */
	double rss_peak, rss_trough, heap_peak, heap_trough; /* troughs: medians over the recent periods */
	double held_frac;
	double held_bytes;       /* rss_trough - heap_trough */
};
bool trend_madv_hold(const struct series_point *rss, size_t nrss, const struct series_point *heap,
		     size_t nheap, const struct trend_params *p, struct madv_hold_result *out);

#endif
