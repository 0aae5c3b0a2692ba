/* SPDX-License-Identifier: MIT */
/* Prometheus text format 0.0.4 parser (the grammar of prometheus/common
 * expfmt's text parser, but lenient: a bad line is skipped, not fatal,
 * because one odd application metric must not hide go_goroutines) and the
 * client_golang Go collector -> MemStats mapping. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "remote/promtext.h"
#include "util/numparse.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *prom_type_name(enum prom_type t)
{
	switch (t) {
	case PROM_COUNTER: return "counter";
	case PROM_GAUGE: return "gauge";
	case PROM_HISTOGRAM: return "histogram";
	case PROM_SUMMARY: return "summary";
	default: return "untyped";
	}
}

void prom_set_init(struct prom_set *s)
{
	memset(s, 0, sizeof(*s));
	intern_init(&s->names);
}

void prom_set_release(struct prom_set *s)
{
	free(s->samples);
	free(s->labels);
	intern_release(&s->names);
	prom_set_init(s);
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static void skip_blank(const char **pp, const char *end)
{
	while (*pp < end && (**pp == ' ' || **pp == '\t'))
		(*pp)++;
}

static size_t scan_name(const char *p, const char *end)
{
	size_t n = 0;
	if (p >= end || !name_start(*p))
		return 0;
	while (p + n < end && name_char(p[n]))
		n++;
	return n;
}

/* Go's ParseFloat spellings that the exposition uses: decimal, exponent,
 * NaN, [+-]Inf (any case, "infinity" too).  Hex floats are refused. */
static bool parse_float(const char *s, size_t n, double *out)
{
	char buf[64];
	char *end;
	const char *t = s;
	size_t tn = n;
	bool neg = false;

	if (!n || n >= sizeof(buf))
		return false;
	if (*t == '+' || *t == '-') {
		neg = *t == '-';
		t++;
		tn--;
	}
	if ((tn == 3 && !strncasecmp(t, "inf", 3)) || (tn == 8 && !strncasecmp(t, "infinity", 8))) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	if (tn == 3 && !strncasecmp(t, "nan", 3) && t == s) {
		*out = NAN;
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
		      s[i] == '+' || s[i] == '-' || s[i] == '_'))
			return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	/* ERANGE on overflow gives +-HUGE_VAL, which Go reports as an error
	 * but which is the honest value here; underflow gives 0. */
	return *end == '\0' && end != buf;
}

static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = n && s[0] == '-';
	uint64_t v;

	if (!parse_u64_n(s + neg, n - neg, &v) || v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static void bad(struct prom_set *s, size_t lineno, const char *why)
{
	if (!s->bad_lines)
		snprintf(s->bad_line_msg, sizeof(s->bad_line_msg), "line %zu: %s", lineno, why);
	s->bad_lines++;
}

/* The family the following samples belong to (TYPE usually precedes them). */
struct family {
	const char *name; /* interned; NULL: none yet */
	size_t len;
	enum prom_type type;
};

static enum prom_type sample_type(const struct family *f, const char *name, size_t n)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count", "_total", "_created", "_info" };
	if (!f->name || n < f->len || memcmp(name, f->name, f->len))
		return PROM_UNTYPED;
	if (n == f->len)
		return f->type;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (n - f->len == strlen(suffixes[i]) && !memcmp(name + f->len, suffixes[i], n - f->len))
			return f->type;
	return PROM_UNTYPED;
}

