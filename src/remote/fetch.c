/* SPDX-License-Identifier: MIT */
/* libcurl easy-interface GET with godiag's defences: caps on time, stall,
 * decoded size and redirects, http/https only, and a translation of every
 * libcurl outcome into one gd_err plus a message a person can act on.  The
 * callbacks only record WHY they stopped a transfer; the message is built
 * once, after curl_easy_perform(), from that reason and what curl reports. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote/fetch.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/human.h"
#include "util/numparse.h"
#include "linux/nssock.h"
#include "util/banned.h"

#if LIBCURL_VERSION_NUM < 0x075500
#error "libcurl >= 7.85 needed (CURLOPT_PROTOCOLS_STR)"
#endif

#define FETCH_ERRBODY_MAX 256       /* first bytes of an error body we keep */
#define FETCH_SKIPBODY_MAX (64 << 10) /* redirect bodies we read and drop */
#define FETCH_URL_SHOW 200          /* URL characters shown in messages */

void fetch_opts_init(struct fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = 3000;
	o->total_timeout_ms = 30000;
	o->stall_timeout_ms = 10000;
	o->max_bytes = (uint64_t)1 << 30;
	o->max_redirects = 3;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* One connection cache for every fetch_stream() of the process.  A command
 * asks one target for several documents in a row; on a fresh connection
 * each, the target's goroutines still serving the ones we closed are in the
 * dump we take next, where they look exactly like the idle keep-alive
 * connections doctor counts.  Reusing one connection keeps our own traffic
 * to the goroutine that is writing the dump. */
static CURLSH *conn_share;
static pthread_mutex_t conn_share_mu = PTHREAD_MUTEX_INITIALIZER;

static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u)
{
	(void)h; (void)d; (void)a; (void)u;
	pthread_mutex_lock(&conn_share_mu);
}

