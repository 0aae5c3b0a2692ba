/* SPDX-License-Identifier: MIT */
/* Decoding pprof profile.proto (goroutine, goroutineleak, heap, any other)
 * into a plain C model, so nothing outside src/pprof touches protobuf-c.
 *
 * The input is untrusted: it may be plain protobuf or gzip'd (sniffed), the
 * decompressed size is capped (GD_ETOOBIG "decompressed size exceeds
 * 256 MiB"), the memory the decoded message may take is capped too (a few
 * bytes of protobuf can describe many empty messages), and every string
 * index, location id and function id is checked, so a profile that decodes
 * successfully can be walked without any further range checks.
 *
 * Ownership: every pointer in the model points into memory owned by the
 * struct profile and stays valid until profile_release().  Strings are
 * NUL-terminated (a string containing a NUL byte is cut there) and may be
 * any bytes (not validated as UTF-8): escape before printing. */
#ifndef GODIAG_PPROF_PROFILE_H
#define GODIAG_PPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/goroutine.h"
#include "util/error.h"

#define PROFILE_DEFAULT_MAX_DECOMPRESSED ((size_t)256 << 20)
#define PROFILE_DEFAULT_MAX_MEMORY ((size_t)1 << 30)

struct profile_limits {
	size_t max_decompressed; /* 0: PROFILE_DEFAULT_MAX_DECOMPRESSED */
	size_t max_memory;       /* 0: PROFILE_DEFAULT_MAX_MEMORY */
};

struct profile_value_type {
	const char *type; /* "goroutine", "inuse_space", ... ("" if unset) */
	const char *unit; /* "count", "bytes", ... */
};

struct profile_function {
	uint64_t id;
	const char *name;        /* "net/http.(*conn).serve" */
	const char *system_name;
	const char *filename;
	uint32_t name_len, filename_len;
	int64_t start_line;      /* 0 before Go 1.20 */
};

struct profile_line {
	const struct profile_function *function;
	int64_t line;
};

struct profile_location {
	uint64_t id;
	uint64_t mapping_id;
	uint64_t address;
	/* lines[0] is the innermost (inlined) call, lines[nlines-1] the
	 * function the others were inlined into.  0 lines: unsymbolized. */
	struct profile_line *lines;
	uint32_t nlines;
};

struct profile_label {
	const char *key;
	const char *str;      /* NULL for a numeric label */
	int64_t num;
	const char *num_unit; /* "" if unset */
};

struct profile_sample {
	const int64_t *values;               /* nsample_types values */
	const struct profile_location **locs; /* leaf (innermost) first */
	struct profile_label *labels;
	uint32_t nlocs;
	uint32_t nlabels;
};

struct profile {
	struct profile_value_type *sample_types;
	size_t nsample_types;
	struct profile_sample *samples;
	size_t nsamples;
	struct profile_location *locations;
	size_t nlocations;
	struct profile_function *functions;
	size_t nfunctions;
	size_t nmappings;
	const char **comments;
	size_t ncomments;
	struct profile_value_type period_type;
	int64_t period;
	int64_t time_nanos;
	int64_t duration_nanos;
	const char *default_sample_type; /* "" if unset */
	size_t decoded_bytes;            /* size of the protobuf after gunzip */
	void *priv;                      /* the decoded message and its allocator */
};

void profile_init(struct profile *p);
/* Decode buf (gzip'd or plain profile.proto).  limits may be NULL.  On
 * error p is left empty (still safe to release) and eb says what is wrong. */
enum gd_err profile_decode(struct profile *p, const void *buf, size_t len,
			   const struct profile_limits *limits, struct gd_errbuf *eb);
void profile_release(struct profile *p);

/* Index of the sample type named `type`, or -1. */
int profile_sample_type_index(const struct profile *p, const char *type);
/* True for a goroutine or goroutineleak count profile. */
bool profile_is_goroutine(const struct profile *p);

/* Walk a goroutine (or goroutineleak) profile as records: one per sample
 * with a positive count (samples with count <= 0 are skipped), frames
 * innermost first with inlined lines expanded (each inlined line gets
 * GD_FRAME_INLINED), args empty.  A location without lines becomes one frame
 * whose func is its address "0x4605c4", file "" and flag GD_FRAME_NOFILE.
 * Unlike debug=1 text, runtime frames (runtime.gopark ...) are kept.
 * Labels are the string labels formatted as debug=1 prints them,
 * `{"k":"v", "k2":"v2"}` (Go %q quoting, pairs sorted), or "".  The count
 * comes from the goroutine/goroutineleak value (value 0 for other
 * profiles).  Returns 0 after the last sample, or the first nonzero value
 * the callback returned (which stops the walk). */
int profile_goroutine_records(const struct profile *p, gd_record_fn fn, void *ctx);

/* The same walk, with each stack as Go's debug=1 printer shows it
 * (printStackRecord): the leading runtime.X and internal/runtime/X frames
 * (runtime.gopark, selectgo, chanrecv...) and runtime.goexit hidden, unless
 * nothing else would remain.  debug=1 and debug=2 show stacks this way, so
 * the three formats of one process group alike. */
int profile_goroutine_records_debug1(const struct profile *p, gd_record_fn fn, void *ctx);

/* Total of the goroutine count over all samples (what debug=1 prints as
 * "total N"). */
uint64_t profile_goroutine_total(const struct profile *p);

#endif
