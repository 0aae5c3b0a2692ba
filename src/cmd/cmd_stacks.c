/* SPDX-License-Identifier: MIT */
/* godiag stacks SRC...: read goroutine dumps or profiles, group them into
 * buckets, and print the biggest first.  Several sources are merged into one
 * grouping (e.g. dumps of the replicas of one service). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "census/source.h"
#include "cmd/cmd.h"
#include "cmd/options.h"
#include "goroutine/dump_input.h"
#include "goroutine/dump_parse.h"
#include "goroutine/group.h"
#include "pprof/pprof_write.h"
#include "remote/fetch.h"
#include "report/stacks_report.h"
#include "util/duration.h"
#include "util/error.h"
#include "util/regex_safe.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/numparse.h"
#include "util/banned.h"




/* Progress on a terminal for big inputs: the engineer should see it move. */
struct progress {
	bool enabled;
	const char *source;
	uint64_t total; /* 0 when unknown */
	uint64_t done;
	struct timespec last;
	bool shown;
};

#define PROGRESS_MIN ((uint64_t)100 << 20)

static void progress_update(struct progress *p, uint64_t n)
{
	struct timespec now;
	double dt;
	p->done += n;
	if (!p->enabled || (p->total && p->total < PROGRESS_MIN) || (!p->total && p->done < PROGRESS_MIN))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - p->last.tv_sec) + (double)(now.tv_nsec - p->last.tv_nsec) / 1e9;
	if (p->shown && dt < 0.2)
		return;
	p->last = now;
	p->shown = true;
	if (p->total)
		fprintf(stderr, "\rgodiag: reading %s: %" PRIu64 " / %" PRIu64 " MiB (%d%%)   ", p->source,
			p->done >> 20, p->total >> 20, (int)(100.0 * (double)p->done / (double)p->total));
	else
		fprintf(stderr, "\rgodiag: reading %s: %" PRIu64 " MiB   ", p->source, p->done >> 20);
}

static void progress_at(uint64_t done, void *ctx)
{
	struct progress *p = ctx;
	progress_update(p, done - p->done);
}

static void progress_end(struct progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}

struct url_sink {
	struct dump_input *in;
	struct progress *prog;
};

static enum gd_err url_write(const char *data, size_t len, void *ctx)
{
	struct url_sink *s = ctx;
	progress_update(s->prog, len);
	return dump_input_write(s->in, data, len);
}

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) || !strncmp(s, "unix:", 5);
}

/* Read one source into in.  Returns GD_OK or an error already described in
 * *msg (without the source name). */
static struct census_source_opts census_opts;

static enum gd_err read_source(const char *src, struct dump_input *in, const struct fetch_opts *fo,
			       uint64_t file_cap, bool quiet, char *msg, size_t msglen);

/* "pid:N" (from --pid) or "replay:FILE" (--replay): the memory census, or
 * the process's pprof endpoint when its memory cannot be read. */
static enum gd_err read_census_source(const char *src, struct dump_input *in,
				      const struct fetch_opts *fo, uint64_t file_cap, bool quiet,
				      char *msg, size_t msglen)
{
	struct census_source_opts o = census_opts;
	struct census_source cs;
	struct strbuf text = STRBUF_INIT_MAX((size_t)1 << 30);
	struct gd_errbuf eb = { "" };
	pid_t pid = 0;
	if (!strncmp(src, "replay:", 7))
		o.replay = src + 7;
	else
		pid = (pid_t)strtol(src + 4, NULL, 10);
	enum gd_err e = census_source_pid(pid, &o, &text, &cs, &eb);
	if (e) {
		snprintf(msg, msglen, "%s", eb.msg);
		strbuf_release(&text);
		return e;
	}
	if (!quiet)
		note("what was read: %s", cs.what);
	if (cs.memory_read)
		e = dump_input_parse_buffer(in, text.buf, text.len, false, NULL, NULL);
	strbuf_release(&text);
	if (!cs.memory_read) {
		return read_source(cs.fallback_url, in, fo, file_cap, quiet, msg, msglen);
	}
	if (e)
		snprintf(msg, msglen, "%s", in->eb.msg[0] ? in->eb.msg : gd_strerror(e));
	return e;
}

