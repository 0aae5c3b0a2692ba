/* SPDX-License-Identifier: MIT */
/* Evidence recognition: every file in a ticket's directory goes through it,
 * and it runs several parsers on what it is given. */
#include <stddef.h>
#include <stdint.h>

#include "diagnose/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evidence_sniff_info info;
	evidence_sniff("fuzz", data, size);
	evidence_sniff_ex("fuzz.txt", data, size, &info);
	return 0;
}
