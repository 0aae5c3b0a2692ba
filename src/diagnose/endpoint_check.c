/* SPDX-License-Identifier: MIT */
#include <time.h>
#include <unistd.h>

#include "diagnose/endpoint_check.h"
#include "linux/sockdiag.h"
#include "linux/sockets.h"
#include "remote/discover.h"
#include "util/banned.h"

/* Go accepts on its own schedule: the server's end shows in the fd table
 * a moment after the handshake.  Look a few times within this budget. */
#define CHECK_TRIES 10
#define CHECK_PAUSE_MS 50

static bool has_server_end(const struct tcp_sock_list *l, uint16_t server_port, uint16_t client_port)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].state == TCPS_ESTABLISHED && l->v[i].local_port == server_port &&
		    l->v[i].peer_port == client_port)
			return true;
	return false;
}

enum gd_err endpoint_check_owner(int pid, const char *proc_root, const char *base_url, struct gd_errbuf *eb)
{
	struct sock_opts so = { proc_root, NULL, NULL };
	uint16_t lport = 0, rport = 0;
	int fd;
	bool found = false;
	enum gd_err e = pprof_endpoint_connect(base_url, pid, 1000, &fd, &lport, &rport, eb);
	if (e)
		return e;
	for (int i = 0; i < CHECK_TRIES && !found; i++) {
		struct tcp_sock_list l;
		struct gd_errbuf seb = { "" };
		tcp_sock_list_init(&l);
		if (!tcp_socks_for_pid(&so, pid, &l, &seb))
			found = has_server_end(&l, rport, lport);
		tcp_sock_list_release(&l);
		if (!found) {
			struct timespec ts = { 0, CHECK_PAUSE_MS * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	if (!found)
		return gd_fail(eb, GD_EPERM,
			       "%s is not served by PID %d: the server end of godiag's connection (port %u, from port %u) "
			       "is not a socket of PID %d, so another process answers there; refusing to ask it for a dump "
			       "(give the endpoint with --pprof URL)",
			       base_url, pid, rport, lport, pid);
	return GD_OK;
}
