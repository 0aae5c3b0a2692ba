/* SPDX-License-Identifier: MIT */
/* fleet: the analysis.  Per instance, the trough test of src/series on each
 * metric, RSS against the heap, and the MADV_FREE hold; then the findings,
 * ranked by severity and growth rate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"
#include "runtime/godebug.h"
#include "util/human.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Growth smaller than this per period is not worth a finding, however
 * significant: one goroutine, fd or socket; one MiB.  (The relative bar,
 * 2% of the level, does the rest.) */
static double min_abs(enum fleet_metric m)
{
	switch (m) {
	case FM_GOROUTINES:
	case FM_FDS:
	case FM_SOCKETS: return 1;
	case FM_RSS:
	case FM_HEAP:
	case FM_RELEASED: return TREND_MIN_GROWTH_BYTES;
	case FM_N: break;
	}
	return 0;
}

static void analyse_metric(const struct fleet_opts *o, const struct fleet_report *r, struct fleet_instance *in,
			   enum fleet_metric m)
{
	struct trend_params tp = o->tp;
	struct fleet_series *s = &in->m[m];

	if (!s->n)
		return;
	tp.min_growth_abs = tp.min_growth_abs > min_abs(m) ? tp.min_growth_abs : min_abs(m);
	/* a restart inside the range starts a new envelope: from the end of
	 * its warm-up (two windows) on */
	if (in->start_time > r->start)
		tp.since = in->start_time + 2 * r->window_s;
	if (m == FM_FDS && in->fd_limit > 0)
		tp.limit = in->fd_limit;
	if ((m == FM_RSS || m == FM_HEAP) && in->mem_limit > 0)
		tp.limit = in->mem_limit;
	if (trend_analyse(s->pts, s->n, &tp, &in->tr[m]))
		in->analysed[m] = true;
}

static const char *fmt_value(char *buf, size_t n, double v, enum fleet_metric m)
{
	if (!strcmp(fleet_metric_unit(m), "bytes")) {
		char tmp[32];
		human_bytes(tmp, sizeof(tmp), (uint64_t)fabs(v));
		snprintf(buf, n, "%s%.24s", v < 0 ? "-" : "", tmp);
	} else {
		snprintf(buf, n, "%.0f", v);
	}
	return buf;
}

static void fmt_duration(char *buf, size_t n, double s)
{
	if (s < 120)
		snprintf(buf, n, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, n, "%.0f min", s / 60);
	else if (s < 3 * 86400)
		snprintf(buf, n, "%.1f h", s / 3600);
	else
		snprintf(buf, n, "%.1f days", s / 86400);
}

static struct fleet_suspect *add_suspect(struct fleet_report *r, size_t inst, const char *rule,
					 enum severity sev, enum fleet_metric m, double growth_per_day, double rate)
{
	ALLOC_GROW(r->suspects, r->nsuspects + 1, r->suspects_alloc);
	struct fleet_suspect *s = &r->suspects[r->nsuspects++];
	memset(s, 0, sizeof(*s));
	s->inst = inst;
	s->rule = rule;
	s->severity = sev;
	s->metric = m;
	s->growth_per_day = growth_per_day;
	s->rate = rate;
	/* the finding: in rep, pointed at once all are added */
	report_add_finding(&r->rep, rule, sev, 0.9);
	return s;
}

static struct finding *suspect_finding(struct fleet_report *r, size_t k)
{
	return &r->rep.findings[k];
}

/* The evidence of a trough trend, common to every growth finding. */
static void trend_evidence(struct finding *f, const struct fleet_report *r, const struct trend_result *t,
			   enum fleet_metric m)
{
	char what[256], a[32], b[32];
	const char *unit = fleet_metric_unit(m);
	const char *src = fleet_metric_name(m);

	snprintf(what, sizeof(what), "%s -> %s over %zu whole periods of %s", fmt_value(a, sizeof(a), t->trough_v[0], m),
		 fmt_value(b, sizeof(b), t->last, m), t->ntroughs, r->period_s >= 86400 ? "a day" : "the --period");
	finding_add_fact(f, "troughs (the minimum of each period), first -> last", what, src);
	finding_add_evidence(f, "growth of the troughs per day (Theil-Sen)", t->growth_per_day, unit, src);
	finding_add_evidence(f, "growth per period over the baseline", t->baseline > 0 ? t->slope_per_s * r->period_s / t->baseline : 0,
			     "ratio", src);
	finding_add_evidence(f, "Mann-Kendall S over the troughs", t->mk_s, "", src);
	finding_add_evidence(f, "one-sided p that the troughs do not rise", t->p_value, "", "Mann-Kendall");
	if (t->seconds_to_limit >= 0) {
		char d[32];
		fmt_duration(d, sizeof(d), t->seconds_to_limit);
		snprintf(what, sizeof(what), "time until the peaks reach the limit (%s)", d);
		finding_add_evidence(f, what, t->seconds_to_limit, "seconds", src);
	}
}

