/* SPDX-License-Identifier: MIT */
/* watch's HTTP exporter (libmicrohttpd, its own thread): /metrics, the
 * dashboard at /, and the doctor reports and bundle listings of stored
 * findings (only paths recorded in the store are ever served).  Binds
 * 127.0.0.1 unless --listen says otherwise. */
#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "report/watch_report.h"
#include "linux/procfs.h"
#include "util/html.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "watch/watch.h"
#include "util/banned.h"

#define REPORT_CAP ((size_t)32 << 20)

struct watch_server {
	struct MHD_Daemon *d;
	struct watch_state *st;
	char base[96];
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *buf, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	/* The dashboard needs no script and no outside resource. */
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", xstrdup(text), strlen(text));
}

static void metric(FILE *out, const char *name, const char *help, const char *type)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_metrics(FILE *out, struct watch_state *st)
{
	static const struct { const char *name, *help; enum watch_field f; } per[] = {
		{ "godiag_watch_goroutines", "Goroutines of the target at the last sample.", WF_GOROUTINES },
		{ "godiag_watch_rss_bytes", "Resident set of the target.", WF_RSS },
		{ "godiag_watch_lazyfree_bytes", "LazyFree of the target (MADV_FREE pages still resident).", WF_LAZYFREE },
		{ "godiag_watch_heap_inuse_bytes", "Go heap in use (HeapInuse).", WF_HEAP_INUSE },
		{ "godiag_watch_established_sockets", "ESTABLISHED TCP sockets of the target.", WF_ESTABLISHED },
		{ "godiag_watch_idle_sockets", "ESTABLISHED sockets idle longer than --idle-threshold.", WF_IDLE },
		{ "godiag_watch_threads", "OS threads of the target.", WF_THREADS },
		{ "godiag_watch_open_fds", "Open file descriptors of the target.", WF_FDS },
	};
	pthread_mutex_lock(&st->mu);
	for (size_t k = 0; k < sizeof(per) / sizeof(per[0]); k++) {
		metric(out, per[k].name, per[k].help, "gauge");
		for (size_t i = 0; i < st->n; i++) {
			double v = st->t[i].last.v[per[k].f];
			if (!isfinite(v) || st->t[i].gone)
				continue;
			fprintf(out, "%s{target=\"", per[k].name);
			prom_label_escape(out, st->t[i].name);
			fprintf(out, "\"} %.17g\n", v);
		}
	}
	metric(out, "godiag_watch_up", "1 when the last sample of the target succeeded.", "gauge");
	for (size_t i = 0; i < st->n; i++) {
		fputs("godiag_watch_up{target=\"", out);
		prom_label_escape(out, st->t[i].name);
		fprintf(out, "\"} %d\n", st->t[i].up ? 1 : 0);
	}
	metric(out, "godiag_finding", "A finding of godiag watch that is in force.", "gauge");
	for (size_t i = 0; i < st->n; i++)
		for (int r = 0; r < WR_NR; r++) {
			if (!st->t[i].active[r])
				continue;
			fputs("godiag_finding{target=\"", out);
			prom_label_escape(out, st->t[i].name);
			fprintf(out, "\",rule=\"%s\"} 1\n", watch_rule_id(r));
		}
	metric(out, "godiag_watch_samples_total", "Samples taken.", "counter");
	fprintf(out, "godiag_watch_samples_total %" PRIu64 "\n", st->samples);
	metric(out, "godiag_watch_failures_total", "Samples that failed.", "counter");
	fprintf(out, "godiag_watch_failures_total %" PRIu64 "\n", st->failures);
	metric(out, "godiag_watch_rounds_total", "Sampling rounds.", "counter");
	fprintf(out, "godiag_watch_rounds_total %" PRIu64 "\n", st->rounds);
	metric(out, "godiag_watch_captures_total", "Bundles captured on a trigger.", "counter");
	fprintf(out, "godiag_watch_captures_total %" PRIu64 "\n", st->captures);
	metric(out, "godiag_watch_sample_latency_seconds_sum", "Total time of successful target requests.", "counter");
	fprintf(out, "godiag_watch_sample_latency_seconds_sum %.6f\n", st->latency_sum_ms / 1000);
	metric(out, "godiag_watch_round_seconds", "Duration of the last sampling round.", "gauge");
	fprintf(out, "godiag_watch_round_seconds %.6f\n", st->last_round_ms / 1000);
	metric(out, "godiag_watch_targets", "Targets watched.", "gauge");
	fprintf(out, "godiag_watch_targets %zu\n", st->n);
	pthread_mutex_unlock(&st->mu);
}

