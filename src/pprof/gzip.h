/* SPDX-License-Identifier: MIT */
/* gzip/zlib inflate with a hard cap on output, and gzip deflate for writing.
 *
 * Everything we inflate comes from a target (debug=0 profiles, heap
 * profiles, bundles), so a few KB of input must never turn into gigabytes of
 * memory: the reader counts output bytes and fails with GD_ETOOBIG as soon as
 * the cap would be passed, before the bytes reach the callback.  The format
 * (gzip or zlib) is detected from the header; concatenated gzip members are
 * read as one stream, as gzip(1) does.
 *
 * Errors: GD_ETOOBIG "decompressed size exceeds 256 MiB", GD_ETRUNCATED when
 * the input ends before the end of the compressed stream (reported by
 * gz_reader_finish), GD_EFORMAT for corrupt data or trailing garbage.  A
 * non-GD_OK return from the output callback stops the reader and is returned
 * as is (the callback fills eb itself if it wants a message). */
#ifndef GODIAG_PPROF_GZIP_H
#define GODIAG_PPROF_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define GZ_DEFAULT_MAX_OUT ((size_t)256 << 20)

struct z_stream_s;

typedef enum gd_err (*gz_out_fn)(const void *data, size_t n, void *ctx);

struct gz_reader {
	struct z_stream_s *zs;   /* allocated on the first feed */
	unsigned char *outbuf;
	size_t max_out;
	uint64_t total_in;
	uint64_t total_out;
	enum gd_err err;         /* sticky: once failed, every call returns it */
	bool in_member;          /* inside a gzip member / zlib stream */
	bool ended;              /* at least one stream ended cleanly */
};

/* True if buf starts like a gzip member (1f 8b) — for format sniffing. */
bool gz_is_gzip(const void *buf, size_t n);

/* Prepare a reader; allocates nothing.  max_out 0 means GZ_DEFAULT_MAX_OUT. */
void gz_reader_init(struct gz_reader *z, size_t max_out);
/* Inflate n more bytes of input, calling out() with each chunk of output. */
enum gd_err gz_reader_feed(struct gz_reader *z, const void *in, size_t n,
			   gz_out_fn out, void *ctx, struct gd_errbuf *eb);
/* End of input: GD_ETRUNCATED unless the last stream was complete. */
enum gd_err gz_reader_finish(struct gz_reader *z, struct gd_errbuf *eb);
void gz_reader_release(struct gz_reader *z);

/* Inflate a whole buffer into a malloc'd one (NUL-terminated for
 * convenience, the NUL not counted in *outlen).  On error *out is NULL. */
enum gd_err gunzip_buffer(const void *in, size_t n, size_t max_out,
			  unsigned char **out, size_t *outlen, struct gd_errbuf *eb);

/* Deflate a whole buffer as one gzip member into a malloc'd buffer. */
enum gd_err gzip_buffer(const void *in, size_t n,
			unsigned char **out, size_t *outlen, struct gd_errbuf *eb);

#endif
