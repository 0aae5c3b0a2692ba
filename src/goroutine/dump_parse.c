/* SPDX-License-Identifier: MIT */
/* debug=2 / traceback parser.  The grammar and every version's variants are
 * in shared/reference/goroutine-dump-format.md; section numbers below refer
 * to it. */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "goroutine/dump_parse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/numparse.h"
#include "util/banned.h"

/* A goroutine block holds at most DUMP_MAX_FRAMES frames of at most max_line
 * bytes; this caps the scratch copy of one block. */
#define SCRATCH_MAX ((size_t)32 << 20)

/* Copies of strings that cannot stay where they are (a line carried across
 * feed() calls, or a block still open when feed() returns): a list of
 * chunks, so that a pointer handed out stays valid until the block ends. */
#define ARENA_CHUNK ((size_t)64 << 10)
struct arena_chunk {
	struct arena_chunk *next;
	size_t len, cap;
	char data[];
};

/* --- goroutine IDs seen in the current dump ------------------------------ */

/* A repeated ID means a second dump.  IDs come in runs (allgs order), so a
 * two-level bitmap of 4096-ID pages, with the last page cached, costs a
 * compare per goroutine and 512 bytes per 4096 IDs.  Sparse IDs could make
 * a page per goroutine: past IDSET_MAX_PAGES the dump stops being watched. */
#define IDPAGE_SHIFT 12
#define IDPAGE_WORDS ((1u << IDPAGE_SHIFT) / 64)
#define IDSET_MAX_PAGES 32768

struct idslot {
	uint64_t key; /* page number + 1; 0: empty */
	uint64_t *bits;
};

struct idset {
	struct idslot *slots;
	size_t nslots, npages;
	uint64_t last_key;
	uint64_t *last_bits;
	bool off; /* too many pages: not tracking */
};

