/* SPDX-License-Identifier: MIT */
/* ELF and DWARF facts for the census; see goelf.h. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "census/goelf.h"
#include "linux/buildinfo.h"
#include "linux/elffile.h"
#include "util/numparse.h"
#include "util/banned.h"

int census_go_minor(const char *v)
{
	if (!v || strncmp(v, "go1.", 4))
		return 0;
	const char *p = v + 4;
	uint64_t m;
	if (!scan_u64(&p, p + strlen(p), &m) || m == 0 || m > 1000)
		return 0;
	return (int)m;
}

/* Offsets read from the DWARF of Debian's Go 1.19.8, 1.21.13, 1.22.12 and
 * 1.23.5 (amd64); 1.12 from its source tree (unverified by a fixture).
 * Versions not listed need DWARF: a wrong offset would print plausible
 * garbage, so there is no guessing from a neighbour. */
enum gd_err census_offsets_for_version(int minor, struct g_offsets *o, struct gd_errbuf *eb)
{
	memset(o, 0, sizeof(*o));
	o->stack_lo = 0;
	o->stack_hi = 8;
	o->m = 48;
	o->sched_sp = 56;
	o->sched_pc = 64;
	o->syscallsp = 112;
	o->syscallpc = 120;
	switch (minor) {
	case 12:
		o->atomicstatus = 144; o->goid = 152; o->waitsince = 168; o->waitreason = 176;
		o->lockedm = 216; o->gopc = 280; o->startpc = 296; o->size = 376;
		break;
	case 19:
		o->atomicstatus = 144; o->goid = 152; o->waitsince = 168; o->waitreason = 176;
		o->lockedm = 232; o->gopc = 296; o->startpc = 312; o->size = 392;
		break;
	case 21:
	case 22:
		o->atomicstatus = 144; o->goid = 152; o->waitsince = 168; o->waitreason = 176;
		o->lockedm = 208; o->parentgoid = 272; o->has_parentgoid = 1;
		o->gopc = 280; o->startpc = 296; o->size = 408;
		break;
	case 23:
		o->atomicstatus = 152; o->goid = 160; o->waitsince = 176; o->waitreason = 184;
		o->lockedm = 216; o->parentgoid = 280; o->has_parentgoid = 1;
		o->gopc = 288; o->startpc = 304; o->size = 432;
		break;
	default:
		return gd_fail(eb, GD_EUNSUPPORTED,
			       "Go 1.%d: no known runtime.g layout and no DWARF in the binary "
			       "(known without DWARF: 1.12, 1.19, 1.21, 1.22, 1.23)", minor);
	}
	return GD_OK;
}

/* ---- DWARF: only the runtime compile unit ---- */

static int member_off(Dwarf_Die *st, const char *name, uint32_t *off)
{
	Dwarf_Die m;
	if (dwarf_child(st, &m) != 0)
		return -1;
	do {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&m);
		if (!n || strcmp(n, name))
			continue;
		Dwarf_Attribute a;
		Dwarf_Word w;
		if (!dwarf_attr(&m, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &w) ||
		    w > 1u << 20)
			return -1;
		*off = (uint32_t)w;
		return 0;
	} while (dwarf_siblingof(&m, &m) == 0);
	return -1;
}

