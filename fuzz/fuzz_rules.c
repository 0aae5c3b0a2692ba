/* SPDX-License-Identifier: MIT */
/* The rules file parser (user rules come from --rules FILE). */
#include <stddef.h>
#include <stdint.h>

#include "diagnose/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset rs;
	struct gd_errbuf eb;
	ruleset_init(&rs);
	ruleset_parse(&rs, (const char *)data, size, "fuzz", &eb);
	ruleset_release(&rs);
	return 0;
}
