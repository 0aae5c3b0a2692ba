/* SPDX-License-Identifier: MIT */
/* The text that `ss -tinp` (and `ss -tin`, `-tinpa`, `-tinpe`, `-tanp`)
 * prints, as engineers paste it into incident tickets, read back into the
 * same socket model the live sources fill (struct tcp_sock_list), so that
 * `godiag doctor DIR` can judge idle connections from a ticket attachment.
 *
 * A socket row is `[Netid] State Recv-Q Send-Q Local:Port Peer:Port
 * [users:(("name",pid=N,fd=M),...)] [-e fields: uid:N ino:N sk:...]`, and
 * with -i it is followed by an indented info line whose `lastrcv:N`,
 * `lastsnd:N` (ms), `bytes_acked:N` and `bytes_received:N` we keep
 * (`--oneline` puts them on the row itself; that works too).  Addresses are
 * `1.2.3.4:80`, `[::1]:80`, `[fe80::1]%eth0:22`, `*:80`, `0.0.0.0:*`;
 * non-numeric hosts or ports (ss run without -n) are kept as the any
 * address / port 0 and counted.  Rows of other protocols (a Netid other than
 * tcp) and lines outside the grammar are skipped and counted.
 *
 * Pure and bounded: at most SS_TEXT_MAX_INPUT bytes, lines over
 * SS_TEXT_MAX_LINE skipped, at most SS_TEXT_MAX_SOCKETS rows kept.  The
 * socket's idle time is known (has_idle) when its info line had lastrcv;
 * the list's idle_known is true when any socket had it. */
#ifndef GODIAG_LINUX_SS_TEXT_H
#define GODIAG_LINUX_SS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux/sockets.h"
#include "util/error.h"

#define SS_TEXT_MAX_INPUT ((size_t)256 << 20)
#define SS_TEXT_MAX_LINE ((size_t)64 << 10)
#define SS_TEXT_MAX_SOCKETS ((size_t)4 << 20)

/* The first process of a row's users:(...) list. */
struct ss_owner {
	int pid;       /* -1 when the row had no process (no -p, or not ours to see) */
	int fd;        /* -1 when unknown */
	char comm[32]; /* "" when unknown; raw bytes from the text, escape before printing */
};

struct ss_text {
	struct tcp_sock_list socks; /* source: "ss text NAME" */
	struct ss_owner *owners;    /* owners[i] belongs to socks.v[i] */
	size_t owners_alloc;
	bool has_process;  /* some row had users:(...) */
	bool has_info;     /* some socket had an info line or inline info */
	uint64_t rows;     /* socket rows seen (before the pid filter) */
	uint64_t filtered; /* rows dropped by the pid filter */
	uint64_t noise_lines;
	uint64_t other_proto; /* rows of another Netid (udp, u_str, ...) */
	uint64_t named;    /* rows with a host or port name instead of a number */
	uint64_t dropped;  /* rows over SS_TEXT_MAX_SOCKETS */
};

void ss_text_init(struct ss_text *st);
void ss_text_release(struct ss_text *st);

/* Parse the whole text.  pid > 0 keeps only the rows owned by that pid
 * (rows without a process are then dropped too); pid <= 0 keeps all.
 * `name` names the input in messages and in socks.source.  GD_EFORMAT when
 * no line looks like ss output at all (no header and no socket row),
 * GD_ETOOBIG over the cap.  Rows parsed before an error stay. */
enum gd_err ss_text_parse(struct ss_text *st, const char *buf, size_t len, const char *name,
			  int pid, struct gd_errbuf *eb);

/* The pid that owns the most sockets, or -1 when no row had a process.
 * (A ticket's ss output usually covers one service plus noise.) */
int ss_text_main_pid(const struct ss_text *st);

/* How many distinct pids own rows (0 when no row had a process). */
size_t ss_text_pid_count(const struct ss_text *st);

/* "ESTAB" -> TCPS_ESTABLISHED ...; 0 for an unknown state name. */
unsigned ss_state_parse(const char *s, size_t n);

#endif