static enum gd_err read_source(const char *src, struct dump_input *in, const struct fetch_opts *fo,
			       uint64_t file_cap, bool quiet, char *msg, size_t msglen)
{
	if (!strncmp(src, "pid:", 4) || !strncmp(src, "replay:", 7))
		return read_census_source(src, in, fo, file_cap, quiet, msg, msglen);
	struct progress prog = { .enabled = !quiet && isatty(2), .source = src };
	enum gd_err e = GD_OK;
	msg[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &prog.last);

	if (is_url(src)) {
		struct fetch_result res;
		struct gd_errbuf eb = { "" };
		struct url_sink sink = { in, &prog };
		e = fetch_stream(src, fo, url_write, &sink, &res, &eb);
		progress_end(&prog);
		if (e) {
			/* A parse error raised inside the callback is described in in->eb. */
			snprintf(msg, msglen, "%s", eb.msg[0] ? eb.msg : in->eb.msg[0] ? in->eb.msg : gd_strerror(e));
			return e;
		}
	} else {
		int fd = strcmp(src, "-") ? open(src, O_RDONLY | O_CLOEXEC) : 0;
		struct stat st;
		if (fd < 0) {
			snprintf(msg, msglen, "%s", strerror(errno));
			return errno == ENOENT ? GD_ENOENT : errno == EACCES ? GD_EPERM : GD_EIO;
		}
		if (!fstat(fd, &st)) {
			if (S_ISDIR(st.st_mode)) {
				snprintf(msg, msglen, "is a directory");
				if (fd)
					close(fd);
				return GD_EARG;
			}
			if (S_ISREG(st.st_mode)) {
				prog.total = (uint64_t)st.st_size;
				posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			}
			/* A regular file is mapped: no copy, and a big dump can be
			 * split between the two cores. */
			if (S_ISREG(st.st_mode) && st.st_size > 0) {
				void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
				if (map != MAP_FAILED) {
					size_t len = (uint64_t)st.st_size > file_cap ? (size_t)file_cap : (size_t)st.st_size;
					madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL | MADV_WILLNEED);
					e = dump_input_parse_buffer(in, map, len, true, progress_at, &prog);
					if (len < (size_t)st.st_size) {
						/* What lies past the cap is lost: say so. */
						in->truncated = true;
						if (!e)
							warning("%s: only the first %zu of %lld bytes read (--max-size)", src,
								len, (long long)st.st_size);
					}
					progress_end(&prog);
					munmap(map, (size_t)st.st_size);
					if (fd)
						close(fd);
					if (e)
						snprintf(msg, msglen, "%s", in->eb.msg[0] ? in->eb.msg : gd_strerror(e));
					return e;
				}
			}
		}
		{
			bool capped = false;
			e = dump_input_read_fd(in, fd, file_cap, &capped, progress_at, &prog, msg, msglen);
			progress_end(&prog);
			if (fd)
				close(fd);
			if (capped)
				warning("%s: stopped at %" PRIu64 " bytes (--max-size)", src, file_cap);
			if (e && !msg[0])
				snprintf(msg, msglen, "%s", in->eb.msg[0] ? in->eb.msg : gd_strerror(e));
			return e;
		}
	}
	if ((e = dump_input_finish(in)))
		snprintf(msg, msglen, "%s", in->eb.msg[0] ? in->eb.msg : gd_strerror(e));
	return e;
}

static int write_pprof(const char *path, struct bucket *const *v, size_t n)
{
	/* `go tool pprof` shows the last sample type by default: goroutines. */
	static const struct pprof_sample_type types[] = {
		{ "wait", "minutes" },
		{ "goroutine", "count" },
	};
	/* pprof has no empty stacks; goroutines whose stack the runtime could
	 * not print still count. */
	static const struct gd_frame unavailable = {
		.func = "<stack unavailable>", .func_len = 19, .args = "", .file = "", .line = 0,
	};
	struct pprof_builder b;
	struct gd_errbuf eb = { "" };
	FILE *f;
	int rc = 0;
	pprof_builder_init(&b, types, 2);
	for (size_t i = 0; i < n; i++) {
		int64_t values[2] = { (int64_t)v[i]->wait_sum, (int64_t)v[i]->count };
		if (v[i]->nframes)
			pprof_builder_add(&b, v[i]->frames, v[i]->nframes, values, NULL, NULL);
		else
			pprof_builder_add(&b, &unavailable, 1, values, NULL, NULL);
	}
	f = fopen(path, "wb");
	if (!f) {
		rc = error("%s: %s", path, strerror(errno));
	} else {
		if (pprof_builder_write(&b, f, &eb))
			rc = error("%s: %s", path, eb.msg);
		if (fclose(f) && !rc)
			rc = error("%s: %s", path, strerror(errno));
	}
	pprof_builder_release(&b);
	return rc;
}

