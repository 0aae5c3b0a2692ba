/* SPDX-License-Identifier: MIT */
/* /proc and /sys readers for one process's memory picture.  Files are read
 * whole (capped) and parsed by key with hand-written number scanning, so a
 * kernel that adds, drops or reorders lines does not break us, and a damaged
 * file yields the fields that did parse plus an error naming the file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/xalloc.h"
#include "util/human.h"
#include "util/numparse.h"
#include "util/readfile.h"
#include "util/banned.h"

/* ---- reading --------------------------------------------------------- */

enum gd_err procfs_read_file(const char *path, size_t cap, struct strbuf *sb, struct gd_errbuf *eb)
{
	return read_file_capped(path, cap, sb, eb);
}

static void pid_path(char *out, size_t outsz, const char *root, int pid, const char *file)
{
	snprintf(out, outsz, "%s/%d/%s", root, pid, file);
}

static enum gd_err read_pid_file(const char *root, int pid, const char *file, size_t cap,
				 struct strbuf *sb, char *path, size_t pathsz,
				 struct gd_errbuf *eb)
{
	pid_path(path, pathsz, root, pid, file);
	return procfs_read_file(path, cap, sb, eb);
}

/* The files read whole and then parsed: one read-and-parse path for all.
 * With keep_truncated a file over its cap is still parsed (its first MiB
 * holds what matters) and GD_ETOOBIG returned. */
enum proc_file { PF_STATUS, PF_ENVIRON, PF_CMDLINE, PF_STAT, PF_CGROUP, PF_UPTIME };

static const struct {
	const char *name;
	bool per_pid, keep_truncated;
	size_t cap;
} proc_files[] = {
	[PF_STATUS] = { "status", true, false, PROCFS_FILE_CAP },
	[PF_ENVIRON] = { "environ", true, true, PROCFS_FILE_CAP },
	[PF_CMDLINE] = { "cmdline", true, true, PROCFS_FILE_CAP },
	[PF_STAT] = { "stat", true, false, PROCFS_FILE_CAP },
	[PF_CGROUP] = { "cgroup", true, false, PROCFS_FILE_CAP },
	[PF_UPTIME] = { "uptime", false, false, 4096 },
};

static enum gd_err parse_proc_file(enum proc_file f, const char *buf, size_t len, void *out, const char *path,
				   struct gd_errbuf *eb)
{
	switch (f) {
	case PF_STATUS: return proc_status_parse(buf, len, out, path, eb);
	case PF_ENVIRON: return proc_environ_parse(buf, len, out);
	case PF_CMDLINE: return proc_cmdline_parse(buf, len, out);
	case PF_STAT: return proc_stat_parse(buf, len, out, path, eb);
	case PF_CGROUP: return proc_cgroup_parse(buf, len, out, path, eb);
	case PF_UPTIME: return proc_uptime_parse(buf, len, out, path, eb);
	}
	return gd_fail(eb, GD_EARG, "%s: no parser", path);
}

/* ROOT/PID/FILE, or ROOT/FILE for a file of the whole system. */
static enum gd_err read_and_parse(const char *root, int pid, enum proc_file f, void *out, struct gd_errbuf *eb)
{
	struct strbuf sb;
	char path[4096];
	enum gd_err rc, prc;

	if (proc_files[f].per_pid)
		pid_path(path, sizeof(path), root, pid, proc_files[f].name);
	else
		snprintf(path, sizeof(path), "%s/%s", root, proc_files[f].name);
	strbuf_init(&sb, proc_files[f].cap);
	rc = procfs_read_file(path, proc_files[f].cap, &sb, eb);
	if (rc == GD_OK || (proc_files[f].keep_truncated && rc == GD_ETOOBIG)) {
		prc = parse_proc_file(f, sb.buf, sb.len, out, path, eb);
		if (rc == GD_OK)
			rc = prc;
	}
	strbuf_release(&sb);
	return rc;
}

/* ---- scanning -------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool procfs_scan_u64(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;

	while (p < end && is_blank(*p))
		p++;
	if (!scan_u64(&p, end, out))
		return false;
	*pp = p;
	return true;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* " N kB" (kb) or " N" to end of line; the value in bytes. */
static bool scan_value(const char *p, const char *end, bool kb, uint64_t *out)
{
	uint64_t v;

	if (!procfs_scan_u64(&p, end, &v))
		return false;
	p = skip_blanks(p, end);
	if (kb) {
		if (end - p < 2 || p[0] != 'k' || p[1] != 'B')
			return false;
		p += 2;
		if (v > UINT64_MAX / 1024)
			return false;
		v *= 1024;
	}
	p = skip_blanks(p, end);
	if (p != end)
		return false;
	*out = v;
	return true;
}

/* Walk lines; a last line without '\n' is a cut file and is not handed out. */
struct line_iter {
	const char *p, *end;
	size_t lineno;
	bool cut;
};

static void line_iter_init(struct line_iter *it, const char *buf, size_t len)
{
	it->p = buf;
	it->end = buf + len;
	it->lineno = 0;
	it->cut = false;
}

static bool line_next(struct line_iter *it, const char **ls, const char **le)
{
	const char *nl;

	if (it->p >= it->end)
		return false;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	if (!nl) {
		it->cut = true;
		it->p = it->end;
		return false;
	}
	*ls = it->p;
	*le = nl;
	it->p = nl + 1;
	it->lineno++;
	return true;
}

