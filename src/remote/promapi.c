/* SPDX-License-Identifier: MIT */
/* Prometheus HTTP API client: URL building, concurrent queries through
 * fetch_many(), and the response parser (jansson). */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/promapi.h"
#include "util/xalloc.h"
#include "util/banned.h"

void prom_result_init(struct prom_result *r)
{
	memset(r, 0, sizeof(*r));
}

static void series_release(struct prom_series *s)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	free(s->labels);
	free(s->pts);
}

void prom_result_release(struct prom_result *r)
{
	for (size_t i = 0; i < r->nseries; i++)
		series_release(&r->series[i]);
	free(r->series);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	prom_result_init(r);
}

const char *prom_series_label(const struct prom_series *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	return NULL;
}

/* --- parsing ------------------------------------------------------------ */

/* A sample is [unix_seconds, "value"]; the value is a string so that NaN
 * and the infinities survive JSON. */
static bool parse_sample(json_t *a, struct series_point *pt)
{
	json_t *t, *v;
	const char *s;
	char *end;

	if (!json_is_array(a) || json_array_size(a) != 2)
		return false;
	t = json_array_get(a, 0);
	v = json_array_get(a, 1);
	if (!json_is_number(t) || !json_is_string(v))
		return false;
	s = json_string_value(v);
	if (!*s || json_string_length(v) > 64)
		return false;
	errno = 0;
	pt->v = strtod(s, &end);
	if (*end)
		return false;
	pt->t = json_number_value(t);
	return isfinite(pt->t);
}

static enum gd_err parse_metric(json_t *m, struct prom_series *s, struct gd_errbuf *eb)
{
	const char *k;
	json_t *v;

	if (!json_is_object(m))
		return gd_fail(eb, GD_EFORMAT, "prometheus: a series without its \"metric\" labels");
	if (json_object_size(m) > PROM_MAX_LABELS)
		return gd_fail(eb, GD_EFORMAT, "prometheus: a series with %zu labels (over %d)",
			       json_object_size(m), PROM_MAX_LABELS);
	s->labels = xcalloc(json_object_size(m) ? json_object_size(m) : 1, sizeof(*s->labels));
	json_object_foreach(m, k, v) {
		size_t kl = strlen(k);
		if (!json_is_string(v))
			return gd_fail(eb, GD_EFORMAT, "prometheus: label value is not a string");
		if (kl > PROM_MAX_LABEL_LEN || json_string_length(v) > PROM_MAX_LABEL_LEN)
			return gd_fail(eb, GD_EFORMAT, "prometheus: a label over %d bytes",
				       PROM_MAX_LABEL_LEN);
		s->labels[s->nlabels].name = xstrndup(k, kl);
		s->labels[s->nlabels].value = xstrndup(json_string_value(v), json_string_length(v));
		s->nlabels++;
	}
	return GD_OK;
}

static enum gd_err parse_series(json_t *e, bool matrix, struct prom_result *r, struct gd_errbuf *eb)
{
	struct prom_series *s;
	enum gd_err rc;
	json_t *vals;

	if (!json_is_object(e))
		return gd_fail(eb, GD_EFORMAT, "prometheus: a result element is not an object");
	ALLOC_GROW(r->series, r->nseries + 1, r->series_alloc);
	s = &r->series[r->nseries++];
	memset(s, 0, sizeof(*s));
	rc = parse_metric(json_object_get(e, "metric"), s, eb);
	if (rc)
		return rc;
	if (matrix) {
		vals = json_object_get(e, "values");
		if (!vals) /* a native histogram series only: no float samples */
			return GD_OK;
		if (!json_is_array(vals))
			return gd_fail(eb, GD_EFORMAT, "prometheus: \"values\" is not an array");
		s->pts = xcalloc(json_array_size(vals) ? json_array_size(vals) : 1, sizeof(*s->pts));
		for (size_t i = 0; i < json_array_size(vals); i++) {
			if (parse_sample(json_array_get(vals, i), &s->pts[s->npts]))
				s->npts++;
			else
				r->bad_points++;
		}
	} else {
		vals = json_object_get(e, "value");
		if (!vals)
			return GD_OK;
		s->pts = xcalloc(1, sizeof(*s->pts));
		if (parse_sample(vals, &s->pts[0]))
			s->npts = 1;
		else
			r->bad_points++;
	}
	return GD_OK;
}

