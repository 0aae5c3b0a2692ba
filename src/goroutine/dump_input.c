/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>

#include "goroutine/debug1.h"
#include "goroutine/dump_input.h"
#include "goroutine/dump_parse.h"
#include "goroutine/profile_input.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *dump_format_name(enum dump_format f)
{
	switch (f) {
	case DUMP_FMT_DEBUG2: return "debug=2";
	case DUMP_FMT_DEBUG1: return "debug=1";
	case DUMP_FMT_PROTO: return "debug=0";
	default: return "unknown";
	}
}

/* --- keeping one dump of several ------------------------------------------ */

static void select_init(struct dump_select *s, const struct grouping *like, uint32_t want)
{
	memset(s, 0, sizeof(*s));
	grouping_init(&s->own, like->mode, like->top_n);
	s->own.filter = like->filter;
	s->want = want;
}

static void select_release(struct dump_select *s)
{
	grouping_release(&s->own);
}

/* The first goroutine (or record) of dump d. */
static void select_new_dump(struct dump_select *s, uint32_t d)
{
	s->seen = d;
	if (d > s->dumps)
		s->dumps = d;
	if (s->want && s->want != d)
		return;
	if (s->own.total || s->own.nbuckets) {
		/* A later dump replaces the one kept so far. */
		struct grouping fresh;
		grouping_init(&fresh, s->own.mode, s->own.top_n);
		fresh.filter = s->own.filter;
		grouping_release(&s->own);
		s->own = fresh;
	}
	s->preamble[0] = s->signal[0] = '\0';
	if (s->p) {
		const struct dump_stats *st = dump_parser_stats(s->p);
		snprintf(s->preamble, sizeof(s->preamble), "%s", st->preamble);
		snprintf(s->signal, sizeof(s->signal), "%s", st->signal);
	}
}

static int select_goroutine(const struct gd_goroutine *g, void *ctx)
{
	struct dump_select *s = ctx;
	if (g->dump != s->seen)
		select_new_dump(s, g->dump);
	if (s->want && g->dump != s->want)
		return 0;
	return grouping_add_goroutine(g, &s->own);
}

static int select_record(const struct gd_record *r, void *ctx)
{
	struct dump_select *s = ctx;
	if (r->dump != s->seen)
		select_new_dump(s, r->dump);
	if (s->want && r->dump != s->want)
		return 0;
	return grouping_add_record(r, &s->own);
}

void dump_input_init(struct dump_input *in, struct grouping *g, size_t max_line)
{
	memset(in, 0, sizeof(*in));
	in->g = g;
	in->max_line = max_line ? max_line : DUMP_DEFAULT_MAX_LINE;
	strbuf_init(&in->proto, DUMP_PROTO_MAX);
	select_init(&in->sel, g, 0);
}

void dump_input_release(struct dump_input *in)
{
	dump_parser_free(in->d2);
	profile_input_free_debug1(in->d1);
	strbuf_release(&in->proto);
	if (in->gzipped)
		gz_reader_release(&in->gz);
	select_release(&in->sel);
	memset(in, 0, sizeof(*in));
}

void dump_input_flush(struct dump_input *in)
{
	if (in->merged)
		return;
	in->merged = true;
	in->dumps = in->sel.dumps;
	in->read_goroutines = in->sel.own.total;
	grouping_merge(in->g, &in->sel.own);
}

const struct dump_stats *dump_input_stats(const struct dump_input *in)
{
	return in->format == DUMP_FMT_DEBUG2 ? &in->stats : NULL;
}

/* --- what the bytes are --------------------------------------------------- */

static bool starts_with(const unsigned char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && !memcmp(s, lit, l);
}

/* A "goroutine N [" or "goroutine N gp=" header anywhere in s. */
static bool has_dump_header(const unsigned char *s, size_t n)
{
	const unsigned char *end = s + n, *h = s;
	while ((h = memmem(h, (size_t)(end - h), "goroutine ", 10))) {
		const unsigned char *q = h + 10;
		if (q < end && *q >= '0' && *q <= '9') {
			while (q < end && *q >= '0' && *q <= '9')
				q++;
			if (end - q >= 2 && q[0] == ' ' && (q[1] == '[' || q[1] == 'g' || q[1] == 'm'))
				return true;
		}
		h += 10;
	}
	return false;
}

