/* SPDX-License-Identifier: MIT */
/* Memory of a live process (process_vm_readv, /proc/PID/mem) or a replay of
 * one; see procmem.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "linux/procfs.h"
#include "linux/procmem.h"
#include "util/readfile.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define PAGE 4096u
#define MAX_CACHE_PAGES 32768u   /* 128 MiB of immutable pages at most */
#define MAX_FACTS 256
#define REPLAY_MAGIC "GODIAG-CENSUS-RECORDING 1\n"

struct rec {
	uint64_t addr;
	uint64_t len;
	uint64_t off;  /* into data */
	int ok;
};

struct cpage {
	uint64_t addr;   /* page address + 1; 0 = empty slot */
	unsigned char *bytes;
};

struct procmem {
	pid_t pid;
	int memfd;             /* /proc/PID/mem, opened on first need */
	int use_vmreadv;
	int replay;
	int recording;
	/* recording or replay */
	struct rec *recs;
	size_t nrecs, arecs, cursor;
	struct strbuf data;
	char *fkeys[MAX_FACTS], *fvals[MAX_FACTS];
	size_t nfacts;
	/* immutable ranges and their page cache */
	uint64_t (*imm)[2];
	size_t nimm, aimm;
	struct cpage *pages;
	size_t npages, apages; /* apages is a power of two */
	uint64_t calls, bytes;
};

static struct procmem *pm_new(void)
{
	struct procmem *m = xcalloc(1, sizeof(*m));
	m->memfd = -1;
	strbuf_init(&m->data, PROCMEM_REPLAY_CAP);
	return m;
}

void procmem_free(struct procmem *m)
{
	if (!m)
		return;
	if (m->memfd >= 0)
		close(m->memfd);
	free(m->recs);
	strbuf_release(&m->data);
	for (size_t i = 0; i < m->nfacts; i++) {
		free(m->fkeys[i]);
		free(m->fvals[i]);
	}
	free(m->imm);
	for (size_t i = 0; i < m->apages; i++)
		free(m->pages[i].bytes);
	free(m->pages);
	free(m);
}

/* The first cap - 1 bytes of a /proc file, NUL-terminated: what these
 * checks look for is near the start. */
static int read_small_file(const char *path, char *buf, size_t cap)
{
	struct strbuf sb = STRBUF_INIT_MAX(cap - 1);
	enum gd_err e = read_file_capped(path, cap - 1, &sb, NULL);

	if (e != GD_OK && e != GD_ETOOBIG) {
		strbuf_release(&sb);
		return -1;
	}
	memcpy(buf, sb.buf, sb.len);
	buf[sb.len] = 0;
	strbuf_release(&sb);
	return 0;
}

static long status_uid(pid_t pid)
{
	struct proc_status st;
	/* a damaged line elsewhere still leaves the Uid line's fields */
	proc_status_read(PROCFS_ROOT_DEFAULT, (int)pid, &st, NULL);
	/* real, effective, saved, fs: the effective uid is what counts */
	return st.known & (1u << PST_UID) ? (long)st.euid : -1;
}

static int have_cap_sys_ptrace(void)
{
	char buf[4096];
	if (read_small_file("/proc/self/status", buf, sizeof(buf)))
		return 0;
	const char *p = strstr(buf, "\nCapEff:");
	if (!p)
		return 0;
	unsigned long long caps = strtoull(p + 8, NULL, 16);
	return (caps >> 19) & 1; /* CAP_SYS_PTRACE */
}

