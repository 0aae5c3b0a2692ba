/* SPDX-License-Identifier: MIT */
/* debug=2 / traceback parser.  The grammar and every version's variants are
 * in shared/reference/goroutine-dump-format.md; section numbers below refer
 * to it. */
#include <stdlib.h>
#include <string.h>

#include "goroutine/dump_parse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* A goroutine block holds at most DUMP_MAX_FRAMES frames of at most max_line
 * bytes; this caps the scratch copy of one block. */
#define SCRATCH_MAX ((size_t)32 << 20)

struct raw_frame {
	uint32_t func_off, func_len;
	uint32_t args_off, args_len;
	uint32_t file_off, file_len;
	uint32_t line;
	uint32_t flags;
};

enum target {
	T_STACK,   /* frames of the goroutine itself */
	T_CREATOR, /* "created by" frame */
	T_ANCESTOR /* frames of an [originating from goroutine N] block: skipped */
};

struct dump_parser {
	gd_goroutine_fn fn;
	void *ctx;
	size_t max_line;

	struct strbuf carry; /* a line split across feed() calls */
	bool skipping;       /* inside an overlong line, waiting for '\n' */
	bool last_newline;   /* did the input so far end with '\n'? */

	/* the goroutine block being read */
	bool in_block;
	bool expect_file;    /* a function line was read; its file line is next */
	bool speculative;    /* ...but it had no "(args)": a frame only if a file line follows */
	enum target target;
	struct gd_goroutine g;
	struct strbuf scratch;
	uint32_t state_off, labels_off;
	struct raw_frame *frames;
	size_t nframes, frames_alloc;
	struct raw_frame creator;
	struct raw_frame pending; /* function line waiting for its file line */
	struct gd_frame *out_frames;
	size_t out_alloc;

	/* log prefix, learnt from the first header not at column 0 */
	char prefix_shape[256];
	uint32_t prefix_len;

	struct dump_stats stats;
	int stop; /* the callback asked to stop */
};

struct dump_parser *dump_parser_new(gd_goroutine_fn fn, void *ctx, size_t max_line)
{
	struct dump_parser *p = xcalloc(1, sizeof(*p));
	p->fn = fn;
	p->ctx = ctx;
	p->max_line = max_line ? max_line : DUMP_DEFAULT_MAX_LINE;
	strbuf_init(&p->carry, p->max_line);
	strbuf_init(&p->scratch, SCRATCH_MAX);
	p->last_newline = true;
	return p;
}

void dump_parser_free(struct dump_parser *p)
{
	if (!p)
		return;
	strbuf_release(&p->carry);
	strbuf_release(&p->scratch);
	free(p->frames);
	free(p->out_frames);
	free(p);
}

const struct dump_stats *dump_parser_stats(const struct dump_parser *p)
{
	return &p->stats;
}

static inline bool has_prefix(const char *s, size_t n, const char *pre, size_t pn)
{
	return n >= pn && !memcmp(s, pre, pn);
}
#define HAS_PREFIX(s, n, lit) has_prefix((s), (n), (lit), sizeof(lit) - 1)

static inline bool has_suffix(const char *s, size_t n, const char *suf, size_t sn)
{
	return n >= sn && !memcmp(s + n - sn, suf, sn);
}
#define HAS_SUFFIX(s, n, lit) has_suffix((s), (n), (lit), sizeof(lit) - 1)

