/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pprof/pprof_write.h"
#include "report/diff_report.h"
#include "util/human.h"
#include "util/json_writer.h"
#include "util/termsafe.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* --- text ------------------------------------------------------------------- */

static int64_t sub_u64(uint64_t after, uint64_t before)
{
	return after >= before ? (int64_t)(after - before) : -(int64_t)(before - after);
}

static void signed_bytes(char *buf, size_t n, int64_t v)
{
	char h[24];
	human_bytes(h, sizeof(h), (uint64_t)(v < 0 ? -v : v));
	snprintf(buf, n, "%s%s", v < 0 ? "-" : "+", h);
}

static void print_frame(FILE *out, const char *func, size_t flen, const char *file, size_t filelen, uint32_t line)
{
	const char *slash = file ? memrchr(file, '/', filelen) : NULL;
	termsafe_write(out, func, flen);
	if (file && filelen) {
		fputs("  ", out);
		/* The file's last component: the full path is in --json. */
		if (slash)
			termsafe_write(out, slash + 1, filelen - (size_t)(slash + 1 - file));
		else
			termsafe_write(out, file, filelen);
		fprintf(out, ":%" PRIu32, line);
	}
}

/* The innermost frame that is not the runtime's: what a reader recognises. */
static uint32_t first_own_frame(const struct gd_frame *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (f[i].func_len < 8 || memcmp(f[i].func, "runtime.", 8))
			return i;
	return 0;
}

static void print_wait(FILE *out, const struct diff_wait *w)
{
	if (w->known)
		fprintf(out, "%" PRIu32 "m", w->max);
	else
		fputs("-", out);
}

static void text_goroutines(FILE *out, const struct diff_result *d, size_t top)
{
	size_t shown = 0, gone = 0;
	fprintf(out, "goroutines: %" PRIu64 " -> %" PRIu64 " (%+" PRId64 ")\n", d->goroutines_before,
		d->goroutines_after, (int64_t)(d->goroutines_after - d->goroutines_before));
	for (size_t i = 0; i < d->nbuckets; i++) {
		const struct diff_bucket *e = &d->buckets[i];
		const struct bucket *b = e->rep;
		uint32_t k;
		if (e->delta < 0) {
			gone++;
			continue;
		}
		if (shown >= top)
			continue;
		shown++;
		fprintf(out, "  %+7" PRId64 "  %" PRIu64 " -> %" PRIu64, e->delta, e->before, e->after);
		if (e->state) {
			fputs("  ", out);
			termsafe_puts(out, e->state);
		}
		if (e->wait_before.known || e->wait_after.known) {
			fputs(", max wait ", out);
			print_wait(out, &e->wait_before);
			fputs(" -> ", out);
			print_wait(out, &e->wait_after);
		}
		fputc('\n', out);
		k = first_own_frame(b->frames, b->nframes);
		for (uint32_t j = k; j < b->nframes && j < k + 3; j++) {
			fputs("           ", out);
			print_frame(out, b->frames[j].func, b->frames[j].func_len, b->frames[j].file, b->frames[j].file_len,
				    b->frames[j].line);
			fputc('\n', out);
		}
		if (!b->nframes)
			fputs("           <no stack>\n", out);
	}
	if (gone)
		fprintf(out, "  (%zu bucket%s shrank)\n", gone, gone == 1 ? "" : "s");
}

