/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/rules.h"
#include "util/numparse.h"
#include "util/regex_safe.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/readfile.h"
#include "util/banned.h"

/* Generated from rules/NAME.rules by the build (see src/diagnose/meson.build). */
extern const char godiag_builtin_rules[];

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void rule_release(struct rule *r)
{
	free(r->id);
	free(r->title);
	if (r->has_frame)
		regfree(&r->frame);
	if (r->has_frame_also)
		regfree(&r->frame_also);
	if (r->has_exclude)
		regfree(&r->exclude);
	for (size_t i = 0; i < r->nstates; i++)
		free(r->states[i]);
	for (size_t i = 0; i < r->nunaged_states; i++)
		free(r->unaged_states[i]);
	free(r->summary);
	free(r->inferred);
	free(r->fix);
	free(r->snippet);
	for (size_t i = 0; i < r->nrefs; i++)
		free(r->refs[i]);
	free(r->origin);
	memset(r, 0, sizeof(*r));
}

void ruleset_release(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		rule_release(&rs->rules[i]);
	free(rs->rules);
	ruleset_init(rs);
}

const struct rule *ruleset_find(const struct ruleset *rs, const char *id)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i].id, id))
			return &rs->rules[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool parse_uint(char *s, uint64_t *out)
{
	const char *p = s;
	char *end;
	uint64_t v;
	if (!scan_u64(&p, s + strlen(s), &v))
		return false;
	end = trim(s + (p - s));
	if (!strcmp(end, "KiB"))
		v <<= 10;
	else if (!strcmp(end, "MiB"))
		v <<= 20;
	else if (!strcmp(end, "GiB"))
		v <<= 30;
	else if (*end)
		return false;
	*out = v;
	return true;
}

static bool parse_ratio(const char *s, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *trim(end) || !(v >= 0 && v <= 1000))
		return false;
	*out = v;
	return true;
}

static bool parse_list(char *v, char **dst, size_t *n)
{
	char *save = v;
	while (save && *save) {
		char *comma = strchr(save, ',');
		char *item;
		if (comma)
			*comma = '\0';
		item = trim(save);
		if (*item) {
			if (*n >= RULES_MAX_STATES)
				return false;
			dst[(*n)++] = xstrdup(item);
		}
		save = comma ? comma + 1 : NULL;
	}
	return true;
}

static const struct {
	const char *name;
	enum rule_kind kind;
} kinds[] = {
	{ "goroutines", RULE_GOROUTINES },   { "leak-profile", RULE_LEAK_PROFILE },
	{ "heap-growth", RULE_HEAP_GROWTH }, { "madv-free", RULE_MADV_FREE },
	{ "heap-idle", RULE_HEAP_IDLE },     { "rss-outside-heap", RULE_RSS_OUTSIDE },
	{ "thp", RULE_THP },                 { "cgroup-limit", RULE_CGROUP_LIMIT },
};

struct parse_state {
	const char *origin;
	size_t lineno;
	struct gd_errbuf *eb;
};

#define FAIL(ps, ...) gd_fail((ps)->eb, GD_EFORMAT, __VA_ARGS__)

static enum gd_err set_regex(struct parse_state *ps, regex_t *re, bool *has, const char *v)
{
	char m[128];
	if (*has)
		regfree(re);
	*has = false;
	if (regcomp_safe(re, v, m, sizeof(m)))
		return FAIL(ps, "%s:%zu: bad regular expression '%.200s': %s", ps->origin, ps->lineno, v, m);
	*has = true;
	return GD_OK;
}

