/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "report/emit.h"
#include "report/stacks_report.h"
#include "util/html.h"
#include "util/banned.h"

/* --- text and JSON ------------------------------------------------------- */

struct style {
	const char *bold, *dim, *state, *user, *warn, *reset;
};

static const struct style plain = { "", "", "", "", "", "" };
static const struct style ansi = { "\033[1m", "\033[2m", "\033[33m", "\033[36m", "\033[1;31m", "\033[0m" };

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Standard-library packages have no dot in their first path element. */
static bool is_user_func(const char *func)
{
	const char *slash = strchr(func, '/'), *dot = strchr(func, '.');
	if (!strncmp(func, "main.", 5))
		return true;
	return slash && dot && dot < slash;
}

static const char *report_format_name(const struct stacks_report *r)
{
	return r->mixed ? "mixed" : dump_format_name(r->format);
}

/* Where b is among the shown buckets (r->nbuckets if not there). */
static size_t bucket_index(const struct stacks_report *r, const struct bucket *b)
{
	for (size_t i = 0; i < r->nbuckets; i++)
		if (r->buckets[i] == b)
			return i;
	return r->nbuckets;
}

/* Text shows a frame's file by its base name, JSON by its whole path. */
static void frame(struct emitter *e, const char *key, const struct gd_frame *f, bool args, const struct style *st,
		  const char *indent)
{
	bool user = is_user_func(f->func);
	char fmt[64];

	emit_object_begin(e, key);
	snprintf(fmt, sizeof(fmt), "%s%s%%s", indent, user ? st->user : "");
	emit_string(e, EMIT_ANY, "func", fmt, f->func);
	if (args)
		emit_string(e, EMIT_ANY, "args", "(%s)", f->args);
	emit_text(e, "%s  %s", user ? st->reset : "", st->dim);
	emit_string(e, EMIT_JSON, "file", NULL, f->file);
	if (f->file_len)
		emit_string(e, EMIT_TEXT, NULL, "%s", base_name(f->file));
	emit_uint(e, f->file_len && f->line ? EMIT_ANY : EMIT_JSON, "line", ":%s", true, f->line);
	if (f->flags & GD_FRAME_INLINED)
		emit_bool(e, EMIT_JSON, "inlined", NULL, true);
	emit_text(e, "%s\n", st->reset);
	emit_object_end(e);
}

/* "3 chan receive, 1 select" in text, {"chan receive": 3, "select": 1} in
 * JSON.  lone_bare: a bucket's only state goes without its count in text,
 * which would repeat the bucket's. */
static void states(struct emitter *e, const struct state_count *v, size_t n, bool lone_bare, const struct style *st)
{
	char fmt[32];

	snprintf(fmt, sizeof(fmt), "%%s%s", st->reset);
	emit_object_begin(e, "states");
	for (size_t i = 0; i < n; i++) {
		emit_text(e, "%s%s", i ? ", " : "", st->state);
		emit_count(e, lone_bare && n == 1 ? EMIT_JSON : EMIT_ANY, v[i].state, "%s ", v[i].count);
		emit_string(e, EMIT_TEXT, NULL, fmt, v[i].state);
	}
	emit_object_end(e);
}

static void label_sets(struct emitter *e, const struct bucket *b)
{
	bool any = b->labels || b->labels_mixed;

	if (b->labels)
		emit_string(e, EMIT_JSON, "labels", NULL, b->labels);
	if (b->labels_mixed)
		emit_bool(e, EMIT_JSON, "labels_mixed", NULL, true);
	emit_array_begin(e, "label_sets");
	if (any) {
		emit_text(e, "  labels:");
		for (size_t k = 0; k < b->nlabel_sets; k++) {
			const struct label_count *lc = &b->label_sets[k];
			emit_object_begin(e, NULL);
			/* The goroutines without labels: "" in JSON, a word in text. */
			emit_string(e, lc->labels[0] ? EMIT_ANY : EMIT_JSON, "labels", k ? ", %s" : " %s", lc->labels);
			if (!lc->labels[0])
				emit_text(e, "%s(none)", k ? ", " : " ");
			emit_uint(e, EMIT_ANY, "count", " x%s", true, lc->count);
			emit_object_end(e);
		}
	}
	emit_array_end(e);
	if (b->labels_other)
		emit_uint(e, any ? EMIT_ANY : EMIT_JSON, "labels_other", ", %s more with other labels", true,
			  b->labels_other);
	if (any)
		emit_text(e, "\n");
}

