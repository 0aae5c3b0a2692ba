/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/readfile.h"
#include "util/banned.h"

static enum gd_err errno_to_gd(int e)
{
	switch (e) {
	case ENOENT:
	case ESRCH:
	case ENOTDIR:
		return GD_ENOENT;
	case EACCES:
	case EPERM:
		return GD_EPERM;
	case ENOMEM:
		return GD_ENOMEM;
	default:
		return GD_EIO;
	}
}

static const char *errno_text(int e)
{
	/* ESRCH on a /proc file means the process went away while we read. */
	if (e == ESRCH)
		return "process exited";
	if (e == ENOENT)
		return "no such file";
	if (e == EACCES || e == EPERM)
		return "permission denied";
	return strerror(e);
}

enum gd_err read_file_capped(const char *path, size_t cap, struct strbuf *sb, struct gd_errbuf *eb)
{
	struct stat st;
	int fd;
	char chunk[65536];

	strbuf_reset(sb);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		return gd_fail(eb, errno_to_gd(e), "%s: %s", path, errno_text(e));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return gd_fail(eb, GD_EFORMAT, "%s: not a regular file", path);
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			close(fd);
			return gd_fail(eb, errno_to_gd(e), "%s: %s", path, errno_text(e));
		}
		if (n == 0)
			break;
		if (sb->len + (size_t)n > cap) {
			strbuf_add(sb, chunk, cap - sb->len);
			close(fd);
			return gd_fail(eb, GD_ETOOBIG, "%s: larger than %zu bytes", path, cap);
		}
		if (strbuf_add(sb, chunk, (size_t)n) != GD_OK) {
			close(fd);
			return gd_fail(eb, GD_ETOOBIG, "%s: larger than the buffer cap", path);
		}
	}
	close(fd);
	return GD_OK;
}

