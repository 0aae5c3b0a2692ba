/* SPDX-License-Identifier: MIT */
/* The debug=2 / traceback parser and grouping, fed the input whole and in
 * two pieces split at a point the input chooses (the streaming path). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "goroutine/dump_input.h"
#include "goroutine/dump_parse.h"
#include "goroutine/group.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grouping g;
	struct dump_parser *p;
	struct bucket **v;
	size_t n, split = size ? data[0] % (size + 1) : 0;
	enum group_mode modes[] = { GROUP_ANY_ARGS, GROUP_EXACT_ARGS, GROUP_TOP_N, GROUP_CREATOR };

	grouping_init(&g, modes[size % 4], 3);
	p = dump_parser_new(grouping_add_goroutine, &g, 4096);
	dump_parser_feed(p, (const char *)data, split);
	dump_parser_feed(p, (const char *)data + split, size - split);
	dump_parser_finish(p);
	v = grouping_sorted(&g, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t a, b, c;
		uint64_t bins[WAIT_BINS];
		bucket_wait_stats(v[i], &a, &b, &c);
		bucket_wait_histogram(v[i], bins);
	}
	free(v);
	dump_parser_free(p);
	grouping_release(&g);

	/* The sniffing front end: gzip, debug=1, protobuf or text. */
	{
		struct dump_input in;
		grouping_init(&g, GROUP_ANY_ARGS, 0);
		dump_input_init(&in, &g, 4096);
		if (!dump_input_write(&in, data, size))
			dump_input_finish(&in);
		dump_input_release(&in);
		grouping_release(&g);
	}
	return 0;
}