static int dwarf_offsets(Elf *elf, struct g_offsets *o)
{
	Dwarf *dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dw)
		return -1;
	Dwarf_Off off = 0, next;
	size_t hsize;
	int found = 0;
	Dwarf_Die g, gobuf, stack;
	int have_g = 0, have_gobuf = 0, have_stack = 0;
	while (!found && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;
		if (dwarf_offdie(dw, off + hsize, &cu)) {
			const char *n = dwarf_diename(&cu);
			if (n && !strcmp(n, "runtime") && dwarf_child(&cu, &d) == 0) {
				do {
					if (dwarf_tag(&d) != DW_TAG_structure_type)
						continue;
					const char *s = dwarf_diename(&d);
					if (!s)
						continue;
					if (!strcmp(s, "runtime.g")) { g = d; have_g = 1; }
					else if (!strcmp(s, "runtime.gobuf")) { gobuf = d; have_gobuf = 1; }
					else if (!strcmp(s, "runtime.stack")) { stack = d; have_stack = 1; }
				} while (dwarf_siblingof(&d, &d) == 0);
				found = have_g;
			}
		}
		off = next;
	}
	int rc = -1;
	if (have_g && have_gobuf && have_stack) {
		uint32_t sched, stk, sp, pc, lo, hi;
		struct g_offsets t = { 0 };
		if (!member_off(&g, "sched", &sched) && !member_off(&g, "stack", &stk) &&
		    !member_off(&gobuf, "sp", &sp) && !member_off(&gobuf, "pc", &pc) &&
		    !member_off(&stack, "lo", &lo) && !member_off(&stack, "hi", &hi) &&
		    !member_off(&g, "m", &t.m) && !member_off(&g, "syscallsp", &t.syscallsp) &&
		    !member_off(&g, "syscallpc", &t.syscallpc) &&
		    !member_off(&g, "atomicstatus", &t.atomicstatus) &&
		    !member_off(&g, "goid", &t.goid) && !member_off(&g, "waitsince", &t.waitsince) &&
		    !member_off(&g, "waitreason", &t.waitreason) &&
		    !member_off(&g, "lockedm", &t.lockedm) && !member_off(&g, "gopc", &t.gopc) &&
		    !member_off(&g, "startpc", &t.startpc)) {
			t.sched_sp = sched + sp;
			t.sched_pc = sched + pc;
			t.stack_lo = stk + lo;
			t.stack_hi = stk + hi;
			t.has_parentgoid = !member_off(&g, "parentGoid", &t.parentgoid);
			Dwarf_Word sz = (Dwarf_Word)dwarf_bytesize(&g);
			t.size = sz > 0 && sz < 65536 ? (uint32_t)sz : t.startpc + 8;
			*o = t;
			rc = 0;
		}
	}
	dwarf_end(dw);
	return rc;
}

/* ---- maps: the PIE load bias ---- */

static int pie_bias(pid_t pid, uint64_t first_vaddr, uint64_t *bias)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -1;
	char line[4096];
	int rc = -1;
	while (fgets(line, sizeof(line), fp)) {
		/* start-end perms offset maj:min inode path */
		char *p = line, *e;
		uint64_t lo = strtoull(p, &e, 16);
		if (*e != '-')
			continue;
		strtoull(e + 1, &p, 16);
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++; /* perms */
		uint64_t foff = strtoull(p, &e, 16);
		p = e;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++; /* dev */
		uint64_t ino = strtoull(p, &e, 10);
		if (ino == (uint64_t)st.st_ino && foff == 0) {
			*bias = lo - (first_vaddr & ~(uint64_t)4095);
			rc = 0;
			break;
		}
	}
	fclose(fp);
	return rc;
}

static void hexstr(const unsigned char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
	out[o] = 0;
}