static void copy_text(char *dst, size_t n, const char *s)
{
	size_t j = 0;
	for (; s && *s && j + 1 < n; s++)
		dst[j++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	dst[j] = '\0';
}

enum gd_err promapi_parse(const char *buf, size_t len, struct prom_result *r, struct gd_errbuf *eb)
{
	json_error_t jerr;
	json_t *root, *st, *data, *res, *w;
	enum gd_err rc = GD_OK;

	prom_result_init(r);
	if (!buf)
		return gd_fail(eb, GD_EARG, "prometheus: no response");
	root = json_loadb(buf, len, 0, &jerr);
	if (!root)
		return gd_fail(eb, GD_EFORMAT, "prometheus: not JSON (%s at byte %d)", jerr.text,
			       jerr.position);
	st = json_object_get(root, "status");
	if (!json_is_object(root) || !json_is_string(st)) {
		rc = gd_fail(eb, GD_EFORMAT, "prometheus: not an API response (no \"status\")");
		goto out;
	}
	if (strcmp(json_string_value(st), "success")) {
		char et[64], em[300];
		copy_text(et, sizeof(et), json_string_value(json_object_get(root, "errorType")));
		copy_text(em, sizeof(em), json_string_value(json_object_get(root, "error")));
		rc = gd_fail(eb, GD_EHTTP, "prometheus: %s: %s", et[0] ? et : "error",
			     em[0] ? em : "(no message)");
		goto out;
	}
	w = json_object_get(root, "warnings");
	if (json_is_array(w)) {
		for (size_t i = 0; i < json_array_size(w); i++) {
			const char *s = json_string_value(json_array_get(w, i));
			if (!s)
				continue;
			if (r->nwarnings < PROM_MAX_WARNINGS) {
				char tmp[300];
				copy_text(tmp, sizeof(tmp), s);
				r->warnings[r->nwarnings++] = xstrdup(tmp);
			} else {
				r->warnings_dropped++;
			}
		}
	}
	data = json_object_get(root, "data");
	if (json_is_array(data)) {
		/* /api/v1/series: an array of label sets */
		r->type = PROM_SERIES;
		for (size_t i = 0; i < json_array_size(data) && !rc; i++) {
			struct prom_series *ps;
			ALLOC_GROW(r->series, r->nseries + 1, r->series_alloc);
			ps = &r->series[r->nseries++];
			memset(ps, 0, sizeof(*ps));
			rc = parse_metric(json_array_get(data, i), ps, eb);
		}
		goto out;
	}
	res = json_object_get(data, "result");
	const char *type = json_string_value(json_object_get(data, "resultType"));
	if (!json_is_object(data) || !type || !res) {
		rc = gd_fail(eb, GD_EFORMAT, "prometheus: success without data.resultType and data.result");
		goto out;
	}
	if (!strcmp(type, "matrix") || !strcmp(type, "vector")) {
		bool matrix = type[0] == 'm';
		r->type = matrix ? PROM_MATRIX : PROM_VECTOR;
		if (!json_is_array(res)) {
			rc = gd_fail(eb, GD_EFORMAT, "prometheus: %s result is not an array", type);
			goto out;
		}
		for (size_t i = 0; i < json_array_size(res) && !rc; i++)
			rc = parse_series(json_array_get(res, i), matrix, r, eb);
	} else if (!strcmp(type, "scalar")) {
		struct series_point pt;
		r->type = PROM_SCALAR;
		if (!parse_sample(res, &pt)) {
			rc = gd_fail(eb, GD_EFORMAT, "prometheus: bad scalar result");
			goto out;
		}
		r->scalar_t = pt.t;
		r->scalar_v = pt.v;
	} else if (!strcmp(type, "string")) {
		r->type = PROM_STRING;
	} else {
		char t[64];
		copy_text(t, sizeof(t), type);
		rc = gd_fail(eb, GD_EFORMAT, "prometheus: unknown resultType \"%s\"", t);
	}
out:
	json_decref(root);
	if (rc)
		prom_result_release(r);
	return rc;
}

/* --- planning and escaping ------------------------------------------------ */

size_t promapi_plan_range(double start, double end, double step, size_t max_points, double *starts,
			  double *ends, size_t room)
{
	if (!(step > 0) || !(end >= start) || !isfinite(start) || !isfinite(end) || max_points < 1)
		return 0;
	double span = step * (double)(max_points - 1); /* a chunk's end - start */
	size_t n = 0;
	for (double s = start; s <= end; s += span + step) {
		if (n == room)
			return 0;
		starts[n] = s;
		ends[n] = s + span < end ? s + span : end;
		n++;
	}
	return n;
}

enum gd_err promapi_quote(struct strbuf *sb, const char *s)
{
	enum gd_err rc = GD_OK;
	for (; *s && !rc; s++) {
		if (*s == '\\' || *s == '"') {
			rc = strbuf_addch(sb, '\\');
			if (!rc)
				rc = strbuf_addch(sb, *s);
		}
		else if (*s == '\n')
			rc = strbuf_addstr(sb, "\\n");
		else
			rc = strbuf_addch(sb, *s);
	}
	return rc;
}

enum gd_err promapi_regex_alternation(struct strbuf *sb, const char *const *values, size_t n)
{
	enum gd_err rc = GD_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		if (i)
			rc = strbuf_addch(sb, '|');
		for (const char *p = values[i]; *p && !rc; p++) {
			if (strchr("\\.+*?()|[]{}^$", *p))
				/* a regex escape, then the backslash escaped for the string */
				rc = strbuf_addstr(sb, "\\\\");
			if (!rc) {
				if (*p == '"')
					rc = strbuf_addstr(sb, "\\\"");
				else if (*p == '\\')
					rc = strbuf_addstr(sb, "\\\\");
				else if (*p == '\n')
					rc = strbuf_addstr(sb, "\\n");
				else
					rc = strbuf_addch(sb, *p);
			}
		}
	}
	return rc;
}

