/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diagnose/evidence_dir.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

void evidence_set_init(struct evidence_set *set)
{
	memset(set, 0, sizeof(*set));
	bundle_manifest_init(&set->manifest);
}

void evidence_set_release(struct evidence_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct evidence_piece *p = &set->v[i];
		free((char *)p->what);
		free((char *)p->name);
		free((char *)p->source);
		free((char *)p->buf);
		free((char *)p->note);
	}
	free(set->v);
	bundle_manifest_release(&set->manifest);
	free(set->manifest_path);
	free(set->manifest_error);
	memset(set, 0, sizeof(*set));
}

static struct evidence_piece *add_piece(struct evidence_set *set, const char *name, const char *path)
{
	struct evidence_piece *p;
	ALLOC_GROW(set->v, set->n + 1, set->alloc);
	p = &set->v[set->n++];
	memset(p, 0, sizeof(*p));
	p->name = name ? xstrdup(name) : NULL;
	p->source = xstrdup(path);
	return p;
}

static void piece_fail(struct evidence_piece *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void piece_fail(struct evidence_piece *p, const char *fmt, ...)
{
	char buf[GD_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->failed = true;
	free((char *)p->note);
	p->note = xstrdup(buf);
}

/* Read one regular file whole, once: no symlink followed, no FIFO waited
 * on (O_NONBLOCK), capped by the file cap and what is left of the set's. */
static enum gd_err read_capped(int dirfd, const char *name, bool follow, size_t cap, char **out, size_t *outlen,
			       int64_t *mtime, struct gd_errbuf *eb)
{
	struct strbuf sb = STRBUF_INIT_MAX(cap);
	struct stat st;
	char chunk[65536];
	int fd = openat(dirfd, name, O_RDONLY | (follow ? 0 : O_NOFOLLOW) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return gd_fail(eb, errno == ENOENT ? GD_ENOENT : errno == EACCES ? GD_EPERM : GD_EIO, "%s",
			       errno == ELOOP ? "a symbolic link: skipped" : strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return gd_fail(eb, GD_EFORMAT, "not a regular file: skipped");
	}
	if ((uint64_t)st.st_size > cap) {
		close(fd);
		return gd_fail(eb, GD_ETOOBIG, "%lld bytes, over the %zu MiB cap: skipped", (long long)st.st_size,
			       cap >> 20);
	}
	*mtime = (int64_t)st.st_mtime;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			strbuf_release(&sb);
			return gd_fail(eb, GD_EIO, "read error: %s", strerror(e));
		}
		if (!n)
			break;
		if (strbuf_add(&sb, chunk, (size_t)n)) {
			close(fd);
			strbuf_release(&sb);
			return gd_fail(eb, GD_ETOOBIG, "over the %zu MiB cap: skipped", cap >> 20);
		}
	}
	close(fd);
	*out = strbuf_detach(&sb, outlen);
	return GD_OK;
}

static size_t room(const struct evidence_set *set)
{
	size_t left = set->bytes < EVIDENCE_DIR_MAX_BYTES ? EVIDENCE_DIR_MAX_BYTES - set->bytes : 0;
	return left < EVIDENCE_FILE_MAX ? left : EVIDENCE_FILE_MAX;
}

/* Read name into p; with kind EV_UNKNOWN the content decides.  Names
 * found in a directory are never followed as symbolic links (a ticket's
 * directory must not make godiag read /etc/shadow); a file named on the
 * command line is. */
static enum gd_err read_piece(struct evidence_set *set, struct evidence_piece *p, int dirfd, const char *name,
			      bool follow, enum evidence_kind kind)
{
	struct gd_errbuf eb = { "" };
	char *buf = NULL;
	size_t len = 0;
	int64_t mtime = 0;
	enum gd_err e = read_capped(dirfd, name, follow, room(set), &buf, &len, &mtime, &eb);
	if (e) {
		piece_fail(p, "%s", eb.msg);
		return e;
	}
	set->bytes += len;
	p->buf = buf;
	p->len = len;
	if (!p->time)
		p->time = mtime;
	p->kind = kind != EV_UNKNOWN ? kind : evidence_sniff(name, (const unsigned char *)buf, len);
	return GD_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's names, sorted (the order pieces are read in), without
 * dot files; at most EVIDENCE_DIR_MAX_FILES, *more set beyond. */
static char **list_dir(DIR *d, size_t *n, bool *more)
{
	struct dirent *de;
	char **names = NULL;
	size_t alloc = 0;
	*n = 0;
	*more = false;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (*n >= EVIDENCE_DIR_MAX_FILES) {
			*more = true;
			break;
		}
		ALLOC_GROW(names, *n + 1, alloc);
		names[(*n)++] = xstrdup(de->d_name);
	}
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void read_manifest(struct evidence_set *set, int dirfd, const char *path)
{
	struct gd_errbuf eb = { "" };
	char *buf = NULL;
	size_t len = 0;
	int64_t mtime;
	set->manifest_path = xstrdup(path);
	if (read_capped(dirfd, BUNDLE_MANIFEST, false, BUNDLE_MANIFEST_MAX, &buf, &len, &mtime, &eb) ||
	    bundle_manifest_parse(&set->manifest, buf, len, &eb)) {
		set->manifest_error = xstrdup(eb.msg);
		bundle_manifest_release(&set->manifest);
		bundle_manifest_init(&set->manifest);
	} else {
		set->has_manifest = true;
		set->through_manifest = set->manifest.has_files;
	}
	free(buf);
}

enum gd_err evidence_dir_read(struct evidence_set *set, const char *dir, struct gd_errbuf *eb)
{
	char path[4096];
	char **names;
	size_t n;
	bool more;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	if (dirfd < 0)
		return gd_fail(eb, errno == ENOENT ? GD_ENOENT : errno == EACCES ? GD_EPERM : GD_EIO, "%s: %s", dir,
			       strerror(errno));
	d = fdopendir(dup(dirfd));
	if (!d) {
		int e = errno;
		close(dirfd);
		return gd_fail(eb, GD_EIO, "%s: %s", dir, strerror(e));
	}
	names = list_dir(d, &n, &more);
	closedir(d);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], BUNDLE_MANIFEST)) {
			snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
			read_manifest(set, dirfd, path);
		}

	if (set->through_manifest) {
		/* A bundle: exactly the files it lists, in its order. */
		for (size_t i = 0; i < set->manifest.nfiles; i++) {
			const struct bundle_file *f = &set->manifest.files[i];
			struct evidence_piece *p;
			snprintf(path, sizeof(path), "%s/%s", dir, f->name);
			p = add_piece(set, f->name, path);
			p->kind = f->kind;
			p->time = f->time;
			if (!f->ok) {
				piece_fail(p, "not saved when the bundle was made (%.300s)", f->note ? f->note : "no reason given");
				continue;
			}
			read_piece(set, p, dirfd, f->name, false, f->kind);
			if (!p->failed && p->len != f->bytes) {
				piece_fail(p, "%zu bytes where the manifest says %llu: changed since the bundle was made",
					   p->len, (unsigned long long)f->bytes);
				set->bytes -= p->len;
				free((char *)p->buf);
				p->buf = NULL;
				p->len = 0;
			}
		}
		for (size_t i = 0; i < n; i++) {
			struct evidence_piece *p;
			if (!strcmp(names[i], BUNDLE_MANIFEST) || bundle_manifest_file(&set->manifest, names[i]))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			p = add_piece(set, names[i], path);
			p->what = xstrdup(names[i]);
			piece_fail(p, "not in the bundle's manifest: ignored");
		}
	} else {
		/* Loose files (or a version-1 bundle): each one by content. */
		for (size_t i = 0; i < n; i++) {
			struct evidence_piece *p;
			/* The manifest was read (or refused, and said so) above. */
			if (set->manifest_path && !strcmp(names[i], BUNDLE_MANIFEST))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			p = add_piece(set, names[i], path);
			read_piece(set, p, dirfd, names[i], false, EV_UNKNOWN);
			if (p->failed)
				p->what = xstrdup(names[i]);
		}
	}
	if (more) {
		struct evidence_piece *p = add_piece(set, NULL, dir);
		p->what = xstrdup("directory");
		piece_fail(p, "more than %d files: the rest skipped", EVIDENCE_DIR_MAX_FILES);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(dirfd);
	return GD_OK;
}

enum gd_err evidence_file_read(struct evidence_set *set, const char *path, struct gd_errbuf *eb)
{
	struct evidence_piece *p;
	const char *slash = strrchr(path, '/');
	enum gd_err e;
	p = add_piece(set, slash ? slash + 1 : path, path);
	e = read_piece(set, p, AT_FDCWD, path, true, EV_UNKNOWN);
	if (e)
		return gd_fail(eb, e, "%s: %s", path, p->note);
	return GD_OK;
}
