/* SPDX-License-Identifier: MIT */
/* godiag fleet --prometheus URL: the trend rules over every instance a
 * Prometheus server scrapes; --emit-rules writes them as PromQL rules.
 * Options only: the work is src/fleet, the output src/report/fleet_report. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "diagnose/rules.h"
#include "fleet/fleet.h"
#include "report/fleet_report.h"
#include "util/error.h"
#include "util/banned.h"

static int opt_http_url(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) {
		snprintf(err, errlen, "expected an http(s):// URL, got '%s'", value);
		return -1;
	}
	*(const char **)opt->value = value;
	return 0;
}

static int opt_end(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	if (!fleet_parse_time(value, opt->value)) {
		snprintf(err, errlen, "expected RFC 3339 (2024-12-02T14:33:20Z) or Unix seconds, got '%s'", value);
		return -1;
	}
	return 0;
}

static int opt_alpha(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (errno || end == value || *end || !(v > 0 && v <= 0.5)) {
		snprintf(err, errlen, "expected a level in (0, 0.5], got '%s'", value);
		return -1;
	}
	*(double *)opt->value = v;
	return 0;
}

static void on_progress(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

int cmd_fleet(int argc, char **argv)
{
	static const char *const colors[] = { "auto", "always", "never", NULL };
	struct fleet_opts o;
	struct fleet_report r;
	struct ruleset rs;
	struct gd_errbuf eb = { "" };
	struct cmd_http http;
	struct cmd_list rules = { 0 };
	const char *html = NULL, *color = "auto", *range = NULL, *step = NULL;
	uint64_t range_ms = 0, step_ms = 0, period_ms = 0, port = 0, drill = 3, parallel = 4, maxresp = 0;
	bool json = false, emit = false;
	int rc = EXIT_USAGE;

	fleet_opts_init(&o);
	ruleset_init(&rs);
	cmd_http_init(&http);
	const struct cmd_option opts[] = {
		OPT_CALLBACK(0, "prometheus", &o.prometheus, "URL", opt_http_url, "the Prometheus server"),
		OPT_STRING(0, "selector", &o.selector, "SEL", "label matchers in braces"),
		OPT_DURATION_AS(0, "range", &range_ms, &range, 1000, 1000, 366ULL * 86400 * 1000, "how far back"),
		OPT_DURATION_AS(0, "step", &step_ms, &step, 1000, 1000, 86400ULL * 1000, "finest window"),
		OPT_DURATION(0, "period", &period_ms, 1000, 1000, 366ULL * 86400 * 1000, "the rhythm"),
		OPT_CALLBACK(0, "end", &o.end, "TIME", opt_end, "RFC 3339 or Unix seconds"),
		OPT_BOOL(0, "json", &json, "one JSON object"),
		OPT_STRING(0, "html", &html, "FILE", "also write an HTML report"),
		OPT_UINT(0, "pprof-port", &port, "a port", 1, 65535, "drill-down: http://HOST:PORT"),
		OPT_CALLBACK(0, "pprof-url", &o.pprof_url, "TEMPLATE", opt_http_url, "drill-down URL template"),
		OPT_UINT(0, "drill", &drill, "a count", 0, 100, "suspects to drill into"),
		OPT_MAX_STW(&o.max_stw_ms),
		OPT_LIST(0, "rules", &rules, "FILE", "add doctor rules (repeatable)"),
		OPT_HTTP(&http),
		OPT_SIZE(0, "max-response", &maxresp, 1024, (uint64_t)16 << 30, "cap on one answer"),
		OPT_UINT(0, "parallel", &parallel, "a count", 1, 64, "queries in flight"),
		OPT_CALLBACK(0, "alpha", &o.tp.alpha, "P", opt_alpha, "significance level"),
		OPT_BOOL(0, "emit-rules", &emit, "print Prometheus rules and exit"),
		OPT_CHOICE(0, "color", &color, colors, "auto, always, never"),
		OPT_END(),
	};
	argc = cmd_parse_args("fleet", argc, argv, opts, 0);
	if (argc == CMD_OPT_HELP) {
		rc = EXIT_OK;
		goto out;
	}
	if (argc < 0)
		goto usage;
	if (range_ms) {
		o.range_s = (double)range_ms / 1000;
		o.range_str = range ? range : "";
	}
	if (step_ms) {
		o.step_s = (double)step_ms / 1000;
		o.step_str = step ? step : "";
	}
	if (period_ms)
		o.tp.period_s = (double)period_ms / 1000;
	o.pprof_port = (int)port;
	o.drill_top = (size_t)drill;
	o.parallel = (size_t)parallel;
	if (maxresp)
		o.fetch.max_bytes = maxresp;
	cmd_http_apply(&http, &o.fetch);
	if (o.fetch.stall_timeout_ms > o.fetch.total_timeout_ms)
		o.fetch.stall_timeout_ms = o.fetch.total_timeout_ms;
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
		error("fleet: --range %s is shorter than three periods of %.0f s: no trend can be told from it",
		      o.range_str, o.tp.period_s);
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
	cmd_list_release(&rules);
	cmd_http_release(&http);
	return rc;
}