/* Split "Key:<blanks>value" at the first colon. */
static bool split_key(const char *ls, const char *le, const char **kend, const char **vstart)
{
	const char *c = memchr(ls, ':', (size_t)(le - ls));

	if (!c || c == ls)
		return false;
	*kend = c;
	*vstart = c + 1;
	return true;
}

static bool key_is(const char *ks, const char *ke, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(ke - ks) == n && !memcmp(ks, name, n);
}

/* Copy a field for display, cutting at outsz-1 and replacing bytes that
 * would trouble a terminal (the text comes from the target). */
static void copy_field(char *out, size_t outsz, const char *s, const char *e)
{
	size_t n = 0;

	while (s < e && n + 1 < outsz) {
		unsigned char c = (unsigned char)*s++;
		out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}

/* ---- display --------------------------------------------------------- */

void procfs_human_age(char *buf, size_t n, uint64_t s)
{
	if (s < 60)
		snprintf(buf, n, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, n, "%llum", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, n, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, n, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
}

/* ---- notes ----------------------------------------------------------- */

void proc_notes_add(struct proc_notes *n, const char *what, const char *fmt, ...)
{
	char buf[GD_ERRBUF_SIZE];
	va_list ap;

	if (n->nr >= PROC_NOTES_MAX) {
		n->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ALLOC_GROW(n->v, n->nr + 1, n->alloc);
	n->v[n->nr].what = xstrdup(what);
	n->v[n->nr].why = xstrdup(buf);
	n->nr++;
}

const struct proc_note *proc_notes_find(const struct proc_notes *n, const char *what)
{
	for (size_t i = 0; i < n->nr; i++)
		if (!strcmp(n->v[i].what, what))
			return &n->v[i];
	return NULL;
}

void proc_notes_release(struct proc_notes *n)
{
	for (size_t i = 0; i < n->nr; i++) {
		free(n->v[i].what);
		free(n->v[i].why);
	}
	free(n->v);
	n->v = NULL;
	n->nr = n->alloc = n->dropped = 0;
}

/* ---- status ---------------------------------------------------------- */

static const char *const status_keys[PST_NR] = {
	[PST_VMRSS] = "VmRSS",
	[PST_VMHWM] = "VmHWM",
	[PST_RSSANON] = "RssAnon",
	[PST_RSSFILE] = "RssFile",
	[PST_RSSSHMEM] = "RssShmem",
	[PST_VMSWAP] = "VmSwap",
	[PST_VMSIZE] = "VmSize",
	[PST_THREADS] = "Threads",
	[PST_NAME] = "Name",
	[PST_UID] = "Uid",
	[PST_PPID] = "PPid",
};

const char *proc_status_key(enum proc_status_field f)
{
	return (unsigned)f < PST_NR ? status_keys[f] : "?";
}

/* Remember the first problem; later ones are usually its echo. */
static enum gd_err first_err(enum gd_err have, enum gd_err e)
{
	return have != GD_OK ? have : e;
}

enum gd_err proc_status_parse(const char *buf, size_t len, struct proc_status *st,
			      const char *name, struct gd_errbuf *eb)
{
	struct line_iter it;
	const char *ls, *le;
	enum gd_err rc = GD_OK;

	memset(st, 0, sizeof(*st));
	line_iter_init(&it, buf, len);
	while (line_next(&it, &ls, &le)) {
		const char *ke, *vs;
		int f;

		if (!split_key(ls, le, &ke, &vs))
			continue;
		for (f = 0; f < PST_NR; f++)
			if (key_is(ls, ke, status_keys[f]))
				break;
		if (f == PST_NR)
			continue;
		if (f == PST_NAME) {
			vs = skip_blanks(vs, le);
			copy_field(st->name, sizeof(st->name), vs, le);
		} else if (f == PST_UID) {
			uint64_t r, e;
			const char *p = vs;
			if (!procfs_scan_u64(&p, le, &r) || !procfs_scan_u64(&p, le, &e) ||
			    r > UINT32_MAX || e > UINT32_MAX) {
				if (rc == GD_OK)
					gd_fail(eb, GD_EFORMAT, "%s: line %zu: bad Uid", name, it.lineno);
				rc = first_err(rc, GD_EFORMAT);
				continue;
			}
			st->uid = (uint32_t)r;
			st->euid = (uint32_t)e;
		} else if (f == PST_PPID) {
			uint64_t v;
			if (!scan_value(vs, le, false, &v) || v > INT32_MAX) {
				if (rc == GD_OK)
					gd_fail(eb, GD_EFORMAT, "%s: line %zu: bad PPid", name, it.lineno);
				rc = first_err(rc, GD_EFORMAT);
				continue;
			}
			st->ppid = (int)v;
		} else {
			uint64_t v;
			if (!scan_value(vs, le, f != PST_THREADS, &v)) {
				if (rc == GD_OK)
					gd_fail(eb, GD_EFORMAT, "%s: line %zu: bad %s value", name,
						it.lineno, status_keys[f]);
				rc = first_err(rc, GD_EFORMAT);
				continue;
			}
			st->v[f] = v;
		}
		st->known |= 1u << f;
	}
	if (it.cut && rc == GD_OK)
		rc = gd_fail(eb, GD_ETRUNCATED, "%s: ends in the middle of line %zu", name,
			     it.lineno + 1);
	if (!st->known && rc == GD_OK)
		rc = gd_fail(eb, GD_EFORMAT, "%s: no known status fields", name);
	return rc;
}

enum gd_err proc_status_read(const char *proc_root, int pid, struct proc_status *st,
			     struct gd_errbuf *eb)
{
	memset(st, 0, sizeof(*st));
	return read_and_parse(proc_root, pid, PF_STATUS, st, eb);
}

/* ---- smaps ----------------------------------------------------------- */

static const char *const smaps_keys[SM_NR] = {
	[SM_RSS] = "Rss",
	[SM_PSS] = "Pss",
	[SM_PSS_DIRTY] = "Pss_Dirty",
	[SM_PSS_ANON] = "Pss_Anon",
	[SM_PSS_FILE] = "Pss_File",
	[SM_PSS_SHMEM] = "Pss_Shmem",
	[SM_SHARED_CLEAN] = "Shared_Clean",
	[SM_SHARED_DIRTY] = "Shared_Dirty",
	[SM_PRIVATE_CLEAN] = "Private_Clean",
	[SM_PRIVATE_DIRTY] = "Private_Dirty",
	[SM_REFERENCED] = "Referenced",
	[SM_ANONYMOUS] = "Anonymous",
	[SM_KSM] = "KSM",
	[SM_LAZYFREE] = "LazyFree",
	[SM_ANON_HUGE] = "AnonHugePages",
	[SM_SHMEM_PMD] = "ShmemPmdMapped",
	[SM_FILE_PMD] = "FilePmdMapped",
	[SM_SHARED_HUGETLB] = "Shared_Hugetlb",
	[SM_PRIVATE_HUGETLB] = "Private_Hugetlb",
	[SM_SWAP] = "Swap",
	[SM_SWAP_PSS] = "SwapPss",
	[SM_LOCKED] = "Locked",
};

const char *proc_smaps_key(enum proc_smaps_field f)
{
	return (unsigned)f < SM_NR ? smaps_keys[f] : "?";
}

const char *proc_smaps_source_name(enum proc_smaps_source s)
{
	switch (s) {
	case SMAPS_ROLLUP:
		return "smaps_rollup";
	case SMAPS_SUMMED:
		return "smaps";
	default:
		return "none";
	}
}

/* A mapping header starts "start-end perms": hex, a dash, hex. */
static bool is_mapping_header(const char *ls, const char *le)
{
	const char *p = ls;
	bool dash = false;

	while (p < le && !is_blank(*p)) {
		char c = *p++;
		if (c == '-' && !dash)
			dash = true;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F')))
			return false;
	}
	return dash && p > ls + 2;
}

enum gd_err proc_smaps_parse(const char *buf, size_t len, struct proc_smaps *sm,
			     const char *name, struct gd_errbuf *eb)
{
	struct line_iter it;
	const char *ls, *le;
	enum gd_err rc = GD_OK;

	memset(sm, 0, sizeof(*sm));
	line_iter_init(&it, buf, len);
	while (line_next(&it, &ls, &le)) {
		const char *ke, *vs;
		uint64_t v;
		int f;

		if (is_mapping_header(ls, le)) {
			sm->mappings++;
			continue;
		}
		if (!split_key(ls, le, &ke, &vs))
			continue;
		/* Quick reject on the first letter keeps 64 MiB of smaps cheap. */
		for (f = 0; f < SM_NR; f++)
			if (smaps_keys[f][0] == ls[0] && key_is(ls, ke, smaps_keys[f]))
				break;
		if (f == SM_NR)
			continue;
		if (!scan_value(vs, le, true, &v) || sm->v[f] > UINT64_MAX - v) {
			if (rc == GD_OK)
				gd_fail(eb, GD_EFORMAT, "%s: line %zu: bad %s value", name,
					it.lineno, smaps_keys[f]);
			rc = first_err(rc, GD_EFORMAT);
			continue;
		}
		sm->v[f] += v;
		sm->known |= 1u << f;
	}
	if (it.cut && rc == GD_OK)
		rc = gd_fail(eb, GD_ETRUNCATED, "%s: ends in the middle of line %zu", name,
			     it.lineno + 1);
	if (!(sm->known & (1u << SM_RSS)) && rc == GD_OK)
		rc = gd_fail(eb, GD_EFORMAT, "%s: no Rss line", name);
	return rc;
}

enum gd_err proc_smaps_read(const char *proc_root, int pid, struct proc_smaps *sm,
			    struct gd_errbuf *eb)
{
	struct strbuf sb;
	char path[4096];
	enum gd_err rc;
	struct gd_errbuf eb2;

	memset(sm, 0, sizeof(*sm));
	strbuf_init(&sb, PROCFS_SMAPS_CAP);
	rc = read_pid_file(proc_root, pid, "smaps_rollup", PROCFS_FILE_CAP, &sb, path,
			   sizeof(path), eb);
	if (rc == GD_OK) {
		rc = proc_smaps_parse(sb.buf, sb.len, sm, path, eb);
		sm->source = SMAPS_ROLLUP;
		strbuf_release(&sb);
		return rc;
	}
	if (rc != GD_ENOENT) {
		strbuf_release(&sb);
		return rc;
	}
	/* No rollup (Linux < 4.14, or a recorded tree without one). */
	rc = read_pid_file(proc_root, pid, "smaps", PROCFS_SMAPS_CAP, &sb, path, sizeof(path),
			   &eb2);
	if (rc == GD_ENOENT) {
		/* Both absent: say so about the rollup, the file we wanted. */
		strbuf_release(&sb);
		return GD_ENOENT;
	}
	if (rc != GD_OK && rc != GD_ETOOBIG) {
		if (eb)
			*eb = eb2;
		strbuf_release(&sb);
		return rc;
	}
	{
		enum gd_err prc = proc_smaps_parse(sb.buf, sb.len, sm, path, eb);
		sm->source = SMAPS_SUMMED;
		if (rc == GD_ETOOBIG) {
			/* The cut lands mid-line; what came before is a true sum of
			 * the first mappings, which is still worth showing. */
			rc = gd_fail(eb, GD_ETRUNCATED, "%s: over %zu bytes; summed the first %llu mappings only",
				     path, (size_t)PROCFS_SMAPS_CAP, (unsigned long long)sm->mappings);
		} else {
			rc = prc;
		}
	}
	strbuf_release(&sb);
	return rc;
}

/* ---- environ --------------------------------------------------------- */

static const char *const env_names[PENV_NR] = {
	[PENV_GODEBUG] = "GODEBUG",
	[PENV_GOGC] = "GOGC",
	[PENV_GOMEMLIMIT] = "GOMEMLIMIT",
	[PENV_GOTRACEBACK] = "GOTRACEBACK",
	[PENV_GOMAXPROCS] = "GOMAXPROCS",
};

const char *proc_env_name(enum proc_env_var v)
{
	return (unsigned)v < PENV_NR ? env_names[v] : "?";
}

enum gd_err proc_environ_parse(const char *buf, size_t len, struct proc_environ *env)
{
	const char *p = buf, *end = buf + len;

	proc_environ_release(env);
	env->read = true;
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;
		const char *eq = memchr(p, '=', (size_t)(e - p));

		if (e > p)
			env->count++;
		if (eq) {
			for (int v = 0; v < PENV_NR; v++) {
				if (!key_is(p, eq, env_names[v]) || env->val[v])
					continue;
				size_t n = (size_t)(e - eq - 1);
				if (n > PROC_ENV_VALUE_MAX)
					n = PROC_ENV_VALUE_MAX;
				env->val[v] = xstrndup(eq + 1, n);
				env->known |= 1u << v;
				break;
			}
		}
		p = e + 1;
	}
	return GD_OK;
}

enum gd_err proc_environ_read(const char *proc_root, int pid, struct proc_environ *env,
			      struct gd_errbuf *eb)
{
	proc_environ_release(env);
	return read_and_parse(proc_root, pid, PF_ENVIRON, env, eb);
}

void proc_environ_release(struct proc_environ *env)
{
	for (int v = 0; v < PENV_NR; v++)
		free(env->val[v]);
	memset(env, 0, sizeof(*env));
}

/* ---- cmdline --------------------------------------------------------- */

enum gd_err proc_cmdline_parse(const char *buf, size_t len, struct proc_cmdline *cl)
{
	const char *p = buf, *end = buf + len;
	size_t alloc = 0;

	proc_cmdline_release(cl);
	while (p < end) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		const char *e = z ? z : end;

		if (cl->argc >= PROC_CMDLINE_ARGS_MAX) {
			cl->truncated = true;
			break;
		}
		ALLOC_GROW(cl->argv, cl->argc + 1, alloc);
		cl->argv[cl->argc++] = xstrndup(p, (size_t)(e - p));
		p = e + 1;
	}
	return GD_OK;
}

enum gd_err proc_cmdline_read(const char *proc_root, int pid, struct proc_cmdline *cl,
			      struct gd_errbuf *eb)
{
	enum gd_err rc;

	proc_cmdline_release(cl);
	rc = read_and_parse(proc_root, pid, PF_CMDLINE, cl, eb);
	if (rc == GD_ETOOBIG)
		cl->truncated = true;
	return rc;
}

void proc_cmdline_join(const struct proc_cmdline *cl, struct strbuf *sb)
{
	for (size_t i = 0; i < cl->argc; i++) {
		size_t n = strlen(cl->argv[i]);
		if (i && strbuf_addch(sb, ' ') != GD_OK)
			return;
		/* Cut the last word at the cap rather than dropping it. */
		if (n > sb->max - sb->len)
			n = sb->max - sb->len;
		if (strbuf_add(sb, cl->argv[i], n) != GD_OK || n < strlen(cl->argv[i]))
			return;
	}
}

void proc_cmdline_release(struct proc_cmdline *cl)
{
	for (size_t i = 0; i < cl->argc; i++)
		free(cl->argv[i]);
	free(cl->argv);
	memset(cl, 0, sizeof(*cl));
}

/* ---- stat and uptime ------------------------------------------------- */

enum gd_err proc_stat_parse(const char *buf, size_t len, struct proc_stat *ps,
			    const char *name, struct gd_errbuf *eb)
{
	const char *end = buf + len, *lp, *rp = NULL, *p;
	uint64_t v;

	memset(ps, 0, sizeof(*ps));
	lp = memchr(buf, '(', len);
	/* comm may itself hold ')' and spaces: the last ')' closes it. */
	for (p = buf + len; p > buf; p--)
		if (p[-1] == ')') {
			rp = p - 1;
			break;
		}
	if (!lp || !rp || rp < lp)
		return gd_fail(eb, GD_EFORMAT, "%s: no (comm) field", name);
	copy_field(ps->comm, sizeof(ps->comm), lp + 1, rp);
	p = skip_blanks(rp + 1, end);
	if (p >= end || *p < 'A' || *p > 'z')
		return gd_fail(eb, GD_EFORMAT, "%s: no state field", name);
	ps->state = *p++;
	/* Fields 4 (ppid) to 22 (starttime); field 3 was the state. */
	for (int field = 4; field <= 22; field++) {
		const char *q = skip_blanks(p, end);
		bool neg = q < end && *q == '-';
		if (neg)
			q++;
		if (!procfs_scan_u64(&q, end, &v))
			return gd_fail(eb, field == 4 ? GD_EFORMAT : GD_ETRUNCATED,
				       "%s: field %d missing or not a number", name, field);
		if (q < end && !is_blank(*q) && *q != '\n')
			return gd_fail(eb, GD_EFORMAT, "%s: field %d not a number", name, field);
		p = q;
		if (field == 4)
			ps->ppid = (neg || v > INT32_MAX) ? -1 : (int)v;
		else if (field == 20)
			ps->num_threads = v;
		else if (field == 22)
			ps->starttime = v;
	}
	return GD_OK;
}

enum gd_err proc_stat_read(const char *proc_root, int pid, struct proc_stat *ps,
			   struct gd_errbuf *eb)
{
	memset(ps, 0, sizeof(*ps));
	return read_and_parse(proc_root, pid, PF_STAT, ps, eb);
}

enum gd_err proc_uptime_parse(const char *buf, size_t len, uint64_t *ms, const char *name,
			      struct gd_errbuf *eb)
{
	const char *p = buf, *end = buf + len;
	uint64_t secs, frac = 0, scale = 1000;

	if (!procfs_scan_u64(&p, end, &secs) || secs > UINT64_MAX / 1000)
		return gd_fail(eb, GD_EFORMAT, "%s: no uptime seconds", name);
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p >= '0' && *p <= '9') {
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
			p++;
		}
	}
	if (p < end && !is_blank(*p) && *p != '\n')
		return gd_fail(eb, GD_EFORMAT, "%s: bad uptime", name);
	*ms = secs * 1000 + frac;
	return GD_OK;
}