void procmem_explain_eperm(pid_t pid, char *buf, size_t cap)
{
	char y[32] = "";
	int scope = -1;
	if (!read_small_file("/proc/sys/kernel/yama/ptrace_scope", y, sizeof(y)))
		scope = (int)strtol(y, NULL, 10);
	long tuid = status_uid(pid);
	int capok = have_cap_sys_ptrace();
	uid_t me = geteuid();
	if (capok && scope != 3) {
		snprintf(buf, cap, "the kernel refused although CAP_SYS_PTRACE is held "
			 "(a seccomp profile blocking process_vm_readv, or an LSM); "
			 "allow process_vm_readv in the container's seccomp profile");
		return;
	}
	if (scope == 3) {
		snprintf(buf, cap, "Yama ptrace_scope is 3: no process may read another's memory "
			 "until reboot");
	} else if (tuid >= 0 && (uid_t)tuid != me) {
		snprintf(buf, cap, "process %d runs as uid %ld and godiag as uid %u without "
			 "CAP_SYS_PTRACE; run godiag as uid %ld or as root (in a container: "
			 "--cap-add SYS_PTRACE)", (int)pid, tuid, (unsigned)me, tuid);
	} else if (scope == 2) {
		snprintf(buf, cap, "Yama ptrace_scope is 2 (admin only) and godiag lacks "
			 "CAP_SYS_PTRACE; run it as root or grant CAP_SYS_PTRACE "
			 "(setcap cap_sys_ptrace+ep, or --cap-add SYS_PTRACE)");
	} else if (scope == 1) {
		snprintf(buf, cap, "Yama ptrace_scope is 1 (only a parent may read its "
			 "children's memory) and godiag lacks CAP_SYS_PTRACE; run it as root, "
			 "grant CAP_SYS_PTRACE, or set kernel.yama.ptrace_scope=0");
	} else {
		snprintf(buf, cap, "no CAP_SYS_PTRACE (in a container: --cap-add SYS_PTRACE, "
			 "and a seccomp profile that allows process_vm_readv)");
	}
}

enum gd_err procmem_open_pid(struct procmem **out, pid_t pid, struct gd_errbuf *eb)
{
	*out = NULL;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK) != 0)
		return gd_fail(eb, GD_ENOENT, "process %d: no such process", (int)pid);
	struct procmem *m = pm_new();
	m->pid = pid;
	m->use_vmreadv = 1;
	/* Probe with a read of our own choosing: the auxv-free way is the
	 * vsyscall-free first page of the stack is unknown, so read 1 byte at
	 * address 0, which fails with EFAULT when allowed and EPERM when not. */
	char c;
	struct iovec l = { &c, 1 }, r = { (void *)0, 1 };
	ssize_t n = syscall(SYS_process_vm_readv, pid, &l, 1UL, &r, 1UL, 0UL);
	int e = errno;
	if (n < 0 && (e == ENOSYS || (e == EPERM && access("/proc/self", F_OK) == 0))) {
		/* seccomp may return EPERM or ENOSYS for the syscall alone: try
		 * /proc/PID/mem, which is checked once at open. */
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		m->memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (m->memfd < 0) {
			int e2 = errno;
			char why[400];
			procmem_explain_eperm(pid, why, sizeof(why));
			procmem_free(m);
			if (e2 == ENOENT || e2 == ESRCH)
				return gd_fail(eb, GD_ENOENT, "process %d: exited", (int)pid);
			return gd_fail(eb, GD_EPERM, "process %d: cannot read its memory: %s",
				       (int)pid, why);
		}
		m->use_vmreadv = 0;
	} else if (n < 0 && e == ESRCH) {
		procmem_free(m);
		return gd_fail(eb, GD_ENOENT, "process %d: exited", (int)pid);
	}
	*out = m;
	return GD_OK;
}

static void rec_add(struct procmem *m, uint64_t addr, const void *buf, size_t len, int ok)
{
	ALLOC_GROW(m->recs, m->nrecs + 1, m->arecs);
	struct rec *r = &m->recs[m->nrecs];
	r->addr = addr;
	r->len = len;
	r->ok = ok;
	r->off = m->data.len;
	if (ok && strbuf_add(&m->data, buf, len) != GD_OK) {
		/* over the cap: stop recording rather than save a hole */
		m->recording = 0;
		return;
	}
	m->nrecs++;
}

/* Replay: the next record for exactly this range, searched from the cursor
 * (the census repeats its reads in the same order), then from the start. */
static struct rec *rec_find(struct procmem *m, uint64_t addr, size_t len)
{
	for (size_t pass = 0; pass < 2; pass++) {
		size_t from = pass ? 0 : m->cursor, to = pass ? m->cursor : m->nrecs;
		for (size_t i = from; i < to; i++) {
			struct rec *r = &m->recs[i];
			if (r->addr == addr && r->len == len) {
				m->cursor = i + 1;
				return r;
			}
		}
	}
	/* a sub-range of a successful record */
	for (size_t i = 0; i < m->nrecs; i++) {
		struct rec *r = &m->recs[i];
		if (r->ok && addr >= r->addr && addr - r->addr <= r->len &&
		    len <= r->len - (addr - r->addr))
			return r;
	}
	return NULL;
}

