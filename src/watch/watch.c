/* SPDX-License-Identifier: MIT */
/* The watch loop: sampling rounds, trend analysis, captures.  See watch.h. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diagnose/bundle.h"
#include "diagnose/diagnose.h"
#include "diagnose/rules.h"
#include "diagnose/snapshot.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "linux/sockdiag.h"
#include "remote/discover.h"
#include "remote/expvar.h"
#include "remote/fetch.h"
#include "remote/promtext.h"
#include "report/doctor_report.h"
#include "util/json_writer.h"
#include "util/strbuf.h"
#include "util/termsafe.h"
#include "util/xalloc.h"
#include "watch/watch.h"
#include "util/banned.h"

#define METRICS_CAP ((size_t)16 << 20)
#define HEAP_CAP ((size_t)32 << 20)
#define FIRST_LINE_CAP ((size_t)4096)

void watch_opts_init(struct watch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_s = 15;
	o->period_s = 86400;
	o->max_stw_ms = 100;
	o->idle_threshold_s = 600;
}

const char *watch_source_name(enum watch_source s)
{
	static const char *const n[] = { "unknown", "metrics", "vars", "pprof", "proc" };
	return (unsigned)s <= WS_NONE ? n[s] : "?";
}

const char *watch_rule_id(enum watch_rule r)
{
	static const char *const n[WR_NR] = { "goroutine-growth-trend", "socket-growth-trend", "rss-growth-trend",
					      "heap-growth-trend", "rss-held-by-madv-free" };
	return (unsigned)r < WR_NR ? n[r] : "?";
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool watch_target_parse(const char *arg, struct watch_target *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (strlen(arg) >= WATCH_NAME_MAX) {
		snprintf(err, errlen, "%.64s...: target too long", arg);
		return false;
	}
	memcpy(t->name, arg, strlen(arg) + 1);
	if (!strncmp(arg, "http://", 7) || !strncmp(arg, "https://", 8)) {
		const char *host = strstr(arg, "://") + 3;
		const char *slash = strchr(host, '/');
		size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
		if (n >= sizeof(t->base) || host[0] == '\0' || host[0] == '/') {
			snprintf(err, errlen, "%s: not a base URL (http://host:port)", arg);
			return false;
		}
		memcpy(t->base, arg, n);
		t->base[n] = '\0';
		t->name[n] = '\0';
		return true;
	}
	{
		char *end;
		long v;
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v <= 0 || v > 4194304) {
			snprintf(err, errlen, "%s: not a PID or an http(s):// URL", arg);
			return false;
		}
		t->pid = (int)v;
	}
	return true;
}

/* ---- events ------------------------------------------------------------ */