enum gd_err proc_uptime_read(const char *proc_root, uint64_t *ms, struct gd_errbuf *eb)
{
	return read_and_parse(proc_root, 0, PF_UPTIME, ms, eb);
}

uint64_t proc_age_seconds(uint64_t starttime_ticks, uint64_t uptime_ms, long clk_tck)
{
	uint64_t start_ms;

	if (clk_tck <= 0)
		clk_tck = 100;
	if (starttime_ticks > UINT64_MAX / 1000)
		return 0;
	start_ms = starttime_ticks * 1000 / (uint64_t)clk_tck;
	return start_ms >= uptime_ms ? 0 : (uptime_ms - start_ms) / 1000;
}

/* ---- cgroup ---------------------------------------------------------- */

static const char *const cg_keys[CG_NR] = {
	[CG_CURRENT] = "current",
	[CG_MAX] = "max",
	[CG_ANON] = "anon",
	[CG_FILE] = "file",
	[CG_SHMEM] = "shmem",
	[CG_KERNEL_STACK] = "kernel_stack",
	[CG_SLAB] = "slab",
	[CG_SOCK] = "sock",
	[CG_ANON_THP] = "anon_thp",
	[CG_INACTIVE_FILE] = "inactive_file",
	[CG_ACTIVE_FILE] = "active_file",
};

