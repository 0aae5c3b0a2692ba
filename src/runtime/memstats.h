/* SPDX-License-Identifier: MIT */
/* The `# runtime.MemStats` block that a Go service appends to
 * /debug/pprof/heap?debug=1, parsed into numbers, and the split of a
 * process's RSS that those numbers allow (Go heap in use, idle, released,
 * stacks, runtime metadata, and what is not Go's at all).
 *
 * The block is one `# Key = value` line per field, in a fixed order, but
 * older Go versions print fewer keys, so every field is optional and has a
 * known bit.  `Stack`, `MSpan` and `MCache` are "inuse / sys" pairs.  The
 * parser is pure and bounded: it reads only the block, keeps no input bytes,
 * and ignores keys it does not know (PauseNs, PauseEnd, future ones). */
#ifndef GODIAG_RUNTIME_MEMSTATS_H
#define GODIAG_RUNTIME_MEMSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum go_memstats_field {
	MS_ALLOC, MS_TOTAL_ALLOC, MS_SYS, MS_LOOKUPS, MS_MALLOCS, MS_FREES,
	MS_HEAP_ALLOC, MS_HEAP_SYS, MS_HEAP_IDLE, MS_HEAP_INUSE, MS_HEAP_RELEASED,
	MS_HEAP_OBJECTS, MS_STACK_INUSE, MS_STACK_SYS, MS_MSPAN_INUSE, MS_MSPAN_SYS,
	MS_MCACHE_INUSE, MS_MCACHE_SYS, MS_BUCK_HASH_SYS, MS_GC_SYS, MS_OTHER_SYS,
	MS_NEXT_GC, MS_LAST_GC, MS_NUM_GC, MS_NUM_FORCED_GC, MS_MAX_RSS,
	MS_NR
};

struct go_memstats {
	uint64_t known;          /* bit (1ull << MS_x) */
	uint64_t v[MS_NR];
	bool gc_cpu_fraction_known;
	double gc_cpu_fraction;
	bool debug_gc_known, debug_gc;
};

/* "HeapReleased"; for the pairs, "StackInuse"/"StackSys" etc. (MemStats
 * field names, also used as JSON keys). */
const char *go_memstats_name(enum go_memstats_field f);

/* Find `# runtime.MemStats` in buf (a whole heap?debug=1 body, or just the
 * block) and parse the lines after it.  GD_EFORMAT when the block is absent
 * or holds no field; a bad value is GD_EFORMAT naming the line, with the
 * fields before and after it kept.  `name` names the input in messages. */
enum gd_err go_memstats_parse(const char *buf, size_t len, struct go_memstats *ms,
			      const char *name, struct gd_errbuf *eb);

/* Where the resident anonymous memory of a Go process went.  All bytes. */
struct go_mem_split {
	uint64_t heap_inuse;     /* HeapInuse: spans holding objects */
	uint64_t heap_idle;      /* HeapIdle - HeapReleased: free, still held */
	uint64_t heap_released;  /* HeapReleased: returned (MADV_FREE'd pages may still be resident) */
	uint64_t stacks;         /* StackSys */
	uint64_t metadata;       /* MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys */
	uint64_t go_retained;    /* Sys - HeapReleased: what GOMEMLIMIT controls */
	/* RssAnon - go_retained - LazyFree, floored at 0: cgo/C malloc,
	 * syscall.Mmap, thread stacks.  Untouched Go pages are not resident,
	 * so this is a lower bound. */
	uint64_t non_go;
	bool non_go_known;
};

/* Needs Sys, HeapInuse, HeapIdle, HeapReleased (returns false otherwise);
 * rss_anon/lazyfree may be 0 when unknown (then non_go_known is false). */
bool go_mem_split_compute(const struct go_memstats *ms, uint64_t rss_anon, bool rss_anon_known,
			  uint64_t lazyfree, struct go_mem_split *out);

#endif
