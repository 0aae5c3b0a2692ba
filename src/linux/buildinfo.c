/* SPDX-License-Identifier: MIT */
/* Reader for the Go build-info blob in ELF executables (what `go version -m`
 * shows).  It follows golang/go src/debug/buildinfo, but searches harder: the
 * .go.buildinfo section, then every writable non-executable PT_LOAD (a go1.19
 * PIE keeps the blob in the second RW segment, which Go's own reader misses
 * once section headers are stripped), then the whole file on 16-byte
 * boundaries.  libelf decodes the ELF headers; the blob, the Go string
 * headers it points to and the RELA tables are read straight from the image
 * with explicit bounds checks, because all of it is untrusted. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/buildinfo.h"
#include "linux/elffile.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/numparse.h"
#include "util/banned.h"

#define BI_MAGIC "\xff Go buildinf:"
#define BI_MAGIC_LEN 14
#define BI_HDR_SIZE 32
#define BI_ALIGN 16
#define BI_FLAG_BIG_ENDIAN 0x1
#define BI_FLAG_INLINE 0x2

/* Bounds on ELF structure counts; real Go binaries have a handful. */
#define MAX_SEGS 256
#define MAX_RELA_TABLES 8

struct load_seg {
	uint64_t vaddr, off, filesz;
	uint32_t flags;
};

struct rela_table {
	uint64_t off, size;
};

struct image {
	const unsigned char *data;
	size_t len;
	const char *name;       /* for messages; may be NULL */
	Elf *elf;
	bool is64, big;
	unsigned machine, type;
	struct load_seg segs[MAX_SEGS];
	size_t nsegs;
	bool has_dyn;
	uint64_t dyn_off, dyn_size;
	bool rela_loaded;
	struct rela_table rela[MAX_RELA_TABLES];
	size_t nrela;
};

/* Why a candidate header was rejected, kept for the final message. */
struct why {
	char msg[160];
	uint64_t off;
	bool set;
};

void go_buildinfo_init(struct go_buildinfo *bi)
{
	memset(bi, 0, sizeof(*bi));
}

static void module_release(struct go_module *m)
{
	free(m->path);
	free(m->version);
	free(m->sum);
	if (m->replace) {
		module_release(m->replace);
		free(m->replace);
	}
	memset(m, 0, sizeof(*m));
}

void go_buildinfo_release(struct go_buildinfo *bi)
{
	free(bi->go_version);
	free(bi->path);
	free(bi->mod_path);
	free(bi->mod_version);
	free(bi->mod_sum);
	if (bi->mod_replace) {
		module_release(bi->mod_replace);
		free(bi->mod_replace);
	}
	for (size_t i = 0; i < bi->ndeps; i++)
		module_release(&bi->deps[i]);
	free(bi->deps);
	for (size_t i = 0; i < bi->nsettings; i++) {
		free(bi->settings[i].key);
		free(bi->settings[i].value);
	}
	free(bi->settings);
	go_buildinfo_init(bi);
}

const char *go_buildinfo_setting(const struct go_buildinfo *bi, const char *key)
{
	for (size_t i = 0; i < bi->nsettings; i++)
		if (!strcmp(bi->settings[i].key, key))
			return bi->settings[i].value;
	return NULL;
}

const char *go_buildinfo_how_name(int how)
{
	switch (how) {
	case GO_BI_HOW_SECTION: return "section";
	case GO_BI_HOW_SEGMENT: return "segment";
	case GO_BI_HOW_SCAN: return "scan";
	default: return "none";
	}
}

