/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the census replay: the input is an uncompressed
 * recording (facts, then {addr, len, ok, bytes} records), run through the
 * whole census (pclntab decoding, allgs, every g and stack, unwinding and
 * the debug=2 writer) offline.  Seed: a recording of a Go 1.21 process. */
#include <stdint.h>
#include <stdlib.h>

#include "census/census.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out = STRBUF_INIT_MAX(16 << 20);
	struct census_stats st;
	struct gd_errbuf eb;
	if (census_replay_mem(data, size, &out, &st, &eb) != GD_OK && out.len)
		abort(); /* a failed census prints nothing */
	strbuf_release(&out);
	return 0;
}
