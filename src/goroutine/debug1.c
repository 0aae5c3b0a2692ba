/* SPDX-License-Identifier: MIT */
/* debug=1 goroutine profile text -> struct gd_record (see debug1.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "goroutine/debug1.h"
#include "pprof/textframe.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define DEBUG1_MAX_TEXT ((size_t)16 << 20)

/* A frame while its record is being read: offsets into the record's text,
 * which may move as it grows. */
struct pframe {
	size_t func_off, file_off;
	uint32_t func_len, file_len;
	uint32_t line;
	uint32_t flags;
};

struct debug1_parser {
	gd_record_fn fn;
	void *ctx;
	struct strbuf line;   /* a line split across feeds */
	bool skipping;        /* inside an overlong line, until its newline */
	bool seen_header;
	bool stopped;         /* the callback returned non-zero */
	bool truncated;
	bool earlier_truncated; /* an earlier profile of the input lacked records */
	enum gd_err err;      /* sticky format error */
	char name[16];
	uint64_t total;       /* of the current profile */
	uint64_t sum;         /* counts of the current profile's records so far */
	uint32_t dump;        /* profiles seen: a log may hold several */
	/* the open record */
	bool in_record;
	uint64_t count;
	struct strbuf labels;
	struct strbuf text;
	struct pframe *frames;
	size_t nframes, frames_alloc;
	bool capped;
	struct gd_frame *out;  /* scratch for emit */
	size_t out_alloc;
	struct debug1_stats stats;
	struct gd_errbuf eb;
};

struct debug1_parser *debug1_parser_new(gd_record_fn fn, void *ctx)
{
	struct debug1_parser *p = xcalloc(1, sizeof(*p));
	p->fn = fn;
	p->ctx = ctx;
	strbuf_init(&p->line, DEBUG1_MAX_LINE);
	strbuf_init(&p->labels, DEBUG1_MAX_LINE);
	strbuf_init(&p->text, DEBUG1_MAX_TEXT);
	return p;
}

void debug1_parser_free(struct debug1_parser *p)
{
	if (!p)
		return;
	strbuf_release(&p->line);
	strbuf_release(&p->labels);
	strbuf_release(&p->text);
	free(p->frames);
	free(p->out);
	free(p);
}

uint64_t debug1_parser_total(const struct debug1_parser *p)
{
	return p->total;
}

const char *debug1_parser_profile_name(const struct debug1_parser *p)
{
	return p->name;
}

const char *debug1_parser_error(const struct debug1_parser *p)
{
	return p->eb.msg;
}

bool debug1_parser_truncated(const struct debug1_parser *p)
{
	return p->truncated;
}

const struct debug1_stats *debug1_parser_stats(const struct debug1_parser *p)
{
	return &p->stats;
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
	size_t l = strlen(pre);
	return n >= l && !memcmp(s, pre, l);
}

/* Parse all of s[0..n) as a decimal uint64. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	char buf[24];
	char *end;
	if (n == 0 || n >= sizeof(buf))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return !errno && *end == '\0';
}

static void record_reset(struct debug1_parser *p)
{
	p->in_record = false;
	p->count = 0;
	p->nframes = 0;
	p->capped = false;
	strbuf_reset(&p->labels);
	strbuf_reset(&p->text);
}

static enum gd_err emit(struct debug1_parser *p)
{
	struct gd_record r;
	int ret;

	ALLOC_GROW(p->out, p->nframes, p->out_alloc);
	for (size_t i = 0; i < p->nframes; i++) {
		const struct pframe *f = &p->frames[i];
		p->out[i].func = p->text.buf + f->func_off;
		p->out[i].func_len = f->func_len;
		p->out[i].file = p->text.buf + f->file_off;
		p->out[i].file_len = f->file_len;
		p->out[i].args = "";
		p->out[i].args_len = 0;
		p->out[i].line = f->line;
		p->out[i].flags = f->flags;
	}
	r.count = p->count;
	r.frames = p->out;
	r.nframes = (uint32_t)p->nframes;
	r.labels = p->labels.buf;
	r.labels_len = (uint32_t)p->labels.len;
	r.dump = p->dump;
	p->sum += p->count;
	if (p->capped)
		p->stats.frames_capped++;
	p->stats.records++;
	p->stats.goroutines += p->count;
	ret = p->fn(&r, p->ctx);
	record_reset(p);
	if (ret) {
		p->stopped = true;
		return gd_fail(&p->eb, GD_EARG, "stopped by the record callback (%d)", ret);
	}
	return GD_OK;
}

/* "goroutine profile: total 60001" */
static enum gd_err parse_header(struct debug1_parser *p, const char *s, size_t n)
{
	static const char marker[] = " profile: total ";
	const char *m = memmem(s, n, marker, sizeof(marker) - 1);
	size_t name_len;

