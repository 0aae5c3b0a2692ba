/* SPDX-License-Identifier: MIT */
/* profile.proto -> struct profile, with every index validated (profile.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/gzip.h"
#include "pprof/profile.h"
#include "pprof/profile.pb-c.h"
#include "util/strbuf.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/human.h"
#include "util/banned.h"

typedef Perftools__Profiles__Profile PbProfile;

/* Every byte protobuf-c allocates for the decoded message, and every array of
 * our model, goes through this budget: protobuf is compact (an empty Sample
 * is 2 bytes on the wire but ~60 in memory), so a capped input size alone
 * does not cap memory. */
struct budget {
	size_t used, max;
	bool over;
};

#define BUDGET_HDR 16 /* keeps the returned pointer 16-byte aligned */

static void *budget_alloc(void *data, size_t n)
{
	struct budget *b = data;
	unsigned char *p;
	if (n > b->max - b->used || b->max - b->used - n < BUDGET_HDR) {
		b->over = true;
		return NULL;
	}
	p = malloc(n + BUDGET_HDR);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	b->used += n + BUDGET_HDR;
	return p + BUDGET_HDR;
}

static void budget_free(void *data, void *ptr)
{
	struct budget *b = data;
	unsigned char *p = ptr;
	size_t n;
	if (!ptr)
		return;
	p -= BUDGET_HDR;
	memcpy(&n, p, sizeof(n));
	b->used -= n + BUDGET_HDR;
	free(p);
}

struct priv {
	struct budget budget;
	ProtobufCAllocator allocator;
	PbProfile *pb;
	uint32_t *slen;   /* strlen of each string_table entry */
	/* Flat storage behind the model's per-sample / per-location arrays. */
	const struct profile_location **all_locs;
	struct profile_label *all_labels;
	struct profile_line *all_lines;
	uint32_t *loc_order; /* location indexes sorted by id (NULL: dense ids) */
	uint32_t *fn_order;
};

void profile_init(struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->period_type.type = "";
	p->period_type.unit = "";
	p->default_sample_type = "";
}

void profile_release(struct profile *p)
{
	struct priv *pv = p->priv;
	if (pv) {
		void *b = &pv->budget;
		budget_free(b, p->sample_types);
		budget_free(b, p->samples);
		budget_free(b, p->locations);
		budget_free(b, p->functions);
		budget_free(b, p->comments);
		budget_free(b, pv->slen);
		budget_free(b, pv->all_locs);
		budget_free(b, pv->all_labels);
		budget_free(b, pv->all_lines);
		budget_free(b, pv->loc_order);
		budget_free(b, pv->fn_order);
		if (pv->pb)
			perftools__profiles__profile__free_unpacked(pv->pb, &pv->allocator);
		free(pv);
	}
	profile_init(p);
}

struct decoder {
	struct profile *p;
	struct priv *pv;
	PbProfile *pb;
	struct gd_errbuf *eb;
};

static enum gd_err too_much_memory(struct decoder *d)
{
	char sz[32];
	human_size_exact(sz, sizeof(sz), d->pv->budget.max);
	return gd_fail(d->eb, GD_ETOOBIG, "profile needs more than %s of memory to decode", sz);
}

/* Allocate a zeroed model array from the budget; NULL (with eb filled) when
 * over it.  n == 0 returns NULL too, without error: check with ok_alloc(). */
static void *model_array(struct decoder *d, size_t n, size_t size, enum gd_err *err)
{
	void *p;
	*err = GD_OK;
	if (n == 0)
		return NULL;
	if (n > SIZE_MAX / size) {
		*err = too_much_memory(d);
		return NULL;
	}
	p = budget_alloc(&d->pv->budget, n * size);
	if (!p) {
		*err = d->pv->budget.over ? too_much_memory(d)
					  : gd_fail(d->eb, GD_ENOMEM, "out of memory decoding profile");
		return NULL;
	}
	memset(p, 0, n * size);
	return p;
}

