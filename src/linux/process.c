/* SPDX-License-Identifier: MIT */
/* Go process discovery: PIDs under a proc root, their executables, and a
 * per-binary cache of "is it Go, and which build" so a scan of a busy host
 * reads each distinct binary once and most non-Go binaries barely at all. */
#include <dirent.h>
#include <gelf.h>
#include <libelf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/process.h"
#include "util/numparse.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* ---- ELF pre-check --------------------------------------------------- */

/* The same libelf reading as linux/buildinfo (one ELF reader), but only
 * the header and the section names: a mapping, so the pages of a big
 * non-Go binary that are never looked at are never read. */

static bool is_go_section_name(const char *s)
{
	static const char *const names[] = {
		".go.buildinfo", ".gopclntab", ".note.go.buildid", ".gosymtab",
		".data.rel.ro.gopclntab",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return true;
	return false;
}

bool elf_surely_not_go(int fd, const char **why)
{
	unsigned char ident[SELFMAG];
	size_t shnum = 0, shstrndx;
	Elf_Scn *scn = NULL;
	bool verdict = false;
	Elf *e;

	*why = "not an ELF file";
	if (pread(fd, ident, sizeof(ident), 0) != (ssize_t)sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG))
		return true; /* shorter than an ELF header, or not ELF */
	*why = "not a Go executable (no Go sections)";
	if (elf_version(EV_CURRENT) == EV_NONE)
		return false;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	/* A damaged file, or no section table (a stripped PIE): we cannot
	 * tell cheaply, so the full reader decides. */
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrnum(e, &shnum) || !shnum ||
	    elf_getshdrstrndx(e, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		if (is_go_section_name(name))
			goto out;
	}
	verdict = true;
out:
	if (e)
		elf_end(e);
	return verdict;
}

/* ---- binary cache ---------------------------------------------------- */

void bin_cache_init(struct bin_cache *c)
{
	memset(c, 0, sizeof(*c));
}

void bin_cache_release(struct bin_cache *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		go_buildinfo_release(&c->v[i]->bi);
		free(c->v[i]);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static void bin_read(struct bin_cache *c, struct go_binary *b, const char *path)
{
	struct gd_errbuf eb;
	const char *why = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		snprintf(b->why, sizeof(b->why), "%s: %s", path, strerror(errno));
		return;
	}
	if (elf_surely_not_go(fd, &why)) {
		close(fd);
		c->prefiltered++;
		snprintf(b->why, sizeof(b->why), "%s: %s", path, why);
		return;
	}
	close(fd);
	c->reads++;
	if (go_buildinfo_read_file(path, &b->bi, &eb) == GD_OK)
		b->is_go = true;
	else
		snprintf(b->why, sizeof(b->why), "%s", eb.msg);
}

const struct go_binary *bin_cache_get(struct bin_cache *c, const char *path, const struct stat *st)
{
	struct go_binary *b;

	/* Distinct binaries on a host number in the tens to hundreds; a
	 * linear scan beats hashing at that size. */
	for (size_t i = 0; i < c->nr; i++) {
		b = c->v[i];
		if (b->ino == (uint64_t)st->st_ino && b->dev == (uint64_t)st->st_dev &&
		    b->mtime_sec == (int64_t)st->st_mtim.tv_sec &&
		    b->mtime_nsec == (int64_t)st->st_mtim.tv_nsec) {
			c->hits++;
			return b;
		}
	}
	b = xcalloc(1, sizeof(*b));
	b->dev = (uint64_t)st->st_dev;
	b->ino = (uint64_t)st->st_ino;
	b->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	b->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
	go_buildinfo_init(&b->bi);
	bin_read(c, b, path);
	ALLOC_GROW(c->v, c->nr + 1, c->alloc);
	c->v[c->nr++] = b;
	return b;
}

/* ---- one process ----------------------------------------------------- */