static void event(struct watch_state *st, const struct watch_target *t, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void event(struct watch_state *st, const struct watch_target *t, const char *kind, const char *fmt, ...)
{
	char msg[1024];
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *out = st->opts.events;
	va_list ap;
	if (!out)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (st->opts.json_events) {
		struct json_writer jw;
		jw_init(&jw, out, false);
		jw_object_begin(&jw);
		jw_key(&jw, "time");
		jw_string(&jw, ts);
		jw_key(&jw, "target");
		jw_string(&jw, t ? t->name : "");
		jw_key(&jw, "event");
		jw_string(&jw, kind);
		jw_key(&jw, "text");
		jw_string(&jw, msg);
		jw_object_end(&jw);
		jw_end(&jw);
		fputc('\n', out);
	} else {
		fprintf(out, "%s %s %s: ", ts, t ? t->name : "watch", kind);
		termsafe_puts(out, msg);
		fputc('\n', out);
	}
	fflush(out);
}

static void set_down(struct watch_state *st, struct watch_target *t, const char *why)
{
	char clean[600];
	size_t j = 0;
	/* The reason may quote the target's bytes: keep it printable. */
	for (size_t i = 0; why[i] && j + 1 < sizeof(clean); i++)
		clean[j++] = (why[i] >= 0x20 && why[i] < 0x7f) ? why[i] : '?';
	clean[j] = '\0';
	pthread_mutex_lock(&st->mu);
	if (t->up || !t->reason[0] || strcmp(t->reason, clean)) {
		bool changed = t->up || strcmp(t->reason, clean);
		t->up = false;
		memcpy(t->reason, clean, j + 1);
		pthread_mutex_unlock(&st->mu);
		if (changed)
			event(st, t, "down", "%s", clean);
		return;
	}
	pthread_mutex_unlock(&st->mu);
}

/* ---- one sampling round --------------------------------------------------- */

enum rq_kind { RQ_METRICS = WB_METRICS, RQ_VARS = WB_VARS, RQ_GOROUTINE1 = WB_GOROUTINE1, RQ_HEAP1 = WB_HEAP1 };

struct rq {
	size_t ti;
	enum rq_kind kind;
	struct strbuf body;
	bool first_line_only, stopped;
	char url[WATCH_URL_MAX + 64];
};

static enum gd_err rq_write(const char *data, size_t len, void *ctx)
{
	struct rq *r = ctx;
	if (r->first_line_only) {
		const char *nl = memchr(data, '\n', len);
		if (nl || r->body.len + len >= FIRST_LINE_CAP) {
			strbuf_add(&r->body, data, nl ? (size_t)(nl - data) : len);
			r->stopped = true;
			return GD_ETRUNCATED; /* the rest is not needed: stop reading */
		}
	}
	return strbuf_add(&r->body, data, len);
}

static void rq_init(struct rq *r, size_t ti, enum rq_kind kind, const char *base)
{
	static const char *const path[] = { "/metrics", "/debug/vars", "/debug/pprof/goroutine?debug=1",
					    "/debug/pprof/heap?debug=1" };
	memset(r, 0, sizeof(*r));
	r->ti = ti;
	r->kind = kind;
	r->first_line_only = kind == RQ_GOROUTINE1;
	strbuf_init(&r->body, kind == RQ_HEAP1 ? HEAP_CAP : kind == RQ_GOROUTINE1 ? FIRST_LINE_CAP * 2 : METRICS_CAP);
	snprintf(r->url, sizeof(r->url), "%s%s", base, path[kind]);
}

/* "goroutine profile: total N" */
static bool parse_total(const char *s, size_t n, double *out)
{
	static const char pfx[] = "goroutine profile: total ";
	const char *p = s + sizeof(pfx) - 1, *end = s + n;
	uint64_t v;
	if (n < sizeof(pfx) || memcmp(s, pfx, sizeof(pfx) - 1))
		return false;
	if (!procfs_scan_u64(&p, end, &v))
		return false;
	*out = (double)v;
	return true;
}

static void memstats_into(struct watch_sample *s, const struct go_memstats *ms)
{
	static const struct { enum go_memstats_field f; enum watch_field w; } map[] = {
		{ MS_HEAP_INUSE, WF_HEAP_INUSE }, { MS_HEAP_RELEASED, WF_HEAP_RELEASED },
		{ MS_HEAP_IDLE, WF_HEAP_IDLE },   { MS_SYS, WF_SYS },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ms->known & (1ull << map[i].f))
			s->v[map[i].w] = (double)ms->v[map[i].f];
}

bool watch_body_parse(enum watch_body kind, const char *buf, size_t len, const char *url, struct watch_sample *s,
		      char *why, size_t whylen)
{
	struct gd_errbuf eb = { "" };
	struct { const char *buf; size_t len; const char *url; } body = { buf, len, url }, *r = &body;
	switch (kind) {
	case RQ_METRICS: {
		struct prom_set ps;
		struct go_memstats ms;
		struct prom_go_info info;
		bool ok;
		prom_set_init(&ps);
		if (prom_parse(&ps, r->buf, r->len, r->url, &eb)) {
			snprintf(why, whylen, "%s", eb.msg);
			prom_set_release(&ps);
			return false;
		}
		prom_to_memstats(&ps, &ms, &info);
		ok = info.has_goroutines;
		if (ok) {
			s->v[WF_GOROUTINES] = (double)info.goroutines;
			memstats_into(s, &ms);
			if (info.has_rss)
				s->v[WF_RSS] = (double)info.rss_bytes;
			{
				const struct prom_sample *fds = prom_get(&ps, "process_open_fds", NULL);
				if (fds && isfinite(fds->value) && fds->value >= 0)
					s->v[WF_FDS] = fds->value;
			}
		} else {
			snprintf(why, whylen, "%.400s: no go_goroutines", r->url);
		}
		prom_set_release(&ps);
		return ok;
	}
	case RQ_VARS: {
		struct expvar_vars v;
		bool ok;
		expvar_vars_init(&v);
		ok = !expvar_parse(&v, r->buf, r->len, r->url, &eb) && v.has_memstats;
		if (ok)
			memstats_into(s, &v.memstats);
		else
			snprintf(why, whylen, "%s", eb.msg[0] ? eb.msg : "/debug/vars: no memstats");
		expvar_vars_release(&v);
		return ok;
	}
	case RQ_GOROUTINE1:
		if (!parse_total(r->buf, r->len, &s->v[WF_GOROUTINES])) {
			snprintf(why, whylen, "%.400s: no 'goroutine profile: total' line", r->url);
			return false;
		}
		return true;
	case RQ_HEAP1: {
		struct go_memstats ms;
		if (go_memstats_parse(r->buf, r->len, &ms, r->url, &eb)) {
			snprintf(why, whylen, "%s", eb.msg);
			return false;
		}
		memstats_into(s, &ms);
		return true;
	}
	}
	return false;
}

/* Parse one finished request into the target's sample. */
static bool rq_apply(struct rq *r, struct watch_sample *s, char *why, size_t whylen)
{
	return watch_body_parse((enum watch_body)r->kind, r->body.buf, r->body.len, r->url, s, why, whylen);
}

struct round {
	struct watch_state *st;
	struct rq *rq;
	size_t nrq, alloc;
	struct watch_sample *smp;  /* one per target */
	bool *ok, *probe_next;     /* per target: something read; try the next source */
	bool *transport_err;
	char (*why)[600];
};

static void add_rq(struct round *rd, size_t ti, enum rq_kind k)
{
	ALLOC_GROW(rd->rq, rd->nrq + 1, rd->alloc);
	rq_init(&rd->rq[rd->nrq++], ti, k, rd->st->t[ti].base);
}

static void run_requests(struct round *rd, const struct fetch_opts *fo)
{
	struct fetch_req *fr;
	if (!rd->nrq)
		return;
	fr = xcalloc(rd->nrq, sizeof(*fr));
	for (size_t i = 0; i < rd->nrq; i++) {
		fr[i].url = rd->rq[i].url;
		fr[i].fn = rq_write;
		fr[i].ctx = &rd->rq[i];
	}
	fetch_many(fr, rd->nrq, 256, fo, NULL, NULL);
	for (size_t i = 0; i < rd->nrq; i++) {
		struct rq *r = &rd->rq[i];
		size_t ti = r->ti;
		char why[600] = "";
		if (fr[i].err && !(r->stopped && fr[i].err == GD_ETRUNCATED)) {
			/* A source that is not there (404, not our format) means
			 * try the next; anything else is the target's health. */
			if (fr[i].err == GD_ENOENT || fr[i].err == GD_EFORMAT)
				rd->probe_next[ti] = true;
			else
				rd->transport_err[ti] = true;
			snprintf(rd->why[ti], sizeof(rd->why[ti]), "%s", fr[i].eb.msg[0] ? fr[i].eb.msg : gd_strerror(fr[i].err));
			if (fr[i].err == GD_ETOOBIG)
				snprintf(rd->why[ti], sizeof(rd->why[ti]), "%.400s: answer over the %zu MiB cap", r->url,
					 r->body.max >> 20);
		} else if (!rq_apply(r, &rd->smp[ti], why, sizeof(why))) {
			rd->probe_next[ti] = true;
			snprintf(rd->why[ti], sizeof(rd->why[ti]), "%s", why);
		} else {
			rd->ok[ti] = true;
			if (rd->st->t[ti].src == WS_UNKNOWN)
				rd->st->t[ti].src = WS_METRICS;
			rd->st->t[ti].last_latency_ms = (double)fr[i].res.elapsed_ms;
		}
		strbuf_release(&r->body);
	}
	free(fr);
	rd->nrq = 0;
}

static void sample_local(struct watch_state *st, struct watch_target *t, struct watch_sample *s, char *why,
			 size_t whylen, bool *gone)
{
	struct procinfo pi;
	struct gd_errbuf eb = { "" };
	const char *root = st->opts.proc_root;
	enum gd_err e;
	procinfo_init(&pi);
	e = procinfo_read(&pi, &(struct procfs_roots){ root, NULL }, t->pid,
			  PI_STATUS | PI_SMAPS | (t->started ? 0 : PI_STAT), &eb);
	if (!t->started && pi.age_known)
		t->started = now_s() - (double)pi.age_seconds;
	if (e == GD_ENOENT) {
		*gone = true;
		snprintf(why, whylen, "process %d exited", t->pid);
		procinfo_release(&pi);
		return;
	}
	if (pi.status.known & (1u << PST_VMRSS))
		s->v[WF_RSS] = (double)pi.status.v[PST_VMRSS];
	if (pi.status.known & (1u << PST_THREADS))
		s->v[WF_THREADS] = (double)pi.status.v[PST_THREADS];
	if (pi.smaps.known & (1u << SM_LAZYFREE))
		s->v[WF_LAZYFREE] = (double)pi.smaps.v[SM_LAZYFREE];
	procinfo_release(&pi);
	{
		size_t nfds = 0;
		if (!proc_fd_count(root, t->pid, &nfds, &eb))
			s->v[WF_FDS] = (double)nfds;
	}
	{
		struct tcp_sock_list l;
		struct sock_opts so = { .proc_root = root };
		tcp_sock_list_init(&l);
		if (!tcp_socks_for_pid(&so, t->pid, &l, &eb)) {
			size_t est = 0, idle = 0;
			for (size_t i = 0; i < l.n; i++) {
				if (l.v[i].state != TCPS_ESTABLISHED)
					continue;
				est++;
				if (l.v[i].has_idle && l.v[i].last_data_recv_ms >= (uint64_t)st->opts.idle_threshold_s * 1000)
					idle++;
			}
			s->v[WF_ESTABLISHED] = (double)est;
			if (l.idle_known)
				s->v[WF_IDLE] = (double)idle;
		}
		tcp_sock_list_release(&l);
	}
}

static void sample_round(struct watch_state *st, struct watch_store *store, const struct fetch_opts *fo)
{
	struct round rd = { .st = st };
	size_t n = st->n;
	double t0 = mono_s();
	int64_t t_ms = (int64_t)(now_s() * 1000);
	struct gd_errbuf eb = { "" };

	rd.smp = xcalloc(n ? n : 1, sizeof(*rd.smp));
	rd.ok = xcalloc(n ? n : 1, sizeof(bool));
	rd.probe_next = xcalloc(n ? n : 1, sizeof(bool));
	rd.transport_err = xcalloc(n ? n : 1, sizeof(bool));
	rd.why = xcalloc(n ? n : 1, sizeof(*rd.why));
	for (size_t i = 0; i < n; i++) {
		struct watch_target *t = &st->t[i];
		watch_sample_clear(&rd.smp[i]);
		rd.smp[i].t_ms = t_ms;
		if (t->gone || !t->base[0])
			continue;
		switch (t->src) {
		case WS_UNKNOWN:
		case WS_METRICS: add_rq(&rd, i, RQ_METRICS); break;
		case WS_VARS: add_rq(&rd, i, RQ_VARS); add_rq(&rd, i, RQ_GOROUTINE1); break;
		case WS_PPROF: add_rq(&rd, i, RQ_GOROUTINE1); add_rq(&rd, i, RQ_HEAP1); break;
		case WS_NONE: break;
		}
	}
	run_requests(&rd, fo);
	/* Fall back, cheapest first, for targets whose source was missing; a
	 * target whose /metrics worked before and now is garbage is re-probed
	 * too (a restart may have changed what it serves). */
	for (int pass = 0; pass < 2; pass++) {
		bool any = false;
		for (size_t i = 0; i < n; i++) {
			struct watch_target *t = &st->t[i];
			if (!rd.probe_next[i] || rd.transport_err[i] || rd.ok[i])
				continue;
			if (t->src == WS_UNKNOWN || t->src == WS_METRICS) {
				t->src = WS_VARS;
			} else if (t->src == WS_VARS) {
				t->src = WS_PPROF;
			} else {
				t->src = WS_NONE;
				continue;
			}
			rd.probe_next[i] = false;
			watch_sample_clear(&rd.smp[i]);
			rd.smp[i].t_ms = t_ms;
			if (t->src == WS_VARS) {
				add_rq(&rd, i, RQ_VARS);
				add_rq(&rd, i, RQ_GOROUTINE1);
			} else {
				add_rq(&rd, i, RQ_GOROUTINE1);
				add_rq(&rd, i, RQ_HEAP1);
			}
			any = true;
		}
		if (!any)
			break;
		run_requests(&rd, fo);
	}
	/* Local facts, and the verdict per target. */
	if (watch_store_begin(store, &eb))
		warning("%s", eb.msg);
	for (size_t i = 0; i < n; i++) {
		struct watch_target *t = &st->t[i];
		bool gone = false;
		char why[600] = "";
		if (t->gone)
			continue;
		if (t->pid > 0) {
			sample_local(st, t, &rd.smp[i], why, sizeof(why), &gone);
			if (gone) {
				pthread_mutex_lock(&st->mu);
				t->gone = true;
				pthread_mutex_unlock(&st->mu);
				set_down(st, t, why);
				st->failures++;
				t->failures++;
				continue;
			}
		}
		if (t->base[0] && !rd.ok[i]) {
			/* The process is there (PID) but its endpoint is not:
			 * /proc facts are still a sample, marked partial. */
			set_down(st, t, rd.why[i][0] ? rd.why[i] : "no source answered");
			if (t->src == WS_NONE)
				t->src = WS_UNKNOWN; /* probe again next round */
			st->failures++;
			t->failures++;
			if (!t->pid)
				continue;
		}
		snprintf(rd.smp[i].source, sizeof(rd.smp[i].source), "%s",
			 rd.ok[i] ? watch_source_name(t->src) : "proc");
		rd.smp[i].v[WF_LATENCY_MS] = rd.ok[i] ? t->last_latency_ms : NAN;
		if (watch_store_add_sample(store, t->id, &rd.smp[i], &eb))
			warning("%s", eb.msg);
		pthread_mutex_lock(&st->mu);
		t->last = rd.smp[i];
		t->samples++;
		st->samples++;
		if (rd.ok[i] || !t->base[0]) {
			if (!t->up) {
				t->up = true;
				t->ever_up = true;
				t->reason[0] = '\0';
				pthread_mutex_unlock(&st->mu);
				event(st, t, "up", "sampling from %s", rd.ok[i] ? watch_source_name(t->src) : "/proc");
				pthread_mutex_lock(&st->mu);
			}
		}
		if (rd.ok[i])
			st->latency_sum_ms += t->last_latency_ms;
		pthread_mutex_unlock(&st->mu);
	}
	if (watch_store_commit(store, &eb))
		warning("%s", eb.msg);
	pthread_mutex_lock(&st->mu);
	st->rounds++;
	st->last_round_ms = (mono_s() - t0) * 1000;
	pthread_mutex_unlock(&st->mu);
	free(rd.smp);
	free(rd.ok);
	free(rd.probe_next);
	free(rd.transport_err);
	free(rd.why);
	free(rd.rq);
}

/* ---- captures ------------------------------------------------------------- */

#define CAPTURE_MAX_RESULTS 16

struct capture_job {
	bool trough;
	size_t ti;
	char target[WATCH_URL_MAX];
	char pprof[WATCH_URL_MAX];
	char dir[1024];
	char before[1024];
	enum watch_rule rule;
	double t;
	/* results */
	bool ok;
	char err[512];
	size_t nres;
	struct {
		char rule[64], severity[16], summary[512], frame[256];
	} res[CAPTURE_MAX_RESULTS];
	char report[1100];
};

#define CAPTURE_QUEUE 64

/* Jobs wait in q (a capture on a trigger goes first: it must happen near
 * the trough it was planned at), run one at a time, and wait in done until
 * the sampling thread stores their results. */
struct capturer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct capture_job *q[CAPTURE_QUEUE], *done[CAPTURE_QUEUE];
	size_t nq, ndone;
	bool quit, started;
	struct watch_state *st;
	struct ruleset rules;
};