static void idset_clear(struct idset *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		free(s->slots[i].bits);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static uint64_t *idset_page(const struct idset *s, uint64_t key)
{
	size_t mask = s->nslots - 1, j;
	if (!s->nslots)
		return NULL;
	for (j = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & mask; s->slots[j].key; j = (j + 1) & mask)
		if (s->slots[j].key == key)
			return s->slots[j].bits;
	return NULL;
}

static void idset_insert_page(struct idset *s, uint64_t key, uint64_t *bits)
{
	size_t mask, j;
	if ((s->npages + 1) * 2 > s->nslots) {
		struct idset n = { 0 };
		n.nslots = s->nslots ? s->nslots * 2 : 16;
		n.slots = xcalloc(n.nslots, sizeof(*n.slots));
		for (size_t i = 0; i < s->nslots; i++)
			if (s->slots[i].key)
				idset_insert_page(&n, s->slots[i].key, s->slots[i].bits);
		free(s->slots);
		s->slots = n.slots;
		s->nslots = n.nslots;
	}
	mask = s->nslots - 1;
	for (j = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & mask; s->slots[j].key; j = (j + 1) & mask)
		;
	s->slots[j].key = key;
	s->slots[j].bits = bits;
	s->npages++;
}

/* Mark id; true if it was already marked. */
static bool idset_test_and_set(struct idset *s, uint64_t id)
{
	uint64_t key = (id >> IDPAGE_SHIFT) + 1, bit = 1ull << (id & 63), *w;
	uint64_t *bits = s->last_key == key ? s->last_bits : NULL;
	if (s->off)
		return false;
	if (!bits && !(bits = idset_page(s, key))) {
		if (s->npages >= IDSET_MAX_PAGES) {
			s->off = true;
			return false;
		}
		bits = xcalloc(IDPAGE_WORDS, sizeof(*bits));
		idset_insert_page(s, key, bits);
	}
	s->last_key = key;
	s->last_bits = bits;
	w = &bits[(id & ((1u << IDPAGE_SHIFT) - 1)) >> 6];
	if (*w & bit)
		return true;
	*w |= bit;
	return false;
}

/* A crash line seen before the first header, kept in case the header shows
 * that a log prefix stood in front of it. */
#define CRASH_CANDIDATES 8
struct crash_candidate {
	char line[512];
	uint32_t len, off; /* off: where the crash text starts */
};

enum target {
	T_STACK,   /* frames of the goroutine itself */
	T_CREATOR, /* "created by" frame */
	T_ANCESTOR /* frames of an [originating from goroutine N] block: skipped */
};

struct raw_line {
	const char *s;
	size_t n; /* NO_RAW_LINE: the frame has no file line */
};
#define NO_RAW_LINE SIZE_MAX

struct dump_parser {
	gd_goroutine_fn fn;
	void *ctx;
	size_t max_line;
	bool keep_args;      /* copy argument text (exact grouping); else args are "" */

	struct strbuf carry; /* a line split across feed() calls */
	bool skipping;       /* inside an overlong line, waiting for '\n' */
	bool last_newline;   /* did the input so far end with '\n'? */

	/* the goroutine block being read */
	bool in_block;
	bool expect_file;    /* a function line was read; its file line is next */
	bool speculative;    /* ...but it had no "(args)": a frame only if a file line follows */
	enum target target;
	struct gd_goroutine g;
	/* The block's strings point into the caller's buffer while it lasts
	 * (no copy: a mapped file is read in place), or into the arena. */
	struct arena_chunk *arena;
	size_t arena_total;
	bool copy_lines;     /* the line being processed does not outlive the call */
	struct gd_frame *frames;
	size_t nframes, frames_alloc;
	struct gd_frame creator;
	/* function line waiting for its file line: built in place, in the
	 * next slot of frames when it is one of the stack's (copying it there
	 * afterwards stalled on store-to-load forwarding), else in pend_store */
	struct gd_frame *pend;
	struct gd_frame pend_store;

	/* The goroutine handed over last, while its strings still point into
	 * the buffer of this feed() call: most goroutines repeat the stack of
	 * the one before (a loop started them, allgs keeps their order), and a
	 * file line equal to the one at the same depth there needs no parse.
	 * nsame_* count the frames of this block found equal so far. */
	struct gd_frame *prev_frames;
	size_t prev_nframes, prev_alloc;
	struct raw_line *raw, *prev_raw; /* each frame's file line, as read */
	size_t raw_alloc, prev_raw_alloc;
	struct gd_frame prev_creator;
	struct raw_line creator_raw, prev_creator_raw;
	bool prev_valid, prev_has_creator;
	uint32_t nsame_funcs, nsame_files;
	/* The last header read in this feed() call, after its ID: goroutines
	 * of one bucket mostly share " [state, N minutes]:" as well. */
	struct {
		bool valid;
		const char *s;
		size_t n;
		struct gd_goroutine g;
		ptrdiff_t state_off, labels_off; /* into s; -1: a constant */
	} hdr;
	uint8_t creator_same; /* 1: its function equals the last one's; 2: its file line too */

	/* log prefix, learnt from the first header not at column 0 */
	char prefix_shape[256];
	uint32_t prefix_len;
	bool seen_header;    /* a goroutine header was found: the prefix is settled */
	struct crash_candidate cand[CRASH_CANDIDATES];
	uint32_t ncand;

	/* several dumps in one input */
	uint32_t dump;         /* number of the dump being read (0: none yet) */
	bool dump_has_g;       /* it has emitted a goroutine */
	bool new_dump;         /* a crash header after goroutines: the next goroutine starts a dump */
	bool crash_pending;    /* a crash header waits for its first goroutine */
	bool after_separator;  /* the last line was GOTRACEBACK=crash's "-----" */
	struct idset ids;

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
	p->last_newline = true;
	p->pend = &p->pend_store;
	p->keep_args = true;
	return p;
}

void dump_parser_keep_args(struct dump_parser *p, bool keep)
{
	p->keep_args = keep;
}

void dump_parser_free(struct dump_parser *p)
{
	if (!p)
		return;
	strbuf_release(&p->carry);
	while (p->arena) {
		struct arena_chunk *c = p->arena;
		p->arena = c->next;
		free(c);
	}
	free(p->frames);
	free(p->prev_frames);
	free(p->raw);
	free(p->prev_raw);
	idset_clear(&p->ids);
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


static void header_item(struct gd_goroutine *g, const char *s, size_t n)
{
	const char *end = s + n;
	uint64_t v;
	if (HAS_SUFFIX(s, n, " minutes") || HAS_SUFFIX(s, n, " minute")) {
		const char *q = s;
		if (scan_u64(&q, end, &v) && *q == ' ') {
			g->wait_minutes = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
			g->flags |= GD_G_HAS_WAIT;
		}
	} else if (n == 16 && !memcmp(s, "locked to thread", 16)) {
		g->flags |= GD_G_LOCKED;
	} else if (HAS_PREFIX(s, n, "synctest bubble ") || HAS_PREFIX(s, n, "synctest group ")) {
		const char *q = memchr(s + 9, ' ', n - 9);
		if (q) {
			q++;
			if (scan_u64(&q, end, &v)) {
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
	if (!scan_u64(&q, end, &id))
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

static const char *arena_copy(struct dump_parser *p, const char *s, size_t n, bool *ok)
{
	struct arena_chunk *c = p->arena;
	char *d;
	if (!c || c->len + n > c->cap) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if (p->arena_total + cap > SCRATCH_MAX) {
			*ok = false;
			return "";
		}
		c = xmalloc(sizeof(*c) + cap);
		c->cap = cap;
		c->len = 0;
		c->next = p->arena;
		p->arena = c;
		p->arena_total += cap;
	}
	d = c->data + c->len;
	memcpy(d, s, n);
	c->len += n;
	return d;
}

/* A string of the current line, kept for the block: in place, unless the
 * line lives in the carry buffer. */
static inline const char *keep_str(struct dump_parser *p, const char *s, size_t n, bool *ok)
{
	return p->copy_lines ? arena_copy(p, s, n, ok) : s;
}

static void arena_reset(struct dump_parser *p)
{
	while (p->arena && p->arena->next) {
		struct arena_chunk *c = p->arena;
		p->arena = c->next;
		free(c);
	}
	if (p->arena) {
		p->arena->len = 0;
		p->arena_total = p->arena->cap;
	}
}

/* Was a string of the open block copied?  The arena holds only its copies:
 * block_reset() empties it. */
static bool block_copied(const struct dump_parser *p)
{
	return p->arena && (p->arena->len || p->arena->next);
}

static void block_reset(struct dump_parser *p)
{
	p->in_block = false;
	p->expect_file = false;
	p->speculative = false;
	p->target = T_STACK;
	p->nframes = 0;
	p->nsame_funcs = p->nsame_files = 0;
	p->creator_same = 0;
	arena_reset(p);
}

/* Start a block from a parsed header g, whose slices point into the line. */
static void block_start(struct dump_parser *p, const struct gd_goroutine *hdr)
{
	struct gd_goroutine g = *hdr;
	bool ok = true;
	block_reset(p);
	p->in_block = true;
	p->g = g;
	p->g.state = keep_str(p, g.state, g.state_len, &ok);
	p->g.labels = keep_str(p, g.labels, g.labels_len, &ok);
}

static void add_frame(struct dump_parser *p, const struct gd_frame *r)
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
	if (r == p->frames + p->nframes) {
		p->nframes++; /* built in place */
		return;
	}
	ALLOC_GROW(p->frames, p->nframes + 1, p->frames_alloc);
	p->frames[p->nframes++] = *r;
}

/* Is the pending frame the next of the stack (not the creator, an
 * ancestor's or one past the cap)?  frames may still be NULL. */
static inline bool pend_in_stack(const struct dump_parser *p)
{
	return p->target == T_STACK && p->frames && p->pend == p->frames + p->nframes;
}

/* Where the next function line is built. */
static struct gd_frame *pend_slot(struct dump_parser *p)
{
	if (p->target == T_CREATOR)
		p->creator_same = 0; /* a frame after "created by" takes its place */
	if (p->target != T_STACK || p->nframes >= DUMP_MAX_FRAMES)
		return &p->pend_store;
	ALLOC_GROW(p->frames, p->nframes + 1, p->frames_alloc);
	/* No file line yet: none to match the next goroutine's with. */
	ALLOC_GROW(p->raw, p->nframes + 1, p->raw_alloc);
	p->raw[p->nframes].n = NO_RAW_LINE;
	return p->frames + p->nframes;
}

#ifdef __SSE2__
static inline __m128i eq16(const char *a, const char *b)
{
	return _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)a),
			      _mm_loadu_si128((const __m128i *)(const void *)b));
}
#endif

/* memcmp(a, b, n) == 0 for the 8-60 byte names and file lines compared
 * with the last goroutine's, millions of times: overlapping 16- or 8-byte
 * loads instead of a call. */
static inline __attribute__((always_inline)) bool same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y, u, v;
#ifdef __SSE2__
	if (n >= 16) {
		__m128i m;
		if (n <= 32) {
			m = _mm_and_si128(eq16(a, b), eq16(a + n - 16, b + n - 16));
		} else if (n <= 64) {
			m = _mm_and_si128(_mm_and_si128(eq16(a, b), eq16(a + 16, b + 16)),
					  _mm_and_si128(eq16(a + n - 32, b + n - 32), eq16(a + n - 16, b + n - 16)));
		} else {
			for (size_t i = 0; i + 16 < n; i += 16)
				if (_mm_movemask_epi8(eq16(a + i, b + i)) != 0xffff)
					return false;
			m = eq16(a + n - 16, b + n - 16);
		}
		return _mm_movemask_epi8(m) == 0xffff;
	}
#endif
	if (n < 8)
		return !memcmp(a, b, n);
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	memcpy(&u, a + n - 8, 8);
	memcpy(&v, b + n - 8, 8);
	return ((x ^ y) | (u ^ v)) == 0;
}