/* Text is printable ASCII, TAB/CR/LF and UTF-8 (bytes >= 0x80); NULs do not
 * count either way (NUL padding).  A log with a stray BEL is still text. */
static bool mostly_text(const unsigned char *s, size_t n)
{
	size_t text = 0, other = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == 0)
			continue;
		if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
			text++;
		else
			other++;
	}
	return text && other * 20 <= text + other; /* at least 95% text */
}

static enum gd_err pick_format(struct dump_input *in)
{
	const unsigned char *s = in->sniff;
	size_t n = in->nsniff;
	if (starts_with(s, n, "goroutine profile: total ") || starts_with(s, n, "goroutineleak profile: total ")) {
		in->format = DUMP_FMT_DEBUG1;
		in->d1 = profile_input_new_debug1(select_record, &in->sel);
	} else if (starts_with(s, n, "\x7f" "ELF")) {
		in->elf = true;
		return gd_fail(&in->eb, GD_EFORMAT, "is an ELF binary, not a goroutine dump");
	} else if (n && !mostly_text(s, n) && !has_dump_header(s, n)) {
		/* A profile.proto starts with a field tag (Go writes sample_type,
		 * field 1, first); anything else is binary junk, rejected now
		 * rather than buffered up to the cap. */
		unsigned field = s[0] >> 3, wire = s[0] & 7;
		if (field < 1 || field > 14 || (wire != 0 && wire != 2))
			return gd_fail(&in->eb, GD_EFORMAT, in->gzipped ?
				       "gzip'd binary data, neither a goroutine dump nor a pprof profile" :
				       "unrecognised format: binary data, neither gzip nor a pprof profile");
		in->format = DUMP_FMT_PROTO;
	} else {
		in->format = DUMP_FMT_DEBUG2;
		in->d2 = dump_parser_new(select_goroutine, &in->sel, in->max_line);
		dump_parser_keep_args(in->d2, in->g->mode == GROUP_EXACT_ARGS);
		in->sel.p = in->d2;
	}
	in->sel.want = in->want_dump;
	return GD_OK;
}

static enum gd_err route(struct dump_input *in, const void *buf, size_t n)
{
	switch (in->format) {
	case DUMP_FMT_DEBUG2:
		return dump_parser_feed(in->d2, buf, n);
	case DUMP_FMT_DEBUG1:
		return profile_input_feed_debug1(in->d1, buf, n, &in->eb);
	case DUMP_FMT_PROTO:
		if (strbuf_add(&in->proto, buf, n))
			return gd_fail(&in->eb, GD_ETOOBIG, "profile exceeds %zu MiB", DUMP_PROTO_MAX >> 20);
		return GD_OK;
	default:
		return GD_OK;
	}
}

/* Decoded bytes (after gzip, if any): sniff, then route. */
static enum gd_err decoded_write(const void *data, size_t n, void *ctx)
{
	struct dump_input *in = ctx;
	const unsigned char *p = data;
	size_t k;
	enum gd_err e;
	in->bytes += n;
	if (in->format != DUMP_FMT_UNKNOWN)
		return route(in, p, n);
	if (!in->nsniff) {
		/* Leading NULs (copytruncate) say nothing about the format. */
		while (n && !*p) {
			p++;
			n--;
		}
	}
	/* Hold bytes back until the format is clear. */
	k = DUMP_SNIFF_LEN - in->nsniff < n ? DUMP_SNIFF_LEN - in->nsniff : n;
	memcpy(in->sniff + in->nsniff, p, k);
	in->nsniff += k;
	p += k;
	n -= k;
	if (in->nsniff < DUMP_SNIFF_LEN)
		return GD_OK;
	if ((e = pick_format(in)) || (e = route(in, in->sniff, in->nsniff)))
		return e;
	return n ? route(in, p, n) : GD_OK;
}

