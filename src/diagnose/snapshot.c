/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diagnose/endpoint_check.h"
#include "diagnose/evidence_dir.h"
#include "diagnose/sniff.h"
#include "diagnose/snapshot.h"
#include "census/source.h"
#include "goroutine/dump_input.h"
#include "linux/sockdiag.h"
#include "linux/ss_text.h"
#include "pprof/gzip.h"
#include "remote/discover.h"
#include "remote/expvar.h"
#include "remote/promtext.h"
#include "util/numparse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

void collect_opts_init(struct collect_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_stw_ms = 100;
	fetch_opts_init(&o->fetch);
	o->fetch.total_timeout_ms = 30000;
	/* Each piece is held in memory (and saved in bundles): pprof cuts
	 * debug=2 at 64 MiB, so twice that is room enough and a 10 GB body
	 * stops early. */
	o->fetch.max_bytes = (uint64_t)128 << 20;
}

void snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	grouping_init(&s->g, GROUP_ANY_ARGS, 0);
	grouping_init(&s->leak, GROUP_ANY_ARGS, 0);
	procinfo_init(&s->pi);
	go_buildinfo_init(&s->bi);
	heap_profile_init(&s->heap);
	tcp_sock_list_init(&s->socks);
}

void snapshot_release(struct snapshot *s)
{
	free(s->label);
	free(s->base_url);
	grouping_release(&s->g);
	grouping_release(&s->leak);
	survival_set_release(&s->ids);
	server_settings_list_release(&s->settings);
	procinfo_release(&s->pi);
	go_buildinfo_release(&s->bi);
	if (s->has_policy)
		godebug_eval_release(&s->policy);
	heap_profile_release(&s->heap);
	tcp_sock_list_release(&s->socks);
	memset(s, 0, sizeof(*s));
}

