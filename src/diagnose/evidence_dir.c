/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diagnose/evidence_dir.h"
#include "diagnose/sniff.h"
#include "diagnose/snapshot.h"
#include "goroutine/dump_input.h"
#include "linux/sockdiag.h"
#include "linux/ss_text.h"
#include "remote/expvar.h"
#include "remote/promtext.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

static enum gd_err read_whole(const char *path, struct strbuf *sb, struct gd_errbuf *eb)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;
	if (!f)
		return gd_fail(eb, errno == ENOENT ? GD_ENOENT : errno == EACCES ? GD_EPERM : GD_EIO, "%s",
			       strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (strbuf_add(sb, buf, n)) {
			fclose(f);
			return gd_fail(eb, GD_ETOOBIG, "over %zu MiB", EVIDENCE_FILE_MAX >> 20);
		}
	}
	if (ferror(f)) {
		fclose(f);
		return gd_fail(eb, GD_EIO, "read error");
	}
	fclose(f);
	return GD_OK;
}

/* Take one piece of evidence of a known kind; returns a note on failure. */
/* godiag's own sock_diag recordings (sockets.gdnl in a bundle). */
#define EV_NETLINK_RECORDING EV_KIND_MAX

static const char *kind_name(enum evidence_kind k)
{
	return k == EV_NETLINK_RECORDING ? "sock_diag recording" : evidence_kind_name(k);
}

