/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the commands' hand-written option loops. */
#ifndef GODIAG_CMD_OPTIONS_H
#define GODIAG_CMD_OPTIONS_H

/* If argv[*i] is `name` or `name=VALUE`, return the value (taking the next
 * argument for the first form, advancing *i; "" when there is none);
 * otherwise NULL. */
const char *cmd_opt_value(int argc, char **argv, int *i, const char *name);

#endif
