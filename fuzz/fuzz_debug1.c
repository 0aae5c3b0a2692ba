/* SPDX-License-Identifier: MIT */
/* The debug=1 goroutine profile parser, fed the input in pieces whose size
 * the input chooses (lines split across feeds), with a callback that reads
 * every byte of every record so ASan sees any bad slice. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goroutine/debug1.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads land here so the compiler keeps them. */
static volatile uint64_t sink;

static int touch(const struct gd_record *r, void *ctx)
{
	uint64_t sum = 0;
	(void)ctx;
	for (uint32_t i = 0; i < r->labels_len; i++)
		sum += (unsigned char)r->labels[i];
	for (uint32_t i = 0; i < r->nframes; i++) {
		const struct gd_frame *f = &r->frames[i];
		for (uint32_t j = 0; j < f->func_len; j++)
			sum += (unsigned char)f->func[j];
		for (uint32_t j = 0; j < f->file_len; j++)
			sum += (unsigned char)f->file[j];
		sum += f->line + f->args_len;
	}
	sink += sum;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct debug1_parser *p = debug1_parser_new(touch, NULL);
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1;
	const struct debug1_stats *st;

	for (size_t off = 0; off < size; off += step)
		if (debug1_parser_feed(p, (const char *)data + off,
				       size - off < step ? size - off : step) != GD_OK)
			break;
	debug1_parser_finish(p);
	st = debug1_parser_stats(p);
	/* A profile read as complete accounts for its whole header total. */
	if (!*debug1_parser_error(p) && !debug1_parser_truncated(p) &&
	    st->goroutines < debug1_parser_total(p))
		abort();
	debug1_parser_free(p);
	return 0;
}