static enum gd_err raw_to_decoder(struct dump_input *in, const void *buf, size_t n)
{
	if (in->gzipped) {
		/* zlib's errors go to zeb; the parsers' to in->eb. */
		struct gd_errbuf zeb = { "" };
		enum gd_err e = gz_reader_feed(&in->gz, buf, n, decoded_write, in, &zeb);
		if (e && zeb.msg[0])
			gd_fail(&in->eb, e, "gzip: %s", zeb.msg);
		return e;
	}
	return decoded_write(buf, n, in);
}

enum gd_err dump_input_write(struct dump_input *in, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	enum gd_err e;
	in->raw_bytes += n;
	if (in->decided_gzip)
		return raw_to_decoder(in, p, n);
	while (n && in->nraw_sniff < 2) {
		in->raw_sniff[in->nraw_sniff++] = *p++;
		n--;
	}
	if (in->nraw_sniff < 2)
		return GD_OK;
	in->decided_gzip = true;
	if (gz_is_gzip(in->raw_sniff, in->nraw_sniff)) {
		in->gzipped = true;
		/* A gzip'd text dump may legitimately be big; the cap is what a
		 * bomb would blow through. */
		gz_reader_init(&in->gz, (size_t)16 << 30);
	}
	if ((e = raw_to_decoder(in, in->raw_sniff, in->nraw_sniff)))
		return e;
	return n ? raw_to_decoder(in, p, n) : GD_OK;
}

static enum gd_err finish_format(struct dump_input *in, bool gz_cut, const char *gz_msg)
{
	enum gd_err e;
	switch (in->format) {
	case DUMP_FMT_DEBUG2: {
		const struct dump_stats *st = &in->stats;
		if (!in->parallel) {
			dump_parser_finish(in->d2);
			in->stats = *dump_parser_stats(in->d2);
		}
		in->truncated |= st->truncated;
		in->long_lines = st->long_lines;
		if (st->goroutines == 0) {
			if (gz_cut)
				return gd_fail(&in->eb, GD_ETRUNCATED, "truncated gzip stream: %s", gz_msg);
			if (st->long_lines)
				return gd_fail(&in->eb, GD_EFORMAT,
					       "no goroutines found; %llu line(s) over %zu KiB skipped (not a goroutine dump?)",
					       (unsigned long long)st->long_lines, in->max_line >> 10);
			if (st->truncated && st->dropped)
				return gd_fail(&in->eb, GD_ETRUNCATED, "truncated: 0 goroutines read, the rest lost");
			return gd_fail(&in->eb, GD_EFORMAT, "no goroutines found (not a goroutine dump?)");
		}
		return GD_OK;
	}
	case DUMP_FMT_DEBUG1:
		e = profile_input_finish_debug1(in->d1, &in->truncated, &in->eb);
		if (e && gz_cut)
			return gd_fail(&in->eb, GD_ETRUNCATED, "truncated gzip stream: %s", gz_msg);
		return e;
	case DUMP_FMT_PROTO:
		in->sel.dumps = 1;
		e = profile_input_decode_proto(&in->sel.own, in->proto.buf, in->proto.len, &in->eb);
		if (e && in->truncated) {
			/* The real cause is the cut, not the half message it left. */
			char why[GD_ERRBUF_SIZE];
			snprintf(why, sizeof(why), "%s", in->eb.msg);
			gd_fail(&in->eb, GD_ETRUNCATED, "truncated gzip stream: %s", why);
			e = GD_ETRUNCATED;
		}
		return e;
	default:
		return gd_fail(&in->eb, GD_EFORMAT, "unrecognised format");
	}
}

