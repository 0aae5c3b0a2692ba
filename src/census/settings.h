/* SPDX-License-Identifier: MIT */
/* The servers' own settings, read from the process's memory: for the
 * goroutines a census found blocked inside a server, the object they belong
 * to (the receiver their frames print), and in it the configuration an idle
 * connection leak depends on:
 *   net/http.Server    ReadTimeout, ReadHeaderTimeout, WriteTimeout, IdleTimeout
 *                      (from net/http.(*conn).serve -> conn.server)
 *   gRPC               keepalive MaxConnectionIdle, MaxConnectionAge
 *                      (from transport.(*http2Server).keepalive -> kp)
 *   thrift             TServerSocket clientTimeout
 *                      (from (*TSimpleServer).processRequests -> serverTransport)
 * Offsets come from the binary's DWARF (struct members), or for net/http
 * from a per-version table; a receiver the traceback marked as maybe stale
 * ("0x...?") is not used.  Read-only, like the census. */
#ifndef GODIAG_CENSUS_SETTINGS_H
#define GODIAG_CENSUS_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"
#include "util/strbuf.h"

enum server_kind { SERVER_HTTP, SERVER_GRPC, SERVER_THRIFT };

#define SERVER_MAX_FIELDS 4
struct server_settings {
	enum server_kind kind;
	const char *type;        /* "net/http.Server" ... */
	uint64_t obj;            /* address of the object read */
	char addr[128];          /* http.Server.Addr, may be "" */
	size_t nfields;
	const char *names[SERVER_MAX_FIELDS];
	int64_t ns[SERVER_MAX_FIELDS]; /* durations, nanoseconds */
	uint64_t goroutines;     /* goroutines found in this server's frames */
	char source[96];         /* "DWARF" or "table (go1.21.13)" */
};

struct server_settings_list {
	struct server_settings *v;
	size_t n, alloc;
	char note[600];          /* why some could not be read, "" if none */
};

void server_settings_list_init(struct server_settings_list *l);
void server_settings_list_release(struct server_settings_list *l);

/* From the census text of pid (census_pid's output); never fails as a
 * whole: what could not be read is in l->note. */
void census_settings_collect(pid_t pid, const char *text, size_t len,
			     struct server_settings_list *l);

/* The value of field `name` (e.g. "IdleTimeout"), or -1 when absent. */
int64_t server_settings_get(const struct server_settings *s, const char *name);

/* "net/http.Server (Addr ":8080"): ReadTimeout 0s, ... (12 goroutines)" */
void server_settings_describe(const struct server_settings *s, char *buf, size_t cap);

/* The list as godiag's own text (a bundle's server-settings.txt), so that
 * doctor on a bundle still knows what the server would close:
 *   godiag-server-settings 1
 *   server TAB type TAB goroutines TAB offsets-source TAB addr TAB Name=ns ...
 *   note TAB why some could not be read
 * The values from the target (addr, source, note) are %XX-escaped. */
#define SERVER_SETTINGS_MAGIC "godiag-server-settings 1\n"
#define SERVER_SETTINGS_MAX_TEXT ((size_t)1 << 20)
void server_settings_format(const struct server_settings_list *l, struct strbuf *out);
/* Pure and strict: only the three known server types and their own field
 * names; anything else is GD_EFORMAT naming the line. */
enum gd_err server_settings_parse(const char *buf, size_t len, struct server_settings_list *l,
				  struct gd_errbuf *eb);

#endif
