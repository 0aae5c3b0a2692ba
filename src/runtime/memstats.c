/* SPDX-License-Identifier: MIT */
/* Parser for the runtime.MemStats trailer of heap?debug=1 and the RSS split
 * built on it.  The trailer is written by writeHeapInternal in
 * runtime/pprof; we match keys by name rather than position because older
 * Go versions print fewer of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/memstats.h"
#include "util/numparse.h"
#include "util/banned.h"

static const char *const names[MS_NR] = {
	[MS_ALLOC] = "Alloc",
	[MS_TOTAL_ALLOC] = "TotalAlloc",
	[MS_SYS] = "Sys",
	[MS_LOOKUPS] = "Lookups",
	[MS_MALLOCS] = "Mallocs",
	[MS_FREES] = "Frees",
	[MS_HEAP_ALLOC] = "HeapAlloc",
	[MS_HEAP_SYS] = "HeapSys",
	[MS_HEAP_IDLE] = "HeapIdle",
	[MS_HEAP_INUSE] = "HeapInuse",
	[MS_HEAP_RELEASED] = "HeapReleased",
	[MS_HEAP_OBJECTS] = "HeapObjects",
	[MS_STACK_INUSE] = "StackInuse",
	[MS_STACK_SYS] = "StackSys",
	[MS_MSPAN_INUSE] = "MSpanInuse",
	[MS_MSPAN_SYS] = "MSpanSys",
	[MS_MCACHE_INUSE] = "MCacheInuse",
	[MS_MCACHE_SYS] = "MCacheSys",
	[MS_BUCK_HASH_SYS] = "BuckHashSys",
	[MS_GC_SYS] = "GCSys",
	[MS_OTHER_SYS] = "OtherSys",
	[MS_NEXT_GC] = "NextGC",
	[MS_LAST_GC] = "LastGC",
	[MS_NUM_GC] = "NumGC",
	[MS_NUM_FORCED_GC] = "NumForcedGC",
	[MS_MAX_RSS] = "MaxRSS",
};

/* The three "inuse / sys" pairs as the trailer spells them. */
static const struct {
	const char *key;
	enum go_memstats_field inuse, sys;
} pairs[] = {
	{ "Stack", MS_STACK_INUSE, MS_STACK_SYS },
	{ "MSpan", MS_MSPAN_INUSE, MS_MSPAN_SYS },
	{ "MCache", MS_MCACHE_INUSE, MS_MCACHE_SYS },
};

const char *go_memstats_name(enum go_memstats_field f)
{
	return (unsigned)f < MS_NR ? names[f] : "?";
}

/* A number with the spaces around it ("HeapIdle = 123 "). */
static bool scan_spaced_u64(const char **pp, const char *end, uint64_t *out)
{
	const char *p = *pp;

	while (p < end && *p == ' ')
		p++;
	if (!scan_u64(&p, end, out))
		return false;
	while (p < end && *p == ' ')
		p++;
	*pp = p;
	return true;
}

static bool span_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && !memcmp(s, word, n);
}

/* One "# Key = value" line; returns false on a bad value for a known key. */
static bool parse_line(const char *ls, const char *le, struct go_memstats *ms)
{
	const char *ks = ls + 2, *ke, *vs;
	const char *eq = NULL;

	for (const char *p = ks; p + 2 < le; p++)
		if (p[0] == ' ' && p[1] == '=' && p[2] == ' ') {
			eq = p;
			break;
		}
	if (!eq)
		return true; /* not a key line: ignore */
	ke = eq;
	vs = eq + 3;

	for (int f = 0; f < MS_NR; f++) {
		uint64_t v;
		const char *p = vs;
		if (!span_is(ks, ke, names[f]))
			continue;
		if (!scan_spaced_u64(&p, le, &v) || p != le)
			return false;
		ms->v[f] = v;
		ms->known |= 1ull << f;
		return true;
	}
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint64_t a, b;
		const char *p = vs;
		if (!span_is(ks, ke, pairs[i].key))
			continue;
		if (!scan_spaced_u64(&p, le, &a) || p >= le || *p != '/')
			return false;
		p++;
		if (!scan_spaced_u64(&p, le, &b) || p != le)
			return false;
		ms->v[pairs[i].inuse] = a;
		ms->v[pairs[i].sys] = b;
		ms->known |= (1ull << pairs[i].inuse) | (1ull << pairs[i].sys);
		return true;
	}
	if (span_is(ks, ke, "GCCPUFraction")) {
		/* %v of a float64: "0", "0.0012", "1.5e-05".  Copy to a small
		 * NUL-terminated buffer so strtod cannot run past the line. */
		char tmp[64];
		char *end;
		size_t n = (size_t)(le - vs);
		if (n == 0 || n >= sizeof(tmp))
			return false;
		memcpy(tmp, vs, n);
		tmp[n] = '\0';
		ms->gc_cpu_fraction = strtod(tmp, &end);
		if (end != tmp + n || tmp[0] == ' ')
			return false;
		ms->gc_cpu_fraction_known = true;
		return true;
	}
	if (span_is(ks, ke, "DebugGC")) {
		if (span_is(vs, le, "true"))
			ms->debug_gc = true;
		else if (span_is(vs, le, "false"))
			ms->debug_gc = false;
		else
			return false;
		ms->debug_gc_known = true;
	}
	return true;
}

