/* SPDX-License-Identifier: MIT */
/* One snapshot of the patient: everything godiag could learn about a Go
 * service at one time, from one TARGET, with where each fact came from and
 * what could not be read (recorded as pieces in the report snapshot).
 *
 * TARGET is a PID (live /proc, sock_diag, ELF build info, and the pprof
 * endpoint found on the process's own loopback listeners), an http(s) base
 * URL (the pprof endpoints under /debug/pprof/), a directory of evidence
 * (a bundle read through its manifest, or files attached to a ticket,
 * recognised by content), or one evidence file (a dump, a profile).
 *
 * This module is the only writer of struct snapshot.  Every piece of
 * evidence that arrives as bytes (a file, a body fetched from a URL or from
 * a PID's own pprof endpoint) goes through snapshot_apply(); the live
 * process's /proc facts and sockets come from their readers in linux/.
 *
 * Do no harm: collection is read-only, sends no signal, and asks for the
 * stop-the-world debug=2 dump only when the pause estimated from debug=1
 * (goroutines x mean depth) fits the budget. */
#ifndef GODIAG_SNAPSHOT_H
#define GODIAG_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnose/bundle.h"
#include "diagnose/evidence_dir.h"
#include "diagnose/finding.h"
#include "diagnose/survival.h"
#include "goroutine/group.h"
#include "linux/buildinfo.h"
#include "linux/procfs.h"
#include "linux/sockets.h"
#include "pprof/heap.h"
#include "runtime/godebug.h"
#include "runtime/memstats.h"
#include "remote/fetch.h"
#include "census/settings.h"

struct collect_opts {
	const char *proc_root;        /* NULL: /proc */
	const char *sys_root;         /* NULL: /sys */
	const char *replay_netlink;   /* the sockets from this sock_diag recording */
	double max_stw_ms;            /* pause budget for debug=2 */
	struct fetch_opts fetch;
	struct bundle_writer *bundle; /* when set, every raw piece is saved there */
	const char *pprof_url;        /* a PID's endpoint, given: no probing */
	int64_t deadline_ms;          /* CLOCK_MONOTONIC ms for all of a target's requests;
				       * 0: now + fetch.total_timeout_ms at the first */
	bool quiet;
	bool no_read_memory;          /* no goroutine census from memory (census/) */
};

void collect_opts_init(struct collect_opts *o);

struct snapshot {
	char *label;
	int64_t time;
	int pid;                     /* 0 when not a live process */
	char *base_url;              /* pprof base URL used, or NULL */

	bool has_goroutines;         /* debug=2 (with states and waits) or debug=1/0 */
	bool goroutines_have_waits;  /* from debug=2: wait minutes known */
	bool goroutines_truncated;
	struct grouping g;
	bool has_ids;                /* every goroutine's id, stack key and wait (debug=2) */
	struct survival_set ids;
	bool has_leak_profile;
	struct grouping leak;

	bool has_proc;
	struct procinfo pi;
	bool has_buildinfo;
	struct go_buildinfo bi;
	bool has_policy;
	struct godebug_eval policy;

	bool has_memstats;
	struct go_memstats ms;
	char memstats_source[256];
	bool has_heap;
	struct heap_profile heap;

	struct server_settings_list settings; /* read from memory (census/settings.h) */

	bool has_sockets;
	struct tcp_sock_list socks;
	uint16_t listen_ports[64];
	size_t nlisten;
};

void snapshot_init(struct snapshot *s);
void snapshot_release(struct snapshot *s);

/* Collect everything TARGET offers into s, recording each piece (read or
 * not, and why) in rs.  Returns GD_OK if anything at all was read;
 * otherwise an error with eb naming the target and the problem. */
enum gd_err snapshot_collect(struct snapshot *s, const char *target, const struct collect_opts *o,
			     struct report_snapshot *rs, struct gd_errbuf *eb);

/* Apply one piece of evidence to s, whatever its origin, and record it
 * in rs (read, with a note, or failed and why).  Goroutine dumps: a
 * debug=2 dump (states, waits) wins over debug=1/proto ones, and the first
 * of each wins over later ones.  Returns true when the piece was used. */
bool snapshot_apply(struct snapshot *s, const struct evidence_piece *p, struct report_snapshot *rs);

/* Fill listen_ports from the sockets' LISTEN rows.  With guess (only for
 * `ss -tinp` text, which shows no LISTEN rows without -a), when there are
 * none, a local port that several ESTABLISHED sockets share counts as a
 * listener: a client's sockets each have their own ephemeral port.  Live
 * or recorded sock_diag data lists LISTEN rows, so there, none means none. */
void snapshot_find_listeners(struct snapshot *s, bool guess);

/* What a bundle's manifest says about s beside its files (strings copied;
 * bundle_identity_release() frees them). */
void snapshot_bundle_identity(const struct snapshot *s, struct bundle_identity *id);

/* Estimated stop-the-world pause of a debug=2 dump, in ms, from the
 * goroutine count and mean stack depth (DESIGN: ~2-22 us per goroutine). */
double snapshot_estimate_stw_ms(uint64_t goroutines, double mean_depth);

#endif
