/* SPDX-License-Identifier: MIT */
/* Streaming parser for debug=1 goroutine profiles (/debug/pprof/goroutine?debug=1
 * and goroutineleak?debug=1): aggregated "<count> @ <pcs>" records with
 * optional "# labels: {...}" and "#\t<pc>\t<func>+<off>\t<file>:<line>" frame
 * lines, as written by runtime/pprof's printCountProfile.
 *
 * Push model, like the debug=2 parser: feed() takes bytes split anywhere;
 * each complete record goes to the callback as a struct gd_record whose
 * slices live only during the call.  Frames are innermost first as printed
 * (runtime.* frames hidden by Go stay hidden), "+0xOFF" is stripped from the
 * function name, args are empty; a frame printed without a symbol ("#\t0x...")
 * becomes func "0x..." with file "" and GD_FRAME_NOFILE.  Labels are passed
 * on raw ("{\"k\":\"v\", ...}") or "".
 *
 * Memory is bounded: lines over 1 MiB are skipped and counted, a record keeps
 * at most DEBUG1_MAX_FRAMES frames and 16 MiB of frame text.
 *
 * Truncation: Go ends every record with a blank line and the header's total
 * is the sum of all counts.  A last record without its blank line is
 * dropped (its stack may be cut) and the profile is reported truncated,
 * unless its last line is a whole frame line and the counts add up to the
 * total (only the final newline is missing); a profile whose counts add up
 * to less than the header's total, or that ends mid-line, is truncated too.
 *
 * Several profiles: each "goroutine profile: total N" header starts a new
 * one; records carry its number (gd_record.dump), and truncation is judged
 * on the last. */
#ifndef GODIAG_DEBUG1_H
#define GODIAG_DEBUG1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/goroutine.h"
#include "util/error.h"

#define DEBUG1_MAX_LINE ((size_t)1 << 20)
#define DEBUG1_MAX_FRAMES 4096

struct debug1_stats {
	uint64_t records;     /* records passed to the callback */
	uint64_t goroutines;  /* sum of their counts */
	uint64_t lines;
	uint64_t noise_lines; /* lines outside the grammar, skipped */
	uint64_t long_lines;  /* lines over DEBUG1_MAX_LINE, skipped */
	uint64_t dropped;     /* records dropped as incomplete */
	uint64_t frames_capped; /* records that had frames beyond the cap */
	uint32_t profiles;    /* "goroutine profile: total N" headers: a log may hold several */
};

struct debug1_parser;

struct debug1_parser *debug1_parser_new(gd_record_fn fn, void *ctx);
void debug1_parser_free(struct debug1_parser *p);

/* GD_OK; GD_EFORMAT when the input does not start with a goroutine or
 * goroutineleak debug=1 header (sticky, see debug1_parser_error()); GD_EARG
 * once the callback returned non-zero (parsing stops). */
enum gd_err debug1_parser_feed(struct debug1_parser *p, const char *buf, size_t len);
/* End of input: flush the last line, decide truncation.  GD_EFORMAT if no
 * header was ever seen (empty or other input); a truncated profile is not
 * an error here, ask debug1_parser_truncated(). */
enum gd_err debug1_parser_finish(struct debug1_parser *p);

/* "total N" from the header (0 before it is seen). */
uint64_t debug1_parser_total(const struct debug1_parser *p);
/* "goroutine" or "goroutineleak" ("" before the header). */
const char *debug1_parser_profile_name(const struct debug1_parser *p);
/* The last error message, "" if none. */
const char *debug1_parser_error(const struct debug1_parser *p);
bool debug1_parser_truncated(const struct debug1_parser *p);
const struct debug1_stats *debug1_parser_stats(const struct debug1_parser *p);

#endif