static void text_heap(FILE *out, const struct diff_result *d, size_t top)
{
	char a[32], b[32], dl[40];
	size_t shown = 0, shrank = 0;
	human_bytes(a, sizeof(a), d->heap_before);
	human_bytes(b, sizeof(b), d->heap_after);
	signed_bytes(dl, sizeof(dl), sub_u64(d->heap_after, d->heap_before));
	fprintf(out, "heap in use: %s -> %s (%s)\n", a, b, dl);
	for (size_t i = 0; i < d->nsites; i++) {
		const struct diff_site *e = &d->sites[i];
		const struct heap_site *s = e->site;
		uint32_t k = 0;
		if (e->delta_bytes < 0) {
			shrank++;
			continue;
		}
		if (shown >= top)
			continue;
		shown++;
		signed_bytes(dl, sizeof(dl), e->delta_bytes);
		human_bytes(a, sizeof(a), e->before_bytes);
		human_bytes(b, sizeof(b), e->after_bytes);
		fprintf(out, "  %9s  %s -> %s, %+" PRId64 " objects%s\n", dl, a, b, e->delta_objects,
			e->new_site ? " (new site)" : "");
		for (uint32_t j = 0; j < s->nframes; j++)
			if (strncmp(s->frames[j].func, "runtime.", 8)) {
				k = j;
				break;
			}
		for (uint32_t j = k; j < s->nframes && j < k + 3; j++) {
			fputs("             ", out);
			print_frame(out, s->frames[j].func, strlen(s->frames[j].func), s->frames[j].file,
				    strlen(s->frames[j].file), s->frames[j].line);
			fputc('\n', out);
		}
	}
	if (shrank)
		fprintf(out, "  (%zu site%s shrank)\n", shrank, shrank == 1 ? "" : "s");
}

static void text_sockets(FILE *out, const struct diff_result *d, size_t top)
{
	size_t shown = 0, shrank = 0;
	fprintf(out, "TCP sockets: %" PRIu64 " -> %" PRIu64 " (%+" PRId64 ")\n", d->sockets_before, d->sockets_after,
		sub_u64(d->sockets_after, d->sockets_before));
	for (size_t i = 0; i < d->npeers; i++) {
		const struct diff_peer *p = &d->peers[i];
		if (p->delta < 0) {
			shrank++;
			continue;
		}
		if (shown++ >= top)
			continue;
		fprintf(out, "  %+7" PRId64 "  %" PRIu64 " -> %" PRIu64 "  %s ", p->delta, p->before, p->after,
			p->inbound ? "from" : "to  ");
		termsafe_puts(out, p->peer);
		fputc('\n', out);
	}
	if (shrank)
		fprintf(out, "  (%zu peer%s with fewer sockets)\n", shrank, shrank == 1 ? "" : "s");
}

void diff_render_text(FILE *out, const struct diff_result *d, size_t top)
{
	fputs("godiag diff ", out);
	termsafe_puts(out, d->a->label ? d->a->label : "A");
	fputc(' ', out);
	termsafe_puts(out, d->b->label ? d->b->label : "B");
	if (d->seconds > 0)
		fprintf(out, "  (B taken %" PRId64 " s after A)", d->seconds);
	fputs("\n\n", out);
	if (d->has_goroutines) {
		text_goroutines(out, d, top);
		fputc('\n', out);
	}
	if (d->has_heap) {
		text_heap(out, d, top);
		fputc('\n', out);
	}
	if (d->has_sockets) {
		text_sockets(out, d, top);
		fputc('\n', out);
	}
	for (size_t i = 0; i < d->nnotes; i++) {
		fputs("note: ", out);
		termsafe_puts(out, d->notes[i]);
		fputc('\n', out);
	}
	fprintf(out, "%s\n", d->grew ? "Something grew." : "Nothing grew.");
}

/* --- JSON ------------------------------------------------------------------- */

static void jw_kv_int(struct json_writer *jw, const char *k, int64_t v)
{
	jw_key(jw, k);
	jw_int(jw, v);
}

static void json_side(struct json_writer *jw, const char *key, const struct snapshot *s)
{
	jw_key(jw, key);
	jw_object_begin(jw);
	jw_key_string(jw, "source", s->label);
	jw_kv_int(jw, "time", s->time);
	jw_key(jw, "pid");
	if (s->pid)
		jw_int(jw, s->pid);
	else
		jw_null(jw);
	jw_object_end(jw);
}

static void json_wait(struct json_writer *jw, const char *key, const struct diff_wait *w)
{
	jw_key(jw, key);
	if (!w->known) {
		jw_null(jw);
		return;
	}
	jw_object_begin(jw);
	jw_kv_int(jw, "min", w->min);
	jw_kv_int(jw, "median", w->median);
	jw_kv_int(jw, "max", w->max);
	jw_object_end(jw);
}