enum gd_err dump_input_finish(struct dump_input *in)
{
	enum gd_err e;
	bool gz_cut = false;
	char gz_msg[GD_ERRBUF_SIZE] = "";
	if (!in->decided_gzip) {
		/* Fewer than two bytes in all. */
		in->decided_gzip = true;
		if ((e = decoded_write(in->raw_sniff, in->nraw_sniff, in)))
			goto out;
	} else if (in->gzipped) {
		struct gd_errbuf zeb = { "" };
		if ((e = gz_reader_finish(&in->gz, &zeb))) {
			if (e != GD_ETRUNCATED) {
				gd_fail(&in->eb, e, "gzip: %s", zeb.msg);
				goto out;
			}
			in->truncated = true;
			gz_cut = true;
			snprintf(gz_msg, sizeof(gz_msg), "%s", zeb.msg);
		}
	}
	if (in->format == DUMP_FMT_UNKNOWN) {
		if (in->nsniff == 0) {
			e = gz_cut ? gd_fail(&in->eb, GD_ETRUNCATED, "truncated gzip stream: %s", gz_msg)
			    : in->bytes ? gd_fail(&in->eb, GD_EFORMAT, "unrecognised format: only NUL bytes")
			    : gd_fail(&in->eb, GD_EFORMAT, "is empty");
			goto out;
		}
		if ((e = pick_format(in)) || (e = route(in, in->sniff, in->nsniff)))
			goto out;
	}
	e = finish_format(in, gz_cut, gz_msg);
out:
	in->dumps = in->sel.dumps;
	in->read_goroutines = in->sel.own.total;
	if (in->format == DUMP_FMT_DEBUG2) {
		/* The kept dump's crash header, not the last one seen. */
		memcpy(in->stats.preamble, in->sel.preamble, sizeof(in->stats.preamble));
		memcpy(in->stats.signal, in->sel.signal, sizeof(in->stats.signal));
		in->stats.crash = in->sel.preamble[0] || in->sel.signal[0];
	}
	if (!e && in->want_dump > in->sel.dumps)
		e = gd_fail(&in->eb, GD_EARG, "holds %u dump%s; --dump %u is out of range", in->sel.dumps,
			    in->sel.dumps == 1 ? "" : "s", in->want_dump);
	dump_input_flush(in);
	return e;
}

/* --- two threads for big in-memory dumps --------------------------------- */

#define PARALLEL_MIN ((size_t)64 << 20)
#define FEED_CHUNK ((size_t)16 << 20)

/* The parsers copy what they keep, so a chunk already fed can leave our
 * resident set: a mapped 1 GB dump must not cost 1 GB of RSS.  Only whole
 * pages inside [p, p+n) are dropped; the page cache keeps the file. */
static void drop_pages(const char *p, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), b = ((uintptr_t)p + n) & ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

struct half {
	const char *buf;
	size_t len;
	struct dump_select sel;
	struct dump_parser *p;
	atomic_uint_fast64_t *done;
	bool drop;
};

static void half_run(struct half *h, dump_progress_fn progress, void *ctx)
{
	for (size_t off = 0; off < h->len; off += FEED_CHUNK) {
		size_t n = h->len - off < FEED_CHUNK ? h->len - off : FEED_CHUNK;
		dump_parser_feed(h->p, h->buf + off, n);
		if (h->drop)
			drop_pages(h->buf + off, n);
		atomic_fetch_add(h->done, n);
		if (progress)
			progress(atomic_load(h->done), ctx);
	}
	dump_parser_finish(h->p);
}

static void *half_thread(void *arg)
{
	half_run(arg, NULL, NULL);
	return NULL;
}

static void half_init(struct half *h, const struct grouping *like, size_t max_line, const char *buf,
		      size_t len, atomic_uint_fast64_t *done)
{
	h->buf = buf;
	h->len = len;
	h->done = done;
	select_init(&h->sel, like, 0);
	h->p = dump_parser_new(select_goroutine, &h->sel, max_line);
	dump_parser_keep_args(h->p, like->mode == GROUP_EXACT_ARGS);
	h->sel.p = h->p;
}

static void half_release(struct half *h)
{
	dump_parser_free(h->p);
	select_release(&h->sel);
}

/* The start of a goroutine block at or after the middle, or 0. */
static size_t find_split(const char *buf, size_t len)
{
	static const char pat[] = "\n\ngoroutine ";
	const char *mid = buf + len / 2, *hit;
	size_t window = len - len / 2;
	if (window > FEED_CHUNK)
		window = FEED_CHUNK;
	hit = memmem(mid, window, pat, sizeof(pat) - 1);
	return hit ? (size_t)(hit - buf) + 2 : 0;
}

/* Both halves parsed: true if they are one dump, whose statistics and
 * goroutines are then in `in`.  Otherwise (several dumps: which is the
 * last, or the wanted one, needs one pass in order) nothing is kept. */