static int write_html(const char *path, const struct stacks_report *r)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return error("%s: %s", path, strerror(errno));
	stacks_render_html(f, r);
	if (fclose(f))
		return error("%s: %s", path, strerror(errno));
	return 0;
}

/* --group any|exact|creator|top=N */
struct group_target {
	enum group_mode *mode;
	uint32_t *top_n;
};

static int group_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	const struct group_target *t = opt->value;
	uint64_t v;

	if (!strcmp(value, "any")) {
		*t->mode = GROUP_ANY_ARGS;
	} else if (!strcmp(value, "exact")) {
		*t->mode = GROUP_EXACT_ARGS;
	} else if (!strcmp(value, "creator")) {
		*t->mode = GROUP_CREATOR;
	} else if (!strncmp(value, "top=", 4) && parse_u64(value + 4, &v) && v > 0 && v < 100000) {
		*t->mode = GROUP_TOP_N;
		*t->top_n = (uint32_t)v;
	} else {
		snprintf(err, errlen, "expected any, exact, creator or top=N, got '%s'", value);
		return -1;
	}
	return 0;
}

/* --match REGEX, compiled with the safety checks of util/regex_safe. */
struct match_target {
	regex_t *re;
	bool *have;
};

static int match_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	const struct match_target *t = opt->value;
	char m[256];

	if (*t->have)
		regfree(t->re);
	*t->have = false;
	if (regcomp_safe(t->re, value, m, sizeof(m))) {
		snprintf(err, errlen, "bad regular expression '%s': %s", value, m);
		return -1;
	}
	*t->have = true;
	return 0;
}

static int label_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	struct cmd_list *l = opt->value;

	if (!strchr(value, '=') || value[0] == '=') {
		snprintf(err, errlen, "expected KEY=VALUE, got '%s'", value);
		return -1;
	}
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = value;
	return 0;
}

/* --pid PID / --replay DIR: the census becomes one more source, "pid:N" or
 * "replay:DIR". */
static int census_src_cb(const struct cmd_option *opt, const char *value, char *err, size_t errlen)
{
	char **src = opt->value;
	bool pid = !strcmp(opt->long_name, "pid");
	size_t n = strlen(value) + 8;
	int p;

	if (pid && !cmd_parse_pid_quiet(value, &p)) {
		snprintf(err, errlen, "expected a PID, got '%s'", value);
		return -1;
	}
	free(*src);
	*src = xmalloc(n);
	snprintf(*src, n, "%s:%s", pid ? "pid" : "replay", value);
	return 0;
}

static const char *const color_choices[] = { "auto", "always", "never", NULL };

