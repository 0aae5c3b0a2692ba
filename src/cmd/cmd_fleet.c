/* SPDX-License-Identifier: MIT */
/* godiag fleet --prometheus URL: the trend rules over every instance a
 * Prometheus server scrapes; --emit-rules writes them as PromQL rules.
 * Options only: the work is src/fleet, the output src/report/fleet_report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "diagnose/rules.h"
#include "fleet/fleet.h"
#include "report/fleet_report.h"
#include "util/duration.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char fleet_usage[] =
	"usage: godiag fleet --prometheus URL [options]\n"
	"       godiag fleet --emit-rules [--period D] [--selector SEL] > godiag.rules.yml\n"
	"\n"
	"Rank the instances a Prometheus server scrapes by the leak they show: troughs\n"
	"(the minimum of each period, default a day) that rise, for goroutines, RSS, heap\n"
	"in use, open fds and node sockets; RSS that climbs while the heap does not; RSS\n"
	"held by MADV_FREE.  Then run doctor on the worst, where their pprof endpoint can\n"
	"be reached, and show the leaking stack.  Reads only; no agent.\n"
	"\n"
	"  --prometheus URL    the server, e.g. http://prometheus:9090\n"
	"  --selector SEL      label matchers in braces, e.g. '{job=~\"api.*\"}'\n"
	"  --range D           how far back (default 7d; at least 4 periods)\n"
	"  --step D            finest window (default 1m; never finer than a 48th of a period)\n"
	"  --end TIME          RFC 3339 or Unix seconds (default now)\n"
	"  --period D          the rhythm, one trough per period (default 24h; e.g. 20s in tests)\n"
	"  --json              machine-readable report (docs/fleet.md has the contract)\n"
	"  --html FILE         also write an HTML report with a sparkline per suspect\n"
	"  --pprof-port N      drill-down: http://HOST:N, HOST from the instance label\n"
	"  --pprof-url T       drill-down URL template: {host}, {instance}, {job}\n"
	"  --drill N           suspects (instances) to drill into (default 3; 0 none)\n"
	"  --max-stw MS        doctor's pause budget for debug=2 (default 100)\n"
	"  --rules FILE        add doctor rules for the drill-down (repeatable)\n"
	"  --timeout SECS      per query and per drill-down request (default 60)\n"
	"  --max-response MB   cap on one answer (default 256)\n"
	"  --parallel N        queries in flight (default 4)\n"
	"  --alpha P           significance level of the trough test (default 0.05)\n"
	"  --emit-rules        print Prometheus recording and alerting rules and exit\n"
	"  -H, --header 'K: V' extra HTTP header (repeatable), e.g. for auth\n"
	"  --cacert FILE       CA bundle for https; --insecure skips verification\n"
	"  --color WHEN        auto (default), always, never\n"
	"\n"
	"Exit status: 0 no suspects, 1 suspects or a partial result (some queries\n"
	"failed: see errors), 2 usage, 3 Prometheus unreadable or no instance found.\n";

/* A duration option that keeps the text as given (for the report). */
struct dur_target {
	double *seconds;
	const char **as_given;
};

static int dur_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	const struct dur_target *t = opt->value;
	uint64_t ms;

	if (!parse_duration_ms(value, 1000, &ms) || ms < 1000 || ms > 366ULL * 86400 * 1000) {
		snprintf(err, errlen, "bad duration '%s' (examples: 20s, 1m, 24h, 7d)", value);
		return -1;
	}
	*t->seconds = (double)ms / 1000.0;
	if (t->as_given)
		*t->as_given = value;
	return 0;
}

static int http_url_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) {
		snprintf(err, errlen, "expected an http(s):// URL, got '%s'", value);
		return -1;
	}
	*(const char **)opt->value = value;
	return 0;
}

static int end_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	if (!fleet_parse_time(value, opt->value)) {
		snprintf(err, errlen, "expected RFC 3339 (2024-12-02T14:33:20Z) or Unix seconds, got '%s'", value);
		return -1;
	}
	return 0;
}

static int alpha_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (errno || end == value || *end || !(v >= 1e-9 && v <= 0.5)) {
		snprintf(err, errlen, "expected a number from 1e-09 to 0.5, got '%s'", value);
		return -1;
	}
	*(double *)opt->value = v;
	return 0;
}

static const char *const color_choices[] = { "auto", "always", "never", NULL };

