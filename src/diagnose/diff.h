/* SPDX-License-Identifier: MIT */
/* What grew between two snapshots of one service (`godiag diff A B`).
 *
 * Three comparisons, each made only when both snapshots hold that kind of
 * evidence (otherwise a note says why not):
 *  - goroutine buckets, matched by stack key: the function, file and line
 *    of every frame (not the creator, not arguments), so a debug=1 profile
 *    compares with a debug=2 dump; buckets of one side with the same key
 *    are summed.  Count before/after and the wait minutes of each side;
 *  - heap allocation sites by in-use bytes (heap_profile_growth(), both
 *    ways, so sites that shrank are kept too);
 *  - TCP sockets (LISTEN rows aside) by peer: inbound ones by the remote
 *    address and our listening port, outbound ones by remote address and
 *    port (ephemeral ports would make every socket a peer of its own).
 *
 * Entries are sorted by growth, largest first (then by wait growth for
 * buckets); an entry "grew" when its growth reaches the options' minimum.
 * The model points into the two snapshots, which must outlive it. */
#ifndef GODIAG_DIAGNOSE_DIFF_H
#define GODIAG_DIAGNOSE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/snapshot.h"

struct diff_opts {
	uint64_t min_goroutines; /* a bucket grew by at least this many (default 1) */
	uint64_t min_bytes;      /* a heap site grew by at least this many bytes (default 1) */
	uint64_t min_sockets;    /* a peer grew by at least this many sockets (default 1) */
};

void diff_opts_init(struct diff_opts *o);

struct diff_wait {
	bool known;
	uint32_t min, median, max; /* minutes */
};

struct diff_bucket {
	uint64_t key;
	const struct bucket *rep;  /* frames to show: B's bucket, or A's when gone */
	uint64_t before, after;
	int64_t delta;
	struct diff_wait wait_before, wait_after;
	const char *state;         /* the most common state on B's side (A's when gone), or NULL */
	bool grew;
};

struct diff_site {
	const struct heap_site *site; /* frames: B's site, or A's when it shrank */
	uint64_t before_bytes, after_bytes, before_objects, after_objects;
	int64_t delta_bytes, delta_objects;
	bool new_site, grew;
};

struct diff_peer {
	char peer[96];             /* "10.0.0.5:5432", "10.0.0.7 -> :8080" */
	bool inbound;
	uint64_t before, after;
	int64_t delta;
	bool grew;
};

struct diff_result {
	const struct snapshot *a, *b;
	int64_t seconds;           /* b->time - a->time; 0 when unknown */

	bool has_goroutines;       /* both sides had goroutines */
	uint64_t goroutines_before, goroutines_after;
	struct diff_bucket *buckets;
	size_t nbuckets;

	bool has_heap;
	uint64_t heap_before, heap_after; /* in-use bytes, summed over the sites */
	struct diff_site *sites;
	size_t nsites;

	bool has_sockets;
	uint64_t sockets_before, sockets_after; /* LISTEN rows aside */
	struct diff_peer *peers;
	size_t npeers;

	size_t grew;               /* entries that grew, over all three */
	char **notes;              /* what could not be compared, and why */
	size_t nnotes, notes_alloc;
};

/* Compare a (earlier) with b (later). */
void diff_compute(struct diff_result *d, const struct snapshot *a, const struct snapshot *b,
		  const struct diff_opts *o);
void diff_release(struct diff_result *d);

#endif