static enum severity growth_severity(const struct trend_result *t, double period_s, double rate)
{
	/* critical: the limit within a week, or a fifth more every period */
	if ((t->seconds_to_limit >= 0 && t->seconds_to_limit < 7 * 86400) || rate >= 0.2)
		return SEV_CRITICAL;
	(void)period_s;
	return SEV_WARNING;
}

static double rate_of(const struct trend_result *t, double period_s)
{
	double level = t->baseline > 0 ? t->baseline : t->last > 0 ? t->last : 1;
	return t->slope_per_s * period_s / level;
}

static const char *const growth_rule[FM_N] = {
	"goroutine-growth-trend", "rss-growth-trend", "heap-growth-trend", NULL, "socket-growth-trend",
	"socket-growth-trend",
};

static void growth_finding(struct fleet_report *r, size_t i, enum fleet_metric m, const char *extra)
{
	struct fleet_instance *in = &r->inst[i];
	const struct trend_result *t = &in->tr[m];
	double rate = rate_of(t, r->period_s);
	struct fleet_suspect *s = add_suspect(r, i, growth_rule[m], growth_severity(t, r->period_s, rate), m,
					      t->growth_per_day, rate);
	(void)s;
	struct finding *f = suspect_finding(r, r->rep.nfindings - 1);
	char a[32], b[32], c[32];
	const char *unit = fleet_metric_unit(m);
	const char *what = m == FM_GOROUTINES ? "goroutines" : m == FM_RSS ? "RSS" : m == FM_HEAP ? "heap in use"
		: m == FM_FDS ? "open fds" : "TCP sockets in use on the node";
	if (!strcmp(unit, "bytes"))
		finding_set_summary(f, "%s rises at off-peak: troughs %s -> %s, +%s a day (p=%.2g)%s%s", what,
				    fmt_value(a, sizeof(a), t->trough_v[0], m), fmt_value(b, sizeof(b), t->last, m),
				    fmt_value(c, sizeof(c), t->growth_per_day, m), t->p_value,
				    extra ? "; " : "", extra ? extra : "");
	else
		finding_set_summary(f, "%s rise at off-peak: troughs %s -> %s, +%.0f %s a day (p=%.2g)%s%s", what,
				    fmt_value(a, sizeof(a), t->trough_v[0], m), fmt_value(b, sizeof(b), t->last, m),
				    t->growth_per_day, unit, t->p_value, extra ? "; " : "", extra ? extra : "");
	trend_evidence(f, r, t, m);
}

/* MADV_FREE is what the runtime uses on Go 1.12-1.15 (Linux >= 4.5), and on
 * 1.16+ only with GODEBUG=madvdontneed=0; before 1.12 it returned memory
 * with MADV_DONTNEED. */
static bool madv_possible(const char *go_version, char *why, size_t n)
{
	struct go_version v;
	if (!go_version || !go_version_parse(go_version, &v)) {
		snprintf(why, n, "Go version unknown (no go_info)");
		return true;
	}
	if (!go_version_at_least(&v, 1, 12, 0)) {
		snprintf(why, n, "%s returns memory with MADV_DONTNEED", go_version);
		return false;
	}
	struct godebug_eval ev;
	godebug_eval_compute(&ev, go_version, NULL, NULL, NULL, NULL);
	if (go_version_at_least(&v, 1, 16, 0))
		snprintf(why, n, "%s uses MADV_DONTNEED by default: released pages still in RSS say GODEBUG=madvdontneed=0 is set",
			 go_version);
	else
		snprintf(why, n, "%s returns memory with MADV_FREE by default (Linux >= 4.5)", go_version);
	godebug_eval_release(&ev);
	return true;
}

