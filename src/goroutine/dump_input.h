/* SPDX-License-Identifier: MIT */
/* Any goroutine dump or profile, as a byte stream, into a grouping.
 *
 * The format is sniffed from the first 4 KiB, after gzip if present and
 * after any leading NUL bytes (logrotate's copytruncate leaves a file's top
 * as zeros): "goroutine profile: total N" is debug=1; text (most bytes
 * printable, or a "goroutine N [" header present) goes to the debug=2 /
 * traceback parser, which skips what is not a dump (so dumps inside logs
 * work); other binary data is a debug=0 profile.proto if it starts like
 * one.  Bytes may arrive in any chunks: from read(), or from a curl write
 * callback.
 *
 * Several dumps in one input (a restarting pod's log): each input is
 * grouped on its own and only one dump is kept, the last unless
 * want_dump names another (1-based); `dumps` says how many there were.  At
 * finish the kept dump is merged into the caller's grouping. */
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

#define DUMP_SNIFF_LEN 4096
#define DUMP_PROTO_MAX ((size_t)256 << 20)

struct dump_parser;
struct debug1_parser;

/* Which dump of an input goes to the grouping (one per parser thread). */
struct dump_select {
	struct grouping own;     /* the kept dump's goroutines */
	uint32_t want;           /* 0: the last */
	uint32_t seen;           /* number of the dump being read */
	uint32_t dumps;          /* dumps seen */
	const struct dump_parser *p; /* for the crash header of the kept dump */
	char preamble[256];
	char signal[160];
};

struct dump_input {
	struct grouping *g;
	size_t max_line;
	uint32_t want_dump;     /* set after init: 0 = the last dump, N = the Nth */
	enum dump_format format;
	bool gzipped;
	bool decided_gzip;
	struct gz_reader gz;
	unsigned char raw_sniff[2];
	size_t nraw_sniff;
	unsigned char sniff[DUMP_SNIFF_LEN];
	size_t nsniff;
	struct dump_parser *d2;
	struct debug1_parser *d1;
	struct dump_select sel;
	bool merged;
	struct strbuf proto;
	uint64_t raw_bytes;     /* bytes written, before gzip */
	uint64_t bytes;         /* bytes after gzip */
	bool elf;               /* the input is an ELF file */
	/* results, valid after finish */
	bool truncated;
	uint32_t dumps;           /* dumps (or profiles) in the input */
	uint64_t read_goroutines; /* goroutines or profile samples taken in (of the kept dump) */
	uint64_t long_lines;
	struct dump_stats stats; /* debug=2 parser statistics, after finish; the crash
				  * header fields are the kept dump's */
	bool parallel;           /* parse_buffer used two threads */
	struct gd_errbuf eb;
};

void dump_input_init(struct dump_input *in, struct grouping *g, size_t max_line);
void dump_input_release(struct dump_input *in);
/* GD_OK, or an error described in in->eb (without the source name). */
enum gd_err dump_input_write(struct dump_input *in, const void *buf, size_t n);
/* End of input; merges the kept dump into g (also on error). */
enum gd_err dump_input_finish(struct dump_input *in);
/* After a failed write: merge what was read so far into g (once). */
void dump_input_flush(struct dump_input *in);
typedef void (*dump_progress_fn)(uint64_t done, void *ctx);

/* Parse a whole input held in memory (an mmap'd file) and finish.  A big
 * debug=2 dump is cut in two at a goroutine boundary and the halves parsed
 * on two threads (2 cores is the machine we plan for); the result is the
 * same as write() + finish() (an input that turns out to hold several
 * dumps is parsed again on one thread).  progress (may be NULL) is called
 * from this thread with the bytes done so far.  `mapped`: buf is a private
 * read-only file mapping whose pages may be dropped once parsed (keeps RSS
 * small). */
enum gd_err dump_input_parse_buffer(struct dump_input *in, const char *buf, size_t len, bool mapped,
				    dump_progress_fn progress, void *progress_ctx);

/* Read a stream (a pipe, stdin, a file that cannot be mapped) to its end,
 * at most cap bytes (*capped says the cap cut it), and finish.  A second
 * thread does the read()s into a few 4 MiB buffers while this one parses,
 * so the copy out of the pipe overlaps the parse.  progress as above. *msg
 * gets a read error (strerror), the rest is in in->eb. */
enum gd_err dump_input_read_fd(struct dump_input *in, int fd, uint64_t cap, bool *capped,
			       dump_progress_fn progress, void *progress_ctx, char *msg, size_t msglen);

/* The debug=2 parser's statistics (preamble, prefix...), or NULL. */
const struct dump_stats *dump_input_stats(const struct dump_input *in);

#endif
