/* SPDX-License-Identifier: MIT */
/* The subcommands.  Each cmd_X(argc, argv) gets argv[0] == "X" and returns
 * the process exit code: 0 clean, 1 findings (or a partial result), 2 usage
 * (including an invalid PID), 3 target unreadable (no such process, not a Go
 * process, permission denied, no answer). */
#ifndef GODIAG_CMD_H
#define GODIAG_CMD_H

int cmd_stacks(int argc, char **argv);
int cmd_conns(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_mem(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_complete_pids(int argc, char **argv);

/* Exit codes shared by every command. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_UNREADABLE = 3,
};

#endif