/* Resolve a string-table index; what/idx name the field for the message. */
static enum gd_err str_at(struct decoder *d, int64_t idx, const char **out,
			  const char *what, size_t item)
{
	if (idx < 0 || (uint64_t)idx >= d->pb->n_string_table)
		return gd_fail(d->eb, GD_EFORMAT,
			       "profile: %s %zu: string index %" PRId64 " out of range (%zu strings)",
			       what, item, idx, d->pb->n_string_table);
	*out = d->pb->string_table[idx];
	return GD_OK;
}

/* id -> index lookup over an array of ids.  Go numbers ids 1..n in order,
 * so the common case needs no table; otherwise a sorted index and bsearch. */
struct id_index {
	const char *base; /* the id of element i is at base + i * stride */
	size_t stride;    /* in bytes */
	size_t n;
	uint32_t *order;  /* NULL when dense */
};

static uint64_t id_of(const struct id_index *x, size_t i)
{
	uint64_t v;
	memcpy(&v, x->base + i * x->stride, sizeof(v));
	return v;
}

static int cmp_by_id(const void *a, const void *b, void *arg)
{
	uint64_t x = id_of(arg, *(const uint32_t *)a);
	uint64_t y = id_of(arg, *(const uint32_t *)b);
	return x < y ? -1 : x > y;
}

static enum gd_err id_index_build(struct decoder *d, struct id_index *x, const char *what)
{
	enum gd_err e;
	size_t i;
	bool dense = true;

	for (i = 0; i < x->n; i++) {
		if (id_of(x, i) == 0)
			return gd_fail(d->eb, GD_EFORMAT, "profile: %s %zu has id 0", what, i);
		if (id_of(x, i) != i + 1)
			dense = false;
	}
	if (dense)
		return GD_OK;
	x->order = model_array(d, x->n, sizeof(*x->order), &e);
	if (e)
		return e;
	for (i = 0; i < x->n; i++)
		x->order[i] = (uint32_t)i;
	qsort_r(x->order, x->n, sizeof(*x->order), cmp_by_id, x);
	for (i = 1; i < x->n; i++)
		if (id_of(x, x->order[i]) == id_of(x, x->order[i - 1]))
			return gd_fail(d->eb, GD_EFORMAT, "profile: duplicate %s id %" PRIu64,
				       what, id_of(x, x->order[i]));
	return GD_OK;
}