static void share_unlock(CURL *h, curl_lock_data d, void *u)
{
	(void)h; (void)d; (void)u;
	pthread_mutex_unlock(&conn_share_mu);
}

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (global_rc != CURLE_OK)
		return;
	conn_share = curl_share_init();
	/* Without a share every transfer still works, on its own connection. */
	if (conn_share && (curl_share_setopt(conn_share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
			   curl_share_setopt(conn_share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
			   curl_share_setopt(conn_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK)) {
		curl_share_cleanup(conn_share);
		conn_share = NULL;
	}
}

enum gd_err fetch_global_init(struct gd_errbuf *eb)
{
	pthread_once(&global_once, global_init_once);
	if (global_rc != CURLE_OK)
		return gd_fail(eb, GD_EIO, "libcurl initialisation failed: %s",
			       curl_easy_strerror(global_rc));
	return GD_OK;
}

static void format_secs(char *buf, size_t n, long ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, n, "%ld s", ms / 1000);
	else
		snprintf(buf, n, "%.1f s", (double)ms / 1000.0);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Copy untrusted text for a message: printable ASCII only, capped. */
static void sanitize(char *dst, size_t n, const char *src, size_t len)
{
	size_t j = 0;

	if (!n)
		return;
	for (size_t i = 0; i < len && j + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '\r' || c == '\n')
			break;
		dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	while (j && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

/* The URL as shown to people: without user:password, printable, bounded. */
static void display_url(char *dst, size_t n, const char *url)
{
	CURLU *u = curl_url();
	char *clean = NULL;
	const char *show = url;
	char tmp[FETCH_URL_SHOW + 4];

	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK)
			show = clean;
	}
	if (show == url) {
		/* Unparseable: still drop anything like "user:pass@". */
		const char *auth = strstr(url, "://");
		const char *at = auth ? strchr(auth + 3, '@') : NULL;
		const char *slash = auth ? strchr(auth + 3, '/') : NULL;
		if (at && (!slash || at < slash)) {
			char pre[FETCH_URL_SHOW + 4], post[FETCH_URL_SHOW + 4];
			sanitize(pre, sizeof(pre), url, (size_t)(auth + 3 - url));
			sanitize(post, sizeof(post), at + 1, strlen(at + 1));
			snprintf(dst, n, "%s%s", pre, post);
			goto out;
		}
	}
	sanitize(tmp, sizeof(tmp), show, strlen(show));
	if (strlen(show) > FETCH_URL_SHOW)
		memcpy(tmp + FETCH_URL_SHOW, "...", 4);
	snprintf(dst, n, "%s", tmp);
out:
	curl_free(clean);
	curl_url_cleanup(u);
}

enum abort_reason {
	AB_NONE,
	AB_CAP,      /* decoded body reached max_bytes */
	AB_CONSUMER, /* the write callback said stop */
	AB_STALL,    /* no byte for stall_timeout_ms */
	AB_HTTP,     /* error status: enough of its body read */
};

struct xfer {
	const struct fetch_opts *o;
	fetch_write_fn fn;
	void *ctx;
	enum abort_reason why;
	enum gd_err fn_err;
	uint64_t bytes;         /* decoded 2xx body bytes handed to fn */
	uint64_t skipped;       /* bytes of non-2xx bodies */
	bool got_status;        /* a status line arrived (of any response) */
	long status;            /* of the latest response */
	char reason[64];        /* its reason phrase, sanitised */
	char encoding[32];      /* Content-Encoding of the latest response */
	long long clen;         /* its Content-Length, -1 when absent */
	char errbody[FETCH_ERRBODY_MAX];
	size_t errbody_len;
	uint64_t last_activity_ms;
	curl_off_t last_dlnow;
	char curl_err[CURL_ERROR_SIZE];
	char url[FETCH_URL_SHOW + 64]; /* for messages */
	char hostport[300];     /* "127.0.0.1:9" or "unix socket /x.sock" */
	const char *sock;       /* unix socket path or NULL */
};

static bool prefix_ci(const char *s, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);
	return len >= n && !strncasecmp(s, pfx, n);
}

static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * nitems;

	x->last_activity_ms = mono_ms();
	if (prefix_ci(p, len, "HTTP/")) {
		/* A new response (interim, redirect or final) starts. */
		const char *sp = memchr(p, ' ', len);
		long st = 0;
		size_t i;

		x->got_status = true;
		x->encoding[0] = '\0';
		x->clen = -1;
		x->reason[0] = '\0';
		x->errbody_len = 0;
		if (!sp)
			return len;
		i = (size_t)(sp - p) + 1;
		for (int k = 0; k < 3 && i < len && p[i] >= '0' && p[i] <= '9'; k++, i++)
			st = st * 10 + (p[i] - '0');
		x->status = st;
		if (i < len && p[i] == ' ')
			i++;
		sanitize(x->reason, sizeof(x->reason), p + i, len - i);
	} else if (prefix_ci(p, len, "content-encoding:")) {
		size_t i = strlen("content-encoding:");
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		sanitize(x->encoding, sizeof(x->encoding), p + i, len - i);
	} else if (prefix_ci(p, len, "content-length:")) {
		/* curl does not report it when it refuses the size. */
		char num[32];
		uint64_t v;
		size_t i = strlen("content-length:");
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		sanitize(num, sizeof(num), p + i, len - i);
		if (parse_u64(num, &v) && v <= INT64_MAX)
			x->clen = (long long)v;
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * nmemb;
	uint64_t max = x->o->max_bytes;
	enum gd_err rc;

	x->last_activity_ms = mono_ms();
	if (x->status < 200 || x->status > 299) {
		/* Keep the start of an error body for the message; never feed
		 * it to the consumer, which expects a profile. */
		size_t room = sizeof(x->errbody) - x->errbody_len;
		size_t n = len < room ? len : room;
		memcpy(x->errbody + x->errbody_len, p, n);
		x->errbody_len += n;
		x->skipped += len;
		if ((x->status >= 400 && x->errbody_len == sizeof(x->errbody)) ||
		    x->skipped > FETCH_SKIPBODY_MAX) {
			x->why = AB_HTTP;
			return 0;
		}
		return len;
	}
	if (max && len > max - x->bytes) {
		size_t room = (size_t)(max - x->bytes);
		if (room) {
			rc = x->fn(p, room, x->ctx);
			if (rc != GD_OK) {
				x->why = AB_CONSUMER;
				x->fn_err = rc;
				return 0;
			}
			x->bytes += room;
		}
		x->why = AB_CAP;
		return 0;
	}
	if (!len)
		return 0;
	rc = x->fn(p, len, x->ctx);
	if (rc != GD_OK) {
		x->why = AB_CONSUMER;
		x->fn_err = rc;
		return 0;
	}
	x->bytes += len;
	return len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ud;
	uint64_t now = mono_ms();

	(void)dltotal;
	(void)ultotal;
	(void)ulnow;
	if (dlnow != x->last_dlnow) {
		x->last_dlnow = dlnow;
		x->last_activity_ms = now;
	}
	/* Before the first status line only the total timeout applies: a
	 * target may need a while to build a big dump. */
	if (x->o->stall_timeout_ms > 0 && x->got_status &&
	    now - x->last_activity_ms >= (uint64_t)x->o->stall_timeout_ms) {
		x->why = AB_STALL;
		return 1;
	}
	return 0;
}

static enum gd_err xfail(struct xfer *x, struct gd_errbuf *eb, enum gd_err e,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum gd_err xfail(struct xfer *x, struct gd_errbuf *eb, enum gd_err e,
			 const char *fmt, ...)
{
	char msg[GD_ERRBUF_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gd_fail(eb, e, "%s: %s", x->url, msg);
}

static const char *status_text(long st)
{
	switch (st) {
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

static enum gd_err status_error(struct xfer *x, struct gd_errbuf *eb)
{
	enum gd_err e = GD_EHTTP;
	const char *reason = x->reason[0] ? x->reason : status_text(x->status);
	char body[FETCH_ERRBODY_MAX];
	size_t off = 0;

	if (x->status == 404 || x->status == 410)
		e = GD_ENOENT;
	else if (x->status == 401 || x->status == 403 || x->status == 407)
		e = GD_EPERM;
	/* Go's http.Error puts the reason in the body ("Unknown profile");
	 * show its first line when it is text. */
	while (off < x->errbody_len && (x->errbody[off] == ' ' || x->errbody[off] == '\n' ||
					x->errbody[off] == '\r' || x->errbody[off] == '\t'))
		off++;
	sanitize(body, sizeof(body), x->errbody + off, x->errbody_len - off);
	if (x->status >= 300 && x->status < 400)
		return xfail(x, eb, e, "HTTP %ld%s%s (redirect not followed)", x->status,
			     *reason ? " " : "", reason);
	if (body[0] && !memchr(body, '?', strlen(body)) && body[0] != '<')
		return xfail(x, eb, e, "HTTP %ld%s%s: %s", x->status, *reason ? " " : "",
			     reason, body);
	return xfail(x, eb, e, "HTTP %ld%s%s", x->status, *reason ? " " : "", reason);
}

static enum gd_err timeout_error(struct xfer *x, CURL *h, struct gd_errbuf *eb)
{
	const struct fetch_opts *o = x->o;
	curl_off_t connect_us = 0, pretransfer_us = 0, wire = 0;
	char secs[32];
	long ms = o->total_timeout_ms;

	/* A kept-alive connection reused from the share has no connect time
	 * of its own; that the request went out (pretransfer) says it is up. */
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
	curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &wire);
	if (!connect_us && !pretransfer_us && !x->got_status) {
		if (o->connect_timeout_ms > 0 &&
		    (ms <= 0 || o->connect_timeout_ms < ms))
			ms = o->connect_timeout_ms;
		format_secs(secs, sizeof(secs), ms);
		return xfail(x, eb, GD_ETIMEOUT, "connect to %s timed out after %s",
			     x->hostport, secs);
	}
	format_secs(secs, sizeof(secs), ms);
	if (!x->got_status)
		return xfail(x, eb, GD_ETIMEOUT, "timed out after %s (no response)", secs);
	if (!x->bytes && !wire)
		return xfail(x, eb, GD_ETIMEOUT, "timed out after %s (headers, but no body)",
			     secs);
	return xfail(x, eb, GD_ETIMEOUT,
		     "timed out after %s (body incomplete after %llu bytes)", secs,
		     (unsigned long long)x->bytes);
}

static bool is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

static enum gd_err connect_error(struct xfer *x, CURL *h, struct gd_errbuf *eb)
{
	long oserr = 0;

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (x->sock) {
		if (oserr == ENOENT)
			return xfail(x, eb, GD_ENOENT, "unix socket %s does not exist", x->sock);
		if (oserr == EACCES || oserr == EPERM)
			return xfail(x, eb, GD_EPERM, "unix socket %s: permission denied",
				     x->sock);
	}
	switch (oserr) {
	case ECONNREFUSED:
		return xfail(x, eb, GD_EHTTP, "connect to %s refused", x->hostport);
	case ENETUNREACH:
	case EHOSTUNREACH:
		return xfail(x, eb, GD_EHTTP, "connect to %s: %s", x->hostport,
			     strerror((int)oserr));
	case 0:
		return xfail(x, eb, GD_EHTTP, "connect to %s failed: %s", x->hostport,
			     x->curl_err[0] ? x->curl_err : "unknown reason");
	default:
		return xfail(x, eb, GD_EHTTP, "connect to %s failed: %s", x->hostport,
			     strerror((int)oserr));
	}
}

/* Turn how the transfer ended into the one error the caller sees. */
static enum gd_err classify(struct xfer *x, CURL *h, CURLcode rc, struct gd_errbuf *eb)
{
	const struct fetch_opts *o = x->o;
	char cap[32];
	curl_off_t wire = 0;
	long long clen = x->clen;

	curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &wire);
	human_size_exact(cap, sizeof(cap), o->max_bytes);

	switch (x->why) {
	case AB_CONSUMER:
		/* Only the reader knows what was wrong with the bytes; eb keeps
		 * whatever it wrote (or stays empty). */
		return x->fn_err;
	case AB_CAP:
		if (x->encoding[0] && strcasecmp(x->encoding, "identity"))
			return xfail(x, eb, GD_ETOOBIG,
				     "body exceeds %s cap (after %s decoding of %lld bytes)",
				     cap, x->encoding, (long long)wire);
		return xfail(x, eb, GD_ETOOBIG, "body exceeds %s cap", cap);
	case AB_STALL: {
		char secs[32];
		format_secs(secs, sizeof(secs), o->stall_timeout_ms);
		return xfail(x, eb, GD_ETIMEOUT, "stalled: no data for %s after %llu bytes",
			     secs, (unsigned long long)x->bytes);
	}
	case AB_HTTP:
		return status_error(x, eb);
	case AB_NONE:
		break;
	}

	if (rc != CURLE_OK && rc != CURLE_OPERATION_TIMEDOUT && x->status >= 400)
		return status_error(x, eb);

	switch (rc) {
	case CURLE_OK:
		if (x->status >= 200 && x->status <= 299)
			return GD_OK;
		return status_error(x, eb);
	case CURLE_OPERATION_TIMEDOUT:
		if (x->status >= 400)
			return status_error(x, eb);
		return timeout_error(x, h, eb);
	case CURLE_COULDNT_CONNECT:
		return connect_error(x, h, eb);
	case CURLE_COULDNT_RESOLVE_HOST:
		return xfail(x, eb, GD_EHTTP, "could not resolve host %s", x->hostport);
	case CURLE_COULDNT_RESOLVE_PROXY:
		return xfail(x, eb, GD_EHTTP, "could not resolve proxy: %s", x->curl_err);
	case CURLE_TOO_MANY_REDIRECTS:
		return xfail(x, eb, GD_EHTTP, "too many redirects (>%d)", o->max_redirects);
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* The scheme was checked up front, so this is the response. */
		if (x->got_status && x->status >= 300 && x->status <= 399)
			return xfail(x, eb, GD_EHTTP,
				     "redirect to a scheme other than http/https refused");
		return xfail(x, eb, GD_EHTTP, "not an HTTP response (%s)",
			     x->curl_err[0] ? x->curl_err : "unsupported protocol");
	case CURLE_WEIRD_SERVER_REPLY:
		return xfail(x, eb, GD_EHTTP, "not an HTTP response (%s)", x->curl_err);
	case CURLE_GOT_NOTHING:
		return xfail(x, eb, GD_EHTTP, "server closed the connection without a response");
	case CURLE_PARTIAL_FILE:
		if (clen >= 0)
			return xfail(x, eb, GD_ETRUNCATED,
				     "connection closed after %lld of %lld bytes", (long long)wire,
				     clen);
		return xfail(x, eb, GD_ETRUNCATED, "connection closed after %lld bytes",
			     (long long)wire);
	case CURLE_RECV_ERROR:
		if (x->got_status)
			return xfail(x, eb, GD_ETRUNCATED, "connection lost after %lld bytes: %s",
				     (long long)wire, x->curl_err);
		return xfail(x, eb, GD_EHTTP, "receive failed: %s", x->curl_err);
	case CURLE_SEND_ERROR:
		return xfail(x, eb, GD_EHTTP, "send failed: %s", x->curl_err);
	case CURLE_FILESIZE_EXCEEDED:
		return xfail(x, eb, GD_ETOOBIG, "body exceeds %s cap (Content-Length %lld)", cap,
			     clen);
	case CURLE_BAD_CONTENT_ENCODING:
		return xfail(x, eb, GD_EFORMAT, "bad %s encoding after %lld bytes: %s",
			     x->encoding[0] ? x->encoding : "content", (long long)wire,
			     x->curl_err);
	case CURLE_URL_MALFORMAT:
		return xfail(x, eb, GD_EARG, "malformed URL: %s", x->curl_err);
	default:
		if (is_tls_error(rc))
			return xfail(x, eb, GD_EHTTP, "TLS: %s",
				     x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc));
		return xfail(x, eb, GD_EIO, "%s",
			     x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc));
	}
}

/* Split "unix:/path.sock:http://..." into the socket path and the URL. */
static enum gd_err split_unix(const char *url, char **sock, const char **rest,
			      struct gd_errbuf *eb)
{
	const char *p = url + strlen("unix:");
	const char *h = strstr(p, ":http://");
	const char *hs = strstr(p, ":https://");

	if (!h || (hs && hs < h))
		h = hs;
	if (!h || h == p) {
		char show[FETCH_URL_SHOW + 4];
		sanitize(show, sizeof(show), url, strlen(url));
		return gd_fail(eb, GD_EARG,
			       "%s: bad unix socket URL (want unix:/path.sock:http://host/path)",
			       show);
	}
	*sock = xstrndup(p, (size_t)(h - p));
	*rest = h + 1;
	return GD_OK;
}

/* Check the URL before curl sees it, so the common mistakes get messages
 * of their own, and learn host:port for later messages. */
static enum gd_err check_url(struct xfer *x, const char *url, struct gd_errbuf *eb)
{
	CURLU *u = curl_url();
	CURLUcode uc;
	char *scheme = NULL, *host = NULL, *port = NULL;
	enum gd_err ret = GD_OK;

	if (!u)
		return gd_fail(eb, GD_ENOMEM, "out of memory");
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		ret = xfail(x, eb, GD_EARG, "malformed URL: %s", curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!scheme || (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))) {
		ret = xfail(x, eb, GD_EARG, "unsupported URL scheme \"%s\" (only http and https)",
			    scheme ? scheme : "");
		goto out;
	}
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (x->sock) {
		snprintf(x->hostport, sizeof(x->hostport), "unix socket %s", x->sock);
	} else {
		char h[256];
		sanitize(h, sizeof(h), host ? host : "", host ? strlen(host) : 0);
		snprintf(x->hostport, sizeof(x->hostport), "%s:%s", h, port ? port : "?");
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

static enum gd_err build_headers(struct xfer *x, const struct fetch_opts *o,
				 struct curl_slist **list, struct gd_errbuf *eb)
{
	for (size_t i = 0; i < o->nheaders; i++) {
		const char *hdr = o->headers[i];
		struct curl_slist *n;

		if (!hdr || strpbrk(hdr, "\r\n") || !strchr(hdr, ':') || hdr[0] == ':')
			return xfail(x, eb, GD_EARG, "bad request header #%zu (want \"Name: value\")",
				     i + 1);
		n = curl_slist_append(*list, hdr);
		if (!n)
			return gd_fail(eb, GD_ENOMEM, "out of memory");
		*list = n;
	}
	return GD_OK;
}

#define SETOPT(h, opt, val)                                                     \
	do {                                                                    \
		CURLcode c_ = curl_easy_setopt((h), (opt), (val));              \
		if (c_ != CURLE_OK)                                             \
			return xfail(x, eb, GD_EUNSUPPORTED, "libcurl: %s: %s", \
				     #opt, curl_easy_strerror(c_));             \
	} while (0)

/* One transfer's state from set-up to verdict, shared by fetch_stream()
 * (easy interface) and fetch_many() (multi interface), so both defend and
 * report alike. */
struct transfer {
	struct xfer x;
	int netns_pid;          /* sockets made in this process's netns */
	char netns_err[GD_ERRBUF_SIZE];
	CURL *h;
	struct curl_slist *hdrs;
	char *sock;
	uint64_t t0;
};

/* CURLOPT_OPENSOCKETFUNCTION: the socket is made in the target's network
 * namespace, so 127.0.0.1 there is the target's loopback. */
static curl_socket_t open_in_netns(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct transfer *tr = clientp;
	struct gd_errbuf eb = { "" };
	int fd;
	(void)purpose;
	fd = nssock_open(tr->netns_pid, a->family, a->socktype, a->protocol, &eb);
	if (fd < 0) {
		snprintf(tr->netns_err, sizeof(tr->netns_err), "%s", eb.msg);
		return CURL_SOCKET_BAD;
	}
	return fd;
}

static enum gd_err transfer_setup(struct transfer *tr, const char *url, const struct fetch_opts *o,
				  fetch_write_fn fn, void *ctx, bool share, struct gd_errbuf *eb)
{
	struct xfer *x = &tr->x;
	const char *http_url = url;
	CURL *h;
	enum gd_err ret;

	memset(tr, 0, sizeof(*tr));
	tr->t0 = mono_ms();
	x->o = o;
	x->fn = fn;
	x->ctx = ctx;
	x->last_dlnow = -1;
	x->clen = -1;
	if (!url || !fn)
		return gd_fail(eb, GD_EARG, "fetch: no URL or no reader");
	display_url(x->url, sizeof(x->url), url);

	ret = fetch_global_init(eb);
	if (ret)
		return ret;
	if (!strncmp(url, "unix:", 5)) {
		ret = split_unix(url, &tr->sock, &http_url, eb);
		if (ret)
			return ret;
		x->sock = tr->sock;
	} else if (o->unix_socket) {
		x->sock = o->unix_socket;
	}
	ret = check_url(x, http_url, eb);
	if (ret)
		return ret;
	ret = build_headers(x, o, &tr->hdrs, eb);
	if (ret)
		return ret;

	h = tr->h = curl_easy_init();
	if (!h)
		return xfail(x, eb, GD_ENOMEM, "could not create a libcurl handle");
	SETOPT(h, CURLOPT_URL, http_url);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_ERRORBUFFER, x->curl_err);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(h, CURLOPT_MAXREDIRS, (long)(o->max_redirects < 0 ? 0 : o->max_redirects));
	SETOPT(h, CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(h, CURLOPT_USERAGENT, "godiag/" GODIAG_VERSION);
	SETOPT(h, CURLOPT_BUFFERSIZE, 128L * 1024);
	if (o->connect_timeout_ms > 0)
		SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	if (o->total_timeout_ms > 0)
		SETOPT(h, CURLOPT_TIMEOUT_MS, o->total_timeout_ms);
	if (o->max_bytes) {
		/* Early refusal on a declared length; the slack keeps an
		 * encoded body whose decoded size fits from being refused. */
		uint64_t slack = o->max_bytes + o->max_bytes / 16 + (64 << 10);
		if (slack < (uint64_t)INT64_MAX)
			SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)slack);
	}
	if (tr->hdrs)
		SETOPT(h, CURLOPT_HTTPHEADER, tr->hdrs);
	if (x->sock)
		SETOPT(h, CURLOPT_UNIX_SOCKET_PATH, x->sock);
	else if (o->netns_pid > 0 && nssock_netns_differs(o->netns_pid)) {
		tr->netns_pid = o->netns_pid;
		SETOPT(h, CURLOPT_OPENSOCKETFUNCTION, open_in_netns);
		SETOPT(h, CURLOPT_OPENSOCKETDATA, tr);
	}
	/* Not across network namespaces: the cache matches host and port,
	 * and 127.0.0.1:6060 in a container is another process than ours. */
	if (o->one_shot)
		SETOPT(h, CURLOPT_FORBID_REUSE, 1L);
	else if (conn_share && !tr->netns_pid && share)
		SETOPT(h, CURLOPT_SHARE, conn_share);
	if (o->insecure) {
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cacert)
		SETOPT(h, CURLOPT_CAINFO, o->cacert);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, x);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, x);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(h, CURLOPT_XFERINFODATA, x);
	return GD_OK;
}

