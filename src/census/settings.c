/* SPDX-License-Identifier: MIT */
/* Server settings from memory; see settings.h. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "census/goelf.h"
#include "census/settings.h"
#include "linux/buildinfo.h"
#include "linux/elffile.h"
#include "linux/procmem.h"
#include "util/xalloc.h"
#include "util/numparse.h"
#include "util/banned.h"

struct spec {
	enum server_kind kind;
	const char *frame;          /* function whose receiver leads to the server */
	const char *recv_struct;    /* the receiver's type */
	const char *deref;          /* pointer (or interface) member to follow, or NULL */
	int deref_iface;
	const char *obj_struct;     /* the settings' struct */
	const char *sub;            /* embedded struct member holding the fields, or NULL */
	const char *sub_struct;
	const char *fields[SERVER_MAX_FIELDS];
	const char *names[SERVER_MAX_FIELDS];
	size_t nfields;
	const char *addr_member;
	const char *type;
};

static const struct spec specs[] = {
	{ SERVER_HTTP, "net/http.(*conn).serve", "net/http.conn", "server", 0, "net/http.Server",
	  NULL, NULL, { "ReadTimeout", "ReadHeaderTimeout", "WriteTimeout", "IdleTimeout" },
	  { "ReadTimeout", "ReadHeaderTimeout", "WriteTimeout", "IdleTimeout" }, 4, "Addr",
	  "net/http.Server" },
	{ SERVER_GRPC, "google.golang.org/grpc/internal/transport.(*http2Server).keepalive",
	  "google.golang.org/grpc/internal/transport.http2Server", NULL, 0,
	  "google.golang.org/grpc/internal/transport.http2Server", "kp",
	  "google.golang.org/grpc/keepalive.ServerParameters",
	  { "MaxConnectionIdle", "MaxConnectionAge" }, { "MaxConnectionIdle", "MaxConnectionAge" }, 2,
	  NULL, "grpc.Server keepalive" },
	{ SERVER_THRIFT, "github.com/apache/thrift/lib/go/thrift.(*TSimpleServer).processRequests",
	  "github.com/apache/thrift/lib/go/thrift.TSimpleServer", "serverTransport", 1,
	  "github.com/apache/thrift/lib/go/thrift.TServerSocket", NULL, NULL, { "clientTimeout" },
	  { "ClientTimeout" }, 1, NULL, "thrift.TServerSocket" },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* (struct, member) -> offset, filled from DWARF in one pass */
struct query {
	const char *st, *mem;
	int64_t off; /* -1 unknown */
};

static void add_q(struct query *q, size_t *n, const char *st, const char *mem)
{
	if (!st || !mem)
		return;
	q[*n].st = st;
	q[*n].mem = mem;
	q[*n].off = -1;
	(*n)++;
}

static void dwarf_queries(const char *exe, struct query *q, size_t nq)
{
	struct elf_file ef;
	/* writable: libdw may decompress .debug_* in place */
	Dwarf *dw = elf_file_open(&ef, exe, true, NULL) ? NULL : dwarf_begin_elf(ef.elf, DWARF_C_READ, NULL);
	if (dw) {
		Dwarf_Off off = 0, next;
		size_t hs;
		while (dwarf_nextcu(dw, off, &next, &hs, NULL, NULL, NULL) == 0) {
			Dwarf_Die cu, d;
			const char *cn;
			if (dwarf_offdie(dw, off + hs, &cu) && (cn = dwarf_diename(&cu))) {
				/* the Go linker puts every type in the runtime's CU */
				if (!strcmp(cn, "runtime") && dwarf_child(&cu, &d) == 0) {
					do {
						const char *sn;
						if (dwarf_tag(&d) != DW_TAG_structure_type || !(sn = dwarf_diename(&d)))
							continue;
						for (size_t i = 0; i < nq; i++) {
							if (q[i].off >= 0 || strcmp(q[i].st, sn))
								continue;
							Dwarf_Die m;
							if (dwarf_child(&d, &m))
								continue;
							do {
								const char *mn = dwarf_diename(&m);
								Dwarf_Attribute a;
								Dwarf_Word w;
								if (dwarf_tag(&m) == DW_TAG_member && mn &&
								    !strcmp(mn, q[i].mem) &&
								    dwarf_attr(&m, DW_AT_data_member_location, &a) &&
								    !dwarf_formudata(&a, &w) && w < 65536)
									q[i].off = (int64_t)w;
							} while (dwarf_siblingof(&m, &m) == 0);
						}
					} while (dwarf_siblingof(&d, &d) == 0);
				}
			}
			off = next;
		}
		dwarf_end(dw);
	}
	elf_file_release(&ef);
}

static int64_t qoff(const struct query *q, size_t nq, const char *st, const char *mem)
{
	for (size_t i = 0; i < nq; i++)
		if (q[i].st == st && q[i].mem == mem)
			return q[i].off;
	return -1;
}

/* net/http without DWARF: conn.server is the first field in every release;
 * Server gained DisableGeneralOptionsHandler before TLSConfig in 1.20. */
static void http_table(int minor, struct query *q, size_t nq)
{
	static const char *const f[] = { "ReadTimeout", "ReadHeaderTimeout", "WriteTimeout", "IdleTimeout" };
	if (minor < 12 || minor > 23)
		return;
	int64_t base = minor >= 20 ? 48 : 40;
	for (size_t i = 0; i < nq; i++) {
		if (!strcmp(q[i].st, "net/http.conn") && !strcmp(q[i].mem, "server"))
			q[i].off = 0;
		if (!strcmp(q[i].st, "net/http.Server")) {
			if (!strcmp(q[i].mem, "Addr"))
				q[i].off = 0;
			for (int k = 0; k < 4; k++)
				if (!strcmp(q[i].mem, f[k]))
					q[i].off = base + 8 * k;
		}
	}
}

void server_settings_list_init(struct server_settings_list *l)
{
	memset(l, 0, sizeof(*l));
}

void server_settings_list_release(struct server_settings_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* The receiver printed for `frame` in one frame line, or 0 ("0x..?" is not
 * trusted). */
static uint64_t receiver(const char *line, size_t n, const char *frame)
{
	size_t fl = strlen(frame);
	if (n < fl + 4 || memcmp(line, frame, fl) || line[fl] != '(' || memcmp(line + fl + 1, "0x", 2))
		return 0;
	char *e;
	uint64_t v = strtoull(line + fl + 1, &e, 16);
	if (e >= line + n || *e == '?' || (*e != ',' && *e != ')'))
		return 0;
	return v;
}

static struct server_settings *find_or_add(struct server_settings_list *l, const struct spec *sp,
					   uint64_t obj)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].obj == obj && l->v[i].kind == sp->kind)
			return &l->v[i];
	if (l->n >= 64)
		return NULL;
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	struct server_settings *s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	s->kind = sp->kind;
	s->type = sp->type;
	s->obj = obj;
	s->nfields = sp->nfields;
	for (size_t k = 0; k < sp->nfields; k++) {
		s->names[k] = sp->names[k];
		s->ns[k] = -1;
	}
	return s;
}

