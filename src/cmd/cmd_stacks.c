/* SPDX-License-Identifier: MIT */
/* godiag stacks SRC...: read goroutine dumps or profiles, group them into
 * buckets, and print the biggest first.  Several sources are merged into one
 * grouping (e.g. dumps of the replicas of one service). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "cmd/help.h"
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
#include "util/banned.h"

enum {
	OPT_JSON = 1000, OPT_HTML, OPT_PPROF, OPT_GROUP, OPT_STATE, OPT_MIN_WAIT, OPT_MATCH,
	OPT_MIN_COUNT, OPT_TIMEOUT, OPT_MAX_SIZE, OPT_MAX_LINE, OPT_COLOR, OPT_FRAMES, OPT_CACERT, OPT_INSECURE,
	OPT_LABEL, OPT_DUMP, OPT_PID, OPT_NO_READ_MEMORY, OPT_RECORD, OPT_REPLAY,
};

static const struct option long_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "min-wait", required_argument, NULL, OPT_MIN_WAIT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "min-count", required_argument, NULL, OPT_MIN_COUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "header", required_argument, NULL, 'H' },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "quiet", no_argument, NULL, 'q' },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "dump", required_argument, NULL, OPT_DUMP },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "no-read-memory", no_argument, NULL, OPT_NO_READ_MEMORY },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ NULL, 0, NULL, 0 },
};

/* "1024", "64k", "256M", "1G" -> bytes. */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: return false;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && end != s && !*end && s[0] != '-';
}

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

