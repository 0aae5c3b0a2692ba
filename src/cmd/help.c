/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "cmd/help.h"
#include "util/banned.h"

const char *cmd_help_text(const char *cmd)
{
	if (!cmd)
		cmd = "";
	for (size_t i = 0; i < help_pages_nr; i++)
		if (!strcmp(help_pages[i].cmd, cmd))
			return help_pages[i].text;
	return NULL;
}

void cmd_help(FILE *out, const char *cmd)
{
	const char *t = cmd_help_text(cmd);

	/* Only a command added without doc/help/godiag-CMD.txt gets here, and
	 * tests/integration/pkg_help_options.sh fails for it. */
	if (!t)
		fprintf(out, "godiag %s: no help text (doc/help/godiag-%s.txt is missing)\n", cmd, cmd);
	else
		fputs(t, out);
}
