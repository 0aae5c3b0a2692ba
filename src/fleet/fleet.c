/* SPDX-License-Identifier: MIT */
/* fleet: the queries.  One discovery query names the instances; then, all
 * at once with a bound, the instant facts (Go version, start time, limits)
 * and the lower envelope of each metric, batched by instances so that an
 * answer stays under max_samples and by time so that a series stays under
 * the server's points limit.  Each answer is merged into the instance
 * table as it arrives and released at once. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/fleet.h"
#include "remote/promapi.h"
#include "util/hash.h"
#include "util/numparse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *const metric_names[FM_N] = {
	"go_goroutines",
	"process_resident_memory_bytes",
	"go_memstats_heap_inuse_bytes",
	"go_memstats_heap_released_bytes",
	"process_open_fds",
	"node_sockstat_TCP_inuse",
};

const char *fleet_metric_name(enum fleet_metric m)
{
	return m < FM_N ? metric_names[m] : "?";
}

const char *fleet_metric_unit(enum fleet_metric m)
{
	switch (m) {
	case FM_GOROUTINES: return "goroutines";
	case FM_RSS:
	case FM_HEAP:
	case FM_RELEASED: return "bytes";
	case FM_FDS: return "fds";
	case FM_SOCKETS: return "sockets";
	case FM_N: break;
	}
	return "";
}

void fleet_opts_init(struct fleet_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->range_str = "7d";
	o->step_str = "1m";
	o->end = (double)time(NULL);
	o->range_s = 7 * 86400;
	o->step_s = 60;
	trend_params_init(&o->tp);
	fetch_opts_init(&o->fetch);
	o->fetch.total_timeout_ms = 60000;
	o->fetch.stall_timeout_ms = 30000;
	o->fetch.max_bytes = (uint64_t)256 << 20;
	o->parallel = 4;
	o->max_points = 11000;
	o->max_samples = 250000;
	o->drill_top = 3;
	o->max_stw_ms = 100;
}

void fleet_report_init(struct fleet_report *r)
{
	memset(r, 0, sizeof(*r));
}

static void drill_release(struct fleet_drill *d)
{
	free(d->url);
	free(d->note);
	free(d->rule);
	free(d->summary);
	for (size_t i = 0; i < d->nframes; i++)
		free(d->frames[i]);
	free(d->frames);
}

/* The instance index lives behind the report (open addressing over
 * job\0instance). */
struct inst_index {
	size_t *slot; /* instance number + 1; 0 empty */
	size_t size;
};

void fleet_report_release(struct fleet_report *r)
{
	free(r->prometheus);
	free(r->range_str);
	free(r->step_str);
	free(r->selector);
	for (size_t i = 0; i < r->ninst; i++) {
		struct fleet_instance *in = &r->inst[i];
		free(in->job);
		free(in->instance);
		free(in->host);
		free(in->go_version);
		for (int m = 0; m < FM_N; m++)
			free(in->m[m].pts);
	}
	free(r->inst);
	report_release(&r->rep);
	free(r->suspects);
	for (size_t i = 0; i < r->ndrills; i++)
		drill_release(&r->drills[i]);
	free(r->drills);
	for (size_t i = 0; i < r->nerrors; i++)
		free(r->errors[i]);
	free(r->errors);
	if (r->index) {
		struct inst_index *ix = r->index;
		free(ix->slot);
		free(ix);
	}
	fleet_report_init(r);
}

__attribute__((format(printf, 2, 3))) static void add_error(struct fleet_report *r, const char *fmt, ...)
{
	char buf[GD_ERRBUF_SIZE + 128];
	va_list ap;
	if (r->nerrors >= 200) /* a broken server must not flood the report */
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ALLOC_GROW(r->errors, r->nerrors + 1, r->errors_alloc);
	r->errors[r->nerrors] = xstrdup(r->nerrors == 199 ? "... more errors not shown" : buf);
	r->nerrors++;
}

static uint64_t inst_hash(const char *job, const char *instance)
{
	return gd_hash_bytes(instance, strlen(instance), gd_hash_bytes(job, strlen(job) + 1, 7));
}

