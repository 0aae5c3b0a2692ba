/* SPDX-License-Identifier: MIT */
/* fleet renderers: text, JSON, HTML (see fleet_report.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/doctor_report.h"
#include "report/fleet_report.h"
#include "util/html.h"
#include "util/json_writer.h"
#include "util/termsafe.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SPARK_W 48

/* The envelope of a suspect's metric, resampled to n columns (the minimum
 * of each column: a sparkline of the lower envelope).  Returns false when
 * there is nothing to draw. */
static bool resample(const struct fleet_series *s, double *col, size_t n, double *lo, double *hi, double *t0,
		     double *t1)
{
	double a = INFINITY, b = -INFINITY;
	if (!s->n)
		return false;
	*t0 = INFINITY;
	*t1 = -INFINITY;
	for (size_t i = 0; i < s->n; i++) {
		if (!isfinite(s->pts[i].v))
			continue;
		*t0 = s->pts[i].t < *t0 ? s->pts[i].t : *t0;
		*t1 = s->pts[i].t > *t1 ? s->pts[i].t : *t1;
	}
	if (!(*t1 > *t0))
		return false;
	for (size_t c = 0; c < n; c++)
		col[c] = NAN;
	for (size_t i = 0; i < s->n; i++) {
		double v = s->pts[i].v;
		if (!isfinite(v))
			continue;
		size_t c = (size_t)((s->pts[i].t - *t0) / (*t1 - *t0) * (double)(n - 1) + 0.5);
		if (c >= n)
			c = n - 1;
		if (isnan(col[c]) || v < col[c])
			col[c] = v;
		a = v < a ? v : a;
		b = v > b ? v : b;
	}
	*lo = a;
	*hi = b;
	return true;
}

static const struct fleet_series *suspect_series(const struct fleet_report *r, const struct fleet_suspect *s)
{
	return &r->inst[s->inst].m[s->metric];
}

/* --- text ------------------------------------------------------------ */

static void text_sparkline(FILE *out, const struct fleet_series *s)
{
	static const char *const bars[] = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	double col[SPARK_W], lo, hi, t0, t1;
	if (!resample(s, col, SPARK_W, &lo, &hi, &t0, &t1))
		return;
	for (size_t c = 0; c < SPARK_W; c++) {
		if (isnan(col[c])) {
			fputc(' ', out);
			continue;
		}
		int k = hi > lo ? (int)((col[c] - lo) / (hi - lo) * 7 + 0.5) : 0;
		fputs(bars[k < 0 ? 0 : k > 7 ? 7 : k], out);
	}
}

static void text_label(FILE *out, const char *s, size_t cols)
{
	termsafe_write_cols(out, s, cols);
}

