/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for input routing (goroutine/dump_input): the front end
 * that sniffs gzip, debug=1, protobuf or debug=2 text and hands the bytes to
 * a parser.  Differential: the input written in pieces (split where its
 * first byte says) and the input parsed whole must route to the same format
 * and read the same goroutines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "goroutine/dump_input.h"
#include "goroutine/group.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	enum gd_err rc;
	enum dump_format format;
	uint64_t total;
};

static struct result streamed(const uint8_t *data, size_t size)
{
	struct grouping g;
	struct dump_input in;
	struct result r;
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1;

	grouping_init(&g, GROUP_ANY_ARGS, 0);
	dump_input_init(&in, &g, 4096);
	r.rc = GD_OK;
	for (size_t off = 0; off < size && r.rc == GD_OK; off += step)
		r.rc = dump_input_write(&in, data + off, size - off < step ? size - off : step);
	if (r.rc == GD_OK)
		r.rc = dump_input_finish(&in);
	else
		dump_input_flush(&in);
	r.format = in.format;
	r.total = g.total;
	dump_input_release(&in);
	grouping_release(&g);
	return r;
}

static struct result whole(const uint8_t *data, size_t size)
{
	struct grouping g;
	struct dump_input in;
	struct result r;

	grouping_init(&g, GROUP_ANY_ARGS, 0);
	dump_input_init(&in, &g, 4096);
	r.rc = dump_input_parse_buffer(&in, (const char *)data, size, false, NULL, NULL);
	r.format = in.format;
	r.total = g.total;
	dump_input_release(&in);
	grouping_release(&g);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result a = streamed(data, size), b = whole(data, size);

	/* Only a clean read of both must agree; a cut-short input may stop
	 * at different points in the two paths. */
	if (a.rc == GD_OK && b.rc == GD_OK && (a.format != b.format || a.total != b.total))
		abort();
	return 0;
}