struct fcollect {
	struct watch_dash_finding *v;
	size_t n, alloc;
};

static char *dupn(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void on_finding(const char *target, const struct watch_finding_row *f, void *ctx)
{
	struct fcollect *c = ctx;
	struct watch_dash_finding *d;
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	d = &c->v[c->n++];
	d->id = f->id;
	d->t_ms = f->t_ms;
	d->target = dupn(target);
	d->rule = dupn(f->rule);
	d->severity = dupn(f->severity);
	d->summary = dupn(f->summary);
	d->evidence = dupn(f->evidence);
	d->bundle = dupn(f->bundle);
	d->report = dupn(f->report);
}

static void render_dashboard(FILE *out, struct watch_state *st, const char *base)
{
	struct watch_store store;
	struct gd_errbuf eb = { "" };
	struct fcollect fc = { 0 };
	struct watch_dash_target *dt;
	struct trend_result *tr;
	struct series_point **keep;
	int64_t *ids;
	size_t n;
	double window;
	int64_t since;
	unsigned refresh;

	pthread_mutex_lock(&st->mu);
	n = st->n;
	dt = xcalloc(n ? n : 1, sizeof(*dt));
	tr = xcalloc(n ? n : 1, sizeof(*tr));
	keep = xcalloc(6 * (n ? n : 1), sizeof(*keep));
	ids = xcalloc(n ? n : 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++) {
		const struct watch_target *t = &st->t[i];
		const char *trend = trend_kind_name(t->kind[WR_GOROUTINE_GROWTH]);
		for (int r = 0; r < WR_NR; r++)
			if (t->active[r])
				trend = watch_rule_id(r);
		dt[i].name = xstrdup(t->name);
		dt[i].source = xstrdup(watch_source_name(t->src));
		dt[i].reason = xstrdup(t->reason);
		dt[i].trend = xstrdup(trend);
		dt[i].up = t->up;
		ids[i] = t->id;
	}
	window = 10 * st->opts.period_s;
	if (window > 2 * 86400)
		window = 2 * 86400;
	refresh = st->opts.interval_s < 5 ? 5 : (unsigned)st->opts.interval_s;
	pthread_mutex_unlock(&st->mu);

	if (watch_store_open(&store, st->db_path, true, &eb) == GD_OK) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		since = (int64_t)(((double)ts.tv_sec - window) * 1000);
		for (size_t i = 0; i < n; i++) {
			int64_t id = ids[i];
			static const enum watch_field fs[6] = { WF_GOROUTINES, WF_ESTABLISHED, WF_IDLE, WF_RSS, WF_HEAP_INUSE,
								WF_LAZYFREE };
			struct watch_series *dst[6] = { &dt[i].goroutines, &dt[i].established, &dt[i].idle, &dt[i].rss,
							&dt[i].heap, &dt[i].lazyfree };
			for (int k = 0; k < 6; k++) {
				struct series_point *p = NULL;
				size_t np = 0;
				watch_store_series(&store, id, fs[k], since, 0, &p, &np, &eb);
				keep[6 * i + k] = p;
				dst[k]->p = p;
				dst[k]->n = np;
			}
			{
				struct trend_params tp;
				trend_params_init(&tp);
				tp.period_s = st->opts.period_s;
				if (trend_analyse(dt[i].goroutines.p, dt[i].goroutines.n, &tp, &tr[i])) {
					dt[i].trough_t = tr[i].trough_t;
					dt[i].trough_v = tr[i].trough_v;
					dt[i].ntroughs = tr[i].ntroughs;
				}
			}
		}
		watch_store_findings(&store, 200, on_finding, &fc, &eb);
		watch_store_close(&store);
	}
	watch_render_dashboard(out, base, dt, n, fc.v, fc.n, refresh);
	for (size_t i = 0; i < n; i++) {
		free((char *)dt[i].name);
		free((char *)dt[i].source);
		free((char *)dt[i].reason);
		free((char *)dt[i].trend);
	}
	for (size_t i = 0; i < 6 * n; i++)
		free(keep[i]);
	free(ids);
	for (size_t i = 0; i < fc.n; i++) {
		free((char *)fc.v[i].target);
		free((char *)fc.v[i].rule);
		free((char *)fc.v[i].severity);
		free((char *)fc.v[i].summary);
		free((char *)fc.v[i].evidence);
		free((char *)fc.v[i].bundle);
		free((char *)fc.v[i].report);
	}
	free(fc.v);
	free(keep);
	free(tr);
	free(dt);
}