static enum gd_err raw_readv(struct procmem *m, struct procmem_iov *iov, size_t n)
{
	if (m->replay) {
		for (size_t i = 0; i < n; i++) {
			struct rec *r = rec_find(m, iov[i].addr, iov[i].len);
			m->calls++;
			iov[i].ok = 0;
			if (r && r->ok) {
				memcpy(iov[i].buf, m->data.buf + r->off + (iov[i].addr - r->addr), iov[i].len);
				iov[i].ok = 1;
			}
		}
		return GD_OK;
	}
	size_t done = 0;
	while (done < n) {
		size_t k = n - done;
		if (k > IOV_MAX)
			k = IOV_MAX;
		if (m->use_vmreadv) {
			struct iovec l[IOV_MAX], r[IOV_MAX];
			for (size_t i = 0; i < k; i++) {
				l[i].iov_base = iov[done + i].buf;
				l[i].iov_len = iov[done + i].len;
				r[i].iov_base = (void *)(uintptr_t)iov[done + i].addr;
				r[i].iov_len = iov[done + i].len;
				iov[done + i].ok = 0;
			}
			ssize_t got = syscall(SYS_process_vm_readv, m->pid, l, (unsigned long)k, r,
					      (unsigned long)k, 0UL);
			m->calls++;
			if (got < 0) {
				if (errno == ESRCH)
					return GD_ENOENT;
				if (errno == EPERM)
					return GD_EPERM;
				if (errno == ENOMEM)
					return GD_ENOMEM;
				got = 0; /* EFAULT on the first range: it alone failed */
			}
			m->bytes += (uint64_t)got;
			/* process_vm_readv stops at the first range it cannot
			 * read entirely; mark the complete ones, skip the broken
			 * one and continue after it. */
			size_t i = 0;
			size_t left = (size_t)got;
			while (i < k && left >= iov[done + i].len) {
				iov[done + i].ok = 1;
				left -= iov[done + i].len;
				i++;
			}
			done += i < k ? i + 1 : k;
		} else {
			for (size_t i = 0; i < k; i++) {
				struct procmem_iov *v = &iov[done + i];
				ssize_t got = pread(m->memfd, v->buf, v->len, (off_t)v->addr);
				m->calls++;
				v->ok = got == (ssize_t)v->len;
				if (got > 0)
					m->bytes += (uint64_t)got;
				if (got < 0 && errno == ESRCH)
					return GD_ENOENT;
			}
			done += k;
		}
	}
	if (m->recording)
		for (size_t i = 0; i < n; i++)
			rec_add(m, iov[i].addr, iov[i].buf, iov[i].len, iov[i].ok);
	/* a process that exited leaves no /proc entry: tell it apart from a
	 * bad address */
	if (!m->replay) {
		int any = 0;
		for (size_t i = 0; i < n; i++)
			any |= iov[i].ok;
		if (!any && n && procmem_target_gone(m))
			return GD_ENOENT;
	}
	return GD_OK;
}

int procmem_target_gone(const struct procmem *m)
{
	if (m->replay)
		return 0;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)m->pid);
	if (read_small_file(path, buf, sizeof(buf)))
		return 1;
	const char *rp = strrchr(buf, ')');
	/* a zombie (killed, not yet reaped) has no memory left */
	if (!rp || rp[1] != ' ' || rp[2] == 'Z' || rp[2] == 'X')
		return 1;
	/* an exiting process drops its mm (and its exe link) first */
	char exe[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)m->pid);
	return readlink(path, exe, sizeof(exe)) < 0 && errno == ENOENT;
}

static int is_immutable(const struct procmem *m, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < m->nimm; i++)
		if (addr >= m->imm[i][0] && addr + len <= m->imm[i][1] && addr + len >= addr)
			return 1;
	return 0;
}

static struct cpage *cache_slot(struct procmem *m, uint64_t page)
{
	size_t mask = m->apages - 1;
	size_t h = (size_t)((page / PAGE) * 0x9e3779b97f4a7c15ull) & mask;
	while (m->pages[h].addr && m->pages[h].addr != page + 1)
		h = (h + 1) & mask;
	return &m->pages[h];
}

