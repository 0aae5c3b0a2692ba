/* SPDX-License-Identifier: MIT */
/* /debug/vars JSON -> struct go_memstats + cmdline, through jansson.  Keys
 * are matched by the names memstats.c already knows, so the two sources of
 * MemStats can never disagree on what a field is called. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "remote/expvar.h"
#include "util/xalloc.h"
#include "util/banned.h"

void expvar_vars_init(struct expvar_vars *v)
{
	memset(v, 0, sizeof(*v));
}

void expvar_vars_release(struct expvar_vars *v)
{
	for (size_t i = 0; i < v->ncmdline; i++)
		free(v->cmdline[i]);
	free(v->cmdline);
	memset(v, 0, sizeof(*v));
}

/* A non-negative integer (Go marshals uint64 as a plain integer; a real
 * that is integral is accepted too, as some proxies rewrite numbers). */
static bool json_u64(const json_t *j, uint64_t *out)
{
	if (json_is_integer(j)) {
		json_int_t x = json_integer_value(j);
		if (x < 0)
			return false;
		*out = (uint64_t)x;
		return true;
	}
	if (json_is_real(j)) {
		double d = json_real_value(j);
		if (!(d >= 0 && d < 1.8e19) || d != floor(d))
			return false;
		*out = (uint64_t)d;
		return true;
	}
	return false;
}

static void parse_memstats(struct expvar_vars *v, json_t *ms)
{
	struct go_memstats *m = &v->memstats;
	json_t *j;

	for (int f = 0; f < MS_NR; f++) {
		uint64_t x;
		j = json_object_get(ms, go_memstats_name((enum go_memstats_field)f));
		if (!j)
			continue;
		if (json_u64(j, &x)) {
			m->v[f] = x;
			m->known |= 1ull << f;
		} else {
			v->bad_values++;
		}
	}
	j = json_object_get(ms, "GCCPUFraction");
	if (j && json_is_number(j)) {
		double d = json_number_value(j);
		if (isfinite(d)) {
			m->gc_cpu_fraction = d;
			m->gc_cpu_fraction_known = true;
		} else {
			v->bad_values++;
		}
	} else if (j) {
		v->bad_values++;
	}
	j = json_object_get(ms, "DebugGC");
	if (j && json_is_boolean(j)) {
		m->debug_gc = json_is_true(j);
		m->debug_gc_known = true;
	} else if (j) {
		v->bad_values++;
	}
	j = json_object_get(ms, "PauseTotalNs");
	if (j && json_u64(j, &v->pause_total_ns))
		v->pause_total_known = true;
	else if (j)
		v->bad_values++;
	v->has_memstats = m->known != 0;
}

static void parse_cmdline(struct expvar_vars *v, json_t *a)
{
	size_t n = json_array_size(a);
	if (n > EXPVAR_MAX_ARGS)
		n = EXPVAR_MAX_ARGS;
	v->cmdline = xcalloc(n ? n : 1, sizeof(*v->cmdline));
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);
		const char *str = json_is_string(s) ? json_string_value(s) : "";
		size_t len = json_is_string(s) ? json_string_length(s) : 0;
		if (len > EXPVAR_MAX_ARG_LEN)
			len = EXPVAR_MAX_ARG_LEN;
		/* jansson allows NUL inside strings; cut there like profile.h does. */
		len = strnlen(str, len);
		v->cmdline[v->ncmdline++] = xstrndup(str, len);
	}
	v->has_cmdline = true;
}

enum gd_err expvar_parse(struct expvar_vars *v, const char *buf, size_t len, const char *name,
			 struct gd_errbuf *eb)
{
	json_error_t jerr;
	json_t *root, *ms, *cl;
	enum gd_err rc = GD_OK;

	if (!name)
		name = "/debug/vars";
	if (len > EXPVAR_MAX_INPUT)
		return gd_fail(eb, GD_ETOOBIG, "%s: %zu bytes is over the %zu MiB cap", name, len,
			       EXPVAR_MAX_INPUT >> 20);
	root = json_loadb(buf, len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
	if (!root)
		return gd_fail(eb, GD_EFORMAT, "%s: not JSON (line %d, column %d: %s)", name, jerr.line,
			       jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc = gd_fail(eb, GD_EFORMAT, "%s: JSON but not an object, so not an expvar page", name);
		goto out;
	}
	v->nkeys = json_object_size(root);
	ms = json_object_get(root, "memstats");
	cl = json_object_get(root, "cmdline");
	if (!json_is_object(ms) && !json_is_array(cl)) {
		rc = gd_fail(eb, GD_EFORMAT, "%s: JSON object without \"memstats\" or \"cmdline\": not Go's expvar",
			     name);
		goto out;
	}
	if (json_is_object(ms))
		parse_memstats(v, ms);
	if (json_is_array(cl))
		parse_cmdline(v, cl);
out:
	json_decref(root);
	return rc;
}