/* Index of the element with this id, or -1. */
static ptrdiff_t id_index_find(const struct id_index *x, uint64_t id)
{
	size_t lo = 0, hi = x->n;
	if (!x->order)
		return id >= 1 && id <= x->n ? (ptrdiff_t)(id - 1) : -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t v = id_of(x, x->order[mid]);
		if (v == id)
			return x->order[mid];
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static enum gd_err decode_strings(struct decoder *d)
{
	PbProfile *pb = d->pb;
	enum gd_err e;
	size_t i;

	/* pprof requires string_table[0] == "": it is how "unset" is spelled. */
	if (pb->n_string_table == 0)
		return gd_fail(d->eb, GD_EFORMAT, "profile: empty string table (not a profile?)");
	if (pb->string_table[0][0] != '\0')
		return gd_fail(d->eb, GD_EFORMAT, "profile: string_table[0] is not empty");
	d->pv->slen = model_array(d, pb->n_string_table, sizeof(*d->pv->slen), &e);
	if (e)
		return e;
	for (i = 0; i < pb->n_string_table; i++) {
		size_t n = strlen(pb->string_table[i]);
		d->pv->slen[i] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	}
	return GD_OK;
}

static enum gd_err decode_value_type(struct decoder *d, const Perftools__Profiles__ValueType *vt,
				     struct profile_value_type *out, const char *what, size_t i)
{
	enum gd_err e;
	out->type = out->unit = "";
	if (!vt)
		return GD_OK;
	if ((e = str_at(d, vt->type, &out->type, what, i)) != GD_OK)
		return e;
	return str_at(d, vt->unit, &out->unit, what, i);
}

static enum gd_err decode_functions(struct decoder *d, struct id_index *fx)
{
	PbProfile *pb = d->pb;
	struct profile *p = d->p;
	enum gd_err e;
	size_t i;

	p->functions = model_array(d, pb->n_function, sizeof(*p->functions), &e);
	if (e)
		return e;
	p->nfunctions = pb->n_function;
	for (i = 0; i < pb->n_function; i++) {
		const Perftools__Profiles__Function *f = pb->function[i];
		struct profile_function *o = &p->functions[i];
		o->id = f->id;
		o->start_line = f->start_line;
		if ((e = str_at(d, f->name, &o->name, "function", i)) ||
		    (e = str_at(d, f->system_name, &o->system_name, "function", i)) ||
		    (e = str_at(d, f->filename, &o->filename, "function", i)))
			return e;
		o->name_len = d->pv->slen[f->name];
		o->filename_len = d->pv->slen[f->filename];
	}
	fx->base = p->functions ? (const char *)p->functions + offsetof(struct profile_function, id) : NULL;
	fx->stride = sizeof(struct profile_function);
	fx->n = p->nfunctions;
	e = id_index_build(d, fx, "function");
	d->pv->fn_order = fx->order;
	return e;
}

static enum gd_err decode_locations(struct decoder *d, const struct id_index *fx,
				    struct id_index *lx, const struct id_index *mx)
{
	PbProfile *pb = d->pb;
	struct profile *p = d->p;
	enum gd_err e;
	size_t i, j, nlines = 0, at = 0;

	p->locations = model_array(d, pb->n_location, sizeof(*p->locations), &e);
	if (e)
		return e;
	p->nlocations = pb->n_location;
	for (i = 0; i < pb->n_location; i++)
		nlines += pb->location[i]->n_line;
	d->pv->all_lines = model_array(d, nlines, sizeof(*d->pv->all_lines), &e);
	if (e)
		return e;
	for (i = 0; i < pb->n_location; i++) {
		const Perftools__Profiles__Location *l = pb->location[i];
		struct profile_location *o = &p->locations[i];
		o->id = l->id;
		o->mapping_id = l->mapping_id;
		o->address = l->address;
		if (l->mapping_id && id_index_find(mx, l->mapping_id) < 0)
			return gd_fail(d->eb, GD_EFORMAT,
				       "profile: location %zu: mapping id %" PRIu64 " not found",
				       i, l->mapping_id);
		if (l->n_line > UINT32_MAX)
			return gd_fail(d->eb, GD_EFORMAT, "profile: location %zu: too many lines", i);
		o->nlines = (uint32_t)l->n_line;
		o->lines = o->nlines ? &d->pv->all_lines[at] : NULL;
		for (j = 0; j < l->n_line; j++) {
			ptrdiff_t fi = id_index_find(fx, l->line[j]->function_id);
			if (fi < 0)
				return gd_fail(d->eb, GD_EFORMAT,
					       "profile: location %zu: function id %" PRIu64 " not found",
					       i, l->line[j]->function_id);
			d->pv->all_lines[at].function = &p->functions[fi];
			d->pv->all_lines[at].line = l->line[j]->line;
			at++;
		}
	}
	lx->base = p->locations ? (const char *)p->locations + offsetof(struct profile_location, id) : NULL;
	lx->stride = sizeof(struct profile_location);
	lx->n = p->nlocations;
	e = id_index_build(d, lx, "location");
	d->pv->loc_order = lx->order;
	return e;
}

static enum gd_err decode_samples(struct decoder *d, const struct id_index *lx)
{
	PbProfile *pb = d->pb;
	struct profile *p = d->p;
	enum gd_err e;
	size_t i, j, nlocs = 0, nlabels = 0, at_loc = 0, at_lab = 0;

	p->samples = model_array(d, pb->n_sample, sizeof(*p->samples), &e);
	if (e)
		return e;
	p->nsamples = pb->n_sample;
	for (i = 0; i < pb->n_sample; i++) {
		nlocs += pb->sample[i]->n_location_id;
		nlabels += pb->sample[i]->n_label;
	}
	d->pv->all_locs = model_array(d, nlocs, sizeof(*d->pv->all_locs), &e);
	if (e)
		return e;
	d->pv->all_labels = model_array(d, nlabels, sizeof(*d->pv->all_labels), &e);
	if (e)
		return e;
	for (i = 0; i < pb->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pb->sample[i];
		struct profile_sample *o = &p->samples[i];
		if (s->n_value != pb->n_sample_type)
			return gd_fail(d->eb, GD_EFORMAT,
				       "profile: sample %zu has %zu values for %zu sample types",
				       i, s->n_value, pb->n_sample_type);
		if (s->n_location_id > UINT32_MAX || s->n_label > UINT32_MAX)
			return gd_fail(d->eb, GD_EFORMAT, "profile: sample %zu is too large", i);
		o->values = s->value;
		o->nlocs = (uint32_t)s->n_location_id;
		o->locs = o->nlocs ? &d->pv->all_locs[at_loc] : NULL;
		for (j = 0; j < s->n_location_id; j++) {
			ptrdiff_t li = id_index_find(lx, s->location_id[j]);
			if (li < 0)
				return gd_fail(d->eb, GD_EFORMAT,
					       "profile: sample %zu: location id %" PRIu64 " not found",
					       i, s->location_id[j]);
			d->pv->all_locs[at_loc++] = &p->locations[li];
		}
		o->nlabels = (uint32_t)s->n_label;
		o->labels = o->nlabels ? &d->pv->all_labels[at_lab] : NULL;
		for (j = 0; j < s->n_label; j++) {
			const Perftools__Profiles__Label *l = s->label[j];
			struct profile_label *ol = &d->pv->all_labels[at_lab++];
			if ((e = str_at(d, l->key, &ol->key, "label of sample", i)) ||
			    (e = str_at(d, l->num_unit, &ol->num_unit, "label of sample", i)))
				return e;
			/* pprof: a label is numeric when str is unset (0). */
			if (l->str) {
				if ((e = str_at(d, l->str, &ol->str, "label of sample", i)))
					return e;
			} else {
				ol->str = NULL;
				ol->num = l->num;
			}
		}
	}
	return GD_OK;
}

static enum gd_err decode_message(struct decoder *d)
{
	PbProfile *pb = d->pb;
	struct profile *p = d->p;
	struct id_index fx = { 0 }, lx = { 0 }, mx = { 0 };
	uint64_t *mapping_ids = NULL;
	enum gd_err e;
	size_t i;

	if ((e = decode_strings(d)))
		return e;
	p->sample_types = model_array(d, pb->n_sample_type, sizeof(*p->sample_types), &e);
	if (e)
		return e;
	p->nsample_types = pb->n_sample_type;
	for (i = 0; i < pb->n_sample_type; i++)
		if ((e = decode_value_type(d, pb->sample_type[i], &p->sample_types[i], "sample_type", i)))
			return e;
	if ((e = decode_value_type(d, pb->period_type, &p->period_type, "period_type", 0)))
		return e;
	if ((e = str_at(d, pb->default_sample_type, &p->default_sample_type, "default_sample_type", 0)))
		return e;
	p->comments = model_array(d, pb->n_comment, sizeof(*p->comments), &e);
	if (e)
		return e;
	p->ncomments = pb->n_comment;
	for (i = 0; i < pb->n_comment; i++)
		if ((e = str_at(d, pb->comment[i], &p->comments[i], "comment", i)))
			return e;
	p->period = pb->period;
	p->time_nanos = pb->time_nanos;
	p->duration_nanos = pb->duration_nanos;

	/* Mappings: only their ids matter to us (symbolized profiles). */
	p->nmappings = pb->n_mapping;
	for (i = 0; i < pb->n_mapping; i++) {
		const char *unused;
		if ((e = str_at(d, pb->mapping[i]->filename, &unused, "mapping", i)) ||
		    (e = str_at(d, pb->mapping[i]->build_id, &unused, "mapping", i)))
			return e;
	}
	mapping_ids = model_array(d, pb->n_mapping, sizeof(*mapping_ids), &e);
	if (e)
		return e;
	for (i = 0; i < pb->n_mapping; i++)
		mapping_ids[i] = pb->mapping[i]->id;
	mx.base = (const char *)mapping_ids;
	mx.stride = sizeof(*mapping_ids);
	mx.n = pb->n_mapping;
	e = id_index_build(d, &mx, "mapping");
	if (!e)
		e = decode_functions(d, &fx);
	if (!e)
		e = decode_locations(d, &fx, &lx, &mx);
	if (!e)
		e = decode_samples(d, &lx);
	budget_free(&d->pv->budget, mx.order);
	budget_free(&d->pv->budget, mapping_ids);
	return e;
}

enum gd_err profile_decode(struct profile *p, const void *buf, size_t len,
			   const struct profile_limits *limits, struct gd_errbuf *eb)
{
	size_t max_dec = limits && limits->max_decompressed ? limits->max_decompressed
							    : PROFILE_DEFAULT_MAX_DECOMPRESSED;
	size_t max_mem = limits && limits->max_memory ? limits->max_memory
						      : PROFILE_DEFAULT_MAX_MEMORY;
	unsigned char *plain = NULL;
	const unsigned char *data = buf;
	size_t dlen = len;
	struct decoder d;
	struct priv *pv;
	bool was_gzip;
	enum gd_err e;

	profile_init(p);
	if (len == 0)
		return gd_fail(eb, GD_EFORMAT, "profile: empty input");
	if (gz_is_gzip(buf, len)) {
		e = gunzip_buffer(buf, len, max_dec, &plain, &dlen, eb);
		if (e)
			return e;
		data = plain;
	} else if (len > max_dec) {
		char sz[32];
		human_size_exact(sz, sizeof(sz), max_dec);
		return gd_fail(eb, GD_ETOOBIG, "profile size exceeds %s", sz);
	}

	pv = xcalloc(1, sizeof(*pv));
	pv->budget.max = max_mem;
	pv->allocator.alloc = budget_alloc;
	pv->allocator.free = budget_free;
	pv->allocator.allocator_data = &pv->budget;
	p->priv = pv;
	p->decoded_bytes = dlen;

	pv->pb = perftools__profiles__profile__unpack(&pv->allocator, dlen, data);
	was_gzip = plain != NULL;
	free(plain);
	if (!pv->pb) {
		if (pv->budget.over) {
			char sz[32];
			human_size_exact(sz, sizeof(sz), max_mem);
			e = gd_fail(eb, GD_ETOOBIG, "profile needs more than %s of memory to decode", sz);
		} else {
			e = gd_fail(eb, GD_EFORMAT, "not a valid profile.proto message (%zu bytes%s)",
				    dlen, was_gzip ? " after gunzip" : "");
		}
		profile_release(p);
		return e;
	}
	d.p = p;
	d.pv = pv;
	d.pb = pv->pb;
	d.eb = eb;
	e = decode_message(&d);
	if (e) {
		profile_release(p);
		return e;
	}
	return GD_OK;
}

int profile_sample_type_index(const struct profile *p, const char *type)
{
	for (size_t i = 0; i < p->nsample_types && i < INT32_MAX; i++)
		if (!strcmp(p->sample_types[i].type, type))
			return (int)i;
	return -1;
}

static int goroutine_value_index(const struct profile *p)
{
	int i = profile_sample_type_index(p, "goroutine");
	if (i < 0)
		i = profile_sample_type_index(p, "goroutineleak");
	return i;
}

bool profile_is_goroutine(const struct profile *p)
{
	int i = goroutine_value_index(p);
	return i >= 0 && !strcmp(p->sample_types[i].unit, "count");
}

uint64_t profile_goroutine_total(const struct profile *p)
{
	int vi = goroutine_value_index(p);
	uint64_t total = 0;
	if (vi < 0)
		vi = 0;
	if ((size_t)vi >= p->nsample_types)
		return 0;
	for (size_t i = 0; i < p->nsamples; i++)
		if (p->samples[i].values[vi] > 0)
			total += (uint64_t)p->samples[i].values[vi];
	return total;
}

/* Go's strconv.Quote, which debug=1 uses (%q) for label keys and values.
 * unicode.IsPrint is approximated: every valid non-ASCII rune counts as
 * printable except C1 controls and a few invisible format characters. */
static void quote_go(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	strbuf_addch(sb, '"');
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t l;
		uint32_t r;
		char esc[12];
		if (c < 0x80) {
			const char *named = NULL;
			switch (c) {
			case '"': named = "\\\""; break;
			case '\\': named = "\\\\"; break;
			case '\a': named = "\\a"; break;
			case '\b': named = "\\b"; break;
			case '\f': named = "\\f"; break;
			case '\n': named = "\\n"; break;
			case '\r': named = "\\r"; break;
			case '\t': named = "\\t"; break;
			case '\v': named = "\\v"; break;
			}
			if (named) {
				strbuf_addstr(sb, named);
			} else if (c < 0x20 || c == 0x7f) {
				char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
				strbuf_add(sb, x, 4);
			} else {
				strbuf_addch(sb, c);
			}
			i++;
			continue;
		}
		l = utf8_valid_len(s + i, n - i);
		if (!l) {
			char x[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			strbuf_add(sb, x, 4);
			i++;
			continue;
		}
		if (l == 2)
			r = ((uint32_t)(c & 0x1f) << 6) | (s[i + 1] & 0x3f);
		else if (l == 3)
			r = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) |
			    (s[i + 2] & 0x3f);
		else
			r = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) |
			    ((uint32_t)(s[i + 2] & 0x3f) << 6) | (s[i + 3] & 0x3f);
		if ((r >= 0x80 && r < 0xa0) || r == 0xad || r == 0x2028 || r == 0x2029 ||
		    r == 0xfeff || (r >= 0x200b && r <= 0x200f)) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)r);
			strbuf_addstr(sb, esc);
		} else {
			strbuf_add(sb, s + i, l);
		}
		i += l;
	}
	strbuf_addch(sb, '"');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* {"k":"v", "k2":"v2"}: Go sorts the formatted "k":"v" strings. */