void census_settings_collect(pid_t pid, const char *text, size_t len, struct server_settings_list *l)
{
	/* which specs have goroutines at all */
	int any[NSPECS] = { 0 };
	for (size_t i = 0; i < NSPECS; i++) {
		size_t fl = strlen(specs[i].frame);
		for (const char *p = text; p && (size_t)(p - text) < len;) {
			const char *hit = memmem(p, len - (size_t)(p - text), specs[i].frame, fl);
			if (!hit)
				break;
			if ((hit == text || hit[-1] == '\n') && hit[fl] == '(') {
				any[i] = 1;
				break;
			}
			p = hit + fl;
		}
	}
	int need = 0;
	for (size_t i = 0; i < NSPECS; i++)
		need |= any[i];
	if (!need)
		return;
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
	struct query q[32];
	size_t nq = 0;
	for (size_t i = 0; i < NSPECS; i++) {
		if (!any[i])
			continue;
		add_q(q, &nq, specs[i].recv_struct, specs[i].deref);
		add_q(q, &nq, specs[i].obj_struct, specs[i].sub);
		add_q(q, &nq, specs[i].obj_struct, specs[i].addr_member);
		for (size_t k = 0; k < specs[i].nfields; k++)
			add_q(q, &nq, specs[i].sub ? specs[i].sub_struct : specs[i].obj_struct, specs[i].fields[k]);
	}
	dwarf_queries(exe, q, nq);
	char source[96] = "DWARF";
	int have_dwarf = 0;
	for (size_t i = 0; i < nq; i++)
		have_dwarf |= q[i].off >= 0;
	if (!have_dwarf) {
		struct go_buildinfo bi;
		struct gd_errbuf eb;
		go_buildinfo_init(&bi);
		if (!go_buildinfo_read_file(exe, &bi, &eb) && bi.go_version) {
			http_table(census_go_minor(bi.go_version), q, nq);
			snprintf(source, sizeof(source), "table (%s)", bi.go_version);
		}
		go_buildinfo_release(&bi);
	}
	struct procmem *m;
	struct gd_errbuf eb;
	if (procmem_open_pid(&m, pid, &eb)) {
		snprintf(l->note, sizeof(l->note), "%s", eb.msg);
		return;
	}
	for (size_t i = 0; i < NSPECS; i++) {
		const struct spec *sp = &specs[i];
		if (!any[i])
			continue;
		int64_t doff = sp->deref ? qoff(q, nq, sp->recv_struct, sp->deref) : 0;
		int64_t soff = sp->sub ? qoff(q, nq, sp->obj_struct, sp->sub) : 0;
		const char *fst = sp->sub ? sp->sub_struct : sp->obj_struct;
		int ok = doff >= 0 && soff >= 0;
		for (size_t k = 0; k < sp->nfields; k++)
			ok &= qoff(q, nq, fst, sp->fields[k]) >= 0;
		if (!ok) {
			snprintf(l->note, sizeof(l->note), "%s: layout unknown (no DWARF for it)", sp->type);
			continue;
		}
		size_t fl = strlen(sp->frame);
		for (const char *p = text; (size_t)(p - text) < len;) {
			const char *nl = memchr(p, '\n', len - (size_t)(p - text));
			size_t n = nl ? (size_t)(nl - p) : len - (size_t)(p - text);
			uint64_t r = n > fl ? receiver(p, n, sp->frame) : 0;
			p = nl ? nl + 1 : text + len;
			if (!r)
				continue;
			uint64_t obj = r;
			if (sp->deref) {
				uint64_t w[2];
				if (procmem_read(m, r + (uint64_t)doff, w, sizeof(w)))
					continue;
				obj = sp->deref_iface ? w[1] : w[0];
				if (!obj)
					continue;
			}
			struct server_settings *s = find_or_add(l, sp, obj);
			if (!s)
				break;
			s->goroutines++;
			if (s->goroutines > 1)
				continue;
			snprintf(s->source, sizeof(s->source), "%s", source);
			for (size_t k = 0; k < sp->nfields; k++) {
				int64_t v;
				if (!procmem_read(m, obj + (uint64_t)soff + (uint64_t)qoff(q, nq, fst, sp->fields[k]),
						  &v, 8))
					s->ns[k] = v;
			}
			int64_t ao = sp->addr_member ? qoff(q, nq, sp->obj_struct, sp->addr_member) : -1;
			uint64_t str[2];
			if (ao >= 0 && !procmem_read(m, obj + (uint64_t)ao, str, sizeof(str)) && str[1] &&
			    str[1] < sizeof(s->addr) && !procmem_read(m, str[0], s->addr, (size_t)str[1]))
				s->addr[str[1]] = 0;
			else
				s->addr[0] = 0;
			for (char *c = s->addr; *c; c++)
				if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
					*c = '?';
		}
	}
	procmem_free(m);
	/* gRPC keeps its settings per connection (http2Server): one line for
	 * all the connections that share the same values */
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++) {
		size_t k;
		for (k = 0; k < w; k++)
			if (l->v[k].kind == SERVER_GRPC && l->v[i].kind == SERVER_GRPC &&
			    !memcmp(l->v[k].ns, l->v[i].ns, sizeof(l->v[i].ns)))
				break;
		if (k < w)
			l->v[k].goroutines += l->v[i].goroutines;
		else
			l->v[w++] = l->v[i];
	}
	l->n = w;
}

