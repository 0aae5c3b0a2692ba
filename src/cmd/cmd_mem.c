/* SPDX-License-Identifier: MIT */
/* `godiag mem PID`: explain a Go process's RSS.  The model is built by
 * diagnose/memview (with the memory rules of diagnose/memrules) and
 * rendered by report/mem_report; this file only parses options. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "cmd/options.h"
#include "diagnose/memview.h"
#include "report/mem_report.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

static void mem_usage(FILE *out)
{
	cmd_help(out, "mem");
}

int cmd_mem(int argc, char **argv)
{
	struct mem_request rq;
	struct mem_view *v;
	struct gd_errbuf eb = { "" };
	struct cmd_http http;
	struct cmd_sources src;
	const char *pprof = NULL;
	bool json = false;
	enum gd_err rc;
	int pid, ret;

	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "one JSON object"),
		OPT_PPROF_URL(&pprof),
		OPT_HTTP(&http),
		OPT_PROC_ROOT(&src),
		OPT_SYS_ROOT(&src),
		OPT_END(),
	};

	cmd_http_init(&http);
	cmd_sources_init(&src);
	argc = cmd_parse_args("mem", argc, argv, opts, 1);
	if (argc != 1) {
		if (argc == 0)
			mem_usage(stderr);
		cmd_http_release(&http);
		return argc == CMD_OPT_HELP ? EXIT_OK : EXIT_USAGE;
	}
	if (!cmd_parse_pid("mem", argv[0], &pid)) {
		cmd_http_release(&http);
		return EXIT_USAGE;
	}
	v = xcalloc(1, sizeof(*v));
	mem_request_init(&rq, pid);
	rq.roots.proc = src.proc_root;
	rq.roots.sys = src.sys_root;
	rq.pprof_base = pprof;
	cmd_http_apply(&http, &rq.fetch);
	rc = mem_view_build(v, &rq, &eb);
	if (rc == GD_OK) {
		mem_render(stdout, v, json);
		ret = mem_view_problem(v) || mem_view_partial(v) ? EXIT_FAIL : EXIT_OK;
	} else {
		error("mem: %s", eb.msg);
		/* No such process or no permission: the target is unreadable. */
		ret = rc == GD_ENOENT || rc == GD_EPERM ? EXIT_UNREADABLE : EXIT_FAIL;
	}
	mem_view_release(v);
	cmd_http_release(&http);
	free(v);
	return ret;
}
