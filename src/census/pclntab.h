/* SPDX-License-Identifier: MIT */
/* Decoder for the Go runtime's pclntab, read from the target's memory:
 * function names, file:line, frame sizes (pcsp), pcdata/funcdata and the
 * inline tree, for the four layouts the runtime has used:
 *
 *   0xfffffffb  Go 1.2-1.15   absolute functab, one global file table
 *   0xfffffffa  Go 1.16-1.17  header with table offsets, per-CU file numbers
 *   0xfffffff0  Go 1.18-1.19  u32 entry offsets from textStart, funcdata
 *                             as u32 offsets from moduledata.gofunc
 *   0xfffffff1  Go 1.20+      _func.startLine; 16-byte inline records
 *
 * Everything comes through a read callback (procmem, or a buffer in the
 * fuzzer) and is untrusted: every offset is bounds-checked against the
 * table sizes in the header, every varint stream has a step cap, names and
 * file names are capped.  The decoder keeps no pointers into target memory. */
#ifndef GODIAG_CENSUS_PCLNTAB_H
#define GODIAG_CENSUS_PCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef enum gd_err (*pcl_read_fn)(void *ctx, uint64_t addr, void *buf, size_t n);

enum pcl_layout { PCL_12 = 12, PCL_116 = 116, PCL_118 = 118, PCL_120 = 120 };

#define PCL_FUNCDATA_INLTREE 3
#define PCL_FUNCDATA_ARGINFO 5
#define PCL_FUNCDATA_ARGLIVEINFO 6
#define PCL_PCDATA_INLTREEINDEX 2
#define PCL_PCDATA_ARGLIVEINDEX 3
#define PCL_FLAG_TOPFRAME 1
#define PCL_FLAG_SPWRITE 2
#define PCL_NAME_MAX 1024

struct pclntab {
	pcl_read_fn read;
	void *ctx;
	uint64_t base;        /* address of the header (1.16+) or table start */
	int layout;           /* enum pcl_layout */
	uint32_t magic;
	uint32_t quantum;
	uint64_t nfunc, nfiles;
	uint64_t text;        /* textStart (1.18+) */
	uint64_t funcnametab, cutab, filetab, pctab, functab; /* addresses */
	uint64_t gofunc;      /* moduledata.gofunc (1.18+ funcdata base) */
	uint64_t minpc, maxpc;/* first entry, end of the last function */
	uint64_t size_hint;   /* bytes from base that tables may use */
};

/* One function: what the runtime calls a funcInfo. */
struct pcl_func {
	uint64_t entry;
	uint64_t end;         /* next function's entry */
	uint64_t addr;        /* address of the _func record */
	int32_t nameoff;
	uint32_t pcsp, pcfile, pcln, npcdata, cuoff, nfuncdata;
	int32_t startline;
	uint8_t funcid, flag;
};

/* Detect the layout at addr (the magic) and read the header.  gofunc is
 * needed for funcdata on 1.18+ (0 when unknown: no inlining, no args).
 * size_hint bounds table offsets (0: 256 MiB). */
enum gd_err pclntab_init(struct pclntab *t, pcl_read_fn read, void *ctx, uint64_t addr,
			 uint64_t gofunc, uint64_t size_hint, struct gd_errbuf *eb);
/* Check a header in a local buffer (for magic scans): 1 if plausible. */
int pclntab_header_ok(const unsigned char *p, size_t n);

/* The function containing pc; GD_ENOENT when none does. */
enum gd_err pclntab_findfunc(const struct pclntab *t, uint64_t pc, struct pcl_func *f);
/* The i-th function of the table (i < nfunc). */
enum gd_err pclntab_func_at(const struct pclntab *t, uint64_t i, struct pcl_func *f);
/* Name at nameoff (the func's or an inline record's), NUL-terminated. */
enum gd_err pclntab_name(const struct pclntab *t, int32_t nameoff, char *buf, size_t cap);
/* Value of the pc-value table at offset `off` for pc; -1 when not covered. */
enum gd_err pclntab_pcvalue(const struct pclntab *t, const struct pcl_func *f, uint32_t off,
			    uint64_t pc, int32_t *val);
enum gd_err pclntab_pcdata(const struct pclntab *t, const struct pcl_func *f, uint32_t i,
			   uint64_t pc, int32_t *val);
/* funcdata i's address, 0 when absent. */
enum gd_err pclntab_funcdata(const struct pclntab *t, const struct pcl_func *f, uint32_t i,
			     uint64_t *addr);
/* File and line for pc in f (pc as given: pass pc-1 for return addresses). */
enum gd_err pclntab_fileline(const struct pclntab *t, const struct pcl_func *f, uint64_t pc,
			     char *file, size_t cap, int32_t *line);
/* Frame size at pc (pcsp). */
enum gd_err pclntab_spdelta(const struct pclntab *t, const struct pcl_func *f, uint64_t pc,
			    int32_t *delta);

/* One logical frame at a pc: inlined callees first, then the function. */
struct pcl_frame {
	char name[PCL_NAME_MAX];
	char file[PCL_NAME_MAX];
	int32_t line;
	uint8_t funcid;
	bool inlined;
};
#define PCL_MAX_INLINE 32
/* Expand pc (the symbolic pc: pc-1 for a return address) through f's
 * inline tree into out[]; returns the count in *n. */
enum gd_err pclntab_expand(const struct pclntab *t, const struct pcl_func *f, uint64_t pc,
			   struct pcl_frame *out, size_t cap, size_t *n);

/* Find a function by exact name (linear scan; for runtime.allgadd). */
enum gd_err pclntab_lookup(const struct pclntab *t, const char *name, struct pcl_func *f);

#endif
