/* SPDX-License-Identifier: MIT */
/* Finding the Go processes of a host: list the PIDs under a proc root and
 * keep those whose executable carries Go build info.
 *
 * The executable is opened through PROC/PID/exe, which works for deleted
 * binaries and for processes in other mount namespaces.  Build info is read
 * at most once per binary: a cache keyed by (st_dev, st_ino, mtime) of the
 * exe means a host with 900 bash processes costs one look at bash, and a
 * cheap ELF section-name check turns most non-Go binaries away before the
 * full reader would scan them.  When PID/exe is not ours to read (another
 * user's process and no CAP_SYS_PTRACE), argv[0] from the world-readable
 * cmdline is tried instead and the row is marked unverified, so `ps` as an
 * unprivileged user still shows partial rows with a reason.
 *
 * A process that exits mid-scan, or that we may not inspect, is counted
 * (and, for the first few, noted), never an error. */
#ifndef GODIAG_LINUX_PROCESS_H
#define GODIAG_LINUX_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "linux/buildinfo.h"
#include "linux/procfs.h"
#include "runtime/godebug.h"
#include "util/error.h"

struct go_binary {
	uint64_t dev, ino;
	int64_t mtime_sec, mtime_nsec;
	bool is_go;
	struct go_buildinfo bi; /* filled when is_go */
	char why[GD_ERRBUF_SIZE]; /* when !is_go: why ("not an ELF file", ...) */
};

struct bin_cache {
	struct go_binary **v;
	size_t nr, alloc;
	size_t hits, reads, prefiltered; /* for --verbose and the benchmark */
};

void bin_cache_init(struct bin_cache *c);
void bin_cache_release(struct bin_cache *c);
/* The cached verdict for the file at `path`, whose stat (following links)
 * is `st`; reads it on a miss.  Always returns an entry (is_go false with
 * `why` when it is not Go or could not be read). */
const struct go_binary *bin_cache_get(struct bin_cache *c, const char *path, const struct stat *st);

/* True when the file is not ELF, or its section names show no trace of Go
 * (no .go.buildinfo, .gopclntab, .note.go.buildid, .gosymtab) and the
 * section table could be read; *why then says which.  False ("maybe Go")
 * in every other case, including a file without section headers. */
bool elf_surely_not_go(int fd, const char **why);

#define GO_PROC_EXE_MAX 512

struct go_process {
	int pid;
	const struct go_binary *bin; /* owned by the cache */
	char exe[GO_PROC_EXE_MAX];   /* PID/exe link target, or argv[0] when !verified */
	bool exe_deleted;            /* the link ends in " (deleted)" */
	bool verified;               /* build info read through PID/exe */
	char note[256];              /* why the identification is partial, or "" */
};

/* Identify one process.  GD_OK: a Go process, *gp filled.  GD_EFORMAT: not
 * Go (eb says why).  GD_ENOENT: no such process, or one without an
 * executable (kernel thread).  GD_EPERM: not ours to inspect and argv[0]
 * did not lead to a readable Go binary. */
enum gd_err process_identify(struct bin_cache *c, const char *proc_root, int pid,
			     struct go_process *gp, struct gd_errbuf *eb);

/* Numeric entries of proc_root, ascending.  *pids is malloc'd. */
enum gd_err process_list_pids(const char *proc_root, int **pids, size_t *n,
			      struct gd_errbuf *eb);

#define PROCESS_SCAN_NOTED_MAX 8

struct process_scan {
	struct go_process *v; /* the Go processes, by PID */
	size_t nr, alloc;
	size_t seen;       /* PIDs listed */
	size_t not_go;
	size_t no_exe;     /* kernel threads and processes that exited */
	size_t denied;     /* could not be inspected at all */
	struct bin_cache cache;
	struct proc_notes notes; /* first few denied PIDs, with the reason */
};

void process_scan_init(struct process_scan *ps);
/* Fill ps with the Go processes under proc_root.  Errors only when the
 * root itself cannot be listed. */
enum gd_err process_scan_run(struct process_scan *ps, const char *proc_root,
			     struct gd_errbuf *eb);
void process_scan_release(struct process_scan *ps);

/* The memory-return policy in force for gp: its Go version and build
 * settings (DefaultGODEBUG, -ldflags), the kernel release and the GODEBUG
 * it was started with (NULL when not readable).  Release ev after use. */
void process_mem_policy(const struct go_process *gp, const char *kernel_release,
			const char *env_godebug, struct godebug_eval *ev);

#endif
