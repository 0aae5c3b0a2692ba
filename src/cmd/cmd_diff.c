/* SPDX-License-Identifier: MIT */
/* godiag diff A B: what grew between two dumps, profiles or bundles of one
 * service.  Only options here: the library reads A and B as snapshots
 * (snapshot_collect), compares them (diagnose/diff) and renders
 * (report/diff_report). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "diagnose/diff.h"
#include "diagnose/snapshot.h"
#include "report/diff_report.h"
#include "util/error.h"
#include "util/banned.h"

static int usage_error(void)
{
	fputs("usage: godiag diff [options] A B  (see --help)\n", stderr);
	return EXIT_USAGE;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts dopts;
	struct collect_opts co;
	struct cmd_http http;
	struct cmd_sources src;
	struct snapshot s[2];
	struct report rep;
	struct diff_result d;
	struct gd_errbuf eb = { "" };
	const char *pprof = NULL;
	bool json = false;
	uint64_t top = 10;
	int n, rc = EXIT_OK;

	diff_opts_init(&dopts);
	collect_opts_init(&co);
	cmd_http_init(&http);
	cmd_sources_init(&src);
	{
		const struct cmd_option opts[] = {
			OPT_BOOL(0, "json", &json, "every entry as JSON"),
			OPT_STRING(0, "pprof", &pprof, "FILE", "write the difference as a pprof profile"),
			OPT_UINT(0, "top", &top, "a count", 1, 1000000, "entries per section in text"),
			OPT_UINT(0, "min-goroutines", &dopts.min_goroutines, "a count", 1, UINT32_MAX,
				 "a bucket grew by at least this many"),
			OPT_SIZE(0, "min-bytes", &dopts.min_bytes, 1, (uint64_t)1 << 50, "a heap site grew by at least this"),
			OPT_UINT(0, "min-sockets", &dopts.min_sockets, "a count", 1, UINT32_MAX,
				 "a peer grew by at least this many sockets"),
			OPT_MAX_STW(&co.max_stw_ms),
			OPT_HTTP(&http),
			OPT_PROC_ROOT(&src),
			OPT_SYS_ROOT(&src),
			OPT_END(),
		};
		n = cmd_parse_args("diff", argc, argv, opts, CMD_ARGS_ANY);
	}
	if (n == CMD_OPT_HELP) {
		cmd_http_release(&http);
		return EXIT_OK;
	}
	if (n == CMD_OPT_ERROR) {
		cmd_http_release(&http);
		return usage_error();
	}
	if (n != 2) {
		error(n < 2 ? "diff: two inputs needed (A B)" : "diff: only two inputs (A B)");
		cmd_http_release(&http);
		return usage_error();
	}
	cmd_http_apply(&http, &co.fetch);
	co.proc_root = src.proc_root;
	co.sys_root = src.sys_root;
	report_init(&rep, argv[0]);
	for (int i = 0; i < 2; i++) {
		struct report_snapshot *rs = report_add_snapshot(&rep, argv[i], 0);
		enum gd_err e;
		snapshot_init(&s[i]);
		e = snapshot_collect(&s[i], argv[i], &co, rs, &eb);
		if (e) {
			error("%s", eb.msg);
			rc = e == GD_EARG ? EXIT_USAGE : EXIT_UNREADABLE;
		}
	}
	if (rc == EXIT_OK) {
		diff_compute(&d, &s[0], &s[1], &dopts);
		if (json)
			diff_render_json(stdout, &d);
		else
			diff_render_text(stdout, &d, (size_t)top);
		if (pprof) {
			FILE *f = fopen(pprof, "wb");
			if (!f) {
				error("%s: %s", pprof, strerror(errno));
			} else {
				if (diff_write_pprof(f, &d, &eb))
					error("%s: %s", pprof, eb.msg);
				if (fclose(f))
					error("%s: %s", pprof, strerror(errno));
			}
		}
		rc = d.grew ? EXIT_FAIL : EXIT_OK;
		diff_release(&d);
	}
	for (int i = 0; i < 2 && i < (int)rep.nsnaps; i++)
		snapshot_release(&s[i]);
	report_release(&rep);
	cmd_http_release(&http);
	return rc;
}