static unsigned char *cache_page(struct procmem *m, uint64_t page)
{
	if (m->apages == 0 || (m->npages + 1) * 2 > m->apages) {
		if (m->npages >= MAX_CACHE_PAGES)
			return NULL;
		struct cpage *old = m->pages;
		size_t oldn = m->apages;
		m->apages = oldn ? oldn * 2 : 256;
		m->pages = xcalloc(m->apages, sizeof(*m->pages));
		for (size_t i = 0; i < oldn; i++)
			if (old[i].addr)
				*cache_slot(m, old[i].addr - 1) = old[i];
		free(old);
	}
	struct cpage *s = cache_slot(m, page);
	if (s->addr)
		return s->bytes;
	unsigned char *b = xmalloc(PAGE);
	struct procmem_iov v = { page, b, PAGE, 0 };
	if (raw_readv(m, &v, 1) != GD_OK || !v.ok) {
		free(b);
		return NULL;
	}
	s->addr = page + 1;
	s->bytes = b;
	m->npages++;
	return b;
}

enum gd_err procmem_readv(struct procmem *m, struct procmem_iov *iov, size_t n)
{
	return raw_readv(m, iov, n);
}

enum gd_err procmem_read(struct procmem *m, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return GD_OK;
	if (len > PROCMEM_MAX_READ || addr + len < addr)
		return GD_EIO;
	if (m->nimm && is_immutable(m, addr, len)) {
		unsigned char *out = buf;
		uint64_t a = addr;
		size_t left = len;
		while (left) {
			uint64_t page = a & ~(uint64_t)(PAGE - 1);
			unsigned char *p = cache_page(m, page);
			if (!p)
				goto direct;
			size_t o = (size_t)(a - page), k = PAGE - o;
			if (k > left)
				k = left;
			memcpy(out, p + o, k);
			out += k;
			a += k;
			left -= k;
		}
		return GD_OK;
	}
direct:;
	struct procmem_iov v = { addr, buf, len, 0 };
	enum gd_err e = raw_readv(m, &v, 1);
	if (e)
		return e;
	return v.ok ? GD_OK : GD_EIO;
}

void procmem_add_immutable(struct procmem *m, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return;
	ALLOC_GROW(m->imm, m->nimm + 1, m->aimm);
	m->imm[m->nimm][0] = lo;
	m->imm[m->nimm][1] = hi;
	m->nimm++;
}

void procmem_record(struct procmem *m)
{
	if (!m->replay)
		m->recording = 1;
}

void procmem_set_fact(struct procmem *m, const char *key, const char *value)
{
	for (size_t i = 0; i < m->nfacts; i++)
		if (!strcmp(m->fkeys[i], key)) {
			free(m->fvals[i]);
			m->fvals[i] = xstrdup(value);
			return;
		}
	if (m->nfacts >= MAX_FACTS)
		return;
	m->fkeys[m->nfacts] = xstrdup(key);
	m->fvals[m->nfacts] = xstrdup(value);
	m->nfacts++;
}

const char *procmem_fact(const struct procmem *m, const char *key)
{
	for (size_t i = 0; i < m->nfacts; i++)
		if (!strcmp(m->fkeys[i], key))
			return m->fvals[i];
	return NULL;
}

int procmem_is_replay(const struct procmem *m) { return m->replay; }
pid_t procmem_pid(const struct procmem *m) { return m->pid; }

void procmem_stats(const struct procmem *m, struct procmem_stats *st)
{
	st->calls = m->calls;
	st->bytes = m->bytes;
	st->method = m->replay ? "replay" : m->use_vmreadv ? "process_vm_readv" : "/proc/PID/mem";
}

/* File: REPLAY_MAGIC, then "key value\n" fact lines, an empty line, then
 * records {u64 addr, u64 len, u8 ok, bytes if ok} little-endian; gzip'd. */
