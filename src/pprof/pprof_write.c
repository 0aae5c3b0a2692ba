/* SPDX-License-Identifier: MIT */
/* Builder for gzip'd profile.proto output (see pprof_write.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pprof/gzip.h"
#include "pprof/pprof_write.h"
#include "pprof/profile.pb-c.h"
#include "util/hash.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct pprof_sample {
	size_t loc_off;  /* into sample_locs */
	uint32_t nlocs;
	int64_t label_key, label_val; /* string indexes, 0: no label */
};

/* (a, b) -> value, open addressing with linear probing.  Keys are never 0
 * in both halves at once... not guaranteed, so slots carry a used flag. */
struct pprof_map_slot {
	uint64_t a, b, val;
	bool used;
};

static void map_release(struct pprof_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t map_pos(const struct pprof_map *m, uint64_t a, uint64_t b)
{
	return (size_t)gd_hash_mix(a, b ^ 0x5bd1e995ULL) & (m->nslots - 1);
}

static struct pprof_map_slot *map_lookup(const struct pprof_map *m, uint64_t a, uint64_t b)
{
	size_t i;
	if (!m->nslots)
		return NULL;
	for (i = map_pos(m, a, b);; i = (i + 1) & (m->nslots - 1)) {
		struct pprof_map_slot *s = &m->slots[i];
		if (!s->used)
			return NULL;
		if (s->a == a && s->b == b)
			return s;
	}
}

static void map_insert(struct pprof_map *m, uint64_t a, uint64_t b, uint64_t val)
{
	size_t i;
	if ((m->count + 1) * 2 > m->nslots) {
		struct pprof_map old = *m;
		m->nslots = old.nslots ? old.nslots * 2 : 64;
		m->slots = xcalloc(m->nslots, sizeof(*m->slots));
		m->count = 0;
		for (i = 0; i < old.nslots; i++)
			if (old.slots[i].used)
				map_insert(m, old.slots[i].a, old.slots[i].b, old.slots[i].val);
		free(old.slots);
	}
	for (i = map_pos(m, a, b); m->slots[i].used; i = (i + 1) & (m->nslots - 1))
		;
	m->slots[i].a = a;
	m->slots[i].b = b;
	m->slots[i].val = val;
	m->slots[i].used = true;
	m->count++;
}

static int64_t str_index(struct pprof_builder *b, const char *s, size_t len)
{
	const char *c = intern_str(&b->strs, s, len);
	struct pprof_map_slot *slot = map_lookup(&b->strmap, (uintptr_t)c, 0);
	if (slot)
		return (int64_t)slot->val;
	ALLOC_GROW(b->strtab, b->nstr + 1, b->strtab_alloc);
	b->strtab[b->nstr] = c;
	map_insert(&b->strmap, (uintptr_t)c, 0, b->nstr);
	return (int64_t)b->nstr++;
}

void pprof_builder_init(struct pprof_builder *b, const struct pprof_sample_type *types, size_t n)
{
	struct timespec ts;
	memset(b, 0, sizeof(*b));
	intern_init(&b->strs);
	str_index(b, "", 0); /* string_table[0] must be "" */
	b->ntypes = n;
	b->types = xcalloc(n ? 2 * n : 1, sizeof(*b->types));
	for (size_t i = 0; i < n; i++) {
		b->types[2 * i] = str_index(b, types[i].type, strlen(types[i].type));
		b->types[2 * i + 1] = str_index(b, types[i].unit, strlen(types[i].unit));
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	b->time_nanos = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	b->period = 1;
}

void pprof_builder_release(struct pprof_builder *b)
{
	intern_release(&b->strs);
	free(b->strtab);
	map_release(&b->strmap);
	free(b->funcs);
	map_release(&b->fnmap);
	free(b->locs);
	map_release(&b->locmap);
	free(b->sample_locs);
	free(b->samples);
	free(b->values);
	free(b->types);
	memset(b, 0, sizeof(*b));
}

static uint64_t location_id(struct pprof_builder *b, const struct gd_frame *f)
{
	int64_t name = str_index(b, f->func ? f->func : "", f->func ? f->func_len : 0);
	int64_t file = str_index(b, f->file ? f->file : "", f->file ? f->file_len : 0);
	struct pprof_map_slot *slot = map_lookup(&b->fnmap, (uint64_t)name, (uint64_t)file);
	uint64_t fid;

	if (slot) {
		fid = slot->val;
	} else {
		ALLOC_GROW(b->funcs, 2 * (b->nfuncs + 1), b->funcs_alloc);
		b->funcs[2 * b->nfuncs] = name;
		b->funcs[2 * b->nfuncs + 1] = file;
		fid = ++b->nfuncs;
		map_insert(&b->fnmap, (uint64_t)name, (uint64_t)file, fid);
	}
	slot = map_lookup(&b->locmap, fid, f->line);
	if (slot)
		return slot->val;
	ALLOC_GROW(b->locs, 2 * (b->nlocs + 1), b->locs_alloc);
	b->locs[2 * b->nlocs] = fid;
	b->locs[2 * b->nlocs + 1] = f->line;
	map_insert(&b->locmap, fid, f->line, b->nlocs + 1);
	return ++b->nlocs;
}

enum gd_err pprof_builder_add(struct pprof_builder *b, const struct gd_frame *frames,
			      uint32_t nframes, const int64_t *values,
			      const char *label_key, const char *label_val)
{
	struct pprof_sample *s;
	if (!nframes || !b->ntypes)
		return GD_EARG;
	ALLOC_GROW(b->samples, b->nsamples + 1, b->samples_alloc);
	s = &b->samples[b->nsamples++];
	s->loc_off = b->nsample_locs;
	s->nlocs = nframes;
	ALLOC_GROW(b->sample_locs, b->nsample_locs + nframes, b->sample_locs_alloc);
	for (uint32_t i = 0; i < nframes; i++)
		b->sample_locs[b->nsample_locs++] = location_id(b, &frames[i]);
	ALLOC_GROW(b->values, b->nvalues + b->ntypes, b->values_alloc);
	memcpy(&b->values[b->nvalues], values, b->ntypes * sizeof(*values));
	b->nvalues += b->ntypes;
	s->label_key = s->label_val = 0;
	if (label_key && label_val) {
		s->label_key = str_index(b, label_key, strlen(label_key));
		s->label_val = str_index(b, label_val, strlen(label_val));
	}
	return GD_OK;
}

/* Synthetic addresses: 16 bytes per location from here, inside one mapping. */
#define SYNTH_BASE 0x400000u

enum gd_err pprof_builder_encode(struct pprof_builder *b, unsigned char **out, size_t *outlen,
				 struct gd_errbuf *eb)
{
	Perftools__Profiles__Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	Perftools__Profiles__ValueType *vts = xcalloc(b->ntypes + 1, sizeof(*vts));
	Perftools__Profiles__ValueType **vtp = xcalloc(b->ntypes + 1, sizeof(*vtp));
	Perftools__Profiles__ValueType period_type = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	Perftools__Profiles__Sample *ss = xcalloc(b->nsamples + 1, sizeof(*ss));
	Perftools__Profiles__Sample **ssp = xcalloc(b->nsamples + 1, sizeof(*ssp));
	Perftools__Profiles__Label *ls = xcalloc(b->nsamples + 1, sizeof(*ls));
	Perftools__Profiles__Label **lsp = xcalloc(b->nsamples + 1, sizeof(*lsp));
	Perftools__Profiles__Location *locs = xcalloc(b->nlocs + 1, sizeof(*locs));
	Perftools__Profiles__Location **locp = xcalloc(b->nlocs + 1, sizeof(*locp));
	Perftools__Profiles__Line *lines = xcalloc(b->nlocs + 1, sizeof(*lines));
	Perftools__Profiles__Line **linep = xcalloc(b->nlocs + 1, sizeof(*linep));
	Perftools__Profiles__Function *fns = xcalloc(b->nfuncs + 1, sizeof(*fns));
	Perftools__Profiles__Function **fnp = xcalloc(b->nfuncs + 1, sizeof(*fnp));
	Perftools__Profiles__Mapping mapping = PERFTOOLS__PROFILES__MAPPING__INIT;
	Perftools__Profiles__Mapping *mappingp = &mapping;
	size_t i, packed_len;
	uint8_t *packed;
	enum gd_err e;

	for (i = 0; i < b->ntypes; i++) {
		perftools__profiles__value_type__init(&vts[i]);
		vts[i].type = b->types[2 * i];
		vts[i].unit = b->types[2 * i + 1];
		vtp[i] = &vts[i];
	}
	prof.n_sample_type = b->ntypes;
	prof.sample_type = vtp;
	if (b->ntypes) {
		period_type.type = b->types[0];
		period_type.unit = b->types[1];
		prof.period_type = &period_type;
	}
	prof.period = b->period;
	prof.time_nanos = b->time_nanos;
	prof.duration_nanos = b->duration_nanos;

	for (i = 0; i < b->nsamples; i++) {
		const struct pprof_sample *s = &b->samples[i];
		perftools__profiles__sample__init(&ss[i]);
		ss[i].n_location_id = s->nlocs;
		ss[i].location_id = &b->sample_locs[s->loc_off];
		ss[i].n_value = b->ntypes;
		ss[i].value = &b->values[i * b->ntypes];
		if (s->label_key) {
			perftools__profiles__label__init(&ls[i]);
			ls[i].key = s->label_key;
			ls[i].str = s->label_val;
			lsp[i] = &ls[i];
			ss[i].n_label = 1;
			ss[i].label = &lsp[i];
		}
		ssp[i] = &ss[i];
	}
	prof.n_sample = b->nsamples;
	prof.sample = ssp;

	mapping.id = 1;
	mapping.memory_start = SYNTH_BASE;
	mapping.memory_limit = SYNTH_BASE + 16 * ((uint64_t)b->nlocs + 1);
	mapping.filename = str_index(b, "godiag-synthetic", 16);
	mapping.has_functions = mapping.has_filenames = mapping.has_line_numbers = 1;
	prof.n_mapping = 1;
	prof.mapping = &mappingp;

	for (i = 0; i < b->nlocs; i++) {
		perftools__profiles__location__init(&locs[i]);
		perftools__profiles__line__init(&lines[i]);
		lines[i].function_id = b->locs[2 * i];
		lines[i].line = (int64_t)b->locs[2 * i + 1];
		linep[i] = &lines[i];
		locs[i].id = i + 1;
		locs[i].mapping_id = 1;
		locs[i].address = SYNTH_BASE + 16 * (uint64_t)i;
		locs[i].n_line = 1;
		locs[i].line = &linep[i];
		locp[i] = &locs[i];
	}
	prof.n_location = b->nlocs;
	prof.location = locp;

	for (i = 0; i < b->nfuncs; i++) {
		perftools__profiles__function__init(&fns[i]);
		fns[i].id = i + 1;
		fns[i].name = fns[i].system_name = b->funcs[2 * i];
		fns[i].filename = b->funcs[2 * i + 1];
		fnp[i] = &fns[i];
	}
	prof.n_function = b->nfuncs;
	prof.function = fnp;

	/* Last: str_index() above may still have added strings. */
	prof.n_string_table = b->nstr;
	prof.string_table = (char **)b->strtab;

	packed_len = perftools__profiles__profile__get_packed_size(&prof);
	packed = xmalloc(packed_len ? packed_len : 1);
	perftools__profiles__profile__pack(&prof, packed);
	e = gzip_buffer(packed, packed_len, out, outlen, eb);

	free(packed);
	free(vts);
	free(vtp);
	free(ss);
	free(ssp);
	free(ls);
	free(lsp);
	free(locs);
	free(locp);
	free(lines);
	free(linep);
	free(fns);
	free(fnp);
	return e;
}

enum gd_err pprof_builder_write(struct pprof_builder *b, FILE *f, struct gd_errbuf *eb)
{
	unsigned char *buf;
	size_t len;
	enum gd_err e = pprof_builder_encode(b, &buf, &len, eb);
	if (e)
		return e;
	if (fwrite(buf, 1, len, f) != len || fflush(f) != 0) {
		free(buf);
		return gd_fail(eb, GD_EIO, "cannot write profile: %m");
	}
	free(buf);
	return GD_OK;
}