/* Is the finished block, frame by frame and its creator, the goroutine
 * handed over last? */
static bool same_as_prev(const struct dump_parser *p)
{
	bool creator = p->g.flags & GD_G_HAS_CREATOR;
	return p->prev_valid && !(p->g.flags & GD_G_FRAMES_CAPPED) && p->nframes == p->prev_nframes &&
	       p->nsame_funcs == p->nframes && p->nsame_files == p->nframes && creator == p->prev_has_creator &&
	       (!creator || p->creator_same == 2);
}

/* Keep the block just handed over for the next one to compare with: its
 * arrays swap with the spare ones.  Only while its strings are the
 * caller's (a copy in the arena is reused by the next block). */
static void remember_prev(struct dump_parser *p)
{
	struct gd_frame *f = p->prev_frames;
	struct raw_line *r = p->prev_raw;
	size_t fa = p->prev_alloc, ra = p->prev_raw_alloc;
	p->prev_frames = p->frames;
	p->prev_alloc = p->frames_alloc;
	p->prev_raw = p->raw;
	p->prev_raw_alloc = p->raw_alloc;
	p->frames = f;
	p->frames_alloc = fa;
	p->raw = r;
	p->raw_alloc = ra;
	p->prev_nframes = p->nframes;
	p->prev_has_creator = p->g.flags & GD_G_HAS_CREATOR;
	p->prev_creator = p->creator;
	p->prev_creator_raw = p->creator_raw;
	p->prev_valid = !block_copied(p) && !(p->g.flags & GD_G_FRAMES_CAPPED);
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
			p->pend->flags |= GD_FRAME_NOFILE;
			add_frame(p, p->pend);
		}
		p->speculative = false;
	}
	if (p->nframes == 0 && !(g->flags & GD_G_UNAVAILABLE)) {
		/* A header with no stack is not a goroutine we can group. */
		p->stats.dropped++;
		block_reset(p);
		return;
	}
	g->frames = p->frames;
	g->nframes = (uint32_t)p->nframes;
	if (g->flags & GD_G_HAS_CREATOR)
		g->creator = p->creator;
	if (g->id && !p->new_dump && p->dump_has_g && idset_test_and_set(&p->ids, g->id))
		p->new_dump = true; /* this ID was in the dump already: a second dump */
	if (p->new_dump || !p->dump) {
		p->dump++;
		p->stats.dumps++;
		p->dump_has_g = false;
		p->new_dump = false;
		p->stats.has_crash_goid = false;
		if (!p->crash_pending) {
			/* A dump of its own (IDs repeat), not a crash's. */
			p->stats.preamble[0] = p->stats.signal[0] = '\0';
			p->stats.crash = false;
		}
		idset_clear(&p->ids);
		if (g->id)
			idset_test_and_set(&p->ids, g->id);
	}
	p->stats.ids_untracked = p->ids.off;
	g->dump = p->dump;
	if (p->crash_pending) {
		p->crash_pending = false;
		g->flags |= GD_G_CRASHED;
		p->stats.crash_goid = g->id;
		p->stats.has_crash_goid = true;
	}
	p->dump_has_g = true;
	p->stats.goroutines++;
	g->flags &= ~(uint32_t)GD_G_SAME_STACK;
	if (same_as_prev(p))
		g->flags |= GD_G_SAME_STACK;
	if (p->fn(g, p->ctx))
		p->stop = 1;
	remember_prev(p);
	block_reset(p);
}


