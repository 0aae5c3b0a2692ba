/* SPDX-License-Identifier: MIT */
/* Grouping goroutines into buckets of similar stacks.
 *
 * A grouping consumes goroutines (from a debug=2 dump) or records (from a
 * debug=1 / debug=0 profile) one at a time and keeps only per-bucket
 * aggregates, so its memory grows with the number of distinct stacks and
 * distinct wait times, never with the number of goroutines.  Strings are
 * interned: each function and file name is stored once. */
#ifndef GODIAG_GROUP_H
#define GODIAG_GROUP_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/goroutine.h"
#include "util/intern.h"

enum group_mode {
	GROUP_ANY_ARGS,   /* same functions, files and lines; arguments ignored (default) */
	GROUP_EXACT_ARGS, /* ... and the same argument text */
	GROUP_TOP_N,      /* only the innermost N frames are compared */
	GROUP_CREATOR,    /* by the "created by" site */
};

#define BUCKET_MAX_IDS 8

struct state_count {
	const char *state; /* interned */
	uint64_t count;
};

/* One distinct pprof label set of a bucket and how many goroutines had it.
 * labels is interned, "" for goroutines without labels. */
struct label_count {
	const char *labels;
	uint64_t count;
};

/* Distinct label sets kept per bucket; the rest are counted together
 * (labels_other), so a label per request cannot blow up memory. */
#define BUCKET_MAX_LABEL_SETS 64

struct wait_count {
	uint32_t minutes;
	uint64_t count;
};

/* Wait-time histogram bins, in minutes: [0,1) [1,5) [5,15) [15,60) [60,360)
 * [360,1440) [1440,inf). */
#define WAIT_BINS 7
extern const uint32_t wait_bin_lower[WAIT_BINS];
extern const char *const wait_bin_label[WAIT_BINS];

struct bucket {
	uint64_t hash;
	uint64_t count;
	struct gd_frame *frames; /* interned strings; args kept in exact mode only */
	uint32_t nframes;
	uint32_t elided;
	bool elided_unknown;
	bool has_creator;
	struct gd_frame creator;
	const char *labels; /* interned, of the first goroutine (debug=1/0, Go 1.27 dumps) */
	bool labels_mixed;  /* its goroutines carry different labels */
	struct label_count *label_sets; /* in order of first sighting */
	size_t nlabel_sets, label_sets_alloc;
	uint64_t labels_other; /* goroutines with a label set beyond BUCKET_MAX_LABEL_SETS */
	bool crashed;       /* holds the goroutine that crashed */
	struct state_count *states;
	size_t nstates, states_alloc;
	struct wait_count *waits; /* sorted by minutes; 0 stands for "under a minute" */
	size_t nwaits, waits_alloc;
	uint64_t with_wait;  /* goroutines that printed ", N minutes" */
	uint64_t wait_sum;   /* minutes, summed: the pprof "wait" value */
	uint64_t locked, leaked, unavailable;
	uint64_t ids[BUCKET_MAX_IDS];
	uint32_t nids;
};

struct group_filter {
	const char **states; /* keep goroutines in one of these states (NULL: all) */
	size_t nstates;
	uint32_t min_wait;   /* minutes */
	bool has_min_wait;
	regex_t *match;      /* keep buckets with a frame whose func or file matches */
	uint64_t min_count;  /* keep buckets with at least this many goroutines */
	const char **labels; /* "KEY=VALUE": keep goroutines carrying every one */
	size_t nlabels;
};

struct grouping {
	enum group_mode mode;
	uint32_t top_n;
	struct group_filter filter;
	struct intern strings;
	struct bucket *buckets;
	size_t nbuckets, buckets_alloc;
	uint32_t *index; /* open addressing: bucket number + 1, 0 = empty */
	size_t index_size;
	uint64_t total;       /* every goroutine read */
	uint64_t filtered;    /* goroutines dropped by the state / wait filters */
	struct state_count *states; /* totals by state over every goroutine */
	size_t nstates, states_alloc;
	uint64_t locked, leaked;
	bool has_states;      /* false for profiles without states (debug=1/0) */
	const char *last_state; /* interned; most goroutines share a state with the previous one */
	uint32_t last_bucket; /* bucket number + 1 of the last goroutine (0: none) */
	uint32_t prev_bucket; /* the same for the goroutine just before, 0 if it was filtered out */
	uint64_t unknown;     /* goroutines merged from profiles without states (counted as "unknown") */
	bool has_crash;       /* crash_goid names the goroutine that crashed */
	uint64_t crash_goid;
};

/* The state goroutines of a debug=1 / debug=0 input get when merged with a
 * dump that has states. */
#define GROUP_UNKNOWN_STATE "unknown"


void grouping_init(struct grouping *g, enum group_mode mode, uint32_t top_n);
void grouping_release(struct grouping *g);

/* Callbacks for the parsers (gd_goroutine_fn / gd_record_fn); ctx is the
 * grouping.  They return 0.  A grouping takes one parser's goroutines at a
 * time: GD_G_SAME_STACK sends a goroutine to the bucket of the one received
 * just before. */
int grouping_add_goroutine(const struct gd_goroutine *gr, void *ctx);
int grouping_add_record(const struct gd_record *r, void *ctx);

/* Add everything src counted into dst, bucket by bucket (src's buckets in
 * their order, so dst keeps the first IDs seen).  Both must use the same
 * mode; src is left unchanged.  The goroutines of a src without states
 * (a profile) are counted in dst->states and the buckets' states as
 * GROUP_UNKNOWN_STATE, and in dst->unknown. */
void grouping_merge(struct grouping *dst, const struct grouping *src);

/* Did a and b count the same goroutines into the same buckets, in the same
 * order, with the same stacks (func, file, line, args), creators, states
 * and waits?  For
 * the tests and fuzz harnesses that check a parser's shortcuts against its
 * plain path. */
bool grouping_same(const struct grouping *a, const struct grouping *b);

/* The buckets that pass the bucket filters, sorted by count (descending),
 * then by innermost function name.  Returns a new array of pointers into g;
 * free() it. */
struct bucket **grouping_sorted(struct grouping *g, size_t *n);

/* Does a label text (debug=1's {"k":"v", ...} or Go 1.27's {k: v, ...})
 * hold key=value?  "KEY=VALUE" is split at the first '='. */
bool labels_match(const char *labels, size_t n, const char *key_value);

/* The bucket holding the goroutine that crashed, or NULL. */
const struct bucket *grouping_crash_bucket(const struct grouping *g);

/* Wait-time figures of a bucket; false when no goroutine printed minutes. */
bool bucket_wait_stats(const struct bucket *b, uint32_t *min, uint32_t *median, uint32_t *max);
void bucket_wait_histogram(const struct bucket *b, uint64_t bins[WAIT_BINS]);


#endif
