/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the heap?debug=1 text parser and the growth
 * comparison over what it produced (the proto side goes through
 * fuzz_pprof via profile_decode). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/heap.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct heap_profile a, b;
	struct heap_growth g[4];
	struct gd_errbuf eb;
	size_t half = size / 2, n;

	heap_profile_init(&a);
	heap_profile_init(&b);
	heap_profile_parse_text(&a, (const char *)data, size, &eb);
	heap_profile_parse_text(&b, (const char *)data, half, &eb);
	for (size_t i = 0; i < a.nsites; i++)
		if (a.sites[i].nframes > HEAP_MAX_FRAMES)
			abort();
	n = heap_profile_growth(&b, &a, g, 4);
	if (n > 4)
		abort();
	for (size_t i = 0; i < n; i++)
		if (g[i].delta_bytes <= 0 || g[i].after_bytes <= g[i].before_bytes)
			abort();
	/* Nothing grows against itself. */
	if (heap_profile_growth(&a, &a, g, 4) != 0)
		abort();
	heap_profile_release(&a);
	heap_profile_release(&b);
	return 0;
}
