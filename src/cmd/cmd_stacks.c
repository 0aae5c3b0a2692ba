/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cmd/cmd.h"
#include "util/error.h"
#include "util/banned.h"

int cmd_stacks(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	error("stacks: not implemented yet");
	return EXIT_FAIL;
}