static void on_progress(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

int cmd_fleet(int argc, char **argv)
{
	struct fleet_opts o;
	struct fleet_report r;
	struct ruleset rs;
	struct gd_errbuf eb = { "" };
	const char *html = NULL, *color = "auto";
	struct cmd_http http;
	struct cmd_list rules = { 0 };
	uint64_t pport = 0, drill, parallel, maxresp_mb;
	bool json = false, emit = false;
	int rc = EXIT_USAGE;

	fleet_opts_init(&o);
	ruleset_init(&rs);
	cmd_http_init(&http);
	drill = o.drill_top;
	parallel = o.parallel;
	maxresp_mb = o.fetch.max_bytes >> 20;
	{
		struct dur_target range = { &o.range_s, &o.range_str }, step = { &o.step_s, &o.step_str },
				  period = { &o.tp.period_s, NULL };
		const struct cmd_option opts[] = {
			OPT_CALLBACK(0, "prometheus", &o.prometheus, "URL", http_url_cb, "the Prometheus server"),
			OPT_STRING(0, "selector", &o.selector, "SEL", "which series"),
			OPT_CALLBACK(0, "range", &range, "DUR", dur_cb, "how far back"),
			OPT_CALLBACK(0, "step", &step, "DUR", dur_cb, "resolution"),
			OPT_CALLBACK(0, "end", &o.end, "TIME", end_cb, "the end of the range"),
			OPT_CALLBACK(0, "period", &period, "DUR", dur_cb, "the trend period"),
			OPT_BOOL(0, "json", &json, "JSON"),
			OPT_STRING(0, "html", &html, "FILE", "also write an HTML report"),
			OPT_UINT(0, "pprof-port", &pport, "a port", 1, 65535, "drill-down port"),
			OPT_CALLBACK(0, "pprof-url", &o.pprof_url, "URL", http_url_cb, "drill-down URL template"),
			OPT_UINT(0, "drill", &drill, "a count", 0, 100, "suspects to drill into"),
			OPT_MAX_STW(&o.max_stw_ms),
			OPT_LIST(0, "rules", &rules, "FILE", "add doctor rules"),
			OPT_UINT(0, "max-response", &maxresp_mb, "megabytes", 1, 16384, "cap on one answer"),
			OPT_UINT(0, "parallel", &parallel, "a count", 1, 64, "queries in flight"),
			OPT_CALLBACK(0, "alpha", &o.tp.alpha, "P", alpha_cb, "significance level"),
			OPT_BOOL(0, "emit-rules", &emit, "print Prometheus rules"),
			OPT_HTTP(&http),
			OPT_CHOICE(0, "color", &color, color_choices, "auto, always, never"),
			OPT_END(),
		};
		argc = cmd_parse_options("fleet", argc, argv, opts);
	}
	if (argc == CMD_OPT_HELP) {
		fputs(fleet_usage, stdout);
		rc = EXIT_OK;
		goto out;
	}
	if (argc == CMD_OPT_ERROR)
		goto out;
	if (argc > 0) {
		error("fleet: unexpected argument '%s'", argv[0]);
		goto usage;
	}
	cmd_http_apply(&http, &o.fetch);
	/* The timeout bounds the stall timer too: one query is one transfer. */
	if (o.fetch.stall_timeout_ms > o.fetch.total_timeout_ms)
		o.fetch.stall_timeout_ms = o.fetch.total_timeout_ms;
	if (pport)
		o.pprof_port = (int)pport;
	o.drill_top = (size_t)drill;
	o.parallel = (size_t)parallel;
	o.fetch.max_bytes = maxresp_mb << 20;
	if (emit) {
		if (fleet_emit_rules(stdout, &o, &eb)) {
			error("%s", eb.msg);
			goto out;
		}
		rc = EXIT_OK;
		goto out;
	}
	if (!o.prometheus) {
		error("fleet: --prometheus URL is required");
		goto usage;
	}
	if (o.range_s < 3 * o.tp.period_s) {
		error("--range %s is shorter than three periods of %.0f s: no trend can be told from it", o.range_str,
		      o.tp.period_s);
		goto out;
	}
	if (o.drill_top && (o.pprof_port || o.pprof_url)) {
		if (ruleset_load_builtin(&rs, &eb)) {
			error("%s", eb.msg);
			rc = EXIT_FAIL;
			goto out;
		}
		for (size_t i = 0; i < rules.n; i++)
			if (ruleset_load_file(&rs, rules.v[i], &eb)) {
				error("%s", eb.msg);
				goto out;
			}
		o.rules = &rs;
	}
	if (isatty(2) || getenv("GODIAG_PROGRESS"))
		o.progress = on_progress;

	enum gd_err e = fleet_run(&o, &r, &eb);
	if (e) {
		error("%s", eb.msg);
		fleet_report_release(&r);
		rc = e == GD_EARG ? EXIT_USAGE : EXIT_UNREADABLE;
		goto out;
	}
	if (json) {
		fleet_render_json(stdout, &r);
	} else {
		bool col = !strcmp(color, "always") || (!strcmp(color, "auto") && isatty(1) && !getenv("NO_COLOR"));
		fleet_render_text(stdout, &r, col);
	}
	rc = r.nsuspects || r.nerrors ? EXIT_FAIL : EXIT_OK;
	if (html) {
		FILE *f = fopen(html, "w");
		if (!f) {
			error("%s: %s", html, strerror(errno));
			rc = EXIT_FAIL;
		} else {
			fleet_render_html(f, &r);
			if (fclose(f)) {
				error("%s: %s", html, strerror(errno));
				rc = EXIT_FAIL;
			}
		}
	}
	fleet_report_release(&r);
	goto out;
usage:
	fputs("usage: godiag fleet --prometheus URL [options]  (see --help)\n", stderr);
	rc = EXIT_USAGE;
out:
	ruleset_release(&rs);
	cmd_http_release(&http);
	cmd_list_release(&rules);
	return rc;
}
