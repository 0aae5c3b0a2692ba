/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the Prometheus HTTP API response parser. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote/promapi.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prom_result r;
	struct gd_errbuf eb;
	enum gd_err rc = promapi_parse((const char *)data, size, &r, &eb);

	if (rc != GD_OK && (r.nseries || r.nwarnings))
		abort();
	if (r.nwarnings > PROM_MAX_WARNINGS)
		abort();
	for (size_t i = 0; i < r.nseries; i++) {
		const struct prom_series *s = &r.series[i];
		if (s->nlabels > PROM_MAX_LABELS)
			abort();
		for (size_t j = 0; j < s->nlabels; j++)
			if (strlen(s->labels[j].value) > PROM_MAX_LABEL_LEN)
				abort();
		for (size_t j = 0; j < s->npts; j++)
			if (!isfinite(s->pts[j].t))
				abort();
	}
	prom_result_release(&r);
	return 0;
}