static enum gd_err take(struct snapshot *s, enum evidence_kind kind, const char *buf, size_t len,
			const char *name, char *note, size_t notelen)
{
	struct gd_errbuf eb = { "" };
	enum gd_err e = GD_OK;
	note[0] = '\0';
	switch ((int)kind) {
	case EV_GOROUTINE_DEBUG2:
	case EV_GOROUTINE_DEBUG1:
	case EV_GOROUTINE_PROTO: {
		struct grouping g;
		struct dump_input in;
		grouping_init(&g, GROUP_ANY_ARGS, 0);
		dump_input_init(&in, &g, 0);
		e = dump_input_parse_buffer(&in, buf, len, false, NULL, NULL);
		if (e) {
			snprintf(note, notelen, "%s", in.eb.msg);
		} else if (s->has_goroutines && (s->goroutines_have_waits || kind != EV_GOROUTINE_DEBUG2)) {
			/* debug=2 carries states and wait times: it wins over profiles. */
			snprintf(note, notelen, "%" PRIu64 " goroutines (%s)%s; another dump was used", g.total,
				 dump_format_name(in.format), in.truncated ? ", truncated: the rest lost" : "");
		} else {
			grouping_release(&s->g);
			s->g = g;
			grouping_init(&g, GROUP_ANY_ARGS, 0);
			s->has_goroutines = true;
			s->goroutines_have_waits = in.format == DUMP_FMT_DEBUG2;
			s->goroutines_truncated = in.truncated;
			snprintf(note, notelen, "%" PRIu64 " goroutines (%s)%s", s->g.total, dump_format_name(in.format),
				 in.truncated ? ", truncated: the rest lost" : "");
		}
		grouping_release(&g);
		dump_input_release(&in);
		return e;
	}
	case EV_GOROUTINELEAK_DEBUG1:
	case EV_GOROUTINELEAK_PROTO: {
		struct dump_input in;
		dump_input_init(&in, &s->leak, 0);
		e = dump_input_parse_buffer(&in, buf, len, false, NULL, NULL);
		if (e)
			snprintf(note, notelen, "%s", in.eb.msg);
		else
			s->has_leak_profile = true;
		dump_input_release(&in);
		return e;
	}
	case EV_HEAP_TEXT:
	case EV_HEAP_PROTO:
		heap_profile_release(&s->heap);
		heap_profile_init(&s->heap);
		e = kind == EV_HEAP_TEXT ? heap_profile_parse_text(&s->heap, buf, len, &eb)
					   : heap_profile_from_proto(&s->heap, buf, len, &eb);
		if (e) {
			snprintf(note, notelen, "%s", eb.msg);
			return e;
		}
		s->has_heap = true;
		if (s->heap.has_memstats) {
			s->ms = s->heap.memstats;
			s->has_memstats = true;
			snprintf(s->memstats_source, sizeof(s->memstats_source), "%s (MemStats)", name);
		}
		{
			/* Go ends the text with the MemStats block and a newline; a
			 * copy cut short loses the block's last lines (NumGC...). */
			bool cut = s->heap.truncated || (len && buf[len - 1] != '\n') ||
				   (s->heap.has_memstats && !(s->heap.memstats.known & (1ull << MS_NUM_GC)));
			snprintf(note, notelen, "%zu allocation sites%s%s", s->heap.nsites,
				 s->heap.has_memstats ? ", MemStats" : ", no MemStats block",
				 cut ? "; truncated: the file ends early" : "");
		}
		return GD_OK;
	case EV_PROC_STATUS: {
		const char *pid = memmem(buf, len, "\nPid:", 5);
		e = proc_status_parse(buf, len, &s->pi.status, name, &eb);
		if (e) {
			snprintf(note, notelen, "%s", eb.msg);
			return e;
		}
		s->has_proc = true;
		if (pid && !s->pid) {
			long v = strtol(pid + 5, NULL, 10);
			if (v > 0 && v < 4194304)
				s->pid = (int)v;
		}
		return GD_OK;
	}
	case EV_SMAPS_ROLLUP:
	case EV_SMAPS:
		e = proc_smaps_parse(buf, len, &s->pi.smaps, name, &eb);
		if (e) {
			snprintf(note, notelen, "%s", eb.msg);
		} else {
			s->pi.smaps.source = kind == EV_SMAPS ? SMAPS_SUMMED : SMAPS_ROLLUP;
			s->has_proc = true;
		}
		return e;
	case EV_SOCKSTAT:
		e = sockstat_parse(buf, len, &s->socks.sockstat, &eb);
		if (e)
			snprintf(note, notelen, "%s", eb.msg);
		return e;
	case EV_SS_TEXT: {
		struct ss_text st;
		int pid;
		ss_text_init(&st);
		e = ss_text_parse(&st, buf, len, name, 0, &eb);
		if (e) {
			snprintf(note, notelen, "%s", eb.msg);
			ss_text_release(&st);
			return e;
		}
		/* A ticket's `ss -tinp` covers the whole host: keep the service's
		 * rows (the bundle's pid, or the process owning most sockets). */
		pid = s->pid > 0 ? s->pid : ss_text_main_pid(&st);
		if (pid > 0) {
			ss_text_release(&st);
			ss_text_init(&st);
			ss_text_parse(&st, buf, len, name, pid, &eb);
		}
		tcp_sock_list_release(&s->socks);
		s->socks = st.socks;
		tcp_sock_list_init(&st.socks);
		ss_text_release(&st);
		s->has_sockets = true;
		snapshot_find_listeners(s);
		snprintf(note, notelen, "%zu sockets%s", s->socks.n, s->socks.idle_known ? "" : " (no idle times)");
		return GD_OK;
	}
	case EV_BUNDLE_MANIFEST:
		return GD_OK;
	case EV_NETLINK_RECORDING: {
		struct sockdiag_replay r;
		memset(&r, 0, sizeof(r));
		tcp_sock_list_release(&s->socks);
		tcp_sock_list_init(&s->socks);
		e = sockdiag_replay_parse(buf, len, NULL, &r, &s->socks, &eb);
		sockdiag_replay_release(&r);
		if (e) {
			snprintf(note, notelen, "%s", eb.msg);
			return e;
		}
		s->has_sockets = true;
		/* The recording carries tcp_info: idle times are as good as live. */
		for (size_t i = 0; i < s->socks.n; i++)
			s->socks.idle_known |= s->socks.v[i].has_idle;
		snprintf(s->socks.source, sizeof(s->socks.source), "sock_diag (recorded in %s)", name);
		snapshot_find_listeners(s);
		return GD_OK;
	}
	case EV_EXPVAR: {
		struct expvar_vars v;
		expvar_vars_init(&v);
		e = expvar_parse(&v, buf, len, name, &eb);
		if (e) {
			snprintf(note, notelen, "%s", eb.msg);
		} else if (v.has_memstats && !s->has_memstats) {
			s->ms = v.memstats;
			s->has_memstats = true;
			snprintf(s->memstats_source, sizeof(s->memstats_source), "%s (expvar memstats)", name);
		}
		expvar_vars_release(&v);
		return e;
	}
	case EV_METRICS: {
		struct prom_set set;
		if (s->has_memstats)
			return GD_OK;
		prom_set_init(&set);
		e = prom_parse(&set, buf, len, name, &eb);
		if (!e && prom_to_memstats(&set, &s->ms, NULL)) {
			s->has_memstats = true;
			snprintf(s->memstats_source, sizeof(s->memstats_source), "%s (go_memstats_*)", name);
		} else if (e) {
			snprintf(note, notelen, "%s", eb.msg);
		}
		prom_set_release(&set);
		return e;
	}
	default:
		if (gz_is_gzip(buf, len)) {
			/* gzip that the sniffer could not decode: a cut or damaged
			 * profile, probably; the goroutine reader says which. */
			struct grouping g;
			struct dump_input in;
			grouping_init(&g, GROUP_ANY_ARGS, 0);
			dump_input_init(&in, &g, 0);
			e = dump_input_parse_buffer(&in, buf, len, false, NULL, NULL);
			snprintf(note, notelen, "gzip data, not a readable profile: %.400s", e ? in.eb.msg : "no samples");
			dump_input_release(&in);
			grouping_release(&g);
			return GD_EFORMAT;
		}
		snprintf(note, notelen, "unrecognised: not evidence godiag reads");
		return GD_EFORMAT;
	}
}

