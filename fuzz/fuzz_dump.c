/* SPDX-License-Identifier: MIT */
/* The debug=2 / traceback parser and grouping, fed the input in two pieces
 * split at a point the input chooses (the streaming path), checked against
 * the same input fed byte by byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "goroutine/dump_input.h"
#include "goroutine/dump_parse.h"
#include "goroutine/group.h"
#include "report/stacks_report.h"

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
	dump_parser_keep_args(p, g.mode == GROUP_EXACT_ARGS);
	dump_parser_feed(p, (const char *)data, split);
	dump_parser_feed(p, (const char *)data + split, size - split);
	dump_parser_finish(p);
	if (size <= 16384) {
		/* Byte by byte, every line is a copy and the parser's
		 * same-stack shortcuts are off: the groups must not change. */
		struct grouping gb;
		struct dump_parser *pb;
		grouping_init(&gb, g.mode, 3);
		pb = dump_parser_new(grouping_add_goroutine, &gb, 4096);
		dump_parser_keep_args(pb, g.mode == GROUP_EXACT_ARGS);
		for (size_t i = 0; i < size; i++)
			dump_parser_feed(pb, (const char *)data + i, 1);
		dump_parser_finish(pb);
		if (!grouping_same(&g, &gb))
			abort();
		dump_parser_free(pb);
		grouping_release(&gb);
	}
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

	/* The sniffing front end: gzip, debug=1, protobuf or text; one dump of
	 * several kept (the last, or the one the input names), a label filter,
	 * and the renderers over the result (crash bucket first, label sets). */
	{
		static const char *labels[] = { "k=v" };
		struct dump_input in;
		FILE *null = fopen("/dev/null", "w");
		grouping_init(&g, GROUP_ANY_ARGS, 0);
		if (size && data[0] & 1) {
			g.filter.labels = labels;
			g.filter.nlabels = 1;
		}
		dump_input_init(&in, &g, 4096);
		in.want_dump = size > 1 ? data[1] % 3 : 0;
		if (!dump_input_write(&in, data, size))
			dump_input_finish(&in);
		else
			dump_input_flush(&in);
		if (null) {
			struct stacks_report r = { .source = "fuzz", .format = in.format, .g = &g,
						   .has_crash_goid = g.has_crash, .crash_goid = g.crash_goid,
						   .crash_bucket = grouping_crash_bucket(&g) };
			v = grouping_sorted(&g, &n);
			r.buckets = v;
			r.nbuckets = n;
			stacks_render_text(null, &r, false);
			stacks_render_json(null, &r);
			stacks_render_html(null, &r);
			free(v);
			fclose(null);
		}
		labels_match((const char *)data, size, size > 2 && data[2] & 1 ? "k=v" : "=");
		dump_input_release(&in);
		grouping_release(&g);
	}
	return 0;
}
