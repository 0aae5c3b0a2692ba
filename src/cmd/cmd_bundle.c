/* SPDX-License-Identifier: MIT */
/* godiag bundle TARGET -o DIR: save the evidence for a ticket; `doctor DIR`
 * reads it back offline and gives the same findings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "diagnose/bundle.h"
#include "diagnose/snapshot.h"
#include "report/bundle_report.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct bundle_args {
	bool json;
	const char *output;
	struct cmd_http http;
	struct cmd_sources src;
	struct collect_opts co;
	int argc; /* positional arguments, moved to argv[0..argc-1] */
};

/* 0 to go on, 1 after --help, -1 on a usage error (already said). */
static int parse_args(int argc, char **argv, struct bundle_args *a)
{
	const struct cmd_option opts[] = {
		OPT_STRING('o', "output", &a->output, "DIR", "where to write: a new or empty directory"),
		OPT_BOOL(0, "json", &a->json, "say what was saved as JSON"),
		OPT_MAX_STW(&a->co.max_stw_ms),
		OPT_HTTP(&a->http),
		OPT_PPROF_URL(&a->co.pprof_url),
		OPT_PROC_ROOT(&a->src),
		OPT_SYS_ROOT(&a->src),
		OPT_END(),
	};

	memset(a, 0, sizeof(*a));
	collect_opts_init(&a->co);
	cmd_http_init(&a->http);
	cmd_sources_init(&a->src);
	a->argc = cmd_parse_args("bundle", argc, argv, opts, CMD_ARGS_ANY);
	if (a->argc == CMD_OPT_HELP)
		return 1;
	if (a->argc == CMD_OPT_ERROR)
		return -1;
	cmd_http_apply(&a->http, &a->co.fetch);
	a->co.proc_root = a->src.proc_root;
	a->co.sys_root = a->src.sys_root;
	return 0;
}

int cmd_bundle(int argc, char **argv)
{
	struct bundle_args a;
	struct gd_errbuf eb = { "" };
	struct bundle_writer w;
	struct bundle_identity id;
	struct snapshot s;
	struct report rep;
	struct report_snapshot *rsn;
	const char *target;
	enum gd_err e;
	int rc = parse_args(argc, argv, &a);
	if (rc) {
		if (rc < 0)
			fputs("usage: godiag bundle [options] TARGET -o DIR  (see --help)\n", stderr);
		cmd_http_release(&a.http);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (a.argc != 1 || !a.output) {
		error(!a.output ? "bundle: -o DIR is required" : "bundle: exactly one TARGET");
		fputs("usage: godiag bundle [options] TARGET -o DIR  (see --help)\n", stderr);
		cmd_http_release(&a.http);
		return EXIT_USAGE;
	}
	target = argv[0];
	/* Files and directories are already evidence: there is nothing to
	 * take from them that a bundle would add. */
	if (strspn(target, "0123456789") != strlen(target) && strncmp(target, "http://", 7) &&
	    strncmp(target, "https://", 8) && strncmp(target, "unix:", 5)) {
		error("bundle: TARGET must be a PID or an http(s):// or unix: URL, not '%s' (read files with doctor or diff)",
		      target);
		cmd_http_release(&a.http);
		return EXIT_USAGE;
	}
	e = bundle_writer_open(&w, a.output, &eb);
	if (e) {
		error("%s", eb.msg);
		cmd_http_release(&a.http);
		return e == GD_EARG ? EXIT_USAGE : EXIT_FAIL;
	}
	a.co.bundle = &w;
	report_init(&rep, target);
	rsn = report_add_snapshot(&rep, target, 0);
	snapshot_init(&s);
	rc = EXIT_OK;
	e = snapshot_collect(&s, target, &a.co, rsn, &eb);
	if (e) {
		error("%s", eb.msg);
		report_snapshot_piece(rsn, "target", target, 0, false, eb.msg);
		rc = e == GD_EARG ? EXIT_USAGE : EXIT_UNREADABLE;
	}
	/* The manifest is written even when nothing could be read: it says
	 * what was tried and why it failed. */
	snapshot_bundle_identity(&s, &id);
	if (bundle_writer_finish(&w, &id, rsn, &eb)) {
		error("%s", eb.msg);
		if (rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	bundle_identity_release(&id);
	if (rc != EXIT_USAGE) {
		if (a.json)
			bundle_render_json(stdout, &w, rsn);
		else
			bundle_render_text(stdout, &w, rsn);
	}
	if (rc == EXIT_OK && w.nfailed)
		rc = EXIT_FAIL;
	snapshot_release(&s);
	report_release(&rep);
	bundle_writer_release(&w);
	cmd_http_release(&a.http);
	return rc;
}