/* --- running ---------------------------------------------------------------- */

void promapi_client_init(struct promapi_client *c, const char *base)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	fetch_opts_init(&c->fetch);
	c->fetch.total_timeout_ms = 60000;
	c->fetch.stall_timeout_ms = 30000;
	c->fetch.max_bytes = (uint64_t)256 << 20;
	c->parallel = 4;
}

struct run_item {
	struct prom_query *q;
	struct strbuf body;
	char *url;
};

struct run_ctx {
	struct promapi_client *c;
	struct run_item *items;
	void (*done)(struct prom_query *q, void *arg);
	void *arg;
};

static enum gd_err collect(const char *data, size_t len, void *ctx)
{
	return strbuf_add(ctx, data, len);
}

static void show_expr(char *dst, size_t n, const char *expr)
{
	size_t l = strlen(expr);
	copy_text(dst, n, expr);
	if (l >= n && n > 4)
		memcpy(dst + n - 4, "...", 4);
}

/* The string value of "key" in a JSON text that may be cut short (fetch
 * keeps the first 256 bytes of an error body): tolerant of spaces. */
static bool json_field(const char *s, const char *key, char *out, size_t n)
{
	char pat[64];
	size_t j = 0;
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	/* the key, not the same word as a value ("status": "error") */
	const char *p = s;
	for (;;) {
		p = strstr(p, pat);
		if (!p)
			return false;
		p += strlen(pat);
		while (*p == ' ')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ')
			p++;
		if (*p == '"')
			break;
	}
	p++;
	for (; *p && *p != '"' && j + 1 < n; p++)
		out[j++] = (unsigned char)*p < 0x20 ? '?' : *p;
	out[j] = '\0';
	return true;
}

/* fetch's messages start with the (long, encoded) URL: put the query there
 * instead, and when the body was the API's error JSON, its message. */
