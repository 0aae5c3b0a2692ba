/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the runtime.MemStats trailer parser and the RSS
 * split built on its numbers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/memstats.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	struct go_memstats ms;
	struct go_mem_split sp;
	struct gd_errbuf eb;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (go_memstats_parse(buf, size, &ms, "fuzz", &eb) != GD_EFORMAT || ms.known) {
		go_mem_split_compute(&ms, ms.v[MS_MAX_RSS], true, ms.v[MS_ALLOC], &sp);
		/* Floors hold whatever the numbers. */
		if (sp.go_retained > ms.v[MS_SYS] || sp.heap_idle > ms.v[MS_HEAP_IDLE])
			abort();
	}
	free(buf);
	return 0;
}
