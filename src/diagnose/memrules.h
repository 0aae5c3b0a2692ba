/* SPDX-License-Identifier: MIT */
/* The memory verdict, one for every command.  `mem`, `ps` and `doctor`
 * evaluate the same rules (rules/memory.rules, kinds madv-free, heap-idle,
 * rss-outside-heap, thp and cgroup-limit) with the same thresholds, so a
 * process gets the same rule ids whichever command looks at it.
 *
 * A rule fires when its measured value is at least `min-bytes` and at least
 * `min-ratio` times its base (both are rule data; docs/rules.md, "Memory
 * rules", says why the bars are where they are).  What a rule cannot judge
 * (no /proc, no MemStats) does not fire. */
#ifndef GODIAG_MEMRULES_H
#define GODIAG_MEMRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/finding.h"
#include "diagnose/rules.h"
#include "linux/procfs.h"
#include "runtime/godebug.h"
#include "runtime/memstats.h"

/* What the memory rules look at.  Every pointer may be NULL (unknown); the
 * struct only borrows them. */
struct mem_facts {
	const struct procinfo *pi;
	const struct go_memstats *ms;
	const struct godebug_eval *policy;
	const char *go_version;  /* "go1.14.15" */
	bool is_go;
	const char *memstats_source;  /* for evidence; "MemStats" when NULL */
};

void mem_facts_init(struct mem_facts *f, const struct procinfo *pi, const struct go_memstats *ms,
		    const struct godebug_eval *policy, const char *go_version, bool is_go);

/* Whether a rule kind is one of the memory rules of this module. */
bool memrule_kind(enum rule_kind k);

/* A rule that fired, with the numbers it compared. */
struct mem_hit {
	const struct rule *rule;
	uint64_t value; /* LazyFree, idle heap, non-Go, AnonHugePages, cgroup usage */
	uint64_t base;  /* VmRSS, HeapSys, RssAnon, anonymous RSS, memory.max */
};

/* The bar itself: value >= min-bytes and value >= min-ratio x base. */
bool memrule_passes(const struct rule *r, uint64_t value, uint64_t base);
/* Evaluate one memory rule; false when it does not fire or cannot be
 * judged from f. */
bool memrule_eval(const struct rule *r, const struct mem_facts *f, struct mem_hit *out);
/* Evaluate every memory rule of rs in order; at most max hits. */
size_t memrules_eval(const struct ruleset *rs, const struct mem_facts *f, struct mem_hit *out, size_t max);
/* Evaluate every memory rule of rs and add one finding per hit to r
 * (summary, fix, evidence, facts).  Returns the number added. */
size_t memrules_run(const struct ruleset *rs, const struct mem_facts *f, struct report *r);

/* The advice for a MADV_FREE backlog that fits how the policy came about
 * (Go < 1.16, GODEBUG in the environment, -ldflags, go.mod). */
const char *memrules_policy_fix(const struct mem_facts *f);

#endif