int64_t server_settings_get(const struct server_settings *s, const char *name)
{
	for (size_t k = 0; k < s->nfields; k++)
		if (!strcmp(s->names[k], name))
			return s->ns[k];
	return -1;
}

static void fmt_dur(int64_t ns, char *b, size_t cap)
{
	if (ns < 0)
		snprintf(b, cap, "unreadable");
	else if (ns == INT64_MAX)
		snprintf(b, cap, "infinite");
	else if (ns % 1000000000 == 0)
		snprintf(b, cap, "%" PRId64 "s", ns / 1000000000);
	else
		snprintf(b, cap, "%.3fs", ns / 1e9);
}

void server_settings_describe(const struct server_settings *s, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s", s->type);
	if (s->addr[0] && n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, " on %s", s->addr);
	for (size_t k = 0; k < s->nfields && n > 0 && (size_t)n < cap; k++) {
		char d[32];
		fmt_dur(s->ns[k], d, sizeof(d));
		n += snprintf(buf + n, cap - (size_t)n, "%s %s %s", k ? "," : ":", s->names[k], d);
	}
	if (n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, " (%" PRIu64 " goroutines; offsets from %s)",
			 s->goroutines, s->source);
}

/* --- the bundle's text form ------------------------------------------------ */

static void put_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c >= 0x7f || c == '%')
			strbuf_addf(out, "%%%02X", c);
		else
			strbuf_addch(out, (char)c);
	}
}

