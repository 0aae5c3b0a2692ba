/* SPDX-License-Identifier: MIT */
/* pclntab decoder on synthetic tables, one per layout (Go 1.2-1.15,
 * 1.16-1.17, 1.18-1.19, 1.20+), built here byte by byte after the runtime's
 * own structs: there is no toolchain for the older layouts on this machine,
 * and the live/replayed 1.19-1.23 tables are covered by test_census. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "census/pclntab.h"
#include "util/banned.h"

#define BASE 0x10000u
#define TEXT 0x400000u

struct img {
	unsigned char b[4096];
	size_t len;
};

static enum gd_err img_read(void *ctx, uint64_t addr, void *buf, size_t n)
{
	struct img *im = ctx;
	if (addr < BASE || addr - BASE > im->len || n > im->len - (addr - BASE))
		return GD_EIO;
	memcpy(buf, im->b + (addr - BASE), n);
	return GD_OK;
}

static void put32(struct img *im, size_t o, uint32_t v) { memcpy(im->b + o, &v, 4); }
static void put64(struct img *im, size_t o, uint64_t v) { memcpy(im->b + o, &v, 8); }
static size_t add(struct img *im, const void *p, size_t n)
{
	size_t o = im->len;
	memcpy(im->b + o, p, n);
	im->len += n;
	return o;
}
static size_t align8(struct img *im) { im->len = (im->len + 7) & ~(size_t)7; return im->len; }

/* Two functions: main.a [TEXT, TEXT+0x20) and main.b [TEXT+0x20, TEXT+0x40),
 * both in /src/a.go; lines 10 then 11 (at +0x10), frame size 0 then 8. */
static void build(struct img *im, int layout)
{
	static const unsigned char pcsp[] = { 2, 0x10, 16, 0x10, 0 };
	static const unsigned char pcfile[] = { 4, 0x20, 0 };   /* file 1 (1.2) */
	static const unsigned char pcfile0[] = { 2, 0x20, 0 };  /* file 0 (per CU) */
	static const unsigned char pcln[] = { 22, 0x10, 2, 0x10, 0 };
	memset(im, 0, sizeof(*im));
	uint32_t magic = layout == PCL_12 ? 0xfffffffb : layout == PCL_116 ? 0xfffffffa
			 : layout == PCL_118 ? 0xfffffff0 : 0xfffffff1;
	put32(im, 0, magic);
	im->b[6] = 1;
	im->b[7] = 8;
	put64(im, 8, 2);
	if (layout == PCL_12) {
		/* functab at 16: {entry, funcoff} x2, end entry, then fileoff u32 */
		im->len = 16 + 2 * 16 + 8 + 8;
		size_t names = add(im, "main.a\0main.b\0", 14);
		size_t file = add(im, "/src/a.go\0", 10);
		align8(im);
		size_t ftab = add(im, "\0\0\0\0\0\0\0\0\0\0\0\0", 12); /* nfiles=2, [1]=file */
		put32(im, ftab, 2);
		put32(im, ftab + 4, (uint32_t)file);
		put32(im, 16 + 2 * 16 + 8, (uint32_t)ftab + 4 - 4);
		size_t psp = add(im, pcsp, sizeof(pcsp)), pf = add(im, pcfile, sizeof(pcfile)),
		       pl = add(im, pcln, sizeof(pcln));
		for (int i = 0; i < 2; i++) {
			size_t fo = align8(im);
			im->len += 40;
			put64(im, fo, TEXT + 0x20u * i);
			put32(im, fo + 8, (uint32_t)(names + 7 * i));
			put32(im, fo + 20, (uint32_t)psp);
			put32(im, fo + 24, (uint32_t)pf);
			put32(im, fo + 28, (uint32_t)pl);
			put64(im, 16 + 16 * i, TEXT + 0x20u * i);
			put64(im, 16 + 16 * i + 8, fo);
		}
		put64(im, 16 + 32, TEXT + 0x40);
		return;
	}
	int has_text = layout != PCL_116;
	size_t hdr = has_text ? 72 : 64, o = has_text ? 32 : 24;
	if (has_text)
		put64(im, 24, TEXT);
	put64(im, 16, 1);
	im->len = hdr;
	size_t names = add(im, "main.a\0main.b\0", 14);
	size_t cu = add(im, "\0\0\0\0", 4);
	size_t files = add(im, "/src/a.go\0", 10);
	size_t pct = add(im, "\0", 1);
	size_t psp = add(im, pcsp, sizeof(pcsp)) - pct, pf = add(im, pcfile0, sizeof(pcfile0)) - pct,
	       pl = add(im, pcln, sizeof(pcln)) - pct;
	size_t ft = align8(im);
	put64(im, o, names);
	put64(im, o + 8, cu);
	put64(im, o + 16, files);
	put64(im, o + 24, pct);
	put64(im, o + 32, ft);
	size_t entsz = layout == PCL_116 ? 16 : 8;
	im->len += 2 * entsz + (layout == PCL_116 ? 8 : 4);
	for (int i = 0; i < 2; i++) {
		size_t fo = align8(im);
		size_t fs = layout == PCL_118 ? 40 : 44;
		im->len += fs;
		if (layout == PCL_116) {
			put64(im, fo, TEXT + 0x20u * i);
			put32(im, fo + 8, (uint32_t)(7 * i));
			put32(im, fo + 20, (uint32_t)psp);
			put32(im, fo + 24, (uint32_t)pf);
			put32(im, fo + 28, (uint32_t)pl);
			put64(im, ft + 16 * i, TEXT + 0x20u * i);
			put64(im, ft + 16 * i + 8, fo - ft);
		} else {
			put32(im, fo, 0x20u * i);
			put32(im, fo + 4, (uint32_t)(7 * i));
			put32(im, fo + 16, (uint32_t)psp);
			put32(im, fo + 20, (uint32_t)pf);
			put32(im, fo + 24, (uint32_t)pl);
			put32(im, ft + 8 * i, 0x20u * i);
			put32(im, ft + 8 * i + 4, (uint32_t)(fo - ft));
		}
	}
	if (layout == PCL_116)
		put64(im, ft + 32, TEXT + 0x40);
	else
		put32(im, ft + 16, 0x40);
}