static void read_buildid(Elf *e, const unsigned char *map, size_t len, char *out, size_t cap)
{
	size_t n;
	out[0] = 0;
	if (elf_getphdrnum(e, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		const unsigned char *p = map + ph.p_offset, *end = p + ph.p_filesz;
		while (end - p >= 12) {
			uint32_t nsz, dsz, type;
			memcpy(&nsz, p, 4);
			memcpy(&dsz, p + 4, 4);
			memcpy(&type, p + 8, 4);
			size_t na = (nsz + 3) & ~3u, da = (dsz + 3) & ~3u;
			if (na > (size_t)(end - p - 12) || da > (size_t)(end - p - 12 - na))
				break;
			const unsigned char *name = p + 12, *desc = p + 12 + na;
			if (nsz == 3 && !memcmp(name, "Go", 3) && type == 4) {
				size_t k = dsz < cap - 1 ? dsz : cap - 1;
				for (size_t j = 0; j < k; j++)
					out[j] = desc[j] >= 0x21 && desc[j] < 0x7f ? (char)desc[j] : '_';
				out[k] = 0;
				return; /* the Go build id wins */
			}
			if (nsz == 4 && !memcmp(name, "GNU", 4) && type == 3 && !out[0])
				hexstr(desc, dsz, out, cap);
			p += 12 + na + da;
		}
	}
}

enum gd_err census_facts_read(struct census_facts *f, const char *path, pid_t pid,
			      struct gd_errbuf *eb)
{
	memset(f, 0, sizeof(*f));
	struct elf_file ef;
	/* writable: DWARF below may need sections decompressed in place */
	enum gd_err ret = elf_file_open(&ef, path, true, eb);
	if (ret)
		return ret;
	Elf *elf = ef.elf;
	const GElf_Ehdr eh = ef.eh;
	const unsigned char *map = ef.data;
	size_t len = ef.len;
	struct go_buildinfo bi;
	go_buildinfo_init(&bi);
	struct gd_errbuf e2;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		ret = gd_fail(eb, GD_EFORMAT, "%s: not a 64-bit little-endian ELF file", path);
		goto out;
	}
	if (go_buildinfo_read_elf(&ef, NULL, &bi, &e2) != GD_OK) {
		ret = gd_fail(eb, GD_EFORMAT, "%s: %s", path, e2.msg);
		goto out;
	}
	snprintf(f->goversion, sizeof(f->goversion), "%s", bi.go_version ? bi.go_version : "");
	f->gominor = census_go_minor(bi.go_version);
	if (eh.e_machine != EM_X86_64) {
		ret = gd_fail(eb, GD_EUNSUPPORTED, "%s: only amd64 executables are supported", path);
		goto out;
	}
	read_buildid(elf, map, len, f->buildid, sizeof(f->buildid));
	size_t nph = 0;
	elf_getphdrnum(elf, &nph);
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < first)
			first = ph.p_vaddr;
	}
	f->pie = eh.e_type == ET_DYN;
	if (f->pie && pid > 0 && pie_bias(pid, first == UINT64_MAX ? 0 : first, &f->bias)) {
		ret = gd_fail(eb, GD_EFORMAT, "process %d: PIE executable not found in /proc/%d/maps",
			      (int)pid, (int)pid);
		goto out;
	}
	for (size_t i = 0; i < nph && f->nsegs < CENSUS_MAX_SEGS; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		struct census_seg *s = &f->segs[f->nsegs++];
		s->lo = ph.p_vaddr + f->bias;
		s->hi = ph.p_vaddr + ph.p_memsz + f->bias;
		s->writable = !!(ph.p_flags & PF_W);
		s->exec = !!(ph.p_flags & PF_X);
	}
	/* sections: zeroed section headers leave none, which is fine */
	size_t shstrndx = 0;
	Elf_Scn *scn = NULL;
	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh))
				continue;
			const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name)
				continue;
			f->has_sections = 1;
			if (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab"))
				f->pclntab = sh.sh_addr + f->bias;
			if (sh.sh_type == SHT_SYMTAB) {
				Elf_Data *d = elf_getdata(scn, NULL);
				size_t nsym = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
				for (size_t k = 0; d && k < nsym; k++) {
					GElf_Sym sym;
					if (!gelf_getsym(d, (int)k, &sym))
						continue;
					const char *sn = elf_strptr(elf, sh.sh_link, sym.st_name);
					if (!sn || strncmp(sn, "runtime.", 8))
						continue;
					f->has_symtab = 1;
					uint64_t a = sym.st_value + f->bias;
					if (!strcmp(sn, "runtime.allgs")) f->allgs = a;
					else if (!strcmp(sn, "runtime.allglen")) f->allglen = a;
					else if (!strcmp(sn, "runtime.allgptr")) f->allgptr = a;
					else if (!strcmp(sn, "runtime.firstmoduledata")) f->moduledata = a;
					else if (!strcmp(sn, "runtime.waitReasonStrings")) {
						f->waitreasons = a;
						f->nwaitreasons = (uint32_t)(sym.st_size / 16);
					}
				}
			}
		}
	}
	if (!dwarf_offsets(elf, &f->off)) {
		f->has_dwarf = 1;
		snprintf(f->off_source, sizeof(f->off_source), "DWARF");
	} else if (census_offsets_for_version(f->gominor, &f->off, &e2) == GD_OK) {
		snprintf(f->off_source, sizeof(f->off_source), "table (%s)", f->goversion);
	} else {
		f->off_source[0] = 0; /* the census refuses; facts are still useful */
	}
out:
	go_buildinfo_release(&bi);
	elf_file_release(&ef);
	return ret;
}

/* ---- facts in a recording ---- */

#define OFFS(X) X(stack_lo) X(stack_hi) X(m) X(sched_sp) X(sched_pc) X(syscallsp) \
	X(syscallpc) X(atomicstatus) X(goid) X(waitsince) X(waitreason) X(lockedm)   \
	X(parentgoid) X(gopc) X(startpc) X(size) X(has_parentgoid)

static void put(struct procmem *m, const char *k, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	procmem_set_fact(m, k, b);
}