static enum gd_err set_key(struct parse_state *ps, struct rule *r, const char *key, char *v)
{
	uint64_t u;
	if (!strcmp(key, "kind")) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			if (!strcmp(v, kinds[i].name)) {
				r->kind = kinds[i].kind;
				return GD_OK;
			}
		}
		return FAIL(ps, "%s:%zu: unknown kind '%s'", ps->origin, ps->lineno, v);
	}
	if (!strcmp(key, "severity")) {
		if (!strcmp(v, "info"))
			r->severity = SEV_INFO;
		else if (!strcmp(v, "warning"))
			r->severity = SEV_WARNING;
		else if (!strcmp(v, "critical"))
			r->severity = SEV_CRITICAL;
		else
			return FAIL(ps, "%s:%zu: severity must be info, warning or critical", ps->origin, ps->lineno);
		return GD_OK;
	}
	if (!strcmp(key, "pool-check")) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return FAIL(ps, "%s:%zu: pool-check must be yes or no", ps->origin, ps->lineno);
		r->pool_check = !strcmp(v, "yes");
		return GD_OK;
	}
	if (!strcmp(key, "title") || !strcmp(key, "summary") || !strcmp(key, "fix") || !strcmp(key, "inferred")) {
		char **dst = key[0] == 't' ? &r->title : key[0] == 's' ? &r->summary : key[0] == 'i' ? &r->inferred : &r->fix;
		free(*dst);
		*dst = xstrdup(v);
		return GD_OK;
	}
	if (!strcmp(key, "frame"))
		return set_regex(ps, &r->frame, &r->has_frame, v);
	if (!strcmp(key, "frame-also"))
		return set_regex(ps, &r->frame_also, &r->has_frame_also, v);
	if (!strcmp(key, "exclude"))
		return set_regex(ps, &r->exclude, &r->has_exclude, v);
	if (!strcmp(key, "state") || !strcmp(key, "unaged-state")) {
		bool ok = key[0] == 's' ? parse_list(v, r->states, &r->nstates)
					: parse_list(v, r->unaged_states, &r->nunaged_states);
		return ok ? GD_OK : FAIL(ps, "%s:%zu: more than %d states", ps->origin, ps->lineno, RULES_MAX_STATES);
	}
	if (!strcmp(key, "per-connection") || !strcmp(key, "min-goroutines") || !strcmp(key, "unaged-min") ||
	    !strcmp(key, "min-bytes")) {
		if (!parse_uint(v, &u) || u > ((uint64_t)1 << 50))
			return FAIL(ps, "%s:%zu: %s: expected a number, got '%s'", ps->origin, ps->lineno, key, v);
		if (!strcmp(key, "per-connection")) {
			if (u == 0 || u > 64)
				return FAIL(ps, "%s:%zu: per-connection must be 1-64", ps->origin, ps->lineno);
			r->per_connection = (uint32_t)u;
		} else if (!strcmp(key, "min-goroutines")) {
			r->min_goroutines = u;
		} else if (!strcmp(key, "unaged-min")) {
			r->unaged_min = u;
		} else {
			r->min_bytes = u;
		}
		return GD_OK;
	}
	if (!strcmp(key, "min-ratio") || !strcmp(key, "confidence")) {
		double d;
		if (!parse_ratio(v, &d) || (key[0] == 'c' && d > 1))
			return FAIL(ps, "%s:%zu: %s: expected a number, got '%s'", ps->origin, ps->lineno, key, v);
		if (key[0] == 'c')
			r->confidence = d;
		else
			r->min_ratio = d;
		return GD_OK;
	}
	if (!strcmp(key, "sockets")) {
		if (!strcmp(v, "none"))
			r->sockets = SOCKETS_NONE;
		else if (!strcmp(v, "inbound"))
			r->sockets = SOCKETS_INBOUND;
		else if (!strcmp(v, "outbound"))
			r->sockets = SOCKETS_OUTBOUND;
		else
			return FAIL(ps, "%s:%zu: sockets must be none, inbound or outbound", ps->origin, ps->lineno);
		return GD_OK;
	}
	if (!strcmp(key, "scope")) {
		if (!strcmp(v, "all"))
			r->scope = SCOPE_ALL;
		else if (!strcmp(v, "bucket"))
			r->scope = SCOPE_BUCKET;
		else
			return FAIL(ps, "%s:%zu: scope must be all or bucket", ps->origin, ps->lineno);
		return GD_OK;
	}
	if (!strcmp(key, "ref")) {
		if (r->nrefs >= RULES_MAX_REFS)
			return FAIL(ps, "%s:%zu: more than %d refs", ps->origin, ps->lineno, RULES_MAX_REFS);
		r->refs[r->nrefs++] = xstrdup(v);
		return GD_OK;
	}
	return FAIL(ps, "%s:%zu: unknown key '%s'", ps->origin, ps->lineno, key);
}