void server_settings_format(const struct server_settings_list *l, struct strbuf *out)
{
	strbuf_addstr(out, SERVER_SETTINGS_MAGIC);
	for (size_t i = 0; i < l->n; i++) {
		const struct server_settings *v = &l->v[i];
		strbuf_addf(out, "server\t%s\t%" PRIu64 "\t", v->type, v->goroutines);
		put_escaped(out, v->source);
		strbuf_addch(out, '\t');
		put_escaped(out, v->addr);
		for (size_t k = 0; k < v->nfields; k++)
			strbuf_addf(out, "\t%s=%" PRId64, v->names[k], v->ns[k]);
		strbuf_addch(out, '\n');
	}
	if (l->note[0]) {
		strbuf_addstr(out, "note\t");
		put_escaped(out, l->note);
		strbuf_addch(out, '\n');
	}
}

/* field [p, e) unescaped into dst; false when malformed or too long */
static bool unescape(const char *p, const char *e, char *dst, size_t cap)
{
	size_t n = 0;
	while (p < e) {
		char c = *p++;
		if (c == '%') {
			int h, l;
			if (e - p < 2 || (h = hex_value(p[0])) < 0 || (l = hex_value(p[1])) < 0)
				return false;
			c = (char)(h << 4 | l);
			p += 2;
		}
		if (!c || n + 1 >= cap)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return true;
}

static bool parse_i64(const char *p, const char *e, int64_t lo, int64_t *out)
{
	bool neg = p < e && *p == '-';
	uint64_t v;
	if (neg)
		p++;
	if (!parse_u64_n(p, (size_t)(e - p), &v) || v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return *out >= lo;
}

static enum gd_err parse_server(const char *p, const char *e, struct server_settings_list *l,
				size_t line, struct gd_errbuf *eb)
{
	const char *f[4 + SERVER_MAX_FIELDS + 1][2];
	size_t nf = 0;
	for (const char *q = p;; q++) {
		if (q == e || *q == '\t') {
			if (nf == sizeof(f) / sizeof(f[0]))
				return gd_fail(eb, GD_EFORMAT, "line %zu: too many fields", line);
			f[nf][0] = p;
			f[nf][1] = q;
			nf++;
			p = q + 1;
			if (q == e)
				break;
		}
	}
	if (nf < 4)
		return gd_fail(eb, GD_EFORMAT, "line %zu: a server needs type, goroutines, source and address",
			       line);
	const struct spec *sp = NULL;
	for (size_t i = 0; i < NSPECS; i++)
		if ((size_t)(f[0][1] - f[0][0]) == strlen(specs[i].type) &&
		    !memcmp(f[0][0], specs[i].type, strlen(specs[i].type)))
			sp = &specs[i];
	if (!sp)
		return gd_fail(eb, GD_EFORMAT, "line %zu: unknown server type", line);
	if (l->n >= 64)
		return gd_fail(eb, GD_EFORMAT, "line %zu: more than 64 servers", line);
	struct server_settings v;
	int64_t gs;
	memset(&v, 0, sizeof(v));
	v.kind = sp->kind;
	v.type = sp->type;
	v.nfields = sp->nfields;
	for (size_t k = 0; k < sp->nfields; k++) {
		v.names[k] = sp->names[k];
		v.ns[k] = -1;
	}
	if (!parse_i64(f[1][0], f[1][1], 0, &gs))
		return gd_fail(eb, GD_EFORMAT, "line %zu: bad goroutine count", line);
	v.goroutines = (uint64_t)gs;
	if (!unescape(f[2][0], f[2][1], v.source, sizeof(v.source)) ||
	    !unescape(f[3][0], f[3][1], v.addr, sizeof(v.addr)))
		return gd_fail(eb, GD_EFORMAT, "line %zu: bad escaped text", line);
	for (size_t i = 4; i < nf; i++) {
		const char *eq = memchr(f[i][0], '=', (size_t)(f[i][1] - f[i][0]));
		size_t k = 0;
		if (!eq)
			return gd_fail(eb, GD_EFORMAT, "line %zu: field %zu is not Name=ns", line, i + 1);
		while (k < sp->nfields && ((size_t)(eq - f[i][0]) != strlen(sp->names[k]) ||
					   memcmp(f[i][0], sp->names[k], strlen(sp->names[k]))))
			k++;
		if (k == sp->nfields)
			return gd_fail(eb, GD_EFORMAT, "line %zu: %s has no such setting", line, sp->type);
		if (!parse_i64(eq + 1, f[i][1], -1, &v.ns[k]))
			return gd_fail(eb, GD_EFORMAT, "line %zu: bad duration", line);
	}
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = v;
	return GD_OK;
}

enum gd_err server_settings_parse(const char *buf, size_t len, struct server_settings_list *l,
				  struct gd_errbuf *eb)
{
	size_t magic = strlen(SERVER_SETTINGS_MAGIC), line = 1;
	if (len > SERVER_SETTINGS_MAX_TEXT)
		return gd_fail(eb, GD_ETOOBIG, "server settings over %zu bytes", SERVER_SETTINGS_MAX_TEXT);
	if (len < magic || memcmp(buf, SERVER_SETTINGS_MAGIC, magic))
		return gd_fail(eb, GD_EFORMAT, "not godiag server settings (no '%.*s' line)", (int)magic - 1,
			       SERVER_SETTINGS_MAGIC);
	for (const char *p = buf + magic, *end = buf + len; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		enum gd_err rc;
		line++;
		if (!e)
			return gd_fail(eb, GD_EFORMAT, "line %zu: cut (no newline)", line);
		if (e - p > 4096)
			return gd_fail(eb, GD_EFORMAT, "line %zu: over 4096 bytes", line);
		if (e - p >= 7 && !memcmp(p, "server\t", 7)) {
			if ((rc = parse_server(p + 7, e, l, line, eb)))
				return rc;
		} else if (e - p >= 5 && !memcmp(p, "note\t", 5)) {
			if (!unescape(p + 5, e, l->note, sizeof(l->note)))
				return gd_fail(eb, GD_EFORMAT, "line %zu: bad escaped text", line);
		} else if (e != p) {
			return gd_fail(eb, GD_EFORMAT, "line %zu: neither a server nor a note", line);
		}
		p = e + 1;
	}
	return GD_OK;
}
