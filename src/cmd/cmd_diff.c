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

static const char diff_usage[] =
	"usage: godiag diff [options] A B\n"
	"\n"
	"What grew between A (earlier) and B (later), two looks at the same Go\n"
	"service.  Each is a goroutine dump or profile (debug=2, debug=1, proto),\n"
	"a heap profile (heap?debug=1 text or proto), a bundle from `godiag bundle`\n"
	"or a directory of evidence files; a PID or an http(s):// base URL is read\n"
	"live.  Compared when both sides have them:\n"
	"  goroutine buckets  by count and wait, matched by stack (func, file, line)\n"
	"  heap sites         by in-use bytes, matched by stack\n"
	"  TCP sockets        by peer (remote address, and our port for inbound)\n"
	"\n"
	"  --json              every entry as JSON\n"
	"  --pprof FILE        write the difference as a pprof profile (goroutine/count,\n"
	"                      the default view, and inuse_space/bytes), negative where\n"
	"                      it shrank: go tool pprof -top FILE\n"
	"  --top N             entries shown per section in text (default 10)\n"
	"  --min-goroutines N  a bucket grew when it gained at least N (default 1)\n"
	"  --min-bytes SIZE    a heap site grew by at least SIZE (default 1; 64K, 4M, 1G)\n"
	"  --min-sockets N     a peer grew when it gained at least N sockets (default 1)\n"
	"  --timeout SECS, -H 'K: V', --cacert FILE, --insecure, --proc-root DIR,\n"
	"  --sys-root DIR      for a live A or B, as for doctor\n"
	"\n"
	"Exit status: 0 nothing grew, 1 something grew, 2 usage error, 3 A or B\n"
	"could not be read.\n";

static int usage_error(void)
{
	fputs("usage: godiag diff [options] A B  (see --help)\n", stderr);
	return EXIT_USAGE;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_opts dopts;
	struct collect_opts co;
	struct snapshot s[2];
	struct report rep;
	struct diff_result d;
	struct gd_errbuf eb = { "" };
	const char *pprof = NULL;
	bool json = false;
	uint64_t top = 10;
	struct cmd_http http;
	struct cmd_sources src;
	int rc = EXIT_OK;

	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "every entry as JSON"),
		OPT_STRING(0, "pprof", &pprof, "FILE", "write the difference as a pprof profile"),
		OPT_UINT(0, "top", &top, "a count", 1, 1000000, "entries shown per section"),
		OPT_UINT(0, "min-goroutines", &dopts.min_goroutines, "a count", 0, UINT32_MAX,
			 "a bucket grew by at least N"),
		OPT_SIZE(0, "min-bytes", &dopts.min_bytes, 0, UINT64_MAX >> 1, "a heap site grew by at least SIZE"),
		OPT_UINT(0, "min-sockets", &dopts.min_sockets, "a count", 0, UINT32_MAX,
			 "a peer grew by at least N sockets"),
		OPT_HTTP(&http),
		OPT_PROC_ROOT(&src),
		OPT_SYS_ROOT(&src),
		OPT_END(),
	};

	diff_opts_init(&dopts);
	cmd_http_init(&http);
	cmd_sources_init(&src);
	argc = cmd_parse_options("diff", argc, argv, opts);
	if (argc == CMD_OPT_HELP) {
		fputs(diff_usage, stdout);
		return EXIT_OK;
	}
	if (argc == CMD_OPT_ERROR) {
		cmd_http_release(&http);
		return usage_error();
	}
	if (argc != 2) {
		error(argc < 2 ? "diff: two inputs needed (A B)" : "diff: only two inputs (A B)");
		cmd_http_release(&http);
		return usage_error();
	}
	collect_opts_init(&co);
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
