/* SPDX-License-Identifier: MIT */
/* What kind of evidence a file holds, decided by its CONTENT (never by its
 * name), so `godiag doctor DIR` can read a ticket's attachments however
 * they were named: goroutine dumps (debug=2, debug=1, proto), goroutineleak
 * profiles, heap profiles (text and proto), copies of /proc/PID/status,
 * smaps_rollup, smaps, /proc/net/sockstat, `ss -tinp` text, expvar JSON,
 * Prometheus /metrics text, a godiag bundle manifest, and godiag's own
 * sock_diag recordings (the "GDNL" frames of a bundle's sockets.gdnl).
 *
 * Text is judged line by line over a window (the first SNIFF_WINDOW bytes,
 * SNIFF_MAX_LINES lines): each line that only one format would print votes
 * for it.  The format with most votes wins; a file with a sizeable share of
 * another format's lines (a status file with a dump pasted below it) is
 * reported as the dominant format with `mixed` set, and a file where no
 * format has enough votes, or two tie, is EV_UNKNOWN.  Formats whose parser
 * needs a header line first (debug=1, heap text, sockstat) must have it.
 * Binary input must be gzip or protobuf: gzip is inflated (capped) and
 * sniffed again; a protobuf is decoded and told apart by its sample types.
 * JSON is parsed (capped) and must be an object with the expected keys.
 * Pure: no I/O, no printing; the name is only carried for callers' logs. */
#ifndef GODIAG_DIAGNOSE_SNIFF_H
#define GODIAG_DIAGNOSE_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

#define SNIFF_WINDOW ((size_t)1 << 20)
#define SNIFF_MAX_LINES 4000
#define SNIFF_MAX_JSON ((size_t)16 << 20)
#define SNIFF_MAX_PROTO ((size_t)256 << 20)

enum evidence_kind {
	EV_UNKNOWN,
	EV_GOROUTINE_DEBUG2,
	EV_GOROUTINE_DEBUG1,
	EV_GOROUTINE_PROTO,
	EV_GOROUTINELEAK_DEBUG1,
	EV_GOROUTINELEAK_PROTO,
	EV_HEAP_TEXT,
	EV_HEAP_PROTO,
	EV_PROC_STATUS,
	EV_SMAPS_ROLLUP,
	EV_SMAPS,
	EV_SOCKSTAT,
	EV_SS_TEXT,
	EV_EXPVAR,
	EV_METRICS,
	EV_BUNDLE_MANIFEST,
	EV_NETLINK_RECORDING,
	EV_SERVER_SETTINGS,  /* census/settings.h's text: a server's timeouts read from memory */
	EV_KIND_MAX
};

/* "goroutine-debug2", "heap-proto", "proc-status", ... ("unknown"). */
const char *evidence_kind_name(enum evidence_kind k);
/* The kind called name (as evidence_kind_name() spells it); EV_UNKNOWN
 * for any other string, "unknown" included. */
enum evidence_kind evidence_kind_from_name(const char *name);

struct evidence_sniff_info {
	enum evidence_kind kind;
	bool mixed;          /* another format holds a sizeable share of the lines */
	enum evidence_kind other; /* that format (EV_UNKNOWN when not mixed) */
	bool gzipped;
	bool binary;         /* not text, whatever it turned out to be */
	unsigned votes;      /* lines that voted for kind (text only) */
	unsigned lines;      /* lines looked at */
};

/* The kind of buf[0..len).  `name` may be NULL. */
enum evidence_kind evidence_sniff(const char *name, const unsigned char *buf, size_t len);
/* The same with the details; info may be NULL. */
enum evidence_kind evidence_sniff_ex(const char *name, const unsigned char *buf, size_t len,
				     struct evidence_sniff_info *info);

#endif