static void set_note(struct go_buildinfo *bi, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_note(struct go_buildinfo *bi, const char *fmt, ...)
{
	va_list ap;
	/* The first problem is the one worth reading; later ones are echoes. */
	if (bi->note[0])
		return;
	va_start(ap, fmt);
	vsnprintf(bi->note, sizeof(bi->note), fmt, ap);
	va_end(ap);
}

static void why_set(struct why *w, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void why_set(struct why *w, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	if (w->set)
		return;
	w->set = true;
	w->off = off;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
}

/* ---- raw access ------------------------------------------------------ */

static bool range_ok(const struct image *im, uint64_t off, uint64_t n)
{
	return off <= im->len && n <= im->len - off;
}

static uint64_t get_uint(const unsigned char *p, unsigned size, bool big)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned shift = big ? 8 * (size - 1 - i) : 8 * i;
		v |= (uint64_t)p[i] << shift;
	}
	return v;
}

/* File offset of `n` bytes at virtual address `va`, all inside one
 * segment's file-backed part (Go's reader does the same mapping). */
static bool vaddr_to_off(const struct image *im, uint64_t va, uint64_t n, uint64_t *off)
{
	for (size_t i = 0; i < im->nsegs; i++) {
		const struct load_seg *s = &im->segs[i];
		uint64_t delta;
		if (va < s->vaddr)
			continue;
		delta = va - s->vaddr;
		if (delta >= s->filesz || n > s->filesz - delta)
			continue;
		if (s->off > im->len || delta > im->len - s->off)
			continue;
		if (!range_ok(im, s->off + delta, n))
			continue;
		*off = s->off + delta;
		return true;
	}
	return false;
}

static bool off_to_vaddr(const struct image *im, uint64_t off, uint64_t *va)
{
	for (size_t i = 0; i < im->nsegs; i++) {
		const struct load_seg *s = &im->segs[i];
		if (off >= s->off && off - s->off < s->filesz) {
			*va = s->vaddr + (off - s->off);
			return true;
		}
	}
	return false;
}

/* Unsigned LEB128 as Go's binary.Uvarint: at most 10 bytes, no overflow.
 * Returns the bytes used, 0 if cut short or overflowing. */
static size_t uvarint(const unsigned char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		unsigned char b = p[i];
		if (b < 0x80) {
			if (i == 9 && b > 1)
				return 0;
			*out = v | (uint64_t)b << shift;
			return i + 1;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	}
	return 0;
}

/* ---- relocations (pre-1.18 PIE) -------------------------------------- */

static bool is_relative(unsigned machine, uint64_t type)
{
	switch (machine) {
	case EM_X86_64: return type == R_X86_64_RELATIVE;
	case EM_AARCH64: return type == R_AARCH64_RELATIVE;
	case EM_PPC64: return type == R_PPC64_RELATIVE;
	case EM_S390: return type == R_390_RELATIVE;
	case EM_RISCV: return type == R_RISCV_RELATIVE;
	case EM_386: return type == R_386_RELATIVE;
	case EM_ARM: return type == R_ARM_RELATIVE;
	default: return false;
	}
}

static void add_rela(struct image *im, uint64_t off, uint64_t size)
{
	if (im->nrela >= MAX_RELA_TABLES || !range_ok(im, off, size))
		return;
	im->rela[im->nrela].off = off;
	im->rela[im->nrela].size = size;
	im->nrela++;
}

/* RELA tables from section headers, or from PT_DYNAMIC (DT_RELA/DT_RELASZ)
 * when the section headers were stripped. */
