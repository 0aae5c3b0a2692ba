/* SPDX-License-Identifier: MIT */
/* `godiag ps`: one row per Go process on the host.  The model is built by
 * diagnose/psview and rendered by report/ps_report; this file only parses
 * options. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "diagnose/psview.h"
#include "report/ps_report.h"
#include "util/error.h"
#include "util/banned.h"

int cmd_ps(int argc, char **argv)
{
	struct ps_request rq = { 0 };
	struct ps_view v;
	struct gd_errbuf eb = { "" };
	bool json = false, probe = false, goroutines = false;
	struct cmd_sources src;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "a JSON array"),
		OPT_BOOL(0, "probe", &probe, "GET /debug/pprof/ on each process's listeners"),
		OPT_BOOL(0, "goroutines", &goroutines, "count each process's goroutines from its memory"),
		OPT_PROC_ROOT(&src),
		OPT_SYS_ROOT(&src),
		OPT_END(),
	};

	cmd_sources_init(&src);
	argc = cmd_parse_args("ps", argc, argv, opts, 0);
	if (argc < 0)
		return argc == CMD_OPT_HELP ? EXIT_OK : EXIT_USAGE;
	rq.proc_root = src.proc_root;
	rq.sys_root = src.sys_root;
	rq.probe = probe;
	rq.goroutines = goroutines;
	if (ps_view_build(&v, &rq, &eb) != GD_OK) {
		error("ps: %s", eb.msg);
		ps_view_release(&v);
		return EXIT_FAIL;
	}
	ps_render(stdout, &v, json);
	if (v.scan.denied)
		warning("ps: %zu process%s could not be inspected (first: %s); run as root to see them",
			v.scan.denied, v.scan.denied == 1 ? "" : "es",
			v.scan.notes.nr ? v.scan.notes.v[0].why : "permission denied");
	ps_view_release(&v);
	return EXIT_OK;
}