static void query_failed(struct prom_query *q, const char *fetch_msg)
{
	char ex[100], why[GD_ERRBUF_SIZE], a[64], b[300];
	const char *p = strstr(fetch_msg, ": ");

	show_expr(ex, sizeof(ex), q->expr);
	copy_text(why, sizeof(why), p ? p + 2 : fetch_msg);
	if (json_field(fetch_msg, "errorType", a, sizeof(a)) && json_field(fetch_msg, "error", b, sizeof(b))) {
		/* the HTTP status, then the API's own words */
		char *brace = strstr(why, ": {");
		if (brace)
			*brace = '\0';
		gd_fail(&q->eb, q->err, "query %s: %s: prometheus: %s: %s", ex, why, a, b);
		return;
	}
	gd_fail(&q->eb, q->err, "query %s: %s", ex, why);
}

static void on_done(struct fetch_req *rq, void *arg)
{
	struct run_ctx *rc = arg;
	struct run_item *it = rq->user;
	struct prom_query *q = it->q;

	q->bytes = it->body.len;
	q->elapsed_s = (double)rq->res.elapsed_ms / 1000.0;
	q->err = rq->err;
	if (rq->err) {
		query_failed(q, rq->eb.msg);
	} else {
		struct gd_errbuf eb;
		q->err = promapi_parse(it->body.buf, it->body.len, &q->result, &eb);
		if (q->err) {
			char ex[100];
			show_expr(ex, sizeof(ex), q->expr);
			gd_fail(&q->eb, q->err, "query %s: %s", ex, eb.msg);
		}
	}
	strbuf_release(&it->body);
	free(it->url);
	it->url = NULL;
	if (rc->done)
		rc->done(q, rc->arg);
}

static char *build_url(const struct promapi_client *c, const struct prom_query *q)
{
	struct strbuf sb;
	char *enc = curl_easy_escape(NULL, q->expr, (int)strlen(q->expr));
	size_t bl = strlen(c->base);

	strbuf_init(&sb, STRBUF_UNLIMITED);
	while (bl && c->base[bl - 1] == '/')
		bl--;
	strbuf_add(&sb, c->base, bl);
	if (q->series)
		strbuf_addf(&sb, "/api/v1/series?match%%5B%%5D=%s&start=%.3f&end=%.3f", enc ? enc : "", q->start, q->end);
	else if (q->step > 0)
		strbuf_addf(&sb, "/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.3f",
			    enc ? enc : "", q->start, q->end, q->step);
	else
		strbuf_addf(&sb, "/api/v1/query?query=%s&time=%.3f", enc ? enc : "", q->end);
	if (c->server_timeout_s > 0 && !q->series)
		strbuf_addf(&sb, "&timeout=%.0fs", ceil(c->server_timeout_s));
	curl_free(enc);
	return strbuf_detach(&sb, NULL);
}

void promapi_run(struct promapi_client *c, struct prom_query *qs, size_t n,
		 void (*done)(struct prom_query *q, void *arg), void *arg)
{
	struct run_ctx rc = { c, NULL, done, arg };
	struct fetch_req *rq;
	size_t cap = c->fetch.max_bytes ? (size_t)c->fetch.max_bytes : STRBUF_UNLIMITED;

	if (!n)
		return;
	rc.items = xcalloc(n, sizeof(*rc.items));
	rq = xcalloc(n, sizeof(*rq));
	for (size_t i = 0; i < n; i++) {
		struct run_item *it = &rc.items[i];
		qs[i].err = GD_OK;
		qs[i].eb.msg[0] = '\0';
		prom_result_init(&qs[i].result);
		it->q = &qs[i];
		strbuf_init(&it->body, cap);
		it->url = build_url(c, &qs[i]);
		rq[i].url = it->url;
		rq[i].fn = collect;
		rq[i].ctx = &it->body;
		rq[i].user = it;
	}
	fetch_many(rq, n, c->parallel ? c->parallel : 1, &c->fetch, on_done, &rc);
	free(rq);
	free(rc.items);
}
