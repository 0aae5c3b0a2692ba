/* SPDX-License-Identifier: MIT */
/* Capped streaming inflate and one-shot deflate over zlib (see gzip.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pprof/gzip.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/human.h"
#include "util/banned.h"

#define GZ_CHUNK (64 * 1024)

bool gz_is_gzip(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

void gz_reader_init(struct gz_reader *z, size_t max_out)
{
	memset(z, 0, sizeof(*z));
	z->max_out = max_out ? max_out : GZ_DEFAULT_MAX_OUT;
}

void gz_reader_release(struct gz_reader *z)
{
	if (z->zs) {
		inflateEnd(z->zs);
		free(z->zs);
	}
	free(z->outbuf);
	gz_reader_init(z, z->max_out);
}

static enum gd_err zerr(struct gz_reader *z, int ret, struct gd_errbuf *eb)
{
	if (ret == Z_MEM_ERROR)
		z->err = gd_fail(eb, GD_ENOMEM, "out of memory while decompressing");
	else
		z->err = gd_fail(eb, GD_EFORMAT, "corrupt compressed data after %" PRIu64 " bytes: %s",
				 z->total_in, z->zs->msg ? z->zs->msg : "bad stream");
	return z->err;
}

/* Hand one chunk of output over, enforcing the cap first: the caller must
 * never see a byte past max_out. */
static enum gd_err emit(struct gz_reader *z, size_t have, gz_out_fn out, void *ctx,
			struct gd_errbuf *eb)
{
	if (!have)
		return GD_OK;
	if (have > z->max_out - z->total_out) {
		char sz[32];
		human_size_exact(sz, sizeof(sz), z->max_out);
		z->err = gd_fail(eb, GD_ETOOBIG, "decompressed size exceeds %s", sz);
		return z->err;
	}
	z->total_out += have;
	if (out) {
		enum gd_err e = out(z->outbuf, have, ctx);
		if (e != GD_OK)
			return z->err = e;
	}
	return GD_OK;
}

enum gd_err gz_reader_feed(struct gz_reader *z, const void *in, size_t n,
			   gz_out_fn out, void *ctx, struct gd_errbuf *eb)
{
	const unsigned char *p = in;

	if (z->err)
		return z->err;
	if (!z->zs) {
		z->zs = xcalloc(1, sizeof(*z->zs));
		z->outbuf = xmalloc(GZ_CHUNK);
		/* 15 + 32: auto-detect a gzip or zlib header. */
		if (inflateInit2(z->zs, 15 + 32) != Z_OK) {
			free(z->zs);
			z->zs = NULL;
			return z->err = gd_fail(eb, GD_ENOMEM, "cannot initialise zlib");
		}
	}
	while (n > 0) {
		/* avail_in is a uInt: feed at most 1 GiB at a time. */
		uInt step = n > (1u << 30) ? (1u << 30) : (uInt)n;
		z->zs->next_in = (Bytef *)p;
		z->zs->avail_in = step;
		if (!z->in_member) {
			if (z->ended) {
				/* Another gzip member follows the previous one. */
				if (inflateReset(z->zs) != Z_OK)
					return zerr(z, Z_STREAM_ERROR, eb);
			}
			z->in_member = true;
		}
		/* Loop also while the last call filled the whole output
		 * buffer: inflate may hold more output with no input left. */
		for (;;) {
			int ret;
			size_t have;
			uInt before = z->zs->avail_in;
			enum gd_err e;

			z->zs->next_out = z->outbuf;
			z->zs->avail_out = GZ_CHUNK;
			ret = inflate(z->zs, Z_NO_FLUSH);
			z->total_in += before - z->zs->avail_in;
			have = GZ_CHUNK - z->zs->avail_out;
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
				return zerr(z, ret, eb);
			e = emit(z, have, out, ctx, eb);
			if (e != GD_OK)
				return e;
			if (ret == Z_STREAM_END) {
				z->in_member = false;
				z->ended = true;
				break;
			}
			if (have == 0 && z->zs->avail_in == before) {
				if (before > 0) /* stuck: never spin on input */
					return zerr(z, Z_DATA_ERROR, eb);
				break; /* needs more input */
			}
			if (z->zs->avail_in == 0 && z->zs->avail_out != 0)
				break;
		}
		step -= z->zs->avail_in;
		p += step;
		n -= step;
	}
	return GD_OK;
}

enum gd_err gz_reader_finish(struct gz_reader *z, struct gd_errbuf *eb)
{
	if (z->err)
		return z->err;
	if (!z->zs || (!z->ended && z->total_in == 0))
		return z->err = gd_fail(eb, GD_ETRUNCATED, "empty compressed input");
	if (z->in_member)
		return z->err = gd_fail(eb, GD_ETRUNCATED,
					"compressed data ends early (after %" PRIu64 " bytes in, %" PRIu64 " out)",
					z->total_in, z->total_out);
	return GD_OK;
}

static enum gd_err to_strbuf(const void *data, size_t n, void *ctx)
{
	return strbuf_add(ctx, data, n);
}

enum gd_err gunzip_buffer(const void *in, size_t n, size_t max_out,
			  unsigned char **out, size_t *outlen, struct gd_errbuf *eb)
{
	struct gz_reader z;
	struct strbuf sb;
	enum gd_err e;

	*out = NULL;
	*outlen = 0;
	gz_reader_init(&z, max_out);
	strbuf_init(&sb, STRBUF_UNLIMITED);
	e = gz_reader_feed(&z, in, n, to_strbuf, &sb, eb);
	if (e == GD_OK)
		e = gz_reader_finish(&z, eb);
	gz_reader_release(&z);
	if (e != GD_OK) {
		strbuf_release(&sb);
		return e;
	}
	*out = (unsigned char *)strbuf_detach(&sb, outlen);
	return GD_OK;
}

enum gd_err gzip_buffer(const void *in, size_t n,
			unsigned char **out, size_t *outlen, struct gd_errbuf *eb)
{
	z_stream zs;
	uLong bound;
	unsigned char *buf;
	int ret;

	*out = NULL;
	*outlen = 0;
	if (n > (1u << 30))
		return gd_fail(eb, GD_ETOOBIG, "cannot compress more than 1 GiB at once");
	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: write a gzip header and trailer, as pprof expects. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return gd_fail(eb, GD_ENOMEM, "cannot initialise zlib");
	bound = deflateBound(&zs, (uLong)n) + 32; /* + gzip header/trailer slack */
	buf = xmalloc(bound);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = buf;
	zs.avail_out = (uInt)bound;
	ret = deflate(&zs, Z_FINISH);
	if (ret != Z_STREAM_END) {
		deflateEnd(&zs);
		free(buf);
		return gd_fail(eb, GD_EIO, "deflate failed (%d)", ret);
	}
	*outlen = zs.total_out;
	*out = buf;
	deflateEnd(&zs);
	return GD_OK;
}
