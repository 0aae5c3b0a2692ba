/* SPDX-License-Identifier: MIT */
/* Sockets made inside another process's network namespace.
 *
 * A PID's pprof endpoint is found among the ports of its own namespace, so
 * it must be asked from there: 127.0.0.1:PORT in godiag's namespace may be
 * a different process (a container's service next to the host's).  A
 * socket stays in the namespace it was created in, so a short-lived thread
 * enters the target's namespace (setns(CLONE_NEWNET), which needs
 * CAP_SYS_ADMIN over it), creates the socket and exits; the caller then
 * connects it as usual. */
#ifndef GODIAG_NSSOCK_H
#define GODIAG_NSSOCK_H

#include <stdbool.h>

#include "util/error.h"

/* True when pid's network namespace is not ours (false when either cannot
 * be seen: then there is nothing to enter). */
bool nssock_netns_differs(int pid);

/* socket(domain, type, protocol) inside pid's network namespace, or -1
 * with eb naming the step that failed. */
int nssock_open(int pid, int domain, int type, int protocol, struct gd_errbuf *eb);

#endif
