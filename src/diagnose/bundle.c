/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diagnose/bundle.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* The identity's strings, by manifest key: one list for reading, writing
 * and freeing them. */
static const struct {
	const char *key;
	size_t off;
} id_strings[] = {
	{ "target", offsetof(struct bundle_identity, target) },
	{ "go_version", offsetof(struct bundle_identity, go_version) },
	{ "module", offsetof(struct bundle_identity, module) },
	{ "default_godebug", offsetof(struct bundle_identity, default_godebug) },
	{ "ldflags", offsetof(struct bundle_identity, ldflags) },
	{ "kernel", offsetof(struct bundle_identity, kernel) },
	{ "env_godebug", offsetof(struct bundle_identity, env_godebug) },
	{ "env_gogc", offsetof(struct bundle_identity, env_gogc) },
	{ "env_gomemlimit", offsetof(struct bundle_identity, env_gomemlimit) },
	{ "mem_policy", offsetof(struct bundle_identity, mem_policy) },
	{ "mem_policy_reason", offsetof(struct bundle_identity, mem_policy_reason) },
};
#define ID_STRING(id, i) (*(char **)((char *)(id) + id_strings[i].off))

void bundle_identity_release(struct bundle_identity *id)
{
	for (size_t i = 0; i < sizeof(id_strings) / sizeof(id_strings[0]); i++)
		free(ID_STRING(id, i));
	memset(id, 0, sizeof(*id));
}

static void file_release(struct bundle_file *f)
{
	free(f->name);
	free(f->source);
	free(f->note);
}

/* --- reading ---------------------------------------------------------------- */

void bundle_manifest_init(struct bundle_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void bundle_manifest_release(struct bundle_manifest *m)
{
	bundle_identity_release(&m->id);
	for (size_t i = 0; i < m->nfiles; i++)
		file_release(&m->files[i]);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

static char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int64_t jint(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* A name the manifest may use: one path component, no dot files (".",
 * "..", hidden files are never written), no control characters. */
static bool plain_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 255 || s[0] == '.')
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

enum gd_err bundle_manifest_parse(struct bundle_manifest *m, const char *buf, size_t len,
				  struct gd_errbuf *eb)
{
	json_error_t jerr;
	json_t *root, *files;
	int64_t pid;
	if (len > BUNDLE_MANIFEST_MAX)
		return gd_fail(eb, GD_ETOOBIG, "manifest over %zu KiB", BUNDLE_MANIFEST_MAX >> 10);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return gd_fail(eb, GD_EFORMAT, "manifest: line %d: %.200s", jerr.line, jerr.text);
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "godiag_bundle"))) {
		json_decref(root);
		return gd_fail(eb, GD_EFORMAT, "not a godiag bundle manifest (no \"godiag_bundle\" version)");
	}
	m->version = (int)jint(root, "godiag_bundle", 0);
	if (m->version < 1) {
		json_decref(root);
		return gd_fail(eb, GD_EFORMAT, "manifest: bad version %d", m->version);
	}
	m->id.time = jint(root, "time", 0);
	pid = jint(root, "pid", 0);
	m->id.pid = pid > 0 && pid <= 4194304 ? (int)pid : 0;
	for (size_t i = 0; i < sizeof(id_strings) / sizeof(id_strings[0]); i++)
		ID_STRING(&m->id, i) = jstr(root, id_strings[i].key);

	files = json_object_get(root, "files");
	if (files) {
		size_t i;
		json_t *f;
		if (!json_is_array(files)) {
			json_decref(root);
			return gd_fail(eb, GD_EFORMAT, "manifest: \"files\" is not a list");
		}
		if (json_array_size(files) > BUNDLE_MAX_FILES) {
			json_decref(root);
			return gd_fail(eb, GD_ETOOBIG, "manifest: more than %d files", BUNDLE_MAX_FILES);
		}
		m->has_files = true;
		json_array_foreach(files, i, f) {
			struct bundle_file *bf;
			json_t *name = json_object_get(f, "name"), *ok = json_object_get(f, "ok");
			int64_t bytes = jint(f, "bytes", -1);
			if (!json_is_string(name) || !plain_name(json_string_value(name)) || !json_is_boolean(ok) ||
			    (json_is_true(ok) && bytes < 0)) {
				json_decref(root);
				return gd_fail(eb, GD_EFORMAT,
					       "manifest: file %zu needs a plain \"name\", \"ok\" and \"bytes\"", i);
			}
			if (bundle_manifest_file(m, json_string_value(name))) {
				json_decref(root);
				return gd_fail(eb, GD_EFORMAT, "manifest: file %zu: %.100s listed twice", i,
					       json_string_value(name));
			}
			ALLOC_GROW(m->files, m->nfiles + 1, m->alloc);
			bf = &m->files[m->nfiles++];
			memset(bf, 0, sizeof(*bf));
			bf->name = xstrdup(json_string_value(name));
			bf->ok = json_is_true(ok);
			bf->bytes = bytes > 0 ? (uint64_t)bytes : 0;
			bf->kind = evidence_kind_from_name(json_string_value(json_object_get(f, "kind")));
			bf->source = jstr(f, "source");
			bf->note = jstr(f, "note");
			bf->time = jint(f, "time", 0);
		}
	}
	json_decref(root);
	return GD_OK;
}

