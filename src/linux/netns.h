/* SPDX-License-Identifier: MIT */
/* TCP socket counts for many processes at once, one sock_diag dump per
 * network namespace.
 *
 * A sock_diag dump walks every TCP socket of the namespace, so its cost is
 * set by the host (40,000 sockets: ~40 ms), not by the process.  Asking once
 * per process multiplies that by the number of processes; instead the first
 * process of each namespace is asked with the dump recorded (the frame
 * format of linux/sockdiag.h, in a private temporary file), and the
 * recording is parsed again with sockdiag_replay_parse() and the union of
 * every member's socket inodes. */
#ifndef GODIAG_NETNS_H
#define GODIAG_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux/sockdiag.h"
#include "util/error.h"

/* The network namespace of pid (the inode of PROC_ROOT/PID/ns/net), or 0
 * when it cannot be read. */
uint64_t netns_of_pid(const char *proc_root, int pid);

struct netns_tcp_query {
	int pid;                  /* in */
	bool known;               /* out: counts are valid */
	struct tcp_counts counts;
	char why[GD_ERRBUF_SIZE]; /* out: why not known */
};

/* Fill the counts of every query.  proc_root NULL is the live /proc; a set
 * root is a captured tree (its own fallback, as for tcp_counts_for_pid). */
void netns_tcp_counts(const char *proc_root, struct netns_tcp_query *q, size_t n);

#endif
