/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the Prometheus text parser, its lookups and the
 * MemStats mapping. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "remote/promtext.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prom_set s;
	struct gd_errbuf eb;
	struct go_memstats ms;
	struct prom_go_info info;

	prom_set_init(&s);
	prom_parse(&s, (const char *)data, size, "fuzz", &eb);
	for (size_t i = 0; i < s.n; i++) {
		const struct prom_sample *smp = &s.samples[i];
		if (smp->nlabels > PROM_MAX_LABELS || (smp->nlabels && !smp->labels))
			abort();
		for (uint32_t j = 0; j < smp->nlabels; j++)
			if (!prom_label(smp, smp->labels[j].name))
				abort();
	}
	if (s.n && !prom_get(&s, s.samples[0].name, NULL))
		abort();
	prom_get(&s, "go_goroutines", "a=b,c=d");
	prom_to_memstats(&s, &ms, &info);
	if (strlen(info.go_version) >= sizeof(info.go_version))
		abort();
	prom_set_release(&s);
	return 0;
}
