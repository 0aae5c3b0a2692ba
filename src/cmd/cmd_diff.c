/* SPDX-License-Identifier: MIT */
/* godiag diff A B: what grew between two dumps, profiles or bundles of one
 * service.  Only options here: the library reads A and B as snapshots
 * (snapshot_collect), compares them (diagnose/diff) and renders
 * (report/diff_report). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "diagnose/diff.h"
#include "diagnose/snapshot.h"
#include "report/diff_report.h"
#include "util/error.h"
#include "util/banned.h"

enum { OPT_JSON = 1000, OPT_PPROF, OPT_TOP, OPT_MIN_G, OPT_MIN_B, OPT_MIN_S };

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "min-goroutines", required_argument, NULL, OPT_MIN_G },
	{ "min-bytes", required_argument, NULL, OPT_MIN_B },
	{ "min-sockets", required_argument, NULL, OPT_MIN_S },
	{ NULL, 0, NULL, 0 },
};

static bool parse_count(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/* "4096", "64K", "4M", "1G" (binary units; "KiB", "MiB", "GiB" too). */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M')
		shift = 20;
	else if (*end == 'G')
		shift = 30;
	if (shift)
		end += (!strcmp(end + 1, "iB") || !strcmp(end + 1, "B")) ? strlen(end) : 1;
	if (*end || v > (UINT64_MAX >> 1 >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

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
	int c, rc = EXIT_OK;

	diff_opts_init(&dopts);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cmd_help(stdout, "diff");
			return EXIT_OK;
		case OPT_JSON: json = true; break;
		case OPT_PPROF: pprof = optarg; break;
		case OPT_TOP:
			if (!parse_count(optarg, 1000000, &top) || !top) {
				error("--top: expected a count (1-1000000), got '%s'", optarg);
				return usage_error();
			}
			break;
		case OPT_MIN_G:
		case OPT_MIN_S:
			if (!parse_count(optarg, UINT32_MAX, c == OPT_MIN_G ? &dopts.min_goroutines : &dopts.min_sockets)) {
				error("--%s: expected a count, got '%s'", c == OPT_MIN_G ? "min-goroutines" : "min-sockets",
				      optarg);
				return usage_error();
			}
			break;
		case OPT_MIN_B:
			if (!parse_size(optarg, &dopts.min_bytes)) {
				error("--min-bytes: expected a size (4096, 64K, 4M, 1G), got '%s'", optarg);
				return usage_error();
			}
			break;
		default:
			return usage_error();
		}
	}
	if (argc - optind != 2) {
		error(argc - optind < 2 ? "diff: two inputs needed (A B)" : "diff: only two inputs (A B)");
		return usage_error();
	}
	collect_opts_init(&co);
	report_init(&rep, argv[optind]);
	for (int i = 0; i < 2; i++) {
		struct report_snapshot *rs = report_add_snapshot(&rep, argv[optind + i], 0);
		enum gd_err e;
		snapshot_init(&s[i]);
		e = snapshot_collect(&s[i], argv[optind + i], &co, rs, &eb);
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
	return rc;
}