/* A bundle's manifest: identity facts that no file carries. */
static void read_manifest(struct snapshot *s, const char *path, struct report_snapshot *rs)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *v;
	const char *go_version = NULL, *kernel = NULL, *def = NULL, *ldflags = NULL, *env = NULL;
	if (!root || !json_is_object(root)) {
		report_snapshot_piece(rs, "bundle manifest", path, 0, false, root ? "not a JSON object" : jerr.text);
		json_decref(root);
		return;
	}
	if ((v = json_object_get(root, "time")) && json_is_integer(v))
		s->time = rs->time = (int64_t)json_integer_value(v);
	if ((v = json_object_get(root, "pid")) && json_is_integer(v))
		s->pid = (int)json_integer_value(v);
	if ((v = json_object_get(root, "go_version")) && json_is_string(v))
		go_version = json_string_value(v);
	if ((v = json_object_get(root, "kernel")) && json_is_string(v))
		kernel = json_string_value(v);
	if ((v = json_object_get(root, "default_godebug")) && json_is_string(v))
		def = json_string_value(v);
	if ((v = json_object_get(root, "ldflags")) && json_is_string(v))
		ldflags = json_string_value(v);
	if ((v = json_object_get(root, "env_godebug")) && json_is_string(v))
		env = json_string_value(v);
	if (go_version) {
		s->bi.go_version = xstrdup(go_version);
		s->has_buildinfo = true;
		if ((v = json_object_get(root, "module")) && json_is_string(v))
			s->bi.mod_path = xstrdup(json_string_value(v));
	}
	if (kernel)
		snprintf(s->pi.kernel_release, sizeof(s->pi.kernel_release), "%s", kernel);
	if (go_version) {
		godebug_eval_compute(&s->policy, go_version, kernel, def, ldflags, env);
		s->has_policy = true;
	}
	report_snapshot_piece(rs, "bundle manifest", path, s->time, true, NULL);
	json_decref(root);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum gd_err evidence_dir_read(struct snapshot *s, const char *dir, struct report_snapshot *rs,
			      struct gd_errbuf *eb)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, used = 0;
	char path[4096];
	if (!d)
		return gd_fail(eb, GD_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n >= EVIDENCE_DIR_MAX_FILES) {
			report_snapshot_piece(rs, "directory", dir, 0, false, "more than 512 files: the rest skipped");
			break;
		}
		ALLOC_GROW(names, n + 1, alloc);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);

	snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
	if (!access(path, R_OK))
		read_manifest(s, path, rs);

	/* Debug=2 dumps and /proc/PID/status first: the dump wins over profiles
	 * of the same run, and the status names the process whose rows of a
	 * host-wide `ss -tinp` belong to the service. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			struct strbuf sb = STRBUF_INIT_MAX(EVIDENCE_FILE_MAX);
			struct gd_errbuf reb = { "" };
			struct stat st;
			enum evidence_kind kind;
			char note[GD_ERRBUF_SIZE];
			if (!names[i] || !strcmp(names[i], BUNDLE_MANIFEST))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if (lstat(path, &st) || !S_ISREG(st.st_mode)) {
				if (pass == 1)
					report_snapshot_piece(rs, names[i], path, 0, false, "not a regular file: skipped");
				continue;
			}
			if (read_whole(path, &sb, &reb)) {
				if (pass == 1)
					report_snapshot_piece(rs, names[i], path, 0, false, reb.msg);
				strbuf_release(&sb);
				continue;
			}
			kind = sb.len >= 4 && !memcmp(sb.buf, "GDNL", 4)
				       ? EV_NETLINK_RECORDING
				       : evidence_sniff(names[i], (const unsigned char *)sb.buf, sb.len);
			if ((pass == 0) != (kind == EV_GOROUTINE_DEBUG2 || kind == EV_PROC_STATUS)) {
				strbuf_release(&sb);
				continue;
			}
			if (take(s, kind, sb.buf, sb.len, names[i], note, sizeof(note)) == GD_OK) {
				used++;
				report_snapshot_piece(rs, kind_name(kind), path, (int64_t)st.st_mtime, true,
						      note[0] ? note : NULL);
			} else {
				report_snapshot_piece(rs, kind == EV_UNKNOWN ? names[i] : kind_name(kind), path,
						      (int64_t)st.st_mtime, false, note);
			}
			strbuf_release(&sb);
			free(names[i]);
			names[i] = NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!used)
		return gd_fail(eb, GD_EFORMAT, "%s: no evidence godiag can read in this directory", dir);
	return GD_OK;
}

static void jset_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

enum gd_err bundle_write_manifest(const struct snapshot *s, const struct report_snapshot *rs, const char *dir,
				  struct gd_errbuf *eb)
{
	json_t *root = json_object(), *pieces = json_array();
	char path[4096];
	json_object_set_new(root, "godiag_bundle", json_integer(1));
	jset_str(root, "target", s->label);
	json_object_set_new(root, "time", json_integer(s->time));
	if (s->pid)
		json_object_set_new(root, "pid", json_integer(s->pid));
	if (s->has_buildinfo) {
		jset_str(root, "go_version", s->bi.go_version);
		jset_str(root, "module", s->bi.mod_path ? s->bi.mod_path : s->bi.path);
		jset_str(root, "default_godebug", go_buildinfo_setting(&s->bi, "DefaultGODEBUG"));
		jset_str(root, "ldflags", go_buildinfo_setting(&s->bi, "-ldflags"));
	}
	if (s->has_proc) {
		if (s->pi.kernel_release[0])
			jset_str(root, "kernel", s->pi.kernel_release);
		/* Only the runtime knobs: the environment may hold secrets. */
		jset_str(root, "env_godebug", s->pi.env.val[PENV_GODEBUG]);
		jset_str(root, "env_gogc", s->pi.env.val[PENV_GOGC]);
		jset_str(root, "env_gomemlimit", s->pi.env.val[PENV_GOMEMLIMIT]);
	}
	if (s->has_policy) {
		jset_str(root, "mem_policy", mem_policy_name(s->policy.policy));
		jset_str(root, "mem_policy_reason", s->policy.reason);
	}
	jset_str(root, "godiag_version", GODIAG_VERSION);
	for (size_t i = 0; i < rs->npieces; i++) {
		json_t *p = json_object();
		jset_str(p, "what", rs->pieces[i].what);
		jset_str(p, "source", rs->pieces[i].source);
		json_object_set_new(p, "ok", json_boolean(rs->pieces[i].ok));
		jset_str(p, "note", rs->pieces[i].note);
		json_object_set_new(p, "time", json_integer(rs->pieces[i].time));
		json_array_append_new(pieces, p);
	}
	json_object_set_new(root, "pieces", pieces);
	snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS)) {
		json_decref(root);
		return gd_fail(eb, GD_EIO, "%s: cannot write", path);
	}
	json_decref(root);
	return GD_OK;
}