static void parse_comment(struct prom_set *s, struct family *fam, const char *p, const char *end)
{
	const char *kw;
	size_t n;

	p++; /* '#' */
	skip_blank(&p, end);
	kw = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (p - kw == 4 && !memcmp(kw, "HELP", 4)) {
		s->nhelp++;
		return;
	}
	if (!(p - kw == 4 && !memcmp(kw, "TYPE", 4)))
		return;
	skip_blank(&p, end);
	n = scan_name(p, end);
	if (!n)
		return;
	fam->name = intern_str(&s->names, p, n);
	fam->len = n;
	p += n;
	skip_blank(&p, end);
	{
		size_t tn = (size_t)(end - p);
		while (tn && (p[tn - 1] == ' ' || p[tn - 1] == '\t'))
			tn--;
#define IS(w) (tn == sizeof(w) - 1 && !memcmp(p, w, tn))
		fam->type = IS("counter") ? PROM_COUNTER : IS("gauge") ? PROM_GAUGE :
			    IS("histogram") ? PROM_HISTOGRAM : IS("summary") ? PROM_SUMMARY :
			    PROM_UNTYPED;
#undef IS
	}
	s->ntype++;
}

static bool parse_sample(struct prom_set *s, const struct family *fam, const char *p,
			 const char *end, struct strbuf *val, size_t lineno)
{
	struct prom_sample smp;
	size_t n = scan_name(p, end), labels_start = s->nlabels;
	const char *tok;

	memset(&smp, 0, sizeof(smp));
	if (!n) {
		bad(s, lineno, "no metric name");
		return false;
	}
	smp.name = intern_str(&s->names, p, n);
	smp.type = sample_type(fam, p, n);
	p += n;
	skip_blank(&p, end);
	if (p < end && *p == '{') {
		p++;
		for (;;) {
			size_t ln;
			const char *lname;
			skip_blank(&p, end);
			if (p < end && *p == '}') {
				p++;
				break;
			}
			ln = scan_name(p, end);
			if (!ln)
				goto fail_label;
			lname = p;
			p += ln;
			skip_blank(&p, end);
			if (p >= end || *p != '=')
				goto fail_label;
			p++;
			skip_blank(&p, end);
			if (p >= end || *p != '"')
				goto fail_label;
			p++;
			strbuf_reset(val);
			while (p < end && *p != '"') {
				char c = *p++;
				if (c == '\\' && p < end) {
					c = *p++;
					if (c == 'n')
						c = '\n';
					else if (c != '\\' && c != '"')
						strbuf_addch(val, '\\');
				}
				strbuf_addch(val, c);
			}
			if (p >= end)
				goto fail_label;
			p++; /* closing quote */
			if (smp.nlabels < PROM_MAX_LABELS) {
				struct prom_label *l;
				ALLOC_GROW(s->labels, s->nlabels + 1, s->labels_alloc);
				l = &s->labels[s->nlabels++];
				l->name = intern_str(&s->names, lname, ln);
				l->value = intern_str(&s->names, val->buf, val->len);
				smp.nlabels++;
			} else {
				s->dropped_labels++;
			}
			skip_blank(&p, end);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			if (p < end && *p == '}') {
				p++;
				break;
			}
			goto fail_label;
		}
	}
	skip_blank(&p, end);
	tok = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	if (!parse_float(tok, (size_t)(p - tok), &smp.value)) {
		bad(s, lineno, "bad sample value");
		goto fail;
	}
	skip_blank(&p, end);
	if (p < end) {
		tok = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		if (!parse_i64(tok, (size_t)(p - tok), &smp.timestamp_ms)) {
			bad(s, lineno, "bad timestamp");
			goto fail;
		}
		smp.has_timestamp = true;
		skip_blank(&p, end);
		if (p < end) {
			bad(s, lineno, "text after the timestamp");
			goto fail;
		}
	}
	if (s->n >= PROM_MAX_SAMPLES) {
		s->dropped_samples++;
		goto drop;
	}
	smp.label_off = (uint32_t)labels_start;
	ALLOC_GROW(s->samples, s->n + 1, s->alloc);
	s->samples[s->n++] = smp;
	return true;
fail_label:
	bad(s, lineno, "bad label set");
fail:
drop:
	s->nlabels = labels_start;
	return false;
}

