/* SPDX-License-Identifier: MIT */
/* pclntab decoding for Go 1.2 to 1.2x; see pclntab.h.  Layout facts are from
 * the runtime's own symtab.go/symtabinl.go and debug/gosym of each release. */
#include <stdio.h>
#include <string.h>

#include "census/pclntab.h"
#include "util/banned.h"

#define DEFAULT_SIZE_HINT ((uint64_t)256 << 20)
#define MAX_NFUNC 10000000u
#define MAX_PCVALUE_STEPS 1000000u

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static enum gd_err rd(const struct pclntab *t, uint64_t addr, void *buf, size_t n)
{
	if (addr + n < addr)
		return GD_EFORMAT;
	return t->read(t->ctx, addr, buf, n);
}

static enum gd_err rd32(const struct pclntab *t, uint64_t addr, uint32_t *v)
{
	unsigned char b[4];
	enum gd_err e = rd(t, addr, b, 4);
	if (!e)
		*v = get32(b);
	return e;
}

static enum gd_err rd64(const struct pclntab *t, uint64_t addr, uint64_t *v)
{
	unsigned char b[8];
	enum gd_err e = rd(t, addr, b, 8);
	if (!e)
		*v = get64(b);
	return e;
}

int pclntab_header_ok(const unsigned char *p, size_t n)
{
	if (n < 16)
		return 0;
	uint32_t magic = get32(p);
	if (magic != 0xfffffffb && magic != 0xfffffffa && magic != 0xfffffff0 &&
	    magic != 0xfffffff1)
		return 0;
	if (p[4] || p[5] || (p[6] != 1 && p[6] != 2 && p[6] != 4) || p[7] != 8)
		return 0;
	uint64_t nfunc = get64(p + 8);
	return nfunc > 0 && nfunc < MAX_NFUNC;
}

enum gd_err pclntab_init(struct pclntab *t, pcl_read_fn read, void *ctx, uint64_t addr,
			 uint64_t gofunc, uint64_t size_hint, struct gd_errbuf *eb)
{
	memset(t, 0, sizeof(*t));
	t->read = read;
	t->ctx = ctx;
	t->base = addr;
	t->gofunc = gofunc;
	t->size_hint = size_hint ? size_hint : DEFAULT_SIZE_HINT;
	unsigned char h[72];
	if (rd(t, addr, h, 16))
		return gd_fail(eb, GD_EIO, "pclntab at 0x%llx: unreadable", (unsigned long long)addr);
	if (!pclntab_header_ok(h, 16))
		return gd_fail(eb, GD_EFORMAT, "pclntab at 0x%llx: bad header (magic 0x%08x)",
			       (unsigned long long)addr, get32(h));
	t->magic = get32(h);
	t->quantum = h[6];
	t->nfunc = get64(h + 8);
	uint64_t lim = t->size_hint;
	switch (t->magic) {
	case 0xfffffffb: {
		t->layout = PCL_12;
		t->functab = addr + 16;
		t->funcnametab = addr;
		t->pctab = addr;
		uint32_t fileoff;
		if (rd32(t, t->functab + t->nfunc * 16 + 8, &fileoff) || fileoff >= lim)
			return gd_fail(eb, GD_EFORMAT, "pclntab (Go 1.2 layout): bad file table offset");
		t->filetab = addr + fileoff;
		uint32_t nf;
		if (rd32(t, t->filetab, &nf))
			return gd_fail(eb, GD_EFORMAT, "pclntab (Go 1.2 layout): unreadable file table");
		t->nfiles = nf;
		break;
	}
	case 0xfffffffa:
	case 0xfffffff0:
	case 0xfffffff1: {
		int has_text = t->magic != 0xfffffffa;
		t->layout = t->magic == 0xfffffffa ? PCL_116 : t->magic == 0xfffffff0 ? PCL_118 : PCL_120;
		if (rd(t, addr, h, has_text ? 72 : 64))
			return gd_fail(eb, GD_EIO, "pclntab header: unreadable");
		t->nfiles = get64(h + 16);
		size_t o = 24;
		if (has_text) {
			t->text = get64(h + 24);
			o = 32;
		}
		uint64_t offs[5];
		for (int i = 0; i < 5; i++) {
			offs[i] = get64(h + o + 8 * i);
			if (offs[i] >= lim)
				return gd_fail(eb, GD_EFORMAT, "pclntab header: table offset %d out of range", i);
		}
		t->funcnametab = addr + offs[0];
		t->cutab = addr + offs[1];
		t->filetab = addr + offs[2];
		t->pctab = addr + offs[3];
		t->functab = addr + offs[4];
		break;
	}
	}
	struct pcl_func f;
	enum gd_err e = pclntab_func_at(t, 0, &f);
	if (e)
		return gd_fail(eb, GD_EFORMAT, "pclntab: first function unreadable");
	t->minpc = f.entry;
	e = pclntab_func_at(t, t->nfunc - 1, &f);
	if (e || f.end < t->minpc)
		return gd_fail(eb, GD_EFORMAT, "pclntab: last function unreadable");
	t->maxpc = f.end;
	return GD_OK;
}