static void format_labels(struct strbuf *out, const struct profile_sample *s,
			  struct strbuf *tmp, char ***pairs, size_t *pairs_alloc)
{
	size_t n = 0, i;
	strbuf_reset(out);
	strbuf_reset(tmp);
	for (i = 0; i < s->nlabels; i++) {
		if (!s->labels[i].str)
			continue;
		quote_go(tmp, s->labels[i].key, strlen(s->labels[i].key));
		strbuf_addch(tmp, ':');
		quote_go(tmp, s->labels[i].str, strlen(s->labels[i].str));
		strbuf_addch(tmp, '\0');
		n++;
	}
	if (!n)
		return;
	ALLOC_GROW(*pairs, n, *pairs_alloc);
	{
		char *q = tmp->buf;
		for (i = 0; i < n; i++) {
			(*pairs)[i] = q;
			q += strlen(q) + 1;
		}
	}
	qsort(*pairs, n, sizeof(**pairs), cmp_str);
	strbuf_addch(out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_add(out, ", ", 2);
		strbuf_addstr(out, (*pairs)[i]);
	}
	strbuf_addch(out, '}');
}

static uint32_t clamp_line(int64_t line)
{
	return line < 0 ? 0 : line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
}

int profile_goroutine_records(const struct profile *p, gd_record_fn fn, void *ctx)
{
	int vi = goroutine_value_index(p);
	struct gd_frame *frames = NULL;
	char (*addrs)[24] = NULL;
	size_t alloc = 0, aalloc = 0, pairs_alloc = 0;
	char **pairs = NULL;
	struct strbuf labels, tmp;
	int ret = 0;

	if (vi < 0)
		vi = 0;
	if ((size_t)vi >= p->nsample_types)
		return 0;
	strbuf_init(&labels, STRBUF_UNLIMITED);
	strbuf_init(&tmp, STRBUF_UNLIMITED);
	for (size_t i = 0; i < p->nsamples && !ret; i++) {
		const struct profile_sample *s = &p->samples[i];
		struct gd_record r;
		size_t nf = 0, na = 0;

		if (s->values[vi] <= 0)
			continue;
		for (uint32_t j = 0; j < s->nlocs; j++) {
			const struct profile_location *l = s->locs[j];
			if (!l->nlines) {
				ALLOC_GROW(frames, nf + 1, alloc);
				ALLOC_GROW(addrs, na + 1, aalloc);
				memset(&frames[nf], 0, sizeof(frames[nf]));
				snprintf(addrs[na], sizeof(addrs[na]), "0x%" PRIx64, l->address);
				/* addrs may move on growth: fix pointers below. */
				frames[nf].func_len = (uint32_t)strlen(addrs[na]);
				frames[nf].line = (uint32_t)na; /* temporarily the addr slot */
				frames[nf].flags = GD_FRAME_NOFILE;
				frames[nf].args = "";
				frames[nf].file = "";
				frames[nf].func = NULL;
				nf++;
				na++;
				continue;
			}
			ALLOC_GROW(frames, nf + l->nlines, alloc);
			for (uint32_t k = 0; k < l->nlines; k++) {
				const struct profile_line *ln = &l->lines[k];
				struct gd_frame *f = &frames[nf++];
				f->func = ln->function->name;
				f->func_len = ln->function->name_len;
				f->file = ln->function->filename;
				f->file_len = ln->function->filename_len;
				f->args = "";
				f->args_len = 0;
				f->line = clamp_line(ln->line);
				f->flags = k + 1 < l->nlines ? GD_FRAME_INLINED : 0;
			}
		}
		for (size_t j = 0; j < nf; j++) {
			if (!frames[j].func) {
				frames[j].func = addrs[frames[j].line];
				frames[j].line = 0;
			}
		}
		format_labels(&labels, s, &tmp, &pairs, &pairs_alloc);
		r.count = (uint64_t)s->values[vi];
		r.frames = frames;
		r.nframes = nf > UINT32_MAX ? UINT32_MAX : (uint32_t)nf;
		r.labels = labels.buf;
		r.labels_len = (uint32_t)labels.len;
		r.dump = 1;
		ret = fn(&r, ctx);
	}
	free(frames);
	free(addrs);
	free(pairs);
	strbuf_release(&labels);
	strbuf_release(&tmp);
	return ret;
}