static const unsigned char hex_digit[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

static inline bool is_hex(char c)
{
	return hex_digit[(unsigned char)c];
}

/* End of s without its trailing " +0x1c9" and " fp=0x… sp=0x… pc=0x…"
 * tokens.  Scanned backwards by hand over the hex digits: a memrchr for ' '
 * would run over the whole path of every file line. */
static inline const char *strip_pc_tokens(const char *s, const char *end)
{
	for (;;) {
		const char *q = end, *t;
		while (q > s && is_hex(q[-1]))
			q--;
		if (q == end || q - s < 4 || q[-1] != 'x' || q[-2] != '0')
			return end;
		t = q - 2; /* the "0" of "0x" */
		if (t[-1] == '+' && t - 1 > s && t[-2] == ' ') {
			end = t - 2;
		} else if (t - s >= 4 && t[-1] == '=' && (t[-2] == 'p' || t[-2] == 'c') &&
			   (t[-3] == 'f' || t[-3] == 's' || t[-3] == 'p') && t[-4] == ' ') {
			end = t - 4;
		} else if (t - s == 3 && t[-1] == '=') {
			return s; /* "pc=0x…" alone: a C frame with no file */
		} else {
			return end;
		}
	}
}

#ifdef __SSE2__
/* Index (0-15) of the last c among the 16 bytes before end, or -1. */
static inline int last_in_16(const char *end, char c)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
	unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
	return m ? 31 - __builtin_clz(m) : -1;
}

/* The common file line, "\t/path/file.go:123 +0x1c9" with a path of 16 bytes
 * or more: the space and the colon found with two 16-byte compares instead
 * of byte loops.  False: leave it to the general code (fp=/sp=/pc= tokens,
 * spaces in the path, short lines...). */