const char *proc_cg_key(enum proc_cg_field f)
{
	return (unsigned)f < CG_NR ? cg_keys[f] : "?";
}

/* Only plain relative components: a recorded cgroup file must not lead the
 * reader outside the sys root. */
static bool cg_path_ok(const char *s, const char *e)
{
	if (s >= e || *s != '/')
		return false;
	for (const char *p = s; p < e; p++) {
		if (*p == '\0')
			return false;
		if (*p == '.' && p[-1] == '/' && (p + 1 == e || p[1] == '/' ||
						   (p[1] == '.' && (p + 2 == e || p[2] == '/'))))
			return false;
	}
	return true;
}

static bool list_has(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	while (s < e) {
		const char *c = memchr(s, ',', (size_t)(e - s));
		const char *we = c ? c : e;
		if ((size_t)(we - s) == n && !memcmp(s, word, n))
			return true;
		s = we + 1;
	}
	return false;
}

enum gd_err proc_cgroup_parse(const char *buf, size_t len, struct proc_cgroup *cg,
			      const char *name, struct gd_errbuf *eb)
{
	struct line_iter it;
	const char *ls, *le;

	cg->version = 0;
	cg->has_v1 = cg->has_v2 = false;
	cg->path[0] = cg->v1_path[0] = '\0';
	line_iter_init(&it, buf, len);
	while (line_next(&it, &ls, &le)) {
		const char *c1 = memchr(ls, ':', (size_t)(le - ls)), *c2;
		bool v2;
		char *dst;

		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', (size_t)(le - c1 - 1));
		if (!c2)
			continue;
		v2 = c1 - ls == 1 && ls[0] == '0' && c2 == c1 + 1;
		if (!v2 && !list_has(c1 + 1, c2, "memory"))
			continue;
		if ((v2 && cg->has_v2) || (!v2 && cg->has_v1))
			continue;
		if (!cg_path_ok(c2 + 1, le) || (size_t)(le - c2 - 1) >= sizeof(cg->path))
			return gd_fail(eb, GD_EFORMAT, "%s: line %zu: unusable cgroup path",
				       name, it.lineno);
		dst = v2 ? cg->path : cg->v1_path;
		memcpy(dst, c2 + 1, (size_t)(le - c2 - 1));
		dst[le - c2 - 1] = '\0';
		if (v2)
			cg->has_v2 = true;
		else
			cg->has_v1 = true;
	}
	if (!cg->has_v1 && !cg->has_v2)
		return gd_fail(eb, GD_ENOENT, "%s: no cgroup v2 or memory controller line", name);
	return GD_OK;
}

