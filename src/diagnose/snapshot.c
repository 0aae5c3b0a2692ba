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

#include "diagnose/evidence_dir.h"
#include "diagnose/snapshot.h"
#include "goroutine/dump_input.h"
#include "linux/sockdiag.h"
#include "remote/discover.h"
#include "remote/expvar.h"
#include "remote/promtext.h"
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

/* Save a raw piece into the bundle directory, if one is being written. */
static void bundle_save(const struct collect_opts *o, const char *name, const char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	if (!o->bundle_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", o->bundle_dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	if (len)
		fwrite(buf, 1, len, f);
	fclose(f);
}

/* --- goroutines and heap over HTTP --------------------------------------- */

static enum gd_err read_dump(struct grouping *g, const char *buf, size_t len, bool *truncated, bool *waits,
			     struct gd_errbuf *eb)
{
	struct dump_input in;
	enum gd_err e;
	dump_input_init(&in, g, 0);
	e = dump_input_parse_buffer(&in, buf, len, false, NULL, NULL);
	if (truncated)
		*truncated = in.truncated;
	if (waits)
		*waits = in.format == DUMP_FMT_DEBUG2;
	if (e)
		gd_fail(eb, e, "%s", in.eb.msg[0] ? in.eb.msg : gd_strerror(e));
	dump_input_release(&in);
	return e;
}

static double mean_depth(const struct grouping *g)
{
	double frames = 0;
	if (!g->total)
		return 0;
	for (size_t i = 0; i < g->nbuckets; i++)
		frames += (double)g->buckets[i].count * g->buckets[i].nframes;
	return frames / (double)g->total;
}

/* GET base + path; records the piece; on success *buf holds the body. */
static bool fetch_piece(const char *base, const char *path, const char *what, const struct collect_opts *o,
			struct report_snapshot *rs, char **buf, size_t *len, bool quiet_404)
{
	struct strbuf url = STRBUF_INIT_MAX(8192);
	struct fetch_result res;
	struct gd_errbuf eb = { "" };
	enum gd_err e;
	strbuf_addf(&url, "%s%s", base, path);
	*buf = NULL;
	*len = 0;
	e = fetch_buffer(url.buf, &o->fetch, buf, len, &res, &eb);
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

static void collect_url(struct snapshot *s, const char *base, const struct collect_opts *o,
			struct report_snapshot *rs)
{
	char *buf;
	size_t len;
	struct gd_errbuf eb = { "" };
	struct grouping g1;
	bool have_d1 = false;
	double pause = 0, depth = 0;
	char note[512];
	struct pprof_index idx;
	bool have_index = false;

	free(s->base_url);
	s->base_url = xstrdup(base);

	/* The index says which profiles exist (goroutineleak only on Go 1.26+). */
	{
		struct fetch_opts fo = o->fetch;
		struct gd_errbuf ieb = { "" };
		fo.max_bytes = 1 << 20;
		if (pprof_index_fetch(base, &fo, &idx, &ieb)) {
			report_snapshot_piece(rs, "pprof index", base, now_s(), false, ieb.msg);
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

	/* debug=1 first: a short pause on Go >= 1.19, and it sizes debug=2's. */
	grouping_init(&g1, GROUP_ANY_ARGS, 0);
	if (fetch_piece(base, "/debug/pprof/goroutine?debug=1", "goroutine?debug=1", o, rs, &buf, &len, false)) {
		if (read_dump(&g1, buf, len, NULL, NULL, &eb)) {
			report_snapshot_piece(rs, "goroutine?debug=1", base, now_s(), false, eb.msg);
		} else {
			have_d1 = true;
			depth = mean_depth(&g1);
			pause = snapshot_estimate_stw_ms(g1.total, depth);
			snprintf(note, sizeof(note), "%" PRIu64 " goroutines, mean depth %.1f frames", g1.total, depth);
			report_snapshot_piece(rs, "goroutine?debug=1", base, now_s(), true, note);
			bundle_save(o, "goroutine-debug1.txt", buf, len);
		}
		free(buf);
	}

	if (have_d1 && pause > o->max_stw_ms) {
		snprintf(note, sizeof(note),
			 "skipped: the stop-the-world pause of debug=2 is estimated at %.0f ms (%" PRIu64
			 " goroutines x %.0f frames), over the %.0f ms budget (--max-stw); using debug=1, socket idle times and goroutineleak",
			 pause, g1.total, depth, o->max_stw_ms);
		report_snapshot_piece(rs, "goroutine?debug=2", base, now_s(), false, note);
	} else if (fetch_piece(base, "/debug/pprof/goroutine?debug=2", "goroutine?debug=2", o, rs, &buf, &len, false)) {
		bool trunc = false, waits = false;
		grouping_release(&s->g);
		grouping_init(&s->g, GROUP_ANY_ARGS, 0);
		if (read_dump(&s->g, buf, len, &trunc, &waits, &eb)) {
			report_snapshot_piece(rs, "goroutine?debug=2", base, now_s(), false, eb.msg);
		} else {
			s->has_goroutines = true;
			s->goroutines_have_waits = waits;
			s->goroutines_truncated = trunc;
			snprintf(note, sizeof(note), "%" PRIu64 " goroutines%s; estimated pause %.1f ms", s->g.total,
				 trunc ? " (truncated: the rest lost)" : "", pause);
			report_snapshot_piece(rs, "goroutine?debug=2", base, now_s(), true, note);
			bundle_save(o, "goroutine-debug2.txt", buf, len);
		}
		free(buf);
	}
	if (!s->has_goroutines && have_d1) {
		grouping_release(&s->g);
		s->g = g1;
		grouping_init(&g1, GROUP_ANY_ARGS, 0);
		s->has_goroutines = true;
	}
	grouping_release(&g1);

	/* goroutineleak (Go 1.26 experiment, 1.27): proves channel/sync leaks.
	 * Asked for when the index lists it, or when there is no index. */
	if ((!have_index || pprof_index_get(&idx, "goroutineleak")) &&
	    fetch_piece(base, "/debug/pprof/goroutineleak?debug=1", "goroutineleak?debug=1", o, rs, &buf, &len,
			!have_index)) {
		if (!read_dump(&s->leak, buf, len, NULL, NULL, &eb)) {
			s->has_leak_profile = true;
			report_snapshot_piece(rs, "goroutineleak?debug=1", base, now_s(), true, NULL);
			bundle_save(o, "goroutineleak-debug1.txt", buf, len);
		}
		free(buf);
	}

	/* heap?debug=1: allocation sites and the MemStats trailer. */
	if (fetch_piece(base, "/debug/pprof/heap?debug=1", "heap?debug=1", o, rs, &buf, &len, false)) {
		enum gd_err e = heap_profile_parse_text(&s->heap, buf, len, &eb);
		if (e) {
			report_snapshot_piece(rs, "heap?debug=1", base, now_s(), false, eb.msg);
		} else {
			s->has_heap = true;
			if (s->heap.has_memstats) {
				s->ms = s->heap.memstats;
				s->has_memstats = true;
				snprintf(s->memstats_source, sizeof(s->memstats_source), "heap?debug=1 MemStats");
			}
			report_snapshot_piece(rs, "heap?debug=1", base, now_s(), true,
					      s->heap.has_memstats ? NULL : "no MemStats block");
			bundle_save(o, "heap-debug1.txt", buf, len);
		}
		free(buf);
	}

	/* Without a MemStats block, the runtime's numbers may still be served
	 * as expvar or Prometheus metrics (absent on most services: quiet 404). */
	if (!s->has_memstats && fetch_piece(base, "/debug/vars", "/debug/vars", o, rs, &buf, &len, true)) {
		struct expvar_vars v;
		struct gd_errbuf veb = { "" };
		expvar_vars_init(&v);
		if (expvar_parse(&v, buf, len, "/debug/vars", &veb) || !v.has_memstats) {
			report_snapshot_piece(rs, "/debug/vars", base, now_s(), false, veb.msg[0] ? veb.msg : "no memstats");
		} else {
			s->ms = v.memstats;
			s->has_memstats = true;
			snprintf(s->memstats_source, sizeof(s->memstats_source), "/debug/vars memstats");
			report_snapshot_piece(rs, "/debug/vars", base, now_s(), true, NULL);
			bundle_save(o, "debug-vars.json", buf, len);
		}
		expvar_vars_release(&v);
		free(buf);
	}
	if (!s->has_memstats && fetch_piece(base, "/metrics", "/metrics", o, rs, &buf, &len, true)) {
		struct prom_set set;
		struct gd_errbuf peb = { "" };
		prom_set_init(&set);
		if (prom_parse(&set, buf, len, "/metrics", &peb) || !prom_to_memstats(&set, &s->ms, NULL)) {
			report_snapshot_piece(rs, "/metrics", base, now_s(), false, peb.msg[0] ? peb.msg : "no go_memstats_*");
		} else {
			s->has_memstats = true;
			snprintf(s->memstats_source, sizeof(s->memstats_source), "/metrics go_memstats_*");
			report_snapshot_piece(rs, "/metrics", base, now_s(), true, NULL);
			bundle_save(o, "metrics.txt", buf, len);
		}
		prom_set_release(&set);
		free(buf);
	}
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

void snapshot_find_listeners(struct snapshot *s)
{
	const size_t max = sizeof(s->listen_ports) / sizeof(s->listen_ports[0]);
	s->nlisten = 0;
	for (size_t i = 0; i < s->socks.n && s->nlisten < max; i++) {
		const struct tcp_sock *t = &s->socks.v[i];
		bool dup = false;
		if (t->state != TCPS_LISTEN)
			continue;
		for (size_t j = 0; j < s->nlisten; j++)
			dup |= s->listen_ports[j] == t->local_port;
		if (!dup)
			s->listen_ports[s->nlisten++] = t->local_port;
	}
	if (s->nlisten)
		return;
	/* `ss -tinp` without -a shows no LISTEN rows.  A listener still shows:
	 * its port is the local port of many ESTABLISHED sockets, where a
	 * client's sockets each have their own ephemeral port. */
	for (size_t i = 0; i < s->socks.n && s->nlisten < max; i++) {
		const struct tcp_sock *t = &s->socks.v[i];
		size_t same = 0;
		bool dup = false;
		if (t->state != TCPS_ESTABLISHED)
			continue;
		for (size_t j = 0; j < s->nlisten; j++)
			dup |= s->listen_ports[j] == t->local_port;
		for (size_t k = 0; k < s->socks.n && !dup && same < 2; k++)
			same += s->socks.v[k].state == TCPS_ESTABLISHED && s->socks.v[k].local_port == t->local_port;
		if (!dup && same >= 2)
			s->listen_ports[s->nlisten++] = t->local_port;
	}
}

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

static void collect_pid(struct snapshot *s, int pid, const struct collect_opts *o, struct report_snapshot *rs)
{
	struct procfs_roots roots = { o->proc_root, o->sys_root };
	struct gd_errbuf eb = { "" };
	char path[4096], base[160];
	const char *proc = o->proc_root ? o->proc_root : "/proc";
	struct sock_opts so = { o->proc_root, NULL, NULL };
	char recfile[4096];

	s->pid = pid;
	if (o->bundle_dir) {
		/* Raw copies, read back by `doctor DIR` (environ is not copied:
		 * it may hold secrets; its runtime knobs go to the manifest). */
		static const char *const files[][2] = {
			{ "status", "proc-status.txt" },
			{ "smaps_rollup", "proc-smaps_rollup.txt" },
			{ "net/sockstat", "proc-net-sockstat.txt" },
		};
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			struct strbuf sb = STRBUF_INIT_MAX((size_t)16 << 20);
			snprintf(path, sizeof(path), "%s/%d/%s", proc, pid, files[i][0]);
			if (!procfs_read_file(path, (size_t)16 << 20, &sb, &eb))
				bundle_save(o, files[i][1], sb.buf, sb.len);
			strbuf_release(&sb);
		}
	}
	if (procinfo_read(&s->pi, &roots, pid, PI_ALL, &eb)) {
		report_snapshot_piece(rs, "/proc", proc, now_s(), false, eb.msg);
	} else {
		s->has_proc = true;
		report_snapshot_piece(rs, "/proc (status, smaps_rollup, environ, cgroup)", proc, now_s(),
				      !procinfo_partial(&s->pi), NULL);
		for (size_t i = 0; i < s->pi.notes.nr; i++)
			report_snapshot_piece(rs, s->pi.notes.v[i].what, proc, now_s(), false, s->pi.notes.v[i].why);
	}

	snprintf(path, sizeof(path), "%s/%d/exe", proc, pid);
	if (go_buildinfo_read_file(path, &s->bi, &eb)) {
		report_snapshot_piece(rs, "Go build info", path, now_s(), false, eb.msg);
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

	if (o->bundle_dir) {
		snprintf(recfile, sizeof(recfile), "%s/sockets.gdnl", o->bundle_dir);
		so.record_file = recfile;
	}
	if (tcp_socks_for_pid(&so, pid, &s->socks, &eb)) {
		report_snapshot_piece(rs, "TCP sockets", NULL, now_s(), false, eb.msg);
	} else {
		s->has_sockets = true;
		snapshot_find_listeners(s);
		report_snapshot_piece(rs, "TCP sockets", s->socks.source, now_s(), !s->socks.partial,
				      s->socks.notes[0] ? s->socks.notes : NULL);
	}

	if (o->pprof_url) {
		char *b = base_of(o->pprof_url);
		report_snapshot_piece(rs, "pprof endpoint", b, now_s(), true, "given with --pprof");
		collect_url(s, b, o, rs);
		free(b);
	} else if (s->has_sockets && discover_endpoint(s, o, rs, base, sizeof(base))) {
		collect_url(s, base, o, rs);
	}
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
		long pid = strtol(target, NULL, 10);
		if (pid <= 0 || pid > 4194304)
			return gd_fail(eb, GD_EARG, "%s: not a valid PID", target);
		collect_pid(s, (int)pid, o, rs);
		if (!s->has_proc && !s->has_sockets && !s->has_buildinfo)
			return gd_fail(eb, GD_ENOENT, "%s: no such process, or nothing could be read", target);
	} else if (!strncmp(target, "http://", 7) || !strncmp(target, "https://", 8) ||
		   !strncmp(target, "unix:", 5)) {
		char *base = base_of(target);
		collect_url(s, base, o, rs);
		free(base);
		if (!s->has_goroutines && !s->has_heap)
			return gd_fail(eb, GD_EHTTP, "%s: no pprof endpoint could be read", target);
	} else if (!stat(target, &st) && S_ISDIR(st.st_mode)) {
		enum gd_err e = evidence_dir_read(s, target, rs, eb);
		if (e)
			return e;
	} else {
		return gd_fail(eb, GD_EARG, "%s: not a PID, an http(s):// URL or a directory", target);
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
