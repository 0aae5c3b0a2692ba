/* SPDX-License-Identifier: MIT */
/* Writing a gzip'd profile.proto that `go tool pprof` opens.
 *
 * `godiag stacks --pprof FILE` turns goroutine buckets into samples (sample
 * types goroutine/count and wait/minutes, one sample per bucket), so the
 * usual pprof views (top, flame graph, -raw) work on what godiag read from a
 * debug=2 dump, which has no profile.proto form of its own.
 *
 * The builder copies everything it is given (frame strings are slices that
 * may die after the call), dedups strings, functions (name, file) and
 * locations (function, line), and gives every location a synthetic address
 * inside one synthetic mapping marked as already symbolized, so pprof never
 * tries to symbolize it against a binary.  A frame flagged GD_FRAME_INLINED
 * becomes its own location like any other frame. */
#ifndef GODIAG_PPROF_WRITE_H
#define GODIAG_PPROF_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/goroutine.h"
#include "util/error.h"
#include "util/intern.h"

struct pprof_sample_type {
	const char *type; /* "goroutine" */
	const char *unit; /* "count" */
};

struct pprof_map {
	struct pprof_map_slot *slots;
	size_t nslots, count;
};

struct pprof_builder {
	struct intern strs;
	const char **strtab;        /* string table, index order */
	size_t nstr, strtab_alloc;
	struct pprof_map strmap;    /* interned pointer -> string index */
	int64_t *funcs;             /* 2 per function: name, file string index */
	size_t nfuncs, funcs_alloc;
	struct pprof_map fnmap;     /* (name, file) -> function id */
	uint64_t *locs;             /* 2 per location: function id, line */
	size_t nlocs, locs_alloc;
	struct pprof_map locmap;    /* (function id, line) -> location id */
	uint64_t *sample_locs;      /* location ids of all samples, flat */
	size_t nsample_locs, sample_locs_alloc;
	struct pprof_sample *samples;
	size_t nsamples, samples_alloc;
	int64_t *values;            /* ntypes per sample, flat */
	size_t nvalues, values_alloc;
	int64_t *types;             /* 2 per sample type: type, unit string index */
	size_t ntypes;
	int64_t time_nanos;         /* set to now by init; callers may override */
	int64_t duration_nanos;
	int64_t period;             /* 1 unless changed; period type = types[0] */
};

/* Set up a builder for samples with n values each (n >= 1). */
void pprof_builder_init(struct pprof_builder *b, const struct pprof_sample_type *types, size_t n);
/* Add one sample: frames innermost first, values[ntypes], an optional
 * string label (both NULL for none).  Returns GD_EARG for a sample with no
 * frames. */
enum gd_err pprof_builder_add(struct pprof_builder *b, const struct gd_frame *frames,
			      uint32_t nframes, const int64_t *values,
			      const char *label_key, const char *label_val);
/* Serialize, gzip and write to f.  GD_EIO (eb filled) on a write error. */
enum gd_err pprof_builder_write(struct pprof_builder *b, FILE *f, struct gd_errbuf *eb);
/* The same into a malloc'd buffer (gzip'd), for callers that send it on. */
enum gd_err pprof_builder_encode(struct pprof_builder *b, unsigned char **out, size_t *outlen,
				 struct gd_errbuf *eb);
void pprof_builder_release(struct pprof_builder *b);

#endif
