/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "report/stacks_report.h"
#include "util/html.h"
#include "util/json_writer.h"
#include "util/termsafe.h"
#include "util/banned.h"

/* --- text ---------------------------------------------------------------- */

struct style {
	const char *bold, *dim, *state, *user, *warn, *reset;
};

static const struct style plain = { "", "", "", "", "", "" };
static const struct style ansi = { "\033[1m", "\033[2m", "\033[33m", "\033[36m", "\033[1;31m", "\033[0m" };

/* Text from the target goes to a terminal: util/termsafe turns controls
 * into '?' so a crafted function name cannot move the cursor or retitle the
 * window. */
static void put_safe_str(FILE *out, const char *s)
{
	termsafe_puts(out, s);
}

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

static void group_digits(char *buf, size_t n, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;
	for (int i = 0; i < len && (size_t)o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

static void text_states(FILE *out, const struct state_count *v, size_t n, const struct style *st)
{
	for (size_t i = 0; i < n; i++) {
		char num[32];
		group_digits(num, sizeof(num), v[i].count);
		fprintf(out, "%s%s%s ", i ? ", " : "", st->state, num);
		put_safe_str(out, v[i].state);
		fputs(st->reset, out);
	}
}

static void text_frame(FILE *out, const struct gd_frame *f, bool args, const struct style *st, const char *indent)
{
	bool user = is_user_func(f->func);
	fprintf(out, "%s%s", indent, user ? st->user : "");
	put_safe_str(out, f->func);
	if (args) {
		fputc('(', out);
		put_safe_str(out, f->args);
		fputc(')', out);
	}
	fprintf(out, "%s  %s", user ? st->reset : "", st->dim);
	if (f->file_len) {
		put_safe_str(out, base_name(f->file));
		if (f->line)
			fprintf(out, ":%" PRIu32, f->line);
	}
	fprintf(out, "%s\n", st->reset);
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

static void text_label_sets(FILE *out, const struct bucket *b)
{
	fputs("  labels:", out);
	for (size_t k = 0; k < b->nlabel_sets; k++) {
		const struct label_count *lc = &b->label_sets[k];
		fputs(k ? ", " : " ", out);
		put_safe_str(out, lc->labels[0] ? lc->labels : "(none)");
		fprintf(out, " x%" PRIu64, lc->count);
	}
	if (b->labels_other)
		fprintf(out, ", %" PRIu64 " more with other labels", b->labels_other);
	fputc('\n', out);
}

void stacks_render_text(FILE *out, const struct stacks_report *r, bool color)
{
	const struct style *st = color ? &ansi : &plain;
	const struct grouping *g = r->g;
	char num[32];
	uint64_t shown = 0;

	group_digits(num, sizeof(num), g->total);
	fprintf(out, "%s%s goroutines%s in %zu bucket%s (", st->bold, num, st->reset, r->nbuckets,
		r->nbuckets == 1 ? "" : "s");
	put_safe_str(out, r->source);
	fprintf(out, ", %s)\n", report_format_name(r));
	if (r->preamble && *r->preamble) {
		fprintf(out, "%s", st->warn);
		put_safe_str(out, r->preamble);
		fprintf(out, "%s\n", st->reset);
	}
	if (r->signal && *r->signal) {
		put_safe_str(out, r->signal);
		fputc('\n', out);
	}
	if (r->partial) {
		fprintf(out, "%sPARTIAL: ", st->warn);
		put_safe_str(out, r->partial);
		fprintf(out, "%s\n", st->reset);
	}
	if (g->has_states) {
		fputs("states: ", out);
		text_states(out, g->states, g->nstates, st);
		fputc('\n', out);
	}
	for (size_t i = 0; i < r->nbuckets; i++)
		shown += r->buckets[i]->count;
	if (shown != g->total) {
		group_digits(num, sizeof(num), shown);
		fprintf(out, "shown after filters: %s goroutines\n", num);
	}

	/* The crashing goroutine's bucket first: it is what the reader came for. */
	size_t ci = r->crash_bucket ? bucket_index(r, r->crash_bucket) : r->nbuckets;
	for (size_t o = 0; o < r->nbuckets; o++) {
		size_t i = o;
		const struct bucket *b;
		uint32_t mn, med, mx;
		size_t nf;
		if (ci < r->nbuckets) {
			if (o == 0)
				i = ci;
			else if (o <= ci)
				i = o - 1;
		}
		b = r->buckets[i];
		nf = b->nframes;
		fputc('\n', out);
		if (b == r->crash_bucket) {
			fprintf(out, "%s>>> crashed here: goroutine %" PRIu64 "%s\n", st->warn, r->crash_goid, st->reset);
		}
		group_digits(num, sizeof(num), b->count);
		fprintf(out, "%s%s%s", st->bold, num, st->reset);
		if (b->nstates == 1) {
			fprintf(out, "  %s", st->state);
			put_safe_str(out, b->states[0].state);
			fputs(st->reset, out);
		} else if (b->nstates) {
			fputs("  ", out);
			text_states(out, b->states, b->nstates, st);
		}
		if (bucket_wait_stats(b, &mn, &med, &mx))
			fprintf(out, "  waited %" PRIu32 "-%" PRIu32 " min (median %" PRIu32 ")", mn, mx, med);
		if (b->locked)
			fprintf(out, "  %" PRIu64 " locked to thread", b->locked);
		if (b->leaked)
			fprintf(out, "  %s%" PRIu64 " leaked%s", st->warn, b->leaked, st->reset);
		fputc('\n', out);
		if (b->with_wait) {
			uint64_t bins[WAIT_BINS];
			bucket_wait_histogram(b, bins);
			fprintf(out, "  %swait:", st->dim);
			for (int k = 0; k < WAIT_BINS; k++)
				if (bins[k])
					fprintf(out, " %s %" PRIu64 ";", wait_bin_label[k], bins[k]);
			fprintf(out, "%s\n", st->reset);
		}
		if (b->labels || b->labels_mixed)
			text_label_sets(out, b);
		if (b->nids) {
			fprintf(out, "  %sids:", st->dim);
			for (uint32_t k = 0; k < b->nids; k++)
				fprintf(out, " %" PRIu64, b->ids[k]);
			fprintf(out, "%s%s\n", b->count > b->nids ? " ..." : "", st->reset);
		}
		if (r->max_frames && nf > r->max_frames)
			nf = r->max_frames;
		for (size_t k = 0; k < nf; k++)
			text_frame(out, &b->frames[k], r->show_args, st, "    ");
		if (nf < b->nframes)
			fprintf(out, "    %s... %" PRIu32 " more frames%s\n", st->dim, (uint32_t)(b->nframes - nf), st->reset);
		if (b->elided || b->elided_unknown) {
			if (b->elided)
				fprintf(out, "    %s...%" PRIu32 " frames elided by the runtime...%s\n", st->dim, b->elided, st->reset);
			else
				fprintf(out, "    %s...more frames elided by the runtime...%s\n", st->dim, st->reset);
		}
		if (b->has_creator)
			text_frame(out, &b->creator, false, st, "  created by ");
	}
}

/* --- JSON ---------------------------------------------------------------- */

static void json_frame(struct json_writer *jw, const struct gd_frame *f, bool args)
{
	jw_object_begin(jw);
	jw_key(jw, "func");
	jw_string(jw, f->func);
	if (args) {
		jw_key(jw, "args");
		jw_string(jw, f->args);
	}
	jw_key(jw, "file");
	jw_string(jw, f->file);
	jw_key(jw, "line");
	jw_uint(jw, f->line);
	if (f->flags & GD_FRAME_INLINED) {
		jw_key(jw, "inlined");
		jw_bool(jw, true);
	}
	jw_object_end(jw);
}

static void json_states(struct json_writer *jw, const struct state_count *v, size_t n)
{
	jw_object_begin(jw);
	for (size_t i = 0; i < n; i++) {
		jw_key(jw, v[i].state);
		jw_uint(jw, v[i].count);
	}
	jw_object_end(jw);
}

void stacks_render_json(FILE *out, const struct stacks_report *r)
{
	struct json_writer jw;
	const struct grouping *g = r->g;
	jw_init(&jw, out, false);
	jw_object_begin(&jw);
	jw_key(&jw, "source");
	jw_string(&jw, r->source);
	jw_key(&jw, "format");
	jw_string(&jw, report_format_name(r));
	jw_key(&jw, "total");
	jw_uint(&jw, g->total);
	jw_key(&jw, "truncated");
	jw_bool(&jw, r->truncated);
	jw_key(&jw, "partial");
	jw_string(&jw, r->partial);
	jw_key(&jw, "crash");
	if (r->preamble && *r->preamble)
		jw_string(&jw, r->preamble);
	else if (r->signal && *r->signal)
		jw_string(&jw, r->signal); /* SIGQUIT: quit */
	else
		jw_null(&jw);
	jw_key(&jw, "signal");
	if (r->signal && *r->signal)
		jw_string(&jw, r->signal);
	else
		jw_null(&jw);
	jw_key(&jw, "crash_goroutine");
	if (r->has_crash_goid)
		jw_uint(&jw, r->crash_goid);
	else
		jw_null(&jw);
	jw_key(&jw, "dumps");
	{
		uint32_t d = 0;
		for (size_t i = 0; i < r->ninputs; i++)
			d = r->inputs[i].dumps > d ? r->inputs[i].dumps : d;
		jw_uint(&jw, d);
	}
	jw_key(&jw, "inputs");
	jw_array_begin(&jw);
	for (size_t i = 0; i < r->ninputs; i++) {
		const struct stacks_input_info *in = &r->inputs[i];
		jw_object_begin(&jw);
		jw_key(&jw, "source");
		jw_string(&jw, in->source);
		jw_key(&jw, "format");
		jw_string(&jw, dump_format_name(in->format));
		jw_key(&jw, "goroutines");
		jw_uint(&jw, in->goroutines);
		jw_key(&jw, "dumps");
		jw_uint(&jw, in->dumps);
		jw_key(&jw, "dump");
		jw_uint(&jw, in->dump);
		jw_key(&jw, "truncated");
		jw_bool(&jw, in->truncated);
		jw_key(&jw, "error");
		jw_string(&jw, in->error);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_key(&jw, "states");
	if (g->has_states)
		json_states(&jw, g->states, g->nstates);
	else
		json_states(&jw, NULL, 0);
	jw_key(&jw, "locked");
	jw_uint(&jw, g->locked);
	jw_key(&jw, "leaked");
	jw_uint(&jw, g->leaked);
	jw_key(&jw, "buckets");
	jw_array_begin(&jw);
	for (size_t i = 0; i < r->nbuckets; i++) {
		const struct bucket *b = r->buckets[i];
		uint32_t mn, med, mx;
		jw_object_begin(&jw);
		jw_key(&jw, "count");
		jw_uint(&jw, b->count);
		jw_key(&jw, "states");
		if (g->has_states)
			json_states(&jw, b->states, b->nstates);
		else
			json_states(&jw, NULL, 0);
		if (b->crashed) {
			jw_key(&jw, "crashed");
			jw_bool(&jw, true);
		}
		jw_key(&jw, "wait_minutes");
		if (bucket_wait_stats(b, &mn, &med, &mx)) {
			uint64_t bins[WAIT_BINS];
			jw_object_begin(&jw);
			jw_key(&jw, "min");
			jw_uint(&jw, mn);
			jw_key(&jw, "median");
			jw_uint(&jw, med);
			jw_key(&jw, "max");
			jw_uint(&jw, mx);
			jw_key(&jw, "histogram");
			bucket_wait_histogram(b, bins);
			jw_object_begin(&jw);
			for (int k = 0; k < WAIT_BINS; k++) {
				jw_key(&jw, wait_bin_label[k]);
				jw_uint(&jw, bins[k]);
			}
			jw_object_end(&jw);
			jw_object_end(&jw);
		} else {
			jw_null(&jw);
		}
		jw_key(&jw, "locked");
		jw_uint(&jw, b->locked);
		jw_key(&jw, "leaked");
		jw_uint(&jw, b->leaked);
		if (b->labels) {
			jw_key(&jw, "labels");
			jw_string(&jw, b->labels);
		}
		if (b->labels_mixed) {
			jw_key(&jw, "labels_mixed");
			jw_bool(&jw, true);
		}
		jw_key(&jw, "label_sets");
		jw_array_begin(&jw);
		if (b->labels || b->labels_mixed) {
			for (size_t k = 0; k < b->nlabel_sets; k++) {
				jw_object_begin(&jw);
				jw_key(&jw, "labels");
				jw_string(&jw, b->label_sets[k].labels);
				jw_key(&jw, "count");
				jw_uint(&jw, b->label_sets[k].count);
				jw_object_end(&jw);
			}
		}
		jw_array_end(&jw);
		if (b->labels_other) {
			jw_key(&jw, "labels_other");
			jw_uint(&jw, b->labels_other);
		}
		jw_key(&jw, "frames");
		jw_array_begin(&jw);
		for (uint32_t k = 0; k < b->nframes; k++)
			json_frame(&jw, &b->frames[k], r->show_args);
		jw_array_end(&jw);
		jw_key(&jw, "elided");
		jw_uint(&jw, b->elided);
		jw_key(&jw, "created_by");
		if (b->has_creator)
			json_frame(&jw, &b->creator, false);
		else
			jw_null(&jw);
		jw_key(&jw, "ids");
		jw_array_begin(&jw);
		for (uint32_t k = 0; k < b->nids; k++)
			jw_uint(&jw, b->ids[k]);
		jw_array_end(&jw);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end(&jw);
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
