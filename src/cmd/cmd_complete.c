/* SPDX-License-Identifier: MIT */
/* godiag __complete-pids: the PIDs of this host's Go processes, one a
 * line, for the bash completion of commands that take a PID
 * (completions/godiag.bash.in).  Hidden from --help; it prints nothing on
 * error, since a completion must never print an error under the prompt. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "util/error.h"
#include "util/banned.h"

int cmd_complete_pids(int argc, char **argv)
{
	struct process_scan scan;
	struct gd_errbuf eb = { "" };
	enum gd_err rc;

	(void)argv;
	if (argc > 1)
		return EXIT_USAGE;
	process_scan_init(&scan);
	rc = process_scan_run(&scan, PROCFS_ROOT_DEFAULT, &eb);
	if (rc == GD_OK)
		for (size_t i = 0; i < scan.nr; i++)
			printf("%d\n", scan.v[i].pid);
	process_scan_release(&scan);
	return rc == GD_OK ? EXIT_OK : EXIT_FAIL;
}
