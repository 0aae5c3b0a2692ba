/* SPDX-License-Identifier: MIT */
/* The profile.proto decoder (plain or gzip'd) and, for what decodes, the
 * goroutine record walk and a round trip through the profile writer: the
 * re-encoded profile must decode and hold the same goroutine total. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/pprof_write.h"
#include "pprof/profile.h"
#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads land here so the compiler keeps them. */
static volatile uint64_t sink;

struct ctx {
	struct pprof_builder b;
	uint64_t total;
};

static int add(const struct gd_record *r, void *arg)
{
	struct ctx *c = arg;
	int64_t v = (int64_t)r->count;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < r->labels_len; i++)
		sum += (unsigned char)r->labels[i];
	sink += sum;
	c->total += r->count;
	if (r->nframes)
		pprof_builder_add(&c->b, r->frames, r->nframes, &v, "labels",
				  r->labels_len ? r->labels : NULL);
	else
		c->total -= r->count; /* the writer refuses empty stacks */
	return 0;
}

/* debug=0 shown as debug=1: every frame of the trimmed stack readable. */
static int touch_record(const struct gd_record *r, void *arg)
{
	uint64_t sum = r->count;
	(void)arg;
	for (uint32_t i = 0; i < r->nframes; i++)
		sum += r->frames[i].func_len ? (unsigned char)r->frames[i].func[r->frames[i].func_len - 1] : 0;
	sink += sum;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pprof_sample_type types[] = { { "goroutine", "count" } };
	struct profile_limits lim = { 4u << 20, 64u << 20 };
	struct profile p, q;
	struct gd_errbuf eb;
	struct ctx c;
	unsigned char *buf;
	size_t len;

	if (profile_decode(&p, data, size, &lim, &eb) != GD_OK) {
		profile_release(&p);
		return 0;
	}
	/* Every model pointer must be readable. */
	for (size_t i = 0; i < p.nsamples; i++) {
		const struct profile_sample *s = &p.samples[i];
		uint64_t sum = 0;
		for (size_t j = 0; j < p.nsample_types; j++)
			sum += (uint64_t)s->values[j];
		for (uint32_t j = 0; j < s->nlocs; j++)
			for (uint32_t k = 0; k < s->locs[j]->nlines; k++)
				sum += (uint64_t)s->locs[j]->lines[k].line +
				       strlen(s->locs[j]->lines[k].function->name);
		for (uint32_t j = 0; j < s->nlabels; j++)
			sum += strlen(s->labels[j].key) + strlen(s->labels[j].num_unit);
		sink += sum;
	}
	if (p.nsample_types > 0 && p.nsamples < 5000) {
		memset(&c, 0, sizeof(c));
		pprof_builder_init(&c.b, types, 1);
		profile_goroutine_records(&p, add, &c);
		profile_goroutine_records_debug1(&p, touch_record, NULL);
		if (pprof_builder_encode(&c.b, &buf, &len, &eb) == GD_OK) {
			if (profile_decode(&q, buf, len, NULL, &eb) != GD_OK)
				abort();
			if (c.total && profile_goroutine_total(&q) != c.total &&
			    c.total < (uint64_t)INT64_MAX / 2)
				abort();
			profile_release(&q);
			free(buf);
		}
		pprof_builder_release(&c.b);
	}
	profile_release(&p);
	return 0;
}
