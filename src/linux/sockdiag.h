/* SPDX-License-Identifier: MIT */
/* The TCP sockets of one process, read through NETLINK_SOCK_DIAG (inet_diag)
 * with their idle times from struct tcp_info, as `ss -ti` does but for one
 * process: list its socket inodes, dump every TCP socket of its network
 * namespace once, keep ours.
 *
 * Three layers:
 *  - a pure parser (bytes of netlink replies in, struct tcp_sock out), fed by
 *    the live socket or by a recorded file; it is bounds-checked and fuzzed
 *    because a recorded file is untrusted input;
 *  - the recording format (ss's TCPDIAG_FILE idea, framed so a file also
 *    carries the target's inode set and sockstat, which makes a recording
 *    replayable after the process is gone);
 *  - tcp_socks_for_pid(), which picks sock_diag in the right netns, or the
 *    /proc/PID/net/tcp fallback, and says which in the result. */
#ifndef GODIAG_LINUX_SOCKDIAG_H
#define GODIAG_LINUX_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux/sockets.h"
#include "util/error.h"

struct sock_opts {
	const char *proc_root;   /* NULL: "/proc"; another root disables live sock_diag */
	const char *record_file; /* write the replies (and inodes, sockstat) here */
	const char *replay_file; /* parse this recording instead of asking the kernel */
};

/* ---- pure parser ---- */

struct sockdiag_parser {
	const struct inode_set *filter; /* keep only these inodes; NULL keeps all */
	struct tcp_sock_list *out;
	uint32_t expect_seq;            /* 0: accept any sequence number */
	size_t msgs;                    /* SOCK_DIAG_BY_FAMILY messages seen */
	size_t kept;
	size_t dones;                   /* NLMSG_DONE replies seen */
	int error;                      /* positive errno of an NLMSG_ERROR/DONE reply */
};

void sockdiag_parser_init(struct sockdiag_parser *p, const struct inode_set *filter,
			  struct tcp_sock_list *out);
/* Feed the bytes of one recv (whole netlink messages).  Counts DONE replies
 * in p->dones and stops at an error reply, setting p->error; returns GD_EFORMAT (and keeps
 * what was parsed) when a message is malformed. */
enum gd_err sockdiag_parse(struct sockdiag_parser *p, const void *buf, size_t len,
			   struct gd_errbuf *eb);

/* ---- recording format ----
 *
 * A file is a sequence of frames, each a 12-byte header then the payload:
 *   "GDNL"  u8 kind  u8[3] zero  u32 payload length (little endian)
 * kinds:
 *   1 NETLINK  the bytes of one recv() from the sock_diag socket (host order)
 *   2 INODES   u32 pid, then u64 socket inodes of that pid (little endian)
 *   3 SOCKSTAT the text of PID/net/sockstat then PID/net/sockstat6 */
enum sockdiag_frame_kind {
	SOCKDIAG_FRAME_NETLINK = 1,
	SOCKDIAG_FRAME_INODES = 2,
	SOCKDIAG_FRAME_SOCKSTAT = 3,
};
#define SOCKDIAG_FRAME_HDR 12
#define SOCKDIAG_FRAME_MAX (64u << 20)
#define SOCKDIAG_REPLAY_MAX (1024u << 20)

struct sockdiag_replay {
	bool has_inodes;           /* an INODES frame was found */
	int pid;                   /* its pid */
	struct inode_set inodes;
	size_t frames;             /* NETLINK frames */
	size_t dumps_done;         /* NLMSG_DONE replies seen */
	int error;                 /* positive errno of the first error reply */
};

void sockdiag_replay_release(struct sockdiag_replay *r);
/* Parse a whole recording held in memory: collect its inode set (if any)
 * and sockstat, then parse its netlink frames keeping the inodes in
 * `filter`, or when it is NULL the recorded ones (all sockets when the file
 * has none).  Fills out->sockstat from a
 * SOCKSTAT frame.  GD_EFORMAT names the frame at fault; what was parsed
 * before it stays in out. */
enum gd_err sockdiag_replay_parse(const void *buf, size_t len, const struct inode_set *filter,
				  struct sockdiag_replay *r, struct tcp_sock_list *out,
				  struct gd_errbuf *eb);

/* ---- the process-level entry points ---- */

/* Fill out with pid's TCP sockets (out must be initialised).  Live: sock_diag
 * in pid's netns (entered from a short-lived thread when it differs from
 * ours), else /proc/PID/net/tcp{,6}; out->source and out->notes say which and
 * what could not be read; out->sockstat is filled when readable.  Returns an
 * error only when no socket list can be produced at all (no such process,
 * permission denied on its fds, unreadable replay file). */
enum gd_err tcp_socks_for_pid(const struct sock_opts *o, int pid, struct tcp_sock_list *out,
			      struct gd_errbuf *eb);

struct tcp_counts {
	size_t total, established, listening, close_wait, other;
};

void tcp_counts_add(struct tcp_counts *c, const struct tcp_sock *s);
void tcp_sock_list_count(const struct tcp_sock_list *l, struct tcp_counts *c);
/* The counts `godiag ps` shows: the same as tcp_socks_for_pid() but without
 * asking for tcp_info, which makes the dump smaller. */
enum gd_err tcp_counts_for_pid(const struct sock_opts *o, int pid, struct tcp_counts *c,
			       struct gd_errbuf *eb);

#endif
