/* SPDX-License-Identifier: MIT */
/* Read another process's memory without stopping it, or replay a recording.
 *
 * Live: process_vm_readv(2) (up to IOV_MAX scattered ranges per call, no fd,
 * permission checked on every call), falling back to pread on /proc/PID/mem
 * when the syscall is refused (seccomp) or not available.  Never ptrace:
 * neither call stops the target.  A read is all or nothing: a short read is
 * GD_EIO, so a caller never sees half a struct.
 *
 * Record: every read (address, length, result and bytes) is kept in order,
 * with "key value" facts (build id, Go version, addresses found in the ELF),
 * and written gzip'd by procmem_save().  Replay serves the same reads from
 * such a file in the same order, so the whole census runs offline: unit
 * tests and the fuzzer use it.  A replay file is untrusted input: sizes are
 * capped and every record is bounds-checked.
 *
 * Reads of ranges the caller marks immutable (the pclntab, code, rodata) go
 * through a page cache, so decoding tables byte by byte costs one syscall
 * per 4 KiB page and a recording holds only the pages used. */
#ifndef GODIAG_LINUX_PROCMEM_H
#define GODIAG_LINUX_PROCMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct procmem;

struct procmem_iov {
	uint64_t addr;
	void *buf;
	size_t len;
	int ok;        /* out: 1 when the whole range was read */
};

#define PROCMEM_MAX_READ ((size_t)64 << 20)   /* one range */
#define PROCMEM_REPLAY_CAP ((size_t)512 << 20) /* replay file, uncompressed */

/* Open pid for reading.  GD_EPERM with an explanation of what is missing
 * (other uid, Yama ptrace_scope, CAP_SYS_PTRACE) and how to grant it;
 * GD_ENOENT when the process does not exist. */
enum gd_err procmem_open_pid(struct procmem **out, pid_t pid, struct gd_errbuf *eb);
/* Open a recording made by procmem_save(). */
enum gd_err procmem_open_replay(struct procmem **out, const char *path, struct gd_errbuf *eb);
/* The same over bytes in memory (the fuzzer); data is copied. */
enum gd_err procmem_open_replay_mem(struct procmem **out, const void *data, size_t len,
				    struct gd_errbuf *eb);
void procmem_free(struct procmem *m);

/* Start keeping every read for procmem_save(). */
void procmem_record(struct procmem *m);
enum gd_err procmem_save(struct procmem *m, const char *path, struct gd_errbuf *eb);

/* Facts kept with a recording.  Keys and values are single-line text. */
void procmem_set_fact(struct procmem *m, const char *key, const char *value);
const char *procmem_fact(const struct procmem *m, const char *key);
/* 1 when the live target has exited (or is a zombie). */
int procmem_target_gone(const struct procmem *m);
int procmem_is_replay(const struct procmem *m);
pid_t procmem_pid(const struct procmem *m);

/* Exactly len bytes at addr, or GD_EIO (unmapped, process gone), GD_EPERM. */
enum gd_err procmem_read(struct procmem *m, uint64_t addr, void *buf, size_t len);
/* Several ranges; returns GD_OK when the calls worked (check each ok), or an
 * error when the process cannot be read at all (gone, permission). */
enum gd_err procmem_readv(struct procmem *m, struct procmem_iov *iov, size_t n);

/* [lo, hi) never changes while the process runs: serve it from the cache. */
void procmem_add_immutable(struct procmem *m, uint64_t lo, uint64_t hi);

struct procmem_stats {
	uint64_t calls;       /* syscalls (or replayed records) */
	uint64_t bytes;       /* bytes copied from the target */
	const char *method;   /* "process_vm_readv", "/proc/PID/mem", "replay" */
};
void procmem_stats(const struct procmem *m, struct procmem_stats *st);

/* Why reading pid's memory is not allowed, with how to grant it; "" if no
 * reason is known.  Looks at uids, Yama and the capability set. */
void procmem_explain_eperm(pid_t pid, char *buf, size_t cap);

#endif
