/* SPDX-License-Identifier: MIT */
/* An executable opened for reading its ELF structure: the one place that
 * maps a file, checks the magic and hands the bytes to libelf, shared by
 * the build-info reader and the census.  Every byte is untrusted; only the
 * header has been checked here. */
#ifndef GODIAG_ELFFILE_H
#define GODIAG_ELFFILE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct elf_file {
	const unsigned char *data;
	size_t len;
	Elf *elf;
	GElf_Ehdr eh;
	void *map; /* set when elf_file_open() mapped the file */
};

/* The image data[0..len) (the caller keeps it alive until release).
 * GD_EFORMAT "not an ELF file" or "damaged ELF header", prefixed with
 * "NAME: " when name is not NULL. */
enum gd_err elf_file_from_mem(struct elf_file *f, const unsigned char *data, size_t len, const char *name,
			      struct gd_errbuf *eb);

/* The file at path, mapped whole.  Regular files only: a FIFO planted at
 * the path cannot hang us.  writable maps it private and writable, because
 * libelf decompresses compressed .debug_* sections in place.  GD_ENOENT,
 * GD_EPERM, GD_EIO, or elf_file_from_mem()'s errors. */
enum gd_err elf_file_open(struct elf_file *f, const char *path, bool writable, struct gd_errbuf *eb);

void elf_file_release(struct elf_file *f);

#endif