static void load_rela(struct image *im)
{
	Elf_Scn *scn = NULL;
	unsigned wsz = im->is64 ? 8 : 4;

	if (im->rela_loaded)
		return;
	im->rela_loaded = true;
	while ((scn = elf_nextscn(im->elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA)
			continue;
		add_rela(im, sh.sh_offset, sh.sh_size);
	}
	if (im->nrela || !im->has_dyn)
		return;
	uint64_t rela_va = 0, rela_sz = 0;
	bool have_va = false, have_sz = false;
	for (uint64_t o = 0; o + 2 * wsz <= im->dyn_size; o += 2 * wsz) {
		const unsigned char *p = im->data + im->dyn_off + o;
		uint64_t tag = get_uint(p, wsz, im->big);
		uint64_t val = get_uint(p + wsz, wsz, im->big);
		if (tag == DT_NULL)
			break;
		if (tag == DT_RELA) {
			rela_va = val;
			have_va = true;
		} else if (tag == DT_RELASZ) {
			rela_sz = val;
			have_sz = true;
		}
	}
	uint64_t off;
	if (have_va && have_sz && vaddr_to_off(im, rela_va, rela_sz, &off))
		add_rela(im, off, rela_sz);
}

static bool lookup_relative(struct image *im, uint64_t va, uint64_t *addend)
{
	unsigned wsz = im->is64 ? 8 : 4;
	uint64_t ent = 3 * wsz;

	load_rela(im);
	for (size_t t = 0; t < im->nrela; t++) {
		const unsigned char *base = im->data + im->rela[t].off;
		for (uint64_t o = 0; o + ent <= im->rela[t].size; o += ent) {
			uint64_t r_off = get_uint(base + o, wsz, im->big);
			uint64_t r_info = get_uint(base + o + wsz, wsz, im->big);
			uint64_t type = im->is64 ? (r_info & 0xffffffffu) : (r_info & 0xffu);
			if (r_off != va || !is_relative(im->machine, type))
				continue;
			*addend = get_uint(base + o + 2 * wsz, wsz, im->big);
			return true;
		}
	}
	return false;
}

/* ---- pre-1.18 pointer format ----------------------------------------- */

enum ptr_res { PTR_OK, PTR_BAD, PTR_UNRELOCATED };

/* Read a pointer-sized word at file offset `off` (virtual address `va`
 * when va_known).  A zero slot in a position-independent file is filled at
 * load time by an R_*_RELATIVE relocation whose addend is the value. */
static enum ptr_res read_ptr(struct image *im, uint64_t off, uint64_t va, bool va_known,
			     unsigned psz, bool big, uint64_t *out)
{
	if (!range_ok(im, off, psz))
		return PTR_BAD;
	*out = get_uint(im->data + off, psz, big);
	if (*out != 0 || im->type != ET_DYN)
		return PTR_OK;
	if (va_known && lookup_relative(im, va, out))
		return PTR_OK;
	return PTR_UNRELOCATED;
}

/* Follow the pointer in the slot at `slot_off` to a Go string header
 * {data, len} and copy the string out (at most `max` bytes). */
static enum ptr_res read_go_string(struct image *im, uint64_t slot_off, uint64_t slot_va,
				   bool slot_va_known, unsigned psz, bool big, size_t max,
				   char **out, size_t *outlen, const char **why)
{
	uint64_t hdr_va, hdr_off, data_va, data_off, len;
	enum ptr_res r;

	r = read_ptr(im, slot_off, slot_va, slot_va_known, psz, big, &hdr_va);
	if (r != PTR_OK) {
		*why = "pointer slot is empty";
		return r;
	}
	if (!vaddr_to_off(im, hdr_va, 2ull * psz, &hdr_off)) {
		*why = "string header address is outside the file";
		return PTR_BAD;
	}
	r = read_ptr(im, hdr_off, hdr_va, true, psz, big, &data_va);
	if (r == PTR_BAD) {
		*why = "string header is unreadable";
		return r;
	}
	len = get_uint(im->data + hdr_off + psz, psz, big);
	if (len > max) {
		*why = "string length is implausible";
		return PTR_BAD;
	}
	if (len == 0) {
		*out = xstrdup("");
		*outlen = 0;
		return PTR_OK;
	}
	if (r == PTR_UNRELOCATED) {
		*why = "string data pointer is empty";
		return r;
	}
	if (!vaddr_to_off(im, data_va, len, &data_off)) {
		*why = "string data is outside the file";
		return PTR_BAD;
	}
	/* not xstrndup: modinfo holds NUL bytes (in its end sentinel) */
	*out = xmalloc(len + 1);
	memcpy(*out, im->data + data_off, len);
	(*out)[len] = '\0';
	*outlen = len;
	return PTR_OK;
}

/* ---- modinfo ---------------------------------------------------------- */

static void utf8_put(struct strbuf *sb, uint32_t r)
{
	unsigned char b[4];
	size_t n;
	if (r < 0x80) {
		b[0] = (unsigned char)r;
		n = 1;
	} else if (r < 0x800) {
		b[0] = (unsigned char)(0xc0 | r >> 6);
		b[1] = (unsigned char)(0x80 | (r & 0x3f));
		n = 2;
	} else if (r < 0x10000) {
		b[0] = (unsigned char)(0xe0 | r >> 12);
		b[1] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (r & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | r >> 18);
		b[1] = (unsigned char)(0x80 | ((r >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((r >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (r & 0x3f));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

/* Decode the Go quoted string (strconv syntax, "..." or `...`) that starts
 * s[0..n).  Sets *used to the bytes consumed, quotes included.  The output
 * is bounded by n, which is bounded by the modinfo cap. */
static bool go_unquote_prefix(const char *s, size_t n, struct strbuf *out, size_t *used)
{
	size_t i = 1;

	if (n < 2)
		return false;
	if (s[0] == '`') {
		for (; i < n; i++) {
			if (s[i] == '`') {
				*used = i + 1;
				return true;
			}
			if (s[i] != '\r')
				strbuf_addch(out, s[i]);
		}
		return false;
	}
	if (s[0] != '"')
		return false;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"') {
			*used = i + 1;
			return true;
		}
		if (c == '\n')
			return false;
		if (c != '\\') {
			strbuf_addch(out, c);
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		c = (unsigned char)s[i + 1];
		i += 2;
		switch (c) {
		case 'a': strbuf_addch(out, '\a'); break;
		case 'b': strbuf_addch(out, '\b'); break;
		case 'f': strbuf_addch(out, '\f'); break;
		case 'n': strbuf_addch(out, '\n'); break;
		case 'r': strbuf_addch(out, '\r'); break;
		case 't': strbuf_addch(out, '\t'); break;
		case 'v': strbuf_addch(out, '\v'); break;
		case '\\': strbuf_addch(out, '\\'); break;
		case '"': strbuf_addch(out, '"'); break;
		case 'x': case 'u': case 'U': {
			size_t nd = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			uint32_t v = 0;
			if (n - i < nd)
				return false;
			for (size_t k = 0; k < nd; k++) {
				int h = hex_value((unsigned char)s[i + k]);
				if (h < 0)
					return false;
				v = v << 4 | (uint32_t)h;
			}
			i += nd;
			if (c == 'x') {
				strbuf_addch(out, (int)v);
				break;
			}
			if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
				return false;
			utf8_put(out, v);
			break;
		}
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7': {
			uint32_t v = (uint32_t)(c - '0');
			if (n - i < 2)
				return false;
			for (size_t k = 0; k < 2; k++) {
				unsigned char d = (unsigned char)s[i + k];
				if (d < '0' || d > '7')
					return false;
				v = v * 8 + (uint32_t)(d - '0');
			}
			if (v > 255)
				return false;
			i += 2;
			strbuf_addch(out, (int)v);
			break;
		}
		default:
			return false;
		}
	}
	return false;
}

/* cmd/go quotes a key that is empty or holds one of these (and '=');
 * values the same minus '='.  An unquoted one that needs quoting is
 * malformed, as in debug.ParseBuildInfo. */
static bool needs_quote(const char *s, size_t n, bool key)
{
	if (key && n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '`' ||
		    (key && c == '='))
			return true;
	}
	return false;
}

/* Split s[0..n) on tabs into at most `max` fields; returns the count, or
 * max + 1 if there are more. */
static size_t split_tabs(const char *s, size_t n, const char **f, size_t *fl, size_t max)
{
	size_t nf = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\t')
			continue;
		if (nf == max)
			return max + 1;
		f[nf] = s + start;
		fl[nf] = i - start;
		nf++;
		start = i + 1;
	}
	return nf;
}

static bool parse_module(const char *s, size_t n, struct go_module *m, bool replacement)
{
	const char *f[4];
	size_t fl[4];
	size_t nf = split_tabs(s, n, f, fl, 3);
	if (replacement ? nf != 3 : (nf != 2 && nf != 3))
		return false;
	m->path = xstrndup(f[0], fl[0]);
	m->version = xstrndup(f[1], fl[1]);
	m->sum = nf == 3 ? xstrndup(f[2], fl[2]) : xstrdup("");
	return true;
}

static bool parse_build(const char *kv, size_t n, struct go_buildinfo *bi, const char **why)
{
	struct strbuf key = STRBUF_INIT_MAX(GO_BI_MAX_MODINFO);
	struct strbuf val = STRBUF_INIT_MAX(GO_BI_MAX_MODINFO);
	const char *raw;
	size_t rawlen, used;

	if (n == 0 || kv[0] == '=') {
		*why = "build line without a key";
		return false;
	}
	if (kv[0] == '"' || kv[0] == '`') {
		if (!go_unquote_prefix(kv, n, &key, &used) || used >= n || kv[used] != '=') {
			*why = "bad quoted key in build line";
			goto fail;
		}
		raw = kv + used + 1;
		rawlen = n - used - 1;
	} else {
		const char *eq = memchr(kv, '=', n);
		if (!eq) {
			*why = "build line without '='";
			return false;
		}
		if (needs_quote(kv, (size_t)(eq - kv), true)) {
			*why = "unquoted key that must be quoted";
			return false;
		}
		strbuf_add(&key, kv, (size_t)(eq - kv));
		raw = eq + 1;
		rawlen = n - (size_t)(eq - kv) - 1;
	}
	if (rawlen && (raw[0] == '"' || raw[0] == '`')) {
		if (!go_unquote_prefix(raw, rawlen, &val, &used) || used != rawlen) {
			*why = "bad quoted value in build line";
			goto fail;
		}
	} else {
		if (needs_quote(raw, rawlen, false)) {
			*why = "unquoted value that must be quoted";
			goto fail;
		}
		strbuf_add(&val, raw, rawlen);
	}
	bi->settings = xreallocarray(bi->settings, bi->nsettings + 1, sizeof(*bi->settings));
	bi->settings[bi->nsettings].key = strbuf_detach(&key, NULL);
	bi->settings[bi->nsettings].value = strbuf_detach(&val, NULL);
	bi->nsettings++;
	return true;
fail:
	strbuf_release(&key);
	strbuf_release(&val);
	return false;
}

/* debug.ParseBuildInfo, but a bad line is skipped (and noted) instead of
 * failing the whole read: the version is what matters most. */
static void parse_modinfo(const char *mod, size_t n, struct go_buildinfo *bi)
{
	/* What a "=>" line would replace: nothing, the main module, or
	 * deps[last_dep] (an index: deps may move when it grows). */
	enum { LAST_NONE, LAST_MAIN, LAST_DEP } last = LAST_NONE;
	size_t last_dep = 0, alloc_deps = 0, lineno = 0;

	while (n > 0) {
		const char *nl = memchr(mod, '\n', n);
		const char *why = NULL;
		size_t ll;
		if (!nl)
			break;  /* an unterminated last line is ignored, as in Go */
		ll = (size_t)(nl - mod);
		lineno++;
		if (ll >= 5 && !memcmp(mod, "path\t", 5)) {
			free(bi->path);
			bi->path = xstrndup(mod + 5, ll - 5);
		} else if (ll >= 4 && !memcmp(mod, "mod\t", 4)) {
			struct go_module m = { 0 };
			if (parse_module(mod + 4, ll - 4, &m, false)) {
				free(bi->mod_path);
				free(bi->mod_version);
				free(bi->mod_sum);
				if (bi->mod_replace) {
					module_release(bi->mod_replace);
					free(bi->mod_replace);
					bi->mod_replace = NULL;
				}
				bi->mod_path = m.path;
				bi->mod_version = m.version;
				bi->mod_sum = m.sum;
				last = LAST_MAIN;
			} else {
				why = "mod line needs 2 or 3 fields";
			}
		} else if (ll >= 4 && !memcmp(mod, "dep\t", 4)) {
			struct go_module m = { 0 };
			if (bi->ndeps >= GO_BI_MAX_DEPS) {
				set_note(bi, "more than %d dependencies; the rest are ignored",
					 GO_BI_MAX_DEPS);
				last = LAST_NONE;
			} else if (parse_module(mod + 4, ll - 4, &m, false)) {
				ALLOC_GROW(bi->deps, bi->ndeps + 1, alloc_deps);
				bi->deps[bi->ndeps] = m;
				last = LAST_DEP;
				last_dep = bi->ndeps;
				bi->ndeps++;
			} else {
				why = "dep line needs 2 or 3 fields";
				last = LAST_NONE;
			}
		} else if (ll >= 3 && !memcmp(mod, "=>\t", 3)) {
			struct go_module m = { 0 };
			if (last == LAST_NONE) {
				why = "replacement with no module on the previous line";
			} else if (!parse_module(mod + 3, ll - 3, &m, true)) {
				why = "replacement line needs 3 fields";
			} else {
				struct go_module *r = xmalloc(sizeof(*r));
				*r = m;
				if (last == LAST_MAIN)
					bi->mod_replace = r;
				else
					bi->deps[last_dep].replace = r;
			}
			last = LAST_NONE;
		} else if (ll >= 6 && !memcmp(mod, "build\t", 6)) {
			if (bi->nsettings >= GO_BI_MAX_SETTINGS)
				set_note(bi, "more than %d build settings; the rest are ignored",
					 GO_BI_MAX_SETTINGS);
			else
				parse_build(mod + 6, ll - 6, bi, &why);
		}
		if (why)
			set_note(bi, "modinfo line %zu skipped: %s", lineno, why);
		n -= ll + 1;
		mod = nl + 1;
	}
}

/* ---- the header -------------------------------------------------------- */

static bool version_plausible(const char *v, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return true;
}

static void take_modinfo(struct go_buildinfo *bi, const char *mod, size_t n)
{
	/* Strip the 16-byte sentinels exactly when Go's reader does; any
	 * other shape means a non-module (or damaged) build: no modinfo. */
	if (n >= 33 && mod[n - 17] == '\n')
		parse_modinfo(mod + 16, n - 32, bi);
}

/* Decode the header at file offset `off`; on failure fill `w` and leave
 * `bi` empty. */
static bool decode_at(struct image *im, uint64_t off, uint64_t va, bool va_known,
		      struct go_buildinfo *bi, struct why *w)
{
	const unsigned char *h = im->data + off;
	unsigned psz = h[14];
	unsigned flags = h[15];

	if (flags & BI_FLAG_INLINE) {
		uint64_t q = off + BI_HDR_SIZE, vlen, mlen;
		size_t used;
		used = uvarint(im->data + q, im->len - q, &vlen);
		if (!used || vlen > GO_BI_MAX_VERSION || !range_ok(im, q + used, vlen)) {
			why_set(w, off, "bad version length");
			return false;
		}
		q += used;
		if (!version_plausible((const char *)im->data + q, vlen)) {
			why_set(w, off, "version string is empty or not text");
			return false;
		}
		bi->go_version = xstrndup((const char *)im->data + q, vlen);
		q += vlen;
		used = uvarint(im->data + q, im->len - q, &mlen);
		if (!used || mlen > GO_BI_MAX_MODINFO || !range_ok(im, q + used, mlen)) {
			free(bi->go_version);
			bi->go_version = NULL;
			why_set(w, off, "bad modinfo length");
			return false;
		}
		q += used;
		bi->format = 2;
		take_modinfo(bi, (const char *)im->data + q, mlen);
		return true;
	}

	if (psz != 4 && psz != 8) {
		why_set(w, off, "pointer size %u is neither 4 nor 8", psz);
		return false;
	}
	bool big = flags & BI_FLAG_BIG_ENDIAN;
	char *vers = NULL, *mod = NULL;
	size_t vlen = 0, mlen = 0;
	const char *why = NULL;
	enum ptr_res r;

	r = read_go_string(im, off + 16, va + 16, va_known, psz, big, GO_BI_MAX_VERSION,
			   &vers, &vlen, &why);
	if (r == PTR_BAD || (r == PTR_OK && !version_plausible(vers, vlen))) {
		why_set(w, off, "version: %s", r == PTR_OK ? "empty or not text" : why);
		free(vers);
		return false;
	}
	bi->format = 1;
	if (r == PTR_UNRELOCATED) {
		set_note(bi, "Go version unknown: pre-1.18 PIE whose version pointer is set "
			 "by a load-time relocation that is not in the file (%s); "
			 "it can only be read from the live process", why);
	} else {
		bi->go_version = vers;
	}
	r = read_go_string(im, off + 16 + psz, va + 16 + psz, va_known, psz, big,
			   GO_BI_MAX_MODINFO, &mod, &mlen, &why);
	if (r == PTR_OK) {
		take_modinfo(bi, mod, mlen);
		free(mod);
	} else {
		set_note(bi, "module info unreadable: %s", why);
	}
	return true;
}

/* Look for an aligned header inside file range [off, off + size), whose
 * first byte is at virtual address `va` (if known). */
static bool search_range(struct image *im, uint64_t off, uint64_t size, uint64_t va,
			 bool va_known, struct go_buildinfo *bi, struct why *w)
{
	if (off > im->len)
		return false;
	if (size > im->len - off)
		size = im->len - off;
	const unsigned char *base = im->data + off;
	uint64_t i = 0;
	while (size - i >= BI_HDR_SIZE) {
		const unsigned char *p = memmem(base + i, size - i, BI_MAGIC, BI_MAGIC_LEN);
		uint64_t at, cva;
		bool cva_known = va_known;
		if (!p)
			return false;
		at = (uint64_t)(p - base);
		if (size - at < BI_HDR_SIZE)
			return false;
		i = at + 1;
		cva = va + at;
		if (!va_known)
			cva_known = off_to_vaddr(im, off + at, &cva);
		/* Alignment is a property of the address the linker chose;
		 * file offsets of a PT_LOAD agree with it modulo the page
		 * size, so either works when the address is unknown. */
		if ((va_known ? cva : off + at) % BI_ALIGN)
			continue;
		if (decode_at(im, off + at, cva, cva_known, bi, w)) {
			bi->blob_offset = off + at;
			return true;
		}
		go_buildinfo_release(bi);
	}
	return false;
}

static bool search_section(struct image *im, struct go_buildinfo *bi, struct why *w)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(im->elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(im->elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(im->elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".go.buildinfo"))
			continue;
		if (search_range(im, sh.sh_offset, sh.sh_size, sh.sh_addr, true, bi, w))
			return true;
	}
	return false;
}

static bool search_segments(struct image *im, struct go_buildinfo *bi, struct why *w)
{
	for (size_t i = 0; i < im->nsegs; i++) {
		const struct load_seg *s = &im->segs[i];
		if (!(s->flags & PF_W) || (s->flags & PF_X))
			continue;
		if (search_range(im, s->off, s->filesz, s->vaddr, true, bi, w))
			return true;
	}
	return false;
}

static void load_image(struct image *im, const struct elf_file *ef)
{
	size_t phnum;

	im->data = ef->data;
	im->len = ef->len;
	im->elf = ef->elf;
	im->is64 = gelf_getclass(im->elf) == ELFCLASS64;
	im->big = ef->eh.e_ident[EI_DATA] == ELFDATA2MSB;
	im->machine = ef->eh.e_machine;
	im->type = ef->eh.e_type;
	if (elf_getphdrnum(im->elf, &phnum) != 0)
		phnum = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(im->elf, (int)i, &ph))
			break;
		if (ph.p_type == PT_DYNAMIC && !im->has_dyn && range_ok(im, ph.p_offset, ph.p_filesz)) {
			im->has_dyn = true;
			im->dyn_off = ph.p_offset;
			im->dyn_size = ph.p_filesz;
		}
		if (ph.p_type != PT_LOAD || im->nsegs >= MAX_SEGS)
			continue;
		im->segs[im->nsegs].vaddr = ph.p_vaddr;
		im->segs[im->nsegs].off = ph.p_offset;
		im->segs[im->nsegs].filesz = ph.p_filesz;
		im->segs[im->nsegs].flags = ph.p_flags;
		im->nsegs++;
	}
}

