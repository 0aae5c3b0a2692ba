/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for linux/buildinfo (and runtime/godebug on what it
 * returns).  Each input is read twice: as a whole ELF image, and wrapped as
 * the contents of the one RW PT_LOAD of a fixed minimal ELF, so the fuzzer
 * reaches the header, pointer and modinfo parsers without having to invent
 * valid ELF headers first. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linux/buildinfo.h"
#include "runtime/godebug.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WRAP_OFF 128u
#define WRAP_VADDR 0x400000u
#define WRAP_MAX (1u << 20)

static void le(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void check(const unsigned char *img, size_t len)
{
	struct go_buildinfo bi;
	struct gd_errbuf eb;
	struct godebug_eval ev;

	go_buildinfo_init(&bi);
	if (go_buildinfo_read_mem(img, len, &bi, &eb) == GD_OK) {
		if (bi.go_version && !bi.go_version[0])
			abort();  /* contract: never an empty version */
		godebug_eval_compute(&ev, bi.go_version, "5.10.0",
				     go_buildinfo_setting(&bi, "DefaultGODEBUG"),
				     go_buildinfo_setting(&bi, "-ldflags"),
				     go_buildinfo_setting(&bi, "GODEBUG"));
		if (!ev.effective)
			abort();
		godebug_eval_release(&ev);
	}
	go_buildinfo_release(&bi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *w;
	size_t n = size > WRAP_MAX ? WRAP_MAX : size;

	check(data, size);

	w = calloc(1, WRAP_OFF + n);
	if (!w)
		return 0;
	memcpy(w, ELFMAG, SELFMAG);
	w[EI_CLASS] = ELFCLASS64;
	w[EI_DATA] = ELFDATA2LSB;
	w[EI_VERSION] = EV_CURRENT;
	le(w + 16, ET_EXEC, 2);
	le(w + 18, EM_X86_64, 2);
	le(w + 20, EV_CURRENT, 4);
	le(w + 32, 64, 8);          /* e_phoff */
	le(w + 52, 64, 2);          /* e_ehsize */
	le(w + 54, 56, 2);          /* e_phentsize */
	le(w + 56, 1, 2);           /* e_phnum */
	le(w + 64, PT_LOAD, 4);
	le(w + 68, PF_R | PF_W, 4);
	le(w + 72, WRAP_OFF, 8);
	le(w + 80, WRAP_VADDR + WRAP_OFF, 8);
	le(w + 88, WRAP_VADDR + WRAP_OFF, 8);
	le(w + 96, n, 8);
	le(w + 104, n, 8);
	le(w + 112, 0x1000, 8);
	memcpy(w + WRAP_OFF, data, n);
	check(w, WRAP_OFF + n);
	free(w);
	return 0;
}
