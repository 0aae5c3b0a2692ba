/* SPDX-License-Identifier: MIT */
/* godiag version [--json] (and godiag --version): what this build is. */
#include <stdbool.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "cmd/options.h"
#include "report/version.h"
#include "util/error.h"
#include "util/banned.h"

int cmd_version(int argc, char **argv)
{
	struct version_info v;
	bool json = false;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "one JSON object"),
		OPT_END(),
	};

	argc = cmd_parse_args("version", argc, argv, opts, 0);
	if (argc < 0)
		return argc == CMD_OPT_HELP ? EXIT_OK : EXIT_USAGE;
	version_info_collect(&v);
	version_print(stdout, &v, json);
	return EXIT_OK;
}
