/* SPDX-License-Identifier: MIT */
/* Snapshots from files: a bundle written by `godiag bundle` (read through
 * its manifest), or any directory of evidence an engineer attached to a
 * ticket (each file recognised by its content, whatever its name). */
#ifndef GODIAG_EVIDENCE_DIR_H
#define GODIAG_EVIDENCE_DIR_H

#include "diagnose/finding.h"
#include "util/error.h"

struct snapshot;
struct collect_opts;

#define BUNDLE_MANIFEST "manifest.json"
#define EVIDENCE_FILE_MAX ((size_t)256 << 20)
#define EVIDENCE_DIR_MAX_FILES 512

enum gd_err evidence_dir_read(struct snapshot *s, const char *dir, struct report_snapshot *rs,
			      struct gd_errbuf *eb);

/* Write dir/manifest.json for a snapshot collected with bundle_dir = dir. */
enum gd_err bundle_write_manifest(const struct snapshot *s, const struct report_snapshot *rs, const char *dir,
				  struct gd_errbuf *eb);

#endif