double snapshot_estimate_stw_ms(uint64_t goroutines, double mean_depth)
{
	/* 2 us per goroutine plus 0.2 us per frame: 22 us at 100 frames. */
	return (double)goroutines * (2.0 + 0.2 * mean_depth) / 1000.0;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* --- applying a piece ------------------------------------------------------ */

static const char *piece_what(const struct evidence_piece *p)
{
	if (p->what)
		return p->what;
	if (p->kind == EV_UNKNOWN && p->name)
		return p->name;
	return evidence_kind_name(p->kind);
}

static void add_listener(struct snapshot *s, uint16_t port)
{
	const size_t max = sizeof(s->listen_ports) / sizeof(s->listen_ports[0]);
	for (size_t j = 0; j < s->nlisten; j++)
		if (s->listen_ports[j] == port)
			return;
	if (s->nlisten < max)
		s->listen_ports[s->nlisten++] = port;
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

void snapshot_find_listeners(struct snapshot *s, bool guess)
{
	uint16_t *ports;
	size_t n = 0;
	s->nlisten = 0;
	for (size_t i = 0; i < s->socks.n; i++)
		if (s->socks.v[i].state == TCPS_LISTEN)
			add_listener(s, s->socks.v[i].local_port);
	if (s->nlisten || !guess)
		return;
	/* `ss -tinp` without -a shows no LISTEN rows.  A listener still shows:
	 * its port is the local port of many ESTABLISHED sockets, where a
	 * client's sockets each have their own ephemeral port.  Counted by
	 * sorting the ports: O(n log n) for hosts with 100k connections. */
	ports = xmalloc(sizeof(*ports) * (s->socks.n + 1));
	for (size_t i = 0; i < s->socks.n; i++)
		if (s->socks.v[i].state == TCPS_ESTABLISHED)
			ports[n++] = s->socks.v[i].local_port;
	qsort(ports, n, sizeof(*ports), cmp_u16);
	for (size_t i = 0; i + 1 < n; i++) {
		if (ports[i] != ports[i + 1])
			continue;
		add_listener(s, ports[i]);
		while (i + 1 < n && ports[i + 1] == ports[i])
			i++;
	}
	free(ports);
}

static bool apply_goroutines(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct grouping g;
	struct dump_input in;
	enum gd_err e;
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	dump_input_init(&in, &g, 0);
	e = dump_input_parse_buffer(&in, p->buf, p->len, false, NULL, NULL);
	if (e) {
		snprintf(note, notelen, "%s", in.eb.msg[0] ? in.eb.msg : gd_strerror(e));
	} else if (s->has_goroutines && (s->goroutines_have_waits || in.format != DUMP_FMT_DEBUG2)) {
		/* debug=2 carries states and wait times: it wins over profiles. */
		snprintf(note, notelen, "%" PRIu64 " goroutines (%s)%s; another dump was used", g.total,
			 dump_format_name(in.format), in.truncated ? ", truncated: the rest lost" : "");
	} else {
		grouping_release(&s->g);
		s->g = g;
		grouping_init(&g, GROUP_ANY_ARGS, 0);
		s->has_goroutines = true;
		s->goroutines_have_waits = in.format == DUMP_FMT_DEBUG2;
		s->goroutines_truncated = in.truncated;
		snprintf(note, notelen, "%" PRIu64 " goroutines (%s)%s", s->g.total, dump_format_name(in.format),
			 in.truncated ? ", truncated: the rest lost" : "");
		/* A second look compares goroutine ids: keep every one (the
		 * grouping keeps a few per bucket).  Plain text only. */
		survival_set_release(&s->ids);
		survival_set_init(&s->ids);
		s->has_ids = false;
		if (in.format == DUMP_FMT_DEBUG2 && !gz_is_gzip(p->buf, p->len)) {
			struct gd_errbuf seb = { "" };
			s->has_ids = !survival_set_parse(&s->ids, p->buf, p->len, &seb) && s->ids.n;
		}
	}
	grouping_release(&g);
	dump_input_release(&in);
	return !e;
}

static bool apply_leak(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct dump_input in;
	enum gd_err e;
	if (s->has_leak_profile) {
		snprintf(note, notelen, "another goroutineleak profile was used");
		return true;
	}
	dump_input_init(&in, &s->leak, 0);
	e = dump_input_parse_buffer(&in, p->buf, p->len, false, NULL, NULL);
	if (e)
		snprintf(note, notelen, "%s", in.eb.msg[0] ? in.eb.msg : gd_strerror(e));
	else
		s->has_leak_profile = true;
	dump_input_release(&in);
	return !e;
}

static bool apply_heap(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	enum gd_err e;
	bool cut;
	if (s->has_heap) {
		snprintf(note, notelen, "another heap profile was used");
		return true;
	}
	heap_profile_release(&s->heap);
	heap_profile_init(&s->heap);
	e = p->kind == EV_HEAP_TEXT ? heap_profile_parse_text(&s->heap, p->buf, p->len, &eb)
				    : heap_profile_from_proto(&s->heap, p->buf, p->len, &eb);
	if (e) {
		snprintf(note, notelen, "%s", eb.msg);
		heap_profile_release(&s->heap);
		heap_profile_init(&s->heap);
		return false;
	}
	s->has_heap = true;
	if (s->heap.has_memstats) {
		s->ms = s->heap.memstats;
		s->has_memstats = true;
		snprintf(s->memstats_source, sizeof(s->memstats_source), "%s MemStats", piece_what(p));
	}
	/* Go ends the text with the MemStats block and a newline; a copy cut
	 * short loses the block's last lines (NumGC...). */
	cut = s->heap.truncated ||
	      (p->kind == EV_HEAP_TEXT && ((p->len && p->buf[p->len - 1] != '\n') ||
					   (s->heap.has_memstats && !(s->heap.memstats.known & (1ull << MS_NUM_GC)))));
	snprintf(note, notelen, "%zu allocation sites%s%s", s->heap.nsites,
		 s->heap.from_proto ? "" : s->heap.has_memstats ? ", MemStats" : ", no MemStats block",
		 cut ? "; truncated: the file ends early" : "");
	return true;
}

static bool apply_ss_text(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	struct ss_text st;
	int pid;
	ss_text_init(&st);
	if (ss_text_parse(&st, p->buf, p->len, piece_what(p), 0, &eb)) {
		snprintf(note, notelen, "%s", eb.msg);
		ss_text_release(&st);
		return false;
	}
	/* A ticket's `ss -tinp` may cover the whole host: keep the service's
	 * rows (the pid of /proc/PID/status or of the manifest, applied first).
	 * Without one, rows of several processes cannot be told apart: the
	 * file is ignored rather than another process's sockets taken. */
	pid = s->pid;
	if (pid <= 0 && ss_text_pid_count(&st) == 1)
		pid = ss_text_main_pid(&st);
	if (pid <= 0 && ss_text_pid_count(&st) > 1) {
		snprintf(note, notelen,
			 "ignored: rows of %zu processes and no PID to choose (add /proc/PID/status or a manifest)",
			 ss_text_pid_count(&st));
		ss_text_release(&st);
		return false;
	}
	if (pid > 0) {
		ss_text_release(&st);
		ss_text_init(&st);
		ss_text_parse(&st, p->buf, p->len, piece_what(p), pid, &eb);
	}
	tcp_sock_list_release(&s->socks);
	s->socks = st.socks;
	tcp_sock_list_init(&st.socks);
	ss_text_release(&st);
	s->has_sockets = true;
	snapshot_find_listeners(s, true);
	snprintf(note, notelen, "%zu sockets%s", s->socks.n, s->socks.idle_known ? "" : " (no idle times)");
	return true;
}

static bool apply_recording(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	struct sockdiag_replay r;
	enum gd_err e;
	memset(&r, 0, sizeof(r));
	tcp_sock_list_release(&s->socks);
	tcp_sock_list_init(&s->socks);
	e = sockdiag_replay_parse(p->buf, p->len, NULL, &r, &s->socks, &eb);
	sockdiag_replay_release(&r);
	if (e) {
		snprintf(note, notelen, "%s", eb.msg);
		return false;
	}
	s->has_sockets = true;
	/* The recording carries tcp_info: idle times are as good as live. */
	for (size_t i = 0; i < s->socks.n; i++)
		s->socks.idle_known |= s->socks.v[i].has_idle;
	snprintf(s->socks.source, sizeof(s->socks.source), "sock_diag (recorded in %s)",
		 p->name ? p->name : piece_what(p));
	snapshot_find_listeners(s, false);
	snprintf(note, notelen, "%zu sockets", s->socks.n);
	return true;
}

static bool apply_expvar(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	struct expvar_vars v;
	bool ok = true;
	expvar_vars_init(&v);
	if (expvar_parse(&v, p->buf, p->len, piece_what(p), &eb)) {
		snprintf(note, notelen, "%s", eb.msg);
		ok = false;
	} else if (!v.has_memstats) {
		snprintf(note, notelen, "no memstats");
		ok = false;
	} else if (!s->has_memstats) {
		s->ms = v.memstats;
		s->has_memstats = true;
		snprintf(s->memstats_source, sizeof(s->memstats_source), "%s memstats", piece_what(p));
	}
	expvar_vars_release(&v);
	return ok;
}

static bool apply_metrics(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	struct prom_set set;
	bool ok = true;
	if (s->has_memstats)
		return true;
	prom_set_init(&set);
	if (prom_parse(&set, p->buf, p->len, piece_what(p), &eb)) {
		snprintf(note, notelen, "%s", eb.msg);
		ok = false;
	} else if (!prom_to_memstats(&set, &s->ms, NULL)) {
		snprintf(note, notelen, "no go_memstats_*");
		ok = false;
	} else {
		s->has_memstats = true;
		snprintf(s->memstats_source, sizeof(s->memstats_source), "%s go_memstats_*", piece_what(p));
	}
	prom_set_release(&set);
	return ok;
}

/* A bundle's copy of the settings the census read from the live process's
 * memory: what makes a young idle-connection leak certain there. */
static bool apply_settings(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct server_settings_list l;
	struct gd_errbuf eb = { "" };
	server_settings_list_init(&l);
	if (server_settings_parse(p->buf, p->len, &l, &eb)) {
		server_settings_list_release(&l);
		snprintf(note, notelen, "%s", eb.msg);
		return false;
	}
	for (size_t i = 0; i < l.n; i++) {
		char line[512];
		size_t n = strlen(note);
		server_settings_describe(&l.v[i], line, sizeof(line));
		snprintf(note + n, notelen - n, "%s%s", n ? "; " : "", line);
	}
	server_settings_list_release(&s->settings);
	s->settings = l;
	return true;
}

static bool apply_bytes(struct snapshot *s, const struct evidence_piece *p, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	switch (p->kind) {
	case EV_GOROUTINE_DEBUG2:
	case EV_GOROUTINE_DEBUG1:
	case EV_GOROUTINE_PROTO:
		return apply_goroutines(s, p, note, notelen);
	case EV_GOROUTINELEAK_DEBUG1:
	case EV_GOROUTINELEAK_PROTO:
		return apply_leak(s, p, note, notelen);
	case EV_HEAP_TEXT:
	case EV_HEAP_PROTO:
		return apply_heap(s, p, note, notelen);
	case EV_PROC_STATUS: {
		const char *pid = memmem(p->buf, p->len, "\nPid:", 5);
		if (proc_status_parse(p->buf, p->len, &s->pi.status, piece_what(p), &eb)) {
			snprintf(note, notelen, "%s", eb.msg);
			return false;
		}
		s->has_proc = true;
		if (pid && !s->pid) {
			long v = strtol(pid + 5, NULL, 10);
			if (v > 0 && v < 4194304)
				s->pid = (int)v;
		}
		return true;
	}
	case EV_SMAPS_ROLLUP:
	case EV_SMAPS:
		if (proc_smaps_parse(p->buf, p->len, &s->pi.smaps, piece_what(p), &eb)) {
			snprintf(note, notelen, "%s", eb.msg);
			return false;
		}
		s->pi.smaps.source = p->kind == EV_SMAPS ? SMAPS_SUMMED : SMAPS_ROLLUP;
		s->has_proc = true;
		return true;
	case EV_SOCKSTAT:
		if (sockstat_parse(p->buf, p->len, &s->socks.sockstat, &eb)) {
			snprintf(note, notelen, "%s", eb.msg);
			return false;
		}
		return true;
	case EV_SS_TEXT:
		return apply_ss_text(s, p, note, notelen);
	case EV_NETLINK_RECORDING:
		return apply_recording(s, p, note, notelen);
	case EV_SERVER_SETTINGS:
		return apply_settings(s, p, note, notelen);
	case EV_EXPVAR:
		return apply_expvar(s, p, note, notelen);
	case EV_METRICS:
		return apply_metrics(s, p, note, notelen);
	case EV_BUNDLE_MANIFEST:
		snprintf(note, notelen, "a bundle manifest outside its bundle: ignored");
		return false;
	default:
		if (gz_is_gzip(p->buf, p->len)) {
			/* gzip that the sniffer could not decode: a cut or damaged
			 * profile, probably; the goroutine reader says which. */
			struct grouping g;
			struct dump_input in;
			enum gd_err e;
			grouping_init(&g, GROUP_ANY_ARGS, 0);
			dump_input_init(&in, &g, 0);
			e = dump_input_parse_buffer(&in, p->buf, p->len, false, NULL, NULL);
			snprintf(note, notelen, "gzip data, not a readable profile: %.400s", e ? in.eb.msg : "no samples");
			dump_input_release(&in);
			grouping_release(&g);
			return false;
		}
		snprintf(note, notelen, "unrecognised: not evidence godiag reads");
		return false;
	}
}

bool snapshot_apply(struct snapshot *s, const struct evidence_piece *p, struct report_snapshot *rs)
{
	char note[GD_ERRBUF_SIZE + 256];
	bool ok;
	if (p->failed) {
		report_snapshot_piece(rs, piece_what(p), p->source, p->time, false, p->note);
		return false;
	}
	note[0] = '\0';
	ok = apply_bytes(s, p, note, sizeof(note));
	if (ok && p->note && p->note[0]) {
		size_t l = strlen(note);
		snprintf(note + l, sizeof(note) - l, "%s%s", l ? "; " : "", p->note);
	}
	report_snapshot_piece(rs, piece_what(p), p->source, p->time, ok, note[0] ? note : NULL);
	return ok;
}

/* --- bundles ---------------------------------------------------------------- */

static const char *bundle_name(enum evidence_kind k)
{
	switch (k) {
	case EV_GOROUTINE_DEBUG2: return "goroutine-debug2.txt";
	case EV_GOROUTINE_DEBUG1: return "goroutine-debug1.txt";
	case EV_GOROUTINELEAK_DEBUG1: return "goroutineleak-debug1.txt";
	case EV_HEAP_TEXT: return "heap-debug1.txt";
	case EV_EXPVAR: return "debug-vars.json";
	case EV_METRICS: return "metrics.txt";
	case EV_PROC_STATUS: return "proc-status.txt";
	case EV_SMAPS_ROLLUP: return "proc-smaps_rollup.txt";
	case EV_SOCKSTAT: return "proc-net-sockstat.txt";
	case EV_NETLINK_RECORDING: return "sockets.gdnl";
	case EV_SERVER_SETTINGS: return "server-settings.txt";
	default: return NULL;
	}
}

/* Save a raw piece into the bundle being written, if there is one; a
 * failed write is recorded as a failed file (and said in the log). */
static void bundle_save(const struct collect_opts *o, struct report_snapshot *rs, enum evidence_kind kind,
			const char *buf, size_t len, const char *source)
{
	const char *name = bundle_name(kind);
	if (!o->bundle || !name)
		return;
	if (bundle_writer_save(o->bundle, name, kind, buf, len, source, now_s())) {
		const struct bundle_file *f = &o->bundle->files[o->bundle->nfiles - 1];
		report_snapshot_piece(rs, name, source, now_s(), false, f->note);
	}
}

void snapshot_bundle_identity(const struct snapshot *s, struct bundle_identity *id)
{
	memset(id, 0, sizeof(*id));
	id->target = xstrdup_or_null(s->label);
	id->time = s->time;
	id->pid = s->pid;
	if (s->has_buildinfo) {
		id->go_version = xstrdup_or_null(s->bi.go_version);
		id->module = xstrdup_or_null(s->bi.mod_path ? s->bi.mod_path : s->bi.path);
		id->default_godebug = xstrdup_or_null(go_buildinfo_setting(&s->bi, "DefaultGODEBUG"));
		id->ldflags = xstrdup_or_null(go_buildinfo_setting(&s->bi, "-ldflags"));
	}
	if (s->has_proc) {
		if (s->pi.kernel_release[0])
			id->kernel = xstrdup(s->pi.kernel_release);
		/* Only the runtime knobs: the environment may hold secrets. */
		id->env_godebug = xstrdup_or_null(s->pi.env.val[PENV_GODEBUG]);
		id->env_gogc = xstrdup_or_null(s->pi.env.val[PENV_GOGC]);
		id->env_gomemlimit = xstrdup_or_null(s->pi.env.val[PENV_GOMEMLIMIT]);
	}
	if (s->has_policy) {
		id->mem_policy = xstrdup(mem_policy_name(s->policy.policy));
		id->mem_policy_reason = xstrdup_or_null(s->policy.reason);
	}
}

/* A bundle's manifest: identity facts that no file carries. */
static void apply_manifest(struct snapshot *s, const struct evidence_set *set, struct report_snapshot *rs)
{
	const struct bundle_identity *id = &set->manifest.id;
	if (set->manifest_error) {
		char note[GD_ERRBUF_SIZE + 64];
		snprintf(note, sizeof(note), "%s; the files were recognised by content instead", set->manifest_error);
		report_snapshot_piece(rs, "bundle manifest", set->manifest_path, 0, false, note);
		return;
	}
	if (!set->has_manifest)
		return;
	if (id->time)
		s->time = rs->time = id->time;
	if (id->pid)
		s->pid = id->pid;
	if (id->go_version) {
		s->bi.go_version = xstrdup(id->go_version);
		s->has_buildinfo = true;
		if (id->module)
			s->bi.mod_path = xstrdup(id->module);
	}
	if (id->kernel)
		snprintf(s->pi.kernel_release, sizeof(s->pi.kernel_release), "%s", id->kernel);
	if (id->go_version) {
		godebug_eval_compute(&s->policy, id->go_version, id->kernel, id->default_godebug, id->ldflags,
				     id->env_godebug);
		s->has_policy = true;
	}
	report_snapshot_piece(rs, "bundle manifest", set->manifest_path, s->time, true,
			      set->through_manifest ? NULL : "no file list (version 1): files recognised by content");
}

/* Pieces in an order where each can rely on the others: debug=2 dumps and
 * /proc/PID/status first (the status names the process whose rows of a
 * host-wide `ss -tinp` belong to the service), failures last. */
static int apply_rank(const struct evidence_piece *p)
{
	if (p->failed)
		return 2;
	return p->kind == EV_GOROUTINE_DEBUG2 || p->kind == EV_PROC_STATUS ? 0 : 1;
}

static size_t apply_set(struct snapshot *s, const struct evidence_set *set, struct report_snapshot *rs)
{
	size_t used = 0;
	int64_t newest = 0;
	apply_manifest(s, set, rs);
	for (int rank = 0; rank < 3; rank++)
		for (size_t i = 0; i < set->n; i++)
			if (apply_rank(&set->v[i]) == rank && snapshot_apply(s, &set->v[i], rs)) {
				used++;
				if (set->v[i].time > newest)
					newest = set->v[i].time;
			}
	/* Without a manifest, the evidence is as old as its newest file. */
	if (!set->has_manifest && newest)
		s->time = rs->time = newest;
	return used;
}

/* --- goroutines and heap over HTTP --------------------------------------- */

static double mean_depth(const struct grouping *g)
{
	double frames = 0;
	if (!g->total)
		return 0;
	for (size_t i = 0; i < g->nbuckets; i++)
		frames += (double)g->buckets[i].count * g->buckets[i].nframes;
	return frames / (double)g->total;
}

/* One overall deadline for a target's requests (--timeout, 30 s): each
 * request gets what is left of it.  False when nothing is left. */
static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool deadline_left(const struct collect_opts *o, struct fetch_opts *fo)
{
	int64_t left;
	if (!o->deadline_ms)
		return true;
	left = o->deadline_ms - mono_ms();
	if (left <= 0)
		return false;
	if (!fo->total_timeout_ms || fo->total_timeout_ms > left)
		fo->total_timeout_ms = (long)left;
	if (fo->connect_timeout_ms > fo->total_timeout_ms)
		fo->connect_timeout_ms = fo->total_timeout_ms;
	return true;
}

/* GET base + path; records a failure; on success *buf holds the body. */
static bool fetch_piece(const char *base, const char *path, const char *what, const struct collect_opts *o,
			struct report_snapshot *rs, char **buf, size_t *len, bool quiet_404)
{
	struct strbuf url = STRBUF_INIT_MAX(8192);
	struct fetch_result res;
	struct gd_errbuf eb = { "" };
	enum gd_err e;
	struct fetch_opts fo = o->fetch;
	strbuf_addf(&url, "%s%s", base, path);
	*buf = NULL;
	*len = 0;
	if (!deadline_left(o, &fo)) {
		report_snapshot_piece(rs, what, url.buf, now_s(), false, "skipped: the deadline (--timeout) has passed");
		strbuf_release(&url);
		return false;
	}
	e = fetch_buffer(url.buf, &fo, buf, len, &res, &eb);
	if (e) {
		if (!(quiet_404 && e == GD_ENOENT))
			report_snapshot_piece(rs, what, url.buf, now_s(), false, eb.msg[0] ? eb.msg : gd_strerror(e));
		free(*buf);
		*buf = NULL;
		strbuf_release(&url);
		return false;
	}
	strbuf_release(&url);
	return true;
}

/* Fetch base+path, save it in the bundle, apply it as a piece of `kind`. */
static bool fetch_apply(struct snapshot *s, const char *base, const char *path, const char *what,
			enum evidence_kind kind, const char *extra, const struct collect_opts *o,
			struct report_snapshot *rs, bool quiet_404)
{
	struct evidence_piece p = { .kind = kind, .what = what, .source = base, .note = extra };
	char *buf;
	size_t len;
	bool ok;
	if (!fetch_piece(base, path, what, o, rs, &buf, &len, quiet_404))
		return false;
	p.time = now_s();
	p.buf = buf;
	p.len = len;
	bundle_save(o, rs, kind, buf, len, base);
	ok = snapshot_apply(s, &p, rs);
	free(buf);
	return ok;
}

static enum gd_err collect_url(struct snapshot *s, const char *base, const struct collect_opts *oin,
			       struct report_snapshot *rs)
{
	double pause = 0, depth = 0;
	char note[512], pause_text[64];
	struct pprof_index idx;
	bool have_index = false, have_d1;
	uint64_t d1_total = 0;
	struct collect_opts dl = *oin;
	const struct collect_opts *o = &dl;

	free(s->base_url);
	s->base_url = xstrdup(base);
	if (!dl.deadline_ms && dl.fetch.total_timeout_ms > 0)
		dl.deadline_ms = mono_ms() + dl.fetch.total_timeout_ms;

	/* The index says which profiles exist (goroutineleak only on Go 1.26+).
	 * A server that does not answer it in time will not answer the rest:
	 * the first timeout stops the collection. */
	{
		struct fetch_opts fo = o->fetch;
		struct gd_errbuf ieb = { "" };
		enum gd_err ie;
		fo.max_bytes = 1 << 20;
		deadline_left(o, &fo);
		if ((ie = pprof_index_fetch(base, &fo, &idx, &ieb))) {
			report_snapshot_piece(rs, "pprof index", base, now_s(), false, ieb.msg);
			if (ie == GD_ETIMEOUT)
				return GD_ETIMEOUT;
		} else {
			const struct pprof_index_entry *gr = pprof_index_get(&idx, "goroutine");
			have_index = true;
			snprintf(note, sizeof(note), "%zu profiles%s", idx.n,
				 pprof_index_get(&idx, "goroutineleak") ? ", goroutineleak among them" : "");
			if (gr)
				snprintf(note + strlen(note), sizeof(note) - strlen(note), "; %" PRIu64 " goroutines",
					 (uint64_t)gr->count);
			report_snapshot_piece(rs, "pprof index", base, now_s(), true, note);
		}
	}

	/* debug=1 first: a short pause on Go >= 1.19, and it sizes debug=2's
	 * (a debug=2 dump read next takes its place in the snapshot). */
	have_d1 = fetch_apply(s, base, "/debug/pprof/goroutine?debug=1", "goroutine?debug=1", EV_GOROUTINE_DEBUG1,
			      NULL, o, rs, false);
	if (have_d1) {
		d1_total = s->g.total;
		depth = mean_depth(&s->g);
		pause = snapshot_estimate_stw_ms(d1_total, depth);
	}
	report_format_duration(pause_text, sizeof(pause_text), pause / 1000);
	if (have_d1 && pause > o->max_stw_ms) {
		snprintf(note, sizeof(note),
			 "skipped: the stop-the-world pause of debug=2 is estimated at %s (%" PRIu64
			 " goroutines x %.0f frames), over the %.0f ms budget (--max-stw); using debug=1, socket idle times and goroutineleak",
			 pause_text, d1_total, depth, o->max_stw_ms);
		report_snapshot_piece(rs, "goroutine?debug=2", base, now_s(), false, note);
	} else {
		snprintf(note, sizeof(note), "estimated pause %s", pause_text);
		fetch_apply(s, base, "/debug/pprof/goroutine?debug=2", "goroutine?debug=2", EV_GOROUTINE_DEBUG2, note,
			    o, rs, false);
	}

	/* goroutineleak (Go 1.26 experiment, 1.27): proves channel/sync leaks.
	 * Asked for when the index lists it, or when there is no index. */
	if (!have_index || pprof_index_get(&idx, "goroutineleak"))
		fetch_apply(s, base, "/debug/pprof/goroutineleak?debug=1", "goroutineleak?debug=1",
			    EV_GOROUTINELEAK_DEBUG1, NULL, o, rs, !have_index);

	/* heap?debug=1: allocation sites and the MemStats trailer. */
	fetch_apply(s, base, "/debug/pprof/heap?debug=1", "heap?debug=1", EV_HEAP_TEXT, NULL, o, rs, false);

	/* Without a MemStats block, the runtime's numbers may still be served
	 * as expvar or Prometheus metrics (absent on most services: quiet 404). */
	if (!s->has_memstats)
		fetch_apply(s, base, "/debug/vars", "/debug/vars", EV_EXPVAR, NULL, o, rs, true);
	if (!s->has_memstats)
		fetch_apply(s, base, "/metrics", "/metrics", EV_METRICS, NULL, o, rs, true);
	return GD_OK;
}

static char *base_of(const char *url)
{
	char *b = xstrdup(url), *p = strstr(b, "/debug/pprof");
	size_t n;
	if (p)
		*p = '\0';
	n = strlen(b);
	while (n && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

/* --- a live process -------------------------------------------------------- */

/* The process's own pprof endpoint, on one of its loopback listeners. */
static bool discover_endpoint(struct snapshot *s, const struct collect_opts *o, struct report_snapshot *rs,
			      char *out, size_t outlen)
{
	struct fetch_opts fo = o->fetch;
	struct gd_errbuf eb = { "" };
	fo.connect_timeout_ms = 1000;
	fo.total_timeout_ms = 2000;
	fo.max_bytes = 1 << 20;
	fo.max_redirects = 0;
	if (pprof_endpoint_from_socks(&s->socks, &fo, out, outlen, &eb)) {
		report_snapshot_piece(rs, "pprof endpoint", NULL, now_s(), false, eb.msg);
		return false;
	}
	report_snapshot_piece(rs, "pprof endpoint", out, now_s(), true, "found on the process's own listener");
	return true;
}

/* Raw copies of /proc files for a bundle, read back by `doctor DIR`
 * (environ is not copied: it may hold secrets; its runtime knobs go to the
 * manifest). */
static void bundle_proc_copies(const struct collect_opts *o, struct report_snapshot *rs, int pid)
{
	static const struct {
		const char *file;
		enum evidence_kind kind;
	} files[] = {
		{ "status", EV_PROC_STATUS },
		{ "smaps_rollup", EV_SMAPS_ROLLUP },
		{ "net/sockstat", EV_SOCKSTAT },
	};
	const char *proc = o->proc_root ? o->proc_root : "/proc";
	char path[4096];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct strbuf sb = STRBUF_INIT_MAX((size_t)16 << 20);
		struct gd_errbuf eb = { "" };
		snprintf(path, sizeof(path), "%s/%d/%s", proc, pid, files[i].file);
		if (!procfs_read_file(path, (size_t)16 << 20, &sb, &eb))
			bundle_save(o, rs, files[i].kind, sb.buf, sb.len, path);
		else
			bundle_writer_record(o->bundle, bundle_name(files[i].kind), files[i].kind, path, now_s(), false,
					     eb.msg);
		strbuf_release(&sb);
	}
}

static void collect_sockets(struct snapshot *s, int pid, const struct collect_opts *o, struct report_snapshot *rs)
{
	struct sock_opts so = { o->proc_root, NULL, o->replay_netlink };
	struct gd_errbuf eb = { "" };
	char recfile[4096];
	enum gd_err e;
	/* A bundle keeps its own recording; a replayed one is the caller's file. */
	if (o->bundle && !o->replay_netlink) {
		bundle_writer_path(o->bundle, bundle_name(EV_NETLINK_RECORDING), recfile, sizeof(recfile));
		so.record_file = recfile;
	}
	e = tcp_socks_for_pid(&so, pid, &s->socks, &eb);
	if (e && so.record_file) {
		/* The recording could not be written: the sockets still can be
		 * read, and the bundle says its copy failed. */
		char why[GD_ERRBUF_SIZE];
		snprintf(why, sizeof(why), "%s", eb.msg);
		so.record_file = NULL;
		tcp_sock_list_release(&s->socks);
		tcp_sock_list_init(&s->socks);
		e = tcp_socks_for_pid(&so, pid, &s->socks, &eb);
		bundle_writer_record(o->bundle, bundle_name(EV_NETLINK_RECORDING), EV_NETLINK_RECORDING, "sock_diag",
				     now_s(), false, why);
		if (!e)
			report_snapshot_piece(rs, bundle_name(EV_NETLINK_RECORDING), "sock_diag", now_s(), false, why);
	} else if (so.record_file) {
		bundle_writer_record(o->bundle, bundle_name(EV_NETLINK_RECORDING), EV_NETLINK_RECORDING,
				     s->socks.source, now_s(), !e, e ? eb.msg : NULL);
	}
	if (e) {
		report_snapshot_piece(rs, "TCP sockets", NULL, now_s(), false, eb.msg);
		return;
	}
	s->has_sockets = true;
	snapshot_find_listeners(s, false);
	report_snapshot_piece(rs, "TCP sockets", s->socks.source, now_s(), !s->socks.partial,
			      s->socks.notes[0] ? s->socks.notes : NULL);
}

static void collect_census(struct snapshot *s, int pid, const struct collect_opts *o,
			   struct report_snapshot *rs);

static enum gd_err collect_pid(struct snapshot *s, int pid, const struct collect_opts *o,
			       struct report_snapshot *rs, struct gd_errbuf *oeb)
{
	struct procfs_roots roots = { o->proc_root, o->sys_root };
	struct gd_errbuf eb = { "" };
	enum gd_err be;
	char path[4096], base[160];
	const char *proc = o->proc_root ? o->proc_root : "/proc";

	s->pid = pid;
	if (procinfo_read(&s->pi, &roots, pid, PI_ALL, &eb)) {
		report_snapshot_piece(rs, "/proc", proc, now_s(), false, eb.msg);
	} else {
		/* Copies for a bundle only of a process that is there. */
		if (o->bundle)
			bundle_proc_copies(o, rs, pid);
		s->has_proc = true;
		report_snapshot_piece(rs, "/proc (status, smaps_rollup, environ, cgroup)", proc, now_s(),
				      !procinfo_partial(&s->pi), NULL);
		for (size_t i = 0; i < s->pi.notes.nr; i++)
			report_snapshot_piece(rs, s->pi.notes.v[i].what, proc, now_s(), false, s->pi.notes.v[i].why);
	}

	snprintf(path, sizeof(path), "%s/%d/exe", proc, pid);
	if ((be = go_buildinfo_read_file(path, &s->bi, &eb))) {
		report_snapshot_piece(rs, "Go build info", path, now_s(), false, eb.msg);
		/* Not a Go program: no pprof to probe, no rule that applies.
		 * Its listeners are never asked anything. */
		if (be == GD_EFORMAT && !o->pprof_url && s->has_proc)
			return gd_fail(oeb, GD_EFORMAT, "%d: not a Go process (%s)", pid, eb.msg);
		if (be == GD_EPERM && !o->pprof_url)
			return gd_fail(oeb, GD_EPERM, "%d: permission denied reading %s (run as the process's user or root)",
				       pid, path);
	} else {
		s->has_buildinfo = true;
		report_snapshot_piece(rs, "Go build info", path, now_s(), true, s->bi.go_version);
	}
	if (s->has_buildinfo) {
		godebug_eval_compute(&s->policy, s->bi.go_version, s->has_proc ? s->pi.kernel_release : NULL,
				     go_buildinfo_setting(&s->bi, "DefaultGODEBUG"),
				     go_buildinfo_setting(&s->bi, "-ldflags"),
				     s->has_proc ? s->pi.env.val[PENV_GODEBUG] : NULL);
		s->has_policy = true;
	}

	collect_sockets(s, pid, o, rs);

	if (o->pprof_url) {
		char *b = base_of(o->pprof_url);
		report_snapshot_piece(rs, "pprof endpoint", b, now_s(), true, "given with --pprof");
		collect_url(s, b, o, rs);
		free(b);
	} else if (s->has_sockets) {
		/* The endpoint is one of the process's own ports: ask it from the
		 * process's network namespace, and make sure it is the process
		 * that answers before asking for anything that stops a world. */
		struct collect_opts po = *o;
		po.fetch.netns_pid = pid;
		if (discover_endpoint(s, &po, rs, base, sizeof(base))) {
			bool live = !o->proc_root || !strcmp(o->proc_root, PROCFS_ROOT_DEFAULT);
			if (live && endpoint_check_owner(pid, NULL, base, &eb)) {
				report_snapshot_piece(rs, "pprof endpoint", base, now_s(), false, eb.msg);
				return gd_fail(oeb, GD_EPERM, "%d: %s", pid, eb.msg);
			}
			collect_url(s, base, &po, rs);
		}
	}
	if (!s->has_goroutines && s->has_buildinfo)
		collect_census(s, pid, o, rs);
	return GD_OK;
}

/* --- the goroutine census (issue 9): no pprof endpoint ---------------------- */

/* No goroutines from an endpoint: read them from the process's memory,
 * without stopping it (census/), and keep the text like a debug=2 dump. */
static void collect_census(struct snapshot *s, int pid, const struct collect_opts *o,
			   struct report_snapshot *rs)
{
	struct census_source_opts co = { .no_read_memory = o->no_read_memory, .no_fallback = true };
	struct census_source cs;
	struct strbuf text = STRBUF_INIT_MAX((size_t)1 << 30);
	struct gd_errbuf eb = { "" };
	if (o->no_read_memory) {
		report_snapshot_piece(rs, "goroutines from the process's memory", NULL, now_s(), false,
				      "not read (--no-read-memory)");
	} else if (census_source_pid(pid, &co, &text, &cs, &eb)) {
		report_snapshot_piece(rs, "goroutines from the process's memory", NULL, now_s(), false, eb.msg);
	} else {
		char src[64];
		snprintf(src, sizeof(src), "memory of process %d", pid);
		struct evidence_piece p = {
			.kind = EV_GOROUTINE_DEBUG2, .what = "goroutines (read from the process's memory)",
			.source = src, .time = now_s(), .buf = text.buf, .len = text.len, .note = cs.what,
		};
		if (snapshot_apply(s, &p, rs))
			bundle_save(o, rs, EV_GOROUTINE_DEBUG2, text.buf, text.len, src);
		census_settings_collect(pid, text.buf, text.len, &s->settings);
		for (size_t i = 0; i < s->settings.n; i++) {
			char line[512];
			server_settings_describe(&s->settings.v[i], line, sizeof(line));
			report_snapshot_piece(rs, "server settings (read from the process's memory)", src,
					      now_s(), true, line);
		}
		if (s->settings.n && o->bundle) {
			struct strbuf st = STRBUF_INIT_MAX(SERVER_SETTINGS_MAX_TEXT);
			server_settings_format(&s->settings, &st);
			bundle_save(o, rs, EV_SERVER_SETTINGS, st.buf, st.len, src);
			strbuf_release(&st);
		}
	}
	strbuf_release(&text);
}

/* --- entry point ----------------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}


enum gd_err snapshot_collect(struct snapshot *s, const char *target, const struct collect_opts *o,
			     struct report_snapshot *rs, struct gd_errbuf *eb)
{
	struct stat st;
	s->label = xstrdup(target);
	s->time = now_s();
	rs->time = s->time;
	if (all_digits(target)) {
		uint64_t pid;
		if (!parse_u64(target, &pid) || pid == 0 || pid > 4194304)
			return gd_fail(eb, GD_EARG, "%s: not a valid PID", target);
		{
			enum gd_err e = collect_pid(s, (int)pid, o, rs, eb);
			if (e)
				return e;
		}
		if (!s->has_proc && !s->has_sockets && !s->has_buildinfo)
			return gd_fail(eb, GD_ENOENT, "%s: no such process", target);
	} else if (!strncmp(target, "http://", 7) || !strncmp(target, "https://", 8) ||
		   !strncmp(target, "unix:", 5)) {
		char *base = base_of(target);
		enum gd_err ue = collect_url(s, base, o, rs);
		free(base);
		if (ue == GD_ETIMEOUT)
			return gd_fail(eb, GD_ETIMEOUT, "no response from %s in %ld s", target,
				       o->fetch.total_timeout_ms / 1000);
		if (!s->has_goroutines && !s->has_heap)
			return gd_fail(eb, GD_EHTTP, "%s: no pprof endpoint could be read", target);
	} else if ((errno = 0, !stat(target, &st)) && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
		struct evidence_set set;
		enum gd_err e;
		size_t used;
		evidence_set_init(&set);
		e = S_ISDIR(st.st_mode) ? evidence_dir_read(&set, target, eb) : evidence_file_read(&set, target, eb);
		if (e) {
			evidence_set_release(&set);
			return e;
		}
		used = apply_set(s, &set, rs);
		evidence_set_release(&set);
		if (!used)
			return gd_fail(eb, GD_EFORMAT, S_ISDIR(st.st_mode)
				       ? "%s: no evidence godiag can read in this directory"
				       : "%s: not evidence godiag can read", target);
	} else if (errno == ENOENT || errno == ENOTDIR) {
		return gd_fail(eb, GD_ENOENT, "%s: no such file or directory (nor a PID or an http(s):// URL)", target);
	} else {
		return gd_fail(eb, GD_EARG, "%s: not a PID, an http(s):// URL, a directory or a file", target);
	}
	if (s->has_buildinfo) {
		free(rs->go_version);
		rs->go_version = s->bi.go_version ? xstrdup(s->bi.go_version) : NULL;
		rs->module = s->bi.mod_path ? xstrdup(s->bi.mod_path) : s->bi.path ? xstrdup(s->bi.path) : NULL;
	}
	if (s->has_proc && s->pi.kernel_release[0])
		rs->kernel = xstrdup(s->pi.kernel_release);
	if (s->has_policy)
		rs->mem_policy = xstrdup(mem_policy_name(s->policy.policy));
	rs->pid = s->pid;
	return GD_OK;
}