int cmd_stacks(int argc, char **argv)
{
	bool json = false, quiet = false;
	const char *html = NULL, *pprof = NULL, *color_opt = "auto";
	enum group_mode mode = GROUP_ANY_ARGS;
	uint32_t top_n = 0;
	struct cmd_list states = { 0 }, labels = { 0 };
	struct cmd_http http;
	uint64_t want_dump64 = 0, min_wait_ms = UINT64_MAX, max_size = 0;
	uint32_t want_dump;
	struct stacks_input_info *infos = NULL;
	size_t ninfos = 0;
	bool mixed = false, any_partial = false;
	regex_t re;
	bool have_re = false;
	uint64_t max_line = DUMP_DEFAULT_MAX_LINE, frames = 30, file_cap = UINT64_MAX;
	struct grouping g;
	struct fetch_opts fo;
	struct strbuf srcname = STRBUF_INIT_MAX(4096);
	struct strbuf partial = STRBUF_INIT_MAX(4096);
	enum dump_format format = DUMP_FMT_UNKNOWN;
	bool truncated = false, any_ok = false;
	const char *preamble = NULL, *signal = NULL;
	struct dump_input *inputs;
	struct bucket **sorted;
	size_t nsorted;
	int rc = EXIT_OK;
	char *census_src = NULL, **census_argv = NULL;
	struct group_target group = { &mode, &top_n };
	struct match_target match = { &re, &have_re };
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &json, "JSON"),
		OPT_STRING(0, "html", &html, "FILE", "also write an HTML report"),
		OPT_STRING(0, "pprof", &pprof, "FILE", "write a goroutine profile"),
		OPT_CALLBACK(0, "group", &group, "MODE", group_cb, "any, exact, creator, top=N"),
		OPT_LIST(0, "state", &states, "STATE", "only goroutines in this state (repeatable)"),
		OPT_DURATION(0, "min-wait", &min_wait_ms, 60000, 0, (uint64_t)UINT32_MAX * 60000,
			     "only goroutines blocked at least this long"),
		OPT_CALLBACK(0, "match", &match, "REGEX", match_cb, "only stacks with a matching frame"),
		OPT_UINT(0, "min-count", &g.filter.min_count, "a number", 0, UINT64_MAX, "smallest bucket shown"),
		OPT_SIZE(0, "max-size", &max_size, 1, UINT64_MAX >> 2, "cap on an input"),
		OPT_SIZE(0, "max-line", &max_line, 1024, (uint64_t)1 << 30, "longest line read"),
		OPT_CHOICE(0, "color", &color_opt, color_choices, "auto, always, never"),
		OPT_UINT(0, "frames", &frames, "a number", 0, UINT32_MAX, "frames shown per bucket"),
		OPT_BOOL('q', "quiet", &quiet, "no progress output"),
		OPT_CALLBACK(0, "label", &labels, "KEY=VALUE", label_cb, "only goroutines with this label"),
		OPT_UINT(0, "dump", &want_dump64, "a dump number", 1, UINT32_MAX, "which dump of an input"),
		OPT_CALLBACK(0, "pid", &census_src, "PID", census_src_cb, "the goroutines of a live process"),
		OPT_CALLBACK(0, "replay", &census_src, "DIR", census_src_cb, "a recorded census"),
		OPT_BOOL(0, "no-read-memory", &census_opts.no_read_memory, "census without reading memory"),
		OPT_STRING(0, "record", &census_opts.record, "DIR", "record the census"),
		OPT_HTTP(&http),
		OPT_END(),
	};

	grouping_init(&g, GROUP_ANY_ARGS, 0);
	fetch_opts_init(&fo);
	cmd_http_init(&http);
	argc = cmd_parse_args("stacks", argc, argv, opts, CMD_ARGS_ANY);
	if (argc == CMD_OPT_HELP) {
		rc = EXIT_OK;
		goto out_usage;
	}
	if (argc == CMD_OPT_ERROR)
		goto usage_err;
	cmd_http_apply(&http, &fo);
	if (http.timeout_s && fo.stall_timeout_ms > fo.total_timeout_ms)
		fo.stall_timeout_ms = fo.total_timeout_ms;
	if (max_size)
		fo.max_bytes = file_cap = max_size;
	if (min_wait_ms != UINT64_MAX) {
		g.filter.min_wait = (uint32_t)(min_wait_ms / 60000);
		g.filter.has_min_wait = true;
	}
	want_dump = (uint32_t)want_dump64;
	if (census_src) {
		/* the census is one more source, after the others */
		char **v = xcalloc((size_t)argc + 2, sizeof(*v));
		memcpy(v, argv, (size_t)argc * sizeof(*v));
		v[argc++] = census_src;
		census_argv = v;
		argv = v;
	}
	if (argc < 1) {
		error("stacks: no source given");
		goto usage_err;
	}
	g.mode = mode;
	g.top_n = top_n;
	g.filter.states = states.v;
	g.filter.nstates = states.n;
	g.filter.match = have_re ? &re : NULL;
	g.filter.labels = labels.v;
	g.filter.nlabels = labels.n;

	for (int i = 0; i < argc; i++) {
		if (is_url(argv[i])) {
			struct gd_errbuf eb = { "" };
			if (fetch_global_init(&eb)) {
				rc = error("%s", eb.msg);
				goto out;
			}
			break;
		}
	}

	inputs = xcalloc((size_t)argc, sizeof(*inputs));
	infos = xcalloc((size_t)argc, sizeof(*infos));
	for (int i = 0; i < argc; i++) {
		struct dump_input *in = &inputs[i];
		struct stacks_input_info *info = &infos[ninfos++];
		const char *name = strcmp(argv[i], "-") ? argv[i] : "<stdin>";
		char msg[GD_ERRBUF_SIZE + 64];
		enum gd_err e;
		dump_input_init(in, &g, (size_t)max_line);
		in->want_dump = want_dump;
		e = read_source(argv[i], in, &fo, file_cap, quiet, msg, sizeof(msg));
		dump_input_flush(in);
		if (srcname.len)
			strbuf_addstr(&srcname, ", ");
		strbuf_addstr(&srcname, name);
		info->source = argv[i];
		info->format = in->format;
		info->goroutines = in->read_goroutines;
		info->dumps = in->dumps;
		info->dump = in->dumps ? (want_dump ? want_dump : in->dumps) : 0;
		info->truncated = in->truncated;
		if (e == GD_OK || in->read_goroutines) {
			if (format == DUMP_FMT_UNKNOWN)
				format = in->format;
			else if (in->format != format)
				mixed = true;
		}
		if (e == GD_OK) {
			const struct dump_stats *st = dump_input_stats(in);
			any_ok = true;
			if (in->dumps > 1 && !want_dump)
				warning("%u dumps in %s; showing the last; --dump N for another", in->dumps, name);
			if (in->truncated) {
				truncated = true;
				error("%s: truncated: %" PRIu64 " goroutines read, the rest lost",
				      argv[i], in->read_goroutines);
				strbuf_addf(&partial, "%s%s: truncated: %" PRIu64 " goroutines read, the rest lost",
					    partial.len ? "; " : "", name, in->read_goroutines);
			}
			if (in->long_lines)
				warning("%s: skipped %" PRIu64 " line(s) longer than %" PRIu64 " bytes", argv[i],
					in->long_lines, max_line);
			if (st && st->preamble[0] && !preamble)
				preamble = st->preamble;
			if (st && st->signal[0] && !signal)
				signal = st->signal;
		} else {
			info->error = xstrdup(msg);
			/* fetch's messages already start with the (credential-free) URL. */
			if (is_url(argv[i]) && !strncmp(msg, "http", 4))
				error("%s", msg);
			else
				error("%s: %s", name, msg);
			if (in->read_goroutines) {
				/* Goroutines were read before the failure: show them, labelled. */
				any_ok = true;
				truncated = true;
			}
			/* The others are still worth showing; the result says which
			 * source it lacks. */
			any_partial = true;
			if (is_url(argv[i]) && !strncmp(msg, "http", 4))
				strbuf_addf(&partial, "%s%s", partial.len ? "; " : "", msg);
			else
				strbuf_addf(&partial, "%s%s: %s", partial.len ? "; " : "", name, msg);
			rc = EXIT_FAIL;
		}
	}

	if (any_ok) {
		struct stacks_report r = {
			.source = srcname.buf,
			.format = format,
			.mixed = mixed,
			.g = &g,
			.truncated = truncated,
			.partial = partial.len ? partial.buf : NULL,
			.preamble = preamble,
			.signal = signal,
			.show_args = mode == GROUP_EXACT_ARGS,
			.max_frames = (size_t)frames,
			.has_crash_goid = g.has_crash,
			.crash_goid = g.crash_goid,
			.crash_bucket = grouping_crash_bucket(&g),
			.inputs = infos,
			.ninputs = ninfos,
		};
		bool color = !strcmp(color_opt, "always") ||
			     (!strcmp(color_opt, "auto") && isatty(1) && !getenv("NO_COLOR"));
		sorted = grouping_sorted(&g, &nsorted);
		r.buckets = sorted;
		r.nbuckets = nsorted;
		if (json)
			stacks_render_json(stdout, &r);
		else
			stacks_render_text(stdout, &r, color);
		if (html && write_html(html, &r))
			rc = EXIT_FAIL;
		if (pprof && write_pprof(pprof, sorted, nsorted))
			rc = EXIT_FAIL;
		free(sorted);
		if (truncated || any_partial)
			rc = EXIT_FAIL;
	} else if (rc == EXIT_FAIL) {
		/* not one goroutine from any source: the target is unreadable
		 * (DESIGN's 3), not a partial result */
		rc = EXIT_UNREADABLE;
	}
	for (int i = 0; i < argc; i++)
		dump_input_release(&inputs[i]);
	free(inputs);
	for (size_t i = 0; i < ninfos; i++)
		free((char *)infos[i].error);
	free(infos);
	/* main's finish_stdout() flushes stdout: `| head` ends quietly with 0. */
out:
	free(census_argv);
	free(census_src);
	if (have_re)
		regfree(&re);
	cmd_list_release(&states);
	cmd_list_release(&labels);
	cmd_http_release(&http);
	strbuf_release(&srcname);
	strbuf_release(&partial);
	grouping_release(&g);
	return rc;

usage_err:
	fputs("usage: godiag stacks [options] SRC...  (see godiag stacks --help)\n", stderr);
	rc = EXIT_USAGE;
out_usage:
	goto out; /* the same cleanup (the buffers are empty) */
}
