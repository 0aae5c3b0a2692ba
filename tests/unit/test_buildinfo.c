/* SPDX-License-Identifier: MIT */
/* Tests for linux/buildinfo: synthetic ELF images written here from the
 * documented layout (both header formats, 32/64-bit, both byte orders, PIE
 * with RELA relocations found through sections or PT_DYNAMIC), the search
 * order, modinfo parsing and quoting, and robustness on cut and corrupted
 * images.  Real Go binaries are covered by tests/integration/buildinfo_real.sh.
 *
 * With GD_BUILDINFO_WRITE_CORPUS=DIR set, the synthetic images are also
 * written to DIR (that is how fuzz/corpus/buildinfo was seeded). */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "linux/buildinfo.h"
#include "test_lib.h"
#include "util/banned.h"

#define VBASE 0x400000u
#define SEG 0x100u
#define IMG_MAX 16384

static const unsigned char sent_start[16] = {
	0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
	0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
};
static const unsigned char sent_end[16] = {
	0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
	0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
};

static const char modinfo_text[] =
	"path\texample.com/svc/cmd/svc\n"
	"mod\texample.com/svc\tv1.2.3\th1:abc=\n"
	"dep\tgolang.org/x/net\tv0.1.0\th1:net=\n"
	"dep\texample.com/old\tv1.0.0\n"
	"=>\texample.com/new\tv1.1.0\th1:new=\n"
	"build\t-compiler=gc\n"
	"build\t-ldflags=\"-X runtime.godebugDefault=madvdontneed=0 -s\"\n"
	"build\t\"we\\\"ird=key\"=`raw value`\n"
	"build\tesc=\"a\\tb\\x41\\101\\u00e9\\\\\"\n"
	"build\tCGO_ENABLED=0\n"
	"build\tGOARCH=amd64\n"
	"build\tvcs.revision=0123456789abcdef\n";

enum rel_mode { REL_NONE, REL_SECTION, REL_DYNAMIC };

struct opts {
	bool is64, be;
	bool inline_fmt;
	bool pie;               /* ET_DYN with zero pointer slots */
	enum rel_mode rel;
	bool sections;          /* .go.buildinfo/.shstrtab section headers */
	uint32_t seg_flags;     /* 0 means PF_R|PF_W */
	const char *version;
	const char *modinfo;    /* body; sentinels are added unless raw */
	bool raw_modinfo;
	unsigned decoy;         /* misaligned magic copies before the blob */
};

struct img {
	unsigned char b[IMG_MAX];
	size_t len;
	bool is64, be;
};

static void put(struct img *im, size_t off, uint64_t v, unsigned size)
{
	assert_true(off + size <= IMG_MAX);
	for (unsigned i = 0; i < size; i++) {
		unsigned shift = im->be ? 8 * (size - 1 - i) : 8 * i;
		im->b[off + i] = (unsigned char)(v >> shift);
	}
	if (off + size > im->len)
		im->len = off + size;
}

static void put_bytes(struct img *im, size_t off, const void *p, size_t n)
{
	assert_true(off + n <= IMG_MAX);
	memcpy(im->b + off, p, n);
	if (off + n > im->len)
		im->len = off + n;
}

static void put_ptr(struct img *im, size_t off, uint64_t v)
{
	put(im, off, v, im->is64 ? 8 : 4);
}

static size_t put_uvarint(struct img *im, size_t off, uint64_t v)
{
	size_t n = 0;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		put_bytes(im, off + n++, &c, 1);
	} while (v);
	return n;
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static unsigned machine_of(const struct opts *o)
{
	if (o->is64)
		return o->be ? EM_PPC64 : EM_X86_64;
	return o->be ? EM_MIPS : EM_386;
}

static unsigned relative_of(const struct opts *o)
{
	if (o->is64)
		return o->be ? R_PPC64_RELATIVE : R_X86_64_RELATIVE;
	return R_386_RELATIVE;
}

static void put_phdr(struct img *im, size_t off, uint32_t type, uint32_t flags,
		     uint64_t foff, uint64_t vaddr, uint64_t filesz)
{
	if (im->is64) {
		put(im, off, type, 4);
		put(im, off + 4, flags, 4);
		put(im, off + 8, foff, 8);
		put(im, off + 16, vaddr, 8);
		put(im, off + 24, vaddr, 8);
		put(im, off + 32, filesz, 8);
		put(im, off + 40, filesz, 8);
		put(im, off + 48, 0x1000, 8);
	} else {
		put(im, off, type, 4);
		put(im, off + 4, foff, 4);
		put(im, off + 8, vaddr, 4);
		put(im, off + 12, vaddr, 4);
		put(im, off + 16, filesz, 4);
		put(im, off + 20, filesz, 4);
		put(im, off + 24, flags, 4);
		put(im, off + 28, 0x1000, 4);
	}
}

