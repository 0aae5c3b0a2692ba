/* SPDX-License-Identifier: MIT */
/* The one bounded file reader: /proc and /sys files, recordings, rule
 * files.  Regular files only (a FIFO or a device would block or never end),
 * read in chunks because /proc files report a size of 0, and never more
 * than `cap` bytes kept. */
#ifndef GODIAG_READFILE_H
#define GODIAG_READFILE_H

#include <stddef.h>

#include "util/error.h"
#include "util/strbuf.h"

/* Replace sb's contents with the file at path.  GD_ETOOBIG when it holds
 * more than cap bytes (sb keeps the first cap); GD_ENOENT (also a process
 * that exited), GD_EPERM, GD_EFORMAT (not a regular file), GD_EIO.  The
 * message is "PATH: problem". */
enum gd_err read_file_capped(const char *path, size_t cap, struct strbuf *sb, struct gd_errbuf *eb);

#endif