static inline bool file_line_fast(const char *s, const char *end, const char **fend, uint64_t *line)
{
	const char *t, *colon, *q;
	int k;
	uint64_t v = 0;
	if (end - s < 32)
		return false;
	k = last_in_16(end, ' ');
	if (k >= 0) {
		t = end - 16 + k;
		if (end - t < 5 || t[1] != '+' || t[2] != '0' || t[3] != 'x')
			return false;
		for (q = t + 4; q < end; q++)
			if (!is_hex(*q))
				return false;
		end = t;
	}
	k = last_in_16(end, ':');
	if (k < 0)
		return false;
	colon = end - 16 + k;
	if (end - colon < 2 || end - colon > 11)
		return false;
	for (q = colon + 1; q < end; q++) {
		if ((unsigned char)(*q - '0') >= 10)
			return false;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	*fend = colon;
	*line = v;
	return true;
}
#endif

/* The file line of frame p->nframes, known equal to the last goroutine's
 * at the same depth: take its parse. */
static inline void repeat_file_line(struct dump_parser *p, const char *s, size_t n)
{
	size_t i = p->nframes;
	const struct gd_frame *o = &p->prev_frames[i];
	p->raw[i].s = s;
	p->raw[i].n = n;
	p->nsame_files++;
	p->pend->file = s;
	p->pend->file_len = o->file_len;
	p->pend->line = o->line;
	p->pend->flags &= ~(uint32_t)GD_FRAME_NOFILE;
	p->nframes++; /* built in place: see add_frame() */
	p->expect_file = false;
}

/* "\t/path/file.go:123 +0x1c9 fp=0x… sp=0x… pc=0x…" */
static void parse_file_line(struct dump_parser *p, const char *s, size_t n)
{
	const char *end, *q;
	bool ok = true;
	uint64_t line = 0;
	while (n && (*s == '\t' || *s == ' ')) {
		s++;
		n--;
	}
	if (pend_in_stack(p)) {
		size_t i = p->nframes;
		if (p->prev_valid && i < p->prev_nframes && p->prev_raw[i].n == n && same_bytes(p->prev_raw[i].s, s, n) &&
		    !p->copy_lines) {
			repeat_file_line(p, s, n);
			return;
		}
		p->raw[i].s = s;
		p->raw[i].n = n;
	} else if (p->target == T_CREATOR) {
		p->creator_raw.s = s;
		p->creator_raw.n = n;
		if (p->creator_same == 1 && p->prev_creator_raw.n == n && same_bytes(p->prev_creator_raw.s, s, n)) {
			p->creator_same = 2;
			end = s + p->prev_creator.file_len;
			line = p->prev_creator.line;
			goto keep;
		}
	}
#ifdef __SSE2__
	if (file_line_fast(s, s + n, &end, &line))
		goto keep;
#endif
	end = strip_pc_tokens(s, s + n);
	/* ":LINE" at the end, read backwards (at most 10 digits: no overflow) */
	q = end;
	{
		const char *lim = end - s > 10 ? end - 10 : s;
		uint64_t mul = 1;
		while (q > lim && (unsigned char)(q[-1] - '0') < 10) {
			q--;
			line += (uint64_t)(*q - '0') * mul;
			mul *= 10;
		}
	}
	if (q < end && q > s && q[-1] == ':')
		end = q - 1;
	else
		line = 0;
keep:
	p->pend->file = keep_str(p, s, (size_t)(end - s), &ok);
	p->pend->file_len = (uint32_t)(end - s);
	p->pend->line = line > UINT32_MAX ? 0 : (uint32_t)line;
	p->pend->flags &= ~(uint32_t)GD_FRAME_NOFILE;
	if (ok)
		add_frame(p, p->pend);
	p->expect_file = false;
}

/* The last '(' of a function line s[0..n) that ends in ')', or NULL.
 * Arguments are short: it is usually among the last 16 or 32 bytes. */
static inline const char *last_paren(const char *s, size_t n)
{
#ifdef __SSE2__
	if (n >= 17) {
		int k = last_in_16(s + n - 1, '(');
		if (k >= 0)
			return s + n - 17 + k;
		if (n >= 33 && (k = last_in_16(s + n - 17, '(')) >= 0)
			return s + n - 33 + k;
	}
#endif
	return memrchr(s, '(', n - 1);
}

/* The pending frame's function and arguments, split at lp (the line's last
 * '(').  repeat_func_line() builds the same frame on its own: through here
 * it costs 13% more instructions on a big dump. */
static inline void set_func_args(struct dump_parser *p, const char *s, size_t n, const char *lp, bool *ok)
{
	size_t flen = (size_t)(lp - s), alen = n - flen - 2;
	const struct gd_frame *o = NULL;
	p->pend->func = keep_str(p, s, flen, ok);
	p->pend->func_len = (uint32_t)flen;
	if (p->keep_args) {
		p->pend->args = keep_str(p, lp + 1, alen, ok);
		p->pend->args_len = (uint32_t)alen;
	} else {
		p->pend->args = p->pend->func;
	}
	if (alen == 3 && !memcmp(lp + 1, "...", 3))
		p->pend->flags |= GD_FRAME_INLINED;
	if (p->prev_valid && pend_in_stack(p) && p->nframes < p->prev_nframes)
		o = &p->prev_frames[p->nframes];
	if (o && o->func_len == flen && same_bytes(o->func, s, flen) &&
	    (!p->keep_args || (o->args_len == alen && same_bytes(o->args, lp + 1, alen))))
		p->nsame_funcs++;
}

/* A function line of the form the last goroutine had at this depth: "NAME("
 * with its NAME, and that '(' the line's last, as parse_func_line() would
 * split it.  True when it was taken as such. */
static inline bool repeat_func_line(struct dump_parser *p, const char *s, const char *nl)
{
	const struct gd_frame *o = &p->prev_frames[p->nframes];
	size_t n = (size_t)(nl - s);
	size_t flen = o->func_len, alen;
	struct gd_frame *f;
	if (n > p->max_line || nl[-1] != ')' || last_paren(s, n) != s + flen)
		return false;
	alen = n - flen - 2;
	p->stats.lines++;
	/* As parse_func_line() builds it; the line is the caller's (no carry),
	 * so its strings stay in place. */
	f = p->pend = pend_slot(p);
	*f = (struct gd_frame){ .func = s, .func_len = (uint32_t)flen, .args = s, .flags = GD_FRAME_NOFILE };
	if (p->keep_args) {
		f->args = s + flen + 1;
		f->args_len = (uint32_t)alen;
		p->nsame_funcs += o->args_len == alen && same_bytes(o->args, f->args, alen);
	} else {
		p->nsame_funcs++;
	}
	f->file = f->args;
	if (alen == 3 && !memcmp(s + flen + 1, "...", 3))
		f->flags |= GD_FRAME_INLINED;
	p->expect_file = true;
	return true;
}

/* "pkg.(*T).Method(0xc000010000, {0x4d2f1a?, 0x5})" or "F(...)" (inlined). */
static bool parse_func_line(struct dump_parser *p, const char *s, size_t n)
{
	bool ok = true;
	const char *lp;
	p->pend = pend_slot(p);
	memset(p->pend, 0, sizeof(*p->pend));
	if (n && s[n - 1] == ')' && (lp = last_paren(s, n)) && lp > s) {
		set_func_args(p, s, n, lp, &ok);
	} else if (HAS_PREFIX(s, n, "non-Go function")) {
		p->pend->func = "non-Go function";
		p->pend->func_len = 15;
		p->pend->args = p->pend->func;
		p->pend->flags |= GD_FRAME_CGO;
	} else if (s[0] != '-' && !memchr(s, ' ', n) && !memchr(s, ':', n)) {
		/* A C frame named by a cgo symbolizer ("c_sleep_loop"), known
		 * for one only if its "\tfile:line pc=0x…" line follows. */
		p->pend->func = keep_str(p, s, n, &ok);
		p->pend->func_len = (uint32_t)n;
		p->pend->args = p->pend->func;
		p->pend->flags |= GD_FRAME_CGO;
		p->speculative = true;
	} else {
		return false;
	}
	p->pend->file = p->pend->args;
	p->pend->flags |= GD_FRAME_NOFILE;
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
		if (scan_u64(&q, end, &goid) && q == end) {
			if (p->target == T_STACK) {
				p->g.creator_goid = goid;
				p->g.flags |= GD_G_CREATOR_GOID;
			}
			end = in - 14;
		}
	}
	if (p->target == T_ANCESTOR)
		return; /* an ancestor's creator: not this goroutine's */
	p->pend = &p->pend_store;
	memset(p->pend, 0, sizeof(*p->pend));
	p->pend->func = keep_str(p, f, (size_t)(end - f), &ok);
	p->pend->func_len = (uint32_t)(end - f);
	p->pend->args = p->pend->func;
	p->pend->file = p->pend->func;
	p->pend->flags = GD_FRAME_NOFILE;
	p->creator_raw.n = NO_RAW_LINE;
	p->creator_same = p->prev_valid && p->prev_has_creator && p->prev_creator.func_len == p->pend->func_len &&
			  same_bytes(p->prev_creator.func, f, p->pend->func_len);
	p->target = T_CREATOR;
	p->g.flags |= GD_G_HAS_CREATOR;
	p->creator = *p->pend;
	p->expect_file = true;
}