/* The verdict once curl is done with the handle (rc), and the result. */
static enum gd_err transfer_finish(struct transfer *tr, CURLcode rc, struct fetch_result *res,
				   struct gd_errbuf *eb)
{
	CURL *h = tr->h;
	enum gd_err ret = classify(&tr->x, h, rc, eb);

	if (ret && tr->netns_err[0])
		ret = gd_fail(eb, GD_EIO, "%s: %s", tr->x.url, tr->netns_err);

	if (res) {
		char *s = NULL;
		long st = 0, redirs = 0;

		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		res->status = st;
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s)
			sanitize(res->content_type, sizeof(res->content_type), s, strlen(s));
		s = NULL;
		if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &s) == CURLE_OK && s)
			display_url(res->effective_url, sizeof(res->effective_url), s);
		curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirs);
		res->redirects = redirs;
	}
	return ret;
}

static void transfer_release(struct transfer *tr, struct fetch_result *res)
{
	if (res) {
		res->bytes = tr->x.bytes;
		res->elapsed_ms = mono_ms() - tr->t0;
	}
	if (tr->h)
		curl_easy_cleanup(tr->h);
	curl_slist_free_all(tr->hdrs);
	free(tr->sock);
	tr->h = NULL;
	tr->hdrs = NULL;
	tr->sock = NULL;
}

