/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>

#include "goroutine/dump_input.h"
#include "goroutine/dump_parse.h"
#include "goroutine/profile_input.h"
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

void dump_input_init(struct dump_input *in, struct grouping *g, size_t max_line)
{
	memset(in, 0, sizeof(*in));
	in->g = g;
	in->max_line = max_line ? max_line : DUMP_DEFAULT_MAX_LINE;
	strbuf_init(&in->proto, DUMP_PROTO_MAX);
}

void dump_input_release(struct dump_input *in)
{
	dump_parser_free(in->d2);
	profile_input_free_debug1(in->d1);
	strbuf_release(&in->proto);
	if (in->gzipped)
		gz_reader_release(&in->gz);
	memset(in, 0, sizeof(*in));
}

const struct dump_stats *dump_input_stats(const struct dump_input *in)
{
	return in->format == DUMP_FMT_DEBUG2 ? &in->stats : NULL;
}

static bool looks_binary(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == 0 || (s[i] < 0x09) || (s[i] > 0x0d && s[i] < 0x20 && s[i] != 0x1b))
			return true;
	return false;
}

static bool starts_with(const unsigned char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && !memcmp(s, lit, l);
}

static enum gd_err pick_format(struct dump_input *in)
{
	const unsigned char *s = in->sniff;
	size_t n = in->nsniff;
	if (starts_with(s, n, "goroutine profile: total ") || starts_with(s, n, "goroutineleak profile: total ")) {
		in->format = DUMP_FMT_DEBUG1;
		in->d1 = profile_input_new_debug1(in->g);
	} else if (starts_with(s, n, "\x7f" "ELF")) {
		in->elf = true;
		return gd_fail(&in->eb, GD_EFORMAT, "is an ELF binary, not a goroutine dump");
	} else if (n && looks_binary(s, n)) {
		/* A profile.proto starts with a field tag (Go writes sample_type,
		 * field 1, first); anything else is binary junk, rejected now
		 * rather than buffered up to the cap. */
		unsigned field = s[0] >> 3, wire = s[0] & 7;
		if (field < 1 || field > 14 || (wire != 0 && wire != 2))
			return gd_fail(&in->eb, GD_EFORMAT, "unrecognised format: binary data, neither gzip nor a pprof profile");
		in->format = DUMP_FMT_PROTO;
	} else {
		in->format = DUMP_FMT_DEBUG2;
		in->d2 = dump_parser_new(grouping_add_goroutine, in->g, in->max_line);
	}
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
	enum gd_err e;
	in->bytes += n;
	if (in->format != DUMP_FMT_UNKNOWN)
		return route(in, p, n);
	/* Hold bytes back until the format is clear. */
	while (n && in->nsniff < DUMP_SNIFF_LEN) {
		in->sniff[in->nsniff++] = *p++;
		n--;
	}
	if (in->nsniff < DUMP_SNIFF_LEN)
		return GD_OK;
	if ((e = pick_format(in)) || (e = route(in, in->sniff, in->nsniff)))
		return e;
	return n ? route(in, p, n) : GD_OK;
}