static void parse_elision(struct dump_parser *p, const char *s, size_t n)
{
	/* "...additional frames elided..." (≤1.20, ancestors) or "...N frames elided..." */
	const char *q = s + 3;
	uint64_t v;
	if (p->target != T_STACK)
		return;
	if (scan_u64(&q, s + n, &v))
		p->g.elided += v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	else
		p->g.elided_unknown = true;
}

/* A line that starts a crash traceback: "panic: ", "fatal error: ", or a
 * signal header "SIGQUIT: quit" / "SIGSEGV: segmentation violation". */
static bool is_crash_header(const char *s, size_t n)
{
	if (HAS_PREFIX(s, n, "panic: ") || HAS_PREFIX(s, n, "fatal error: "))
		return true;
	if (HAS_PREFIX(s, n, "SIG")) {
		size_t i = 3;
		while (i < n && s[i] >= 'A' && s[i] <= 'Z')
			i++;
		return i > 3 && i + 1 < n && s[i] == ':' && s[i + 1] == ' ';
	}
	return false;
}

static void copy_line(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = n < cap - 1 ? n : cap - 1;
	memcpy(dst, s, k);
	dst[k] = '\0';
}

static void note_preamble(struct dump_parser *p, const char *s, size_t n)
{
	bool sep = p->after_separator;
	p->after_separator = n == 5 && !memcmp(s, "-----", 5);
	if (is_crash_header(s, n)) {
		if (sep && p->dump_has_g)
			return; /* GOTRACEBACK=crash: the next thread's part of the same dump */
		if (p->dump_has_g) {
			/* A second traceback in the same log: a new dump. */
			p->new_dump = true;
			p->stats.preamble[0] = p->stats.signal[0] = '\0';
			p->stats.crash = false;
		}
		p->stats.crash = true;
		p->crash_pending = true;
		if (s[0] == 'S') {
			if (!p->stats.signal[0])
				copy_line(p->stats.signal, sizeof(p->stats.signal), s, n);
		} else if (!p->stats.preamble[0]) {
			copy_line(p->stats.preamble, sizeof(p->stats.preamble), s, n);
		}
	} else if (HAS_PREFIX(s, n, "[signal ") && !p->stats.signal[0]) {
		p->stats.crash = true;
		copy_line(p->stats.signal, sizeof(p->stats.signal), s, n);
	}
}

/* Before the first header, a crash line may stand behind a log prefix not
 * learnt yet: keep it until the header says which prefix the log uses. */
static void note_candidate(struct dump_parser *p, const char *s, size_t n)
{
	static const char *const keys[] = { "panic: ", "fatal error: ", "SIG", "[signal " };
	const char *best = NULL;
	struct crash_candidate *c;
	if (p->seen_header || n < 4)
		return;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *h = memmem(s + 1, n - 1, keys[i], strlen(keys[i]));
		if (h && (!best || h < best))
			best = h;
	}
	if (!best || (size_t)(best - s) >= sizeof(p->prefix_shape))
		return;
	if (p->ncand == CRASH_CANDIDATES) {
		/* Keep the latest: the traceback is right before its first header. */
		memmove(&p->cand[0], &p->cand[1], sizeof(p->cand[0]) * (CRASH_CANDIDATES - 1));
		p->ncand--;
	}
	c = &p->cand[p->ncand++];
	c->len = (uint32_t)(n < sizeof(c->line) ? n : sizeof(c->line));
	memcpy(c->line, s, c->len);
	c->off = (uint32_t)(best - s);
}

static long match_prefix(const struct dump_parser *p, const char *s, size_t n);

/* The first header settled the prefix: keep the candidates that carry it. */
static void settle_candidates(struct dump_parser *p)
{
	p->seen_header = true;
	for (uint32_t i = 0; i < p->ncand; i++) {
		const struct crash_candidate *c = &p->cand[i];
		if (p->prefix_len && match_prefix(p, c->line, c->len) == (long)c->off)
			note_preamble(p, c->line + c->off, c->len - c->off);
	}
	p->ncand = 0;
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
	if (!p->seen_header)
		settle_candidates(p);
	return true;
}

/* Where x lies in [lo, hi), or -1 (a string constant). */
static ptrdiff_t offset_in(const char *x, const char *lo, const char *hi)
{
	uintptr_t a = (uintptr_t)x, l = (uintptr_t)lo, h = (uintptr_t)hi;
	return a >= l && a < h ? (ptrdiff_t)(a - l) : -1;
}

/* dump_parse_header(), for a header whose text after the ID is the last
 * header's: the same fields, another ID. */
