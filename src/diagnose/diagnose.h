/* SPDX-License-Identifier: MIT */
/* Rules over snapshots: the analysis step of `godiag doctor`.
 *
 * A goroutine rule counts the goroutines of the buckets it matches, then
 * grades their age: waited (debug=2 wait minutes), sat on TCP sockets idle
 * (sock_diag's last_data_recv), survived between two snapshots (the same
 * goroutine ids, the same idle 4-tuples), or grew.  Past the idle
 * threshold a finding has the rule's severity; past the suspect floor it
 * is a warning; younger shapes go to the report's "seen, not a finding".
 * Pool-check rules call a fixed, equal-aged site from one creator a
 * possible pool (info).  docs/rules.md has the whole reasoning. */
#ifndef GODIAG_DIAGNOSE_H
#define GODIAG_DIAGNOSE_H

#include <stdint.h>

#include "diagnose/finding.h"
#include "diagnose/rules.h"
#include "diagnose/snapshot.h"

struct diagnose_opts {
	uint32_t idle_threshold_s; /* "held open" from this idle time on: the rule's severity */
	uint32_t suspect_after_s;  /* from this age on, a warning with lower confidence */
};

/* Defaults: idle threshold 10 min, suspect floor 2 min (a floor above the
 * threshold is the threshold).  Callers set what they change after it. */
void diagnose_opts_init(struct diagnose_opts *o);

/* Run every rule; `before` may be NULL (one snapshot) or an earlier
 * snapshot of the same service, for growth rules.  Findings go to r. */
void diagnose_run(const struct ruleset *rs, const struct snapshot *before, const struct snapshot *now,
		  const struct diagnose_opts *o, struct report *r);

#endif
