/* SPDX-License-Identifier: MIT */
/* Finding a Go service's pprof endpoint and reading its index page.
 *
 * pprof_index_parse() reads the HTML of BASE/debug/pprof/ as net/http/pprof
 * writes it: a table row per profile with its count and a link
 * `NAME?debug=1` (Go >= 1.13: <tr><td>N</td><td><a href='NAME?debug=1'>;
 * older: <tr><td align=right>N<td><a href="NAME?debug=1">).  The goroutine
 * count tells how long a debug=2 dump would stop the world.
 *
 * pprof_endpoint_from_socks() looks at the process's own LISTEN sockets bound
 * to loopback or the any address and GETs http://127.0.0.1:PORT/debug/pprof/
 * (or [::1]) with a 1 s timeout each, at most DISCOVER_MAX_PROBES ports,
 * the least busy first (a probe is a request the application may serve
 * itself); the first that answers with Go's index wins. */
#ifndef GODIAG_REMOTE_DISCOVER_H
#define GODIAG_REMOTE_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "remote/fetch.h"
#include "util/error.h"

#define PPROF_INDEX_MAX_BYTES ((size_t)256 << 10)
#define PPROF_INDEX_MAX_PROFILES 64
#define DISCOVER_MAX_PROBES 16

struct pprof_index_entry {
	char name[32];   /* "goroutine", "heap", "goroutineleak", ... */
	uint64_t count;
};

struct pprof_index {
	struct pprof_index_entry v[PPROF_INDEX_MAX_PROFILES];
	size_t n;
	bool has_full_dump_link; /* the "goroutine?debug=2" link */
};

/* Parse the index HTML.  GD_EFORMAT when no profile row is found. */
enum gd_err pprof_index_parse(const char *html, size_t len, struct pprof_index *out,
			      struct gd_errbuf *eb);
/* The entry called name, or NULL. */
const struct pprof_index_entry *pprof_index_get(const struct pprof_index *idx, const char *name);

/* GET BASE/debug/pprof/ (base_url like "http://host:6060", a trailing
 * slash is fine) and parse it.  opts may be NULL (fetch defaults, with the
 * body capped at PPROF_INDEX_MAX_BYTES).  Fetch errors pass through; a page
 * that is not Go's index is GD_EFORMAT naming the URL. */
enum gd_err pprof_index_fetch(const char *base_url, const struct fetch_opts *opts,
			      struct pprof_index *out, struct gd_errbuf *eb);

/* Probe the loopback/any LISTEN ports of a process's socket list (read
 * by doctor, by ps) for /debug/pprof/.  On GD_OK out_base_url is
 * "http://127.0.0.1:PORT" (or "http://[::1]:PORT").  GD_ENOENT (message
 * says how many ports were tried) when none answered.  opts NULL means 1 s
 * timeouts. */
struct tcp_sock_list;

/* The options of a probe: 1 s timeouts, 256 KiB, no redirect, and (when
 * netns_pid > 0) the socket made inside that process's network namespace,
 * because its 127.0.0.1:PORT is not ours (a container's loopback). */
void pprof_probe_opts_init(struct fetch_opts *fo, int netns_pid);

enum gd_err pprof_endpoint_from_socks(const struct tcp_sock_list *l, const struct fetch_opts *opts,
				      char *out_base_url, size_t outlen, struct gd_errbuf *eb);

/* Open a plain TCP connection to the host and port of base_url
 * ("http://127.0.0.1:PORT" or "http://[::1]:PORT"), from inside
 * netns_pid's network namespace when netns_pid > 0, within timeout_ms.
 * Sends nothing.  On GD_OK *fd is the connected socket (the caller closes
 * it) and *local_port / *remote_port its two ports, so the caller can find
 * the server's end of it among the target's sockets. */
enum gd_err pprof_endpoint_connect(const char *base_url, int netns_pid, long timeout_ms, int *fd,
				   uint16_t *local_port, uint16_t *remote_port, struct gd_errbuf *eb);

#endif
