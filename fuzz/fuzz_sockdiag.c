/* SPDX-License-Identifier: MIT */
/* Fuzz the sock_diag side: a recording (frames of netlink replies, inode
 * lists, sockstat text) through sockdiag_replay_parse(), and the same bytes
 * as one raw netlink recv through sockdiag_parse(), with and without an
 * inode filter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockdiag_replay r;
	struct sockdiag_parser p;
	struct tcp_sock_list l;
	struct inode_set some;
	struct gd_errbuf eb;

	tcp_sock_list_init(&l);
	sockdiag_replay_parse(data, size, NULL, &r, &l, &eb);
	sockdiag_replay_release(&r);
	tcp_sock_list_release(&l);

	tcp_sock_list_init(&l);
	sockdiag_parser_init(&p, NULL, &l);
	sockdiag_parse(&p, data, size, &eb);
	tcp_sock_list_release(&l);

	/* With a filter, as the live path runs it. */
	inode_set_init(&some);
	for (uint64_t i = 1; i < 64; i++)
		inode_set_add(&some, i);
	tcp_sock_list_init(&l);
	sockdiag_parser_init(&p, &some, &l);
	sockdiag_parse(&p, data, size, &eb);
	tcp_sock_list_release(&l);
	inode_set_release(&some);
	return 0;
}