enum gd_err procmem_save(struct procmem *m, const char *path, struct gd_errbuf *eb)
{
	gzFile gz = gzopen(path, "wb9");
	if (!gz)
		return gd_fail(eb, GD_EIO, "%s: cannot create: %s", path, strerror(errno));
	struct strbuf hdr = STRBUF_INIT_MAX(1 << 20);
	strbuf_addstr(&hdr, REPLAY_MAGIC);
	for (size_t i = 0; i < m->nfacts; i++)
		strbuf_addf(&hdr, "%s %s\n", m->fkeys[i], m->fvals[i]);
	strbuf_addch(&hdr, '\n');
	int bad = gzwrite(gz, hdr.buf, (unsigned)hdr.len) != (int)hdr.len;
	strbuf_release(&hdr);
	for (size_t i = 0; i < m->nrecs && !bad; i++) {
		unsigned char h[17];
		for (int b = 0; b < 8; b++) {
			h[b] = (unsigned char)(m->recs[i].addr >> (8 * b));
			h[8 + b] = (unsigned char)(m->recs[i].len >> (8 * b));
		}
		h[16] = (unsigned char)m->recs[i].ok;
		bad |= gzwrite(gz, h, 17) != 17;
		if (m->recs[i].ok && m->recs[i].len)
			bad |= gzwrite(gz, m->data.buf + m->recs[i].off, (unsigned)m->recs[i].len) !=
			       (int)m->recs[i].len;
	}
	if (gzclose(gz) != Z_OK || bad)
		return gd_fail(eb, GD_EIO, "%s: write failed", path);
	return GD_OK;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

enum gd_err procmem_open_replay_mem(struct procmem **out, const void *data, size_t len,
				    struct gd_errbuf *eb)
{
	*out = NULL;
	const unsigned char *p = data, *end = p + len;
	size_t ml = strlen(REPLAY_MAGIC);
	if (len < ml || memcmp(p, REPLAY_MAGIC, ml))
		return gd_fail(eb, GD_EFORMAT, "not a godiag census recording (bad magic)");
	p += ml;
	struct procmem *m = pm_new();
	m->replay = 1;
	for (;;) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			procmem_free(m);
			return gd_fail(eb, GD_ETRUNCATED, "recording ends inside its header");
		}
		if (nl == p) {
			p++;
			break;
		}
		const unsigned char *sp = memchr(p, ' ', (size_t)(nl - p));
		if (!sp || sp == p) {
			procmem_free(m);
			return gd_fail(eb, GD_EFORMAT, "recording: bad fact line");
		}
		char *k = xstrndup((const char *)p, (size_t)(sp - p));
		char *v = xstrndup((const char *)sp + 1, (size_t)(nl - sp - 1));
		procmem_set_fact(m, k, v);
		free(k);
		free(v);
		p = nl + 1;
	}
	while (p < end) {
		if (end - p < 17) {
			size_t nr = m->nrecs;
			procmem_free(m);
			return gd_fail(eb, GD_ETRUNCATED, "recording: record %zu cut short", nr);
		}
		uint64_t a = le64(p), l = le64(p + 8);
		int ok = p[16];
		p += 17;
		if (ok == 1 && l <= PROCMEM_MAX_READ && l > (uint64_t)(end - p)) {
			size_t nr = m->nrecs;
			procmem_free(m);
			return gd_fail(eb, GD_ETRUNCATED, "recording cut short in record %zu", nr);
		}
		if (ok > 1 || l > PROCMEM_MAX_READ) {
			size_t nr = m->nrecs;
			procmem_free(m);
			return gd_fail(eb, GD_EFORMAT, "recording: record %zu is damaged", nr);
		}
		rec_add(m, a, p, (size_t)l, ok);
		if (ok)
			p += l;
	}
	*out = m;
	return GD_OK;
}

enum gd_err procmem_open_replay(struct procmem **out, const char *path, struct gd_errbuf *eb)
{
	*out = NULL;
	gzFile gz = gzopen(path, "rb");
	if (!gz)
		return gd_fail(eb, errno == ENOENT ? GD_ENOENT : GD_EIO, "%s: %s", path,
			       strerror(errno ? errno : EIO));
	struct strbuf sb = STRBUF_INIT_MAX(PROCMEM_REPLAY_CAP);
	char buf[65536];
	int n;
	enum gd_err e = GD_OK;
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		if ((e = strbuf_add(&sb, buf, (size_t)n)) != GD_OK)
			break;
	int zerr = 0;
	if (n < 0)
		gzerror(gz, &zerr);
	gzclose(gz);
	if (e != GD_OK) {
		strbuf_release(&sb);
		return gd_fail(eb, GD_ETOOBIG, "%s: recording over %zu MiB", path,
			       PROCMEM_REPLAY_CAP >> 20);
	}
	if (n < 0) {
		strbuf_release(&sb);
		return gd_fail(eb, GD_EFORMAT, "%s: damaged gzip stream", path);
	}
	e = procmem_open_replay_mem(out, sb.buf, sb.len, eb);
	strbuf_release(&sb);
	if (e) {
		char tmp[GD_ERRBUF_SIZE];
		snprintf(tmp, sizeof(tmp), "%s", eb ? eb->msg : "");
		return gd_fail(eb, e, "%s: %s", path, tmp);
	}
	return GD_OK;
}