static enum gd_err finish_rule(struct parse_state *ps, struct ruleset *rs, struct rule *r)
{
	struct rule *old;
	if (!r->id)
		return GD_OK;
	if (r->kind == RULE_GOROUTINES && !r->has_frame)
		return FAIL(ps, "%s: rule %s: kind goroutines needs a frame pattern", ps->origin, r->id);
	if (!r->summary)
		return FAIL(ps, "%s: rule %s: no summary", ps->origin, r->id);
	old = (struct rule *)ruleset_find(rs, r->id);
	if (old) {
		rule_release(old);
		*old = *r;
	} else {
		if (rs->n >= RULES_MAX_RULES)
			return FAIL(ps, "%s: more than %d rules", ps->origin, RULES_MAX_RULES);
		ALLOC_GROW(rs->rules, rs->n + 1, rs->alloc);
		rs->rules[rs->n++] = *r;
	}
	memset(r, 0, sizeof(*r));
	return GD_OK;
}

/* Fix text is prose: lines of a paragraph are joined (renderers wrap it to
 * their width); a blank line keeps a paragraph break. */
static char *reflow(const char *text)
{
	struct strbuf sb = STRBUF_INIT_MAX(RULES_MAX_BYTES);
	const char *p = text;
	bool pending_space = false, pending_para = false;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!n) {
			pending_para = sb.len > 0;
			pending_space = false;
		} else {
			if (pending_para)
				strbuf_addstr(&sb, "\n\n");
			else if (pending_space)
				strbuf_addch(&sb, ' ');
			strbuf_add(&sb, p, n);
			pending_space = true;
			pending_para = false;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	return strbuf_detach(&sb, NULL);
}

static void rule_defaults(struct rule *r, const char *id, const char *origin)
{
	memset(r, 0, sizeof(*r));
	r->id = xstrdup(id);
	r->origin = xstrdup(origin);
	r->severity = SEV_WARNING;
	r->per_connection = 1;
	r->min_goroutines = 10;
	r->confidence = 0.6;
}

static bool valid_id(const char *id)
{
	if (!*id || strlen(id) > 64)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return false;
	return true;
}

enum gd_err ruleset_parse(struct ruleset *rs, const char *text, size_t len, const char *origin,
			  struct gd_errbuf *eb)
{
	struct parse_state ps = { origin, 0, eb };
	struct rule cur;
	const char *p = text, *end = text + len;
	char line[RULES_MAX_LINE + 1];
	enum gd_err e = GD_OK;

	memset(&cur, 0, sizeof(cur));
	if (len > RULES_MAX_BYTES)
		return gd_fail(eb, GD_ETOOBIG, "%s: over %zu KiB", origin, RULES_MAX_BYTES >> 10);
	if (memchr(text, '\0', len))
		return gd_fail(eb, GD_EFORMAT, "%s: binary data, not a rules file", origin);
	while (p < end && !e) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *s, *eq;
		ps.lineno++;
		if (n > RULES_MAX_LINE) {
			e = FAIL(&ps, "%s:%zu: line over %d bytes", origin, ps.lineno, RULES_MAX_LINE);
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			char *id;
			if (!close || strncmp(s, "[rule ", 6) || *trim(close + 1)) {
				e = FAIL(&ps, "%s:%zu: expected [rule ID]", origin, ps.lineno);
				break;
			}
			*close = '\0';
			id = trim(s + 6);
			if (!valid_id(id)) {
				e = FAIL(&ps, "%s:%zu: bad rule id '%s' (a-z, 0-9, '-', '_', '.')", origin, ps.lineno, id);
				break;
			}
			if ((e = finish_rule(&ps, rs, &cur)))
				break;
			rule_defaults(&cur, id, origin);
			continue;
		}
		if (!cur.id) {
			e = FAIL(&ps, "%s:%zu: a key outside any [rule ID] section", origin, ps.lineno);
			break;
		}
		/* "snippet <<END" / "fix <<END": lines up to END, kept verbatim. */
		{
			char *heredoc = strstr(s, "<<");
			eq = strchr(s, '=');
			if (heredoc && (!eq || heredoc < eq)) {
				struct strbuf body = STRBUF_INIT_MAX(RULES_MAX_BYTES);
				char key[32], tag[64];
				size_t klen = (size_t)(heredoc - s);
				bool closed = false;
				snprintf(tag, sizeof(tag), "%s", trim(heredoc + 2));
				while (klen && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
					klen--;
				if (klen >= sizeof(key) || !*tag) {
					e = FAIL(&ps, "%s:%zu: bad here-document", origin, ps.lineno);
					break;
				}
				memcpy(key, s, klen);
				key[klen] = '\0';
				while (p < end) {
					const char *nl2 = memchr(p, '\n', (size_t)(end - p));
					size_t n2 = nl2 ? (size_t)(nl2 - p) : (size_t)(end - p);
					const char *q = p;
					ps.lineno++;
					p = nl2 ? nl2 + 1 : end;
					if (n2 && q[n2 - 1] == '\r')
						n2--;
					if (n2 == strlen(tag) && !memcmp(q, tag, n2)) {
						closed = true;
						break;
					}
					strbuf_add(&body, q, n2);
					strbuf_addch(&body, '\n');
				}
				if (!closed) {
					strbuf_release(&body);
					e = FAIL(&ps, "%s:%zu: here-document not closed by %s", origin, ps.lineno, tag);
					break;
				}
				if (!strcmp(key, "snippet")) {
					free(cur.snippet);
					cur.snippet = strbuf_detach(&body, NULL);
				} else if (!strcmp(key, "fix")) {
					free(cur.fix);
					cur.fix = reflow(body.buf);
					strbuf_release(&body);
				} else {
					strbuf_release(&body);
					e = FAIL(&ps, "%s:%zu: only snippet and fix take a here-document", origin, ps.lineno);
				}
				continue;
			}
		}
		if (!eq) {
			e = FAIL(&ps, "%s:%zu: expected key = value", origin, ps.lineno);
			break;
		}
		*eq = '\0';
		e = set_key(&ps, &cur, trim(s), trim(eq + 1));
	}
	if (!e)
		e = finish_rule(&ps, rs, &cur);
	if (cur.id)
		rule_release(&cur);
	return e;
}