static void capture_do(struct capturer *c, struct capture_job *j)
{
	struct bundle_writer w;
	struct bundle_identity id;
	struct collect_opts co;
	struct snapshot now, before;
	struct report rep;
	struct report_snapshot *rsn;
	struct gd_errbuf eb = { "" };
	bool have_before = false;

	collect_opts_init(&co);
	co.proc_root = c->st->opts.proc_root;
	co.max_stw_ms = c->st->opts.max_stw_ms;
	co.quiet = true;
	if (j->pprof[0])
		co.pprof_url = j->pprof;
	if (bundle_writer_open(&w, j->dir, &eb)) {
		snprintf(j->err, sizeof(j->err), "%s", eb.msg);
		return;
	}
	co.bundle = &w;
	report_init(&rep, j->target);
	snapshot_init(&before);
	if (!j->trough && j->before[0]) {
		struct report_snapshot *rb = report_add_snapshot(&rep, j->before, 0);
		struct collect_opts bo;
		collect_opts_init(&bo);
		bo.quiet = true;
		have_before = !snapshot_collect(&before, j->before, &bo, rb, &eb);
	}
	rsn = report_add_snapshot(&rep, j->target, 0);
	snapshot_init(&now);
	if (snapshot_collect(&now, j->target, &co, rsn, &eb)) {
		snprintf(j->err, sizeof(j->err), "%s", eb.msg);
		report_snapshot_piece(rsn, "target", j->target, 0, false, eb.msg);
	} else {
		j->ok = true;
	}
	snapshot_bundle_identity(&now, &id);
	if (bundle_writer_finish(&w, &id, rsn, &eb) && !j->err[0])
		snprintf(j->err, sizeof(j->err), "%s", eb.msg);
	bundle_identity_release(&id);
	bundle_writer_release(&w);
	if (j->ok && !j->trough) {
		struct diagnose_opts dopts = { .idle_threshold_s = c->st->opts.idle_threshold_s,
					       .suspect_after_s = c->st->opts.idle_threshold_s };
		FILE *f;
		char path[1100];
		diagnose_run(&c->rules, have_before ? &before : NULL, &now, &dopts, &rep);
		report_sort(&rep);
		snprintf(path, sizeof(path), "%s/doctor.json", j->dir);
		if ((f = fopen(path, "w"))) {
			doctor_render_json(f, &rep);
			fclose(f);
		}
		snprintf(j->report, sizeof(j->report), "%s/doctor.html", j->dir);
		if ((f = fopen(j->report, "w"))) {
			doctor_render_html(f, &rep);
			fclose(f);
		} else {
			j->report[0] = '\0';
		}
		for (size_t i = 0; i < rep.nfindings && j->nres < CAPTURE_MAX_RESULTS; i++) {
			const struct finding *fd = &rep.findings[i];
			snprintf(j->res[j->nres].rule, sizeof(j->res[0].rule), "%s", fd->rule);
			snprintf(j->res[j->nres].severity, sizeof(j->res[0].severity), "%s", severity_name(fd->severity));
			snprintf(j->res[j->nres].summary, sizeof(j->res[0].summary), "%s", fd->summary ? fd->summary : "");
			snprintf(j->res[j->nres].frame, sizeof(j->res[0].frame), "%s", fd->nframes ? fd->frames[0] : "");
			j->nres++;
		}
	}
	snapshot_release(&now);
	snapshot_release(&before);
	report_release(&rep);
}