static void json_frame(struct json_writer *jw, const char *func, size_t flen, const char *file, size_t filelen,
		       uint32_t line)
{
	jw_object_begin(jw);
	jw_key(jw, "func");
	jw_string_n(jw, func, flen);
	jw_key(jw, "file");
	jw_string_n(jw, file, filelen);
	jw_kv_int(jw, "line", line);
	jw_object_end(jw);
}

void diff_render_json(FILE *out, const struct diff_result *d)
{
	struct json_writer jw;
	char key[24];
	jw_init(&jw, out, true);
	jw_object_begin(&jw);
	json_side(&jw, "a", d->a);
	json_side(&jw, "b", d->b);
	jw_key(&jw, "seconds");
	if (d->seconds)
		jw_int(&jw, d->seconds);
	else
		jw_null(&jw);
	jw_key(&jw, "grew");
	jw_bool(&jw, d->grew > 0);
	jw_kv_int(&jw, "grown_entries", (int64_t)d->grew);

	jw_key(&jw, "goroutines");
	if (!d->has_goroutines) {
		jw_null(&jw);
	} else {
		jw_object_begin(&jw);
		jw_kv_int(&jw, "before", (int64_t)d->goroutines_before);
		jw_kv_int(&jw, "after", (int64_t)d->goroutines_after);
		jw_kv_int(&jw, "delta", sub_u64(d->goroutines_after, d->goroutines_before));
		jw_key(&jw, "buckets");
		jw_array_begin(&jw);
		for (size_t i = 0; i < d->nbuckets; i++) {
			const struct diff_bucket *e = &d->buckets[i];
			jw_object_begin(&jw);
			snprintf(key, sizeof(key), "%016" PRIx64, e->key);
			jw_key_string(&jw, "key", key);
			jw_kv_int(&jw, "before", (int64_t)e->before);
			jw_kv_int(&jw, "after", (int64_t)e->after);
			jw_kv_int(&jw, "delta", e->delta);
			jw_key(&jw, "grew");
			jw_bool(&jw, e->grew);
			jw_key_string(&jw, "state", e->state);
			json_wait(&jw, "wait_minutes_before", &e->wait_before);
			json_wait(&jw, "wait_minutes_after", &e->wait_after);
			jw_key(&jw, "frames");
			jw_array_begin(&jw);
			for (uint32_t j = 0; j < e->rep->nframes; j++) {
				const struct gd_frame *f = &e->rep->frames[j];
				json_frame(&jw, f->func, f->func_len, f->file, f->file_len, f->line);
			}
			jw_array_end(&jw);
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
	}

	jw_key(&jw, "heap");
	if (!d->has_heap) {
		jw_null(&jw);
	} else {
		jw_object_begin(&jw);
		jw_kv_int(&jw, "before_bytes", (int64_t)d->heap_before);
		jw_kv_int(&jw, "after_bytes", (int64_t)d->heap_after);
		jw_kv_int(&jw, "delta_bytes", sub_u64(d->heap_after, d->heap_before));
		jw_key(&jw, "sites");
		jw_array_begin(&jw);
		for (size_t i = 0; i < d->nsites; i++) {
			const struct diff_site *e = &d->sites[i];
			jw_object_begin(&jw);
			jw_kv_int(&jw, "before_bytes", (int64_t)e->before_bytes);
			jw_kv_int(&jw, "after_bytes", (int64_t)e->after_bytes);
			jw_kv_int(&jw, "delta_bytes", e->delta_bytes);
			jw_kv_int(&jw, "before_objects", (int64_t)e->before_objects);
			jw_kv_int(&jw, "after_objects", (int64_t)e->after_objects);
			jw_kv_int(&jw, "delta_objects", e->delta_objects);
			jw_key(&jw, "new_site");
			jw_bool(&jw, e->new_site);
			jw_key(&jw, "grew");
			jw_bool(&jw, e->grew);
			jw_key(&jw, "frames");
			jw_array_begin(&jw);
			for (uint32_t j = 0; j < e->site->nframes; j++) {
				const struct heap_frame *f = &e->site->frames[j];
				json_frame(&jw, f->func, strlen(f->func), f->file, strlen(f->file), f->line);
			}
			jw_array_end(&jw);
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
	}

	jw_key(&jw, "sockets");
	if (!d->has_sockets) {
		jw_null(&jw);
	} else {
		jw_object_begin(&jw);
		jw_kv_int(&jw, "before", (int64_t)d->sockets_before);
		jw_kv_int(&jw, "after", (int64_t)d->sockets_after);
		jw_kv_int(&jw, "delta", sub_u64(d->sockets_after, d->sockets_before));
		jw_key(&jw, "peers");
		jw_array_begin(&jw);
		for (size_t i = 0; i < d->npeers; i++) {
			const struct diff_peer *p = &d->peers[i];
			jw_object_begin(&jw);
			jw_key_string(&jw, "peer", p->peer);
			jw_key_string(&jw, "direction", p->inbound ? "in" : "out");
			jw_kv_int(&jw, "before", (int64_t)p->before);
			jw_kv_int(&jw, "after", (int64_t)p->after);
			jw_kv_int(&jw, "delta", p->delta);
			jw_key(&jw, "grew");
			jw_bool(&jw, p->grew);
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
	}

	jw_key(&jw, "notes");
	jw_array_begin(&jw);
	for (size_t i = 0; i < d->nnotes; i++)
		jw_string(&jw, d->notes[i]);
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end(&jw);
}

/* --- pprof ------------------------------------------------------------------ */

enum gd_err diff_write_pprof(FILE *out, const struct diff_result *d, struct gd_errbuf *eb)
{
	/* `go tool pprof` shows the last sample type by default: goroutines;
	 * -sample_index=inuse_space shows the heap's growth. */
	static const struct pprof_sample_type types[] = {
		{ "inuse_space", "bytes" },
		{ "goroutine", "count" },
	};
	struct pprof_builder b;
	struct gd_frame *frames = NULL;
	size_t frames_alloc = 0, nsamples = 0;
	enum gd_err e;
	pprof_builder_init(&b, types, 2);
	if (d->a->time && d->b->time) {
		b.time_nanos = d->b->time * 1000000000LL;
		b.duration_nanos = d->seconds > 0 ? d->seconds * 1000000000LL : 0;
	}
	for (size_t i = 0; i < d->nbuckets; i++) {
		const struct diff_bucket *e2 = &d->buckets[i];
		int64_t v[2] = { 0, e2->delta };
		if (!e2->delta || !e2->rep->nframes)
			continue;
		if (!pprof_builder_add(&b, e2->rep->frames, e2->rep->nframes, v, NULL, NULL))
			nsamples++;
	}
	for (size_t i = 0; i < d->nsites; i++) {
		const struct heap_site *s = d->sites[i].site;
		int64_t v[2] = { d->sites[i].delta_bytes, 0 };
		if (!d->sites[i].delta_bytes || !s->nframes)
			continue;
		ALLOC_GROW(frames, s->nframes, frames_alloc);
		for (uint32_t j = 0; j < s->nframes; j++) {
			memset(&frames[j], 0, sizeof(frames[j]));
			frames[j].func = s->frames[j].func;
			frames[j].func_len = (uint32_t)strlen(s->frames[j].func);
			frames[j].file = s->frames[j].file;
			frames[j].file_len = (uint32_t)strlen(s->frames[j].file);
			frames[j].args = "";
			frames[j].line = s->frames[j].line;
		}
		if (!pprof_builder_add(&b, frames, s->nframes, v, NULL, NULL))
			nsamples++;
	}
	free(frames);
	if (!nsamples) {
		pprof_builder_release(&b);
		return gd_fail(eb, GD_EFORMAT, "no stack changed between A and B: no profile to write");
	}
	e = pprof_builder_write(&b, out, eb);
	pprof_builder_release(&b);
	return e;
}
