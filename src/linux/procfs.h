/* SPDX-License-Identifier: MIT */
/* Readers for the /proc and /sys files that describe one process's memory:
 * status, smaps_rollup (or smaps summed), environ, cmdline, stat, uptime,
 * the cgroup memory files, the THP settings and the kernel release.
 *
 * Every reader takes a root directory (normally "/proc" or "/sys") so tests
 * replay recorded trees.  A file is read whole into a capped buffer before it
 * is parsed; parsing goes by key name, tolerates missing and unknown lines,
 * and fills a struct whose `known` bits say which fields were really read, so
 * a partial read stays visible.  The *_parse() functions are pure (bytes in,
 * struct out) and are what the fuzz harness drives.
 *
 * Error contract: functions return enum gd_err and fill eb with one line that
 * names the file ("/proc/123/smaps_rollup: permission denied").  GD_EFORMAT
 * and GD_ETRUNCATED still leave every field that did parse, with its known
 * bit set; callers may use them and report the read as partial.
 *
 * Timeouts: /proc and /sys files cannot be polled, so a read cannot be given
 * a deadline.  The readers refuse anything that is not a regular file (a FIFO
 * in a replayed tree would block forever) and cap every file's size. */
#ifndef GODIAG_PROCFS_H
#define GODIAG_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strbuf.h"

#define PROCFS_ROOT_DEFAULT "/proc"
#define SYSFS_ROOT_DEFAULT "/sys"
/* Cap for every small file; smaps of a big process needs far more. */
#define PROCFS_FILE_CAP ((size_t)1 << 20)
#define PROCFS_SMAPS_CAP ((size_t)64 << 20)

/* Read the whole of `path` (a regular file) into sb, which is reset first.
 * Over `cap` bytes: sb holds the first `cap` bytes and GD_ETOOBIG returns.
 * ENOENT and ESRCH (the process exited) map to GD_ENOENT, EACCES/EPERM to
 * GD_EPERM. */
enum gd_err procfs_read_file(const char *path, size_t cap, struct strbuf *sb,
			     struct gd_errbuf *eb);

/* Scan an unsigned decimal at *p (< end), skipping leading blanks; advance *p.
 * Fails (false) on no digits or overflow. */
bool procfs_scan_u64(const char **p, const char *end, uint64_t *out);

/* An age as "45s", "12m", "3h05m", "4d07h" (sizes: util/human.h). */
void procfs_human_age(char *buf, size_t n, uint64_t seconds);

/* The number of open fds of pid (entries of PID/fd; `godiag watch` samples
 * it every interval).  GD_ENOENT when the process is gone. */
enum gd_err proc_fd_count(const char *proc_root, int pid, size_t *n, struct gd_errbuf *eb);

/* ---- what could not be read, and why -------------------------------- */

struct proc_note {
	char *what; /* e.g. "smaps_rollup", "environ" */
	char *why;  /* e.g. "/proc/7/smaps_rollup: permission denied" */
};

#define PROC_NOTES_MAX 64

struct proc_notes {
	struct proc_note *v;
	size_t nr, alloc;
	size_t dropped; /* notes past PROC_NOTES_MAX */
};