int cmd_stacks(int argc, char **argv)
{
	bool json = false, quiet = false;
	const char *html = NULL, *pprof = NULL, *color_opt = "auto";
	enum group_mode mode = GROUP_ANY_ARGS;
	uint32_t top_n = 0;
	const char **states = NULL;
	size_t nstates = 0;
	const char **headers = NULL;
	size_t nheaders = 0;
	const char **labels = NULL;
	size_t nlabels = 0;
	uint32_t want_dump = 0;
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
	int c, rc = EXIT_OK;
	char *census_src = NULL, **census_argv = NULL;

	grouping_init(&g, GROUP_ANY_ARGS, 0);
	fetch_opts_init(&fo);
	optind = 1;
	while ((c = getopt_long(argc, argv, "hqH:", long_opts, NULL)) != -1) {
		uint64_t v;
		switch (c) {
		case 'h':
			cmd_help(stdout, "stacks");
			rc = EXIT_OK;
			goto out_usage;
		case 'q': quiet = true; break;
		case OPT_CACERT: fo.cacert = optarg; break;
		case OPT_INSECURE: fo.insecure = true; break;
		case OPT_NO_READ_MEMORY: census_opts.no_read_memory = true; break;
		case OPT_RECORD: census_opts.record = optarg; break;
		case OPT_PID:
		case OPT_REPLAY: {
			int pid;
			size_t n = strlen(optarg) + 8;
			if (c == OPT_PID && !cmd_parse_pid("stacks", optarg, &pid))
				goto usage_err;
			free(census_src);
			census_src = xmalloc(n);
			snprintf(census_src, n, "%s:%s", c == OPT_PID ? "pid" : "replay", optarg);
			break;
		}
		case OPT_JSON: json = true; break;
		case OPT_HTML: html = optarg; break;
		case OPT_PPROF: pprof = optarg; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") && strcmp(optarg, "always") && strcmp(optarg, "never")) {
				error("--color: expected auto, always or never, got '%s'", optarg);
				goto usage_err;
			}
			color_opt = optarg;
			break;
		case OPT_GROUP:
			if (!strcmp(optarg, "any")) {
				mode = GROUP_ANY_ARGS;
			} else if (!strcmp(optarg, "exact")) {
				mode = GROUP_EXACT_ARGS;
			} else if (!strcmp(optarg, "creator")) {
				mode = GROUP_CREATOR;
			} else if (!strncmp(optarg, "top=", 4) && parse_count(optarg + 4, &v) && v > 0 && v < 100000) {
				mode = GROUP_TOP_N;
				top_n = (uint32_t)v;
			} else {
				error("--group: expected any, exact, creator or top=N, got '%s'", optarg);
				goto usage_err;
			}
			break;
		case OPT_STATE:
			states = xreallocarray(states, nstates + 1, sizeof(*states));
			states[nstates++] = optarg;
			break;
		case OPT_MIN_WAIT:
			if (!parse_duration_ms(optarg, 60000, &v) || v / 60000 > UINT32_MAX) {
				error("--min-wait: bad duration '%s' (examples: 90s, 10m, 2h, 1d)", optarg);
				goto usage_err;
			}
			g.filter.min_wait = (uint32_t)(v / 60000);
			g.filter.has_min_wait = true;
			break;
		case OPT_MATCH: {
			char m[256];
			if (have_re)
				regfree(&re);
			have_re = false;
			if (regcomp_safe(&re, optarg, m, sizeof(m))) {
				error("--match: bad regular expression '%s': %s", optarg, m);
				goto usage_err;
			}
			have_re = true;
			break;
		}
		case OPT_MIN_COUNT:
			if (!parse_count(optarg, &g.filter.min_count)) {
				error("--min-count: expected a number, got '%s'", optarg);
				goto usage_err;
			}
			break;
		case OPT_TIMEOUT:
			/* The range and message of cmd/options.h's OPT_HTTP. */
			if (!parse_count(optarg, &v) || v < CMD_TIMEOUT_MIN || v > CMD_TIMEOUT_MAX) {
				error("stacks: --timeout: expected seconds (%d-%d), got '%s'", CMD_TIMEOUT_MIN,
				      CMD_TIMEOUT_MAX, optarg);
				goto usage_err;
			}
			fo.total_timeout_ms = (long)v * 1000;
			if (fo.connect_timeout_ms > fo.total_timeout_ms)
				fo.connect_timeout_ms = fo.total_timeout_ms;
			if (fo.stall_timeout_ms > fo.total_timeout_ms)
				fo.stall_timeout_ms = fo.total_timeout_ms;
			break;
		case OPT_MAX_SIZE:
			if (!parse_size(optarg, &v) || v == 0) {
				error("--max-size: expected a size like 64M or 1G, got '%s'", optarg);
				goto usage_err;
			}
			fo.max_bytes = v;
			file_cap = v;
			break;
		case OPT_MAX_LINE:
			if (!parse_size(optarg, &max_line) || max_line < 1024 || max_line > ((uint64_t)1 << 30)) {
				error("--max-line: expected a size between 1k and 1G, got '%s'", optarg);
				goto usage_err;
			}
			break;
		case OPT_FRAMES:
			if (!parse_count(optarg, &frames)) {
				error("--frames: expected a number, got '%s'", optarg);
				goto usage_err;
			}
			break;
		case OPT_LABEL:
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				error("--label: expected KEY=VALUE, got '%s'", optarg);
				goto usage_err;
			}
			labels = xreallocarray(labels, nlabels + 1, sizeof(*labels));
			labels[nlabels++] = optarg;
			break;
		case OPT_DUMP:
			if (!parse_count(optarg, &v) || v == 0 || v > UINT32_MAX) {
				error("--dump: expected a dump number (1, 2, ...), got '%s'", optarg);
				goto usage_err;
			}
			want_dump = (uint32_t)v;
			break;
		case 'H':
			if (strchr(optarg, '\r') || strchr(optarg, '\n') || !strchr(optarg, ':') || *optarg == ':') {
				error("stacks: -H: expected 'Name: value' on one line, got '%s'", optarg);
				goto usage_err;
			}
			headers = xreallocarray(headers, nheaders + 1, sizeof(*headers));
			headers[nheaders++] = optarg;
			break;
		default:
			goto usage_err;
		}
	}
	if (census_src) {
		/* the census is one more source, after the others */
		char **v = xcalloc((size_t)argc + 2, sizeof(*v));
		memcpy(v, argv, (size_t)argc * sizeof(*v));
		v[argc++] = census_src;
		census_argv = v;
		argv = v;
	}
	if (optind >= argc) {
		error("stacks: no source given");
		goto usage_err;
	}
	fo.headers = headers;
	fo.nheaders = nheaders;
	g.mode = mode;
	g.top_n = top_n;
	g.filter.states = states;
	g.filter.nstates = nstates;
	g.filter.match = have_re ? &re : NULL;
	g.filter.labels = labels;
	g.filter.nlabels = nlabels;

	for (int i = optind; i < argc; i++) {
		if (is_url(argv[i])) {
			struct gd_errbuf eb = { "" };
			if (fetch_global_init(&eb)) {
				rc = error("%s", eb.msg);
				goto out;
			}
			break;
		}
	}

	inputs = xcalloc((size_t)(argc - optind), sizeof(*inputs));
	infos = xcalloc((size_t)(argc - optind), sizeof(*infos));
	for (int i = optind; i < argc; i++) {
		struct dump_input *in = &inputs[i - optind];
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
	}
	for (int i = optind; i < argc; i++)
		dump_input_release(&inputs[i - optind]);
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
	free(states);
	free(headers);
	free(labels);
	strbuf_release(&srcname);
	strbuf_release(&partial);
	grouping_release(&g);
	return rc;

usage_err:
	fputs("usage: godiag stacks [options] SRC...  (see godiag stacks --help)\n", stderr);
	rc = EXIT_USAGE;
out_usage:
	free(census_argv);
	free(census_src);
	if (have_re)
		regfree(&re);
	free(states);
	free(headers);
	free(labels);
	grouping_release(&g);
	return rc;
}
