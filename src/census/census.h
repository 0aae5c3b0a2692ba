/* SPDX-License-Identifier: MIT */
/* The agentless goroutine census: read every goroutine of a live Go process
 * from its memory, without stopping it, and write it as Go-format debug=2
 * text (the format of /debug/pprof/goroutine?debug=2), so the dump parser,
 * grouping and rules consume it unchanged.
 *
 * Consistency without stopping: allgs is read, then its array, then allgs
 * again (retry when it moved); each goroutine's g, then its stack in one
 * read, then the g again: goid, status and the saved sp must not have
 * changed, and the unwind must reach runtime.goexit through valid pcs.  A
 * goroutine that stays inconsistent after retries is counted unreadable and
 * left out, never guessed.  When validation fails for the census as a whole
 * (no main goroutine, most goroutines unreadable) nothing is printed.
 *
 * Output parity with the target's own debug=2: the same goroutines (system
 * goroutines hidden as isSystemGoroutine does), headers with the wait
 * reason from the target's runtime.waitReasonStrings and wait minutes from
 * the target's monotonic clock (its time namespace), the same frame
 * elision (runtime frames, wrappers, 1.21+'s 50+50 frames, 1.19's 100),
 * inlined frames as F(...), "+0x" offsets, arguments, and "created by"
 * (with "in goroutine N" from 1.21). */
#ifndef GODIAG_CENSUS_CENSUS_H
#define GODIAG_CENSUS_CENSUS_H

#include <stdint.h>
#include <sys/types.h>

#include "census/goelf.h"
#include "linux/procmem.h"
#include "util/error.h"
#include "util/strbuf.h"

#define CENSUS_OUT_CAP ((size_t)1 << 30)
#define CENSUS_MAX_GS 5000000u
#define CENSUS_SHOW_UNREADABLE 16

struct census_stats {
	uint64_t allglen;        /* entries in allgs (dead ones included) */
	uint64_t goroutines;     /* written to the dump */
	uint64_t running;        /* written without a stack, as Go does */
	uint64_t system;         /* hidden, as debug=2 hides them */
	uint64_t dead;
	uint64_t unreadable;     /* left out: inconsistent after retries */
	uint64_t unreadable_ids[CENSUS_SHOW_UNREADABLE];
	uint64_t retries;
	uint64_t calls, bytes;   /* memory reads */
	double wall_ms;
	char method[32];         /* process_vm_readv, /proc/PID/mem, replay */
	char goversion[64];
	char how[256];           /* where allgs, pclntab and offsets came from */
};

/* The census over an open reader and facts; appends debug=2 text to out. */
enum gd_err census_run(struct procmem *m, struct census_facts *f, int64_t mono_now_ns,
		       struct strbuf *out, struct census_stats *st, struct gd_errbuf *eb);

/* Live: facts from /proc/PID/exe, memory via procmem; record_path (may be
 * NULL) saves the recording.  out NULL: count only (st), no text kept, as
 * ps needs for a process whose dump would be a gigabyte. */
enum gd_err census_pid(pid_t pid, const char *record_path, struct strbuf *out,
		       struct census_stats *st, struct gd_errbuf *eb);
/* Offline, from a recording. */
enum gd_err census_replay(const char *path, struct strbuf *out, struct census_stats *st,
			  struct gd_errbuf *eb);
enum gd_err census_replay_mem(const void *data, size_t len, struct strbuf *out,
			      struct census_stats *st, struct gd_errbuf *eb);

/* One line for "what was read": method, counts, unreadable ids. */
void census_describe(const struct census_stats *st, char *buf, size_t cap);

#endif
