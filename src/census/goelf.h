/* SPDX-License-Identifier: MIT */
/* What the census needs from a Go executable, read from the file (never from
 * the process): Go version and build id, PIE load bias from /proc/PID/maps,
 * the segments, the .gopclntab address, runtime symbols from .symtab, and
 * the runtime's struct offsets from DWARF (libdw, only the runtime compile
 * unit), falling back to a per-version table keyed by the build info's Go
 * version.  Pass /proc/PID/exe so containers and deleted binaries work.
 *
 * All addresses are run-time addresses (link address + bias).  The facts
 * are also stored in a recording (census_facts_save/load) so a replay needs
 * no binary. */
#ifndef GODIAG_CENSUS_GOELF_H
#define GODIAG_CENSUS_GOELF_H

#include <stdint.h>
#include <sys/types.h>

#include "linux/procmem.h"
#include "util/error.h"

/* amd64 offsets inside runtime.g (gobuf and stack folded in). */
struct g_offsets {
	uint32_t stack_lo, stack_hi, m, sched_sp, sched_pc, syscallsp, syscallpc;
	uint32_t atomicstatus, goid, waitsince, waitreason, lockedm, parentgoid, gopc, startpc;
	uint32_t size;          /* sizeof(runtime.g) */
	int has_parentgoid;
};

#define CENSUS_MAX_SEGS 16
struct census_seg {
	uint64_t lo, hi;        /* run-time [lo, hi) of the file-backed part */
	int writable, exec;
};

struct census_facts {
	char goversion[64];     /* "go1.19.8" */
	int gominor;            /* 19; 0 when unknown */
	char buildid[160];
	int pie;
	uint64_t bias;
	struct census_seg segs[CENSUS_MAX_SEGS];
	int nsegs;
	uint64_t pclntab;       /* 0: find by scanning */
	uint64_t moduledata;    /* 0: find by scanning */
	uint64_t allgs, allglen, allgptr; /* 0: decode runtime.allgadd */
	uint64_t waitreasons;   /* runtime.waitReasonStrings, 0: table */
	uint32_t nwaitreasons;
	struct g_offsets off;
	char off_source[96];    /* "DWARF", "table (go1.21)" */
	int has_symtab, has_dwarf, has_sections;
};

/* Read facts from the ELF at exe_path for process pid (pid 0: no bias). */
enum gd_err census_facts_read(struct census_facts *f, const char *exe_path, pid_t pid,
			      struct gd_errbuf *eb);
/* The per-version g table; GD_EUNSUPPORTED when the version has none. */
enum gd_err census_offsets_for_version(int gominor, struct g_offsets *o, struct gd_errbuf *eb);

void census_facts_save(const struct census_facts *f, struct procmem *m);
enum gd_err census_facts_load(struct census_facts *f, const struct procmem *m,
			      struct gd_errbuf *eb);

/* "go1.19.8" -> 19, "go1.2" -> 2; 0 for devel or junk. */
int census_go_minor(const char *version);

#endif