static size_t func_size(const struct pclntab *t)
{
	switch (t->layout) {
	case PCL_12: return 40;
	case PCL_116: return 44;
	case PCL_118: return 40;
	default: return 44;
	}
}

/* functab entry i's pc (i <= nfunc) and, for i < nfunc, the _func address */
static enum gd_err ftab(const struct pclntab *t, uint64_t i, uint64_t *pc, uint64_t *faddr)
{
	if (i > t->nfunc)
		return GD_EFORMAT;
	if (t->layout == PCL_12 || t->layout == PCL_116) {
		uint64_t off = 0;
		enum gd_err e = rd64(t, t->functab + i * 16, pc);
		if (!e && faddr && i < t->nfunc)
			e = rd64(t, t->functab + i * 16 + 8, &off);
		if (e)
			return e;
		if (faddr && off >= t->size_hint)
			return GD_EFORMAT;
		if (faddr)
			*faddr = (t->layout == PCL_12 ? t->base : t->functab) + off;
		return GD_OK;
	}
	uint32_t eo = 0, fo = 0;
	enum gd_err e = rd32(t, t->functab + i * 8, &eo);
	if (!e && faddr && i < t->nfunc)
		e = rd32(t, t->functab + i * 8 + 4, &fo);
	if (e)
		return e;
	*pc = t->text + eo;
	if (faddr)
		*faddr = t->functab + fo;
	return GD_OK;
}

enum gd_err pclntab_func_at(const struct pclntab *t, uint64_t i, struct pcl_func *f)
{
	if (i >= t->nfunc)
		return GD_ENOENT;
	uint64_t faddr, pc, end;
	enum gd_err e = ftab(t, i, &pc, &faddr);
	if (!e)
		e = ftab(t, i + 1, &end, NULL);
	if (e)
		return e;
	unsigned char b[44];
	size_t fs = func_size(t);
	if ((e = rd(t, faddr, b, fs)))
		return e;
	memset(f, 0, sizeof(*f));
	f->addr = faddr;
	f->end = end;
	f->startline = 0;
	switch (t->layout) {
	case PCL_12:
	case PCL_116:
		f->entry = get64(b);
		f->nameoff = (int32_t)get32(b + 8);
		f->pcsp = get32(b + 20);
		f->pcfile = get32(b + 24);
		f->pcln = get32(b + 28);
		f->npcdata = get32(b + 32);
		if (t->layout == PCL_12) {
			f->funcid = b[36];
			f->nfuncdata = b[39];
		} else {
			f->cuoff = get32(b + 36);
			f->funcid = b[40];
			f->flag = b[41];
			f->nfuncdata = b[43];
		}
		break;
	case PCL_118:
	case PCL_120:
		f->entry = t->text + get32(b);
		f->nameoff = (int32_t)get32(b + 4);
		f->pcsp = get32(b + 16);
		f->pcfile = get32(b + 20);
		f->pcln = get32(b + 24);
		f->npcdata = get32(b + 28);
		f->cuoff = get32(b + 32);
		if (t->layout == PCL_118) {
			f->funcid = b[36];
			f->flag = b[37];
			f->nfuncdata = b[39];
		} else {
			f->startline = (int32_t)get32(b + 36);
			f->funcid = b[40];
			f->flag = b[41];
			f->nfuncdata = b[43];
		}
		break;
	}
	/* the functab's pc and the record's entry must agree */
	if (f->entry != pc || f->npcdata > 1024 || f->end < f->entry)
		return GD_EFORMAT;
	return GD_OK;
}

enum gd_err pclntab_findfunc(const struct pclntab *t, uint64_t pc, struct pcl_func *f)
{
	if (pc < t->minpc || pc >= t->maxpc)
		return GD_ENOENT;
	uint64_t lo = 0, hi = t->nfunc; /* entry(lo) <= pc < entry(hi) */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2, e;
		enum gd_err err = ftab(t, mid, &e, NULL);
		if (err)
			return err;
		if (e <= pc)
			lo = mid;
		else
			hi = mid;
	}
	enum gd_err e = pclntab_func_at(t, lo, f);
	if (e)
		return e;
	if (pc < f->entry || pc >= f->end)
		return GD_ENOENT;
	return GD_OK;
}