static const struct bundle_file *find_file(const struct bundle_file *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const struct bundle_file *bundle_manifest_file(const struct bundle_manifest *m, const char *name)
{
	return find_file(m->files, m->nfiles, name);
}

/* --- writing ---------------------------------------------------------------- */

static enum gd_err errno_err(int e)
{
	return e == EACCES || e == EPERM ? GD_EPERM : e == ENOENT ? GD_ENOENT : GD_EIO;
}

enum gd_err bundle_writer_open(struct bundle_writer *w, const char *dir, struct gd_errbuf *eb)
{
	DIR *d;
	struct dirent *de;
	int fd;
	memset(w, 0, sizeof(*w));
	w->dirfd = -1;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return gd_fail(eb, errno_err(errno), "%s: cannot create: %s", dir, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return gd_fail(eb, errno == ENOTDIR ? GD_EARG : errno_err(errno), "%s: %s", dir,
			       errno == ENOTDIR ? "exists and is not a directory" : strerror(errno));
	/* Anything already there would be read back as this incident's
	 * evidence (a stale dump from last week): refuse, do not mix. */
	d = fdopendir(dup(fd));
	if (!d) {
		int e = errno;
		close(fd);
		return gd_fail(eb, errno_err(e), "%s: %s", dir, strerror(e));
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		gd_fail(eb, GD_EARG, "%s: not empty (holds %.200s); a bundle goes into a new or empty directory",
			dir, de->d_name);
		closedir(d);
		close(fd);
		return GD_EARG;
	}
	closedir(d);
	w->dirfd = fd;
	w->dir = xstrdup(dir);
	return GD_OK;
}

static struct bundle_file *add_file(struct bundle_writer *w, const char *name, enum evidence_kind kind,
				    const char *source, int64_t time)
{
	struct bundle_file *f;
	ALLOC_GROW(w->files, w->nfiles + 1, w->alloc);
	f = &w->files[w->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->kind = kind;
	f->source = xstrdup_or_null(source);
	f->time = time;
	return f;
}

static void set_failed(struct bundle_writer *w, struct bundle_file *f, const char *why)
{
	f->ok = false;
	free(f->note);
	f->note = xstrdup(why);
	w->nfailed++;
}

/* Write all of buf to a new file; on any failure nothing is left behind. */
static int write_new(int dirfd, const char *name, const void *buf, size_t len)
{
	const char *p = buf;
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int e = 0;
	if (fd < 0)
		return errno;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) && !e)
		e = errno;
	if (e)
		unlinkat(dirfd, name, 0);
	return e;
}

enum gd_err bundle_writer_save(struct bundle_writer *w, const char *name, enum evidence_kind kind,
			       const void *buf, size_t len, const char *source, int64_t time)
{
	struct bundle_file *f;
	int e;
	/* One name, one entry: a second copy is a bug of the caller's, and
	 * the first one stays what the manifest describes. */
	if (find_file(w->files, w->nfiles, name))
		return GD_EARG;
	f = add_file(w, name, kind, source, time);
	if (w->dirfd < 0) {
		set_failed(w, f, "the bundle directory is not open");
		return GD_EIO;
	}
	e = write_new(w->dirfd, name, buf, len);
	if (e) {
		char why[256];
		snprintf(why, sizeof(why), "not saved: %s", strerror(e));
		set_failed(w, f, why);
		return errno_err(e);
	}
	f->ok = true;
	f->bytes = len;
	return GD_OK;
}

void bundle_writer_record(struct bundle_writer *w, const char *name, enum evidence_kind kind,
			  const char *source, int64_t time, bool ok, const char *why)
{
	struct bundle_file *f;
	struct stat st;
	if (find_file(w->files, w->nfiles, name))
		return;
	f = add_file(w, name, kind, source, time);
	if (ok && (w->dirfd < 0 || fstatat(w->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))) {
		ok = false;
		why = "not saved: the file is missing";
	}
	if (!ok) {
		char buf[512];
		snprintf(buf, sizeof(buf), "%s%s", strncmp(why ? why : "", "not saved", 9) ? "not saved: " : "",
			 why ? why : "unknown error");
		set_failed(w, f, buf);
		return;
	}
	f->ok = true;
	f->bytes = (uint64_t)st.st_size;
}

void bundle_writer_path(const struct bundle_writer *w, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", w->dir ? w->dir : ".", name);
}

static void jset_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

enum gd_err bundle_writer_finish(struct bundle_writer *w, const struct bundle_identity *id,
				 const struct report_snapshot *rs, struct gd_errbuf *eb)
{
	json_t *root = json_object(), *files = json_array(), *log = json_array();
	char *text;
	int e;
	json_object_set_new(root, "godiag_bundle", json_integer(BUNDLE_VERSION));
	jset_str(root, "godiag_version", GODIAG_VERSION);
	json_object_set_new(root, "time", json_integer(id->time));
	if (id->pid)
		json_object_set_new(root, "pid", json_integer(id->pid));
	for (size_t i = 0; i < sizeof(id_strings) / sizeof(id_strings[0]); i++)
		jset_str(root, id_strings[i].key, ID_STRING(id, i));
	for (size_t i = 0; i < w->nfiles; i++) {
		const struct bundle_file *f = &w->files[i];
		json_t *o = json_object();
		jset_str(o, "name", f->name);
		jset_str(o, "kind", evidence_kind_name(f->kind));
		json_object_set_new(o, "ok", json_boolean(f->ok));
		if (f->ok)
			json_object_set_new(o, "bytes", json_integer((json_int_t)f->bytes));
		jset_str(o, "source", f->source);
		json_object_set_new(o, "time", json_integer(f->time));
		jset_str(o, "note", f->note);
		json_array_append_new(files, o);
	}
	json_object_set_new(root, "files", files);
	/* The collection log: what was read or not, and why (also what
	 * `doctor DIR` shows for pieces that left no file). */
	for (size_t i = 0; rs && i < rs->npieces; i++) {
		json_t *p = json_object();
		jset_str(p, "what", rs->pieces[i].what);
		jset_str(p, "source", rs->pieces[i].source);
		json_object_set_new(p, "ok", json_boolean(rs->pieces[i].ok));
		jset_str(p, "note", rs->pieces[i].note);
		json_object_set_new(p, "time", json_integer(rs->pieces[i].time));
		json_array_append_new(log, p);
	}
	json_object_set_new(root, "pieces", log);
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(root);
	if (!text)
		return gd_fail(eb, GD_ENOMEM, "%s/%s: cannot encode", w->dir, BUNDLE_MANIFEST);
	e = w->dirfd < 0 ? EBADF : write_new(w->dirfd, BUNDLE_MANIFEST, text, strlen(text));
	free(text);
	if (e)
		return gd_fail(eb, errno_err(e), "%s/%s: cannot write: %s", w->dir, BUNDLE_MANIFEST, strerror(e));
	return GD_OK;
}

void bundle_writer_release(struct bundle_writer *w)
{
	if (w->dirfd >= 0)
		close(w->dirfd);
	for (size_t i = 0; i < w->nfiles; i++)
		file_release(&w->files[i]);
	free(w->files);
	free(w->dir);
	memset(w, 0, sizeof(*w));
	w->dirfd = -1;
}
