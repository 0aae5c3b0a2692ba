/* SPDX-License-Identifier: MIT */
/* Go build information read from an ELF executable, without running it.
 *
 * The Go linker leaves a 32-byte header starting with "\xff Go buildinf:" in
 * writable data; behind it sit the toolchain version and the "modinfo" text
 * (main package, module, dependencies and build settings such as -ldflags,
 * CGO_ENABLED and DefaultGODEBUG).  This is what `go version -m` prints and
 * what godiag uses to recognise a Go process and to know which runtime
 * behaviours (memory return policy, GODEBUG knobs) apply to it.
 *
 * Everything in the file is untrusted: every offset, pointer and length is
 * bounds-checked against the mapped image, nothing is read past its end, and
 * list sizes are capped.  Only ELF is supported (Linux targets). */
#ifndef GODIAG_LINUX_BUILDINFO_H
#define GODIAG_LINUX_BUILDINFO_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct go_setting {
	char *key, *value;
};

/* Mirrors Go's debug.Module; `replace` is set by a "=>" line. */
struct go_module {
	char *path, *version, *sum;    /* sum may be "" */
	struct go_module *replace;     /* NULL if not replaced; never nested */
};

/* Where the header was found (go_buildinfo.how). */
enum go_bi_how {
	GO_BI_HOW_NONE = 0,
	GO_BI_HOW_SECTION,      /* the .go.buildinfo section */
	GO_BI_HOW_SEGMENT,      /* a writable, non-executable PT_LOAD */
	GO_BI_HOW_SCAN,         /* whole-file scan on 16-byte boundaries */
};

struct go_buildinfo {
	/* "go1.19.8", "devel go1.23-abc ...".  NULL when the binary is a Go
	 * executable but the version could not be recovered (pre-1.18 PIE
	 * whose pointer slots are filled by a relocation we could not find);
	 * `note` then says why. */
	char *go_version;
	char *path;                    /* main package path, may be NULL */
	char *mod_path, *mod_version;  /* main module, may be NULL */
	char *mod_sum;                 /* may be NULL */
	struct go_module *mod_replace; /* may be NULL */
	struct go_module *deps;
	size_t ndeps;
	/* build lines in file order: -ldflags, CGO_ENABLED, GOARCH,
	 * vcs.revision, DefaultGODEBUG...  Values are unquoted.  A value with
	 * an embedded NUL (only possible through a \x00 escape) is cut there. */
	struct go_setting *settings;
	size_t nsettings;
	int format;                    /* 1 = pre-1.18 pointer format, 2 = 1.18+ inline varint */
	int how;                       /* enum go_bi_how */
	uint64_t blob_offset;          /* file offset of the 32-byte header */
	/* Empty, or one line on what was skipped or could not be read
	 * (malformed modinfo lines, capped lists, unknown version). */
	char note[256];
};

/* Caps on what one binary may make us allocate. */
#define GO_BI_MAX_VERSION 1024
#define GO_BI_MAX_MODINFO (16u << 20)
#define GO_BI_MAX_DEPS 65536
#define GO_BI_MAX_SETTINGS 4096

void go_buildinfo_init(struct go_buildinfo *bi);
void go_buildinfo_release(struct go_buildinfo *bi);

/* Read the build info of the ELF file at `path` (mmap, read-only).  Pass
 * /proc/PID/exe for a running process: it works for deleted binaries and
 * other mount namespaces.  Returns GD_OK, GD_ENOENT, GD_EPERM, GD_EIO, or
 * GD_EFORMAT ("not an ELF file", "not a Go executable (no build info)",
 * damaged header).  `bi` must have been initialised; on error it is left
 * empty.  The file must not be truncated while it is read (a running
 * executable cannot be written to, so /proc/PID/exe is safe). */
enum gd_err go_buildinfo_read_file(const char *path, struct go_buildinfo *bi,
				   struct gd_errbuf *eb);

/* The same over an ELF image already in memory; `data` is never written. */
enum gd_err go_buildinfo_read_mem(const unsigned char *data, size_t len,
				  struct go_buildinfo *bi, struct gd_errbuf *eb);

/* The same over a file a caller already opened for more than its build
 * info (the census); messages start "NAME: " when name is not NULL. */
struct elf_file;
enum gd_err go_buildinfo_read_elf(const struct elf_file *ef, const char *name, struct go_buildinfo *bi,
				  struct gd_errbuf *eb);

/* Value of the first build setting named `key`, or NULL. */
const char *go_buildinfo_setting(const struct go_buildinfo *bi, const char *key);

/* "section", "segment", "scan" or "none". */
const char *go_buildinfo_how_name(int how);

#endif