	if (!m)
		return p->err = gd_fail(&p->eb, GD_EFORMAT,
					"line %" PRIu64 ": not a debug=1 profile header", p->stats.lines);
	name_len = (size_t)(m - s);
	if (!((name_len == 9 && !memcmp(s, "goroutine", 9)) ||
	      (name_len == 13 && !memcmp(s, "goroutineleak", 13))))
		return p->err = gd_fail(&p->eb, GD_EFORMAT,
					"line %" PRIu64 ": a %.*s profile, not a goroutine profile",
					p->stats.lines, (int)(name_len > 40 ? 40 : name_len), s);
	m += sizeof(marker) - 1;
	if (!parse_u64(m, n - (size_t)(m - s), &p->total))
		return p->err = gd_fail(&p->eb, GD_EFORMAT,
					"line %" PRIu64 ": bad total in profile header", p->stats.lines);
	memcpy(p->name, s, name_len);
	p->name[name_len] = '\0';
	p->seen_header = true;
	p->dump++;
	p->stats.profiles++;
	p->sum = 0;
	return GD_OK;
}

/* "20000 @ 0x438556 0x448b1e ..." */
static bool parse_record_start(const char *s, size_t n, uint64_t *count)
{
	const char *sp = memchr(s, ' ', n);
	if (!sp || !parse_u64(s, (size_t)(sp - s), count))
		return false;
	return (size_t)(sp - s) + 2 <= n && sp[1] == '@';
}

static void add_text(struct debug1_parser *p, const char *s, size_t n, size_t *off, uint32_t *len)
{
	*off = p->text.len;
	*len = (uint32_t)n;
	if (strbuf_add(&p->text, s, n) != GD_OK || strbuf_addch(&p->text, '\0') != GD_OK) {
		/* Over the text cap: keep the frame, lose its name. */
		*off = 0;
		*len = 0;
		p->capped = true;
		strbuf_addch(&p->text, '\0');
	}
}

/* "#\t0x4605c4\tsync.runtime_SemacquireMutex+0x24\t/usr/local/go/src/runtime/sema.go:77"
 * with runs of tabs between columns, or "#\t0x4605c4" with no symbol. */
static void parse_frame(struct debug1_parser *p, const char *s, size_t n)
{
	struct text_frame tf;
	struct pframe *f;

	if (p->nframes >= DEBUG1_MAX_FRAMES) {
		p->capped = true;
		return;
	}
	text_frame_split(s, n, &tf);
	ALLOC_GROW(p->frames, p->nframes + 1, p->frames_alloc);
	f = &p->frames[p->nframes++];
	memset(f, 0, sizeof(*f));
	if (!tf.func_len) {
		add_text(p, tf.pc, tf.pc_len, &f->func_off, &f->func_len);
		add_text(p, "", 0, &f->file_off, &f->file_len);
		f->flags = GD_FRAME_NOFILE;
		return;
	}
	add_text(p, tf.func, tf.func_len, &f->func_off, &f->func_len);
	add_text(p, tf.file, tf.file_len, &f->file_off, &f->file_len);
	if (!tf.file_len)
		f->flags = GD_FRAME_NOFILE;
	f->line = tf.line;
}

