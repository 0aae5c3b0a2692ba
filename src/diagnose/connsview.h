/* SPDX-License-Identifier: MIT */
/* The model of `godiag conns PID`: the process's TCP sockets grouped the
 * way a leak shows up.  A connection whose local port is one of the
 * process's listening ports is inbound on that port, anything else is
 * outbound to its peer; inside a group, sockets are split by peer address.
 * Each group carries its state counts, a histogram of idle times (since
 * data was last received) and its oldest idle socket, because "thousands of
 * ESTABLISHED inbound sockets idle for hours" is the fingerprint of a server
 * without IdleTimeout.  Rendered by report/conns_report. */
#ifndef GODIAG_CONNSVIEW_H
#define GODIAG_CONNSVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux/sockdiag.h"
#include "linux/sockets.h"
#include "util/error.h"

enum { HIST_N = 7 };
/* The idle-time histogram's bucket names: "<1s" ... ">=1d". */
extern const char *const conns_hist_names[HIST_N];

struct conn_stats {
	size_t n;
	size_t states[TCPS_MAX + 1]; /* [TCPS_MAX] counts out-of-table states */
	size_t hist[HIST_N];
	size_t idle_unknown;
	const struct tcp_sock *oldest;
};

struct peer_group {
	const struct tcp_sock *first; /* holds the peer address */
	struct conn_stats st;
};

struct conn_group {
	bool inbound;
	const struct tcp_sock *first; /* inbound: local port; outbound: peer */
	struct conn_stats st;
	struct peer_group *peers;
	size_t npeers, apeers;
	const struct tcp_sock **listeners;
	size_t nlisteners, alisteners;
};

struct conns_view {
	struct conn_group *groups;
	size_t n, alloc;
	struct tcp_counts totals;
	size_t filtered_out; /* by --min-idle */
	int pid;
	uint64_t min_idle_ms;
	struct tcp_sock_list list; /* the sockets the groups point into */
};

/* Read pid's sockets (o as for tcp_socks_for_pid) and group them; the
 * connections idle less than min_idle_ms (0: all) are left out when idle
 * times are known.  An error only when no socket list could be read. */
enum gd_err conns_view_build(struct conns_view *v, const struct sock_opts *o, int pid, uint64_t min_idle_ms,
			     struct gd_errbuf *eb);
void conns_view_release(struct conns_view *v);

#endif
