/* SPDX-License-Identifier: MIT */
/* Streaming parser for debug=2 goroutine dumps: /debug/pprof/goroutine?debug=2,
 * runtime.Stack(buf, true), and panic / fatal error / SIGQUIT tracebacks,
 * from Go 1.12 to 1.27, also when embedded in log files.
 *
 * Push model: feed() takes bytes split anywhere (a read() chunk, a curl
 * write callback); each complete goroutine is handed to the callback.
 * Memory is bounded by the longest line (max_line) and the largest goroutine
 * block (capped), never by the size of the input.  The parser never prints
 * and never exits.
 *
 * Truncation: net/http/pprof cuts a dump at exactly 64 MiB, mid-line, with no
 * marker.  A dump that ends inside a frame (a function line without its file
 * line, a file line cut before its ":LINE"), or at exactly 64 MiB is reported
 * as truncated, and the incomplete last goroutine is dropped rather than
 * passed on with a wrong stack.  A last line that is a complete "FILE:LINE"
 * (with or without " +0x...") ends a complete goroutine, final newline or not.
 *
 * Several dumps: a restarting program's log holds one traceback per crash.
 * A new dump starts at a crash header ("panic: ", "fatal error: ", "SIGQUIT:
 * ...") that follows goroutines, or at a goroutine whose ID the current dump
 * already had (ID 0, the g0 stacks of crash dumps, may repeat).  Each
 * goroutine carries its dump's number; the SIGQUIT sections that
 * GOTRACEBACK=crash prints per thread ("-----" then "SIGQUIT: quit" again)
 * stay one dump.  The first goroutine after a crash header is flagged
 * GD_G_CRASHED.
 *
 * Log prefixes: the first header found after some prefix teaches its shape;
 * it is stripped from every later line, and the crash lines seen before that
 * header are kept when they carry the same prefix.  NUL runs (logrotate's
 * copytruncate leaves the top of a file as zeros) and control bytes at the
 * start of a line are skipped. */
#ifndef GODIAG_DUMP_PARSE_H
#define GODIAG_DUMP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/goroutine.h"
#include "util/error.h"

#define DUMP_PPROF_CAP ((uint64_t)64 << 20)
#define DUMP_DEFAULT_MAX_LINE ((size_t)1 << 20)
#define DUMP_MAX_FRAMES 1024

struct dump_stats {
	uint64_t goroutines;  /* complete goroutines passed to the callback */
	uint64_t lines;
	uint64_t bytes;
	uint64_t noise_lines; /* lines outside the grammar (log lines, registers...) */
	uint64_t long_lines;  /* lines over max_line, skipped */
	uint64_t dropped;     /* goroutine blocks dropped as incomplete */
	bool truncated;       /* input ended inside a goroutine or mid-line */
	bool at_pprof_cap;    /* exactly 64 MiB: net/http/pprof's cut */
	/* The crash header of the current dump (the last one, after finish). */
	bool crash;           /* a panic / fatal error / signal preamble was seen */
	char preamble[256];   /* first "panic: ..." or "fatal error: ..." line */
	char signal[160];     /* "[signal SIGSEGV: ...]" or "SIGQUIT: quit" */
	uint32_t prefix_len;  /* length of a log prefix stripped from each line */
	uint32_t dumps;       /* dumps that held goroutines */
	uint64_t crash_goid;  /* the current dump's crashing goroutine, when has_crash_goid */
	bool has_crash_goid;
	bool ids_untracked;   /* too many sparse IDs to watch for repeats */
};

struct dump_parser;

struct dump_parser *dump_parser_new(gd_goroutine_fn fn, void *ctx, size_t max_line);
void dump_parser_free(struct dump_parser *p);
/* Copy each frame's argument text (the default), or hand out "" for args:
 * only exact-argument grouping looks at them, and copying costs. */
void dump_parser_keep_args(struct dump_parser *p, bool keep);

/* Returns GD_OK, or the callback's non-zero return as GD_EARG... (stops). */
enum gd_err dump_parser_feed(struct dump_parser *p, const char *buf, size_t len);
/* End of input: flushes the last goroutine or marks the dump truncated. */
enum gd_err dump_parser_finish(struct dump_parser *p);
const struct dump_stats *dump_parser_stats(const struct dump_parser *p);

/* Parse one header line ("goroutine 7 [chan receive, 5 minutes]:") into g's
 * header fields; slices point into line.  Exposed for tests and sniffing. */
bool dump_parse_header(const char *line, size_t n, struct gd_goroutine *g);

/* True if the IDs of the current (last) dump and of the first dump another
 * parser saw overlap: two halves of one buffer parsed apart are one dump
 * only if they share no goroutine. */
bool dump_parser_ids_overlap(const struct dump_parser *last, const struct dump_parser *first);

#endif
