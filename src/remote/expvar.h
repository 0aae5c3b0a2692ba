/* SPDX-License-Identifier: MIT */
/* Go's expvar page (/debug/vars) read into the same MemStats model the
 * heap?debug=1 trailer fills, plus the command line.
 *
 * expvar publishes "cmdline" (os.Args) and "memstats" (json.Marshal of
 * runtime.MemStats, so the keys are the Go field names, which are also
 * go_memstats_name()); applications add their own keys, which we ignore.
 * MaxRSS is not part of MemStats and stays unknown.  Input is untrusted:
 * capped at EXPVAR_MAX_INPUT before jansson sees it, a value of the wrong
 * JSON type or out of range leaves that field unknown (and is counted), and
 * the whole document must be an object holding "memstats" or "cmdline". */
#ifndef GODIAG_REMOTE_EXPVAR_H
#define GODIAG_REMOTE_EXPVAR_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/memstats.h"
#include "util/error.h"

#define EXPVAR_MAX_INPUT ((size_t)16 << 20)
#define EXPVAR_MAX_ARGS 4096
#define EXPVAR_MAX_ARG_LEN 4096

struct expvar_vars {
	bool has_memstats;
	struct go_memstats memstats;
	uint64_t pause_total_ns;  /* PauseTotalNs (not in struct go_memstats) */
	bool pause_total_known;
	char **cmdline;           /* os.Args, each cut at EXPVAR_MAX_ARG_LEN; raw bytes */
	size_t ncmdline;
	bool has_cmdline;
	size_t bad_values;        /* memstats keys whose value had the wrong type */
	size_t nkeys;             /* top-level keys (the application's own included) */
};

void expvar_vars_init(struct expvar_vars *v);
void expvar_vars_release(struct expvar_vars *v);

/* Parse a /debug/vars body.  GD_ETOOBIG over the cap; GD_EFORMAT when it is
 * not JSON, not an object, or has neither "memstats" nor "cmdline" (the
 * message says which, naming the input and, for bad JSON, line and column). */
enum gd_err expvar_parse(struct expvar_vars *v, const char *buf, size_t len, const char *name,
			 struct gd_errbuf *eb);

#endif