static void madv_finding(struct fleet_report *r, size_t i)
{
	struct fleet_instance *in = &r->inst[i];
	const struct madv_hold_result *h = &in->madv;
	char why[256], a[32], b[32];

	if (!h->held || !in->m[FM_RELEASED].n)
		return;
	/* the runtime believes it gave the pages back: most of what RSS holds
	 * above the heap is counted as released.  Without that it is scavenger
	 * lag or memory outside the heap, not MADV_FREE. */
	double released = 0;
	const struct fleet_series *rs = &in->m[FM_RELEASED];
	for (size_t k = 0; k < rs->n; k++)
		if (isfinite(rs->pts[k].v) && rs->pts[k].t >= rs->pts[rs->n - 1].t - r->period_s)
			released = rs->pts[k].v > released ? rs->pts[k].v : released;
	if (released < 0.5 * h->held_bytes)
		return;
	if (!madv_possible(in->go_version, why, sizeof(why)))
		return;
	add_suspect(r, i, "rss-held-by-madv-free", SEV_INFO, FM_RSS, 0, h->held_frac);
	struct finding *f = suspect_finding(r, r->rep.nfindings - 1);
	finding_set_summary(f, "RSS holds %s at off-peak while the heap falls back to %s: pages returned with "
			    "MADV_FREE stay in RSS until the kernel needs them (not a leak)",
			    fmt_value(a, sizeof(a), h->rss_trough, FM_RSS), fmt_value(b, sizeof(b), h->heap_trough, FM_HEAP));
	finding_add_evidence(f, "RSS peak", h->rss_peak, "bytes", "process_resident_memory_bytes");
	finding_add_evidence(f, "RSS at the troughs (median of the recent periods)", h->rss_trough, "bytes",
			     "process_resident_memory_bytes");
	finding_add_evidence(f, "heap in use at the troughs", h->heap_trough, "bytes", "go_memstats_heap_inuse_bytes");
	finding_add_evidence(f, "heap in use peak", h->heap_peak, "bytes", "go_memstats_heap_inuse_bytes");
	finding_add_evidence(f, "share of the returnable memory RSS still holds", h->held_frac, "ratio", "");
	finding_add_evidence(f, "heap released, as the runtime counts it", released, "bytes",
			     "go_memstats_heap_released_bytes");
	finding_add_fact(f, "memory policy", why, "go_info");
	finding_set_fix(f, "GODEBUG=madvdontneed=1 (Go 1.12-1.15), or Go >= 1.16 without madvdontneed=0; the "
			   "memory is reclaimable, so alert on RSS minus LazyFree, not on RSS", NULL);
}

static int cmp_suspect(const void *a, const void *b)
{
	const struct fleet_suspect *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->rate != y->rate)
		return x->rate > y->rate ? -1 : 1;
	return x->inst < y->inst ? -1 : x->inst > y->inst;
}

void fleet_analyse(const struct fleet_opts *o, struct fleet_report *r)
{
	if (!r->rep.target)
		report_init(&r->rep, r->prometheus);
	if (!(r->period_s > 0))
		r->period_s = o->tp.period_s;
	for (size_t i = 0; i < r->ninst; i++) {
		struct fleet_instance *in = &r->inst[i];
		for (int m = 0; m < FM_N; m++)
			analyse_metric(o, r, in, (enum fleet_metric)m);
		if (in->m[FM_RSS].n && in->m[FM_HEAP].n) {
			struct trend_params tp = o->tp;
			if (in->start_time > r->start)
				tp.since = in->start_time + 2 * r->window_s;
			trend_madv_hold(in->m[FM_RSS].pts, in->m[FM_RSS].n, in->m[FM_HEAP].pts, in->m[FM_HEAP].n, &tp,
					&in->madv);
		}
	}
	for (size_t i = 0; i < r->ninst; i++) {
		struct fleet_instance *in = &r->inst[i];
		bool rising[FM_N];
		for (int m = 0; m < FM_N; m++)
			rising[m] = in->analysed[m] && in->tr[m].kind == TREND_RISING;
		if (in->node) {
			if (rising[FM_SOCKETS])
				growth_finding(r, i, FM_SOCKETS, "node-wide: the sockets of every process on the host");
			continue;
		}
		if (rising[FM_GOROUTINES])
			growth_finding(r, i, FM_GOROUTINES, NULL);
		if (rising[FM_HEAP])
			growth_finding(r, i, FM_HEAP, rising[FM_RSS] ? "RSS follows it" : NULL);
		else if (rising[FM_RSS]) {
			/* RSS against heap: RSS climbs, the heap does not */
			char extra[128];
			snprintf(extra, sizeof(extra), "the heap in use is %s: memory outside the Go heap (cgo, stacks, "
				 "mmap) or fragmentation",
				 in->analysed[FM_HEAP] ? trend_kind_name(in->tr[FM_HEAP].kind) : "not exported");
			growth_finding(r, i, FM_RSS, extra);
			struct finding *f = suspect_finding(r, r->rep.nfindings - 1);
			finding_add_fact(f, "heap in use over the same troughs",
					 in->analysed[FM_HEAP] ? trend_kind_name(in->tr[FM_HEAP].kind) : "not exported",
					 "go_memstats_heap_inuse_bytes");
		}
		if (rising[FM_FDS])
			growth_finding(r, i, FM_FDS, "a Go service's fds are mostly sockets");
		madv_finding(r, i);
	}
	for (size_t k = 0; k < r->nsuspects; k++)
		r->suspects[k].f = suspect_finding(r, k);
	/* rank; findings stay where they are, suspects point at them */
	qsort(r->suspects, r->nsuspects, sizeof(*r->suspects), cmp_suspect);
	fleet_drill(o, r);
}