enum gd_err prom_parse(struct prom_set *s, const char *buf, size_t len, const char *name,
		       struct gd_errbuf *eb)
{
	const char *p = buf, *end = buf + len;
	struct family fam = { NULL, 0, PROM_UNTYPED };
	struct strbuf val;
	size_t lineno = 0, before = s->n, meta = s->nhelp + s->ntype;

	if (!name)
		name = "metrics";
	if (len > PROM_MAX_INPUT)
		return gd_fail(eb, GD_ETOOBIG, "%s: %zu bytes is over the %zu MiB cap", name, len,
			       PROM_MAX_INPUT >> 20);
	if (len > UINT32_MAX)
		return gd_fail(eb, GD_ETOOBIG, "%s: too big", name);
	strbuf_init(&val, PROM_MAX_LINE);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *l = p;
		p = nl ? nl + 1 : end;
		lineno++;
		if (le > l && le[-1] == '\r')
			le--;
		if ((size_t)(le - l) > PROM_MAX_LINE) {
			s->long_lines++;
			continue;
		}
		skip_blank(&l, le);
		if (l == le)
			continue;
		if (*l == '#') {
			parse_comment(s, &fam, l, le);
			continue;
		}
		parse_sample(s, &fam, l, le, &val, lineno);
	}
	strbuf_release(&val);
	/* Labels were appended to one growing array: point at it now. */
	for (size_t i = 0; i < s->n; i++)
		s->samples[i].labels = s->samples[i].nlabels ? s->labels + s->samples[i].label_off : NULL;
	if (s->n == before && s->nhelp + s->ntype == meta)
		return gd_fail(eb, GD_EFORMAT, "%s: no Prometheus sample or HELP/TYPE line%s%s", name,
			       s->bad_lines ? " (" : "", s->bad_lines ? s->bad_line_msg : "");
	return GD_OK;
}

const char *prom_label(const struct prom_sample *smp, const char *name)
{
	for (uint32_t i = 0; i < smp->nlabels; i++)
		if (!strcmp(smp->labels[i].name, name))
			return smp->labels[i].value;
	return NULL;
}

static bool selector_matches(const struct prom_sample *smp, const char *sel)
{
	while (sel && *sel) {
		const char *comma = strchr(sel, ','), *eq;
		size_t n = comma ? (size_t)(comma - sel) : strlen(sel);
		bool found = false;
		eq = memchr(sel, '=', n);
		if (!eq)
			return false;
		for (uint32_t i = 0; i < smp->nlabels && !found; i++) {
			const struct prom_label *l = &smp->labels[i];
			size_t kn = (size_t)(eq - sel), vn = n - kn - 1;
			found = strlen(l->name) == kn && !memcmp(l->name, sel, kn) &&
				strlen(l->value) == vn && !memcmp(l->value, eq + 1, vn);
		}
		if (!found)
			return false;
		sel = comma ? comma + 1 : NULL;
	}
	return true;
}

const struct prom_sample *prom_get(const struct prom_set *s, const char *name,
				   const char *selector)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->samples[i].name, name) && selector_matches(&s->samples[i], selector))
			return &s->samples[i];
	return NULL;
}

static bool get_u64(const struct prom_set *s, const char *name, double mul, uint64_t *out)
{
	const struct prom_sample *smp = prom_get(s, name, NULL);
	double v;
	if (!smp)
		return false;
	v = smp->value * mul;
	if (!(v >= 0) || !(v < 1.8e19))
		return false;
	*out = (uint64_t)v;
	return true;
}

