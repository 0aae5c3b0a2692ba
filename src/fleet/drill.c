/* SPDX-License-Identifier: MIT */
/* fleet: the drill-down.  For the top suspects whose pprof endpoint can be
 * reached, doctor's library (snapshot_collect + diagnose_run, within its
 * pause budget) names the leaking stack.
 *
 * A goroutine that has waited longer than the period survived every trough
 * since it blocked: the stack holding most of those is the leak, whether or
 * not a doctor rule knows its framework.  So when no finding of doctor
 * carries a stack, fleet shows that one.  Go prints wait minutes only from
 * one minute on, and only after a GC has stamped the wait, so for short
 * periods (compressed tests, fast rhythms) the same idea is applied to the
 * stacks themselves: nine cheap debug=1 profiles across one period, and
 * the stack whose lowest count is highest is the one that holds the trough
 * (the lower envelope, per stack). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose/diagnose.h"
#include "diagnose/snapshot.h"
#include "fleet/fleet.h"
#include "goroutine/debug1.h"
#include "goroutine/group.h"
#include "remote/fetch.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define DRILL_MAX_FRAMES 12

/* Only what a host or host:port can hold goes into a URL: the labels come
 * from the scraped targets' configuration, and a label like
 * "evil.com/x?" must not turn into a request somewhere else. */
static bool url_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_:[]", *s))
			return false;
	return true;
}

static char *drill_url(const struct fleet_opts *o, const struct fleet_instance *in, char *why, size_t n)
{
	struct strbuf sb;
	const char *t;
	char port[32];

	if (!url_safe(in->host) || !url_safe(in->instance)) {
		snprintf(why, n, "instance label is not a host:port; no pprof URL built from it");
		return NULL;
	}
	strbuf_init(&sb, 4096);
	if (o->pprof_url) {
		t = o->pprof_url;
	} else {
		snprintf(port, sizeof(port), "%d", o->pprof_port);
		t = NULL;
		bool v6 = strchr(in->host, ':') != NULL;
		strbuf_addf(&sb, "http://%s%s%s:%s", v6 ? "[" : "", in->host, v6 ? "]" : "", port);
	}
	for (; t && *t; t++) {
		if (!strncmp(t, "{host}", 6)) {
			bool v6 = strchr(in->host, ':') != NULL;
			strbuf_addf(&sb, "%s%s%s", v6 ? "[" : "", in->host, v6 ? "]" : "");
			t += 5;
		} else if (!strncmp(t, "{instance}", 10)) {
			strbuf_addstr(&sb, in->instance);
			t += 9;
		} else if (!strncmp(t, "{job}", 5)) {
			/* a job name is free text: percent-encode what is not plain */
			for (const char *j = in->job; *j; j++)
				if (isalnum((unsigned char)*j) || strchr("-_.", *j))
					strbuf_addch(&sb, *j);
				else
					strbuf_addf(&sb, "%%%02X", (unsigned char)*j);
			t += 4;
		} else {
			strbuf_addch(&sb, *t);
		}
	}
	return strbuf_detach(&sb, NULL);
}

static void frames_from_bucket(struct fleet_drill *d, const struct bucket *b)
{
	size_t n = b->nframes < DRILL_MAX_FRAMES ? b->nframes : DRILL_MAX_FRAMES;
	d->frames = xcalloc(n ? n : 1, sizeof(*d->frames));
	for (size_t i = 0; i < n; i++) {
		char buf[2048];
		const struct gd_frame *f = &b->frames[i];
		snprintf(buf, sizeof(buf), "%.*s  %.*s:%u", (int)f->func_len, f->func, (int)f->file_len, f->file,
			 f->line);
		d->frames[d->nframes++] = xstrdup(buf);
	}
}

/* The bucket with the most goroutines waiting at least min_minutes. */
static const struct bucket *survivors(struct grouping *g, uint32_t min_minutes, uint64_t *count)
{
	const struct bucket *best = NULL;
	*count = 0;
	for (size_t i = 0; i < g->nbuckets; i++) {
		const struct bucket *b = &g->buckets[i];
		uint64_t c = 0;
		for (size_t k = 0; k < b->nwaits; k++)
			if (b->waits[k].minutes >= min_minutes)
				c += b->waits[k].count;
		if (c > *count) {
			*count = c;
			best = b;
		}
	}
	return best;
}

static void drill_one(const struct fleet_opts *o, const struct fleet_report *r, const struct fleet_instance *in,
		      struct fleet_drill *d)
{
	char why[256];
	struct collect_opts co;
	struct snapshot snap;
	struct report rep;
	struct gd_errbuf eb = { "" };
	struct diagnose_opts dopts;