static bool parse_header(struct dump_parser *p, const char *s, size_t n, struct gd_goroutine *g)
{
	const char *q = s + 10, *end = s + n;
	uint64_t id;
	if (p->hdr.valid && !p->copy_lines && scan_u64(&q, end, &id) && (size_t)(end - q) == p->hdr.n &&
	    same_bytes(q, p->hdr.s, p->hdr.n)) {
		*g = p->hdr.g;
		g->id = id;
		if (p->hdr.state_off >= 0)
			g->state = q + p->hdr.state_off;
		if (p->hdr.labels_off >= 0)
			g->labels = q + p->hdr.labels_off;
		p->hdr.s = q;
		return true;
	}
	if (!dump_parse_header(s, n, g))
		return false;
	q = s + 10;
	scan_u64(&q, end, &id);
	p->hdr.valid = !p->copy_lines;
	p->hdr.s = q;
	p->hdr.n = (size_t)(end - q);
	p->hdr.g = *g;
	p->hdr.state_off = offset_in(g->state, q, end);
	p->hdr.labels_off = offset_in(g->labels, q, end);
	return true;
}

static inline __attribute__((always_inline)) void process_line(struct dump_parser *p, const char *s, size_t n)
{
	p->stats.lines++;
	if (n && s[n - 1] == '\r')
		n--;
	/* A stray NUL or BEL (a log's other writers, copytruncate's zeros) at
	 * the start of a line: the line is what follows. */
	while (n && (unsigned char)*s < 0x20 && *s != '\t') {
		s++;
		n--;
	}
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
			p->pend->flags |= GD_FRAME_NOFILE;
			add_frame(p, p->pend);
		}
	}

	if (n == 0) {
		block_emit(p);
		return;
	}
	if (s[0] == 'g' && HAS_PREFIX(s, n, "goroutine ")) {
		struct gd_goroutine g;
		if (parse_header(p, s, n, &g)) {
			block_emit(p);
			block_start(p, &g);
			if (!p->seen_header)
				settle_candidates(p);
			return;
		}
	}
	if (!p->in_block) {
		if (!find_embedded_header(p, s, n)) {
			note_preamble(p, s, n);
			note_candidate(p, s, n);
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

static inline void move_str(struct dump_parser *p, const char **s, uint32_t n, const char *lo, const char *hi,
			    bool *ok)
{
	if (*s >= lo && *s <= hi)
		*s = arena_copy(p, *s, n, ok);
}

static void move_frame(struct dump_parser *p, struct gd_frame *f, const char *lo, const char *hi, bool *ok)
{
	move_str(p, &f->func, f->func_len, lo, hi, ok);
	move_str(p, &f->args, f->args_len, lo, hi, ok);
	move_str(p, &f->file, f->file_len, lo, hi, ok);
}

/* The open block's strings that point into [lo, hi] (the buffer of the
 * feed() call ending) move to the arena. */
static void relocate(struct dump_parser *p, const char *lo, const char *hi)
{
	bool ok = true;
	move_str(p, &p->g.state, p->g.state_len, lo, hi, &ok);
	move_str(p, &p->g.labels, p->g.labels_len, lo, hi, &ok);
	for (size_t i = 0; i < p->nframes; i++)
		move_frame(p, &p->frames[i], lo, hi, &ok);
	if (p->expect_file)
		move_frame(p, p->pend, lo, hi, &ok);
	if (p->g.flags & GD_G_HAS_CREATOR)
		move_frame(p, &p->creator, lo, hi, &ok);
	if (!ok) {
		/* Over the cap: the frames kept so far are all we keep. */
		p->g.flags |= GD_G_FRAMES_CAPPED;
		p->nframes = 0;
		p->expect_file = false;
		p->g.state = "";
		p->g.state_len = 0;
		p->g.labels = "";
		p->g.labels_len = 0;
		p->g.flags &= ~(uint32_t)GD_G_HAS_CREATOR;
	}
}

/* The next '\n' in [s, end), or NULL.  Lines are short (~40 bytes): an
 * inline 16-byte scan beats a memchr call per line. */
static inline const char *find_newline(const char *s, const char *end)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	while (end - s >= 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)s), nl));
		if (m)
			return s + __builtin_ctz(m);
		s += 16;
	}
#endif
	return memchr(s, '\n', (size_t)(end - s));
}

/* The lines at buf that repeat the last goroutine's frames at the same
 * depth, taken without the line-by-line path; returns where they end.  The
 * caller checked what holds for the whole run: in a block's stack, the last
 * goroutine's strings still here, no log prefix, no line carried over. */
static const char *repeat_lines(struct dump_parser *p, const char *buf, const char *end)
{
	while (p->nframes < p->prev_nframes && p->nframes < DUMP_MAX_FRAMES) {
		if (p->expect_file) {
			/* The file line, byte for byte: its end is known, and
			 * neither the newline scan nor the parse is needed. */
			const struct raw_line *r = &p->prev_raw[p->nframes];
			if (!pend_in_stack(p) || r->n >= (size_t)(end - buf) - 1 || buf[0] != '\t' ||
			    buf[r->n + 1] != '\n' || !same_bytes(buf + 1, r->s, r->n))
				break;
			p->stats.lines++;
			p->speculative = false;
			repeat_file_line(p, buf + 1, r->n);
			buf += r->n + 2;
		} else {
			/* The function, with other arguments.  A line that starts
			 * with the name of a function the last goroutine had and
			 * '(' is no header, "created by" or elision line: that name
			 * already passed for a function line. */
			const struct gd_frame *o = &p->prev_frames[p->nframes];
			size_t flen = o->func_len;
			const char *nl;
			if (!flen || (size_t)(end - buf) <= flen + 1 || buf[flen] != '(' || !same_bytes(buf, o->func, flen) ||
			    !(nl = find_newline(buf + flen + 1, end)) || !repeat_func_line(p, buf, nl))
				break;
			buf = nl + 1;
		}
		if (buf >= end)
			break;
	}
	return buf;
}

