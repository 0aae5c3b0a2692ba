/* SPDX-License-Identifier: MIT */
/* godiag doctor TARGET [LATER_TARGET]: collect the evidence, run the rules,
 * and print each finding with its evidence and the fix. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "diagnose/diagnose.h"
#include "diagnose/rules.h"
#include "diagnose/snapshot.h"
#include "report/doctor_report.h"
#include "util/duration.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char doctor_usage[] =
	"usage: godiag doctor [options] TARGET [LATER_TARGET]\n"
	"\n"
	"Diagnose a Go service: collect the evidence, name the cause, show the numbers\n"
	"and give the fix.  TARGET is a PID, an http(s)://host:port base URL (the pprof\n"
	"endpoints under /debug/pprof/), or a directory of evidence files (a bundle from\n"
	"`godiag bundle`, or files attached to a ticket: dumps, profiles, /proc copies,\n"
	"`ss -tinp` output, /debug/vars, /metrics).  With LATER_TARGET (the same service,\n"
	"later), growth rules compare the two snapshots.\n"
	"\n"
	"  --json              machine-readable report\n"
	"  --html FILE         also write a self-contained HTML report\n"
	"  --rules FILE        add rules (repeatable; see docs/rules.md)\n"
	"  --list-rules        print the rules in force and exit\n"
	"  --idle-threshold D  idle time that counts as \"held open\" (default 10m)\n"
	"  --max-stw MS        pause budget for the stop-the-world debug=2 dump (default 100)\n"
	"  --timeout SECS      per-request HTTP timeout (default 30)\n"
	"  -H, --header 'K: V' extra HTTP header (repeatable), e.g. for auth\n"
	"  --cacert FILE       CA bundle to verify an https target; --insecure skips it\n"
	"  --pprof URL         a PID's pprof base URL; without it doctor probes the\n"
	"                      process's loopback listeners (quiet ones first) with\n"
	"                      GET /debug/pprof/, which the application may serve itself\n"
	"  --proc-root DIR     read /proc from DIR (tests, containers)\n"
	"  --color WHEN        auto (default), always, never; NO_COLOR is honoured\n"
	"\n"
	"godiag never sends a signal to the target and reads only.  Exit status: 0 no\n"
	"findings, 1 findings, 2 usage error.\n";

enum {
	OPT_JSON = 1000, OPT_HTML, OPT_RULES, OPT_LIST, OPT_IDLE, OPT_MAX_STW, OPT_TIMEOUT, OPT_PROC_ROOT,
	OPT_COLOR, OPT_CACERT, OPT_INSECURE, OPT_PPROF,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "list-rules", no_argument, NULL, OPT_LIST },
	{ "idle-threshold", required_argument, NULL, OPT_IDLE },
	{ "max-stw", required_argument, NULL, OPT_MAX_STW },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "header", required_argument, NULL, 'H' },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ NULL, 0, NULL, 0 },
};

struct doctor_args {
	bool json, list;
	const char *html, *color;
	const char **rules;
	size_t nrules;
	const char **headers;
	size_t nheaders;
	uint32_t idle_s;
	struct collect_opts co;
	int argi;
};

static int parse_args(int argc, char **argv, struct doctor_args *a, const char *usage)
{
	int c;
	memset(a, 0, sizeof(*a));
	collect_opts_init(&a->co);
	a->idle_s = 600;
	a->color = "auto";
	optind = 1;
	while ((c = getopt_long(argc, argv, "hH:", long_opts, NULL)) != -1) {
		char *end;
		uint64_t ms;
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 1;
		case OPT_JSON: a->json = true; break;
		case OPT_HTML: a->html = optarg; break;
		case OPT_LIST: a->list = true; break;
		case OPT_RULES:
			a->rules = xreallocarray(a->rules, a->nrules + 1, sizeof(*a->rules));
			a->rules[a->nrules++] = optarg;
			break;
		case OPT_IDLE:
			if (!parse_duration_ms(optarg, 60000, &ms) || ms > 86400000ULL * 365) {
				error("--idle-threshold: bad duration '%s' (examples: 30s, 10m, 2h)", optarg);
				return -1;
			}
			a->idle_s = (uint32_t)(ms / 1000);
			break;
		case OPT_MAX_STW:
			errno = 0;
			a->co.max_stw_ms = strtod(optarg, &end);
			if (errno || end == optarg || *end || a->co.max_stw_ms < 0) {
				error("--max-stw: expected milliseconds, got '%s'", optarg);
				return -1;
			}
			break;
		case OPT_TIMEOUT: {
			unsigned long v;
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 || v > 3600) {
				error("--timeout: expected seconds (1-3600), got '%s'", optarg);
				return -1;
			}
			a->co.fetch.total_timeout_ms = (long)v * 1000;
			if (a->co.fetch.connect_timeout_ms > a->co.fetch.total_timeout_ms)
				a->co.fetch.connect_timeout_ms = a->co.fetch.total_timeout_ms;
			break;
		}
		case 'H':
			if (strchr(optarg, '\r') || strchr(optarg, '\n') || !strchr(optarg, ':')) {
				error("--header: expected 'Name: value' on one line");
				return -1;
			}
			a->headers = xreallocarray(a->headers, a->nheaders + 1, sizeof(*a->headers));
			a->headers[a->nheaders++] = optarg;
			break;
		case OPT_PROC_ROOT: a->co.proc_root = optarg; break;
		case OPT_CACERT: a->co.fetch.cacert = optarg; break;
		case OPT_INSECURE: a->co.fetch.insecure = true; break;
		case OPT_PPROF:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8) && strncmp(optarg, "unix:", 5)) {
				error("--pprof: expected an http(s):// or unix: URL, got '%s'", optarg);
				return -1;
			}
			a->co.pprof_url = optarg;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
				error("--color: expected auto, always or never");
				return -1;
			}
			a->color = optarg;
			break;
		default:
			return -1;
		}
	}
	a->co.fetch.headers = a->headers;
	a->co.fetch.nheaders = a->nheaders;
	a->argi = optind;
	return 0;
}

static void args_release(struct doctor_args *a)
{
	free(a->rules);
	free(a->headers);
}

static int list_rules(const struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		printf("%-26s %-8s %s  (%s)\n", rs->rules[i].id, severity_name(rs->rules[i].severity),
		       rs->rules[i].title ? rs->rules[i].title : "", rs->rules[i].origin);
	return EXIT_OK;
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_args a;
	struct ruleset rs;
	struct gd_errbuf eb = { "" };
	struct snapshot snaps[2];
	struct report rep;
	struct diagnose_opts dopts;
	int nt, rc = parse_args(argc, argv, &a, doctor_usage);
	if (rc) {
		if (rc < 0)
			fputs("usage: godiag doctor [options] TARGET [LATER_TARGET]  (see --help)\n", stderr);
		args_release(&a);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	ruleset_init(&rs);
	if (ruleset_load_builtin(&rs, &eb))
		BUG("built-in rules: %s", eb.msg);
	for (size_t i = 0; i < a.nrules; i++) {
		if (ruleset_load_file(&rs, a.rules[i], &eb)) {
			error("%s", eb.msg);
			ruleset_release(&rs);
			args_release(&a);
			return EXIT_USAGE;
		}
	}
	if (a.list) {
		rc = list_rules(&rs);
		ruleset_release(&rs);
		args_release(&a);
		return rc;
	}
	nt = argc - a.argi;
	if (nt < 1 || nt > 2) {
		error(nt < 1 ? "doctor: no target given" : "doctor: at most two targets (TARGET LATER_TARGET)");
		fputs("usage: godiag doctor [options] TARGET [LATER_TARGET]  (see --help)\n", stderr);
		ruleset_release(&rs);
		args_release(&a);
		return EXIT_USAGE;
	}
	report_init(&rep, argv[a.argi]);
	rc = EXIT_OK;
	for (int i = 0; i < nt; i++) {
		struct report_snapshot *rsn = report_add_snapshot(&rep, argv[a.argi + i], 0);
		snapshot_init(&snaps[i]);
		if (snapshot_collect(&snaps[i], argv[a.argi + i], &a.co, rsn, &eb)) {
			/* Nothing at all could be read: the report says so too. */
			error("%s", eb.msg);
			report_snapshot_piece(rsn, "target", argv[a.argi + i], 0, false, eb.msg);
			rc = EXIT_FAIL;
		}
	}
	dopts.idle_threshold_s = a.idle_s;
	diagnose_run(&rs, nt == 2 ? &snaps[0] : NULL, &snaps[nt - 1], &dopts, &rep);
	if (a.json) {
		doctor_render_json(stdout, &rep);
	} else {
		bool color = !strcmp(a.color, "always") || (!strcmp(a.color, "auto") && isatty(1) && !getenv("NO_COLOR"));
		doctor_render_text(stdout, &rep, color);
	}
	if (a.html) {
		FILE *f = fopen(a.html, "w");
		if (!f) {
			error("%s: %s", a.html, strerror(errno));
		} else {
			doctor_render_html(f, &rep);
			if (fclose(f))
				error("%s: %s", a.html, strerror(errno));
		}
	}
	if (rep.nfindings)
		rc = EXIT_FAIL;
	for (int i = 0; i < nt; i++)
		snapshot_release(&snaps[i]);
	report_release(&rep);
	ruleset_release(&rs);
	args_release(&a);
	return rc;
}
