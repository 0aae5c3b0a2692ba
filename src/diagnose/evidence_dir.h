/* SPDX-License-Identifier: MIT */
/* Evidence from files: the recognised pieces of a directory or of one file.
 *
 * A directory with a godiag manifest (a bundle) is read through the
 * manifest's file list: only those files, each with the kind the manifest
 * gives; any other file there is listed as ignored (a stale dump copied in
 * later is not this incident's evidence).  A directory without a manifest
 * (what engineers attach to a ticket), or with a version-1 manifest that
 * lists no files, is read by content: every regular file is sniffed.
 *
 * Every file is read once (opened O_NOFOLLOW|O_NONBLOCK, regular files
 * only, each capped at EVIDENCE_FILE_MAX and all of them together at
 * EVIDENCE_DIR_MAX_BYTES), and comes back as a piece: its kind, its bytes,
 * its path and time, or why it was not read.  This module knows nothing of
 * snapshots: snapshot_apply() turns pieces into facts. */
#ifndef GODIAG_EVIDENCE_DIR_H
#define GODIAG_EVIDENCE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/bundle.h"
#include "diagnose/sniff.h"
#include "util/error.h"

#define EVIDENCE_FILE_MAX ((size_t)256 << 20)
#define EVIDENCE_DIR_MAX_BYTES ((size_t)512 << 20)
#define EVIDENCE_DIR_MAX_FILES 512

/* One piece of evidence, from a file, a URL or a live process.  In a set,
 * every pointer is owned by the set; callers that build one themselves
 * (snapshot's URL and PID readers) point at their own buffers. */
struct evidence_piece {
	enum evidence_kind kind;
	const char *what;   /* label in the report; NULL: the kind's name (the file name if unknown) */
	const char *name;   /* file name, or NULL */
	const char *source; /* path or URL */
	int64_t time;       /* unix seconds taken (file: mtime, bundle: the manifest's time) */
	const char *buf;    /* the bytes; NULL when failed */
	size_t len;
	bool failed;        /* not read, or ignored: note says why */
	const char *note;   /* why it failed, or a caveat to add to what was read */
};

struct evidence_set {
	struct evidence_piece *v;
	size_t n, alloc;
	size_t bytes;              /* read in total (against EVIDENCE_DIR_MAX_BYTES) */
	bool has_manifest;         /* a manifest was found and parsed */
	bool through_manifest;     /* ... and it listed the files (version >= 2) */
	struct bundle_manifest manifest;
	char *manifest_path;
	char *manifest_error;      /* set when a manifest was there but unusable */
};

void evidence_set_init(struct evidence_set *set);
void evidence_set_release(struct evidence_set *set);

/* Read dir's pieces into set (see above).  Fails only when dir cannot be
 * listed; files that cannot be read are failed pieces. */
enum gd_err evidence_dir_read(struct evidence_set *set, const char *dir, struct gd_errbuf *eb);

/* Read one file (a dump, a profile, a /proc copy, ...) as one piece,
 * recognised by content.  Fails (eb names the file) when it cannot be
 * read at all. */
enum gd_err evidence_file_read(struct evidence_set *set, const char *path, struct gd_errbuf *eb);

#endif
