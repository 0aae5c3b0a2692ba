/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the /debug/vars (expvar JSON) parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote/expvar.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expvar_vars v;
	struct gd_errbuf eb;
	enum gd_err rc;

	expvar_vars_init(&v);
	rc = expvar_parse(&v, (const char *)data, size, "fuzz", &eb);
	if (rc != GD_OK && (v.has_memstats || v.ncmdline))
		abort();
	if (v.ncmdline > EXPVAR_MAX_ARGS)
		abort();
	for (size_t i = 0; i < v.ncmdline; i++)
		if (strlen(v.cmdline[i]) > EXPVAR_MAX_ARG_LEN)
			abort();
	expvar_vars_release(&v);
	return 0;
}