static enum MHD_Result serve_finding(struct MHD_Connection *c, struct watch_state *st, const char *idtext, bool report)
{
	struct watch_store store;
	struct gd_errbuf eb = { "" };
	char *bundle = NULL, *rep = NULL, *end;
	long long id = strtoll(idtext, &end, 10);
	enum MHD_Result ret;
	if (end == idtext || *end)
		return reply_text(c, 404, "no such finding\n");
	if (watch_store_open(&store, st->db_path, true, &eb))
		return reply_text(c, 503, "store not readable\n");
	watch_store_finding_paths(&store, id, &bundle, &rep, &eb);
	watch_store_close(&store);
	if (report) {
		struct strbuf sb;
		strbuf_init(&sb, REPORT_CAP);
		if (!rep || procfs_read_file(rep, REPORT_CAP, &sb, &eb)) {
			strbuf_release(&sb);
			ret = reply_text(c, 404, "no doctor report for this finding\n");
		} else {
			size_t len;
			char *buf = strbuf_detach(&sb, &len);
			ret = reply(c, 200, "text/html; charset=utf-8", buf, len);
		}
	} else {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		DIR *d = bundle ? opendir(bundle) : NULL;
		fputs("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bundle</title></head><body><h1>", out);
		html_escape_str(out, bundle ? bundle : "no bundle");
		fputs("</h1><ul>", out);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				fputs("<li>", out);
				html_escape_str(out, de->d_name);
				fputs("</li>", out);
			}
			closedir(d);
		}
		fputs("</ul><p>Read it with <code>godiag doctor DIR</code>.</p></body></html>\n", out);
		fclose(out);
		ret = reply(c, bundle ? 200 : 404, "text/html; charset=utf-8", buf, len);
	}
	free(bundle);
	free(rep);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct watch_server *s = cls;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	(void)version, (void)upload, (void)upload_size, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_text(c, 405, "GET only\n");
	if (!strcmp(url, "/metrics")) {
		out = open_memstream(&buf, &len);
		render_metrics(out, s->st);
		fclose(out);
		return reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
	}
	if (!strcmp(url, "/")) {
		/* Absolute links (a saved page still leads back), on the
		 * address we listen on, never on the client's Host header. */
		out = open_memstream(&buf, &len);
		render_dashboard(out, s->st, s->base);
		fclose(out);
		return reply(c, 200, "text/html; charset=utf-8", buf, len);
	}
	if (!strncmp(url, "/report/", 8))
		return serve_finding(c, s->st, url + 8, true);
	if (!strncmp(url, "/bundle/", 8))
		return serve_finding(c, s->st, url + 8, false);
	return reply_text(c, 404, "not found\n");
}

struct watch_server *watch_server_start(struct watch_state *st, const char *listen, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;
	struct watch_server *s;
	const union MHD_DaemonInfo *info;

	if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(err, errlen, "expected HOST:PORT (an IPv4 address)");
		return NULL;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (!strcmp(host, "localhost") || !host[0])
		snprintf(host, sizeof(host), "127.0.0.1");
	port = strtol(colon + 1, &end, 10);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (end == colon + 1 || *end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "expected HOST:PORT with an IPv4 address, got '%s'", listen);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->st = st;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, handler, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen, "cannot listen (address in use?)");
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		port = info->port;
	snprintf(s->base, sizeof(s->base), "http://%s:%ld", host, port);
	/* The address for scripts (port 0 picks one). */
	fprintf(st->opts.events ? st->opts.events : stderr, "LISTEN=%s:%ld\n", host, port);
	fflush(st->opts.events ? st->opts.events : stderr);
	return s;
}

void watch_server_stop(struct watch_server *s)
{
	MHD_stop_daemon(s->d);
	free(s);
}
