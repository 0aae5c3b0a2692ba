/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "cmd/help.h"
#include "util/banned.h"

/* Only a command added without doc/help/godiag-CMD.txt gets this, and
 * tests/integration/pkg_help_options.sh fails for it. */
static const char no_help[] = "no help text: doc/help/godiag-CMD.txt is missing for this command\n";

const char *cmd_help_text(const char *cmd)
{
	if (!cmd)
		cmd = "";
	for (size_t i = 0; i < help_pages_nr; i++)
		if (!strcmp(help_pages[i].cmd, cmd))
			return help_pages[i].text;
	return no_help;
}

void cmd_help(FILE *out, const char *cmd)
{
	fputs(cmd_help_text(cmd), out);
}
