/* SPDX-License-Identifier: MIT */
/* The TCP socket model of one process and the /proc side of finding it:
 * which socket inodes a process holds (/proc/PID/fd), the per-netns totals of
 * /proc/PID/net/sockstat, and the parser for /proc/PID/net/tcp{,6}, which is
 * the fallback when sock_diag cannot be used.  The /proc files carry no idle
 * times, so a list filled from them says so (idle_known == false).
 *
 * Everything read here comes from the target's side of the kernel and is
 * parsed as untrusted input: bounded lines, bounded counts, errors name the
 * file.  Nothing here prints. */
#ifndef GODIAG_LINUX_SOCKETS_H
#define GODIAG_LINUX_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Kernel TCP state numbers (include/net/tcp_states.h), shared by sock_diag
 * and /proc/net/tcp. */
enum tcp_state_nr {
	TCPS_ESTABLISHED = 1,
	TCPS_SYN_SENT,
	TCPS_SYN_RECV,
	TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2,
	TCPS_TIME_WAIT,
	TCPS_CLOSE,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_LISTEN,
	TCPS_CLOSING,
	TCPS_NEW_SYN_RECV,
	TCPS_MAX
};

/* "ESTABLISHED", "LISTEN", ...; "UNKNOWN" outside the table. */
const char *tcp_state_name(unsigned state);

struct tcp_sock {
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t state;           /* enum tcp_state_nr */
	uint16_t local_port;     /* host byte order */
	uint16_t peer_port;
	uint8_t local_addr[16];  /* network byte order; IPv4 uses the first 4 */
	uint8_t peer_addr[16];
	uint32_t rqueue;         /* LISTEN: accept backlog; else unread bytes */
	uint32_t wqueue;         /* LISTEN: backlog limit; else unsent bytes */
	uint32_t uid;
	uint64_t inode;
	/* From struct tcp_info; each flag says the kernel's reply was long
	 * enough to hold those fields (tcp_info grows across kernels). */
	bool has_idle;
	bool has_bytes;
	uint32_t last_data_recv_ms;
	uint32_t last_data_sent_ms;
	uint64_t bytes_acked;
	uint64_t bytes_received;
};

/* The TCP lines of /proc/net/sockstat and sockstat6. */
struct sockstat {
	bool valid;          /* the TCP: line was found */
	bool valid6;         /* the TCP6: line was found */
	uint64_t sockets_used;
	uint64_t tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc, tcp_mem_pages;
	uint64_t tcp6_inuse;
};

struct tcp_sock_list {
	struct tcp_sock *v;
	size_t n, alloc;
	bool idle_known;   /* false when filled from /proc/PID/net/tcp */
	bool partial;      /* sockets may be missing (see notes) */
	char source[160];  /* "sock_diag" or "/proc/PID/net/tcp (no idle times: ...)" */
	char notes[512];   /* what could not be read, "; "-separated, "" if none */
	struct sockstat sockstat; /* totals of the netns; .valid false if unread */
};

void tcp_sock_list_init(struct tcp_sock_list *l);
void tcp_sock_list_release(struct tcp_sock_list *l);
/* Append a copy of s (aborts on OOM like every x* allocation). */
void tcp_sock_list_add(struct tcp_sock_list *l, const struct tcp_sock *s);
/* Append "; "-separated text to l->notes (silently cut at its size). */
void tcp_sock_list_note(struct tcp_sock_list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Format "127.0.0.1" or "::1" (no port) into buf. */
void tcp_addr_format(int family, const uint8_t addr[16], char *buf, size_t size);

/* A set of socket inodes (open addressing; lookups are O(1) so that a dump
 * of every socket in the netns is filtered at memory speed). */
struct inode_set {
	uint64_t *slots;  /* 0 marks an empty slot; inode 0 is never a socket */
	size_t n, cap;
};

void inode_set_init(struct inode_set *s);
void inode_set_release(struct inode_set *s);
void inode_set_add(struct inode_set *s, uint64_t inode);
bool inode_set_has(const struct inode_set *s, uint64_t inode);

/* Caps on what one process or one /proc file may feed us. */
#define SOCKETS_MAX_FDS (4u << 20)
#define PROC_NET_TCP_MAX_LINE 512
#define PROC_NET_TCP_MAX_BYTES (512u << 20)

/* Collect the socket inodes of pid's open fds ("socket:[N]" links under
 * PROC_ROOT/PID/fd; proc_root NULL means "/proc").  An fd closed while we
 * read is skipped.  Errors: GD_ENOENT (no such process), GD_EPERM (not our
 * uid and no CAP_SYS_PTRACE), GD_ETOOBIG (more than SOCKETS_MAX_FDS fds),
 * GD_EIO.  On error the set holds what was read so far. */
enum gd_err proc_socket_inodes(const char *proc_root, int pid, struct inode_set *out,
			       struct gd_errbuf *eb);

/* Parse the text of /proc/net/sockstat or sockstat6 into st (fields found
 * are set, others left alone, so both files can be fed into one struct).
 * GD_EFORMAT when a TCP line is malformed. */
enum gd_err sockstat_parse(const char *buf, size_t len, struct sockstat *st,
			   struct gd_errbuf *eb);
/* Read PROC_ROOT/PID/net/sockstat{,6} (pid <= 0: PROC_ROOT/net/...), i.e.
 * the totals of pid's network namespace. */
enum gd_err sockstat_read(const char *proc_root, int pid, struct sockstat *st,
			  struct gd_errbuf *eb);

/* Parse one line of /proc/net/tcp (family AF_INET) or tcp6 (AF_INET6).
 * Returns GD_OK and fills *s, GD_ENOENT for the header line, GD_EFORMAT
 * (message names the field) otherwise.  No idle times exist there. */
enum gd_err proc_net_tcp_parse_line(const char *line, size_t len, int family,
				    struct tcp_sock *s, struct gd_errbuf *eb);
/* Parse a whole file's text; keep the sockets whose inode is in filter (all
 * when filter is NULL).  `name` names the input in error messages.  Stops at
 * the first bad line with GD_EFORMAT, keeping what was parsed. */
enum gd_err proc_net_tcp_parse(const char *buf, size_t len, int family, const char *name,
			       const struct inode_set *filter, struct tcp_sock_list *out,
			       struct gd_errbuf *eb);
/* Read PROC_ROOT/PID/net/tcp and tcp6 (the sockets of pid's netns) and keep
 * those in filter.  A missing tcp6 (no IPv6) is not an error. */
enum gd_err proc_net_tcp_read(const char *proc_root, int pid, const struct inode_set *filter,
			      struct tcp_sock_list *out, struct gd_errbuf *eb);

#endif
