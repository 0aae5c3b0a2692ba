/* SPDX-License-Identifier: MIT */
/* Diagnosis rules as data.  The built-in rules (rules/NAME.rules) are compiled
 * into the binary; `--rules FILE` adds the user's own, e.g. for their RPC
 * framework's stacks.  The format is documented in docs/rules.md.
 *
 * A rule file is a list of sections:
 *
 *   [rule http-server-idle-conn]
 *   kind = goroutines
 *   severity = critical
 *   frame = ^net/http\.\(\*conn\)\.serve$
 *   state = IO wait
 *   ...
 *   snippet <<END
 *   srv := &http.Server{...}
 *   END
 *
 * Parsing is pure and bounded: a file over RULES_MAX_BYTES, a line over
 * RULES_MAX_LINE, more than RULES_MAX_RULES rules, an unknown key, or a bad
 * regular expression is an error naming the file and line. */
#ifndef GODIAG_RULES_H
#define GODIAG_RULES_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/finding.h"
#include "util/error.h"

#define RULES_MAX_BYTES ((size_t)1 << 20)
#define RULES_MAX_LINE 4096
#define RULES_MAX_RULES 256
#define RULES_MAX_STATES 16
#define RULES_MAX_REFS 8

enum rule_kind {
	RULE_GOROUTINES,    /* buckets matching frame patterns and states */
	RULE_LEAK_PROFILE,  /* goroutines the goroutineleak profile proved leaked */
	RULE_HEAP_GROWTH,   /* heap in use grows between two snapshots */
	RULE_MADV_FREE,     /* RSS held by MADV_FREE'd pages (LazyFree) */
	RULE_HEAP_IDLE,     /* HeapIdle - HeapReleased large: scavenger lag */
	RULE_RSS_OUTSIDE,   /* RSS well above MemStats Sys: cgo, mmap */
	RULE_THP,           /* AnonHugePages a large share of anonymous RSS */
	RULE_CGROUP_LIMIT,  /* the cgroup's usage near memory.max */
};

enum rule_sockets {
	SOCKETS_NONE,
	SOCKETS_INBOUND,  /* ESTABLISHED sockets on the process's listening ports */
	SOCKETS_OUTBOUND, /* ESTABLISHED sockets to remote listeners */
};

enum rule_scope {
	SCOPE_ALL,    /* one finding for all matching buckets together */
	SCOPE_BUCKET, /* one finding per matching bucket (site) */
};

struct rule {
	char *id;
	enum rule_kind kind;
	enum severity severity;
	char *title;
	/* goroutines: a bucket matches when some frame's function matches
	 * `frame` (and, if set, some frame matches `frame_also`), and its
	 * goroutines are counted in the listed states (all states if none). */
	regex_t frame, frame_also, exclude;
	bool has_frame, has_frame_also, has_exclude;
	char *states[RULES_MAX_STATES];
	size_t nstates;
	uint32_t per_connection;  /* goroutines per connection (gRPC: 3) */
	enum rule_sockets sockets;
	enum rule_scope scope;
	/* Firing: at least min_goroutines that are old (waited >= the idle
	 * threshold, sit on sockets idle that long, or grew between two
	 * snapshots); or, in unaged_states, at least unaged_min whatever
	 * their age (a goroutine blocked on a send nobody receives is stuck). */
	uint64_t min_goroutines;
	char *unaged_states[RULES_MAX_STATES];
	size_t nunaged_states;
	uint64_t unaged_min;
	/* metric kinds: thresholds, in bytes or as a ratio */
	uint64_t min_bytes;
	double min_ratio;
	double confidence;        /* base confidence */
	char *summary;            /* template: {goroutines} {max_wait} {sockets} ... */
	/* What the finding lets godiag infer but never read, e.g. "no
	 * IdleTimeout or ReadTimeout"; shown as an inferred fact with the age
	 * it rests on. */
	char *inferred;
	/* Goroutines parked where a worker pool parks (a channel receive):
	 * a fixed count with equal ages is "could be an idle pool" (info). */
	bool pool_check;
	char *fix;
	char *snippet;
	char *refs[RULES_MAX_REFS];
	size_t nrefs;
	char *origin;             /* "built-in" or the file name */
};

struct ruleset {
	struct rule *rules;
	size_t n, alloc;
};

void ruleset_init(struct ruleset *rs);
void ruleset_release(struct ruleset *rs);
/* Parse rules from text; `origin` names the input in messages.  A rule whose
 * id is already in rs replaces it (so users can retune a built-in rule). */
enum gd_err ruleset_parse(struct ruleset *rs, const char *text, size_t len, const char *origin,
			  struct gd_errbuf *eb);
enum gd_err ruleset_load_file(struct ruleset *rs, const char *path, struct gd_errbuf *eb);
/* The rules compiled into the binary. */
enum gd_err ruleset_load_builtin(struct ruleset *rs, struct gd_errbuf *eb);
const struct rule *ruleset_find(const struct ruleset *rs, const char *id);

/* A rule's summary and fix are templates with {name} placeholders; a
 * placeholder with no value stays as written. */
struct rule_var {
	const char *name;
	char value[512];
};

struct rule_var *rule_var_set(struct rule_var *v, size_t *n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The expanded template, malloc'd (capped at 16 KiB). */
char *rule_expand(const char *tmpl, const struct rule_var *vars, size_t nvars);
/* A finding of `rule` in r: its id, severity, expanded summary and fix,
 * snippet and refs. */
struct finding *rule_add_finding(struct report *r, const struct rule *rule, double confidence,
				 const struct rule_var *vars, size_t nvars);

#endif
