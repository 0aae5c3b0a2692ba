/* SPDX-License-Identifier: MIT */
/* Any goroutine dump or profile, as a byte stream, into a grouping.
 *
 * The format is sniffed from the first bytes, after gzip if present:
 * "goroutine profile: total N" is debug=1, binary data is a debug=0
 * profile.proto, and anything else goes to the debug=2 / traceback parser,
 * which skips what is not a dump (so dumps inside logs work).  Bytes may
 * arrive in any chunks: from read(), or from a curl write callback. */
#ifndef GODIAG_DUMP_INPUT_H
#define GODIAG_DUMP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goroutine/dump_parse.h"
#include "goroutine/group.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "pprof/gzip.h"

enum dump_format {
	DUMP_FMT_UNKNOWN,
	DUMP_FMT_DEBUG2, /* also panic / crash tracebacks */
	DUMP_FMT_DEBUG1,
	DUMP_FMT_PROTO,  /* debug=0 */
};

const char *dump_format_name(enum dump_format f);

#define DUMP_SNIFF_LEN 64
#define DUMP_PROTO_MAX ((size_t)256 << 20)

struct dump_parser;
struct debug1_parser;

struct dump_input {
	struct grouping *g;
	size_t max_line;
	enum dump_format format;
	bool gzipped;
	bool decided_gzip;
	struct gz_reader gz;
	unsigned char raw_sniff[DUMP_SNIFF_LEN];
	size_t nraw_sniff;
	unsigned char sniff[DUMP_SNIFF_LEN];
	size_t nsniff;
	struct dump_parser *d2;
	struct debug1_parser *d1;
	struct strbuf proto;
	uint64_t raw_bytes;     /* bytes written, before gzip */
	uint64_t bytes;         /* bytes after gzip */
	bool elf;               /* the input is an ELF file */
	/* results, valid after finish */
	bool truncated;
	uint64_t read_goroutines; /* goroutines or profile samples taken in */
	uint64_t long_lines;
	struct dump_stats stats; /* debug=2 parser statistics, after finish */
	bool parallel;           /* parse_buffer used two threads */
	struct gd_errbuf eb;
};

void dump_input_init(struct dump_input *in, struct grouping *g, size_t max_line);
void dump_input_release(struct dump_input *in);
/* GD_OK, or an error described in in->eb (without the source name). */
enum gd_err dump_input_write(struct dump_input *in, const void *buf, size_t n);
enum gd_err dump_input_finish(struct dump_input *in);
typedef void (*dump_progress_fn)(uint64_t done, void *ctx);

/* Parse a whole input held in memory (an mmap'd file) and finish.  A big
 * debug=2 dump is cut in two at a goroutine boundary and the halves parsed
 * on two threads (2 cores is the machine we plan for); the result is the
 * same as write() + finish().  progress (may be NULL) is called from this
 * thread with the bytes done so far.  `mapped`: buf is a private read-only
 * file mapping whose pages may be dropped once parsed (keeps RSS small). */
enum gd_err dump_input_parse_buffer(struct dump_input *in, const char *buf, size_t len, bool mapped,
				    dump_progress_fn progress, void *progress_ctx);

/* The debug=2 parser's statistics (preamble, prefix...), or NULL. */
const struct dump_stats *dump_input_stats(const struct dump_input *in);

#endif
