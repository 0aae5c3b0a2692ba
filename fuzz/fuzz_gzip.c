/* SPDX-License-Identifier: MIT */
/* Capped gzip/zlib inflate: the push API in pieces the input chooses must
 * agree with the one-shot API, and never pass the 1 MiB cap to the callback. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/gzip.h"
#include "util/strbuf.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP ((size_t)1 << 20)

static enum gd_err to_sb(const void *d, size_t n, void *ctx)
{
	return strbuf_add(ctx, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gz_reader z;
	struct strbuf sb;
	struct gd_errbuf eb;
	unsigned char *out;
	size_t outlen, step = size ? (size_t)data[size - 1] % 97 + 1 : 1;
	enum gd_err e1 = GD_OK, e2;

	gz_reader_init(&z, CAP);
	strbuf_init(&sb, STRBUF_UNLIMITED);
	for (size_t off = 0; off < size && !e1; off += step)
		e1 = gz_reader_feed(&z, data + off, size - off < step ? size - off : step,
				    to_sb, &sb, &eb);
	if (!e1)
		e1 = gz_reader_finish(&z, &eb);
	if (sb.len > CAP)
		abort();
	gz_reader_release(&z);

	e2 = gunzip_buffer(data, size, CAP, &out, &outlen, &eb);
	if (e1 != e2)
		abort();
	if (e2 == GD_OK) {
		if (outlen != sb.len || memcmp(out, sb.buf, outlen))
			abort();
		free(out);
	}
	strbuf_release(&sb);
	return 0;
}