static void bucket(struct emitter *e, const struct stacks_report *r, const struct bucket *b, const struct style *st)
{
	/* A bucket has states only when its grouping has (not from profiles). */
	size_t ns = r->g->has_states ? b->nstates : 0;
	size_t nf = b->nframes;
	bool muted = e->text_muted;
	uint64_t bins[WAIT_BINS];
	uint32_t mn, med, mx;
	char fmt[64];

	emit_object_begin(e, NULL);
	emit_text(e, "\n");
	if (b == r->crash_bucket)
		emit_text(e, "%s>>> crashed here: goroutine %" PRIu64 "%s\n", st->warn, r->crash_goid, st->reset);
	snprintf(fmt, sizeof(fmt), "%s%%s%s", st->bold, st->reset);
	emit_count(e, EMIT_ANY, "count", fmt, b->count);
	if (ns)
		emit_text(e, "  ");
	states(e, b->states, ns, true, st);
	if (b->crashed)
		emit_bool(e, EMIT_JSON, "crashed", NULL, true);

	bucket_wait_histogram(b, bins);
	if (bucket_wait_stats(b, &mn, &med, &mx)) {
		emit_object_begin(e, "wait_minutes");
		/* Text says the range before the median. */
		emit_uint(e, EMIT_ANY, "min", "  waited %s", true, mn);
		emit_uint(e, EMIT_JSON, "median", NULL, true, med);
		emit_uint(e, EMIT_ANY, "max", "-%s", true, mx);
		emit_uint(e, EMIT_TEXT, NULL, " min (median %s)", true, med);
		/* Text gives the histogram a line of its own, below. */
		emit_object_begin(e, "histogram");
		for (int k = 0; k < WAIT_BINS; k++)
			emit_uint(e, EMIT_JSON, wait_bin_label[k], NULL, true, bins[k]);
		emit_object_end(e);
		emit_object_end(e);
	} else {
		emit_null(e, "wait_minutes");
	}
	emit_uint(e, b->locked ? EMIT_ANY : EMIT_JSON, "locked", "  %s locked to thread", true, b->locked);
	snprintf(fmt, sizeof(fmt), "  %s%%s leaked%s", st->warn, st->reset);
	emit_uint(e, b->leaked ? EMIT_ANY : EMIT_JSON, "leaked", fmt, true, b->leaked);
	emit_text(e, "\n");
	if (b->with_wait) {
		emit_text(e, "  %swait:", st->dim);
		for (int k = 0; k < WAIT_BINS; k++)
			if (bins[k])
				emit_text(e, " %s %" PRIu64 ";", wait_bin_label[k], bins[k]);
		emit_text(e, "%s\n", st->reset);
	}
	label_sets(e, b);
	/* Text lists the IDs above the stack, JSON at the end (below). */
	if (b->nids) {
		emit_text(e, "  %sids:", st->dim);
		for (uint32_t k = 0; k < b->nids; k++)
			emit_text(e, " %" PRIu64, b->ids[k]);
		emit_text(e, "%s%s\n", b->count > b->nids ? " ..." : "", st->reset);
	}

	/* Text shows the innermost --frames of the stack, JSON all of it. */
	if (r->max_frames && nf > r->max_frames)
		nf = r->max_frames;
	emit_array_begin(e, "frames");
	for (uint32_t k = 0; k < b->nframes; k++) {
		e->text_muted = muted || k >= nf;
		frame(e, NULL, &b->frames[k], r->show_args, st, "    ");
	}
	e->text_muted = muted;
	emit_array_end(e);
	if (nf < b->nframes)
		emit_text(e, "    %s... %" PRIu32 " more frames%s\n", st->dim, (uint32_t)(b->nframes - nf), st->reset);
	snprintf(fmt, sizeof(fmt), "    %s...%%s frames elided by the runtime...%s\n", st->dim, st->reset);
	emit_uint(e, b->elided ? EMIT_ANY : EMIT_JSON, "elided", fmt, true, b->elided);
	if (!b->elided && b->elided_unknown)
		emit_text(e, "    %s...more frames elided by the runtime...%s\n", st->dim, st->reset);
	if (b->has_creator)
		frame(e, "created_by", &b->creator, false, st, "  created by ");
	else
		emit_null(e, "created_by");
	emit_array_begin(e, "ids");
	for (uint32_t k = 0; k < b->nids; k++)
		emit_uint(e, EMIT_JSON, NULL, NULL, true, b->ids[k]);
	emit_array_end(e);
	emit_object_end(e);
}

static void inputs(struct emitter *e, const struct stacks_report *r)
{
	emit_array_begin(e, "inputs");
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct stacks_input_info *in = &r->inputs[i];
		emit_object_begin(e, NULL);
		emit_string(e, EMIT_JSON, "source", NULL, in->source);
		emit_string(e, EMIT_JSON, "format", NULL, dump_format_name(in->format));
		emit_uint(e, EMIT_JSON, "goroutines", NULL, true, in->goroutines);
		emit_uint(e, EMIT_JSON, "dumps", NULL, true, in->dumps);
		emit_uint(e, EMIT_JSON, "dump", NULL, true, in->dump);
		emit_bool(e, EMIT_JSON, "truncated", NULL, in->truncated);
		emit_string(e, EMIT_JSON, "error", NULL, in->error);
		emit_object_end(e);
	}
	emit_array_end(e);
}