static enum gd_err read_cstr(const struct pclntab *t, uint64_t addr, char *buf, size_t cap)
{
	size_t n = 0;
	if (cap == 0)
		return GD_EARG;
	while (n + 1 < cap) {
		unsigned char chunk[64];
		size_t k = sizeof(chunk);
		/* stay inside one page so a string at a mapping's end reads */
		uint64_t room = 4096 - ((addr + n) & 4095);
		if (k > room)
			k = (size_t)room;
		if (rd(t, addr + n, chunk, k) && rd(t, addr + n, chunk, k = 1))
			return GD_EIO;
		for (size_t i = 0; i < k; i++) {
			if (!chunk[i] || n + 1 >= cap) {
				buf[n] = 0;
				return chunk[i] ? GD_ETOOLONG : GD_OK;
			}
			buf[n++] = (char)chunk[i];
		}
	}
	buf[n] = 0;
	return GD_ETOOLONG;
}

enum gd_err pclntab_name(const struct pclntab *t, int32_t nameoff, char *buf, size_t cap)
{
	if (nameoff < 0 || (uint64_t)nameoff >= t->size_hint) {
		if (cap)
			buf[0] = 0;
		return GD_EFORMAT;
	}
	enum gd_err e = read_cstr(t, t->funcnametab + (uint32_t)nameoff, buf, cap);
	return e == GD_ETOOLONG ? GD_OK : e; /* a capped name is still a name */
}

struct vcur {
	const struct pclntab *t;
	uint64_t addr;
	unsigned char buf[128];
	size_t pos, len;
};

static int vbyte(struct vcur *c, unsigned char *out)
{
	if (c->pos == c->len) {
		size_t k = sizeof(c->buf);
		uint64_t room = 4096 - (c->addr & 4095);
		if (k > room)
			k = (size_t)room;
		/* a table may end just before the end of the mapping: fall
		 * back to one byte at a time */
		if (rd(c->t, c->addr, c->buf, k)) {
			k = 1;
			if (rd(c->t, c->addr, c->buf, k))
				return -1;
		}
		c->addr += k;
		c->pos = 0;
		c->len = k;
	}
	*out = c->buf[c->pos++];
	return 0;
}

