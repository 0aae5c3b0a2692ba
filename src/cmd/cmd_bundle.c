/* SPDX-License-Identifier: MIT */
/* godiag bundle TARGET -o DIR: save the evidence for a ticket; `doctor DIR`
 * reads it back offline and gives the same findings. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "diagnose/bundle.h"
#include "diagnose/snapshot.h"
#include "report/bundle_report.h"
#include "util/error.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char bundle_usage[] =
	"usage: godiag bundle [options] TARGET -o DIR\n"
	"\n"
	"Save every piece of evidence about TARGET (PID or URL) into DIR, with a\n"
	"manifest (what each file is, where and when it was taken, what failed),\n"
	"for an incident ticket.  `godiag doctor DIR` and `godiag diff` read it back\n"
	"offline, through the manifest: files added to DIR later are ignored.\n"
	"\n"
	"  -o, --output DIR    where to write: a new or EMPTY directory (refused\n"
	"                      otherwise, so no stale file is mixed in)\n"
	"  --json              say what was saved as JSON\n"
	"  --max-stw MS        pause budget for the stop-the-world debug=2 dump (default 100)\n"
	"  --timeout SECS      per-request HTTP timeout (default 30)\n"
	"  -H, --header 'K: V' extra HTTP header (repeatable), e.g. for auth\n"
	"  --cacert FILE       CA bundle to verify an https target; --insecure skips it\n"
	"  --pprof URL         a PID's pprof base URL (no probing of its listeners)\n"
	"  --proc-root DIR     read /proc from DIR (tests, containers)\n"
	"\n"
	"godiag never sends a signal to the target and reads only.  Exit status: 0\n"
	"every file saved, 1 some file could not be written (FAILED in the list and\n"
	"the manifest), 2 usage error (a non-empty DIR included), 3 nothing could be\n"
	"read from TARGET.\n";

enum { OPT_JSON = 1000, OPT_MAX_STW, OPT_TIMEOUT, OPT_PROC_ROOT, OPT_CACERT, OPT_INSECURE, OPT_PPROF };

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "output", required_argument, NULL, 'o' },
	{ "max-stw", required_argument, NULL, OPT_MAX_STW },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "header", required_argument, NULL, 'H' },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ NULL, 0, NULL, 0 },
};

struct bundle_args {
	bool json;
	const char *output;
	const char **headers;
	size_t nheaders;
	struct collect_opts co;
};

/* 0 to go on, 1 after --help, -1 on a usage error (already said). */
static int parse_args(int argc, char **argv, struct bundle_args *a)
{
	int c;
	memset(a, 0, sizeof(*a));
	collect_opts_init(&a->co);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hH:o:", long_opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			fputs(bundle_usage, stdout);
			return 1;
		case OPT_JSON: a->json = true; break;
		case 'o': a->output = optarg; break;
		case OPT_MAX_STW:
			errno = 0;
			a->co.max_stw_ms = strtod(optarg, &end);
			if (errno || end == optarg || *end || a->co.max_stw_ms < 0)
				return error("--max-stw: expected milliseconds, got '%s'", optarg);
			break;
		case OPT_TIMEOUT: {
			unsigned long v;
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 || v > 3600)
				return error("--timeout: expected seconds (1-3600), got '%s'", optarg);
			a->co.fetch.total_timeout_ms = (long)v * 1000;
			if (a->co.fetch.connect_timeout_ms > a->co.fetch.total_timeout_ms)
				a->co.fetch.connect_timeout_ms = a->co.fetch.total_timeout_ms;
			break;
		}
		case 'H':
			if (strchr(optarg, '\r') || strchr(optarg, '\n') || !strchr(optarg, ':'))
				return error("--header: expected 'Name: value' on one line");
			a->headers = xreallocarray(a->headers, a->nheaders + 1, sizeof(*a->headers));
			a->headers[a->nheaders++] = optarg;
			break;
		case OPT_PROC_ROOT: a->co.proc_root = optarg; break;
		case OPT_CACERT: a->co.fetch.cacert = optarg; break;
		case OPT_INSECURE: a->co.fetch.insecure = true; break;
		case OPT_PPROF:
			if (strncmp(optarg, "http://", 7) && strncmp(optarg, "https://", 8) && strncmp(optarg, "unix:", 5))
				return error("--pprof: expected an http(s):// or unix: URL, got '%s'", optarg);
			a->co.pprof_url = optarg;
			break;
		default:
			return -1;
		}
	}
	a->co.fetch.headers = a->headers;
	a->co.fetch.nheaders = a->nheaders;
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
		free(a.headers);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	if (argc - optind != 1 || !a.output) {
		error(!a.output ? "bundle: -o DIR is required" : "bundle: exactly one TARGET");
		fputs("usage: godiag bundle [options] TARGET -o DIR  (see --help)\n", stderr);
		free(a.headers);
		return EXIT_USAGE;
	}
	target = argv[optind];
	e = bundle_writer_open(&w, a.output, &eb);
	if (e) {
		error("%s", eb.msg);
		free(a.headers);
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
	free(a.headers);
	return rc;
}
