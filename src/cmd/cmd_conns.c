/* SPDX-License-Identifier: MIT */
/* `godiag conns PID`: the process's TCP sockets grouped the way a leak shows
 * up.  The model is built by diagnose/connsview and rendered by
 * report/conns_report; this file only parses options. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "cmd/options.h"
#include "diagnose/connsview.h"
#include "linux/procfs.h"
#include "report/conns_report.h"
#include "util/error.h"
#include "util/banned.h"

static void conns_usage(FILE *out)
{
	cmd_help(out, "conns");
}

int cmd_conns(int argc, char **argv)
{
	struct sock_opts o = { 0 };
	struct conns_view v;
	struct gd_errbuf eb = { "" };
	uint64_t min_idle_ms = 0;
	bool json = false;
	enum gd_err rc;
	int pid;

	struct cmd_sources src;
	const char *record = NULL;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "machine-readable output"),
		OPT_DURATION(0, "min-idle", &min_idle_ms, 1000, 0, UINT64_MAX,
			     "only connections idle at least this long"),
		OPT_PROC_ROOT(&src),
		OPT_REPLAY_NETLINK(&src),
		OPT_STRING(0, "record-netlink", &record, "FILE", "also save the sock_diag replies to FILE"),
		OPT_END(),
	};

	cmd_sources_init(&src);
	argc = cmd_parse_args("conns", argc, argv, opts, 1);
	if (argc < 0)
		return argc == CMD_OPT_HELP ? EXIT_OK : EXIT_USAGE;
	if (argc == 0) {
		conns_usage(stderr);
		return EXIT_USAGE;
	}
	if (!cmd_parse_pid("conns", argv[0], &pid))
		return EXIT_USAGE;
	/* The default root is the live /proc; only an explicit one changes
	 * the source (sock_opts treats a set proc_root as a captured tree). */
	o.proc_root = strcmp(src.proc_root, PROCFS_ROOT_DEFAULT) ? src.proc_root : NULL;
	o.replay_file = src.replay_netlink;
	o.record_file = record;
	if (o.record_file && o.replay_file) {
		error("conns: --record-netlink and --replay-netlink exclude each other");
		return EXIT_USAGE;
	}

	rc = conns_view_build(&v, &o, pid, min_idle_ms, &eb);
	if (rc) {
		error("conns: %s", eb.msg[0] ? eb.msg : gd_strerror(rc));
		conns_view_release(&v);
		return rc == GD_ENOENT || rc == GD_EPERM ? EXIT_UNREADABLE : EXIT_FAIL;
	}
	conns_render(stdout, &v, json);
	rc = v.list.partial ? GD_ETRUNCATED : GD_OK;
	conns_view_release(&v);
	return rc ? EXIT_FAIL : EXIT_OK;
}
