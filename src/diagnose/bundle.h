/* SPDX-License-Identifier: MIT */
/* A godiag bundle: a directory holding the raw pieces of evidence about one
 * target, plus manifest.json saying what each file is, where and when it
 * was taken, and which pieces could not be saved.
 *
 * Writing: bundle_writer_open() refuses a directory that holds anything (a
 * stale dump left there would be read back as this incident's evidence),
 * every piece is created with O_EXCL|O_NOFOLLOW, and a piece that cannot be
 * written is recorded as failed with the reason, never as saved.  The
 * manifest is written last, listing every file attempted.
 *
 * Reading: bundle_manifest_parse() takes the manifest (at most
 * BUNDLE_MANIFEST_MAX bytes, untrusted: fuzzed) into the identity facts no
 * file carries and the list of files; a file name that is not a plain name
 * inside the directory is refused.  evidence_dir reads the files through
 * that list.  Nothing here prints. */
#ifndef GODIAG_DIAGNOSE_BUNDLE_H
#define GODIAG_DIAGNOSE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/finding.h"
#include "diagnose/sniff.h"
#include "util/error.h"

#define BUNDLE_MANIFEST "manifest.json"
#define BUNDLE_MANIFEST_MAX ((size_t)1 << 20)
#define BUNDLE_MAX_FILES 512
/* Version 2 lists its files; version 1 (no "files") is read by content. */
#define BUNDLE_VERSION 2

/* What a bundle knows about its target beyond the files: build info and
 * runtime knobs (never the whole environment: it may hold secrets). */
struct bundle_identity {
	int64_t time;
	int pid;
	char *target, *go_version, *module, *default_godebug, *ldflags, *kernel;
	char *env_godebug, *env_gogc, *env_gomemlimit, *mem_policy, *mem_policy_reason;
};

void bundle_identity_release(struct bundle_identity *id);

/* One file of the bundle, as the manifest lists it. */
struct bundle_file {
	char *name;              /* plain file name inside the directory */
	enum evidence_kind kind;
	uint64_t bytes;          /* as written */
	char *source;            /* URL or path it was taken from */
	int64_t time;
	bool ok;                 /* false: could not be written (note says why) */
	char *note;
};

struct bundle_manifest {
	int version;
	struct bundle_identity id;
	bool has_files;          /* version >= 2: read through files[] */
	struct bundle_file *files;
	size_t nfiles, alloc;
};

void bundle_manifest_init(struct bundle_manifest *m);
void bundle_manifest_release(struct bundle_manifest *m);
/* Parse the text of a manifest.  GD_ETOOBIG over BUNDLE_MANIFEST_MAX,
 * GD_EFORMAT (eb says where) when it is not a godiag manifest or a file
 * entry is unusable. */
enum gd_err bundle_manifest_parse(struct bundle_manifest *m, const char *buf, size_t len,
				  struct gd_errbuf *eb);
/* The entry for name, or NULL. */
const struct bundle_file *bundle_manifest_file(const struct bundle_manifest *m, const char *name);

struct bundle_writer {
	char *dir;
	int dirfd;
	struct bundle_file *files;
	size_t nfiles, alloc;
	size_t nfailed;
};

/* Create dir (0700), or take an existing EMPTY one.  GD_EARG when dir
 * holds anything (eb names the first entry found), GD_EIO/GD_EPERM when it
 * cannot be created or opened. */
enum gd_err bundle_writer_open(struct bundle_writer *w, const char *dir, struct gd_errbuf *eb);
/* Save one piece as dir/name and record it (ok or failed, with why).
 * Returns what the write gave, so callers may note it. */
enum gd_err bundle_writer_save(struct bundle_writer *w, const char *name, enum evidence_kind kind,
			       const void *buf, size_t len, const char *source, int64_t time);
/* Record a file that another module wrote into the bundle (ok when it
 * exists as a regular file; its size is taken from it), or failed with why. */
void bundle_writer_record(struct bundle_writer *w, const char *name, enum evidence_kind kind,
			  const char *source, int64_t time, bool ok, const char *why);
/* dir/name, for modules that write their own file (sock_diag recordings). */
void bundle_writer_path(const struct bundle_writer *w, const char *name, char *out, size_t outlen);
/* Write the manifest: identity, the files attempted, and the collection
 * log (rs's pieces).  GD_EIO when it cannot be written. */
enum gd_err bundle_writer_finish(struct bundle_writer *w, const struct bundle_identity *id,
				 const struct report_snapshot *rs, struct gd_errbuf *eb);
void bundle_writer_release(struct bundle_writer *w);

#endif