static void render(FILE *out, const struct stacks_report *r, bool json, bool color)
{
	const struct style *st = color ? &ansi : &plain;
	const struct grouping *g = r->g;
	const char *sig = r->signal && *r->signal ? r->signal : NULL;
	bool panicked = r->preamble && *r->preamble;
	size_t ci = r->crash_bucket ? bucket_index(r, r->crash_bucket) : r->nbuckets;
	uint64_t shown = 0;
	uint32_t dumps = 0;
	struct emitter e;
	char fmt[128];

	emit_init_compact(&e, out, json);
	emit_object_begin(&e, NULL);
	snprintf(fmt, sizeof(fmt), "%s%%s goroutines%s in %zu bucket%s (", st->bold, st->reset, r->nbuckets,
		 r->nbuckets == 1 ? "" : "s");
	emit_count(&e, EMIT_TEXT, NULL, fmt, g->total);
	emit_string(&e, EMIT_ANY, "source", "%s", r->source);
	emit_string(&e, EMIT_ANY, "format", ", %s)\n", report_format_name(r));
	emit_uint(&e, EMIT_JSON, "total", NULL, true, g->total);
	emit_bool(&e, EMIT_JSON, "truncated", NULL, r->truncated);
	/* Text says it under the crash and signal lines. */
	emit_string(&e, EMIT_JSON, "partial", NULL, r->partial);
	/* For a signal without a panic line (SIGQUIT: quit) JSON's crash is
	 * the signal; text shows it once, as the signal. */
	snprintf(fmt, sizeof(fmt), "%s%%s%s\n", st->warn, st->reset);
	emit_string(&e, EMIT_ANY, "crash", panicked ? fmt : NULL, panicked ? r->preamble : sig);
	emit_string(&e, EMIT_ANY, "signal", sig ? "%s\n" : NULL, sig);
	snprintf(fmt, sizeof(fmt), "%sPARTIAL: %%s%s\n", st->warn, st->reset);
	emit_string(&e, EMIT_TEXT, NULL, r->partial ? fmt : NULL, r->partial);
	emit_uint(&e, EMIT_JSON, "crash_goroutine", NULL, r->has_crash_goid, r->crash_goid);
	for (size_t i = 0; i < r->ninputs; i++)
		dumps = r->inputs[i].dumps > dumps ? r->inputs[i].dumps : dumps;
	emit_uint(&e, EMIT_JSON, "dumps", NULL, true, dumps);
	inputs(&e, r);
	if (g->has_states)
		emit_text(&e, "states: ");
	states(&e, g->states, g->has_states ? g->nstates : 0, false, st);
	if (g->has_states)
		emit_text(&e, "\n");
	emit_uint(&e, EMIT_JSON, "locked", NULL, true, g->locked);
	emit_uint(&e, EMIT_JSON, "leaked", NULL, true, g->leaked);
	for (size_t i = 0; i < r->nbuckets; i++)
		shown += r->buckets[i]->count;
	if (shown != g->total)
		emit_count(&e, EMIT_TEXT, NULL, "shown after filters: %s goroutines\n", shown);

	emit_array_begin(&e, "buckets");
	for (size_t o = 0; o < r->nbuckets; o++) {
		size_t i = o;
		/* Text shows the crashing goroutine's bucket first: it is what
		 * the reader came for.  JSON keeps the order by count. */
		if (!json && ci < r->nbuckets) {
			if (o == 0)
				i = ci;
			else if (o <= ci)
				i = o - 1;
		}
		bucket(&e, r, r->buckets[i], st);
	}
	emit_array_end(&e);
	emit_object_end(&e);
	emit_end(&e);
}

void stacks_render_text(FILE *out, const struct stacks_report *r, bool color)
{
	render(out, r, false, color);
}

void stacks_render_json(FILE *out, const struct stacks_report *r)
{
	render(out, r, true, false);
}

/* --- HTML ---------------------------------------------------------------- */

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	"<title>godiag stacks</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
	"h1{font-size:1.3em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}\n"
	".b{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.5em 1em}\n"
	".n{font-weight:bold;font-size:1.1em}.st{color:#a60}.w{color:#666}.bad{color:#b00;font-weight:bold}\n"
	"pre{margin:.3em 0;font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap}\n"
	".u{color:#05a}.f{color:#888}.bar{display:inline-block;background:#e94;height:.8em}\n"
	"</style></head><body>\n";