	d->goroutines = -1;
	d->url = drill_url(o, in, why, sizeof(why));
	if (!d->url) {
		d->note = xstrdup(why);
		return;
	}
	collect_opts_init(&co);
	co.max_stw_ms = o->max_stw_ms;
	co.fetch = o->fetch;
	co.fetch.max_bytes = (uint64_t)128 << 20;
	co.quiet = true;
	report_init(&rep, d->url);
	struct report_snapshot *rsn = report_add_snapshot(&rep, d->url, 0);
	snapshot_init(&snap);
	if (snapshot_collect(&snap, d->url, &co, rsn, &eb)) {
		d->note = xstrdup(eb.msg);
		goto out;
	}
	/* "old" for doctor's rules and for the survivors: one period, between
	 * one minute (debug=2's resolution) and doctor's ten */
	double idle = r->period_s < 60 ? 60 : r->period_s > 600 ? 600 : r->period_s;
	diagnose_opts_init(&dopts);
	dopts.idle_threshold_s = (uint32_t)idle;
	if (o->rules)
		diagnose_run(o->rules, NULL, &snap, &dopts, &rep);
	report_sort(&rep);
	d->ok = true;
	for (size_t i = 0; i < rep.nfindings; i++) {
		const struct finding *f = &rep.findings[i];
		if (!f->nframes)
			continue;
		d->rule = xstrdup(f->rule);
		d->summary = xstrdup(f->summary ? f->summary : "");
		size_t n = f->nframes < DRILL_MAX_FRAMES ? f->nframes : DRILL_MAX_FRAMES;
		d->frames = xcalloc(n, sizeof(*d->frames));
		for (size_t k = 0; k < n; k++)
			d->frames[d->nframes++] = xstrdup(f->frames[k]);
		d->goroutines = f->goroutines;
		goto out;
	}
	if (snap.has_goroutines && snap.goroutines_have_waits) {
		uint32_t min_minutes = (uint32_t)ceil(r->period_s / 60);
		uint64_t count;
		if (min_minutes < 1)
			min_minutes = 1;
		const struct bucket *b = survivors(&snap.g, min_minutes, &count);
		if (b) {
			char buf[256];
			d->rule = xstrdup("survivors");
			snprintf(buf, sizeof(buf), "%llu goroutines of this stack have waited %u minutes or more: "
				 "longer than a period, through every trough since",
				 (unsigned long long)count, min_minutes);
			d->summary = xstrdup(buf);
			d->goroutines = (long long)count;
			frames_from_bucket(d, b);
		} else {
			snprintf(why, sizeof(why), "no goroutine has waited a period (%u min) or longer", min_minutes);
			d->note = xstrdup(why);
		}
	} else if (snap.has_goroutines) {
		d->note = xstrdup("goroutine dump without wait times (debug=2 over the pause budget or refused): "
				  "no stack can be named as the one that survives the troughs");
	} else {
		d->note = xstrdup("no goroutine dump could be read");
	}
out:
	snapshot_release(&snap);
	report_release(&rep);
}

/* --- the envelope of each stack over one period ------------------------- */

#define ENV_SAMPLES 9 /* one within a sixteenth of a period of the trough */
#define ENV_MAX_STACKS 4096

struct env_stack {
	uint64_t hash;
	uint64_t min;      /* lowest count seen (0 once a sample lacks it) */
	uint32_t seen;
	char **frames;
	size_t nframes;
};

struct env {
	struct env_stack *st;
	size_t n;
	uint32_t rounds;   /* samples taken */
	bool failed;
	char note[256];
};

static void env_release(struct env *e)
{
	for (size_t i = 0; i < e->n; i++) {
		for (size_t k = 0; k < e->st[i].nframes; k++)
			free(e->st[i].frames[k]);
		free(e->st[i].frames);
	}
	free(e->st);
}

static enum gd_err env_collect(const char *data, size_t len, void *ctx)
{
	return debug1_parser_feed(ctx, data, len) == GD_EFORMAT ? GD_EFORMAT : GD_OK;
}

/* One debug=1 sample into the running minima. */
static void env_sample(struct env *e, const char *base, const struct fetch_opts *fo)
{
	struct grouping g;
	struct gd_errbuf eb = { "" };
	char url[2200];
	grouping_init(&g, GROUP_ANY_ARGS, 0);
	struct debug1_parser *p = debug1_parser_new(grouping_add_record, &g);
	snprintf(url, sizeof(url), "%s/debug/pprof/goroutine?debug=1", base);
	enum gd_err rc = fetch_stream(url, fo, env_collect, p, NULL, &eb);
	if (!rc)
		rc = debug1_parser_finish(p);
	if (rc) {
		e->failed = true;
		snprintf(e->note, sizeof(e->note), "%s", eb.msg[0] ? eb.msg : debug1_parser_error(p));
		goto out;
	}
	e->rounds++;
	for (size_t i = 0; i < g.nbuckets; i++) {
		const struct bucket *b = &g.buckets[i];
		struct env_stack *s = NULL;
		for (size_t k = 0; k < e->n; k++)
			if (e->st[k].hash == b->hash) {
				s = &e->st[k];
				break;
			}
		if (!s) {
			if (e->rounds > 1 || e->n >= ENV_MAX_STACKS)
				continue; /* not in the first sample: its minimum is 0 */
			e->st = xreallocarray(e->st, e->n + 1, sizeof(*e->st));
			s = &e->st[e->n++];
			memset(s, 0, sizeof(*s));
			s->hash = b->hash;
			s->min = b->count;
			size_t nf = b->nframes < DRILL_MAX_FRAMES ? b->nframes : DRILL_MAX_FRAMES;
			s->frames = xcalloc(nf ? nf : 1, sizeof(*s->frames));
			for (size_t k = 0; k < nf; k++) {
				char buf[2048];
				const struct gd_frame *f = &b->frames[k];
				snprintf(buf, sizeof(buf), "%.*s  %.*s:%u", (int)f->func_len, f->func, (int)f->file_len,
					 f->file, f->line);
				s->frames[s->nframes++] = xstrdup(buf);
			}
		}
		s->seen = e->rounds;
		if (b->count < s->min)
			s->min = b->count;
	}
	for (size_t k = 0; k < e->n; k++)
		if (e->st[k].seen != e->rounds)
			e->st[k].min = 0;
out:
	debug1_parser_free(p);
	grouping_release(&g);
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
	while (nanosleep(&ts, &ts))
		;
}

