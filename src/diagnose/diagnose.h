/* SPDX-License-Identifier: MIT */
/* Rules over snapshots: the analysis step of `godiag doctor`.
 *
 * A goroutine rule counts the goroutines of the buckets it matches, then
 * asks whether they are old: waited at least the idle threshold (debug=2
 * wait minutes), sit on TCP sockets idle at least that long (sock_diag's
 * last_data_recv), or grew between two snapshots.  A large pool that is
 * young and stable is not a leak and gets no finding. */
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

/* Run every rule; `before` may be NULL (one snapshot) or an earlier
 * snapshot of the same service, for growth rules.  Findings go to r. */
void diagnose_run(const struct ruleset *rs, const struct snapshot *before, const struct snapshot *now,
		  const struct diagnose_opts *o, struct report *r);

#endif
