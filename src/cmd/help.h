/* SPDX-License-Identifier: MIT */
/* The --help text of every command, generated at build time from the help
 * sources doc/help/godiag-CMD.txt by scripts/helpgen.py, which also writes
 * the man pages and the bash completion from them: the three cannot drift.
 * docs/help-format.md tells how to add an option. */
#ifndef GODIAG_CMD_HELP_H
#define GODIAG_CMD_HELP_H

#include <stddef.h>
#include <stdio.h>

struct help_page {
	const char *cmd;  /* "doctor"; "" for godiag itself */
	const char *text; /* the whole --help text, ending in a newline */
};

/* The generated table (help_pages.c). */
extern const struct help_page help_pages[];
extern const size_t help_pages_nr;

/* The --help text of `cmd` ("" or NULL for the top page); a one-line note
 * (never NULL) when the command has no help source. */
const char *cmd_help_text(const char *cmd);

/* Print it on `out`. */
void cmd_help(FILE *out, const char *cmd);

#endif