static void *capture_main(void *arg)
{
	struct capturer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct capture_job *j;
		while (!c->quit && !c->nq)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->quit)
			break;
		j = c->q[0];
		memmove(c->q, c->q + 1, (c->nq - 1) * sizeof(c->q[0]));
		c->nq--;
		pthread_mutex_unlock(&c->mu);
		capture_do(c, j);
		pthread_mutex_lock(&c->mu);
		c->done[c->ndone++] = j; /* ndone + nq <= CAPTURE_QUEUE: submit checks */
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static void safe_name(char *out, size_t n, const char *in)
{
	size_t j = 0;
	for (size_t i = 0; in[i] && j + 1 < n; i++) {
		char ch = in[i];
		out[j++] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-')
				   ? ch : '_';
	}
	out[j] = '\0';
}

static bool capture_submit(struct capturer *c, struct watch_target *t, size_t ti, bool trough, enum watch_rule rule,
			   const char *before)
{
	struct capture_job *j;
	char sn[128], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	pthread_mutex_lock(&c->mu);
	/* +1: the job running now lands in done too. */
	if (c->nq + c->ndone + 1 >= CAPTURE_QUEUE) {
		pthread_mutex_unlock(&c->mu);
		return false;
	}
	j = xcalloc(1, sizeof(*j));
	j->ti = ti;
	j->trough = trough;
	j->rule = rule;
	j->t = now_s();
	if (t->pid > 0)
		snprintf(j->target, sizeof(j->target), "%d", t->pid);
	else
		snprintf(j->target, sizeof(j->target), "%s", t->base);
	if (t->pid > 0 && t->base[0])
		snprintf(j->pprof, sizeof(j->pprof), "%s", t->base);
	safe_name(sn, sizeof(sn), t->name);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(j->dir, sizeof(j->dir), "%s/%s-%s-%s-%u", c->st->opts.bundles, sn, ts, trough ? "trough" : "capture",
		 ++t->ncaptures);
	if (before)
		snprintf(j->before, sizeof(j->before), "%s", before);
	if (trough) {
		c->q[c->nq++] = j;
		t->capturing = true;
	} else {
		memmove(c->q + 1, c->q, c->nq * sizeof(c->q[0]));
		c->q[0] = j;
		c->nq++;
		t->triggered = true;
	}
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return true;
}

