/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/finding.h"
#include "util/xalloc.h"
#include "util/banned.h"

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_CRITICAL: return "critical";
	case SEV_WARNING: return "warning";
	default: return "info";
	}
}

const char *evidence_basis_name(enum evidence_basis b)
{
	switch (b) {
	case EVB_INFERRED: return "inferred";
	case EVB_PROCESS_MEMORY: return "process memory";
	default: return "read";
	}
}

void report_init(struct report *r, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->target = xstrdup(target ? target : "");
}

static void finding_release(struct finding *f)
{
	free(f->rule);
	free(f->summary);
	for (size_t i = 0; i < f->nevidence; i++) {
		free(f->evidence[i].what);
		free(f->evidence[i].unit);
		free(f->evidence[i].text);
		free(f->evidence[i].source);
	}
	free(f->evidence);
	free(f->fix);
	free(f->snippet);
	for (size_t i = 0; i < f->nrefs; i++)
		free(f->refs[i]);
	free(f->refs);
	for (size_t i = 0; i < f->nframes; i++)
		free(f->frames[i]);
	free(f->frames);
}

void report_release(struct report *r)
{
	for (size_t i = 0; i < r->nfindings; i++)
		finding_release(&r->findings[i]);
	free(r->findings);
	for (size_t i = 0; i < r->nseen; i++) {
		free(r->seen[i].rule);
		free(r->seen[i].text);
	}
	free(r->seen);
	for (size_t i = 0; i < r->nsnaps; i++) {
		struct report_snapshot *s = &r->snaps[i];
		for (size_t j = 0; j < s->npieces; j++) {
			free(s->pieces[j].what);
			free(s->pieces[j].source);
			free(s->pieces[j].note);
		}
		free(s->pieces);
		free(s->label);
		free(s->go_version);
		free(s->module);
		free(s->kernel);
		free(s->mem_policy);
	}
	free(r->target);
	memset(r, 0, sizeof(*r));
}

struct report_snapshot *report_add_snapshot(struct report *r, const char *label, int64_t time)
{
	struct report_snapshot *s;
	if (r->nsnaps >= 2)
		return &r->snaps[1];
	s = &r->snaps[r->nsnaps++];
	memset(s, 0, sizeof(*s));
	s->label = xstrdup(label ? label : "");
	s->time = time;
	return s;
}

void report_snapshot_piece(struct report_snapshot *s, const char *what, const char *source, int64_t time,
			   bool ok, const char *note)
{
	struct snapshot_piece *p;
	ALLOC_GROW(s->pieces, s->npieces + 1, s->pieces_alloc);
	p = &s->pieces[s->npieces++];
	p->what = xstrdup(what);
	p->source = xstrdup_or_null(source);
	p->time = time;
	p->ok = ok;
	p->note = xstrdup_or_null(note);
}

struct finding *report_add_finding(struct report *r, const char *rule, enum severity sev, double confidence)
{
	struct finding *f;
	ALLOC_GROW(r->findings, r->nfindings + 1, r->findings_alloc);
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->rule = xstrdup(rule);
	f->severity = sev;
	f->confidence = confidence < 0 ? 0 : confidence > 1 ? 1 : confidence;
	f->goroutines = f->max_wait_minutes = f->sockets = -1;
	return f;
}

void finding_set_summary(struct finding *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(f->summary);
	f->summary = xstrdup(buf);
}

void finding_add_evidence(struct finding *f, const char *what, double value, const char *unit, const char *source)
{
	struct evidence *e;
	ALLOC_GROW(f->evidence, f->nevidence + 1, f->evidence_alloc);
	e = &f->evidence[f->nevidence++];
	e->what = xstrdup(what);
	e->value = value;
	e->unit = xstrdup(unit ? unit : "");
	e->text = NULL;
	e->source = xstrdup_or_null(source);
	e->basis = EVB_READ;
}

void finding_add_fact(struct finding *f, const char *what, const char *text, const char *source)
{
	struct evidence *e;
	ALLOC_GROW(f->evidence, f->nevidence + 1, f->evidence_alloc);
	e = &f->evidence[f->nevidence++];
	e->what = xstrdup(what);
	e->value = 0;
	e->unit = xstrdup("");
	e->text = xstrdup_or_null(text);
	e->source = xstrdup_or_null(source);
	e->basis = EVB_READ;
}

void finding_add_inferred(struct finding *f, const char *what, const char *text, const char *how)
{
	finding_add_fact(f, what, text, how);
	f->evidence[f->nevidence - 1].basis = EVB_INFERRED;
}

void report_add_seen(struct report *r, const char *rule, int64_t goroutines, int64_t sockets, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	struct seen_item *it;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ALLOC_GROW(r->seen, r->nseen + 1, r->seen_alloc);
	it = &r->seen[r->nseen++];
	it->rule = xstrdup(rule);
	it->goroutines = goroutines;
	it->sockets = sockets;
	it->text = xstrdup(buf);
}

void report_format_duration(char *buf, size_t n, double s)
{
	double r;
	if (!(s >= 0))
		s = 0;
	if (s < 0.001) {
		snprintf(buf, n, "%.2f ms", s * 1000);
		return;
	}
	if (s < 1) {
		snprintf(buf, n, "%.0f ms", s * 1000);
		return;
	}
	/* Round once, to the smallest unit shown, then split. */
	if (s < 3600) {
		r = s + 0.5;
		uint64_t t = (uint64_t)r, m = t / 60, sec = t % 60;
		if (!m)
			snprintf(buf, n, "%" PRIu64 " s", sec);
		else if (!sec)
			snprintf(buf, n, "%" PRIu64 " min", m);
		else
			snprintf(buf, n, "%" PRIu64 " min %" PRIu64 " s", m, sec);
	} else if (s < 172800) {
		uint64_t t = (uint64_t)(s / 60 + 0.5), h = t / 60, m = t % 60;
		if (!m)
			snprintf(buf, n, "%" PRIu64 " h", h);
		else
			snprintf(buf, n, "%" PRIu64 " h %" PRIu64 " min", h, m);
	} else {
		snprintf(buf, n, "%.1f days", s / 86400);
	}
}

void finding_set_fix(struct finding *f, const char *fix, const char *snippet)
{
	free(f->fix);
	free(f->snippet);
	f->fix = xstrdup_or_null(fix);
	f->snippet = xstrdup_or_null(snippet);
}

void finding_add_ref(struct finding *f, const char *url)
{
	ALLOC_GROW(f->refs, f->nrefs + 1, f->refs_alloc);
	f->refs[f->nrefs++] = xstrdup(url);
}

void finding_add_frame(struct finding *f, const char *func, const char *file, uint32_t line)
{
	char buf[2048];
	snprintf(buf, sizeof(buf), "%s  %s:%u", func, file, line);
	ALLOC_GROW(f->frames, f->nframes + 1, f->frames_alloc);
	f->frames[f->nframes++] = xstrdup(buf);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

void report_sort(struct report *r)
{
	if (r->nfindings > 1)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), cmp_finding);
}