static enum gd_err process_line(struct debug1_parser *p, const char *s, size_t n)
{
	p->stats.lines++;
	if (n && s[n - 1] == '\r')
		n--;
	if (!p->seen_header) {
		if (n == 0)
			return GD_OK;
		return parse_header(p, s, n);
	}
	if (n == 0) {
		if (p->in_record)
			return emit(p);
		return GD_OK;
	}
	if (s[0] == 'g' && memmem(s, n, " profile: total ", 16)) {
		/* A second profile in the same input (a log, files pasted
		 * together): the records that follow are the next one's. */
		enum gd_err e = p->in_record ? emit(p) : GD_OK;
		if (e)
			return e;
		if (p->sum < p->total)
			p->earlier_truncated = true;
		return parse_header(p, s, n);
	}
	if (s[0] >= '0' && s[0] <= '9') {
		uint64_t count;
		if (!parse_record_start(s, n, &count)) {
			p->stats.noise_lines++;
			return GD_OK;
		}
		if (p->in_record) {
			/* No blank line before it: Go always writes one, but the
			 * previous record is complete, so pass it on. */
			enum gd_err e = emit(p);
			if (e)
				return e;
		}
		p->in_record = true;
		p->count = count;
		return GD_OK;
	}
	if (p->in_record && has_prefix(s, n, "# labels: ")) {
		strbuf_reset(&p->labels);
		strbuf_add(&p->labels, s + 10, n - 10);
		return GD_OK;
	}
	if (p->in_record && n >= 2 && s[0] == '#' && s[1] == '\t') {
		parse_frame(p, s, n);
		return GD_OK;
	}
	p->stats.noise_lines++;
	return GD_OK;
}

enum gd_err debug1_parser_feed(struct debug1_parser *p, const char *buf, size_t len)
{
	const char *end = buf + len;

	if (p->err)
		return p->err;
	if (p->stopped)
		return GD_EARG;
	while (buf < end) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		size_t n = nl ? (size_t)(nl - buf) : (size_t)(end - buf);
		enum gd_err e = GD_OK;

		if (p->skipping) {
			if (nl)
				p->skipping = false;
		} else if (!nl) {
			if (strbuf_add(&p->line, buf, n) != GD_OK) {
				strbuf_reset(&p->line);
				p->skipping = true;
				p->stats.long_lines++;
				p->stats.lines++;
			}
		} else if (p->line.len) {
			if (strbuf_add(&p->line, buf, n) != GD_OK) {
				p->stats.long_lines++;
				p->stats.lines++;
			} else {
				e = process_line(p, p->line.buf, p->line.len);
			}
			strbuf_reset(&p->line);
		} else if (n > DEBUG1_MAX_LINE) {
			p->stats.long_lines++;
			p->stats.lines++;
		} else {
			e = process_line(p, buf, n);
		}
		if (e)
			return e;
		buf = nl ? nl + 1 : end;
	}
	return GD_OK;
}

static bool whole_frame_line(const char *s, size_t n)
{
	const char *colon = memrchr(s, ':', n);
	if (n < 3 || s[0] != '#' || s[1] != '\t' || !colon || colon + 1 == s + n)
		return false;
	for (const char *q = colon + 1; q < s + n; q++)
		if (*q < '0' || *q > '9')
			return false;
	return true;
}

enum gd_err debug1_parser_finish(struct debug1_parser *p)
{
	enum gd_err e;
	bool whole_last = false; /* ends in a whole frame line, without its newline */

	if (p->err)
		return p->err;
	if (p->stopped)
		return GD_EARG;
	if (p->line.len || p->skipping) {
		whole_last = !p->skipping && whole_frame_line(p->line.buf, p->line.len);
		/* Ends mid-line: the text was cut, unless it is a whole frame
		 * line ("#\t0x...\tF+0x1\tFILE:LINE") of a record whose count
		 * completes the total (checked below). */
		if (p->skipping || !whole_frame_line(p->line.buf, p->line.len))
			p->truncated = true;
		if (p->line.len) {
			e = process_line(p, p->line.buf, p->line.len);
			strbuf_reset(&p->line);
			if (e)
				return e;
		}
		p->skipping = false;
	}
	if (!p->seen_header)
		return p->err = gd_fail(&p->eb, GD_EFORMAT, p->stats.lines ?
					"no debug=1 goroutine profile header" : "empty input");
	if (p->in_record) {
		if (p->sum + p->count == p->total && !p->truncated && whole_last) {
			/* Only the final blank line is missing: the counts add
			 * up to the header's total, nothing was lost. */
			if ((e = emit(p)))
				return e;
		} else {
			/* No closing blank line: the stack may be cut, drop it. */
			p->truncated = true;
			p->stats.dropped++;
			record_reset(p);
		}
	}
	if (p->sum < p->total)
		p->truncated = true;
	return GD_OK;
}