enum gd_err go_buildinfo_read_elf(const struct elf_file *ef, const char *name, struct go_buildinfo *bi,
				  struct gd_errbuf *eb)
{
	struct image *im = xcalloc(1, sizeof(*im));
	struct why w = { .set = false }, ws = { .set = false };
	size_t len = ef->len;
	enum gd_err rc = GD_OK;

	go_buildinfo_release(bi);
	im->name = name;
	load_image(im, ef);
	if (search_section(im, bi, &w))
		bi->how = GO_BI_HOW_SECTION;
	else if (search_segments(im, bi, &w))
		bi->how = GO_BI_HOW_SEGMENT;
	else if (search_range(im, 0, len, 0, false, bi, &ws))
		bi->how = GO_BI_HOW_SCAN;
	else if (w.set)
		rc = gd_fail(eb, GD_EFORMAT, "%s%sdamaged Go build info at offset %#llx: %s",
			     name ? name : "", name ? ": " : "",
			     (unsigned long long)w.off, w.msg);
	else if (ws.set)
		/* Outside Go's data areas a magic is most likely a
		 * string constant (any program that links a build-info
		 * reader, godiag included, has one). */
		rc = gd_fail(eb, GD_EFORMAT, "%s%snot a Go executable (no build info; "
			     "the magic at offset %#llx is not a header: %s)",
			     name ? name : "", name ? ": " : "",
			     (unsigned long long)ws.off, ws.msg);
	else
		rc = gd_fail(eb, GD_EFORMAT, "%s%snot a Go executable (no build info)",
			     name ? name : "", name ? ": " : "");
	free(im);
	return rc;
}

enum gd_err go_buildinfo_read_mem(const unsigned char *data, size_t len,
				  struct go_buildinfo *bi, struct gd_errbuf *eb)
{
	struct elf_file ef;
	enum gd_err rc;

	go_buildinfo_release(bi);
	rc = elf_file_from_mem(&ef, data, len, NULL, eb);
	if (rc == GD_OK)
		rc = go_buildinfo_read_elf(&ef, NULL, bi, eb);
	elf_file_release(&ef);
	return rc;
}

enum gd_err go_buildinfo_read_file(const char *path, struct go_buildinfo *bi,
				   struct gd_errbuf *eb)
{
	struct elf_file ef;
	enum gd_err rc;

	go_buildinfo_release(bi);
	rc = elf_file_open(&ef, path, false, eb);
	if (rc == GD_OK)
		rc = go_buildinfo_read_elf(&ef, path, bi, eb);
	elf_file_release(&ef);
	return rc;
}