static void evidence_json(char *buf, size_t n, const struct trend_result *r)
{
	size_t o = (size_t)snprintf(buf, n,
				    "{\"kind\":\"%s\",\"growth_per_day\":%.6g,\"slope_per_s\":%.6g,\"p_value\":%.4g,"
				    "\"baseline\":%.6g,\"last\":%.6g,\"troughs\":[",
				    trend_kind_name(r->kind), r->growth_per_day, r->slope_per_s, r->p_value, r->baseline,
				    r->last);
	for (size_t i = 0; i < r->ntroughs && o + 40 < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s[%.3f,%.6g]", i ? "," : "", r->trough_t[i], r->trough_v[i]);
	if (o + 3 < n)
		snprintf(buf + o, n - o, "]}");
}

static void capture_store(struct capture_job *j, struct watch_state *st, struct watch_store *store, int *rc);

static void capture_collect(struct capturer *c, struct watch_state *st, struct watch_store *store, int *rc)
{
	struct capture_job *done[CAPTURE_QUEUE];
	size_t n;
	pthread_mutex_lock(&c->mu);
	n = c->ndone;
	memcpy(done, c->done, n * sizeof(done[0]));
	c->ndone = 0;
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < n; i++) {
		capture_store(done[i], st, store, rc);
		free(done[i]);
	}
}

static void capture_store(struct capture_job *j, struct watch_state *st, struct watch_store *store, int *rc)
{
	struct watch_target *t = &st->t[j->ti];
	struct gd_errbuf eb = { "" };
	if (j->trough)
		t->capturing = false;
	else
		t->triggered = false;
	if (!j->ok) {
		event(st, t, "capture-failed", "%s: %s", j->dir, j->err);
	} else if (j->trough) {
		/* Keep the two latest trough bundles: the older is the
		 * "before" of the next capture, two periods back. */
		memcpy(t->trough_bundle[0], t->trough_bundle[1], sizeof(t->trough_bundle[0]));
		t->trough_bundle_t[0] = t->trough_bundle_t[1];
		snprintf(t->trough_bundle[1], sizeof(t->trough_bundle[1]), "%s", j->dir);
		t->trough_bundle_t[1] = j->t;
		event(st, t, "trough-bundle", "%s", j->dir);
	} else {
		pthread_mutex_lock(&st->mu);
		st->captures++;
		pthread_mutex_unlock(&st->mu);
		event(st, t, "capture", "%s (doctor: %zu finding%s%s%s)", j->dir, j->nres, j->nres == 1 ? "" : "s",
		      j->before[0] ? ", compared with " : "", j->before);
		watch_store_begin(store, &eb);
		for (size_t i = 0; i < j->nres; i++) {
			struct watch_finding_row f = {
				.t_ms = (int64_t)(j->t * 1000), .rule = j->res[i].rule, .severity = j->res[i].severity,
				.summary = j->res[i].summary, .bundle = j->dir, .report = j->report[0] ? j->report : NULL,
			};
			char *ev = NULL;
			size_t evlen = 0;
			FILE *evf = open_memstream(&ev, &evlen);
			struct json_writer jw;
			if (!evf)
				die("out of memory");
			/* The frame is the target's text: escaped as every
			 * other JSON string is. */
			jw_init(&jw, evf, false);
			jw_object_begin(&jw);
			jw_key_string(&jw, "trigger", watch_rule_id(j->rule));
			jw_key_string(&jw, "frame", j->res[i].frame);
			jw_object_end(&jw);
			fclose(evf);
			f.evidence = ev;
			if (watch_store_add_finding(store, t->id, &f, &eb))
				warning("%s", eb.msg);
			free(ev);
			*rc = 1;
		}
		watch_store_commit(store, &eb);
		/* Said once committed: whoever reads the event (a person, a
		 * test) then finds the finding on the dashboard. */
		for (size_t i = 0; i < j->nres; i++)
			event(st, t, "doctor", "%s (%s): %s", j->res[i].rule, j->res[i].severity, j->res[i].summary);
		pthread_mutex_lock(&st->mu);
		st->findings += j->nres;
		pthread_mutex_unlock(&st->mu);
	}
}