static void copy_cut(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* PID/exe is not ours to read: try the world-readable argv[0]. */
static enum gd_err identify_by_argv0(struct bin_cache *c, const char *proc_root, int pid,
				     struct go_process *gp, struct gd_errbuf *eb)
{
	char path[4096];
	struct strbuf sb;
	struct stat st;
	const struct go_binary *b;
	enum gd_err rc;
	size_t n;

	snprintf(path, sizeof(path), "%s/%d/cmdline", proc_root, pid);
	strbuf_init(&sb, 8192);
	rc = procfs_read_file(path, 4096, &sb, NULL);
	if (rc != GD_OK && rc != GD_ETOOBIG) {
		strbuf_release(&sb);
		return gd_fail(eb, GD_EPERM, "%s/%d/exe: permission denied", proc_root, pid);
	}
	n = strnlen(sb.buf, sb.len);
	if (n == 0 || sb.buf[0] != '/' || n >= sizeof(path)) {
		strbuf_release(&sb);
		return gd_fail(eb, GD_EPERM, "%s/%d/exe: permission denied (argv[0] is not an absolute path)",
			       proc_root, pid);
	}
	memcpy(path, sb.buf, n);
	path[n] = '\0';
	strbuf_release(&sb);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return gd_fail(eb, GD_EPERM, "%s/%d/exe: permission denied (argv[0] %s not readable)",
			       proc_root, pid, path);
	b = bin_cache_get(c, path, &st);
	if (!b->is_go)
		return gd_fail(eb, GD_EFORMAT, "%s", b->why);
	gp->bin = b;
	gp->verified = false;
	copy_cut(gp->exe, sizeof(gp->exe), path, n);
	snprintf(gp->note, sizeof(gp->note),
		 "%s/%d/exe: permission denied; binary taken from argv[0] (unverified)", proc_root, pid);
	return GD_OK;
}

enum gd_err process_identify(struct bin_cache *c, const char *proc_root, int pid,
			     struct go_process *gp, struct gd_errbuf *eb)
{
	char path[4096];
	struct stat st;
	const struct go_binary *b;
	ssize_t n;

	memset(gp, 0, sizeof(*gp));
	gp->pid = pid;
	snprintf(path, sizeof(path), "%s/%d/exe", proc_root, pid);
	if (stat(path, &st) != 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			return identify_by_argv0(c, proc_root, pid, gp, eb);
		snprintf(path, sizeof(path), "%s/%d", proc_root, pid);
		if (e == ENOENT || e == ESRCH || e == ENOTDIR) {
			if (access(path, F_OK) != 0)
				return gd_fail(eb, GD_ENOENT, "%s: no such process", path);
			return gd_fail(eb, GD_ENOENT, "%s: no executable (kernel thread or zombie)", path);
		}
		return gd_fail(eb, GD_EIO, "%s/exe: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode))
		return gd_fail(eb, GD_EFORMAT, "%s: not a regular file", path);
	b = bin_cache_get(c, path, &st);
	if (!b->is_go)
		return gd_fail(eb, GD_EFORMAT, "%s", b->why);
	/* Only Go rows show the path: one readlink per non-Go process would
	 * be a thousand wasted syscalls on a busy host. */
	n = readlink(path, gp->exe, sizeof(gp->exe) - 1);
	if (n > 0) {
		static const char del[] = " (deleted)";
		gp->exe[n] = '\0';
		if ((size_t)n > sizeof(del) - 1 && !strcmp(gp->exe + n - (sizeof(del) - 1), del))
			gp->exe_deleted = true;
	}
	gp->bin = b;
	gp->verified = true;
	return GD_OK;
}

/* ---- listing and scanning -------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

enum gd_err process_list_pids(const char *proc_root, int **pids, size_t *n,
			      struct gd_errbuf *eb)
{
	DIR *d = opendir(proc_root);
	struct dirent *de;
	size_t alloc = 0;

	*pids = NULL;
	*n = 0;
	if (!d) {
		int e = errno;
		return gd_fail(eb, e == ENOENT ? GD_ENOENT : e == EACCES ? GD_EPERM : GD_EIO,
			       "%s: %s", proc_root, strerror(e));
	}
	while ((de = readdir(d))) {
		uint64_t v;
		if (de->d_name[0] == '0' || !parse_u64(de->d_name, &v) || v > 0x3fffffff)
			continue;
		ALLOC_GROW(*pids, *n + 1, alloc);
		(*pids)[(*n)++] = (int)v;
	}
	closedir(d);
	qsort(*pids, *n, sizeof(**pids), cmp_int);
	return GD_OK;
}

void process_scan_init(struct process_scan *ps)
{
	memset(ps, 0, sizeof(*ps));
	bin_cache_init(&ps->cache);
}

void process_scan_release(struct process_scan *ps)
{
	free(ps->v);
	bin_cache_release(&ps->cache);
	proc_notes_release(&ps->notes);
	memset(ps, 0, sizeof(*ps));
}

enum gd_err process_scan_run(struct process_scan *ps, const char *proc_root,
			     struct gd_errbuf *eb)
{
	int *pids;
	size_t n;
	enum gd_err rc = process_list_pids(proc_root, &pids, &n, eb);

	if (rc != GD_OK)
		return rc;
	ps->seen = n;
	for (size_t i = 0; i < n; i++) {
		struct go_process gp;
		struct gd_errbuf e1;
		char what[32];

		rc = process_identify(&ps->cache, proc_root, pids[i], &gp, &e1);
		switch (rc) {
		case GD_OK:
			ALLOC_GROW(ps->v, ps->nr + 1, ps->alloc);
			ps->v[ps->nr++] = gp;
			break;
		case GD_EFORMAT:
			ps->not_go++;
			break;
		case GD_ENOENT:
			ps->no_exe++;
			break;
		default:
			ps->denied++;
			if (ps->denied <= PROCESS_SCAN_NOTED_MAX) {
				snprintf(what, sizeof(what), "pid %d", pids[i]);
				proc_notes_add(&ps->notes, what, "%s", e1.msg);
			}
			break;
		}
	}
	free(pids);
	return GD_OK;
}

void process_mem_policy(const struct go_process *gp, const char *kernel_release,
			const char *env_godebug, struct godebug_eval *ev)
{
	const struct go_buildinfo *bi = gp->bin ? &gp->bin->bi : NULL;

	godebug_eval_compute(ev, bi ? bi->go_version : NULL,
			     kernel_release && *kernel_release ? kernel_release : NULL,
			     bi ? go_buildinfo_setting(bi, "DefaultGODEBUG") : NULL,
			     bi ? go_buildinfo_setting(bi, "-ldflags") : NULL, env_godebug);
}
