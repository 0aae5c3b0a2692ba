/* SPDX-License-Identifier: MIT */
/* census_dump: run the census on a live PID or a recording and print the
 * debug=2 text on stdout and the "what was read" line on stderr, for
 * tests/integration/census_*.sh and for recording fixtures.
 *   census_dump PID [RECORD_FILE]     census_dump --replay FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/census.h"
#include "util/banned.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: census_dump PID [RECORD] | --replay FILE\n");
		return 2;
	}
	struct strbuf out = STRBUF_INIT_MAX(CENSUS_OUT_CAP);
	struct census_stats st;
	struct gd_errbuf eb = { "" };
	enum gd_err e;
	if (!strcmp(argv[1], "--replay") && argc == 3)
		e = census_replay(argv[2], &out, &st, &eb);
	else
		e = census_pid((pid_t)strtol(argv[1], NULL, 10), argc > 2 ? argv[2] : NULL, &out, &st, &eb);
	if (e) {
		fprintf(stderr, "census: %s\n", eb.msg);
		strbuf_release(&out);
		return e == GD_ENOENT || e == GD_EPERM ? 3 : 1;
	}
	fwrite(out.buf, 1, out.len, stdout);
	char d[1024];
	census_describe(&st, d, sizeof(d));
	fprintf(stderr, "%s\n", d);
	strbuf_release(&out);
	return 0;
}