static const struct {
	const char *name;
	enum go_memstats_field f;
} ms_map[] = {
	{ "go_memstats_alloc_bytes", MS_ALLOC },
	{ "go_memstats_alloc_bytes_total", MS_TOTAL_ALLOC },
	{ "go_memstats_sys_bytes", MS_SYS },
	{ "go_memstats_lookups_total", MS_LOOKUPS },
	{ "go_memstats_mallocs_total", MS_MALLOCS },
	{ "go_memstats_frees_total", MS_FREES },
	{ "go_memstats_heap_alloc_bytes", MS_HEAP_ALLOC },
	{ "go_memstats_heap_sys_bytes", MS_HEAP_SYS },
	{ "go_memstats_heap_idle_bytes", MS_HEAP_IDLE },
	{ "go_memstats_heap_inuse_bytes", MS_HEAP_INUSE },
	{ "go_memstats_heap_released_bytes", MS_HEAP_RELEASED },
	{ "go_memstats_heap_objects", MS_HEAP_OBJECTS },
	{ "go_memstats_stack_inuse_bytes", MS_STACK_INUSE },
	{ "go_memstats_stack_sys_bytes", MS_STACK_SYS },
	{ "go_memstats_mspan_inuse_bytes", MS_MSPAN_INUSE },
	{ "go_memstats_mspan_sys_bytes", MS_MSPAN_SYS },
	{ "go_memstats_mcache_inuse_bytes", MS_MCACHE_INUSE },
	{ "go_memstats_mcache_sys_bytes", MS_MCACHE_SYS },
	{ "go_memstats_buck_hash_sys_bytes", MS_BUCK_HASH_SYS },
	{ "go_memstats_gc_sys_bytes", MS_GC_SYS },
	{ "go_memstats_other_sys_bytes", MS_OTHER_SYS },
	{ "go_memstats_next_gc_bytes", MS_NEXT_GC },
	{ "go_gc_duration_seconds_count", MS_NUM_GC },
	/* runtime/metrics names (client_golang >= 1.12 with the new
	 * collector options), used only where the classic name is absent. */
	{ "go_memory_classes_total_bytes", MS_SYS },
	{ "go_memory_classes_heap_released_bytes", MS_HEAP_RELEASED },
	{ "go_memory_classes_heap_objects_bytes", MS_HEAP_ALLOC },
	{ "go_gc_heap_goal_bytes", MS_NEXT_GC },
	{ "go_gc_heap_objects_objects", MS_HEAP_OBJECTS },
	{ "go_memory_classes_profiling_buckets_bytes", MS_BUCK_HASH_SYS },
	{ "go_memory_classes_metadata_other_bytes", MS_GC_SYS },
	{ "go_memory_classes_other_bytes", MS_OTHER_SYS },
};

bool prom_to_memstats(const struct prom_set *s, struct go_memstats *ms, struct prom_go_info *info)
{
	uint64_t x;

	memset(ms, 0, sizeof(*ms));
	for (size_t i = 0; i < sizeof(ms_map) / sizeof(ms_map[0]); i++) {
		if ((ms->known >> ms_map[i].f) & 1)
			continue;
		if (get_u64(s, ms_map[i].name, 1, &x)) {
			ms->v[ms_map[i].f] = x;
			ms->known |= 1ull << ms_map[i].f;
		}
	}
	if (get_u64(s, "go_memstats_last_gc_time_seconds", 1e9, &x)) {
		ms->v[MS_LAST_GC] = x;
		ms->known |= 1ull << MS_LAST_GC;
	}
	{
		const struct prom_sample *f = prom_get(s, "go_memstats_gc_cpu_fraction", NULL);
		if (f && isfinite(f->value)) {
			ms->gc_cpu_fraction = f->value;
			ms->gc_cpu_fraction_known = true;
		}
	}
	if (info) {
		const struct prom_sample *gi = prom_get(s, "go_info", NULL);
		const char *v = gi ? prom_label(gi, "version") : NULL;
		memset(info, 0, sizeof(*info));
		info->has_goroutines = get_u64(s, "go_goroutines", 1, &info->goroutines);
		info->has_threads = get_u64(s, "go_threads", 1, &info->threads);
		info->has_rss = get_u64(s, "process_resident_memory_bytes", 1, &info->rss_bytes);
		if (v)
			snprintf(info->go_version, sizeof(info->go_version), "%s", v);
	}
	return ms->known != 0;
}