void census_facts_save(const struct census_facts *f, struct procmem *m)
{
	procmem_set_fact(m, "goversion", f->goversion[0] ? f->goversion : "-");
	procmem_set_fact(m, "buildid", f->buildid[0] ? f->buildid : "-");
	procmem_set_fact(m, "offsets_from", f->off_source[0] ? f->off_source : "-");
	put(m, "pie", (uint64_t)f->pie);
	put(m, "bias", f->bias);
	put(m, "pclntab", f->pclntab);
	put(m, "moduledata", f->moduledata);
	put(m, "allgs", f->allgs);
	put(m, "allglen", f->allglen);
	put(m, "allgptr", f->allgptr);
	put(m, "waitreasons", f->waitreasons);
	put(m, "nwaitreasons", f->nwaitreasons);
	put(m, "flags", (uint64_t)(f->has_symtab | f->has_dwarf << 1 | f->has_sections << 2));
	char b[64];
	for (int i = 0; i < f->nsegs; i++) {
		char k[16];
		snprintf(k, sizeof(k), "seg%d", i);
		snprintf(b, sizeof(b), "0x%" PRIx64 " 0x%" PRIx64 " %d", f->segs[i].lo, f->segs[i].hi,
			 f->segs[i].writable | f->segs[i].exec << 1);
		procmem_set_fact(m, k, b);
	}
#define X(n) put(m, "g." #n, f->off.n);
	OFFS(X)
#undef X
}

static int get(const struct procmem *m, const char *k, uint64_t *v)
{
	const char *s = procmem_fact(m, k);
	if (!s)
		return -1;
	char *e;
	errno = 0;
	*v = strtoull(s, &e, 0);
	return errno || e == s ? -1 : 0;
}

enum gd_err census_facts_load(struct census_facts *f, const struct procmem *m,
			      struct gd_errbuf *eb)
{
	memset(f, 0, sizeof(*f));
	const char *s = procmem_fact(m, "goversion");
	if (!s)
		return gd_fail(eb, GD_EFORMAT, "recording has no Go version");
	snprintf(f->goversion, sizeof(f->goversion), "%s", strcmp(s, "-") ? s : "");
	f->gominor = census_go_minor(f->goversion);
	if ((s = procmem_fact(m, "buildid")))
		snprintf(f->buildid, sizeof(f->buildid), "%s", strcmp(s, "-") ? s : "");
	if ((s = procmem_fact(m, "offsets_from")))
		snprintf(f->off_source, sizeof(f->off_source), "%s", strcmp(s, "-") ? s : "");
	uint64_t v, fl = 0;
	if (get(m, "bias", &f->bias) || get(m, "pclntab", &f->pclntab) ||
	    get(m, "moduledata", &f->moduledata) || get(m, "allgs", &f->allgs) ||
	    get(m, "allglen", &f->allglen) || get(m, "allgptr", &f->allgptr) ||
	    get(m, "waitreasons", &f->waitreasons) || get(m, "nwaitreasons", &v) ||
	    get(m, "flags", &fl))
		return gd_fail(eb, GD_EFORMAT, "recording: a census fact is missing or malformed");
	f->nwaitreasons = v > 256 ? 0 : (uint32_t)v;
	f->has_symtab = fl & 1;
	f->has_dwarf = !!(fl & 2);
	f->has_sections = !!(fl & 4);
	if (!get(m, "pie", &v))
		f->pie = !!v;
	for (int i = 0; i < CENSUS_MAX_SEGS; i++) {
		char k[16];
		snprintf(k, sizeof(k), "seg%d", i);
		if (!(s = procmem_fact(m, k)))
			break;
		char *e;
		struct census_seg *sg = &f->segs[f->nsegs];
		sg->lo = strtoull(s, &e, 0);
		sg->hi = strtoull(e, &e, 0);
		long fl2 = strtol(e, NULL, 10);
		sg->writable = fl2 & 1;
		sg->exec = !!(fl2 & 2);
		if (sg->hi <= sg->lo)
			return gd_fail(eb, GD_EFORMAT, "recording: bad segment %d", i);
		f->nsegs++;
	}
	int bad = 0;
#define X(n) bad |= get(m, "g." #n, &v) || v > 65536; f->off.n = (uint32_t)v;
	OFFS(X)
#undef X
	if (bad)
		return gd_fail(eb, GD_EFORMAT, "recording: runtime.g offsets missing or out of range");
	return GD_OK;
}