static bool is_runtime_func(const struct gd_frame *f)
{
	return (f->func_len >= 8 && !memcmp(f->func, "runtime.", 8)) ||
	       (f->func_len >= 17 && !memcmp(f->func, "internal/runtime/", 17));
}

static bool is_goexit(const struct gd_frame *f)
{
	return f->func_len == 14 && !memcmp(f->func, "runtime.goexit", 14);
}

struct debug1_view {
	gd_record_fn fn;
	void *ctx;
};

static int debug1_view_record(const struct gd_record *r, void *ctx)
{
	const struct debug1_view *v = ctx;
	struct gd_record out = *r;
	uint32_t first = 0, n = r->nframes;
	while (n && is_goexit(&r->frames[n - 1]))
		n--;
	/* An unsymbolized frame (a bare address) stops the hiding, as in Go. */
	while (first < n && !(r->frames[first].flags & GD_FRAME_NOFILE) && is_runtime_func(&r->frames[first]))
		first++;
	if (first == n)
		first = 0; /* only runtime frames: Go prints them all */
	/* A record may have no frames at all: NULL + 0 is still undefined. */
	out.frames = n ? r->frames + first : r->frames;
	out.nframes = n - first;
	return v->fn(&out, v->ctx);
}

int profile_goroutine_records_debug1(const struct profile *p, gd_record_fn fn, void *ctx)
{
	struct debug1_view v = { fn, ctx };
	return profile_goroutine_records(p, debug1_view_record, &v);
}
