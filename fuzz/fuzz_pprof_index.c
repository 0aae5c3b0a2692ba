/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the /debug/pprof/ index page parser (remote/discover):
 * the page comes from whatever answers on a probed port. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote/discover.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pprof_index idx;
	struct gd_errbuf eb;
	enum gd_err rc;

	memset(&idx, 0, sizeof(idx));
	rc = pprof_index_parse((const char *)data, size, &idx, &eb);
	if (idx.n > PPROF_INDEX_MAX_PROFILES)
		abort();
	for (size_t i = 0; i < idx.n; i++)
		if (!memchr(idx.v[i].name, '\0', sizeof(idx.v[i].name)))
			abort();
	if (rc == GD_OK && !idx.n)
		abort();
	if (rc != GD_OK && !memchr(eb.msg, '\0', sizeof(eb.msg)))
		abort();
	(void)pprof_index_get(&idx, "goroutine");
	return 0;
}
