/* SPDX-License-Identifier: MIT */
/* The goroutine-id reader of a second look (any debug=2 text a target or a
 * ticket gives), and the survival count between the input and itself. */
#include <stddef.h>
#include <stdint.h>

#include "diagnose/survival.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct survival_set a;
	struct survival_count c;
	struct gd_errbuf eb;
	uint64_t keys[4];
	size_t nk = 0;
	survival_set_init(&a);
	survival_set_parse(&a, (const char *)data, size, &eb);
	for (size_t i = 0; i < a.n && nk < 4; i++)
		keys[nk++] = a.v[i].key;
	survival_count(&a, &a, keys, nk, &c);
	if (c.survived > c.earlier)
		__builtin_trap();
	survival_set_release(&a);
	return 0;
}