static void put_shdr(struct img *im, size_t off, uint32_t name, uint32_t type, uint64_t flags,
		     uint64_t addr, uint64_t foff, uint64_t size, uint64_t entsize)
{
	if (im->is64) {
		put(im, off, name, 4);
		put(im, off + 4, type, 4);
		put(im, off + 8, flags, 8);
		put(im, off + 16, addr, 8);
		put(im, off + 24, foff, 8);
		put(im, off + 32, size, 8);
		put(im, off + 48, 1, 8);
		put(im, off + 56, entsize, 8);
	} else {
		put(im, off, name, 4);
		put(im, off + 4, type, 4);
		put(im, off + 8, flags, 4);
		put(im, off + 12, addr, 4);
		put(im, off + 16, foff, 4);
		put(im, off + 20, size, 4);
		put(im, off + 32, 1, 4);
		put(im, off + 36, entsize, 4);
	}
}

/* Write a minimal ELF: header, program headers, one PT_LOAD holding the
 * build-info blob (and, for PIE, a RELA table and a dynamic section), then
 * optional section headers.  The segment sits at file offset SEG and
 * address VBASE + SEG, so addresses and offsets agree modulo the page. */
static void build_elf(struct img *im, const struct opts *o)
{
	unsigned psz = o->is64 ? 8 : 4;
	size_t ehsize = o->is64 ? 64 : 52, phent = o->is64 ? 56 : 32, shent = o->is64 ? 64 : 40;
	size_t blob = SEG + 16 * (o->decoy ? 2 : 0);
	size_t vers_hdr = blob + 0x20, mod_hdr = blob + 0x30, vers_off = blob + 0x40;
	size_t mod_off = blob + 0x80, end, blob_size;
	const char *ver = o->version ? o->version : "go1.16.15";
	size_t vlen = strlen(ver);
	unsigned char mod[2048];
	size_t mlen = 0;
	unsigned nph = o->rel == REL_DYNAMIC ? 2 : 1;
	uint64_t rela_off = 0, rela_size = 0, dyn_off = 0, dyn_size = 0;
#define VA(off) ((uint64_t)VBASE + (off))

	memset(im, 0, sizeof(*im));
	im->is64 = o->is64;
	im->be = o->be;

	if (o->modinfo) {
		size_t body = strlen(o->modinfo);
		assert_true(body + 32 <= sizeof(mod));
		if (o->raw_modinfo) {
			memcpy(mod, o->modinfo, body);
			mlen = body;
		} else {
			memcpy(mod, sent_start, 16);
			memcpy(mod + 16, o->modinfo, body);
			memcpy(mod + 16 + body, sent_end, 16);
			mlen = body + 32;
		}
	}

	/* misaligned copies of the magic must be skipped */
	for (unsigned i = 0; i < o->decoy; i++)
		put_bytes(im, SEG + 1 + 5 * i, "\xff Go buildinf:", 14);

	put_bytes(im, blob, "\xff Go buildinf:", 14);
	im->b[blob + 14] = (unsigned char)psz;
	if (o->inline_fmt) {
		size_t q = blob + 32;
		im->b[blob + 15] = 2;
		q += put_uvarint(im, q, vlen);
		put_bytes(im, q, ver, vlen);
		q += vlen;
		q += put_uvarint(im, q, mlen);
		if (mlen)
			put_bytes(im, q, mod, mlen);
		q += mlen;
		end = align_up(q, 16);
		blob_size = end - blob;
	} else {
		im->b[blob + 15] = o->be ? 1 : 0;
		put_ptr(im, blob + 16, o->pie ? 0 : VA(vers_hdr));
		put_ptr(im, blob + 16 + psz, o->pie ? 0 : VA(mod_hdr));
		put_ptr(im, vers_hdr, o->pie ? 0 : VA(vers_off));
		put_ptr(im, vers_hdr + psz, vlen);
		put_ptr(im, mod_hdr, o->pie ? 0 : VA(mod_off));
		put_ptr(im, mod_hdr + psz, mlen);
		put_bytes(im, vers_off, ver, vlen);
		if (mlen)
			put_bytes(im, mod_off, mod, mlen);
		end = align_up(mod_off + mlen, 8);
		blob_size = 32;
		if (o->pie && o->rel != REL_NONE) {
			const uint64_t slot[4] = { blob + 16, blob + 16 + psz, vers_hdr, mod_hdr };
			const uint64_t target[4] = { vers_hdr, mod_hdr, vers_off, mod_off };
			size_t ent = 3 * psz;
			rela_off = end;
			for (int i = 0; i < 4; i++) {
				put_ptr(im, end, VA(slot[i]));
				put_ptr(im, end + psz, relative_of(o));
				put_ptr(im, end + 2 * psz, VA(target[i]));
				end += ent;
			}
			rela_size = end - rela_off;
		}
		if (o->rel == REL_DYNAMIC) {
			dyn_off = end;
			put_ptr(im, end, DT_RELA);
			put_ptr(im, end + psz, VA(rela_off));
			put_ptr(im, end + 2 * psz, DT_RELASZ);
			put_ptr(im, end + 3 * psz, rela_size);
			put_ptr(im, end + 4 * psz, DT_NULL);
			put_ptr(im, end + 5 * psz, 0);
			end += 6 * psz;
			dyn_size = end - dyn_off;
		}
	}

	/* ELF header */
	memcpy(im->b, ELFMAG, SELFMAG);
	im->b[EI_CLASS] = o->is64 ? ELFCLASS64 : ELFCLASS32;
	im->b[EI_DATA] = o->be ? ELFDATA2MSB : ELFDATA2LSB;
	im->b[EI_VERSION] = EV_CURRENT;
	put(im, 16, o->pie ? ET_DYN : ET_EXEC, 2);
	put(im, 18, machine_of(o), 2);
	put(im, 20, EV_CURRENT, 4);
	if (o->is64) {
		put(im, 32, ehsize, 8);        /* e_phoff */
		put(im, 52, ehsize, 2);
		put(im, 54, phent, 2);
		put(im, 56, nph, 2);
		put(im, 58, shent, 2);
	} else {
		put(im, 28, ehsize, 4);
		put(im, 40, ehsize, 2);
		put(im, 42, phent, 2);
		put(im, 44, nph, 2);
		put(im, 46, shent, 2);
	}
	put_phdr(im, ehsize, PT_LOAD, o->seg_flags ? o->seg_flags : PF_R | PF_W, SEG, VA(SEG),
		 end - SEG);
	if (o->rel == REL_DYNAMIC)
		put_phdr(im, ehsize + phent, PT_DYNAMIC, PF_R | PF_W, dyn_off, VA(dyn_off), dyn_size);

	if (o->sections || o->rel == REL_SECTION) {
		static const char names[] = "\0.go.buildinfo\0.rela.dyn\0.shstrtab\0";
		size_t str_off = end, sh_off = align_up(end + sizeof(names), 8);
		unsigned n = 0;
		put_bytes(im, str_off, names, sizeof(names));
		put_shdr(im, sh_off, 0, SHT_NULL, 0, 0, 0, 0, 0);
		n++;
		if (o->sections) {
			put_shdr(im, sh_off + n * shent, 1, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE,
				 VA(blob), blob, blob_size, 0);
			n++;
		}
		if (o->rel == REL_SECTION) {
			put_shdr(im, sh_off + n * shent, 15, SHT_RELA, SHF_ALLOC, VA(rela_off),
				 rela_off, rela_size, 3 * psz);
			n++;
		}
		put_shdr(im, sh_off + n * shent, 25, SHT_STRTAB, 0, 0, str_off, sizeof(names), 0);
		n++;
		if (o->is64) {
			put(im, 40, sh_off, 8);
			put(im, 60, n, 2);
			put(im, 62, n - 1, 2);
		} else {
			put(im, 32, sh_off, 4);
			put(im, 48, n, 2);
			put(im, 50, n - 1, 2);
		}
	}
#undef VA
}