/* "10.0.0.5:8080" -> "10.0.0.5"; "[::1]:9090" -> "::1"; "host" -> "host". */
static char *host_of(const char *instance)
{
	const char *p = instance, *end;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end)
			return xstrndup(p + 1, (size_t)(end - p - 1));
	}
	end = strrchr(p, ':');
	if (end && strchr(p, ':') == end)
		return xstrndup(p, (size_t)(end - p));
	return xstrdup(p);
}

struct fleet_instance *fleet_instance_get(struct fleet_report *r, const char *job, const char *instance,
					  bool node)
{
	struct inst_index *ix = r->index;
	if (!ix) {
		ix = r->index = xcalloc(1, sizeof(*ix));
		ix->size = 1024;
		ix->slot = xcalloc(ix->size, sizeof(*ix->slot));
	}
	uint64_t h = inst_hash(job, instance);
	size_t mask = ix->size - 1, i = (size_t)h & mask;
	for (; ix->slot[i]; i = (i + 1) & mask) {
		struct fleet_instance *in = &r->inst[ix->slot[i] - 1];
		if (!strcmp(in->job, job) && !strcmp(in->instance, instance))
			return in;
	}
	ALLOC_GROW(r->inst, r->ninst + 1, r->inst_alloc);
	struct fleet_instance *in = &r->inst[r->ninst++];
	memset(in, 0, sizeof(*in));
	in->job = xstrdup(job);
	in->instance = xstrdup(instance);
	in->host = host_of(instance);
	in->node = node;
	if (!node)
		r->ngo++;
	ix->slot[i] = r->ninst;
	if (r->ninst * 2 > ix->size) {
		/* grow and rehash */
		size_t nsize = ix->size * 2;
		size_t *ns = xcalloc(nsize, sizeof(*ns));
		for (size_t k = 0; k < r->ninst; k++) {
			size_t j = (size_t)inst_hash(r->inst[k].job, r->inst[k].instance) & (nsize - 1);
			while (ns[j])
				j = (j + 1) & (nsize - 1);
			ns[j] = k + 1;
		}
		free(ix->slot);
		ix->slot = ns;
		ix->size = nsize;
	}
	return in;
}

/* --- building the queries ------------------------------------------------- */

/* NAME{inner[,extra]}: the user's selector with the metric name and an
 * optional extra matcher. */
static char *selector_expr(const char *name, const char *inner, const char *extra)
{
	struct strbuf sb;
	strbuf_init(&sb, STRBUF_UNLIMITED);
	strbuf_addf(&sb, "%s{%s%s%s}", name, inner, *inner && extra && *extra ? "," : "",
		    extra ? extra : "");
	return strbuf_detach(&sb, NULL);
}

/* The inside of "{...}", checked: the braces, and no newline. */
static enum gd_err selector_inner(const char *sel, char **inner, struct gd_errbuf *eb)
{
	size_t n;
	if (!sel || !*sel) {
		*inner = xstrdup("");
		return GD_OK;
	}
	while (*sel == ' ')
		sel++;
	n = strlen(sel);
	while (n && sel[n - 1] == ' ')
		n--;
	if (n < 2 || sel[0] != '{' || sel[n - 1] != '}' || memchr(sel, '\n', n))
		return gd_fail(eb, GD_EARG, "--selector: expected label matchers in braces, like "
			       "'{job=~\"api.*\"}'");
	*inner = xstrndup(sel + 1, n - 2);
	return GD_OK;
}

enum qkind { Q_DISCOVER, Q_INFO, Q_START, Q_MAXFDS, Q_MEMLIMIT, Q_RANGE };

struct qmeta {
	enum qkind kind;
	enum fleet_metric metric;
	char *expr;
};

struct run {
	const struct fleet_opts *o;
	struct fleet_report *r;
	size_t done, total;
};