static void html_states(FILE *out, const struct state_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s<span class=\"st\">%" PRIu64 " ", i ? ", " : "", v[i].count);
		html_escape_str(out, v[i].state);
		fputs("</span>", out);
	}
}

static void html_frame(FILE *out, const struct gd_frame *f, bool args)
{
	bool user = is_user_func(f->func);
	fputs(user ? "<span class=\"u\">" : "<span>", out);
	html_escape_str(out, f->func);
	if (args) {
		fputc('(', out);
		html_escape_str(out, f->args);
		fputc(')', out);
	}
	fputs("</span>\n\t<span class=\"f\">", out);
	html_escape_str(out, f->file);
	fprintf(out, ":%" PRIu32 "</span>\n", f->line);
}

void stacks_render_html(FILE *out, const struct stacks_report *r)
{
	const struct grouping *g = r->g;
	fputs(html_head, out);
	fputs("<h1>godiag stacks: ", out);
	html_escape_str(out, r->source);
	fprintf(out, "</h1>\n<p>%" PRIu64 " goroutines in %zu buckets (%s).</p>\n", g->total, r->nbuckets,
		report_format_name(r));
	if (r->preamble && *r->preamble) {
		fputs("<p class=\"bad\">", out);
		html_escape_str(out, r->preamble);
		fputs("</p>\n", out);
	}
	if (r->signal && *r->signal) {
		fputs("<p class=\"bad\">", out);
		html_escape_str(out, r->signal);
		fputs("</p>\n", out);
	}
	if (r->partial) {
		fputs("<p class=\"bad\">PARTIAL: ", out);
		html_escape_str(out, r->partial);
		fputs("</p>\n", out);
	}
	if (g->has_states) {
		fputs("<table><tr><th>state</th><th>goroutines</th><th></th></tr>\n", out);
		for (size_t i = 0; i < g->nstates; i++) {
			unsigned width = g->total ? (unsigned)(300.0 * (double)g->states[i].count / (double)g->total) : 0;
			fputs("<tr><td>", out);
			html_escape_str(out, g->states[i].state);
			fprintf(out, "</td><td>%" PRIu64 "</td><td><span class=\"bar\" style=\"width:%upx\"></span></td></tr>\n",
				g->states[i].count, width);
		}
		fputs("</table>\n", out);
	}
	for (size_t i = 0; i < r->nbuckets; i++) {
		const struct bucket *b = r->buckets[i];
		uint32_t mn, med, mx;
		fprintf(out, "<div class=\"b\"><span class=\"n\">%" PRIu64 "</span> ", b->count);
		html_states(out, b->states, b->nstates);
		if (bucket_wait_stats(b, &mn, &med, &mx))
			fprintf(out, " <span class=\"w\">waited %" PRIu32 "&ndash;%" PRIu32 " min (median %" PRIu32 ")</span>",
				mn, mx, med);
		if (b->locked)
			fprintf(out, " <span class=\"w\">%" PRIu64 " locked to thread</span>", b->locked);
		if (b->leaked)
			fprintf(out, " <span class=\"bad\">%" PRIu64 " leaked</span>", b->leaked);
		if (b == r->crash_bucket)
			fprintf(out, " <span class=\"bad\">crashed here: goroutine %" PRIu64 "</span>", r->crash_goid);
		if (b->labels || b->labels_mixed) {
			fputs(" <span class=\"w\">labels", out);
			for (size_t k = 0; k < b->nlabel_sets; k++) {
				fputs(k ? ", " : " ", out);
				html_escape_str(out, b->label_sets[k].labels[0] ? b->label_sets[k].labels : "(none)");
				fprintf(out, " &times;%" PRIu64, b->label_sets[k].count);
			}
			if (b->labels_other)
				fprintf(out, ", %" PRIu64 " more with other labels", b->labels_other);
			fputs("</span>", out);
		}
		fputs("\n<details", out);
		if (i < 10)
			fputs(" open", out);
		fprintf(out, "><summary>%" PRIu32 " frames", b->nframes);
		if (b->nframes) {
			fputs(", top: ", out);
			html_escape_str(out, b->frames[0].func);
		}
		fputs("</summary><pre>", out);
		for (uint32_t k = 0; k < b->nframes; k++)
			html_frame(out, &b->frames[k], r->show_args);
		if (b->has_creator) {
			fputs("created by ", out);
			html_frame(out, &b->creator, false);
		}
		fputs("</pre></details>", out);
		if (b->nids) {
			fputs("<span class=\"w\">ids:", out);
			for (uint32_t k = 0; k < b->nids; k++)
				fprintf(out, " %" PRIu64, b->ids[k]);
			fputs("</span>", out);
		}
		fputs("</div>\n", out);
	}
	fputs("<p class=\"w\">Generated by godiag.</p>\n</body></html>\n", out);
}
