/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/elffile.h"
#include "util/banned.h"

enum gd_err elf_file_from_mem(struct elf_file *f, const unsigned char *data, size_t len, const char *name,
			      struct gd_errbuf *eb)
{
	const char *pfx = name ? name : "";
	const char *sep = name ? ": " : "";

	memset(f, 0, sizeof(*f));
	f->data = data;
	f->len = len;
	if (len < EI_NIDENT || memcmp(data, ELFMAG, SELFMAG))
		return gd_fail(eb, GD_EFORMAT, "%s%snot an ELF file", pfx, sep);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return gd_fail(eb, GD_EUNSUPPORTED, "%s%slibelf: %s", pfx, sep, elf_errmsg(-1));
	/* elf_memory() wants a mutable pointer; it writes only into a
	 * writable mapping (decompressing a section in place), and foreign
	 * byte order is converted into libelf's own copies. */
	f->elf = elf_memory((char *)(uintptr_t)data, len);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF || !gelf_getehdr(f->elf, &f->eh))
		return gd_fail(eb, GD_EFORMAT, "%s%sdamaged ELF header", pfx, sep);
	return GD_OK;
}

enum gd_err elf_file_open(struct elf_file *f, const char *path, bool writable, struct gd_errbuf *eb)
{
	struct stat st;
	void *map;
	enum gd_err rc;
	int fd;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		rc = e == ENOENT || e == ENOTDIR || e == ESRCH ? GD_ENOENT
		   : e == EACCES || e == EPERM ? GD_EPERM : GD_EIO;
		return gd_fail(eb, rc, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return gd_fail(eb, GD_EIO, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return gd_fail(eb, GD_EFORMAT, "%s: not a regular file", path);
	}
	if (st.st_size < EI_NIDENT) {
		close(fd);
		return gd_fail(eb, GD_EFORMAT, "%s: not an ELF file", path);
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return gd_fail(eb, GD_ETOOBIG, "%s: too large to map", path);
	}
	map = mmap(NULL, (size_t)st.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		int e = errno;
		close(fd);
		return gd_fail(eb, GD_EIO, "%s: mmap: %s", path, strerror(e));
	}
	close(fd);
	rc = elf_file_from_mem(f, map, (size_t)st.st_size, path, eb);
	f->map = map;
	if (rc)
		elf_file_release(f);
	return rc;
}

void elf_file_release(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->map)
		munmap(f->map, f->len);
	memset(f, 0, sizeof(*f));
}
