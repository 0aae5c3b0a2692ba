/* SPDX-License-Identifier: MIT */
/* A PID as a goroutine source for stacks, doctor and bundle: the census
 * from memory when it may be read, otherwise the process's own pprof
 * endpoint (found on its loopback LISTEN sockets), with the reason the
 * memory was not read in `why` (permission: what is missing and how to
 * grant it). */
#ifndef GODIAG_CENSUS_SOURCE_H
#define GODIAG_CENSUS_SOURCE_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"
#include "util/strbuf.h"

struct census_source_opts {
	const char *record;     /* --record FILE, or NULL */
	const char *replay;     /* run on this recording instead of pid */
	bool no_read_memory;    /* --no-read-memory */
	bool no_fallback;       /* do not look for a pprof endpoint */
};

struct census_source {
	bool memory_read;       /* text came from the process's memory */
	char what[1024];        /* "what was read": method, counts, how */
	char why[600];          /* why memory was not read, "" if it was */
	char fallback_url[256]; /* debug=2 URL to use instead, "" if none */
	enum gd_err mem_err;    /* the census's error, GD_OK if it ran */
};

/* GD_OK with text in out (memory_read) or fallback_url set; otherwise an
 * error naming the PID and both failures. */
enum gd_err census_source_pid(pid_t pid, const struct census_source_opts *o, struct strbuf *out,
			      struct census_source *cs, struct gd_errbuf *eb);

#endif