enum gd_err proc_cg_stat_parse(const char *buf, size_t len, int version, struct proc_cgroup *cg)
{
	/* v1 keeps per-cgroup and hierarchical (total_) counters; the totals
	 * match what v2 reports, so they win when present. */
	static const struct {
		const char *v2, *v1, *v1_total;
		enum proc_cg_field f;
	} map[] = {
		{ "anon", "rss", "total_rss", CG_ANON },
		{ "file", "cache", "total_cache", CG_FILE },
		{ "shmem", "shmem", "total_shmem", CG_SHMEM },
		{ "kernel_stack", NULL, NULL, CG_KERNEL_STACK },
		{ "slab", NULL, NULL, CG_SLAB },
		{ "sock", NULL, NULL, CG_SOCK },
		{ "anon_thp", "rss_huge", "total_rss_huge", CG_ANON_THP },
		{ "inactive_file", "inactive_file", "total_inactive_file", CG_INACTIVE_FILE },
		{ "active_file", "active_file", "total_active_file", CG_ACTIVE_FILE },
	};
	struct line_iter it;
	const char *ls, *le;
	uint32_t from_total = 0;

	line_iter_init(&it, buf, len);
	while (line_next(&it, &ls, &le)) {
		const char *sp = ls;
		uint64_t v;

		while (sp < le && !is_blank(*sp))
			sp++;
		if (sp == le || !scan_value(sp, le, false, &v))
			continue;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			enum proc_cg_field f = map[i].f;
			if (version == 2) {
				if (!key_is(ls, sp, map[i].v2))
					continue;
			} else if (map[i].v1_total && key_is(ls, sp, map[i].v1_total)) {
				from_total |= 1u << f;
			} else if (!map[i].v1 || !key_is(ls, sp, map[i].v1) ||
				   (from_total & (1u << f))) {
				continue;
			}
			cg->v[f] = v;
			cg->known |= 1u << f;
			break;
		}
	}
	return GD_OK;
}

