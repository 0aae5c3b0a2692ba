/* SPDX-License-Identifier: MIT */
/* One model for a Go heap profile, whether it arrived as the text of
 * /debug/pprof/heap?debug=1 or as the heap profile.proto (debug=0), and the
 * comparison of two of them ("which allocation sites grew").
 *
 * Values are ESTIMATES OF THE REAL TOTALS in both cases.  Go writes the
 * proto already scaled for sampling (scaleHeapSample in runtime/pprof) but
 * prints the debug=1 records raw; heap_profile_parse_text() applies the very
 * same formula (count and size times 1/(1-exp(-avgsize/rate)), with rate =
 * MemProfileRate = the header's heap/N divided by 2), so a text profile and
 * a proto profile of the same process state give the same numbers.  The raw
 * header line of the text is kept in `header` for whoever needs it.
 *
 * Stacks are normalised the way Go's proto writer does it, so that text and
 * proto sites match: leading runtime.* frames are dropped (unless the stack
 * has nothing else) and a trailing runtime.goexit is dropped.  Frames are
 * innermost first; "+0xOFF" is stripped; a frame without symbol has func
 * "0x..." and file "".  Sites whose four values are all 0 (buckets made
 * since the last GC) are not kept.  All strings are interned in the profile and live
 * until heap_profile_release().
 *
 * Bounded: input over HEAP_MAX_INPUT is refused, at most HEAP_MAX_SITES sites
 * and HEAP_MAX_FRAMES frames per site are kept (the rest is counted), lines
 * over HEAP_MAX_LINE are skipped.  Nothing here prints. */
#ifndef GODIAG_PPROF_HEAP_H
#define GODIAG_PPROF_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/memstats.h"
#include "util/error.h"
#include "util/intern.h"

#define HEAP_MAX_INPUT ((size_t)256 << 20)
#define HEAP_MAX_SITES ((size_t)1 << 20)
#define HEAP_MAX_FRAMES 1024
#define HEAP_MAX_LINE ((size_t)1 << 20)

struct heap_frame {
	const char *func; /* "main.allocKeep" (interned) */
	const char *file; /* "/src/app/main.go", "" when unknown (interned) */
	uint32_t line;
};

struct heap_site {
	struct heap_frame *frames; /* innermost first */
	uint32_t nframes;
	uint64_t inuse_objects;
	uint64_t inuse_bytes;
	uint64_t alloc_objects;
	uint64_t alloc_bytes;
	uint64_t key; /* hash of func+file+line of every frame (for matching) */
};

struct heap_totals {
	uint64_t inuse_objects, inuse_bytes, alloc_objects, alloc_bytes;
};

struct heap_header {
	bool valid;
	uint64_t inuse_objects, inuse_bytes, alloc_objects, alloc_bytes; /* raw, unscaled */
	uint64_t rate_field; /* the N of "heap/N", i.e. 2 * MemProfileRate */
};

struct heap_profile {
	struct heap_site *sites;
	size_t nsites, alloc;
	struct heap_totals totals; /* sum of the (scaled) sites */
	bool has_memstats;
	struct go_memstats memstats; /* the text's trailer; proto has none */
	/* MemProfileRate in bytes (a sample every N bytes on average); 0 when
	 * unknown, 1 when every allocation is recorded. */
	uint64_t sample_rate;
	bool from_proto;
	int64_t time_nanos;        /* proto only; 0 otherwise */
	struct heap_header header; /* text only */
	/* What could not be kept or looked wrong; none of them is an error. */
	bool truncated;            /* last record cut, or counts short of the header */
	uint64_t dropped_sites;    /* over HEAP_MAX_SITES */
	uint64_t capped_stacks;    /* sites whose frames went over HEAP_MAX_FRAMES */
	uint64_t noise_lines;      /* lines outside the grammar, skipped */
	struct intern names;
};

void heap_profile_init(struct heap_profile *hp);
void heap_profile_release(struct heap_profile *hp);

/* Parse heap?debug=1 text (the whole body).  GD_EFORMAT when it does not
 * start with a "heap profile:" header (leading blank lines are allowed),
 * GD_ETOOBIG over HEAP_MAX_INPUT.  A missing or damaged MemStats trailer is
 * not an error (has_memstats says).  On error hp holds what was parsed. */
enum gd_err heap_profile_parse_text(struct heap_profile *hp, const char *buf, size_t len,
				    struct gd_errbuf *eb);

/* Decode a heap profile.proto (gzip'd or not) through profile_decode().
 * GD_EFORMAT when it is not a heap profile (needs inuse_space; the other
 * three sample types are optional). */
enum gd_err heap_profile_from_proto(struct heap_profile *hp, const void *buf, size_t len,
				    struct gd_errbuf *eb);

struct heap_growth {
	const struct heap_site *site; /* a site of b with that stack */
	uint64_t before_bytes, after_bytes;     /* in-use bytes in a and in b */
	uint64_t before_objects, after_objects; /* in-use objects */
	int64_t delta_bytes, delta_objects;     /* after - before */
	int64_t delta_alloc_bytes;              /* allocated since start, b - a */
	bool new_site;                          /* not present in a at all */
};

/* The sites whose in-use bytes grew most from a to b, largest growth first,
 * matched by stack (function, file and line of every frame; sites of one
 * profile with the same stack are summed).  Only growth > 0 is reported.
 * Fills at most max entries and returns how many; the pointers point into b. */
size_t heap_profile_growth(const struct heap_profile *a, const struct heap_profile *b,
			   struct heap_growth *out, size_t max);

#endif