static const char *corpus_dir;

static void maybe_write(const struct img *im, const char *name)
{
	char path[512];
	FILE *f;
	if (!corpus_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(im->b, 1, im->len, f), im->len);
	fclose(f);
}

static enum gd_err read_img(const struct img *im, struct go_buildinfo *bi, struct gd_errbuf *eb)
{
	go_buildinfo_init(bi);
	memset(eb, 0, sizeof(*eb));
	return go_buildinfo_read_mem(im->b, im->len, bi, eb);
}

static void assert_full_modinfo(const struct go_buildinfo *bi)
{
	assert_string_equal(bi->path, "example.com/svc/cmd/svc");
	assert_string_equal(bi->mod_path, "example.com/svc");
	assert_string_equal(bi->mod_version, "v1.2.3");
	assert_string_equal(bi->mod_sum, "h1:abc=");
	assert_null(bi->mod_replace);
	assert_int_equal(bi->ndeps, 2);
	assert_string_equal(bi->deps[0].path, "golang.org/x/net");
	assert_string_equal(bi->deps[0].sum, "h1:net=");
	assert_null(bi->deps[0].replace);
	assert_string_equal(bi->deps[1].path, "example.com/old");
	assert_string_equal(bi->deps[1].sum, "");
	assert_non_null(bi->deps[1].replace);
	assert_string_equal(bi->deps[1].replace->path, "example.com/new");
	assert_string_equal(bi->deps[1].replace->version, "v1.1.0");
	assert_int_equal(bi->nsettings, 7);
	assert_string_equal(bi->settings[0].key, "-compiler");
	assert_string_equal(go_buildinfo_setting(bi, "-ldflags"),
			    "-X runtime.godebugDefault=madvdontneed=0 -s");
	assert_string_equal(go_buildinfo_setting(bi, "we\"ird=key"), "raw value");
	assert_string_equal(go_buildinfo_setting(bi, "esc"), "a\tbAA\xc3\xa9\\");
	assert_string_equal(go_buildinfo_setting(bi, "CGO_ENABLED"), "0");
	assert_string_equal(go_buildinfo_setting(bi, "vcs.revision"), "0123456789abcdef");
	assert_null(go_buildinfo_setting(bi, "GOOS"));
	assert_string_equal(bi->note, "");
}

