/* SPDX-License-Identifier: MIT */
/* godiag fleet --prometheus URL: the trend rules over every instance a
 * Prometheus server scrapes; --emit-rules writes them as PromQL rules.
 * Options only: the work is src/fleet, the output src/report/fleet_report. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "diagnose/rules.h"
#include "fleet/fleet.h"
#include "report/fleet_report.h"
#include "util/duration.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

enum {
	OPT_PROM = 1000, OPT_SEL, OPT_RANGE, OPT_STEP, OPT_END, OPT_PERIOD, OPT_JSON, OPT_HTML, OPT_PPORT, OPT_PURL,
	OPT_DRILL, OPT_MAX_STW, OPT_RULES, OPT_TIMEOUT, OPT_MAXRESP, OPT_PARALLEL, OPT_ALPHA, OPT_EMIT, OPT_CACERT,
	OPT_INSECURE, OPT_COLOR,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "prometheus", required_argument, NULL, OPT_PROM },
	{ "selector", required_argument, NULL, OPT_SEL },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "end", required_argument, NULL, OPT_END },
	{ "period", required_argument, NULL, OPT_PERIOD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "pprof-port", required_argument, NULL, OPT_PPORT },
	{ "pprof-url", required_argument, NULL, OPT_PURL },
	{ "drill", required_argument, NULL, OPT_DRILL },
	{ "max-stw", required_argument, NULL, OPT_MAX_STW },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-response", required_argument, NULL, OPT_MAXRESP },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "emit-rules", no_argument, NULL, OPT_EMIT },
	{ "header", required_argument, NULL, 'H' },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ NULL, 0, NULL, 0 },
};

static bool num_arg(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi)) {
		error("%s: expected a number from %g to %g, got '%s'", opt, lo, hi, s);
		return false;
	}
	*out = v;
	return true;
}

static bool dur_arg(const char *opt, const char *s, double *out_s)
{
	uint64_t ms;
	if (!parse_duration_ms(s, 1000, &ms) || ms < 1000 || ms > 366ULL * 86400 * 1000) {
		error("%s: bad duration '%s' (examples: 20s, 1m, 24h, 7d)", opt, s);
		return false;
	}
	*out_s = (double)ms / 1000.0;
	return true;
}

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
	const char **headers = NULL, **rules = NULL;
	size_t nheaders = 0, nrules = 0;
	bool json = false, emit = false;
	double v;
	int c, rc = EXIT_USAGE;

	fleet_opts_init(&o);
	ruleset_init(&rs);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hH:", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cmd_help(stdout, "fleet");
			rc = EXIT_OK;
			goto out;
		case OPT_PROM:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8)) {
				error("--prometheus: expected an http(s):// URL, got '%s'", optarg);
				goto out;
			}
			o.prometheus = optarg;
			break;
		case OPT_SEL: o.selector = optarg; break;
		case OPT_RANGE:
			if (!dur_arg("--range", optarg, &o.range_s))
				goto out;
			o.range_str = optarg;
			break;
		case OPT_STEP:
			if (!dur_arg("--step", optarg, &o.step_s))
				goto out;
			o.step_str = optarg;
			break;
		case OPT_PERIOD:
			if (!dur_arg("--period", optarg, &o.tp.period_s))
				goto out;
			break;
		case OPT_END:
			if (!fleet_parse_time(optarg, &o.end)) {
				error("--end: expected RFC 3339 (2024-12-02T14:33:20Z) or Unix seconds, got '%s'", optarg);
				goto out;
			}
			break;
		case OPT_JSON: json = true; break;
		case OPT_HTML: html = optarg; break;
		case OPT_PPORT:
			if (!num_arg("--pprof-port", optarg, 1, 65535, &v) || v != floor(v))
				goto out;
			o.pprof_port = (int)v;
			break;
		case OPT_PURL:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8)) {
				error("--pprof-url: expected an http(s):// template like 'http://{host}:6060', got '%s'", optarg);
				goto out;
			}
			o.pprof_url = optarg;
			break;
		case OPT_DRILL:
			if (!num_arg("--drill", optarg, 0, 100, &v))
				goto out;
			o.drill_top = (size_t)v;
			break;
		case OPT_MAX_STW:
			if (!num_arg("--max-stw", optarg, 0, 60000, &o.max_stw_ms))
				goto out;
			break;
		case OPT_RULES:
			rules = xreallocarray(rules, nrules + 1, sizeof(*rules));
			rules[nrules++] = optarg;
			break;
		case OPT_TIMEOUT:
			if (!num_arg("--timeout", optarg, 1, 3600, &v))
				goto out;
			o.fetch.total_timeout_ms = (long)(v * 1000);
			if (o.fetch.connect_timeout_ms > o.fetch.total_timeout_ms)
				o.fetch.connect_timeout_ms = o.fetch.total_timeout_ms;
			if (o.fetch.stall_timeout_ms > o.fetch.total_timeout_ms)
				o.fetch.stall_timeout_ms = o.fetch.total_timeout_ms;
			break;
		case OPT_MAXRESP:
			if (!num_arg("--max-response", optarg, 1, 16384, &v))
				goto out;
			o.fetch.max_bytes = (uint64_t)(v * 1024 * 1024);
			break;
		case OPT_PARALLEL:
			if (!num_arg("--parallel", optarg, 1, 64, &v))
				goto out;
			o.parallel = (size_t)v;
			break;
		case OPT_ALPHA:
			if (!num_arg("--alpha", optarg, 1e-9, 0.5, &o.tp.alpha))
				goto out;
			break;
		case OPT_EMIT: emit = true; break;
		case 'H':
			if (strchr(optarg, '\r') || strchr(optarg, '\n') || !strchr(optarg, ':')) {
				error("--header: expected 'Name: value' on one line");
				goto out;
			}
			headers = xreallocarray(headers, nheaders + 1, sizeof(*headers));
			headers[nheaders++] = optarg;
			break;
		case OPT_CACERT: o.fetch.cacert = optarg; break;
		case OPT_INSECURE: o.fetch.insecure = true; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
				error("--color: expected auto, always or never");
				goto out;
			}
			color = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc) {
		error("fleet: unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	o.fetch.headers = headers;
	o.fetch.nheaders = nheaders;
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
		for (size_t i = 0; i < nrules; i++)
			if (ruleset_load_file(&rs, rules[i], &eb)) {
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
	free(headers);
	free(rules);
	return rc;
}
