/* SPDX-License-Identifier: MIT */
/* godiag doctor TARGET [LATER_TARGET]: collect the evidence, run the rules,
 * and print each finding with its evidence and the fix. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	"later), growth and survival rules compare the two snapshots.\n"
	"\n"
	"  --json              machine-readable report\n"
	"  --html FILE         also write a self-contained HTML report\n"
	"  --rules FILE        add rules (repeatable; see docs/rules.md)\n"
	"  --list-rules        print the rules in force and exit\n"
	"  --idle-threshold D  idle time that counts as \"held open\": the rule's own\n"
	"                      severity (default 10m)\n"
	"  --suspect-after D   from this age on, a leak shape is a warning with lower\n"
	"                      confidence (default 2m: past Go's 90 s client idle\n"
	"                      timeout and nginx's keep-alive); younger, it is listed\n"
	"                      under \"seen, not a finding\"\n"
	"  --observe D         PID or URL: take a second snapshot D later (e.g. 60s, 5m)\n"
	"                      and judge survival: the same goroutines, the same idle\n"
	"                      connections\n"
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
	"godiag never sends a signal to the target and reads only.\n"
	"\n"
	"Exit status: 0 no findings; 1 findings, or a partial check (the goroutines\n"
	"could not be read); 2 usage error (bad option, invalid PID); 3 target\n"
	"unreadable (no such process, not a Go process, permission denied, no\n"
	"response, no evidence in the directory).  Each failure is one line on stderr.\n";

enum {
	OPT_JSON = 1000, OPT_HTML, OPT_RULES, OPT_LIST, OPT_IDLE, OPT_MAX_STW, OPT_TIMEOUT, OPT_PROC_ROOT,
	OPT_COLOR, OPT_CACERT, OPT_INSECURE, OPT_PPROF, OPT_SUSPECT, OPT_OBSERVE,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "list-rules", no_argument, NULL, OPT_LIST },
	{ "idle-threshold", required_argument, NULL, OPT_IDLE },
	{ "suspect-after", required_argument, NULL, OPT_SUSPECT },
	{ "observe", required_argument, NULL, OPT_OBSERVE },
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
	uint32_t idle_s, suspect_s, observe_s;
	struct collect_opts co;
	int argi;
};

static int parse_args(int argc, char **argv, struct doctor_args *a, const char *usage)
{
	int c;
	memset(a, 0, sizeof(*a));
	collect_opts_init(&a->co);
	a->idle_s = 600;
	a->suspect_s = 120;
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
		case OPT_SUSPECT:
		case OPT_OBSERVE:
			if (!parse_duration_ms(optarg, 60000, &ms) || ms > 86400000ULL * 365 ||
			    (c == OPT_OBSERVE && (ms < 1000 || ms > 86400000ULL))) {
				error("--%s: bad duration '%s' (examples: 30s, 2m, 1h)",
				      c == OPT_SUSPECT ? "suspect-after" : "observe", optarg);
				return -1;
			}
			if (c == OPT_SUSPECT)
				a->suspect_s = (uint32_t)(ms / 1000);
			else
				a->observe_s = (uint32_t)(ms / 1000);
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
	if (a.observe_s && nt != 1) {
		error("doctor: --observe takes one TARGET (it takes the later snapshot itself)");
		ruleset_release(&rs);
		args_release(&a);
		return EXIT_USAGE;
	}
	report_init(&rep, argv[a.argi]);
	rc = EXIT_OK;
	if (a.observe_s)
		nt = 2;
	for (int i = 0; i < nt; i++) {
		const char *target = argv[a.argi + (a.observe_s ? 0 : i)];
		struct report_snapshot *rsn;
		enum gd_err e;
		if (a.observe_s && i == 1) {
			struct stat st;
			if (!stat(target, &st)) {
				error("%s: --observe needs a live target (a PID or URL), not files", target);
				rc = EXIT_USAGE;
				nt = 1;
				break;
			}
			if (isatty(2))
				fprintf(stderr, "godiag doctor: second look at %s in %u s...\n", target, a.observe_s);
			sleep(a.observe_s);
		}
		rsn = report_add_snapshot(&rep, target, 0);
		snapshot_init(&snaps[i]);
		e = snapshot_collect(&snaps[i], target, &a.co, rsn, &eb);
		if (e) {
			/* The rules never run on a snapshot that could not be read. */
			error("%s", eb.msg);
			rc = e == GD_EARG ? EXIT_USAGE : EXIT_UNREADABLE;
			nt = i + 1;
			break;
		}
	}
	if (rc) {
		for (int i = 0; i < nt; i++)
			snapshot_release(&snaps[i]);
		report_release(&rep);
		ruleset_release(&rs);
		args_release(&a);
		return rc;
	}
	dopts.idle_threshold_s = a.idle_s;
	dopts.suspect_after_s = a.suspect_s;
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
	if (!snaps[nt - 1].has_goroutines) {
		/* Memory and socket facts alone: the check is partial. */
		warning("%s: partial: no goroutine dump or profile could be read%s", argv[a.argi],
			snaps[nt - 1].pid ? " (no pprof endpoint found; give one with --pprof URL)" : "");
		rc = EXIT_FAIL;
	}
	for (int i = 0; i < nt; i++)
		snapshot_release(&snaps[i]);
	report_release(&rep);
	ruleset_release(&rs);
	args_release(&a);
	return rc;
}
