/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/nssock.h"
#include "util/banned.h"

bool nssock_netns_differs(int pid)
{
	char path[64];
	struct stat self, target;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &target) || stat("/proc/self/ns/net", &self))
		return false;
	return self.st_ino != target.st_ino || self.st_dev != target.st_dev;
}

struct ns_req {
	int pid, domain, type, protocol;
	int fd, err;
	const char *step;
};

/* Only this thread enters the namespace; the socket outlives it. */
static void *ns_thread(void *v)
{
	struct ns_req *r = v;
	char path[64];
	int nsfd;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", r->pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	r->fd = -1;
	if (nsfd < 0) {
		r->err = errno;
		r->step = "open";
		return NULL;
	}
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		r->err = errno;
		r->step = "setns";
		close(nsfd);
		return NULL;
	}
	close(nsfd);
	r->fd = socket(r->domain, r->type | SOCK_CLOEXEC, r->protocol);
	if (r->fd < 0) {
		r->err = errno;
		r->step = "socket";
	}
	return NULL;
}

int nssock_open(int pid, int domain, int type, int protocol, struct gd_errbuf *eb)
{
	struct ns_req r = { .pid = pid, .domain = domain, .type = type, .protocol = protocol, .fd = -1 };
	pthread_t t;
	if (pthread_create(&t, NULL, ns_thread, &r)) {
		gd_fail(eb, GD_EIO, "cannot start a thread to enter the network namespace of %d", pid);
		return -1;
	}
	pthread_join(t, NULL);
	if (r.fd < 0)
		gd_fail(eb, r.err == EPERM ? GD_EPERM : GD_EIO, "network namespace of %d: %s /proc/%d/ns/net: %s", pid,
			r.step, pid, strerror(r.err));
	return r.fd;
}