static void progress(const struct fleet_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const struct fleet_opts *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	if (!o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->progress(buf, o->progress_arg);
}

static void append_points(struct fleet_series *s, const struct series_point *p, size_t n)
{
	if (s->n + n > s->alloc) {
		s->alloc = (s->n + n) * 2;
		s->pts = xreallocarray(s->pts, s->alloc, sizeof(*s->pts));
	}
	memcpy(s->pts + s->n, p, n * sizeof(*p));
	s->n += n;
}

static void merge(struct prom_query *q, void *arg)
{
	struct run *run = arg;
	struct fleet_report *r = run->r;
	struct qmeta *m = q->user;

	run->done++;
	r->queries++;
	r->bytes += q->bytes;
	if (run->total > 8 && (run->done % 8 == 0 || run->done == run->total))
		progress(run->o, "fleet: %zu/%zu queries, %.1f MB", run->done, run->total,
			 (double)r->bytes / 1e6);
	if (q->err) {
		r->queries_failed++;
		add_error(r, "%s", q->eb.msg);
		return;
	}
	for (size_t i = 0; i < q->result.nwarnings; i++)
		add_error(r, "warning from prometheus (%s): %s", fleet_metric_name(m->metric),
			  q->result.warnings[i]);
	if (q->result.bad_points)
		add_error(r, "%zu malformed samples skipped (%s)", q->result.bad_points,
			  fleet_metric_name(m->metric));
	for (size_t i = 0; i < q->result.nseries; i++) {
		const struct prom_series *s = &q->result.series[i];
		const char *job = prom_series_label(s, "job"), *instance = prom_series_label(s, "instance");
		if (!instance)
			continue; /* not per instance: nothing to attribute */
		if (!job)
			job = "";
		bool node = m->kind == Q_RANGE && m->metric == FM_SOCKETS;
		struct fleet_instance *in = fleet_instance_get(r, job, instance, node);
		if (!s->npts)
			continue;
		double v = s->pts[s->npts - 1].v;
		switch (m->kind) {
		case Q_DISCOVER:
			break;
		case Q_INFO: {
			const char *ver = prom_series_label(s, "version");
			if (ver && !in->go_version)
				in->go_version = xstrndup(ver, strnlen(ver, 64));
			break;
		}
		case Q_START:
			if (isfinite(v) && v > in->start_time)
				in->start_time = v;
			break;
		case Q_MAXFDS:
			if (isfinite(v) && v > 0)
				in->fd_limit = v;
			break;
		case Q_MEMLIMIT:
			/* math.MaxInt64 when GOMEMLIMIT is not set */
			if (isfinite(v) && v > 0 && v < 9e18)
				in->mem_limit = v;
			break;
		case Q_RANGE:
			append_points(&in->m[m->metric], s->pts, s->npts);
			r->points += s->npts;
			break;
		}
	}
	prom_result_release(&q->result);
}

struct qlist {
	struct prom_query *q;
	struct qmeta *m;
	size_t n, alloc, malloc_;
};

static void qlist_add(struct qlist *l, enum qkind kind, enum fleet_metric metric, char *expr, double start,
		      double end, double step)
{
	ALLOC_GROW(l->q, l->n + 1, l->alloc);
	ALLOC_GROW(l->m, l->n + 1, l->malloc_);
	struct qmeta *m = &l->m[l->n];
	struct prom_query *q = &l->q[l->n];
	memset(q, 0, sizeof(*q));
	m->kind = kind;
	m->metric = metric;
	m->expr = expr;
	q->expr = expr;
	q->start = start;
	q->end = end;
	q->step = step;
	l->n++;
}

static void qlist_run(struct qlist *l, struct promapi_client *c, struct run *run)
{
	/* the user pointers are set only now: ALLOC_GROW may have moved m */
	for (size_t i = 0; i < l->n; i++)
		l->q[i].user = &l->m[i];
	run->done = 0;
	run->total = l->n;
	promapi_run(c, l->q, l->n, merge, run);
	for (size_t i = 0; i < l->n; i++)
		free(l->m[i].expr);
	free(l->q);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

/* Range expressions of the lower envelope, over one matcher set. */
static char *envelope_expr(enum fleet_metric m, const char *inner, const char *extra, const char *w)
{
	struct strbuf sb;
	char *a, *b, *c;
	strbuf_init(&sb, STRBUF_UNLIMITED);
	switch (m) {
	case FM_HEAP:
		a = selector_expr("go_memstats_heap_inuse_bytes", inner, extra);
		b = selector_expr("go_memory_classes_heap_objects_bytes", inner, extra);
		c = selector_expr("go_memory_classes_heap_unused_bytes", inner, extra);
		strbuf_addf(&sb, "min_over_time(%s[%s]) or (min_over_time(%s[%s]) + min_over_time(%s[%s]))", a,
			    w, b, w, c, w);
		free(a);
		free(b);
		free(c);
		break;
	case FM_RELEASED:
		a = selector_expr("go_memstats_heap_released_bytes", inner, extra);
		b = selector_expr("go_memory_classes_heap_released_bytes", inner, extra);
		strbuf_addf(&sb, "min_over_time(%s[%s]) or min_over_time(%s[%s])", a, w, b, w);
		free(a);
		free(b);
		break;
	default:
		a = selector_expr(metric_names[m], inner, extra);
		strbuf_addf(&sb, "min_over_time(%s[%s])", a, w);
		free(a);
		break;
	}
	return strbuf_detach(&sb, NULL);
}

static void fmt_secs(char *buf, size_t n, double s)
{
	snprintf(buf, n, "%.0fs", s < 1 ? 1 : s);
}

enum gd_err fleet_run(const struct fleet_opts *o, struct fleet_report *r, struct gd_errbuf *eb)
{
	struct promapi_client c;
	struct qlist l = { 0 };
	struct run run = { o, r, 0, 0 };
	char *inner = NULL, rng[32], win[32];
	enum gd_err rc;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fleet_report_init(r);
	r->prometheus = xstrdup(o->prometheus ? o->prometheus : "");
	r->range_str = xstrdup(o->range_str ? o->range_str : "");
	r->step_str = xstrdup(o->step_str ? o->step_str : "");
	r->selector = xstrdup(o->selector ? o->selector : "");
	if (!o->prometheus || !(o->range_s > 0) || !(o->step_s > 0) || !(o->tp.period_s > 0))
		return gd_fail(eb, GD_EARG, "fleet: no Prometheus URL, or a bad range, step or period");
	rc = selector_inner(o->selector, &inner, eb);
	if (rc)
		return rc;

	/* the window: the step, but no finer than 48 per period (the phase bins
	 * of trend.c): Prometheus then sends the envelope, not every sample */
	double w = o->step_s;
	if (w < o->tp.period_s / 48)
		w = o->tp.period_s / 48;
	w = ceil(w);
	r->window_s = w;
	r->period_s = o->tp.period_s;
	r->end = floor(o->end / w) * w; /* aligned: windows the same run to run */
	r->start = r->end - o->range_s;
	fmt_secs(rng, sizeof(rng), o->range_s);
	fmt_secs(win, sizeof(win), w);

	promapi_client_init(&c, o->prometheus);
	c.fetch = o->fetch;
	c.parallel = o->parallel;
	c.server_timeout_s = (double)o->fetch.total_timeout_ms / 1000.0;

	/* 1. who is there: the series API reads the index, not the samples */
	{
		char *sel = selector_expr("go_goroutines", inner, NULL);
		qlist_add(&l, Q_DISCOVER, FM_GOROUTINES, sel, r->start, r->end, 0);
		l.q[l.n - 1].series = true;
		progress(o, "fleet: asking %s which instances export go_goroutines", o->prometheus);
		qlist_run(&l, &c, &run);
	}
	if (!r->ninst) {
		rc = r->nerrors ? gd_fail(eb, GD_EHTTP, "%s", r->errors[0])
				: gd_fail(eb, GD_ENOENT, "%s: no instance exports go_goroutines%s%s in the last %s",
					  o->prometheus, *inner ? " matching " : "", *inner ? o->selector : "",
					  o->range_str ? o->range_str : rng);
		free(inner);
		return rc;
	}

	/* 2. instant facts and the envelopes, all concurrent */
	static const struct {
		enum qkind kind;
		const char *fn, *name;
	} facts[] = {
		{ Q_INFO, "last_over_time", "go_info" },
		{ Q_START, "max_over_time", "process_start_time_seconds" },
		{ Q_MAXFDS, "last_over_time", "process_max_fds" },
		{ Q_MEMLIMIT, "last_over_time", "go_gc_gomemlimit_bytes" },
	};
	/* the facts as of the end: over a recent window only (a [7d] range
	 * would decode a week of samples for one value) */
	char recent[32];
	double rw = o->tp.period_s < 3600 ? o->tp.period_s : 3600;
	if (rw < 4 * w)
		rw = 4 * w;
	fmt_secs(recent, sizeof(recent), rw);
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		struct strbuf sb;
		char *sel = selector_expr(facts[i].name, inner, NULL);
		strbuf_init(&sb, STRBUF_UNLIMITED);
		strbuf_addf(&sb, "%s(%s[%s])", facts[i].fn, sel, recent);
		free(sel);
		qlist_add(&l, facts[i].kind, FM_GOROUTINES, strbuf_detach(&sb, NULL), 0, r->end, 0);
	}

	double starts[256], ends[256];
	size_t nchunks = promapi_plan_range(r->start + w, r->end, w, o->max_points, starts, ends, 256);
	if (!nchunks) {
		free(inner);
		return gd_fail(eb, GD_EARG, "fleet: --range %s at a %s window needs too many queries", rng, win);
	}
	size_t pts_per_series = (size_t)(o->range_s / w) + 1;
	size_t per_chunk = pts_per_series / nchunks + 1;
	size_t batch = o->max_samples / (per_chunk ? per_chunk : 1);
	if (batch < 1)
		batch = 1;
	size_t ngo = r->ninst;
	const char **names = xcalloc(ngo, sizeof(*names));
	for (size_t i = 0; i < ngo; i++)
		names[i] = r->inst[i].instance;
	for (size_t b0 = 0; b0 < ngo; b0 += batch) {
		size_t nb = ngo - b0 < batch ? ngo - b0 : batch;
		char *extra = NULL;
		if (nb < ngo) {
			struct strbuf sb;
			strbuf_init(&sb, STRBUF_UNLIMITED);
			strbuf_addstr(&sb, "instance=~\"");
			promapi_regex_alternation(&sb, names + b0, nb);
			strbuf_addch(&sb, '"');
			extra = strbuf_detach(&sb, NULL);
		}
		for (int m = 0; m < FM_N; m++) {
			if (m == FM_SOCKETS || m == FM_RELEASED)
				continue; /* sockets per node below; released only where RSS holds */
			for (size_t k = 0; k < nchunks; k++)
				qlist_add(&l, Q_RANGE, (enum fleet_metric)m, envelope_expr((enum fleet_metric)m, inner, extra, win),
					  starts[k], ends[k], w);
		}
		free(extra);
	}
	free(names);
	/* node_exporter's sockets: per node, whatever the selector (a node is
	 * not a service); kept for the hosts of the instances above */
	for (size_t k = 0; k < nchunks; k++)
		qlist_add(&l, Q_RANGE, FM_SOCKETS, envelope_expr(FM_SOCKETS, "", NULL, win), starts[k], ends[k], w);
	progress(o, "fleet: %zu instances; %zu queries (%zu per metric, a %s window)", ngo, l.n,
		 (l.n - 4) / (FM_N - 1), win);
	qlist_run(&l, &c, &run);

	/* 2b. the heap released, only for the instances whose RSS holds while
	 * their heap falls back (the MADV_FREE candidates): one metric less to
	 * read for the rest of the fleet */
	{
		const char **cand = xcalloc(r->ninst ? r->ninst : 1, sizeof(*cand));
		size_t ncand = 0;
		for (size_t i = 0; i < r->ninst; i++) {
			struct fleet_instance *in = &r->inst[i];
			struct madv_hold_result h;
			struct trend_params tp = o->tp;
			if (in->node || !in->m[FM_RSS].n || !in->m[FM_HEAP].n)
				continue;
			if (in->start_time > r->start)
				tp.since = in->start_time + 2 * w;
			if (trend_madv_hold(in->m[FM_RSS].pts, in->m[FM_RSS].n, in->m[FM_HEAP].pts, in->m[FM_HEAP].n, &tp,
					    &h) && h.held)
				cand[ncand++] = in->instance;
		}
		for (size_t b0 = 0; b0 < ncand; b0 += batch) {
			size_t nb = ncand - b0 < batch ? ncand - b0 : batch;
			struct strbuf sb;
			strbuf_init(&sb, STRBUF_UNLIMITED);
			strbuf_addstr(&sb, "instance=~\"");
			promapi_regex_alternation(&sb, cand + b0, nb);
			strbuf_addch(&sb, '"');
			char *extra = strbuf_detach(&sb, NULL);
			for (size_t k = 0; k < nchunks; k++)
				qlist_add(&l, Q_RANGE, FM_RELEASED, envelope_expr(FM_RELEASED, inner, extra, win), starts[k],
					  ends[k], w);
			free(extra);
		}
		free(cand);
		if (l.n) {
			progress(o, "fleet: heap released of %zu instance(s) whose RSS holds", ncand);
			qlist_run(&l, &c, &run);
		}
	}
	free(inner);

	/* nodes that host none of the instances are not ours */
	{
		size_t keep = 0;
		for (size_t i = 0; i < r->ninst; i++) {
			struct fleet_instance *in = &r->inst[i];
			bool ours = !in->node;
			for (size_t j = 0; j < r->ninst && !ours; j++)
				ours = !r->inst[j].node && !strcmp(r->inst[j].host, in->host);
			if (!ours) {
				free(in->job);
				free(in->instance);
				free(in->host);
				free(in->go_version);
				for (int m = 0; m < FM_N; m++)
					free(in->m[m].pts);
				continue;
			}
			r->inst[keep++] = *in;
		}
		r->ninst = keep;
		if (r->index) {
			struct inst_index *ix = r->index;
			free(ix->slot);
			free(ix);
			r->index = NULL;
		}
	}
	if (r->queries_failed == r->queries) {
		rc = gd_fail(eb, GD_EHTTP, "%s", r->nerrors ? r->errors[0] : "every query failed");
		return rc;
	}
	fleet_analyse(o, r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->elapsed_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return GD_OK;
}

/* --end: Unix seconds ("1733150000", "1733150000.5") or RFC 3339
 * ("2024-12-02T14:33:20Z", "...20.25+01:00", lower-case t and z too). */
static bool digits(const char *s, int n, int *v)
{
	uint64_t u;

	if (!parse_u64_n(s, (size_t)n, &u))
		return false;
	*v = (int)u;
	return true;
}

bool fleet_parse_time(const char *s, double *out)
{
	char *end;
	int Y, M, D, h, m, sec, oh = 0, om = 0;
	double frac = 0;

	if (!s || !*s)
		return false;
	if (strlen(s) <= 20 && !strchr(s, '-')) {
		for (const char *q = s; *q; q++)
			if ((*q < '0' || *q > '9') && *q != '.')
				return false; /* no hex, exponents, inf */
		double v = strtod(s, &end);
		if (*end || !(v >= 0) || v > 1e11 || s[0] < '0' || s[0] > '9')
			return false;
		*out = v;
		return true;
	}
	if (strlen(s) < 20 || !digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		double scale = 0.1;
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9') {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	int sign = 0;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && digits(p + 1, 2, &oh) && p[3] == ':' &&
		   digits(p + 4, 2, &om)) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return false;
	}
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 || oh > 23 || om > 59 || Y < 1970)
		return false;
	struct tm tm = { 0 };
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	/* timegm normalises 31 February into March: refuse it */
	struct tm back;
	gmtime_r(&t, &back);
	if (back.tm_mday != D || back.tm_mon != M - 1)
		return false;
	*out = (double)t + frac - sign * (oh * 3600.0 + om * 60.0);
	return true;
}
