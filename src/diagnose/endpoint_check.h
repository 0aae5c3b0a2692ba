/* SPDX-License-Identifier: MIT */
/* Before anything that stops the world: is the pprof endpoint found for a
 * PID really that process?  godiag opens its own connection to the
 * endpoint (from inside the target's network namespace) and looks for the
 * server's end of it among the target's sockets (the inodes of its fd
 * table, as sock_diag reports them).  When another process accepted it (a
 * second listener with SO_REUSEPORT, the host's service on a container's
 * port), the endpoint is refused, naming both. */
#ifndef GODIAG_ENDPOINT_CHECK_H
#define GODIAG_ENDPOINT_CHECK_H

#include "util/error.h"

/* GD_OK when the server end of a fresh connection to base_url is a socket
 * of pid; otherwise an error naming the URL and the PID. */
enum gd_err endpoint_check_owner(int pid, const char *proc_root, const char *base_url, struct gd_errbuf *eb);

#endif
