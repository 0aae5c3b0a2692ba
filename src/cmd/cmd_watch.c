/* SPDX-License-Identifier: MIT */
/* godiag watch TARGET... | --all-go | --export csv|json: options only; the
 * loop, the store and the server are src/watch/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "util/duration.h"
#include "util/error.h"
#include "watch/store.h"
#include "watch/watch.h"
#include "util/banned.h"

/* unix seconds, an RFC 3339 UTC time, or a duration before now; in ms. */
static bool parse_when(const char *s, int64_t *ms)
{
	char *end;
	uint64_t d;
	long long v;
	struct tm tm;
	if (!s)
		return true;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end && (!*end || !strcmp(end, "Z"))) {
		*ms = (int64_t)timegm(&tm) * 1000;
		return true;
	}
	v = strtoll(s, &end, 10);
	if (end != s && !*end && v >= 0) {
		*ms = (int64_t)v * 1000;
		return true;
	}
	if (parse_duration_ms(s, 1000, &d)) {
		*ms = (int64_t)time(NULL) * 1000 - (int64_t)d;
		return true;
	}
	return false;
}

static const char *default_db(char *buf, size_t n)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (x && x[0] == '/')
		snprintf(buf, n, "%s/godiag/watch.db", x);
	else if (home && home[0] == '/')
		snprintf(buf, n, "%s/.local/state/godiag/watch.db", home);
	else
		snprintf(buf, n, "watch.db");
	return buf;
}

int cmd_watch(int argc, char **argv)
{
	static const char *const formats[] = { "csv", "json", NULL };
	struct watch_opts o;
	struct cmd_sources src;
	uint64_t interval = 15000, period = 86400000, duration = 0, cooldown = 0, idle = 600000;
	double max_stw = 100;
	const char *db = NULL, *listen = "127.0.0.1:9187", *bundles = NULL, *export = NULL, *since = NULL,
		   *until = NULL;
	bool all_go = false, no_capture = false, json = false;
	char dbbuf[1024], bbuf[1100];
	const struct cmd_option opts[] = {
		OPT_DURATION(0, "interval", &interval, 1000, 100, 86400000, "sampling interval"),
		OPT_DURATION(0, "period", &period, 1000, 2000, 30ULL * 86400000, "the rhythm's length"),
		OPT_DURATION(0, "duration", &duration, 1000, 0, 365ULL * 86400000, "stop after"),
		OPT_DURATION(0, "cooldown", &cooldown, 1000, 0, 365ULL * 86400000, "between captures"),
		OPT_DURATION(0, "idle-threshold", &idle, 60000, 0, 365ULL * 86400000, "idle socket"),
		OPT_MAX_STW(&max_stw),
		OPT_STRING(0, "db", &db, "FILE", "the store"),
		OPT_STRING(0, "bundles", &bundles, "DIR", "where captures go"),
		OPT_STRING(0, "listen", &listen, "HOST:PORT", "the exporter"),
		OPT_BOOL(0, "all-go", &all_go, "every Go process"),
		OPT_BOOL(0, "no-capture", &no_capture, "no bundles"),
		OPT_BOOL(0, "json", &json, "JSON events"),
		OPT_CHOICE(0, "export", &export, formats, "print the store"),
		OPT_STRING(0, "since", &since, "T", "export from"),
		OPT_STRING(0, "until", &until, "T", "export to"),
		OPT_PROC_ROOT(&src),
		OPT_END(),
	};
	cmd_sources_init(&src);
	argc = cmd_parse_args("watch", argc, argv, opts, CMD_ARGS_ANY);
	if (argc < 0)
		return argc == CMD_OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (!db)
		db = default_db(dbbuf, sizeof(dbbuf));
	if (export) {
		struct watch_store st;
		struct gd_errbuf eb = { "" };
		int64_t s_ms = 0, u_ms = 0;
		if (argc) {
			error("watch: --export takes no TARGET");
			return EXIT_USAGE;
		}
		if (!parse_when(since, &s_ms) || !parse_when(until, &u_ms)) {
			error("watch: --since/--until: expected unix seconds, 2026-12-02T19:00:00Z or a duration ago");
			return EXIT_USAGE;
		}
		if (access(db, F_OK)) {
			error("watch: %s: no such store", db);
			return EXIT_UNREADABLE;
		}
		if (watch_store_open(&st, db, true, &eb)) {
			error("%s", eb.msg);
			return EXIT_UNREADABLE;
		}
		if (watch_store_export(&st, stdout, !strcmp(export, "json"), s_ms, u_ms, &eb)) {
			error("%s", eb.msg);
			watch_store_close(&st);
			return EXIT_UNREADABLE;
		}
		watch_store_close(&st);
		return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
	}
	if (!argc && !all_go) {
		error("watch: no TARGET (PIDs or URLs), and no --all-go");
		fputs("usage: godiag watch [options] TARGET...  (see --help)\n", stderr);
		return EXIT_USAGE;
	}
	if (since || until) {
		error("watch: --since/--until go with --export");
		return EXIT_USAGE;
	}
	watch_opts_init(&o);
	o.interval_s = (double)interval / 1000;
	o.period_s = (double)period / 1000;
	o.duration_s = (double)duration / 1000;
	o.cooldown_s = (double)cooldown / 1000;
	o.idle_threshold_s = (uint32_t)(idle / 1000);
	o.max_stw_ms = max_stw;
	o.db = db;
	o.listen = strcmp(listen, "none") ? listen : NULL;
	if (!bundles) {
		const char *slash = strrchr(db, '/');
		if (slash)
			snprintf(bbuf, sizeof(bbuf), "%.*s/bundles", (int)(slash - db), db);
		else
			snprintf(bbuf, sizeof(bbuf), "bundles");
		bundles = bbuf;
	}
	o.bundles = bundles;
	o.proc_root = src.proc_root;
	o.all_go = all_go;
	o.no_capture = no_capture;
	o.json_events = json;
	o.status_lines = isatty(2) && !json;
	o.events = o.status_lines ? NULL : stdout;
	return watch_run(&o, argv, argc);
}