static void test_inline_format_section(void **state)
{
	struct opts o = { .is64 = true, .inline_fmt = true, .sections = true,
			  .version = "go1.19.8", .modinfo = modinfo_text };
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	(void)state;
	build_elf(&im, &o);
	maybe_write(&im, "inline-section.elf");
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_string_equal(bi.go_version, "go1.19.8");
	assert_int_equal(bi.format, 2);
	assert_int_equal(bi.how, GO_BI_HOW_SECTION);
	assert_int_equal(bi.blob_offset, SEG);
	assert_full_modinfo(&bi);
	go_buildinfo_release(&bi);
	assert_null(bi.go_version);
	assert_int_equal(bi.nsettings, 0);
}

/* Pre-1.18 pointer format in every class/byte-order combination. */
static void test_pointer_format_all_layouts(void **state)
{
	(void)state;
	for (int is64 = 0; is64 < 2; is64++) {
		for (int be = 0; be < 2; be++) {
			struct opts o = { .is64 = is64, .be = be, .version = "go1.16.15",
					  .modinfo = modinfo_text };
			struct img im;
			struct go_buildinfo bi;
			struct gd_errbuf eb;
			char name[64];
			build_elf(&im, &o);
			snprintf(name, sizeof(name), "ptr-%d-%s.elf", is64 ? 64 : 32, be ? "be" : "le");
			maybe_write(&im, name);
			assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
			assert_string_equal(bi.go_version, "go1.16.15");
			assert_int_equal(bi.format, 1);
			assert_int_equal(bi.how, GO_BI_HOW_SEGMENT);
			assert_full_modinfo(&bi);
			go_buildinfo_release(&bi);
		}
	}
}

static void test_pie_relocations(void **state)
{
	static const enum rel_mode modes[] = { REL_SECTION, REL_DYNAMIC };
	(void)state;
	for (int m = 0; m < 2; m++) {
		struct opts o = { .is64 = true, .pie = true, .rel = modes[m],
				  .version = "go1.15.2", .modinfo = modinfo_text };
		struct img im;
		struct go_buildinfo bi;
		struct gd_errbuf eb;
		build_elf(&im, &o);
		maybe_write(&im, m ? "pie-dynamic.elf" : "pie-rela-section.elf");
		/* the file itself has only zeros where the pointers go */
		assert_int_equal(im.b[SEG + 16], 0);
		assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
		assert_string_equal(bi.go_version, "go1.15.2");
		assert_int_equal(bi.format, 1);
		assert_full_modinfo(&bi);
		go_buildinfo_release(&bi);
	}
}