/* ---- trends --------------------------------------------------------------- */

static void analyse(struct watch_state *st, struct watch_store *store, struct watch_target *t, int *rc)
{
	static const enum watch_field fields[WR_MADV_HOLD] = { WF_GOROUTINES, WF_ESTABLISHED, WF_RSS, WF_HEAP_INUSE };
	struct trend_params p;
	double now = now_s();
	int64_t since = (int64_t)((now - 12 * st->opts.period_s) * 1000);
	struct series_point *pts[WF_NR] = { NULL };
	size_t npts[WF_NR] = { 0 };
	struct gd_errbuf eb = { "" };
	struct trend_result *res = xcalloc(1, sizeof(*res));

	trend_params_init(&p);
	p.period_s = st->opts.period_s;
	/* A (re)start begins a new lower envelope, and its first period is
	 * warm-up (pools fill, the heap finds its size): docs/trends.md. */
	if (t->started > 0)
		p.since = t->started + p.period_s;
	for (int f = 0; f < WF_NR; f++) {
		if (f != WF_GOROUTINES && f != WF_ESTABLISHED && f != WF_RSS && f != WF_HEAP_INUSE && f != WF_LAZYFREE)
			continue;
		if (watch_store_series(store, t->id, (enum watch_field)f, since, 0, &pts[f], &npts[f], &eb))
			warning("%s", eb.msg);
	}
	for (int r = 0; r < WR_NR; r++) {
		bool fire = false;
		char summary[256] = "";
		char evjson[4096] = "";
		if (r < WR_MADV_HOLD) {
			enum watch_field f = fields[r];
			p.min_growth_abs = (f == WF_RSS || f == WF_HEAP_INUSE) ? TREND_MIN_GROWTH_BYTES : 1;
			if (!trend_analyse(pts[f], npts[f], &p, res))
				continue;
			t->kind[r] = res->kind;
			if (r == WR_GOROUTINE_GROWTH)
				t->trough_rise = res->slope_per_s > 0 ? res->slope_per_s * p.period_s : 0;
			fire = res->kind == TREND_RISING;
			if (fire) {
				snprintf(summary, sizeof(summary),
					 "%s troughs rise by %.4g per day (%.4g per period, p=%.3g over %zu troughs, %.4g -> %.4g)",
					 watch_field_name(f), res->growth_per_day, res->slope_per_s * p.period_s,
					 res->p_value, res->ntroughs, res->baseline, res->last);
				evidence_json(evjson, sizeof(evjson), res);
			}
		} else {
			struct madv_hold_result mh;
			if (!trend_madv_hold(pts[WF_RSS], npts[WF_RSS], pts[WF_HEAP_INUSE], npts[WF_HEAP_INUSE], &p, &mh))
				continue;
			fire = mh.held;
			if (fire && t->pid > 0) {
				/* Local: LazyFree must show the held pages are the
				 * ones MADV_FREE left (at the latest samples' peak). */
				double lf = 0;
				for (size_t i = 0; i < npts[WF_LAZYFREE]; i++)
					if (pts[WF_LAZYFREE][i].t > now - 2 * p.period_s && pts[WF_LAZYFREE][i].v > lf)
						lf = pts[WF_LAZYFREE][i].v;
				fire = lf >= 0.5 * (mh.rss_trough - mh.heap_trough);
				if (fire)
					snprintf(summary, sizeof(summary),
						 "RSS troughs stay at %.0f MiB while the heap in use falls to %.0f MiB; "
						 "LazyFree %.0f MiB: pages freed with MADV_FREE, not a leak",
						 mh.rss_trough / 1048576, mh.heap_trough / 1048576, lf / 1048576);
			} else if (fire) {
				snprintf(summary, sizeof(summary),
					 "RSS troughs stay at %.0f MiB while the heap in use falls to %.0f MiB "
					 "(LazyFree not readable for a URL target)",
					 mh.rss_trough / 1048576, mh.heap_trough / 1048576);
			}
			if (fire)
				snprintf(evjson, sizeof(evjson),
					 "{\"rss_peak\":%.0f,\"rss_trough\":%.0f,\"heap_peak\":%.0f,\"heap_trough\":%.0f,"
					 "\"held_frac\":%.3f}",
					 mh.rss_peak, mh.rss_trough, mh.heap_peak, mh.heap_trough, mh.held_frac);
		}
		pthread_mutex_lock(&st->mu);
		/* Hysteresis: a finding clears only after a whole period
		 * without it, so a verdict on the edge does not flap. */
		if (fire)
			t->clear_since[r] = 0;
		else if (t->active[r] && !t->clear_since[r])
			t->clear_since[r] = now;
		if (fire && !t->active[r]) {
			struct watch_finding_row f = { .t_ms = (int64_t)(now * 1000), .rule = watch_rule_id(r),
						       .severity = r == WR_MADV_HOLD ? "info" : "warning",
						       .summary = summary, .evidence = evjson };
			t->active[r] = true;
			snprintf(t->summary[r], sizeof(t->summary[r]), "%s", summary);
			st->findings++;
			pthread_mutex_unlock(&st->mu);
			watch_store_begin(store, &eb);
			if (watch_store_add_finding(store, t->id, &f, &eb))
				warning("%s", eb.msg);
			watch_store_commit(store, &eb);
			event(st, t, "finding", "%s: %s", watch_rule_id(r), summary);
			*rc = 1;
			if (!st->opts.no_capture && !t->pending) {
				t->pending = true;
				t->pending_rule = (enum watch_rule)r;
			}
		} else if (!fire && t->active[r] && now - t->clear_since[r] >= st->opts.period_s) {
			t->active[r] = false;
			pthread_mutex_unlock(&st->mu);
			event(st, t, "cleared", "%s", watch_rule_id(r));
		} else {
			pthread_mutex_unlock(&st->mu);
		}
	}
	for (int f = 0; f < WF_NR; f++)
		free(pts[f]);
	free(res);
}