enum gd_err ruleset_load_file(struct ruleset *rs, const char *path, struct gd_errbuf *eb)
{
	struct strbuf sb = STRBUF_INIT_MAX(RULES_MAX_BYTES);
	enum gd_err e = read_file_capped(path, RULES_MAX_BYTES, &sb, eb);

	if (!e)
		e = ruleset_parse(rs, sb.buf, sb.len, path, eb);
	strbuf_release(&sb);
	return e;
}

enum gd_err ruleset_load_builtin(struct ruleset *rs, struct gd_errbuf *eb)
{
	return ruleset_parse(rs, godiag_builtin_rules, strlen(godiag_builtin_rules), "built-in", eb);
}

/* --- templates -------------------------------------------------------------- */

char *rule_expand(const char *tmpl, const struct rule_var *vars, size_t nvars)
{
	struct strbuf sb = STRBUF_INIT_MAX(16384);
	const char *p = tmpl;
	while (*p) {
		const char *open = strchr(p, '{'), *close;
		if (!open) {
			strbuf_addstr(&sb, p);
			break;
		}
		strbuf_add(&sb, p, (size_t)(open - p));
		close = strchr(open, '}');
		if (!close) {
			strbuf_addstr(&sb, open);
			break;
		}
		{
			bool found = false;
			for (size_t i = 0; i < nvars; i++) {
				if (strlen(vars[i].name) == (size_t)(close - open - 1) &&
				    !memcmp(vars[i].name, open + 1, (size_t)(close - open - 1))) {
					strbuf_addstr(&sb, vars[i].value);
					found = true;
					break;
				}
			}
			if (!found)
				strbuf_add(&sb, open, (size_t)(close - open + 1));
		}
		p = close + 1;
	}
	return strbuf_detach(&sb, NULL);
}

struct rule_var *rule_var_set(struct rule_var *v, size_t *n, const char *name, const char *fmt, ...)
{
	va_list ap;
	v[*n].name = name;
	va_start(ap, fmt);
	vsnprintf(v[*n].value, sizeof(v[*n].value), fmt, ap);
	va_end(ap);
	return &v[(*n)++];
}

struct finding *rule_add_finding(struct report *r, const struct rule *rule, double confidence,
				 const struct rule_var *vars, size_t nvars)
{
	struct finding *f = report_add_finding(r, rule->id, rule->severity, confidence);
	f->summary = rule_expand(rule->summary, vars, nvars);
	if (rule->fix || rule->snippet) {
		char *fix = rule->fix ? rule_expand(rule->fix, vars, nvars) : NULL;
		finding_set_fix(f, fix, rule->snippet);
		free(fix);
	}
	for (size_t i = 0; i < rule->nrefs; i++)
		finding_add_ref(f, rule->refs[i]);
	return f;
}