static int varint(struct vcur *c, uint32_t *v)
{
	uint32_t r = 0;
	for (unsigned shift = 0; shift < 35; shift += 7) {
		unsigned char b;
		if (vbyte(c, &b))
			return -1;
		r |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

enum gd_err pclntab_pcvalue(const struct pclntab *t, const struct pcl_func *f, uint32_t off,
			    uint64_t pc, int32_t *val)
{
	*val = -1;
	if (off == 0)
		return GD_OK;
	if (off >= t->size_hint)
		return GD_EFORMAT;
	struct vcur c = { .t = t, .addr = t->pctab + off };
	int32_t v = -1;
	uint64_t cur = f->entry;
	for (uint32_t step = 0; step < MAX_PCVALUE_STEPS; step++) {
		uint32_t uv, pcd;
		if (varint(&c, &uv))
			return GD_EFORMAT;
		if (uv == 0 && step > 0)
			return GD_ENOENT; /* end of table before pc */
		int32_t d = (uv & 1) ? ~(int32_t)(uv >> 1) : (int32_t)(uv >> 1);
		v = (int32_t)((uint32_t)v + (uint32_t)d); /* wraps, as Go's int32 does */
		if (varint(&c, &pcd))
			return GD_EFORMAT;
		cur += (uint64_t)pcd * t->quantum;
		if (pc < cur) {
			*val = v;
			return GD_OK;
		}
		if (cur > f->end)
			return GD_EFORMAT;
	}
	return GD_EFORMAT;
}

enum gd_err pclntab_pcdata(const struct pclntab *t, const struct pcl_func *f, uint32_t i,
			   uint64_t pc, int32_t *val)
{
	*val = -1;
	if (i >= f->npcdata)
		return GD_OK;
	uint32_t off;
	enum gd_err e = rd32(t, f->addr + func_size(t) + 4 * i, &off);
	if (e)
		return e;
	return pclntab_pcvalue(t, f, off, pc, val);
}

enum gd_err pclntab_funcdata(const struct pclntab *t, const struct pcl_func *f, uint32_t i,
			     uint64_t *addr)
{
	*addr = 0;
	if (i >= f->nfuncdata)
		return GD_OK;
	uint64_t p = f->addr + func_size(t) + 4 * (uint64_t)f->npcdata;
	if (t->layout == PCL_118 || t->layout == PCL_120) {
		uint32_t off;
		enum gd_err e = rd32(t, p + 4 * i, &off);
		if (e)
			return e;
		if (off == 0xffffffffu || !t->gofunc)
			return GD_OK;
		*addr = t->gofunc + off;
		return GD_OK;
	}
	p = (p + 7) & ~(uint64_t)7;
	return rd64(t, p + 8 * i, addr);
}

static enum gd_err file_name(const struct pclntab *t, const struct pcl_func *f, int32_t fileno,
			     char *buf, size_t cap)
{
	if (fileno < 0)
		return GD_EFORMAT;
	uint32_t off;
	enum gd_err e;
	if (t->layout == PCL_12) {
		if ((uint64_t)fileno >= t->nfiles)
			return GD_EFORMAT;
		if ((e = rd32(t, t->filetab + 4 * (uint64_t)fileno, &off)))
			return e;
		if (off >= t->size_hint)
			return GD_EFORMAT;
		e = read_cstr(t, t->base + off, buf, cap);
	} else {
		if ((e = rd32(t, t->cutab + 4 * ((uint64_t)f->cuoff + (uint32_t)fileno), &off)))
			return e;
		if (off == 0xffffffffu || off >= t->size_hint) {
			snprintf(buf, cap, "?");
			return GD_OK;
		}
		e = read_cstr(t, t->filetab + off, buf, cap);
	}
	return e == GD_ETOOLONG ? GD_OK : e;
}

enum gd_err pclntab_fileline(const struct pclntab *t, const struct pcl_func *f, uint64_t pc,
			     char *file, size_t cap, int32_t *line)
{
	int32_t fno;
	enum gd_err e = pclntab_pcvalue(t, f, f->pcfile, pc, &fno);
	if (!e)
		e = pclntab_pcvalue(t, f, f->pcln, pc, line);
	if (e)
		return e;
	return file_name(t, f, fno, file, cap);
}

enum gd_err pclntab_spdelta(const struct pclntab *t, const struct pcl_func *f, uint64_t pc,
			    int32_t *delta)
{
	return pclntab_pcvalue(t, f, f->pcsp, pc, delta);
}

enum gd_err pclntab_expand(const struct pclntab *t, const struct pcl_func *f, uint64_t pc,
			   struct pcl_frame *out, size_t cap, size_t *n)
{
	*n = 0;
	uint64_t inl = 0;
	enum gd_err e = pclntab_funcdata(t, f, PCL_FUNCDATA_INLTREE, &inl);
	if (e)
		return e;
	uint64_t cur = pc;
	while (*n < cap) {
		struct pcl_frame *fr = &out[*n];
		int32_t ix = -1;
		if (inl && (e = pclntab_pcdata(t, f, PCL_PCDATA_INLTREEINDEX, cur, &ix)))
			return e;
		if ((e = pclntab_fileline(t, f, cur, fr->file, sizeof(fr->file), &fr->line)))
			return e;
		if (ix < 0) {
			if ((e = pclntab_name(t, f->nameoff, fr->name, sizeof(fr->name))))
				return e;
			fr->funcid = f->funcid;
			fr->inlined = false;
			(*n)++;
			return GD_OK;
		}
		if (ix > 1000000)
			return GD_EFORMAT;
		unsigned char r[20];
		int32_t nameoff;
		uint32_t parentpc;
		if (t->layout == PCL_120) {
			if ((e = rd(t, inl + 16 * (uint64_t)ix, r, 16)))
				return e;
			fr->funcid = r[0];
			nameoff = (int32_t)get32(r + 4);
			parentpc = get32(r + 8);
		} else {
			if ((e = rd(t, inl + 20 * (uint64_t)ix, r, 20)))
				return e;
			fr->funcid = r[2];
			nameoff = (int32_t)get32(r + 12);
			parentpc = get32(r + 16);
		}
		if ((e = pclntab_name(t, nameoff, fr->name, sizeof(fr->name))))
			return e;
		fr->inlined = true;
		(*n)++;
		uint64_t next = f->entry + parentpc;
		if (next >= f->end)
			return GD_EFORMAT;
		cur = next;
	}
	return GD_ETOOBIG;
}

enum gd_err pclntab_lookup(const struct pclntab *t, const char *name, struct pcl_func *f)
{
	char buf[PCL_NAME_MAX];
	for (uint64_t i = 0; i < t->nfunc; i++) {
		if (pclntab_func_at(t, i, f))
			continue;
		if (pclntab_name(t, f->nameoff, buf, sizeof(buf)))
			continue;
		if (!strcmp(buf, name))
			return GD_OK;
	}
	return GD_ENOENT;
}