/* Trough tracking on goroutines (RSS for a PID without an endpoint): the
 * range of the last whole period says where the trough is. */
static bool at_trough(struct watch_state *st, struct watch_target *t, double now)
{
	double v = t->last.v[WF_GOROUTINES];
	if (!isfinite(v))
		v = t->last.v[WF_HEAP_INUSE];
	if (!isfinite(v))
		return false;
	if (t->period_start == 0) {
		t->period_start = now;
		t->cur_min = t->cur_max = v;
	}
	if (now - t->period_start >= st->opts.period_s) {
		t->period_min = t->cur_min;
		t->period_max = t->cur_max;
		t->period_start = now;
		t->cur_min = t->cur_max = v;
	}
	if (v < t->cur_min)
		t->cur_min = v;
	if (v > t->cur_max)
		t->cur_max = v;
	if (!(t->period_max > t->period_min))
		return false;
	/* Near the last trough, plus what a leak adds per period (a rising
	 * trough is above the last one by that much). */
	return v <= t->period_min + t->trough_rise + 0.1 * (t->period_max - t->period_min);
}

static void plan_captures(struct watch_state *st, struct capturer *c)
{
	double now = now_s();
	for (size_t i = 0; i < st->n; i++) {
		struct watch_target *t = &st->t[i];
		bool trough;
		if (!t->up || t->gone)
			continue;
		trough = at_trough(st, t, now);
		if (st->opts.no_capture || !trough || t->triggered)
			continue;
		if (t->pending && now - t->last_capture >= st->opts.cooldown_s) {
			const char *before = t->trough_bundle[0][0] ? t->trough_bundle[0]
					     : t->trough_bundle[1][0] ? t->trough_bundle[1] : NULL;
			if (capture_submit(c, t, i, false, t->pending_rule, before)) {
				event(st, t, "capturing", "%s fired; at a trough now", watch_rule_id(t->pending_rule));
				t->pending = false;
				t->last_capture = now;
			}
		} else if (!t->capturing && now - t->trough_bundle_t[1] >= 0.6 * st->opts.period_s) {
			capture_submit(c, t, i, true, WR_NR, NULL);
			t->trough_bundle_t[1] = now; /* no retry storm if it fails */
		}
	}
}

/* ---- targets -------------------------------------------------------------- */

static void add_target(struct watch_state *st, struct watch_store *store, const struct watch_target *src)
{
	struct watch_target *t;
	struct gd_errbuf eb = { "" };
	int64_t id = 0;
	if (watch_store_target(store, src->name, &id, &eb))
		warning("%s", eb.msg);
	pthread_mutex_lock(&st->mu);
	ALLOC_GROW(st->t, st->n + 1, st->alloc);
	t = &st->t[st->n++];
	*t = *src;
	t->id = id;
	watch_sample_clear(&t->last);
	snprintf(t->reason, sizeof(t->reason), "not sampled yet");
	pthread_mutex_unlock(&st->mu);
}

static void discover_endpoints(struct watch_state *st)
{
	double now = mono_s();
	struct fetch_opts fo;
	fetch_opts_init(&fo);
	fo.connect_timeout_ms = 1000;
	fo.total_timeout_ms = 1000;
	for (size_t i = 0; i < st->n; i++) {
		struct watch_target *t = &st->t[i];
		char url[WATCH_URL_MAX];
		struct gd_errbuf eb = { "" };
		if (t->pid <= 0 || t->base[0] || t->gone || now < t->discover_at)
			continue;
		t->discover_at = now + 60;
		{
			struct tcp_sock_list l;
			struct sock_opts so = { .proc_root = st->opts.proc_root };
			enum gd_err e;
			tcp_sock_list_init(&l);
			e = tcp_socks_for_pid(&so, t->pid, &l, &eb);
			if (!e)
				e = pprof_endpoint_from_socks(&l, &fo, url, sizeof(url), &eb);
			tcp_sock_list_release(&l);
			if (e)
				url[0] = '\0';
		}
		if (url[0]) {
			pthread_mutex_lock(&st->mu);
			snprintf(t->base, sizeof(t->base), "%s", url);
			pthread_mutex_unlock(&st->mu);
			event(st, t, "endpoint", "%s", url);
		} else {
			event(st, t, "endpoint", "none (%s): /proc only", eb.msg);
		}
	}
}

static void scan_all_go(struct watch_state *st, struct watch_store *store)
{
	struct process_scan ps;
	struct gd_errbuf eb = { "" };
	process_scan_init(&ps);
	if (process_scan_run(&ps, st->opts.proc_root, &eb)) {
		warning("--all-go: %s", eb.msg);
		process_scan_release(&ps);
		return;
	}
	for (size_t i = 0; i < ps.nr; i++) {
		int pid = ps.v[i].pid;
		bool have = false;
		if (pid == getpid())
			continue;
		for (size_t k = 0; k < st->n && !have; k++)
			have = st->t[k].pid == pid && !st->t[k].gone;
		if (!have) {
			struct watch_target t;
			char err[128];
			char name[32];
			snprintf(name, sizeof(name), "%d", pid);
			if (watch_target_parse(name, &t, err, sizeof(err))) {
				add_target(st, store, &t);
				event(st, &t, "added", "Go process %s", ps.v[i].exe);
			}
		}
	}
	process_scan_release(&ps);
}

/* ---- status lines --------------------------------------------------------- */