static bool halves_join(struct dump_input *in, struct half *a, struct half *b, size_t len)
{
	const struct dump_stats *sa = dump_parser_stats(a->p), *sb = dump_parser_stats(b->p);
	if (a->sel.dumps > 1 || b->sel.dumps > 1 || dump_parser_ids_overlap(a->p, b->p))
		return false;
	grouping_merge(&in->sel.own, &a->sel.own);
	grouping_merge(&in->sel.own, &b->sel.own);
	in->sel.dumps = a->sel.dumps || b->sel.dumps ? 1 : 0;
	memcpy(in->sel.preamble, a->sel.preamble, sizeof(in->sel.preamble));
	memcpy(in->sel.signal, a->sel.signal, sizeof(in->sel.signal));
	in->stats = *sb;
	in->stats.goroutines += sa->goroutines;
	in->stats.lines += sa->lines;
	in->stats.bytes += sa->bytes;
	in->stats.noise_lines += sa->noise_lines;
	in->stats.long_lines += sa->long_lines;
	in->stats.dropped += sa->dropped;
	in->stats.dumps = in->sel.dumps;
	in->stats.at_pprof_cap = len == DUMP_PPROF_CAP;
	in->stats.truncated = sb->truncated || in->stats.at_pprof_cap;
	in->stats.crash |= sa->crash;
	in->stats.has_crash_goid = sa->has_crash_goid;
	in->stats.crash_goid = sa->crash_goid;
	return true;
}

enum gd_err dump_input_parse_buffer(struct dump_input *in, const char *buf, size_t len, bool mapped,
				    dump_progress_fn progress, void *progress_ctx)
{
	size_t split, lead = 0;
	enum gd_err e;
	while (lead < len && !buf[lead])
		lead++; /* copytruncate's NULs */
	if (len - lead >= PARALLEL_MIN && in->want_dump == 0 && !gz_is_gzip(buf + lead, len - lead) &&
	    in->raw_bytes == 0 && (split = find_split(buf + lead, len - lead)) != 0) {
		const char *b0 = buf + lead;
		size_t l0 = len - lead;
		/* Decide the format on the first bytes, as write() would. */
		memcpy(in->sniff, b0, DUMP_SNIFF_LEN);
		in->nsniff = DUMP_SNIFF_LEN;
		in->decided_gzip = true;
		if ((e = pick_format(in)))
			return e;
		if (in->format == DUMP_FMT_DEBUG2) {
			atomic_uint_fast64_t done = lead;
			struct half a, b;
			pthread_t t;
			bool joined;
			half_init(&a, in->g, in->max_line, b0, split, &done);
			half_init(&b, in->g, in->max_line, b0 + split, l0 - split, &done);
			a.drop = b.drop = mapped;
			if (pthread_create(&t, NULL, half_thread, &a)) {
				half_run(&a, progress, progress_ctx);
			} else {
				half_run(&b, progress, progress_ctx);
				pthread_join(t, NULL);
			}
			joined = halves_join(in, &a, &b, len);
			half_release(&a);
			half_release(&b);
			if (joined) {
				in->raw_bytes = in->bytes = len;
				in->parallel = true;
				return dump_input_finish(in);
			}
			/* Several dumps: read it again, in order, on one thread. */
		}
		/* Another format, or several dumps: feed it the ordinary way,
		 * sniffed bytes first. */
		in->raw_bytes = in->bytes = lead + DUMP_SNIFF_LEN;
		if ((e = route(in, b0, DUMP_SNIFF_LEN)))
			return e;
		buf = b0 + DUMP_SNIFF_LEN;
		len = l0 - DUMP_SNIFF_LEN;
	}
	for (size_t off = 0; off < len; off += FEED_CHUNK) {
		size_t n = len - off < FEED_CHUNK ? len - off : FEED_CHUNK;
		if ((e = dump_input_write(in, buf + off, n)))
			return e;
		if (mapped && in->format != DUMP_FMT_PROTO)
			drop_pages(buf + off, n);
		if (progress)
			progress(off + n, progress_ctx);
	}
	return dump_input_finish(in);
}

/* --- a reader thread for streams ------------------------------------------- */

#define RING_BUFS 4
#define RING_BUF_SIZE ((size_t)4 << 20)