/* Read one small number file: "123\n", or "max\n" for a v2 limit. */
static enum gd_err cg_read_number(const char *path, uint64_t *v, bool *is_max,
				  struct gd_errbuf *eb)
{
	struct strbuf sb;
	enum gd_err rc;

	*is_max = false;
	strbuf_init(&sb, 4096);
	rc = procfs_read_file(path, 4096, &sb, eb);
	if (rc == GD_OK) {
		const char *p = sb.buf, *end = sb.buf + sb.len;
		while (end > p && (end[-1] == '\n' || is_blank(end[-1])))
			end--;
		if (end - p == 3 && !memcmp(p, "max", 3))
			*is_max = true;
		else if (!scan_value(p, end, false, v))
			rc = gd_fail(eb, GD_EFORMAT, "%s: not a number", path);
	}
	strbuf_release(&sb);
	return rc;
}

/* A cgroup file that could not be read: a note, and the first one's
 * message and code for the caller. */
static void cg_problem(struct proc_notes *notes, struct gd_errbuf *eb, enum gd_err *rc,
		       enum gd_err r, const struct gd_errbuf *msg)
{
	if (notes)
		proc_notes_add(notes, "cgroup", "%s", msg->msg);
	if (*rc == GD_OK) {
		*rc = r;
		if (eb)
			*eb = *msg;
	}
}

enum gd_err proc_cgroup_read(const char *proc_root, const char *sys_root, int pid,
			     struct proc_cgroup *cg, struct proc_notes *notes,
			     struct gd_errbuf *eb)
{
	struct strbuf sb;
	char path[4096 + PROC_CG_PATH_MAX];
	enum gd_err rc, r;
	const char *f_cur, *f_max;
	bool is_max;
	uint64_t v;
	struct gd_errbuf e1;

