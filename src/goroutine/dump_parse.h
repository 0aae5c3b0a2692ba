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
 * marker.  A dump that ends without its final newline, inside a frame, or at
 * exactly 64 MiB is reported as truncated, and the incomplete last goroutine
 * is dropped rather than passed on with a wrong stack. */
#ifndef GODIAG_DUMP_PARSE_H
#define GODIAG_DUMP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goroutine/goroutine.h"
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
	bool crash;           /* a panic / fatal error / signal preamble was seen */
	char preamble[256];   /* first "panic: ..." or "fatal error: ..." line */
	char signal[160];     /* "[signal SIGSEGV: ...]" or "SIGQUIT: quit" */
	uint32_t prefix_len;  /* length of a log prefix stripped from each line */
};

struct dump_parser;

struct dump_parser *dump_parser_new(gd_goroutine_fn fn, void *ctx, size_t max_line);
void dump_parser_free(struct dump_parser *p);

/* Returns GD_OK, or the callback's non-zero return as GD_EARG... (stops). */
enum gd_err dump_parser_feed(struct dump_parser *p, const char *buf, size_t len);
/* End of input: flushes the last goroutine or marks the dump truncated. */
enum gd_err dump_parser_finish(struct dump_parser *p);
const struct dump_stats *dump_parser_stats(const struct dump_parser *p);

/* Parse one header line ("goroutine 7 [chan receive, 5 minutes]:") into g's
 * header fields; slices point into line.  Exposed for tests and sniffing. */
bool dump_parse_header(const char *line, size_t n, struct gd_goroutine *g);

#endif