enum gd_err dump_parser_feed(struct dump_parser *p, const char *buf, size_t len)
{
	const char *end = buf + len;
	if (len)
		p->stats.bytes += len;
	while (buf < end && !p->stop) {
		const char *nl;
		if (p->in_block && p->prev_valid && p->target == T_STACK && !p->prefix_len && !p->carry.len &&
		    !p->skipping) {
			const char *next = repeat_lines(p, buf, end);
			if (next != buf) {
				buf = next;
				continue;
			}
		}
		if (*buf == '\0' && !p->carry.len && !p->skipping) {
			/* A run of NULs (copytruncate's hole) is no line at all. */
			while (buf < end && *buf == '\0')
				buf++;
			continue;
		}
		nl = find_newline(buf, end);
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
				p->copy_lines = true;
				process_line(p, p->carry.buf, p->carry.len);
				p->copy_lines = false;
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
	if (p->in_block)
		relocate(p, end - len, end); /* buf is the caller's: it goes away */
	p->prev_valid = false;         /* ...and the last goroutine's strings with it */
	p->hdr.valid = false;
	return p->stop ? GD_EARG : GD_OK;
}

/* Is s (a last line, without its newline) a whole "\tFILE:LINE" file line,
 * with " +0x1c9" (and maybe " fp=0x… sp=0x… pc=0x…")?  Then nothing of the
 * goroutine was lost.  Go prints the offset for every frame but inlined ones
 * ("F(...)") and C frames, so only those may end at ":LINE": any other line
 * ending there was cut in its number or before its offset. */
static bool complete_file_line(const char *s, size_t n, bool offset_optional)
{
	bool offset = false;
	const char *end, *colon, *q;
	if (n && s[n - 1] == '\r')
		n--;
	if (!n || (s[0] != '\t' && s[0] != ' '))
		return false;
	end = s + n;
	/* Walk back over complete " +0xHEX" / " fp=0xHEX" tokens. */
	for (;;) {
		const char *sp = memrchr(s, ' ', (size_t)(end - s)), *t;
		size_t tl;
		if (!sp)
			break;
		t = sp + 1;
		tl = (size_t)(end - t);
		if (HAS_PREFIX(t, tl, "+0x") || HAS_PREFIX(t, tl, "fp=0x") || HAS_PREFIX(t, tl, "sp=0x") ||
		    HAS_PREFIX(t, tl, "pc=0x")) {
			const char *h = t + (t[0] == '+' ? 3 : 5);
			if (h >= end)
				return false;
			for (const char *c = h; c < end; c++)
				if (!is_hex(*c))
					return false;
			offset = true;
			end = sp;
		} else {
			break;
		}
	}
	colon = memrchr(s, ':', (size_t)(end - s));
	if (!colon || colon + 1 >= end)
		return false;
	for (q = colon + 1; q < end; q++)
		if (*q < '0' || *q > '9')
			return false;
	return offset || offset_optional;
}

enum gd_err dump_parser_finish(struct dump_parser *p)
{
	bool cut;
	if (p->stop)
		return GD_EARG;
	if (!p->skipping && p->carry.len && p->in_block && p->expect_file &&
	    complete_file_line(p->carry.buf, p->carry.len,
			       p->target == T_STACK && (p->pend->flags & (GD_FRAME_INLINED | GD_FRAME_CGO)))) {
		/* Pasted without its final newline: the last frame is whole. */
		p->copy_lines = true;
		process_line(p, p->carry.buf, p->carry.len);
		strbuf_reset(&p->carry);
		p->last_newline = true;
	}
	cut = !p->last_newline || p->skipping || p->carry.len;
	p->stats.at_pprof_cap = p->stats.bytes == DUMP_PPROF_CAP;
	if (cut || p->stats.at_pprof_cap) {
		/* Whatever block was open lost its tail: drop it. */
		if (p->in_block || p->stats.at_pprof_cap || p->skipping) {
			p->stats.truncated = true;
			if (p->in_block) {
				p->stats.dropped++;
				block_reset(p);
			}
		} else if (p->carry.len && memmem(p->carry.buf, p->carry.len, "goroutine ", 10)) {
			p->stats.truncated = true; /* a header cut short */
		} else if (p->carry.len) {
			/* A last line outside any goroutine (a log line, "exit
			 * status 2" without its newline): nothing was lost. */
			p->copy_lines = true;
			process_line(p, p->carry.buf, p->carry.len);
		}
		strbuf_reset(&p->carry);
		if (p->stats.truncated)
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

bool dump_parser_ids_overlap(const struct dump_parser *a, const struct dump_parser *b)
{
	if (a->ids.off || b->ids.off)
		return true; /* cannot tell: assume the worst */
	for (size_t i = 0; i < b->ids.nslots; i++) {
		const struct idslot *sl = &b->ids.slots[i];
		const uint64_t *other;
		if (!sl->key || !(other = idset_page(&a->ids, sl->key)))
			continue;
		for (size_t w = 0; w < IDPAGE_WORDS; w++)
			if (sl->bits[w] & other[w])
				return true;
	}
	return false;
}