static enum gd_err raw_to_decoder(struct dump_input *in, const void *buf, size_t n)
{
	if (in->gzipped)
		return gz_reader_feed(&in->gz, buf, n, decoded_write, in, &in->eb);
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

enum gd_err dump_input_finish(struct dump_input *in)
{
	enum gd_err e;
	if (!in->decided_gzip) {
		/* Fewer than two bytes in all. */
		in->decided_gzip = true;
		if ((e = decoded_write(in->raw_sniff, in->nraw_sniff, in)))
			return e;
	} else if (in->gzipped && (e = gz_reader_finish(&in->gz, &in->eb))) {
		if (e != GD_ETRUNCATED)
			return e;
		in->truncated = true;
	}
	if (in->format == DUMP_FMT_UNKNOWN) {
		if (in->bytes == 0)
			return gd_fail(&in->eb, GD_EFORMAT, "is empty");
		if ((e = pick_format(in)) || (e = route(in, in->sniff, in->nsniff)))
			return e;
	}
	switch (in->format) {
	case DUMP_FMT_DEBUG2: {
		const struct dump_stats *st = &in->stats;
		if (!in->parallel) {
			dump_parser_finish(in->d2);
			in->stats = *dump_parser_stats(in->d2);
		}
		in->truncated |= st->truncated;
		in->read_goroutines = st->goroutines;
		in->long_lines = st->long_lines;
		if (st->goroutines == 0) {
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
		in->read_goroutines = in->g->total;
		return e;
	case DUMP_FMT_PROTO:
		e = profile_input_decode_proto(in->g, in->proto.buf, in->proto.len, &in->eb);
		in->read_goroutines = in->g->total;
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
	struct grouping g;
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
	grouping_init(&h->g, like->mode, like->top_n);
	h->g.filter = like->filter;
	h->p = dump_parser_new(grouping_add_goroutine, &h->g, max_line);
}

static void half_release(struct half *h)
{
	dump_parser_free(h->p);
	grouping_release(&h->g);
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

enum gd_err dump_input_parse_buffer(struct dump_input *in, const char *buf, size_t len, bool mapped,
				    dump_progress_fn progress, void *progress_ctx)
{
	size_t split;
	enum gd_err e;
	if (len >= PARALLEL_MIN && !gz_is_gzip(buf, len) && in->raw_bytes == 0 &&
	    (split = find_split(buf, len)) != 0) {
		/* Decide the format on the first bytes, as write() would. */
		memcpy(in->sniff, buf, DUMP_SNIFF_LEN);
		in->nsniff = DUMP_SNIFF_LEN;
		in->decided_gzip = true;
		if ((e = pick_format(in)))
			return e;
		if (in->format == DUMP_FMT_DEBUG2) {
			atomic_uint_fast64_t done = 0;
			struct half a, b;
			pthread_t t;
			const struct dump_stats *sa, *sb;
			half_init(&a, in->g, in->max_line, buf, split, &done);
			half_init(&b, in->g, in->max_line, buf + split, len - split, &done);
			a.drop = b.drop = mapped;
			if (pthread_create(&t, NULL, half_thread, &a)) {
				half_run(&a, progress, progress_ctx);
			} else {
				half_run(&b, progress, progress_ctx);
				pthread_join(t, NULL);
			}
			sa = dump_parser_stats(a.p);
			sb = dump_parser_stats(b.p);
			grouping_merge(in->g, &a.g);
			grouping_merge(in->g, &b.g);
			in->stats = *sb;
			in->stats.goroutines += sa->goroutines;
			in->stats.lines += sa->lines;
			in->stats.bytes += sa->bytes;
			in->stats.noise_lines += sa->noise_lines;
			in->stats.long_lines += sa->long_lines;
			in->stats.dropped += sa->dropped;
			in->stats.at_pprof_cap = len == DUMP_PPROF_CAP;
			in->stats.truncated = sb->truncated || in->stats.at_pprof_cap;
			in->stats.crash |= sa->crash;
			if (sa->preamble[0])
				memcpy(in->stats.preamble, sa->preamble, sizeof(sa->preamble));
			if (sa->signal[0])
				memcpy(in->stats.signal, sa->signal, sizeof(sa->signal));
			half_release(&a);
			half_release(&b);
			in->raw_bytes = in->bytes = len;
			in->parallel = true;
			return dump_input_finish(in);
		}
		/* Another format: feed it the ordinary way, sniffed bytes first. */
		in->raw_bytes = in->bytes = DUMP_SNIFF_LEN;
		if ((e = route(in, buf, DUMP_SNIFF_LEN)))
			return e;
		buf += DUMP_SNIFF_LEN;
		len -= DUMP_SNIFF_LEN;
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