static void status_lines(struct watch_state *st, size_t *drawn)
{
	FILE *out = stderr;
	if (*drawn)
		fprintf(out, "\033[%zuA", *drawn);
	for (size_t i = 0; i < st->n; i++) {
		const struct watch_target *t = &st->t[i];
		char line[512];
		const char *trend = "-";
		for (int r = 0; r < WR_NR; r++)
			if (t->active[r])
				trend = watch_rule_id(r);
		if (trend[0] == '-')
			trend = trend_kind_name(t->kind[WR_GOROUTINE_GROWTH]);
		snprintf(line, sizeof(line), "%-5s g=%-7.0f rss=%-6.0fM heap=%-6.0fM est=%-5.0f %-22s %.200s",
			 t->up ? "up" : "DOWN", t->last.v[WF_GOROUTINES], t->last.v[WF_RSS] / 1048576,
			 t->last.v[WF_HEAP_INUSE] / 1048576, t->last.v[WF_ESTABLISHED], trend, t->up ? "" : t->reason);
		fputs("\033[K", out);
		termsafe_write_cols(out, t->name, 40);
		fprintf(out, "  %s\n", line);
	}
	*drawn = st->n;
	fflush(out);
}

/* ---- the loop ------------------------------------------------------------- */

static struct watch_state *g_state;

int watch_run(const struct watch_opts *o, char **targets, int ntargets)
{
	struct watch_state st;
	struct watch_store store;
	struct gd_errbuf eb = { "" };
	struct capturer cap;
	struct watch_server *srv = NULL;
	struct fetch_opts fo;
	struct sigaction sa;
	double start, next, last_scan = -1e18, last_retention = 0;
	size_t drawn = 0;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	pthread_mutex_init(&st.mu, NULL);
	st.opts = *o;
	st.started = now_s();
	snprintf(st.db_path, sizeof(st.db_path), "%s", o->db);
	if (st.opts.cooldown_s <= 0)
		st.opts.cooldown_s = 2 * o->period_s;
	if (watch_store_open(&store, o->db, false, &eb)) {
		error("%s", eb.msg);
		return 3;
	}
	/* Captures create their own directories inside this one. */
	if (!o->no_capture && mkdir(o->bundles, 0700) && errno != EEXIST) {
		error("%s: %s", o->bundles, strerror(errno));
		watch_store_close(&store);
		return 3;
	}
	if (fetch_global_init(&eb)) {
		error("%s", eb.msg);
		watch_store_close(&store);
		return 3;
	}
	for (int i = 0; i < ntargets; i++) {
		struct watch_target t;
		char err[300];
		if (!watch_target_parse(targets[i], &t, err, sizeof(err))) {
			error("%s", err);
			watch_store_close(&store);
			return 2;
		}
		add_target(&st, &store, &t);
	}
	g_state = &st;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&cap, 0, sizeof(cap));
	cap.st = &st;
	pthread_mutex_init(&cap.mu, NULL);
	pthread_cond_init(&cap.cv, NULL);
	ruleset_init(&cap.rules);
	if (ruleset_load_builtin(&cap.rules, &eb))
		BUG("built-in rules: %s", eb.msg);
	if (!o->no_capture) {
		if (pthread_create(&cap.th, NULL, capture_main, &cap) == 0)
			cap.started = true;
		else
			st.opts.no_capture = true;
	}
	if (o->listen) {
		char err[256];
		srv = watch_server_start(&st, o->listen, err, sizeof(err));
		if (!srv) {
			error("--listen %s: %s", o->listen, err);
			rc = 2;
			goto out;
		}
	}

	fetch_opts_init(&fo);
	/* Every transfer ends well before the next round is due, so one sick
	 * target cannot make the others late. */
	fo.total_timeout_ms = (long)(o->interval_s * 800);
	if (fo.total_timeout_ms > 10000)
		fo.total_timeout_ms = 10000;
	if (fo.total_timeout_ms < 200)
		fo.total_timeout_ms = 200;
	fo.connect_timeout_ms = fo.total_timeout_ms;
	fo.stall_timeout_ms = fo.total_timeout_ms;
	fo.max_redirects = 0;

	start = mono_s();
	next = start;
	while (!stop_flag) {
		double now = mono_s();
		if (o->duration_s > 0 && now - start >= o->duration_s)
			break;
		if (now < next) {
			double d = next - now;
			struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
			/* Finish captures while waiting. */
			capture_collect(&cap, &st, &store, &rc);
			nanosleep(&ts, NULL);
			continue;
		}
		next += o->interval_s;
		if (next < now)
			next = now + o->interval_s; /* late: skip, do not burst */
		if (o->all_go && now - last_scan >= 60) {
			scan_all_go(&st, &store);
			last_scan = now;
		}
		discover_endpoints(&st);
		sample_round(&st, &store, &fo);
		capture_collect(&cap, &st, &store, &rc);
		for (size_t i = 0; i < st.n; i++) {
			struct watch_target *t = &st.t[i];
			double every = o->period_s / 20 > o->interval_s ? o->period_s / 20 : o->interval_s;
			if (t->gone || !t->samples || now - t->last_analysis < every)
				continue;
			t->last_analysis = now;
			analyse(&st, &store, t, &rc);
		}
		plan_captures(&st, &cap);
		if (now - last_retention >= 600) {
			if (watch_store_retention(&store, (int64_t)(now_s() * 1000), WATCH_RAW_KEEP_S, WATCH_AGG_KEEP_S,
						  WATCH_AGG_STEP_S, &eb))
				warning("%s", eb.msg);
			last_retention = now;
		}
		if (o->status_lines)
			status_lines(&st, &drawn);
	}
out:
	if (srv)
		watch_server_stop(srv);
	if (cap.started) {
		pthread_mutex_lock(&cap.mu);
		cap.quit = true;
		pthread_cond_signal(&cap.cv);
		pthread_mutex_unlock(&cap.mu);
		/* A capture in flight finishes (its transfers have timeouts). */
		pthread_join(cap.th, NULL);
		capture_collect(&cap, &st, &store, &rc);
		for (size_t i = 0; i < cap.nq; i++)
			free(cap.q[i]); /* never started */
	}
	ruleset_release(&cap.rules);
	if (!rc && st.samples == 0 && st.n > 0)
		rc = 3;
	event(&st, NULL, "stopped", "%" PRIu64 " rounds, %" PRIu64 " samples, %" PRIu64 " failures, %" PRIu64
	      " findings", st.rounds, st.samples, st.failures, st.findings);
	watch_store_close(&store);
	free(st.t);
	g_state = NULL;
	return rc;
}
