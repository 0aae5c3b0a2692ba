/* SPDX-License-Identifier: MIT */
/* HTTP(S) GET over libcurl for everything godiag reads from a target
 * (pprof endpoints, metrics).  The peer is untrusted and may be sick: every
 * transfer has a connect timeout, a total timeout, a stall timeout and a size
 * cap on the DECODED body (so a gzip bomb stops at the cap), redirects are
 * capped and limited to http/https, and every failure maps to one gd_err with
 * a one-line message that names the URL.  Bodies stream to a callback, so a
 * parser can consume a large dump without holding it all in memory.
 *
 * A URL may address a unix socket as `unix:/path/to.sock:http://localhost/x`
 * (the part after the socket path is the URL sent over it).
 *
 * Transfers run with CURLOPT_NOSIGNAL (thread-safe timeouts), so libcurl
 * does not touch SIGPIPE: a program that fetches should ignore SIGPIPE. */
#ifndef GODIAG_REMOTE_FETCH_H
#define GODIAG_REMOTE_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct fetch_opts {
	long connect_timeout_ms; /* TCP + TLS handshake; 0 = curl default */
	long total_timeout_ms;   /* whole transfer; 0 = no limit */
	/* Once the response has started, fail when no byte arrives for this
	 * long.  Separate from the total timeout because a debug=2 dump may
	 * take long to START (the target stops the world to build it) but a
	 * body that stops flowing is dead.  0 = off. */
	long stall_timeout_ms;
	uint64_t max_bytes;      /* cap on decoded body bytes; 0 = no cap */
	int max_redirects;       /* 0 = do not follow */
	const char *const *headers; /* "Name: value", no CR/LF */
	size_t nheaders;
	bool insecure;           /* skip TLS peer and host verification */
	const char *cacert;      /* PEM bundle to verify the peer, or NULL */
	const char *unix_socket; /* connect here instead of the URL's host */
	/* > 0: connect from inside this process's network namespace (a PID's
	 * own 127.0.0.1 is not godiag's when it runs in a container).  When
	 * the namespace is godiag's own, nothing changes. */
	int netns_pid;
	/* Close the connection when the transfer ends, and share none: a
	 * probe of a port the application itself serves must not leave it
	 * an idle keep-alive connection, whose server goroutine doctor would
	 * then count as a leaked one. */
	bool one_shot;
};

/* Defaults: connect 3 s, total 30 s, stall 10 s, 1 GiB, 3 redirects,
 * verify TLS with the system CAs, no extra headers. */
void fetch_opts_init(struct fetch_opts *o);

struct fetch_result {
	long status;            /* final HTTP status; 0 when none arrived */
	char content_type[128]; /* "" when absent; sanitised, truncated */
	uint64_t bytes;         /* decoded body bytes delivered to the callback */
	char effective_url[1024]; /* after redirects, credentials removed */
	uint64_t elapsed_ms;
	long redirects;
};

/* Called with each piece of the decoded body of a 2xx response.  A non-zero
 * return stops the transfer; fetch_stream() then returns that value. */
typedef enum gd_err (*fetch_write_fn)(const char *data, size_t len, void *ctx);

/* Make libcurl ready; idempotent and thread-safe (pthread_once).  Called by
 * fetch_stream() itself; call it early from main() to fail fast. */
enum gd_err fetch_global_init(struct gd_errbuf *eb);

/* GET url and stream the decoded body of a 2xx response into fn.  Bodies of
 * error responses never reach fn (their first line goes into the message).
 *
 * Returns GD_OK when the whole body arrived.  Otherwise, with eb->msg
 * "URL: problem":
 *   GD_EARG        bad URL, scheme other than http/https, bad header
 *   GD_EHTTP       refused, unreachable, unresolved, TLS, not HTTP, empty
 *                  reply, too many redirects, HTTP status >= 300 (but below)
 *   GD_ENOENT      HTTP 404, or a unix socket that does not exist
 *   GD_EPERM       HTTP 401/403
 *   GD_ETIMEOUT    connect, total or stall timeout
 *   GD_ETOOBIG     decoded body over max_bytes (fn got exactly max_bytes)
 *   GD_ETRUNCATED  the peer closed before the body was complete
 *   GD_EIO         anything else libcurl reports
 *   the value fn returned, when fn stopped the transfer.  Only fn knows
 *   what was wrong, so eb then holds what fn wrote into it (eb is cleared
 *   at the start, so fn may share it) and is otherwise left EMPTY: a
 *   caller whose reader keeps its own errbuf checks eb->msg[0] first.
 * res (may be NULL) is filled in every case, as far as the transfer got. */
enum gd_err fetch_stream(const char *url, const struct fetch_opts *o,
			 fetch_write_fn fn, void *ctx,
			 struct fetch_result *res, struct gd_errbuf *eb);

/* Many GETs on one thread (the libcurl multi interface), at most `parallel`
 * in flight, each with the same defences, errors and messages as
 * fetch_stream().  done (may be NULL) is called once per request as it ends,
 * in completion order, from inside fetch_many(): a caller can parse the
 * body there and free it.  Returns when all have ended. */
struct fetch_req {
	const char *url;          /* in */
	fetch_write_fn fn;        /* in: gets the decoded 2xx body */
	void *ctx;                /* in */
	void *user;               /* in: the caller's, untouched */
	enum gd_err err;          /* out: as fetch_stream() would return */
	struct fetch_result res;  /* out */
	struct gd_errbuf eb;      /* out: the message when err != GD_OK */
};
void fetch_many(struct fetch_req *reqs, size_t n, size_t parallel, const struct fetch_opts *o,
		void (*done)(struct fetch_req *req, void *arg), void *arg);

/* fetch_stream() into memory.  *buf is malloc'd and NUL-terminated (the NUL
 * is not counted in *len) on GD_OK, and on GD_ETRUNCATED / GD_ETIMEOUT /
 * GD_ETOOBIG it holds what arrived (the caller may still parse a cut dump);
 * otherwise *buf is NULL.  The caller frees *buf. */
enum gd_err fetch_buffer(const char *url, const struct fetch_opts *o,
			 char **buf, size_t *len,
			 struct fetch_result *res, struct gd_errbuf *eb);

#endif