	memset(cg, 0, sizeof(*cg));
	rc = read_and_parse(proc_root, pid, PF_CGROUP, cg, eb);
	if (rc != GD_OK)
		return rc;
	strbuf_init(&sb, PROCFS_FILE_CAP);
	if (cg->has_v2) {
		/* Pure v2 mounts at fs/cgroup; hybrid hosts at fs/cgroup/unified. */
		static const char *const mounts[] = { "", "/unified" };
		for (size_t i = 0; i < 2 && !cg->version; i++) {
			char cand[sizeof(cg->dir)];
			snprintf(cand, sizeof(cand), "%s/fs/cgroup%s%s", sys_root, mounts[i], cg->path);
			snprintf(path, sizeof(path), "%s/memory.current", cand);
			if (access(path, F_OK) == 0) {
				memcpy(cg->dir, cand, sizeof(cand));
				cg->version = 2;
			}
		}
	}
	if (!cg->version && cg->has_v1) {
		snprintf(cg->dir, sizeof(cg->dir), "%s/fs/cgroup/memory%s", sys_root, cg->v1_path);
		cg->version = 1;
	}
	if (!cg->version) {
		/* v2 only, and its memory files are not there (controller not
		 * enabled, or /sys not mounted in our namespace). */
		snprintf(cg->dir, sizeof(cg->dir), "%s/fs/cgroup%s", sys_root, cg->path);
		strbuf_release(&sb);
		return gd_fail(eb, GD_ENOENT, "%s/memory.current: no such file", cg->dir);
	}
	if (cg->version == 2) {
		f_cur = "memory.current";
		f_max = "memory.max";
	} else {
		f_cur = "memory.usage_in_bytes";
		f_max = "memory.limit_in_bytes";
	}
	rc = GD_OK;
	snprintf(path, sizeof(path), "%s/%s", cg->dir, f_cur);
	r = cg_read_number(path, &v, &is_max, &e1);
	if (r == GD_OK && is_max)
		r = gd_fail(&e1, GD_EFORMAT, "%s: not a number", path);
	if (r == GD_OK) {
		cg->v[CG_CURRENT] = v;
		cg->known |= 1u << CG_CURRENT;
	} else {
		cg_problem(notes, eb, &rc, r, &e1);
	}
	snprintf(path, sizeof(path), "%s/%s", cg->dir, f_max);
	r = cg_read_number(path, &v, &is_max, &e1);
	if (r == GD_OK) {
		/* v1 spells "no limit" as a page-rounded LONG_MAX. */
		if (is_max || v >= ((uint64_t)1 << 62))
			cg->unlimited = true;
		else
			cg->v[CG_MAX] = v;
		cg->known |= 1u << CG_MAX;
	} else {
		cg_problem(notes, eb, &rc, r, &e1);
	}
	snprintf(path, sizeof(path), "%s/memory.stat", cg->dir);
	r = procfs_read_file(path, PROCFS_FILE_CAP, &sb, &e1);
	if (r == GD_OK)
		proc_cg_stat_parse(sb.buf, sb.len, cg->version, cg);
	else
		cg_problem(notes, eb, &rc, r, &e1);
	strbuf_release(&sb);
	return rc;
}

/* ---- THP and kernel -------------------------------------------------- */

enum gd_err sys_thp_selected(const char *buf, size_t len, char *out, size_t outsz)
{
	const char *lb = memchr(buf, '[', len), *rb;

	if (!lb)
		return GD_EFORMAT;
	rb = memchr(lb, ']', len - (size_t)(lb - buf));
	if (!rb || rb == lb + 1 || (size_t)(rb - lb - 1) >= outsz)
		return GD_EFORMAT;
	copy_field(out, outsz, lb + 1, rb);
	return GD_OK;
}

enum gd_err sys_thp_read(const char *sys_root, struct sys_thp *thp, struct proc_notes *notes,
			 struct gd_errbuf *eb)
{
	static const char *const files[] = { "enabled", "defrag", "khugepaged/max_ptes_none" };
	struct strbuf sb;
	char path[4096];
	int ok = 0;
	enum gd_err last = GD_OK;

	memset(thp, 0, sizeof(*thp));
	strbuf_init(&sb, 4096);
	for (int i = 0; i < 3; i++) {
		struct gd_errbuf e1;
		enum gd_err r;

		snprintf(path, sizeof(path), "%s/kernel/mm/transparent_hugepage/%s", sys_root, files[i]);
		r = procfs_read_file(path, 4096, &sb, &e1);
		if (r == GD_OK) {
			if (i == 0)
				r = sys_thp_selected(sb.buf, sb.len, thp->enabled, sizeof(thp->enabled));
			else if (i == 1)
				r = sys_thp_selected(sb.buf, sb.len, thp->defrag, sizeof(thp->defrag));
			else {
				const char *end = sb.buf + sb.len;
				while (end > sb.buf && end[-1] == '\n')
					end--;
				r = scan_value(sb.buf, end, false, &thp->max_ptes_none) ? GD_OK : GD_EFORMAT;
			}
			if (r != GD_OK)
				gd_fail(&e1, r, "%s: unrecognised contents", path);
		}
		if (r == GD_OK) {
			ok++;
			if (i == 0)
				thp->enabled_known = true;
			else if (i == 1)
				thp->defrag_known = true;
			else
				thp->max_ptes_none_known = true;
		} else {
			last = r;
			if (notes)
				proc_notes_add(notes, "thp", "%s", e1.msg);
			if (eb)
				*eb = e1;
		}
	}
	strbuf_release(&sb);
	return ok ? GD_OK : last;
}