void fleet_render_text(FILE *out, const struct fleet_report *r, bool color)
{
	const char *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
	char win[64];
	doctor_format_value(win, sizeof(win), r->window_s, "seconds");
	fprintf(out, "%sgodiag fleet%s ", bold, off);
	text_label(out, r->prometheus, 200);
	fprintf(out, "  range %s, step %s (", r->range_str, r->step_str);
	fprintf(out, "min over %s windows, period ", win);
	doctor_format_value(win, sizeof(win), r->period_s, "seconds");
	fprintf(out, "%s)\n", win);
	fprintf(out, "%zu instances, %zu queries (%zu failed), %.1f MB, %zu points, %.1f s%s\n", r->ngo, r->queries,
		r->queries_failed, (double)r->bytes / 1e6, r->points, r->elapsed_s, r->nerrors ? "; PARTIAL: see errors" : "");
	if (!r->nsuspects)
		fprintf(out, "\nno suspects: no instance's troughs rise, none holds RSS through MADV_FREE\n");
	else
		fprintf(out, "\n%zu suspect%s, worst first:\n", r->nsuspects, r->nsuspects == 1 ? "" : "s");
	for (size_t k = 0; k < r->nsuspects; k++) {
		const struct fleet_suspect *s = &r->suspects[k];
		const struct fleet_instance *in = &r->inst[s->inst];
		const struct finding *f = s->f;
		const char *sevc = !color ? "" : s->severity == SEV_CRITICAL ? "\033[1;31m" : s->severity == SEV_WARNING ? "\033[1;33m" : "\033[1;36m";
		fprintf(out, "\n%2zu. %s%-8s%s %s%s%s  ", k + 1, sevc, severity_name(s->severity), off, bold, s->rule, off);
		text_label(out, in->job, 60);
		fputs(" / ", out);
		text_label(out, in->instance, 100);
		fputc('\n', out);
		fputs("    ", out);
		text_label(out, f->summary ? f->summary : "", 400);
		fputc('\n', out);
		fputs("    ", out);
		text_sparkline(out, suspect_series(r, s));
		fprintf(out, "  (%s, lower envelope)\n", fleet_metric_name(s->metric));
		for (size_t e = 0; e < f->nevidence; e++) {
			const struct evidence *ev = &f->evidence[e];
			char val[64];
			fputs("      ", out);
			text_label(out, ev->what, 90);
			fputs(": ", out);
			if (ev->text)
				text_label(out, ev->text, 200);
			else if (!strcmp(ev->unit, "ratio") || !*ev->unit)
				fprintf(out, "%.3g", ev->value);
			else {
				doctor_format_value(val, sizeof(val), ev->value, ev->unit);
				fputs(val, out);
			}
			fputc('\n', out);
		}
		const struct fleet_drill *d = s->drill;
		if (d && (k == 0 || r->suspects[k - 1].drill != d)) {
			fputs("    drill-down ", out);
			text_label(out, d->url ? d->url : "", 200);
			fputs(": ", out);
			if (d->rule) {
				fprintf(out, "%s", bold);
				text_label(out, d->rule, 60);
				fprintf(out, "%s: ", off);
				text_label(out, d->summary ? d->summary : "", 300);
				fputc('\n', out);
				for (size_t i = 0; i < d->nframes; i++) {
					fputs("        ", out);
					text_label(out, d->frames[i], 200);
					fputc('\n', out);
				}
			}
			if (d->note) {
				if (d->rule)
					fputs("      ", out);
				text_label(out, d->note, 300);
				fputc('\n', out);
			}
		} else if (d) {
			fprintf(out, "    drill-down: see above (%s)\n", d->rule ? d->rule : "no stack");
		}
	}
	if (r->nerrors) {
		fprintf(out, "\n%serrors%s (the rest of the fleet was analysed):\n", bold, off);
		for (size_t i = 0; i < r->nerrors; i++) {
			fputs("  ", out);
			text_label(out, r->errors[i], 400);
			fputc('\n', out);
		}
	}
}

/* --- JSON -------------------------------------------------------------- */