static void test_pie_without_relocations(void **state)
{
	struct opts o = { .is64 = true, .pie = true, .rel = REL_NONE,
			  .version = "go1.15.2", .modinfo = modinfo_text };
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	(void)state;
	build_elf(&im, &o);
	maybe_write(&im, "pie-norel.elf");
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_null(bi.go_version);
	assert_int_equal(bi.format, 1);
	assert_non_null(strstr(bi.note, "Go version unknown"));
	assert_non_null(strstr(bi.note, "relocation"));
	assert_null(bi.path);
	go_buildinfo_release(&bi);
}

static void test_search_order(void **state)
{
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	(void)state;

	/* no section headers: found through the RW segment */
	struct opts seg = { .is64 = true, .inline_fmt = true, .version = "go1.21.4",
			    .modinfo = modinfo_text, .decoy = 3 };
	build_elf(&im, &seg);
	maybe_write(&im, "inline-segment-decoys.elf");
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_int_equal(bi.how, GO_BI_HOW_SEGMENT);
	assert_int_equal(bi.blob_offset, SEG + 32);
	assert_string_equal(bi.go_version, "go1.21.4");
	go_buildinfo_release(&bi);

	/* read-only or executable segments are not "data": whole-file scan */
	static const uint32_t flags[] = { PF_R, PF_R | PF_W | PF_X };
	for (int i = 0; i < 2; i++) {
		struct opts scan = { .is64 = true, .inline_fmt = true, .version = "go1.22.0",
				     .modinfo = modinfo_text, .seg_flags = flags[i] };
		build_elf(&im, &scan);
		if (i == 0)
			maybe_write(&im, "inline-scan.elf");
		assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
		assert_int_equal(bi.how, GO_BI_HOW_SCAN);
		assert_string_equal(bi.go_version, "go1.22.0");
		assert_int_equal(bi.nsettings, 7);
		go_buildinfo_release(&bi);
	}
}

static void test_modinfo_framing(void **state)
{
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	(void)state;

	/* without the sentinel framing Go treats modinfo as absent */
	struct opts raw = { .is64 = true, .inline_fmt = true, .sections = true,
			    .version = "go1.20.1", .modinfo = modinfo_text, .raw_modinfo = true };
	build_elf(&im, &raw);
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_string_equal(bi.go_version, "go1.20.1");
	assert_null(bi.path);
	assert_int_equal(bi.nsettings, 0);
	go_buildinfo_release(&bi);

	/* no modinfo at all (non-module build) */
	struct opts none = { .is64 = true, .inline_fmt = true, .sections = true,
			     .version = "go1.20.1" };
	build_elf(&im, &none);
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_null(bi.mod_path);
	go_buildinfo_release(&bi);

	/* bad lines are skipped with a note; the rest is kept; an
	 * unterminated last line is ignored as in Go */
	struct opts bad = { .is64 = true, .inline_fmt = true, .sections = true,
			    .version = "go1.20.1",
			    .modinfo = "path\tp\n"
				       "=>\torphan\tv1\th1:x\n"
				       "dep\tonly-one-field\n"
				       "build\tnovalue\n"
				       "build\t=x\n"
				       "build\tk=has space\n"
				       "build\t\"unterminated=1\n"
				       "build\tok=1\n"
				       "build\tv=\"bad\\q\"\n"
				       "mystery\tline\n"
				       "build\tlast=1\n" };
	build_elf(&im, &bad);
	maybe_write(&im, "inline-badlines.elf");
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_string_equal(bi.path, "p");
	assert_int_equal(bi.ndeps, 0);
	assert_int_equal(bi.nsettings, 2);
	assert_string_equal(bi.settings[0].key, "ok");
	assert_string_equal(bi.settings[1].key, "last");
	assert_string_equal(bi.note, "modinfo line 2 skipped: replacement with no module on the previous line");
	go_buildinfo_release(&bi);

	/* framed, but the text does not end in a newline: Go's framing test
	 * (mod[len-17] == '\n') fails, so there is no modinfo at all */
	struct opts cut = { .is64 = true, .inline_fmt = true, .sections = true,
			    .version = "go1.20.1", .modinfo = "path\tp\nbuild\tlast=1" };
	build_elf(&im, &cut);
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_null(bi.path);
	assert_int_equal(bi.nsettings, 0);
	go_buildinfo_release(&bi);

	/* "=>" right after "mod" replaces the main module */
	struct opts rep = { .is64 = true, .inline_fmt = true, .sections = true,
			    .version = "go1.20.1",
			    .modinfo = "mod\tm\t(devel)\n=>\t../m\t(devel)\t\n" };
	build_elf(&im, &rep);
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_string_equal(bi.mod_sum, "");
	assert_non_null(bi.mod_replace);
	assert_string_equal(bi.mod_replace->path, "../m");
	go_buildinfo_release(&bi);
}