enum gd_err proc_kernel_release(const char *proc_root, char *out, size_t outsz,
				struct gd_errbuf *eb)
{
	struct strbuf sb;
	char path[4096];
	enum gd_err rc;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/sys/kernel/osrelease", proc_root);
	strbuf_init(&sb, 4096);
	rc = procfs_read_file(path, 4096, &sb, eb);
	if (rc == GD_OK) {
		const char *e = memchr(sb.buf, '\n', sb.len);
		if (!e)
			e = sb.buf + sb.len;
		if (e == sb.buf)
			rc = gd_fail(eb, GD_EFORMAT, "%s: empty", path);
		else
			copy_field(out, outsz, sb.buf, e);
	}
	strbuf_release(&sb);
	return rc;
}

/* ---- procinfo -------------------------------------------------------- */

void procinfo_init(struct procinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
}

void procinfo_release(struct procinfo *pi)
{
	proc_environ_release(&pi->env);
	proc_cmdline_release(&pi->cmdline);
	proc_notes_release(&pi->notes);
	memset(pi, 0, sizeof(*pi));
}

bool procinfo_partial(const struct procinfo *pi)
{
	return (pi->have & pi->want) != pi->want;
}

enum gd_err procinfo_read(struct procinfo *pi, const struct procfs_roots *roots, int pid,
			  unsigned want, struct gd_errbuf *eb)
{
	const char *proc = roots && roots->proc ? roots->proc : PROCFS_ROOT_DEFAULT;
	const char *sys = roots && roots->sys ? roots->sys : SYSFS_ROOT_DEFAULT;
	struct gd_errbuf e1;
	char path[4096];
	struct stat st;
	enum gd_err r;

	procinfo_release(pi);
	pi->pid = pid;
	pi->want = want;
	snprintf(path, sizeof(path), "%s/%d", proc, pid);
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return gd_fail(eb, GD_ENOENT, "%s: no such process", path);

	if (want & PI_STATUS) {
		r = proc_status_read(proc, pid, &pi->status, &e1);
		if (r == GD_OK)
			pi->have |= PI_STATUS;
		else
			proc_notes_add(&pi->notes, "status", "%s", e1.msg);
		/* The process left between the stat and the read. */
		if (r == GD_ENOENT && stat(path, &st) != 0)
			return gd_fail(eb, GD_ENOENT, "%s: process exited", path);
	}
	if (want & PI_SMAPS) {
		r = proc_smaps_read(proc, pid, &pi->smaps, &e1);
		if (r == GD_OK)
			pi->have |= PI_SMAPS;
		else if (r == GD_ENOENT)
			proc_notes_add(&pi->notes, "smaps", "%s/%d: neither smaps_rollup nor smaps exists",
				       proc, pid);
		else
			proc_notes_add(&pi->notes, "smaps", "%s", e1.msg);
	}
	if (want & PI_ENVIRON) {
		r = proc_environ_read(proc, pid, &pi->env, &e1);
		if (r == GD_OK)
			pi->have |= PI_ENVIRON;
		else
			proc_notes_add(&pi->notes, "environ", "%s", e1.msg);
	}
	if (want & PI_CMDLINE) {
		r = proc_cmdline_read(proc, pid, &pi->cmdline, &e1);
		if (r == GD_OK)
			pi->have |= PI_CMDLINE;
		else
			proc_notes_add(&pi->notes, "cmdline", "%s", e1.msg);
	}
	if (want & PI_STAT) {
		uint64_t up_ms;
		r = proc_stat_read(proc, pid, &pi->stat, &e1);
		if (r == GD_OK)
			r = proc_uptime_read(proc, &up_ms, &e1);
		if (r == GD_OK) {
			pi->age_seconds = proc_age_seconds(pi->stat.starttime, up_ms,
							   sysconf(_SC_CLK_TCK));
			pi->age_known = true;
			pi->have |= PI_STAT;
		} else {
			proc_notes_add(&pi->notes, "stat", "%s", e1.msg);
		}
	}
	if (want & PI_CGROUP) {
		size_t before = pi->notes.nr;
		r = proc_cgroup_read(proc, sys, pid, &pi->cgroup, &pi->notes, &e1);
		if (r == GD_OK)
			pi->have |= PI_CGROUP;
		else if (pi->notes.nr == before)
			proc_notes_add(&pi->notes, "cgroup", "%s", e1.msg);
	}
	if (want & PI_THP) {
		size_t before = pi->notes.nr;
		r = sys_thp_read(sys, &pi->thp, &pi->notes, &e1);
		if (r == GD_OK && pi->notes.nr == before)
			pi->have |= PI_THP;
	}
	if (want & PI_KERNEL) {
		r = proc_kernel_release(proc, pi->kernel_release, sizeof(pi->kernel_release), &e1);
		if (r == GD_OK)
			pi->have |= PI_KERNEL;
		else
			proc_notes_add(&pi->notes, "kernel", "%s", e1.msg);
	}
	return GD_OK;
}

enum gd_err proc_fd_count(const char *proc_root, int pid, size_t *n, struct gd_errbuf *eb)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	snprintf(path, sizeof(path), "%s/%d/fd", proc_root ? proc_root : PROCFS_ROOT_DEFAULT, pid);
	*n = 0;
	d = opendir(path);
	if (!d) {
		int e = errno;
		return gd_fail(eb, e == ENOENT || e == ESRCH ? GD_ENOENT : e == EACCES || e == EPERM ? GD_EPERM : GD_EIO,
			       "%s: %s", path, strerror(e));
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			(*n)++;
	closedir(d);
	return GD_OK;
}