void fleet_render_json(FILE *out, const struct fleet_report *r)
{
	struct json_writer jw;
	jw_init(&jw, out, true);
	jw_object_begin(&jw);
	jw_key(&jw, "prometheus");
	jw_string(&jw, r->prometheus);
	jw_key(&jw, "range");
	jw_string(&jw, r->range_str);
	jw_key(&jw, "step");
	jw_string(&jw, r->step_str);
	jw_key(&jw, "instances");
	jw_uint(&jw, r->ngo);
	jw_key(&jw, "suspects");
	jw_array_begin(&jw);
	for (size_t k = 0; k < r->nsuspects; k++) {
		const struct fleet_suspect *s = &r->suspects[k];
		const struct fleet_instance *in = &r->inst[s->inst];
		jw_object_begin(&jw);
		jw_key(&jw, "instance");
		jw_string(&jw, in->instance);
		jw_key(&jw, "job");
		jw_string(&jw, in->job);
		jw_key(&jw, "rule");
		jw_string(&jw, s->rule);
		jw_key(&jw, "severity");
		jw_string(&jw, severity_name(s->severity));
		jw_key(&jw, "growth_per_day");
		jw_double(&jw, s->growth_per_day);
		jw_key(&jw, "evidence");
		jw_array_begin(&jw);
		jw_object_begin(&jw);
		jw_key(&jw, "what");
		jw_string(&jw, "summary");
		jw_key(&jw, "value");
		jw_double(&jw, s->rate);
		jw_key(&jw, "unit");
		jw_string(&jw, "ratio");
		jw_key(&jw, "text");
		jw_string(&jw, s->f->summary ? s->f->summary : "");
		jw_key(&jw, "source");
		jw_string(&jw, fleet_metric_name(s->metric));
		jw_object_end(&jw);
		for (size_t e = 0; e < s->f->nevidence; e++) {
			const struct evidence *ev = &s->f->evidence[e];
			jw_object_begin(&jw);
			jw_key(&jw, "what");
			jw_string(&jw, ev->what);
			jw_key(&jw, "value");
			jw_double(&jw, ev->value);
			jw_key(&jw, "unit");
			jw_string(&jw, ev->unit);
			jw_key(&jw, "text");
			jw_string(&jw, ev->text);
			jw_key(&jw, "source");
			jw_string(&jw, ev->source);
			jw_object_end(&jw);
		}
		if (s->drill) {
			const struct fleet_drill *d = s->drill;
			jw_object_begin(&jw);
			jw_key(&jw, "what");
			jw_string(&jw, "drill-down");
			jw_key(&jw, "url");
			jw_string(&jw, d->url ? d->url : "");
			jw_key(&jw, "ok");
			jw_bool(&jw, d->ok);
			jw_key(&jw, "rule");
			jw_string(&jw, d->rule);
			jw_key(&jw, "summary");
			jw_string(&jw, d->summary);
			jw_key(&jw, "goroutines");
			if (d->goroutines >= 0)
				jw_int(&jw, d->goroutines);
			else
				jw_null(&jw);
			jw_key(&jw, "frames");
			jw_array_begin(&jw);
			for (size_t i = 0; i < d->nframes; i++)
				jw_string(&jw, d->frames[i]);
			jw_array_end(&jw);
			jw_key(&jw, "note");
			jw_string(&jw, d->note);
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_key(&jw, "errors");
	jw_array_begin(&jw);
	for (size_t i = 0; i < r->nerrors; i++)
		jw_string(&jw, r->errors[i]);
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end(&jw);
}

/* --- HTML ---------------------------------------------------------------- */

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	"base-uri 'none'; form-action 'none'\">\n"
	"<meta name=\"referrer\" content=\"no-referrer\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>godiag fleet</title>\n<style>\n"
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}\n"
	"h1{font-size:1.4em;overflow-wrap:anywhere}table{border-collapse:collapse;width:100%}\n"
	"td,th{padding:4px 10px 4px 0;text-align:left;vertical-align:top;overflow-wrap:anywhere}\n"
	"tr.s{border-top:1px solid #ddd}.badge{display:inline-block;padding:1px 7px;border-radius:4px;color:#fff;"
	"font-size:.8em;font-weight:700;white-space:nowrap}\n"
	".badge.critical{background:#c00}.badge.warning{background:#d90}.badge.info{background:#39c}\n"
	".d{color:#777}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"pre{background:#f6f8fa;padding:.5em;border-radius:4px;font:12px/1.4 ui-monospace,monospace;"
	"white-space:pre-wrap;overflow-wrap:anywhere;margin:.3em 0}\n"
	"ul{margin:.2em 0;padding-left:1.2em}svg .env{fill:none;stroke:#c50;stroke-width:1.5}"
	"svg .tr{fill:#06c}svg .bg{fill:#fafafa;stroke:#ddd}\n"
	"</style></head><body>\n";

/* An SVG of the lower envelope with the troughs the test used marked. */
static void html_sparkline(FILE *out, const struct fleet_series *s, const struct trend_result *t)
{
	enum { W = 260, H = 48, N = 130 };
	double col[N], lo, hi, t0, t1;
	if (!resample(s, col, N, &lo, &hi, &t0, &t1)) {
		fputs("<span class=\"d\">no data</span>", out);
		return;
	}
	double span = hi > lo ? hi - lo : 1;
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"%d\" height=\"%d\" "
		     "viewBox=\"0 0 %d %d\"><title>lower envelope: min %.6g, max %.6g</title>"
		     "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/><polyline class=\"env\" points=\"",
		W, H, W, H, lo, hi, W, H);
	for (size_t c = 0; c < N; c++) {
		if (isnan(col[c]))
			continue;
		fprintf(out, "%.1f,%.1f ", 2 + (double)c * (W - 4) / (N - 1), H - 3 - (col[c] - lo) / span * (H - 6));
	}
	fputs("\"/>", out);
	for (size_t i = 0; t && i < t->ntroughs; i++) {
		if (!isfinite(t->trough_v[i]) || t->trough_t[i] < t0 || t->trough_t[i] > t1)
			continue;
		fprintf(out, "<circle class=\"tr\" r=\"2.5\" cx=\"%.1f\" cy=\"%.1f\"/>",
			2 + (t->trough_t[i] - t0) / (t1 - t0) * (W - 4), H - 3 - (t->trough_v[i] - lo) / span * (H - 6));
	}
	fputs("</svg>", out);
}

void fleet_render_html(FILE *out, const struct fleet_report *r)
{
	fputs(html_head, out);
	fputs("<h1>godiag fleet: ", out);
	html_escape_str(out, r->prometheus);
	fputs("</h1>\n<p>range ", out);
	html_escape_str(out, r->range_str);
	fputs(", step ", out);
	html_escape_str(out, r->step_str);
	if (r->selector && *r->selector) {
		fputs(", selector <code>", out);
		html_escape_str(out, r->selector);
		fputs("</code>", out);
	}
	fprintf(out, ". %zu instances, %zu suspects, %zu queries (%zu failed).</p>\n", r->ngo, r->nsuspects, r->queries,
		r->queries_failed);
	if (!r->nsuspects)
		fputs("<p>No suspects: no instance's troughs rise, none holds RSS through MADV_FREE.</p>\n", out);
	else
		fputs("<table><tr><th>#</th><th>severity</th><th>rule</th><th>job / instance</th>"
		      "<th>lower envelope (troughs marked)</th><th>evidence</th></tr>\n", out);
	for (size_t k = 0; k < r->nsuspects; k++) {
		const struct fleet_suspect *s = &r->suspects[k];
		const struct fleet_instance *in = &r->inst[s->inst];
		const struct finding *f = s->f;
		fprintf(out, "<tr class=\"s\"><td class=\"num\">%zu</td><td><span class=\"badge %s\">%s</span></td><td><code>",
			k + 1, severity_name(s->severity), severity_name(s->severity));
		html_escape_str(out, s->rule);
		fputs("</code></td><td>", out);
		html_escape_str(out, in->job);
		fputs("<br><b>", out);
		html_escape_str(out, in->instance);
		fputs("</b>", out);
		if (in->go_version) {
			fputs("<br><span class=\"d\">", out);
			html_escape_str(out, in->go_version);
			fputs("</span>", out);
		}
		fputs("</td><td>", out);
		html_sparkline(out, suspect_series(r, s), in->analysed[s->metric] ? &in->tr[s->metric] : NULL);
		fputs("<br><span class=\"d\">", out);
		html_escape_str(out, fleet_metric_name(s->metric));
		fputs("</span></td><td>", out);
		html_escape_str(out, f->summary ? f->summary : "");
		fputs("<ul>", out);
		for (size_t e = 0; e < f->nevidence; e++) {
			const struct evidence *ev = &f->evidence[e];
			char val[64];
			fputs("<li>", out);
			html_escape_str(out, ev->what);
			fputs(": <b>", out);
			if (ev->text)
				html_escape_str(out, ev->text);
			else {
				if (!strcmp(ev->unit, "ratio") || !*ev->unit)
					snprintf(val, sizeof(val), "%.3g", ev->value);
				else
					doctor_format_value(val, sizeof(val), ev->value, ev->unit);
				html_escape_str(out, val);
			}
			fputs("</b></li>", out);
		}
		fputs("</ul>", out);
		if (s->drill) {
			const struct fleet_drill *d = s->drill;
			fputs("<div>drill-down <code>", out);
			html_escape_str(out, d->url ? d->url : "");
			fputs("</code>: ", out);
			if (d->rule) {
				fputs("<b>", out);
				html_escape_str(out, d->rule);
				fputs("</b> ", out);
				html_escape_str(out, d->summary ? d->summary : "");
				fputs("<pre>", out);
				for (size_t i = 0; i < d->nframes; i++) {
					html_escape_str(out, d->frames[i]);
					fputc('\n', out);
				}
				fputs("</pre>", out);
			}
			if (d->note) {
				fputs("<span class=\"d\">", out);
				html_escape_str(out, d->note);
				fputs("</span>", out);
			}
			fputs("</div>", out);
		}
		fputs("</td></tr>\n", out);
	}
	if (r->nsuspects)
		fputs("</table>\n", out);
	if (r->nerrors) {
		fputs("<h2>Errors (the rest of the fleet was analysed)</h2><ul>", out);
		for (size_t i = 0; i < r->nerrors; i++) {
			fputs("<li>", out);
			html_escape_str(out, r->errors[i]);
			fputs("</li>", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("<p class=\"d\">The lower envelope is the minimum over each window; a leak is troughs that rise "
	      "(Theil&ndash;Sen slope, Mann&ndash;Kendall test): see docs/trends.md and docs/fleet.md.</p>\n"
	      "</body></html>\n", out);
}