void proc_notes_add(struct proc_notes *n, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Return the note recorded for `what`, or NULL. */
const struct proc_note *proc_notes_find(const struct proc_notes *n, const char *what);
void proc_notes_release(struct proc_notes *n);

/* ---- /proc/PID/status ---------------------------------------------- */

enum proc_status_field {
	PST_VMRSS, PST_VMHWM, PST_RSSANON, PST_RSSFILE, PST_RSSSHMEM, PST_VMSWAP,
	PST_VMSIZE, PST_THREADS, /* the rest: bytes; Threads: a count */
	PST_NR_NUM,
	PST_NAME = PST_NR_NUM, PST_UID, PST_PPID,
	PST_NR
};

struct proc_status {
	uint32_t known; /* bit (1u << PST_x) */
	uint64_t v[PST_NR_NUM];
	char name[64];
	uint32_t uid, euid; /* real, effective */
	int ppid;
};

/* Key as the kernel spells it ("VmRSS"). */
const char *proc_status_key(enum proc_status_field f);
enum gd_err proc_status_parse(const char *buf, size_t len, struct proc_status *st,
			      const char *name, struct gd_errbuf *eb);
enum gd_err proc_status_read(const char *proc_root, int pid, struct proc_status *st,
			     struct gd_errbuf *eb);

/* ---- /proc/PID/smaps_rollup, or /proc/PID/smaps summed --------------- */

enum proc_smaps_field {
	SM_RSS, SM_PSS, SM_PSS_DIRTY, SM_PSS_ANON, SM_PSS_FILE, SM_PSS_SHMEM,
	SM_SHARED_CLEAN, SM_SHARED_DIRTY, SM_PRIVATE_CLEAN, SM_PRIVATE_DIRTY,
	SM_REFERENCED, SM_ANONYMOUS, SM_KSM, SM_LAZYFREE, SM_ANON_HUGE,
	SM_SHMEM_PMD, SM_FILE_PMD, SM_SHARED_HUGETLB, SM_PRIVATE_HUGETLB,
	SM_SWAP, SM_SWAP_PSS, SM_LOCKED,
	SM_NR
};

enum proc_smaps_source {
	SMAPS_NONE = 0,
	SMAPS_ROLLUP,   /* smaps_rollup (Linux >= 4.14) */
	SMAPS_SUMMED,   /* every mapping of smaps added up */
};

struct proc_smaps {
	uint32_t known;  /* bit (1u << SM_x) */
	uint64_t v[SM_NR]; /* bytes */
	uint64_t mappings; /* header lines seen (1 for a rollup) */
	enum proc_smaps_source source;
};

const char *proc_smaps_key(enum proc_smaps_field f);
const char *proc_smaps_source_name(enum proc_smaps_source s);
/* Sums every "Key: N kB" line it knows, so it parses both files. */
enum gd_err proc_smaps_parse(const char *buf, size_t len, struct proc_smaps *sm,
			     const char *name, struct gd_errbuf *eb);
/* smaps_rollup; when that file does not exist, smaps summed (recorded in
 * sm->source).  smaps over PROCFS_SMAPS_CAP: the sum of what fit, and
 * GD_ETRUNCATED. */
enum gd_err proc_smaps_read(const char *proc_root, int pid, struct proc_smaps *sm,
			    struct gd_errbuf *eb);

/* ---- /proc/PID/environ ----------------------------------------------- */

enum proc_env_var {
	PENV_GODEBUG, PENV_GOGC, PENV_GOMEMLIMIT, PENV_GOTRACEBACK, PENV_GOMAXPROCS,
	PENV_NR
};

#define PROC_ENV_VALUE_MAX 4096

struct proc_environ {
	uint32_t known;       /* bit set: the variable is present */
	char *val[PENV_NR];   /* NULL when absent; capped at PROC_ENV_VALUE_MAX */
	size_t count;         /* entries in the environment */
	bool read;            /* environ itself was read */
};

const char *proc_env_name(enum proc_env_var v);
/* First occurrence wins, as in Go's runtime and syscall packages. */
enum gd_err proc_environ_parse(const char *buf, size_t len, struct proc_environ *env);
enum gd_err proc_environ_read(const char *proc_root, int pid, struct proc_environ *env,
			      struct gd_errbuf *eb);
void proc_environ_release(struct proc_environ *env);

/* ---- /proc/PID/cmdline ----------------------------------------------- */

#define PROC_CMDLINE_ARGS_MAX 1024

struct proc_cmdline {
	char **argv;
	size_t argc;
	bool truncated; /* more than PROC_CMDLINE_ARGS_MAX args */
};

enum gd_err proc_cmdline_parse(const char *buf, size_t len, struct proc_cmdline *cl);
enum gd_err proc_cmdline_read(const char *proc_root, int pid, struct proc_cmdline *cl,
			      struct gd_errbuf *eb);
/* argv joined with spaces into sb (capped by sb's own max). */
void proc_cmdline_join(const struct proc_cmdline *cl, struct strbuf *sb);
void proc_cmdline_release(struct proc_cmdline *cl);

/* ---- /proc/PID/stat and /proc/uptime --------------------------------- */

struct proc_stat {
	char comm[64];
	char state;
	int ppid;
	uint64_t num_threads;
	uint64_t starttime; /* clock ticks after boot */
};

enum gd_err proc_stat_parse(const char *buf, size_t len, struct proc_stat *ps,
			    const char *name, struct gd_errbuf *eb);
enum gd_err proc_stat_read(const char *proc_root, int pid, struct proc_stat *ps,
			   struct gd_errbuf *eb);
/* /proc/uptime, first field, in milliseconds. */
enum gd_err proc_uptime_parse(const char *buf, size_t len, uint64_t *ms,
			      const char *name, struct gd_errbuf *eb);
enum gd_err proc_uptime_read(const char *proc_root, uint64_t *ms, struct gd_errbuf *eb);
/* Seconds a process has run, from its start time in ticks. */
uint64_t proc_age_seconds(uint64_t starttime_ticks, uint64_t uptime_ms, long clk_tck);

/* ---- cgroup memory --------------------------------------------------- */

enum proc_cg_field {
	CG_CURRENT, CG_MAX, CG_ANON, CG_FILE, CG_SHMEM, CG_KERNEL_STACK, CG_SLAB,
	CG_SOCK, CG_ANON_THP, CG_INACTIVE_FILE, CG_ACTIVE_FILE,
	CG_NR
};

#define PROC_CG_PATH_MAX 1024

struct proc_cgroup {
	uint32_t known;        /* bit (1u << CG_x) */
	uint64_t v[CG_NR];     /* bytes */
	bool unlimited;        /* memory.max is "max" (v1: no real limit) */
	int version;           /* the hierarchy read: 2, 1, or 0 when none */
	char path[PROC_CG_PATH_MAX];    /* v2 path from /proc/PID/cgroup ("0::") */
	char v1_path[PROC_CG_PATH_MAX]; /* v1 "memory" controller path */
	bool has_v2, has_v1;
	char dir[PROC_CG_PATH_MAX + 64]; /* the directory under the sys root read */
};

const char *proc_cg_key(enum proc_cg_field f);
/* Fill the v2 ("0::") and v1 "memory" controller paths from /proc/PID/cgroup.
 * GD_ENOENT when neither line is there. */
enum gd_err proc_cgroup_parse(const char *buf, size_t len, struct proc_cgroup *cg,
			      const char *name, struct gd_errbuf *eb);
/* memory.stat, v2 ("anon N") or v1 ("rss N", "total_rss N") names. */
enum gd_err proc_cg_stat_parse(const char *buf, size_t len, int version,
			       struct proc_cgroup *cg);
/* /proc/PID/cgroup, then memory.current/max/stat of the v2 path (under
 * sys_root/fs/cgroup, or the hybrid fs/cgroup/unified), and when the v2
 * directory has no memory.current (memory controller on v1: hybrid hosts)
 * memory.usage_in_bytes/limit_in_bytes/stat under fs/cgroup/memory.  Files
 * that cannot be read become notes. */
enum gd_err proc_cgroup_read(const char *proc_root, const char *sys_root, int pid,
			     struct proc_cgroup *cg, struct proc_notes *notes,
			     struct gd_errbuf *eb);

/* ---- system-wide ----------------------------------------------------- */

struct sys_thp {
	bool enabled_known, defrag_known, max_ptes_none_known;
	char enabled[24];  /* the [selected] word: always, madvise, never */
	char defrag[24];
	uint64_t max_ptes_none;
};

/* "always [madvise] never" -> "madvise" */
enum gd_err sys_thp_selected(const char *buf, size_t len, char *out, size_t outsz);
/* Files that cannot be read become notes; returns GD_OK unless none could. */
enum gd_err sys_thp_read(const char *sys_root, struct sys_thp *thp, struct proc_notes *notes,
			 struct gd_errbuf *eb);
enum gd_err proc_kernel_release(const char *proc_root, char *out, size_t outsz,
				struct gd_errbuf *eb);

/* ---- everything about one process ------------------------------------ */

enum procinfo_part {
	PI_STATUS = 1 << 0,
	PI_SMAPS = 1 << 1,
	PI_ENVIRON = 1 << 2,
	PI_CMDLINE = 1 << 3,
	PI_STAT = 1 << 4, /* and /proc/uptime, for the age */
	PI_CGROUP = 1 << 5,
	PI_THP = 1 << 6,
	PI_KERNEL = 1 << 7,
	PI_ALL = (1 << 8) - 1,
};

struct procfs_roots {
	const char *proc; /* NULL: PROCFS_ROOT_DEFAULT */
	const char *sys;  /* NULL: SYSFS_ROOT_DEFAULT */
};

struct procinfo {
	int pid;
	unsigned want; /* PI_ bits asked for */
	unsigned have; /* PI_ bits read in full */
	struct proc_status status;
	struct proc_smaps smaps;
	struct proc_environ env;
	struct proc_cmdline cmdline;
	struct proc_stat stat;
	bool age_known;
	uint64_t age_seconds;
	struct proc_cgroup cgroup;
	struct sys_thp thp;
	char kernel_release[128]; /* "" when unknown */
	struct proc_notes notes;  /* one per part that was not read in full */
};

void procinfo_init(struct procinfo *pi);
/* Read the parts in `want`.  GD_ENOENT (and eb) when the process does not
 * exist; otherwise GD_OK, with a note for every part not read in full. */
enum gd_err procinfo_read(struct procinfo *pi, const struct procfs_roots *roots, int pid,
			  unsigned want, struct gd_errbuf *eb);
bool procinfo_partial(const struct procinfo *pi);
void procinfo_release(struct procinfo *pi);

#endif
