/* SPDX-License-Identifier: MIT */
/* godiag doctor TARGET [LATER_TARGET]: collect the evidence, run the rules,
 * and print each finding with its evidence and the fix. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "diagnose/diagnose.h"
#include "diagnose/rules.h"
#include "diagnose/snapshot.h"
#include "report/doctor_report.h"
#include "util/duration.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct doctor_args {
	bool json, list;
	const char *html, *color;
	struct cmd_list rules;
	uint64_t idle_ms, suspect_ms, observe_ms;
	struct cmd_http http;
	struct cmd_sources src;
	struct collect_opts co;
	int argi;
};

static const char *const color_choices[] = { "auto", "always", "never", NULL };

/* 0 to go on, 1 after --help, -1 on a usage error.  On return 0 the
 * positional arguments are argv[a->argi..argc-1]. */
static int parse_args(int *argcp, char **argv, struct doctor_args *a)
{
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &a->json, "machine-readable report"),
		OPT_STRING(0, "html", &a->html, "FILE", "also write a self-contained HTML report"),
		OPT_LIST(0, "rules", &a->rules, "FILE", "add rules (repeatable)"),
		OPT_BOOL(0, "list-rules", &a->list, "print the rules in force and exit"),
		OPT_DURATION(0, "idle-threshold", &a->idle_ms, 60000, 0, 86400000ULL * 365,
			     "idle time that counts as held open"),
		OPT_DURATION(0, "suspect-after", &a->suspect_ms, 60000, 0, 86400000ULL * 365,
			     "from this age on, a leak shape is a warning"),
		OPT_DURATION(0, "observe", &a->observe_ms, 1000, 1000, 86400000ULL,
			     "take a second snapshot this much later"),
		OPT_MAX_STW(&a->co.max_stw_ms),
		OPT_HTTP(&a->http),
		OPT_PPROF_URL(&a->co.pprof_url),
		OPT_BOOL(0, "no-read-memory", &a->co.no_read_memory,
			 "no goroutine census from the process's memory when no endpoint answers"),
		OPT_SOURCES(&a->src),
		OPT_CHOICE(0, "color", &a->color, color_choices, "auto, always, never"),
		OPT_END(),
	};
	int n;

	memset(a, 0, sizeof(*a));
	collect_opts_init(&a->co);
	cmd_http_init(&a->http);
	cmd_sources_init(&a->src);
	a->idle_ms = 600000;
	a->suspect_ms = 120000;
	a->color = "auto";
	n = cmd_parse_args("doctor", *argcp, argv, opts, CMD_ARGS_ANY);
	if (n == CMD_OPT_HELP)
		return 1;
	if (n == CMD_OPT_ERROR)
		return -1;
	cmd_http_apply(&a->http, &a->co.fetch);
	a->co.proc_root = a->src.proc_root;
	a->co.sys_root = a->src.sys_root;
	a->co.replay_netlink = a->src.replay_netlink;
	*argcp = n;
	a->argi = 0;
	return 0;
}

static void args_release(struct doctor_args *a)
{
	cmd_list_release(&a->rules);
	cmd_http_release(&a->http);
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
	int nt, rc = parse_args(&argc, argv, &a);
	if (rc) {
		if (rc < 0)
			fputs("usage: godiag doctor [options] TARGET [LATER_TARGET]  (see --help)\n", stderr);
		args_release(&a);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	ruleset_init(&rs);
	if (ruleset_load_builtin(&rs, &eb))
		BUG("built-in rules: %s", eb.msg);
	for (size_t i = 0; i < a.rules.n; i++) {
		if (ruleset_load_file(&rs, a.rules.v[i], &eb)) {
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
	if (a.observe_ms && nt != 1) {
		error("doctor: --observe takes one TARGET (it takes the later snapshot itself)");
		ruleset_release(&rs);
		args_release(&a);
		return EXIT_USAGE;
	}
	report_init(&rep, argv[a.argi]);
	rc = EXIT_OK;
	if (a.observe_ms)
		nt = 2;
	for (int i = 0; i < nt; i++) {
		const char *target = argv[a.argi + (a.observe_ms ? 0 : i)];
		struct report_snapshot *rsn;
		enum gd_err e;
		if (a.observe_ms && i == 1) {
			struct stat st;
			if (!stat(target, &st)) {
				error("%s: --observe needs a live target (a PID or URL), not files", target);
				rc = EXIT_USAGE;
				nt = 1;
				break;
			}
			if (isatty(2))
				fprintf(stderr, "godiag doctor: second look at %s in %u s...\n", target,
					(unsigned)(a.observe_ms / 1000));
			sleep((unsigned)(a.observe_ms / 1000));
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
	if (rc)
		goto out;
	diagnose_opts_init(&dopts);
	dopts.idle_threshold_s = (uint32_t)(a.idle_ms / 1000);
	dopts.suspect_after_s = (uint32_t)(a.suspect_ms / 1000);
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
	if (!snaps[nt - 1].has_goroutines && !snaps[nt - 1].has_leak_profile) {
		/* Memory and socket facts alone: the check is partial. */
		warning("%s: partial: no goroutine dump or profile could be read%s", argv[a.argi],
			snaps[nt - 1].pid ? " (no pprof endpoint found; give one with --pprof URL)" : "");
		rc = EXIT_FAIL;
	}
out:
	for (int i = 0; i < nt; i++)
		snapshot_release(&snaps[i]);
	report_release(&rep);
	ruleset_release(&rs);
	args_release(&a);
	return rc;
}
