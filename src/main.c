/* SPDX-License-Identifier: MIT */
/* godiag: find and explain leaks in running Go services.  This file is only
 * the subcommand table. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "util/banned.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* for the reader: --help shows doc/help/godiag-NAME.txt's */
};

static const struct command commands[] = {
	{ "doctor", cmd_doctor, "diagnose a Go service (PID, URL or evidence dir): cause, numbers, fix" },
	{ "bundle", cmd_bundle, "save all the evidence about a target into a directory for a ticket" },
	{ "watch", cmd_watch, "sample Go services over time, flag rising troughs, capture and diagnose" },
	{ "diff", cmd_diff, "what grew between two dumps, profiles or bundles (goroutines, heap, sockets)" },
	{ "stacks", cmd_stacks, "group a goroutine dump or profile (file, -, URL) into buckets" },
	{ "conns", cmd_conns, "TCP sockets of a process with idle times, by listener and peer" },
	{ "ps", cmd_ps, "every Go process on the host: version, RSS, LazyFree, TCP, policy" },
	{ "fleet", cmd_fleet, "rank the instances a Prometheus scrapes by rising troughs; drill into the worst" },
	{ "mem", cmd_mem, "explain a Go process's RSS (LazyFree, THP, heap, non-Go) with a verdict" },
	{ "version", cmd_version, "the version, the build's git describe, and the linked libraries' versions" },
	{ "__complete-pids", cmd_complete_pids, "(hidden) the PIDs of Go processes, for shell completion" },
};

static void usage(FILE *out)
{
	cmd_help(out, NULL);
}

/* Has the reader of our stdout pipe gone (`| head`)?  stdio may have hit
 * EPIPE on an earlier write and errno is long overwritten; a pipe whose
 * reader closed polls as POLLERR. */
static bool stdout_reader_gone(void)
{
	struct pollfd pfd = { .fd = 1, .events = 0 };
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR);
}

/* The one flush-and-check of stdout for every command: a report that did
 * not reach its file is a failure (one line, exit 1); a reader that went
 * away (`godiag ps | head`) had all it wanted (quiet, exit 0). */
static int finish_stdout(int rc)
{
	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return rc;
	if (errno == EPIPE || stdout_reader_gone())
		return EXIT_OK;
	fprintf(stderr, "godiag: error: writing the output: %s\n", strerror(errno ? errno : EIO));
	return EXIT_FAIL;
}

int main(int argc, char **argv)
{
	/* A closed pipe (| head) must end the write, not kill us mid-report. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish_stdout(EXIT_OK);
	}
	if (!strcmp(argv[1], "--version"))
		return finish_stdout(cmd_version(argc - 1, argv + 1));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish_stdout(commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "godiag: error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