static void check_layout(int layout)
{
	struct img im;
	struct pclntab t;
	struct pcl_func f;
	struct gd_errbuf eb;
	char name[64], file[64];
	int32_t line, sp;
	build(&im, layout);
	const char *seeds = getenv("PCLNTAB_SEED_DIR"); /* fuzz/corpus/pclntab */
	if (seeds) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/synthetic-%d", seeds, layout);
		FILE *fp = fopen(path, "wb");
		if (fp) {
			fwrite(im.b, 1, im.len, fp);
			fclose(fp);
		}
	}
	assert_int_equal(pclntab_init(&t, img_read, &im, BASE, 0, im.len, &eb), GD_OK);
	assert_int_equal(t.layout, layout);
	assert_int_equal(t.nfunc, 2);
	assert_int_equal(pclntab_findfunc(&t, TEXT + 0x25, &f), GD_OK);
	assert_int_equal(f.entry, TEXT + 0x20);
	assert_int_equal(pclntab_name(&t, f.nameoff, name, sizeof(name)), GD_OK);
	assert_string_equal(name, "main.b");
	assert_int_equal(pclntab_fileline(&t, &f, TEXT + 0x25, file, sizeof(file), &line), GD_OK);
	assert_string_equal(file, "/src/a.go");
	assert_int_equal(line, 10);
	assert_int_equal(pclntab_fileline(&t, &f, TEXT + 0x35, file, sizeof(file), &line), GD_OK);
	assert_int_equal(line, 11);
	assert_int_equal(pclntab_spdelta(&t, &f, TEXT + 0x35, &sp), GD_OK);
	assert_int_equal(sp, 8);
	assert_int_equal(pclntab_findfunc(&t, TEXT + 0x5, &f), GD_OK);
	assert_int_equal(pclntab_name(&t, f.nameoff, name, sizeof(name)), GD_OK);
	assert_string_equal(name, "main.a");
	assert_int_equal(pclntab_findfunc(&t, TEXT + 0x40, &f), GD_ENOENT);
	assert_int_equal(pclntab_findfunc(&t, TEXT - 1, &f), GD_ENOENT);
	assert_int_equal(pclntab_lookup(&t, "main.b", &f), GD_OK);
	assert_int_equal(f.entry, TEXT + 0x20);
	struct pcl_frame fr[4];
	size_t n;
	assert_int_equal(pclntab_expand(&t, &f, TEXT + 0x30, fr, 4, &n), GD_OK);
	assert_int_equal(n, 1);
	assert_false(fr[0].inlined);
	assert_int_equal(fr[0].line, 11);

	/* every single-byte corruption: an error or an answer, never a crash */
	for (size_t i = 0; i < im.len; i++) {
		struct img bad = im;
		bad.b[i] ^= 0x5a;
		if (pclntab_init(&t, img_read, &bad, BASE, 0, bad.len, &eb))
			continue;
		for (uint64_t pc = TEXT - 4; pc < TEXT + 0x48; pc += 3) {
			if (pclntab_findfunc(&t, pc, &f))
				continue;
			pclntab_fileline(&t, &f, pc, file, sizeof(file), &line);
			pclntab_name(&t, f.nameoff, name, sizeof(name));
			pclntab_expand(&t, &f, pc, fr, 4, &n);
		}
	}
}

static void test_layout_12(void **s) { (void)s; check_layout(PCL_12); }
static void test_layout_116(void **s) { (void)s; check_layout(PCL_116); }
static void test_layout_118(void **s) { (void)s; check_layout(PCL_118); }
static void test_layout_120(void **s) { (void)s; check_layout(PCL_120); }

static void test_bad_header(void **s)
{
	(void)s;
	struct img im;
	struct pclntab t;
	struct gd_errbuf eb;
	build(&im, PCL_120);
	im.b[0] = 0xf5; /* unknown magic: a version with no known layout */
	assert_int_equal(pclntab_init(&t, img_read, &im, BASE, 0, im.len, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "bad header"));
	build(&im, PCL_120);
	im.b[7] = 4; /* 32-bit */
	assert_int_equal(pclntab_init(&t, img_read, &im, BASE, 0, im.len, &eb), GD_EFORMAT);
	assert_int_equal(pclntab_init(&t, img_read, &im, BASE + 8192, 0, 0, &eb), GD_EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_12),
		cmocka_unit_test(test_layout_116),
		cmocka_unit_test(test_layout_118),
		cmocka_unit_test(test_layout_120),
		cmocka_unit_test(test_bad_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