/* Parse decimal digits at *s; false on no digits or overflow. */
static inline bool parse_u64(const char **s, const char *end, uint64_t *out)
{
	const char *q = *s;
	uint64_t v = 0;
	if (q >= end || *q < '0' || *q > '9')
		return false;
	while (q < end && *q >= '0' && *q <= '9') {
		unsigned d = (unsigned)(*q - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		q++;
	}
	*s = q;
	*out = v;
	return true;
}

static void header_item(struct gd_goroutine *g, const char *s, size_t n)
{
	const char *end = s + n;
	uint64_t v;
	if (HAS_SUFFIX(s, n, " minutes") || HAS_SUFFIX(s, n, " minute")) {
		const char *q = s;
		if (parse_u64(&q, end, &v) && *q == ' ') {
			g->wait_minutes = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
			g->flags |= GD_G_HAS_WAIT;
		}
	} else if (n == 16 && !memcmp(s, "locked to thread", 16)) {
		g->flags |= GD_G_LOCKED;
	} else if (HAS_PREFIX(s, n, "synctest bubble ") || HAS_PREFIX(s, n, "synctest group ")) {
		const char *q = memchr(s + 9, ' ', n - 9);
		if (q) {
			q++;
			if (parse_u64(&q, end, &v)) {
				g->bubble = v;
				g->flags |= GD_G_HAS_BUBBLE;
			}
		}
	}
	/* Unknown items are ignored: later Go versions may add more. */
}

/* Strip the flag suffixes the runtime appends to the status (§3), leaving
 * the bare wait reason.  They can come in any order. */
static size_t strip_state_flags(const char *s, size_t n, uint32_t *flags)
{
	for (;;) {
		if (HAS_SUFFIX(s, n, " (leaked)")) {
			*flags |= GD_G_LEAKED;
			n -= 9;
		} else if (HAS_SUFFIX(s, n, " (scan)")) {
			*flags |= GD_G_SCAN;
			n -= 7;
		} else if (HAS_SUFFIX(s, n, " (durable)")) {
			*flags |= GD_G_DURABLE;
			n -= 10;
		} else {
			return n;
		}
	}
}

bool dump_parse_header(const char *s, size_t n, struct gd_goroutine *g)
{
	const char *end = s + n, *q, *lb, *rb, *content, *cend;
	uint64_t id;

	if (!HAS_PREFIX(s, n, "goroutine "))
		return false;
	q = s + 10;
	if (!parse_u64(&q, end, &id))
		return false;
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->state = "";
	g->labels = "";
	/* Go 1.22+ crash decoration: " gp=0x… m=N mp=0x…" or " m=nil". */
	while (q + 1 < end && *q == ' ' && q[1] != '[') {
		const char *tok = q + 1, *sp = memchr(tok, ' ', (size_t)(end - tok));
		if (!sp || !memchr(tok, '=', (size_t)(sp - tok)))
			return false;
		g->flags |= GD_G_DECORATED;
		q = sp;
	}
	if (end - q < 4 || q[0] != ' ' || q[1] != '[')
		return false;
	lb = q + 1;
	content = lb + 1;
	/* The draft label form puts labels inside the bracket:
	 * "[running labels:{"k": "v"}]"; its values may hold ']'.  A status
	 * never holds '{', so only then is it worth a search. */
	{
		const char *rb0 = memchr(content, ']', (size_t)(end - content));
		const char *brace = rb0 ? memchr(content, '{', (size_t)(rb0 - content)) : NULL;
		const char *lab = brace && brace - content >= 8 && !memcmp(brace - 8, " labels:", 8) ? brace - 8 : NULL;
		if (lab) {
			const char *close = NULL;
			for (const char *c = end - 1; c > lab; c--) {
				if (*c == '}') {
					close = c;
					break;
				}
			}
			if (!close)
				return false;
			g->labels = lab + 8;
			g->labels_len = (uint32_t)(close + 1 - (lab + 8));
			cend = lab;
			rb = memchr(close, ']', (size_t)(end - close));
		} else {
			rb = rb0;
			cend = rb;
		}
	}
	if (!rb)
		return false;
	/* After the bracket: optional " {labels}" (Go 1.27), then ':' at the end. */
	if (end[-1] != ':')
		return false;
	{
		const char *after = rb + 1, *aend = end - 1;
		if (after < aend) {
			if (*after != ' ' || after + 1 >= aend || after[1] != '{' || aend[-1] != '}')
				return false;
			g->labels = after + 1;
			g->labels_len = (uint32_t)(aend - after - 1);
		}
	}
	/* Items separated by ", ": the status first. */
	{
		const char *item = content;
		bool first = true;
		while (item <= cend) {
			const char *comma = item;
			while ((comma = memchr(comma, ',', (size_t)(cend - comma))) && comma + 1 < cend && comma[1] != ' ')
				comma++;
			if (comma && comma + 1 >= cend)
				comma = NULL;
			const char *iend = comma ? comma : cend;
			if (first) {
				size_t len = strip_state_flags(item, (size_t)(iend - item), &g->flags);
				g->state = item;
				g->state_len = (uint32_t)len;
				first = false;
			} else {
				header_item(g, item, (size_t)(iend - item));
			}
			if (!comma)
				break;
			item = comma + 2;
		}
	}
	return g->state_len > 0;
}

/* --- log prefixes ------------------------------------------------------- */

/* A prefix's shape keeps its punctuation and letters but not its digits, so
 * "2024-05-01T10:00:00.123Z " matches every line of the same log. */
static inline char shape(char c)
{
	return (c >= '0' && c <= '9') ? '0' : c;
}

static void learn_prefix(struct dump_parser *p, const char *s, size_t k)
{
	if (k >= sizeof(p->prefix_shape))
		return;
	for (size_t i = 0; i < k; i++)
		p->prefix_shape[i] = shape(s[i]);
	p->prefix_len = (uint32_t)k;
	p->stats.prefix_len = (uint32_t)k;
}

/* Length of the prefix to strip from s, or -1 when the line does not carry
 * the learnt prefix (an unrelated log line). */
static long match_prefix(const struct dump_parser *p, const char *s, size_t n)
{
	size_t k = p->prefix_len;
	size_t i;
	if (n >= k) {
		for (i = 0; i < k; i++)
			if (shape(s[i]) != p->prefix_shape[i])
				break;
		if (i == k)
			return (long)k;
	}
	/* Variable-width fields (nanoseconds without trailing zeros, day padding):
	 * accept the same start and the same last two characters, a few bytes off. */
	if (k >= 4 && n >= 4) {
		const char *term = p->prefix_shape + k - 2;
		for (size_t j = 0; j < 4; j++)
			if (shape(s[j]) != p->prefix_shape[j])
				return -1;
		for (long d = -8; d <= 8; d++) {
			long end = (long)k + d;
			if (end < 4 || (size_t)end > n)
				continue;
			if (shape(s[end - 2]) == term[0] && shape(s[end - 1]) == term[1] &&
			    (term[0] != '0' || term[1] != '0'))
				return end;
		}
	}
	return -1;
}

/* --- goroutine blocks ---------------------------------------------------- */

static inline uint32_t scratch_add(struct dump_parser *p, const char *s, size_t n, bool *ok)
{
	uint32_t off = (uint32_t)p->scratch.len;
	if (p->scratch.alloc && p->scratch.len + n < p->scratch.alloc) {
		/* The common case, without strbuf's bookkeeping: it fits. */
		memcpy(p->scratch.buf + p->scratch.len, s, n);
		p->scratch.len += n;
		return off;
	}
	if (strbuf_add(&p->scratch, s, n))
		*ok = false;
	return off;
}

static void block_reset(struct dump_parser *p)
{
	p->in_block = false;
	p->expect_file = false;
	p->speculative = false;
	p->target = T_STACK;
	p->nframes = 0;
	strbuf_reset(&p->scratch);
}

/* Start a block from a parsed header g, whose slices point into the line. */
static void block_start(struct dump_parser *p, const struct gd_goroutine *hdr)
{
	struct gd_goroutine g = *hdr;
	bool ok = true;
	block_reset(p);
	p->in_block = true;
	p->g = g;
	/* Keep the header strings in scratch: s is only valid for this line. */
	p->state_off = scratch_add(p, g.state, g.state_len, &ok);
	p->labels_off = scratch_add(p, g.labels, g.labels_len, &ok);
}

static void fill_frame(const struct dump_parser *p, const struct raw_frame *r, struct gd_frame *f)
{
	const char *b = p->scratch.buf;
	f->func = b + r->func_off;
	f->func_len = r->func_len;
	f->args = b + r->args_off;
	f->args_len = r->args_len;
	f->file = b + r->file_off;
	f->file_len = r->file_len;
	f->line = r->line;
	f->flags = r->flags;
}

static void add_frame(struct dump_parser *p, const struct raw_frame *r)
{
	if (p->target == T_CREATOR) {
		p->creator = *r;
		return;
	}
	if (p->target != T_STACK)
		return;
	if (p->nframes >= DUMP_MAX_FRAMES) {
		p->g.flags |= GD_G_FRAMES_CAPPED;
		return;
	}
	ALLOC_GROW(p->frames, p->nframes + 1, p->frames_alloc);
	p->frames[p->nframes++] = *r;
}

/* Hand the finished block to the callback. */
static void block_emit(struct dump_parser *p)
{
	struct gd_goroutine *g = &p->g;
	if (!p->in_block)
		return;
	if (p->expect_file) {
		/* A function line with no file line: keep the frame, without
		 * file, unless it was only a guess at a C frame. */
		p->expect_file = false;
		if (!p->speculative) {
			p->pending.flags |= GD_FRAME_NOFILE;
			add_frame(p, &p->pending);
		}
		p->speculative = false;
	}
	if (p->nframes == 0 && !(g->flags & GD_G_UNAVAILABLE)) {
		/* A header with no stack is not a goroutine we can group. */
		p->stats.dropped++;
		block_reset(p);
		return;
	}
	if (p->out_alloc < p->nframes) {
		p->out_alloc = p->nframes;
		p->out_frames = xreallocarray(p->out_frames, p->out_alloc, sizeof(*p->out_frames));
	}
	for (size_t i = 0; i < p->nframes; i++)
		fill_frame(p, &p->frames[i], &p->out_frames[i]);
	g->frames = p->out_frames;
	g->nframes = (uint32_t)p->nframes;
	g->state = p->scratch.buf + p->state_off;
	g->labels = p->scratch.buf + p->labels_off;
	if (g->flags & GD_G_HAS_CREATOR)
		fill_frame(p, &p->creator, &g->creator);
	p->stats.goroutines++;
	if (p->fn(g, p->ctx))
		p->stop = 1;
	block_reset(p);
}


/* "\t/path/file.go:123 +0x1c9 fp=0x… sp=0x… pc=0x…" */
static void parse_file_line(struct dump_parser *p, const char *s, size_t n)
{
	const char *end, *colon;
	bool ok = true;
	uint64_t line = 0;
	while (n && (*s == '\t' || *s == ' ')) {
		s++;
		n--;
	}
	end = s + n;
	/* Drop trailing " +0x…", " fp=…", " sp=…", " pc=…" tokens. */
	for (;;) {
		const char *sp = memrchr(s, ' ', (size_t)(end - s));
		if (!sp)
			break;
		if (HAS_PREFIX(sp + 1, (size_t)(end - sp - 1), "+0x") ||
		    HAS_PREFIX(sp + 1, (size_t)(end - sp - 1), "fp=") ||
		    HAS_PREFIX(sp + 1, (size_t)(end - sp - 1), "sp=") ||
		    HAS_PREFIX(sp + 1, (size_t)(end - sp - 1), "pc="))
			end = sp;
		else
			break;
	}
	if (HAS_PREFIX(s, (size_t)(end - s), "pc=") || HAS_PREFIX(s, (size_t)(end - s), "fp=")) {
		/* "\tpc=0x…": a C frame with no file at all. */
		end = s;
	}
	colon = memrchr(s, ':', (size_t)(end - s));
	if (colon) {
		const char *q = colon + 1;
		if (parse_u64(&q, end, &line) && q == end)
			end = colon;
		else
			line = 0;
	}
	p->pending.file_off = scratch_add(p, s, (size_t)(end - s), &ok);
	p->pending.file_len = (uint32_t)(end - s);
	p->pending.line = line > UINT32_MAX ? 0 : (uint32_t)line;
	p->pending.flags &= ~(uint32_t)GD_FRAME_NOFILE;
	if (ok)
		add_frame(p, &p->pending);
	p->expect_file = false;
}

/* "pkg.(*T).Method(0xc000010000, {0x4d2f1a?, 0x5})" or "F(...)" (inlined). */
static bool parse_func_line(struct dump_parser *p, const char *s, size_t n)
{
	bool ok = true;
	const char *lp;
	memset(&p->pending, 0, sizeof(p->pending));
	if (n && s[n - 1] == ')' && (lp = memrchr(s, '(', n - 1)) && lp > s) {
		size_t flen = (size_t)(lp - s), alen = n - flen - 2;
		p->pending.func_off = scratch_add(p, s, flen, &ok);
		p->pending.func_len = (uint32_t)flen;
		p->pending.args_off = scratch_add(p, lp + 1, alen, &ok);
		p->pending.args_len = (uint32_t)alen;
		if (alen == 3 && !memcmp(lp + 1, "...", 3))
			p->pending.flags |= GD_FRAME_INLINED;
	} else if (HAS_PREFIX(s, n, "non-Go function")) {
		p->pending.func_off = scratch_add(p, "non-Go function", 15, &ok);
		p->pending.func_len = 15;
		p->pending.args_off = p->pending.func_off;
		p->pending.flags |= GD_FRAME_CGO;
	} else if (!memchr(s, ' ', n) && !memchr(s, ':', n)) {
		/* A C frame named by a cgo symbolizer ("c_sleep_loop"), known
		 * for one only if its "\tfile:line pc=0x…" line follows. */
		p->pending.func_off = scratch_add(p, s, n, &ok);
		p->pending.func_len = (uint32_t)n;
		p->pending.args_off = p->pending.func_off;
		p->pending.flags |= GD_FRAME_CGO;
		p->speculative = true;
	} else {
		return false;
	}
	p->pending.file_off = p->pending.args_off;
	p->pending.flags |= GD_FRAME_NOFILE;
	if (!ok) {
		p->g.flags |= GD_G_FRAMES_CAPPED;
		return true;
	}
	p->expect_file = true;
	return true;
}

/* "created by main.main in goroutine 1" (1.21+) or "created by main.main". */
static void parse_created_by(struct dump_parser *p, const char *s, size_t n)
{
	const char *f = s + 11, *end = s + n, *in;
	bool ok = true;
	/* " in goroutine N" ends the line when present: look from the end. */
	in = end;
	while (in > f && in[-1] >= '0' && in[-1] <= '9')
		in--;
	if (in < end && in - f > 14 && !memcmp(in - 14, " in goroutine ", 14)) {
		const char *q = in;
		uint64_t goid;
		if (parse_u64(&q, end, &goid) && q == end) {
			if (p->target == T_STACK) {
				p->g.creator_goid = goid;
				p->g.flags |= GD_G_CREATOR_GOID;
			}
			end = in - 14;
		}
	}
	if (p->target == T_ANCESTOR)
		return; /* an ancestor's creator: not this goroutine's */
	memset(&p->pending, 0, sizeof(p->pending));
	p->pending.func_off = scratch_add(p, f, (size_t)(end - f), &ok);
	p->pending.func_len = (uint32_t)(end - f);
	p->pending.args_off = p->pending.func_off;
	p->pending.file_off = p->pending.func_off;
	p->pending.flags = GD_FRAME_NOFILE;
	p->target = T_CREATOR;
	p->g.flags |= GD_G_HAS_CREATOR;
	p->creator = p->pending;
	p->expect_file = true;
}

static void parse_elision(struct dump_parser *p, const char *s, size_t n)
{
	/* "...additional frames elided..." (≤1.20, ancestors) or "...N frames elided..." */
	const char *q = s + 3;
	uint64_t v;
	if (p->target != T_STACK)
		return;
	if (parse_u64(&q, s + n, &v))
		p->g.elided += v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	else
		p->g.elided_unknown = true;
}

static void note_preamble(struct dump_parser *p, const char *s, size_t n)
{
	if (HAS_PREFIX(s, n, "panic: ") || HAS_PREFIX(s, n, "fatal error: ")) {
		p->stats.crash = true;
		if (!p->stats.preamble[0]) {
			size_t k = n < sizeof(p->stats.preamble) - 1 ? n : sizeof(p->stats.preamble) - 1;
			memcpy(p->stats.preamble, s, k);
			p->stats.preamble[k] = '\0';
		}
	} else if ((HAS_PREFIX(s, n, "[signal ") || HAS_PREFIX(s, n, "SIG")) && !p->stats.signal[0]) {
		size_t k = n < sizeof(p->stats.signal) - 1 ? n : sizeof(p->stats.signal) - 1;
		if (s[0] == 'S' && !memchr(s, ':', k))
			return;
		p->stats.crash = true;
		memcpy(p->stats.signal, s, k);
		p->stats.signal[k] = '\0';
	}
}

/* Outside a block, look for a header that does not start the line: the dump
 * is inside a log and every line carries a prefix (timestamp, pod, unit). */
static bool find_embedded_header(struct dump_parser *p, const char *s, size_t n)
{
	const char *h = memmem(s, n, "goroutine ", 10);
	struct gd_goroutine g;
	size_t k;
	if (!h || h == s)
		return false;
	k = (size_t)(h - s);
	if (k >= sizeof(p->prefix_shape) || !dump_parse_header(h, n - k, &g))
		return false;
	block_start(p, &g);
	learn_prefix(p, s, k);
	return true;
}

static void process_line(struct dump_parser *p, const char *s, size_t n)
{
	p->stats.lines++;
	if (n && s[n - 1] == '\r')
		n--;
	if (p->prefix_len) {
		long k = match_prefix(p, s, n);
		if (k < 0) {
			/* An interleaved line from another writer of the same log. */
			if (n)
				p->stats.noise_lines++;
			return;
		}
		s += k;
		n -= (size_t)k;
	}

	if (p->in_block && p->expect_file) {
		if (n && (s[0] == '\t' || s[0] == ' ')) {
			p->speculative = false;
			parse_file_line(p, s, n);
			return;
		}
		p->expect_file = false;
		if (p->speculative) {
			/* Not a frame after all ("exit status 2", a log line): the
			 * block ended at the line before. */
			p->speculative = false;
			block_emit(p);
			p->stats.noise_lines++;
		} else {
			/* No file line: keep the frame without one. */
			p->pending.flags |= GD_FRAME_NOFILE;
			add_frame(p, &p->pending);
		}
	}

	if (n == 0) {
		block_emit(p);
		return;
	}
	if (s[0] == 'g' && HAS_PREFIX(s, n, "goroutine ")) {
		struct gd_goroutine g;
		if (dump_parse_header(s, n, &g)) {
			block_emit(p);
			block_start(p, &g);
			return;
		}
	}
	if (!p->in_block) {
		if (!find_embedded_header(p, s, n)) {
			note_preamble(p, s, n);
			p->stats.noise_lines++;
		}
		return;
	}

	switch (s[0]) {
	case 'c':
		if (HAS_PREFIX(s, n, "created by ")) {
			parse_created_by(p, s, n);
			return;
		}
		break;
	case '[':
		if (HAS_PREFIX(s, n, "[originating from goroutine ")) {
			p->target = T_ANCESTOR;
			p->g.nancestors++;
			return;
		}
		break;
	case '.':
		if (HAS_PREFIX(s, n, "...") && HAS_SUFFIX(s, n, "elided...")) {
			parse_elision(p, s, n);
			return;
		}
		break;
	case '\t':
	case ' ': {
		const char *t = s;
		size_t m = n;
		while (m && (*t == '\t' || *t == ' ')) {
			t++;
			m--;
		}
		if (HAS_PREFIX(t, m, "goroutine running on other thread"))
			p->g.flags |= GD_G_UNAVAILABLE;
		else
			p->stats.noise_lines++; /* a file line with no function line */
		return;
	}
	default:
		break;
	}
	if (parse_func_line(p, s, n))
		return;
	/* Not part of the grammar ("exit status 2", a log line): the block ends. */
	block_emit(p);
	note_preamble(p, s, n);
	p->stats.noise_lines++;
}

enum gd_err dump_parser_feed(struct dump_parser *p, const char *buf, size_t len)
{
	const char *end = buf + len;
	if (len)
		p->stats.bytes += len;
	while (buf < end && !p->stop) {
		const char *nl = memchr(buf, '\n', (size_t)(end - buf));
		if (p->skipping) {
			if (!nl)
				break;
			p->skipping = false;
			buf = nl + 1;
			continue;
		}
		if (!nl) {
			if (strbuf_add(&p->carry, buf, (size_t)(end - buf))) {
				p->stats.long_lines++;
				strbuf_reset(&p->carry);
				p->skipping = true;
			}
			break;
		}
		if (p->carry.len) {
			if (strbuf_add(&p->carry, buf, (size_t)(nl - buf))) {
				p->stats.long_lines++;
			} else {
				process_line(p, p->carry.buf, p->carry.len);
			}
			strbuf_reset(&p->carry);
		} else if ((size_t)(nl - buf) > p->max_line) {
			p->stats.long_lines++;
		} else {
			process_line(p, buf, (size_t)(nl - buf));
		}
		buf = nl + 1;
	}
	if (len)
		p->last_newline = end[-1] == '\n';
	return p->stop ? GD_EARG : GD_OK;
}

enum gd_err dump_parser_finish(struct dump_parser *p)
{
	bool cut = !p->last_newline || p->skipping || p->carry.len;
	if (p->stop)
		return GD_EARG;
	p->stats.at_pprof_cap = p->stats.bytes == DUMP_PPROF_CAP;
	if (cut || p->stats.at_pprof_cap) {
		/* Whatever block was open lost its tail: drop it. */
		p->stats.truncated = true;
		if (p->in_block) {
			p->stats.dropped++;
			block_reset(p);
		}
		strbuf_reset(&p->carry);
		return GD_OK;
	}
	if (p->in_block && p->expect_file && p->target == T_STACK && !p->speculative) {
		/* The dump stops between a function line and its file line. */
		p->stats.truncated = true;
		p->stats.dropped++;
		block_reset(p);
		return GD_OK;
	}
	block_emit(p);
	return p->stop ? GD_EARG : GD_OK;
}
