/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/netns.h"
#include "linux/procfs.h"
#include "linux/sockets.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

uint64_t netns_of_pid(const char *proc_root, int pid)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root ? proc_root : PROCFS_ROOT_DEFAULT, pid);
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Re-read a recording with `filter`; false when it holds no finished dump
 * (the /proc fallback was used) or cannot be read. */
static bool parse_recording(const char *path, const struct inode_set *filter, struct tcp_sock_list *out)
{
	struct strbuf sb;
	struct sockdiag_replay r;
	struct gd_errbuf eb;
	bool ok;

	strbuf_init(&sb, SOCKDIAG_REPLAY_MAX);
	if (procfs_read_file(path, SOCKDIAG_REPLAY_MAX, &sb, &eb) != GD_OK) {
		strbuf_release(&sb);
		return false;
	}
	ok = sockdiag_replay_parse(sb.buf, sb.len, filter, &r, out, &eb) == GD_OK && r.frames > 0 &&
	     r.dumps_done >= 1 && !r.error;
	sockdiag_replay_release(&r);
	strbuf_release(&sb);
	return ok;
}

static void count_one(const char *proc_root, struct netns_tcp_query *q)
{
	struct sock_opts so = { .proc_root = proc_root };
	struct gd_errbuf eb = { "" };

	if (tcp_counts_for_pid(&so, q->pid, &q->counts, &eb) == GD_OK)
		q->known = true;
	else
		snprintf(q->why, sizeof(q->why), "%s", eb.msg[0] ? eb.msg : "unreadable");
}

void netns_tcp_counts(const char *proc_root, struct netns_tcp_query *q, size_t n)
{
	struct inode_set *sets = xcalloc(n ? n : 1, sizeof(*sets));
	uint64_t *ns = xcalloc(n ? n : 1, sizeof(*ns));
	bool *done = xcalloc(n ? n : 1, sizeof(*done));
	char tmpl[] = "/tmp/godiag-netns-XXXXXX";
	int tfd = -1;

	for (size_t i = 0; i < n; i++) {
		struct gd_errbuf eb = { "" };
		inode_set_init(&sets[i]);
		if (proc_socket_inodes(proc_root, q[i].pid, &sets[i], &eb) != GD_OK) {
			snprintf(q[i].why, sizeof(q[i].why), "%s", eb.msg);
			done[i] = true;
			continue;
		}
		ns[i] = netns_of_pid(proc_root, q[i].pid);
	}
	for (size_t i = 0; i < n; i++) {
		struct sock_opts so = { .proc_root = proc_root };
		struct inode_set all;
		struct tcp_sock_list l;
		struct gd_errbuf eb = { "" };
		size_t members = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < n; j++)
			members += !done[j] && ns[j] && ns[j] == ns[i];
		if (members < 2 || (tfd < 0 && (tfd = mkstemp(tmpl)) < 0)) {
			count_one(proc_root, &q[i]);
			done[i] = true;
			continue;
		}
		/* Each namespace's recording replaces the last one's. */
		if (ftruncate(tfd, 0) != 0) {
			count_one(proc_root, &q[i]);
			done[i] = true;
			continue;
		}
		so.record_file = tmpl;
		inode_set_init(&all);
		for (size_t j = i; j < n; j++)
			if (!done[j] && ns[j] == ns[i])
				for (size_t k = 0; k < sets[j].cap; k++)
					if (sets[j].slots[k])
						inode_set_add(&all, sets[j].slots[k]);
		tcp_sock_list_init(&l);
		if (tcp_counts_for_pid(&so, q[i].pid, &q[i].counts, &eb) != GD_OK ||
		    !parse_recording(tmpl, &all, &l)) {
			/* No shared dump (fallback path, or it failed): ask per process. */
			count_one(proc_root, &q[i]);
			done[i] = true;
			inode_set_release(&all);
			tcp_sock_list_release(&l);
			continue;
		}
		for (size_t j = i; j < n; j++) {
			if (done[j] || ns[j] != ns[i])
				continue;
			memset(&q[j].counts, 0, sizeof(q[j].counts));
			for (size_t k = 0; k < l.n; k++)
				if (inode_set_has(&sets[j], l.v[k].inode))
					tcp_counts_add(&q[j].counts, &l.v[k]);
			q[j].known = true;
			done[j] = true;
		}
		inode_set_release(&all);
		tcp_sock_list_release(&l);
	}
	if (tfd >= 0) {
		close(tfd);
		unlink(tmpl);
	}
	for (size_t i = 0; i < n; i++)
		inode_set_release(&sets[i]);
	free(sets);
	free(ns);
	free(done);
}
