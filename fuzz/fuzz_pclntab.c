/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the pclntab decoder: the input is a table image
 * mapped at a fixed address; every function's name, file:line, frame size
 * and inline expansion are decoded at a few pcs.  Seeds: the first 64 KiB
 * of real .gopclntab sections (Go 1.19 and 1.23). */
#include <stdint.h>
#include <string.h>

#include "census/pclntab.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x10000u

struct img {
	const uint8_t *p;
	size_t n;
};

static enum gd_err rd(void *ctx, uint64_t addr, void *buf, size_t n)
{
	const struct img *im = ctx;
	if (addr < BASE || addr - BASE > im->n || n > im->n - (addr - BASE))
		return GD_EIO;
	memcpy(buf, im->p + (addr - BASE), n);
	return GD_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img im = { data, size };
	struct pclntab t;
	struct gd_errbuf eb;
	/* gofunc just past the header: funcdata offsets land in the input */
	if (pclntab_init(&t, rd, &im, BASE, BASE, size, &eb))
		return 0;
	uint64_t nf = t.nfunc < 64 ? t.nfunc : 64;
	for (uint64_t i = 0; i < nf; i++) {
		struct pcl_func f;
		char name[256], file[256];
		int32_t line, sp;
		struct pcl_frame fr[4];
		size_t n;
		if (pclntab_func_at(&t, i, &f))
			continue;
		pclntab_name(&t, f.nameoff, name, sizeof(name));
		uint64_t span = f.end - f.entry;
		for (uint64_t k = 0; k < 3 && span; k++) {
			uint64_t pc = f.entry + (span * k) / 3;
			struct pcl_func g;
			if (pclntab_findfunc(&t, pc, &g))
				continue;
			pclntab_fileline(&t, &g, pc, file, sizeof(file), &line);
			pclntab_spdelta(&t, &g, pc, &sp);
			pclntab_expand(&t, &g, pc, fr, 4, &n);
		}
	}
	return 0;
}