static void test_not_go(void **state)
{
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	static const unsigned char text[] = "#!/bin/sh\necho hello\n";
	(void)state;

	go_buildinfo_init(&bi);
	assert_int_equal(go_buildinfo_read_mem(text, sizeof(text), &bi, &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "not an ELF file");
	assert_int_equal(go_buildinfo_read_mem(text, 0, &bi, &eb), GD_EFORMAT);

	/* a valid ELF whose blob magic was destroyed */
	struct opts o = { .is64 = true, .inline_fmt = true, .sections = true,
			  .version = "go1.20.1", .modinfo = modinfo_text };
	build_elf(&im, &o);
	im.b[SEG + 3] ^= 0xff;
	assert_int_equal(read_img(&im, &bi, &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "not a Go executable (no build info)");
	assert_null(bi.go_version);

	/* magic present, lengths absurd: a damaged header, named as such */
	build_elf(&im, &o);
	memset(im.b + SEG + 32, 0xff, 9);
	im.b[SEG + 41] = 0x01;
	assert_int_equal(read_img(&im, &bi, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "damaged Go build info at offset 0x100"));
	assert_non_null(strstr(eb.msg, "version length"));

	/* old format with a bad pointer size */
	struct opts p = { .is64 = true, .version = "go1.10", .modinfo = modinfo_text };
	build_elf(&im, &p);
	im.b[SEG + 14] = 3;
	assert_int_equal(read_img(&im, &bi, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "pointer size 3"));

	/* old format whose version pointer leads outside the file */
	build_elf(&im, &p);
	im.b[SEG + 16 + 3] = 0x7f;
	assert_int_equal(read_img(&im, &bi, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "outside the file"));
	go_buildinfo_release(&bi);
}

/* Every prefix and many single-byte corruptions of each image must come
 * back as OK or an error, never a crash or a read past the end (run this
 * under ASan to make that last part bite). */
static void test_truncation_and_corruption(void **state)
{
	static const struct opts variants[] = {
		{ .is64 = true, .inline_fmt = true, .sections = true, .modinfo = modinfo_text },
		{ .is64 = true, .modinfo = modinfo_text },
		{ .is64 = false, .be = true, .modinfo = modinfo_text },
		{ .is64 = true, .pie = true, .rel = REL_SECTION, .modinfo = modinfo_text },
		{ .is64 = true, .pie = true, .rel = REL_DYNAMIC, .modinfo = modinfo_text },
	};
	(void)state;
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct img im;
		struct go_buildinfo bi;
		struct gd_errbuf eb;
		size_t full;
		build_elf(&im, &variants[v]);
		full = im.len;
		for (size_t n = 0; n <= full; n++) {
			unsigned char *copy = malloc(n ? n : 1);
			memcpy(copy, im.b, n);
			go_buildinfo_init(&bi);
			enum gd_err rc = go_buildinfo_read_mem(copy, n, &bi, &eb);
			assert_true(rc == GD_OK || rc == GD_EFORMAT);
			if (rc == GD_OK)
				assert_true(bi.go_version == NULL || bi.go_version[0] != '\0');
			go_buildinfo_release(&bi);
			free(copy);
		}
		uint32_t seed = 12345u + (uint32_t)v;
		for (int it = 0; it < 3000; it++) {
			struct img c = im;
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % full;
			c.b[pos] ^= (unsigned char)(1u << ((seed >> 3) & 7));
			go_buildinfo_init(&bi);
			enum gd_err rc = go_buildinfo_read_mem(c.b, c.len, &bi, &eb);
			assert_true(rc == GD_OK || rc == GD_EFORMAT);
			go_buildinfo_release(&bi);
		}
	}
}

/* A real .go.buildinfo section cut out of a go1.19.8 module-mode binary
 * (tests/scenarios/buildinfo built with -tags withdep), wrapped into a
 * synthetic ELF. */
static void test_real_section_fixture(void **state)
{
	char *blob;
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	size_t n;
	(void)state;
	blob = slurp("tests/fixtures/buildinfo/go1.19.8-mod.go.buildinfo", &n);
	assert_true(n >= 64 && n < 4096);

	struct opts o = { .is64 = true, .inline_fmt = true, .version = "x" };
	build_elf(&im, &o);
	/* replace the synthetic blob with the real one, same place */
	memset(im.b + SEG, 0, im.len - SEG);
	im.len = SEG;
	put_bytes(&im, SEG, blob, n);
	put(&im, 64 + 32, n, 8);  /* p_filesz */
	put(&im, 64 + 40, n, 8);  /* p_memsz */
	assert_int_equal(read_img(&im, &bi, &eb), GD_OK);
	assert_string_equal(bi.go_version, "go1.19.8");
	assert_string_equal(bi.path, "example.com/buildinfo");
	assert_string_equal(bi.mod_path, "example.com/buildinfo");
	assert_string_equal(bi.mod_version, "(devel)");
	assert_int_equal(bi.ndeps, 1);
	assert_string_equal(bi.deps[0].path, "example.com/bidep");
	assert_string_equal(bi.deps[0].replace->path, "./dep");
	assert_string_equal(go_buildinfo_setting(&bi, "-tags"), "withdep");
	assert_string_equal(go_buildinfo_setting(&bi, "GOARCH"), "amd64");
	assert_string_equal(go_buildinfo_setting(&bi, "vcs"), "git");
	assert_int_equal(strlen(go_buildinfo_setting(&bi, "vcs.revision")), 40);
	go_buildinfo_release(&bi);
	free(blob);

	/* cut inside the modinfo: still a Go binary, the version survives? No:
	 * the modinfo length points past the end, so the header is damaged. */
	im.len = SEG + 60;
	assert_int_equal(read_img(&im, &bi, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "modinfo length"));
	go_buildinfo_release(&bi);
}

static void test_read_file(void **state)
{
	char tmpl[] = "/tmp/godiag-bi-test.XXXXXX";
	struct opts o = { .is64 = true, .inline_fmt = true, .sections = true,
			  .version = "go1.23.1", .modinfo = modinfo_text };
	struct img im;
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	int fd;
	(void)state;

	build_elf(&im, &o);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, im.b, im.len), (ssize_t)im.len);
	close(fd);
	go_buildinfo_init(&bi);
	assert_int_equal(go_buildinfo_read_file(tmpl, &bi, &eb), GD_OK);
	assert_string_equal(bi.go_version, "go1.23.1");
	assert_full_modinfo(&bi);
	/* reading again into a used struct replaces, not leaks */
	assert_int_equal(go_buildinfo_read_file(tmpl, &bi, &eb), GD_OK);
	assert_string_equal(bi.go_version, "go1.23.1");
	go_buildinfo_release(&bi);
	unlink(tmpl);

	assert_int_equal(go_buildinfo_read_file(tmpl, &bi, &eb), GD_ENOENT);
	assert_non_null(strstr(eb.msg, tmpl));
	assert_int_equal(go_buildinfo_read_file("/tmp", &bi, &eb), GD_EFORMAT);
	assert_string_equal(eb.msg, "/tmp: not a regular file");
	assert_int_equal(go_buildinfo_read_file("/dev/null", &bi, &eb), GD_EFORMAT);
	if (getuid() != 0) {
		assert_int_equal(go_buildinfo_read_file("/etc/shadow", &bi, &eb), GD_EPERM);
	}
	/* this very test program is ELF but not Go */
	assert_int_equal(go_buildinfo_read_file("/proc/self/exe", &bi, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "not a Go executable (no build info"));
	assert_string_equal(go_buildinfo_how_name(GO_BI_HOW_SEGMENT), "segment");
	assert_string_equal(go_buildinfo_how_name(99), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_format_section),
		cmocka_unit_test(test_pointer_format_all_layouts),
		cmocka_unit_test(test_pie_relocations),
		cmocka_unit_test(test_pie_without_relocations),
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_modinfo_framing),
		cmocka_unit_test(test_not_go),
		cmocka_unit_test(test_truncation_and_corruption),
		cmocka_unit_test(test_real_section_fixture),
		cmocka_unit_test(test_read_file),
	};
	corpus_dir = getenv("GD_BUILDINFO_WRITE_CORPUS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
