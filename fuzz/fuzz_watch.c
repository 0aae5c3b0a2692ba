/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for watch_body_parse(): the first byte picks the source
 * (/metrics, /debug/vars, goroutine?debug=1's first line, heap?debug=1),
 * the rest is the target's answer. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "watch/watch.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_sample s;
	char why[256];
	bool ok;
	if (!size)
		return 0;
	watch_sample_clear(&s);
	why[0] = '\0';
	ok = watch_body_parse((enum watch_body)(data[0] % 4), (const char *)data + 1, size - 1, "fuzz", &s, why,
			      sizeof(why));
	if (!ok && !why[0])
		abort(); /* a refusal always says why */
	if (ok && data[0] % 4 == WB_GOROUTINE1 && !(s.v[WF_GOROUTINES] >= 0))
		abort();
	return 0;
}