struct ring {
	int fd;
	uint64_t cap, total;
	bool capped;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *buf[RING_BUFS];
	size_t len[RING_BUFS];
	unsigned head, tail; /* filled: [tail, head); the reader fills head */
	bool eof, stop;
	int err;             /* errno of a failed read */
};

static void ring_unlock(void *mu)
{
	pthread_mutex_unlock(mu);
}

/* Fill one buffer: a pipe hands out at most 64 KiB per read(). */
static size_t ring_fill(struct ring *r, char *buf)
{
	size_t n = 0;
	while (n < RING_BUF_SIZE) {
		size_t want = RING_BUF_SIZE - n;
		ssize_t k;
		if (r->total + n + want > r->cap)
			want = (size_t)(r->cap - r->total - n);
		if (!want) {
			char c;
			/* At the cap: is there more? */
			while ((k = read(r->fd, &c, 1)) < 0 && errno == EINTR)
				;
			r->capped = k > 0;
			break;
		}
		k = read(r->fd, buf + n, want);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r->err = errno;
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	return n;
}

/* Publish a filled buffer (the mutex held). */
static void ring_publish(struct ring *r, unsigned slot, size_t n)
{
	r->len[slot] = n;
	r->total += n;
	if (n)
		r->head++;
	if (n < RING_BUF_SIZE)
		r->eof = true;
}

static void *ring_reader(void *arg)
{
	struct ring *r = arg;
	for (;;) {
		unsigned slot;
		size_t n;
		bool stop;
		pthread_mutex_lock(&r->mu);
		/* The parser may give up while we wait: it cancels us. */
		pthread_cleanup_push(ring_unlock, &r->mu);
		while (r->head - r->tail == RING_BUFS && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		stop = r->stop;
		slot = r->head % RING_BUFS;
		pthread_cleanup_pop(1);
		if (stop)
			return NULL;
		n = ring_fill(r, r->buf[slot]);
		pthread_mutex_lock(&r->mu);
		ring_publish(r, slot, n);
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		if (n < RING_BUF_SIZE)
			return NULL;
	}
}

enum gd_err dump_input_read_fd(struct dump_input *in, int fd, uint64_t cap, bool *capped,
			       dump_progress_fn progress, void *progress_ctx, char *msg, size_t msglen)
{
	struct ring r;
	pthread_t t;
	bool threaded;
	enum gd_err e = GD_OK;
	uint64_t done = 0;
	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.cap = cap;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int i = 0; i < RING_BUFS; i++)
		r.buf[i] = xmalloc(RING_BUF_SIZE);
	threaded = !pthread_create(&t, NULL, ring_reader, &r);
	for (;;) {
		unsigned slot;
		size_t n;
		if (!threaded && !r.eof && r.head == r.tail)
			ring_publish(&r, r.head % RING_BUFS, ring_fill(&r, r.buf[r.head % RING_BUFS])); /* on this thread */
		pthread_mutex_lock(&r.mu);
		while (r.head == r.tail && !r.eof)
			pthread_cond_wait(&r.cv, &r.mu);
		if (r.head == r.tail) {
			pthread_mutex_unlock(&r.mu);
			break;
		}
		slot = r.tail % RING_BUFS;
		n = r.len[slot];
		pthread_mutex_unlock(&r.mu);
		if (!e)
			e = dump_input_write(in, r.buf[slot], n);
		done += n;
		if (progress && !e)
			progress(done, progress_ctx);
		pthread_mutex_lock(&r.mu);
		r.tail++;
		if (e)
			r.stop = true; /* nothing more is wanted */
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		if (e)
			break;
	}
	if (threaded) {
		if (e)
			pthread_cancel(t); /* it may sit in read() on a pipe that never ends */
		pthread_join(t, NULL);
	}
	for (int i = 0; i < RING_BUFS; i++)
		free(r.buf[i]);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	*capped = r.capped;
	if (e)
		return e;
	if (r.err) {
		snprintf(msg, msglen, "read failed: %s", strerror(r.err));
		dump_input_flush(in);
		return GD_EIO;
	}
	if (r.capped)
		in->truncated = true;
	return dump_input_finish(in);
}