/* For the drills that found no stack: ENV_SAMPLES debug=1 profiles of each,
 * spread over one period, all targets per round. */
static void drill_envelopes(const struct fleet_opts *o, const struct fleet_report *r)
{
	struct env *envs = xcalloc(r->ndrills, sizeof(*envs));
	struct fetch_opts fo = o->fetch;
	size_t want = 0;
	fo.max_bytes = (uint64_t)64 << 20;
	for (size_t i = 0; i < r->ndrills; i++)
		want += r->drills[i].ok && !r->drills[i].nframes;
	if (!want) {
		free(envs);
		return;
	}
	if (o->progress) {
		char msg[160];
		snprintf(msg, sizeof(msg), "fleet: %d goroutine profiles (debug=1) of %zu suspect(s) over one period (%.0f s)",
			 ENV_SAMPLES, want, r->period_s);
		o->progress(msg, o->progress_arg);
	}
	for (int round = 0; round < ENV_SAMPLES; round++) {
		if (round)
			sleep_s(r->period_s / (ENV_SAMPLES - 1));
		for (size_t i = 0; i < r->ndrills; i++) {
			struct fleet_drill *d = &r->drills[i];
			if (d->ok && !d->nframes && !envs[i].failed)
				env_sample(&envs[i], d->url, &fo);
		}
	}
	for (size_t i = 0; i < r->ndrills; i++) {
		struct fleet_drill *d = &r->drills[i];
		struct env *e = &envs[i];
		if (!d->ok || d->nframes)
			continue;
		const struct env_stack *best = NULL;
		for (size_t k = 0; k < e->n; k++)
			if (e->st[k].min >= 2 && (!best || e->st[k].min > best->min))
				best = &e->st[k];
		if (e->rounds == ENV_SAMPLES && best) {
			char buf[256];
			free(d->rule);
			free(d->summary);
			free(d->note);
			d->note = NULL;
			d->rule = xstrdup("survivors");
			snprintf(buf, sizeof(buf), "%llu goroutines of this stack at the lowest of %d profiles over one "
				 "period: the stack that holds the trough",
				 (unsigned long long)best->min, ENV_SAMPLES);
			d->summary = xstrdup(buf);
			d->goroutines = (long long)best->min;
			d->frames = xcalloc(best->nframes ? best->nframes : 1, sizeof(*d->frames));
			for (size_t k = 0; k < best->nframes; k++)
				d->frames[d->nframes++] = xstrdup(best->frames[k]);
		} else if (e->failed) {
			free(d->note);
			d->note = xstrdup(e->note);
		}
		env_release(e);
	}
	free(envs);
}

void fleet_drill(const struct fleet_opts *o, struct fleet_report *r)
{
	struct timespec t0, t1;
	if (!o->drill_top || (!o->pprof_port && !o->pprof_url) || !r->nsuspects)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->drills = xcalloc(o->drill_top, sizeof(*r->drills));
	for (size_t k = 0; k < r->nsuspects && r->ndrills < o->drill_top; k++) {
		struct fleet_suspect *s = &r->suspects[k];
		const struct fleet_instance *in = &r->inst[s->inst];
		if (in->node || s->drill)
			continue;
		struct fleet_drill *d = &r->drills[r->ndrills++];
		if (o->progress) {
			char msg[512];
			snprintf(msg, sizeof(msg), "fleet: drill-down into %.200s (doctor, pause budget %.0f ms)", in->instance,
				 o->max_stw_ms);
			o->progress(msg, o->progress_arg);
		}
		drill_one(o, r, in, d);
		for (size_t j = k; j < r->nsuspects; j++)
			if (r->suspects[j].inst == s->inst)
				r->suspects[j].drill = d;
	}
	/* wait minutes cannot tell a period of a few minutes */
	if (r->period_s <= 600)
		drill_envelopes(o, r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->drill_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}