enum gd_err fetch_stream(const char *url, const struct fetch_opts *o,
			 fetch_write_fn fn, void *ctx,
			 struct fetch_result *res, struct gd_errbuf *eb)
{
	struct fetch_opts defaults;
	struct transfer tr;
	enum gd_err ret;

	if (eb)
		eb->msg[0] = '\0';
	if (res)
		memset(res, 0, sizeof(*res));
	if (!o) {
		fetch_opts_init(&defaults);
		o = &defaults;
	}
	ret = transfer_setup(&tr, url, o, fn, ctx, true, eb);
	if (!ret)
		ret = transfer_finish(&tr, curl_easy_perform(tr.h), res, eb);
	transfer_release(&tr, res);
	return ret;
}

void fetch_many(struct fetch_req *reqs, size_t n, size_t parallel, const struct fetch_opts *o,
		void (*done)(struct fetch_req *req, void *arg), void *arg)
{
	struct fetch_opts defaults;
	struct transfer *trs;
	CURLM *m;
	size_t next = 0, running = 0;

	if (!n)
		return;
	if (!o) {
		fetch_opts_init(&defaults);
		o = &defaults;
	}
	if (!parallel)
		parallel = 1;
	for (size_t i = 0; i < n; i++) {
		reqs[i].err = GD_OK;
		reqs[i].eb.msg[0] = '\0';
		memset(&reqs[i].res, 0, sizeof(reqs[i].res));
	}
	m = curl_multi_init();
	if (!m || fetch_global_init(&reqs[0].eb)) {
		for (size_t i = 0; i < n; i++) {
			reqs[i].err = gd_fail(&reqs[i].eb, GD_ENOMEM, "could not create a libcurl multi handle");
			if (done)
				done(&reqs[i], arg);
		}
		if (m)
			curl_multi_cleanup(m);
		return;
	}
	trs = xcalloc(n, sizeof(*trs));
	while (next < n || running) {
		/* top up to the bound; a request that fails to start is done */
		while (next < n && running < parallel) {
			struct fetch_req *rq = &reqs[next];
			struct transfer *tr = &trs[next];
			/* Not shared: the multi handle keeps its own cache for
			 * the batch, and hundreds of targets between samples
			 * should not each hold an idle connection of ours. */
			enum gd_err e = transfer_setup(tr, rq->url, o, rq->fn, rq->ctx, false, &rq->eb);
			if (!e) {
				curl_easy_setopt(tr->h, CURLOPT_PRIVATE, (void *)(uintptr_t)next);
				if (curl_multi_add_handle(m, tr->h) != CURLM_OK)
					e = xfail(&tr->x, &rq->eb, GD_EIO, "libcurl: could not add the transfer");
			}
			next++;
			if (e) {
				rq->err = e;
				transfer_release(tr, &rq->res);
				if (done)
					done(rq, arg);
				continue;
			}
			running++;
		}
		int still = 0, numfds = 0;
		if (curl_multi_perform(m, &still) != CURLM_OK)
			break;
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			void *priv = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			size_t i = (size_t)(uintptr_t)priv;
			struct fetch_req *rq = &reqs[i];
			struct transfer *tr = &trs[i];
			CURLcode rc = msg->data.result;
			curl_multi_remove_handle(m, tr->h);
			rq->err = transfer_finish(tr, rc, &rq->res, &rq->eb);
			transfer_release(tr, &rq->res);
			running--;
			if (done)
				done(rq, arg);
		}
		if (running && (next >= n || running >= parallel))
			curl_multi_poll(m, NULL, 0, 200, &numfds);
	}
	/* only on a multi failure: whatever is in flight or not started fails */
	for (size_t i = next; i < n; i++) {
		reqs[i].err = gd_fail(&reqs[i].eb, GD_EIO, "%s: libcurl multi interface failed",
				      reqs[i].url ? reqs[i].url : "?");
		if (done)
			done(&reqs[i], arg);
	}
	for (size_t i = 0; i < next; i++)
		if (trs[i].h) {
			curl_multi_remove_handle(m, trs[i].h);
			reqs[i].err = xfail(&trs[i].x, &reqs[i].eb, GD_EIO, "libcurl multi interface failed");
			transfer_release(&trs[i], &reqs[i].res);
			if (done)
				done(&reqs[i], arg);
		}
	curl_multi_cleanup(m);
	free(trs);
}

static enum gd_err collect(const char *data, size_t len, void *ctx)
{
	return strbuf_add(ctx, data, len);
}

enum gd_err fetch_buffer(const char *url, const struct fetch_opts *o,
			 char **buf, size_t *len,
			 struct fetch_result *res, struct gd_errbuf *eb)
{
	struct strbuf sb;
	size_t max = STRBUF_UNLIMITED;
	enum gd_err ret;

	if (o && o->max_bytes && o->max_bytes < (uint64_t)STRBUF_UNLIMITED)
		max = (size_t)o->max_bytes;
	else if (!o)
		max = (size_t)1 << 30;
	strbuf_init(&sb, max);
	ret = fetch_stream(url, o, collect, &sb, res, eb);
	if (ret == GD_OK || ret == GD_ETRUNCATED || ret == GD_ETIMEOUT || ret == GD_ETOOBIG) {
		*buf = strbuf_detach(&sb, len);
	} else {
		strbuf_release(&sb);
		*buf = NULL;
		*len = 0;
	}
	return ret;
}
