/* SPDX-License-Identifier: MIT */
/* Fuzz the /proc text parsers of linux/sockets: /proc/net/tcp and tcp6
 * (the family picked by the first byte) and /proc/net/sockstat. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "linux/sockets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_sock_list l;
	struct sockstat st;
	struct gd_errbuf eb;
	int family = size && (data[0] & 1) ? AF_INET6 : AF_INET;

	tcp_sock_list_init(&l);
	proc_net_tcp_parse((const char *)data, size, family, "fuzz", NULL, &l, &eb);
	for (size_t i = 0; i < l.n; i++) {
		char a[64];
		tcp_addr_format(l.v[i].family, l.v[i].peer_addr, a, sizeof(a));
		(void)tcp_state_name(l.v[i].state);
	}
	tcp_sock_list_release(&l);

	memset(&st, 0, sizeof(st));
	sockstat_parse((const char *)data, size, &st, &eb);
	return 0;
}