enum gd_err go_memstats_parse(const char *buf, size_t len, struct go_memstats *ms,
			      const char *name, struct gd_errbuf *eb)
{
	static const char header[] = "# runtime.MemStats";
	const char *p = NULL, *end = buf + len;
	enum gd_err rc = GD_OK;
	size_t lineno = 0;

	memset(ms, 0, sizeof(*ms));
	/* The header must start a line; records above it also begin with "#". */
	for (const char *s = buf; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		const char *le = e;
		if (le > s && le[-1] == '\r')
			le--;
		if (span_is(s, le, header)) {
			p = nl ? nl + 1 : end;
			break;
		}
		if (!nl)
			break;
		s = nl + 1;
	}
	if (!p)
		return gd_fail(eb, GD_EFORMAT, "%s: no '# runtime.MemStats' block", name);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		/* The block ends at the first line that is not "# ...". */
		if (le - p < 2 || p[0] != '#' || p[1] != ' ')
			break;
		if (!parse_line(p, le, ms) && rc == GD_OK)
			rc = gd_fail(eb, GD_EFORMAT, "%s: MemStats line %zu: bad value", name, lineno);
		if (!nl)
			break;
		p = nl + 1;
	}
	if (rc == GD_OK && !ms->known)
		rc = gd_fail(eb, GD_EFORMAT, "%s: '# runtime.MemStats' block holds no field", name);
	return rc;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

static bool has(const struct go_memstats *ms, enum go_memstats_field f)
{
	return (ms->known >> f) & 1;
}

bool go_mem_split_compute(const struct go_memstats *ms, uint64_t rss_anon, bool rss_anon_known,
			  uint64_t lazyfree, struct go_mem_split *out)
{
	memset(out, 0, sizeof(*out));
	if (!has(ms, MS_SYS) || !has(ms, MS_HEAP_INUSE) || !has(ms, MS_HEAP_IDLE) ||
	    !has(ms, MS_HEAP_RELEASED))
		return false;
	out->heap_inuse = ms->v[MS_HEAP_INUSE];
	out->heap_idle = sub0(ms->v[MS_HEAP_IDLE], ms->v[MS_HEAP_RELEASED]);
	out->heap_released = ms->v[MS_HEAP_RELEASED];
	out->stacks = ms->v[MS_STACK_SYS];
	/* Each term is at most Sys, so the sum cannot overflow in practice;
	 * keep it honest anyway for hostile input. */
	{
		static const enum go_memstats_field meta[] = {
			MS_MSPAN_SYS, MS_MCACHE_SYS, MS_BUCK_HASH_SYS, MS_GC_SYS, MS_OTHER_SYS,
		};
		uint64_t m = 0;
		for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
			m = ms->v[meta[i]] > UINT64_MAX - m ? UINT64_MAX : m + ms->v[meta[i]];
		out->metadata = m;
	}
	out->go_retained = sub0(ms->v[MS_SYS], ms->v[MS_HEAP_RELEASED]);
	if (rss_anon_known) {
		out->non_go = sub0(sub0(rss_anon, out->go_retained), lazyfree);
		out->non_go_known = true;
	}
	return true;
}
