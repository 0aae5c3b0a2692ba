/* SPDX-License-Identifier: MIT */
/* Which goroutines survived between two snapshots.
 *
 * The grouping keeps only the first few ids of a bucket, so a second look
 * needs its own compact record of every goroutine of a debug=2 dump: its
 * id, a key for its stack (the same for a goroutine parked at the same
 * place in both dumps) and its wait minutes.  24 bytes a goroutine, capped
 * at SURVIVAL_MAX goroutines (a dump beyond that is marked truncated and
 * survival is then counted on the goroutines kept). */
#ifndef GODIAG_SURVIVAL_H
#define GODIAG_SURVIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goroutine/group.h"
#include "util/error.h"

#define SURVIVAL_MAX ((size_t)4 << 20)

struct gsurvivor {
	uint64_t goid;
	uint64_t key;           /* survival_frames_key() of its stack */
	uint32_t wait_minutes;  /* 0: under a minute or not printed */
	bool has_wait;
};

struct survival_set {
	struct gsurvivor *v;    /* sorted by goid after survival_set_parse() */
	size_t n, alloc;
	bool truncated;
};

void survival_set_init(struct survival_set *ss);
void survival_set_release(struct survival_set *ss);

/* Read every goroutine of a debug=2 text dump (the whole buffer). */
enum gd_err survival_set_parse(struct survival_set *ss, const char *buf, size_t len, struct gd_errbuf *eb);

/* The key of a stack, by function and line of every frame: equal for a
 * goroutine of a dump and the bucket it was grouped into. */
uint64_t survival_frames_key(const struct gd_frame *frames, uint32_t nframes);

struct survival_count {
	uint64_t earlier;   /* goroutines of the keys in the earlier dump */
	uint64_t survived;  /* of those, present in the later one at the same stack */
	uint64_t waits_grew;/* of the survivors, with a wait that did not go down */
};

/* Count the goroutines of `keys` (bucket keys of a rule's buckets in the
 * later dump) that were there, at the same stack, in the earlier one. */
void survival_count(const struct survival_set *earlier, const struct survival_set *later, const uint64_t *keys,
		    size_t nkeys, struct survival_count *out);

#endif
