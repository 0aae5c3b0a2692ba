/* SPDX-License-Identifier: MIT */
/* Renderers of `godiag doctor`'s report: the verdict first, then the
 * evidence that supports it, then the fix.  Text goes to a terminal that a
 * hostile target must not be able to drive (termsafe), JSON is the contract
 * other tools parse, HTML is a page an engineer attaches to a ticket and
 * opens in a browser, so it must stay inert whatever the target sent. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/doctor_report.h"
#include "report/emit.h"
#include "util/html.h"
#include "util/human.h"
#include "util/termsafe.h"
#include "util/xalloc.h"
#include "util/banned.h"

#ifndef GODIAG_VERSION
#define GODIAG_VERSION "dev"
#endif

/* --- numbers ------------------------------------------------------------- */

/* |v| rounded, with thousands separators; values llround() cannot hold
 * (about 9.2e18 and up) fall back to %g. */
static void group_int(char *buf, size_t n, double v)
{
	double a = fabs(v);
	int o = 0;
	if (a >= 9e18) {
		snprintf(buf, n, "%s%.3g", v < 0 ? "-" : "", a);
		return;
	}
	if (v < 0 && llround(a) != 0 && n > 1)
		buf[o++] = '-';
	human_count(buf + o, n - (size_t)o, (uint64_t)llround(a));
}

static bool is_integral(double v)
{
	return fabs(v) < 9e15 && v == floor(v);
}

/* A plain number: grouped when integral, else two decimals without
 * trailing zeros. */
static void plain_number(char *buf, size_t n, double v)
{
	if (is_integral(v) || fabs(v) >= 1e6) {
		group_int(buf, n, v);
		return;
	}
	snprintf(buf, n, "%.2f", v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
}

static void format_bytes(char *buf, size_t n, double v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double a = fabs(v);
	int u = -1;
	char num[48];
	if (a < 1024) {
		group_int(num, sizeof(num), v);
		snprintf(buf, n, "%s %s", num, llround(a) == 1 ? "byte" : "bytes");
		return;
	}
	while (a >= 1024 && u < 5) {
		a /= 1024;
		u++;
	}
	snprintf(buf, n, "%s%.*f %s", v < 0 ? "-" : "", a < 100 ? 1 : 0, a, units[u]);
}

/* "1,390 min (23 h 10 min)": the raw number stays visible (it matches the
 * dump or the socket), the paren says it for people, rounded the one way
 * every duration is (report_format_duration). */
static void format_minutes(char *buf, size_t n, double v)
{
	char num[48], d[64];
	plain_number(num, sizeof(num), v);
	if (fabs(v) >= 60) {
		report_format_duration(d, sizeof(d), fabs(v) * 60);
		snprintf(buf, n, "%s min (%s)", num, d);
	} else {
		snprintf(buf, n, "%s min", num);
	}
}

static void format_seconds(char *buf, size_t n, double v)
{
	char num[48], d[64];
	double a = fabs(v);
	if (a < 1 && a > 0) {
		report_format_duration(buf, n, a); /* "350 ms", "0.42 ms" */
		return;
	}
	plain_number(num, sizeof(num), v);
	if (a >= 120) {
		report_format_duration(d, sizeof(d), a);
		snprintf(buf, n, "%s s (%s)", num, d);
	} else {
		snprintf(buf, n, "%s s", num);
	}
}

void doctor_format_value(char *buf, size_t n, double value, const char *unit)
{
	char num[48];
	if (!n)
		return;
	if (!unit)
		unit = "";
	if (!isfinite(value)) {
		snprintf(buf, n, "n/a");
	} else if (!strcmp(unit, "bytes")) {
		format_bytes(buf, n, value);
	} else if (!strcmp(unit, "minutes")) {
		format_minutes(buf, n, value);
	} else if (!strcmp(unit, "seconds")) {
		format_seconds(buf, n, value);
	} else if (!strcmp(unit, "%") || !strcmp(unit, "percent")) {
		snprintf(buf, n, "%.1f%%", value);
	} else {
		plain_number(num, sizeof(num), value);
		if (*unit)
			snprintf(buf, n, "%s %s", num, unit);
		else
			snprintf(buf, n, "%s", num);
	}
}

static void format_time(char *buf, size_t n, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, n, "unknown time");
}

static void count_severities(const struct report *r, size_t cnt[3])
{
	cnt[0] = cnt[1] = cnt[2] = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		cnt[r->findings[i].severity <= SEV_CRITICAL ? r->findings[i].severity : SEV_INFO]++;
}

static size_t failed_pieces(const struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsnaps; i++)
		for (size_t j = 0; j < r->snaps[i].npieces; j++)
			n += !r->snaps[i].pieces[j].ok;
	return n;
}

/* --- text and JSON ------------------------------------------------------- */

/* Text and JSON are one description through report/emit: a field both show
 * is one EMIT_ANY call, the text's layout (rules, badges, headings) is
 * emit_text.  JSON keys keep the contract's order, so a field the text shows
 * elsewhere or in another form (the severity badge before the rule, "read"
 * before a piece's name, "(inferred from ...)" around a source) is written
 * once for each. */

struct style {
	const char *bold, *dim, *reset, *crit, *warn, *info, *ok, *code;
};
static const struct style plain = { "", "", "", "", "", "", "", "" };
static const struct style ansi = { "\033[1m", "\033[2m", "\033[0m", "\033[1;41;37m", "\033[1;43;30m",
				   "\033[1;46;30m", "\033[32m", "\033[36m" };

#define TEXT_WIDTH 78
#define WHAT_COLS 44
#define VALUE_COLS 24
#define FACT_COLS 60
#define SOURCE_COLS 60
#define FRAME_COLS 160
#define LINE_COLS 400
#define SUMMARY_COLS 110 /* the verdict list: one line per finding */

static const char *sev_style(const struct style *st, enum severity s)
{
	return s == SEV_CRITICAL ? st->crit : s == SEV_WARNING ? st->warn : st->info;
}

static const char *sev_badge(enum severity s)
{
	return s == SEV_CRITICAL ? "CRITICAL" : s == SEV_WARNING ? "WARNING" : "INFO";
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

/* Write a line of text wrapped at TEXT_WIDTH on spaces, each output line
 * starting with indent spaces.  Words longer than a line are cut (a 100 KB
 * identifier must not fill the screen). */
static void text_wrap_line(FILE *out, const char *s, size_t n, size_t indent)
{
	size_t col = 0, i = 0, width = TEXT_WIDTH > indent + 20 ? TEXT_WIDTH - indent : 20;
	pad(out, indent);
	while (i < n) {
		size_t j = i, wcols;
		while (j < n && s[j] != ' ')
			j++;
		wcols = termsafe_cols(s + i, j - i);
		if (col && col + 1 + wcols > width) {
			fputc('\n', out);
			pad(out, indent);
			col = 0;
		} else if (col) {
			fputc(' ', out);
			col++;
		}
		if (wcols > LINE_COLS) {
			char *w = xstrndup(s + i, j - i);
			col += termsafe_write_cols(out, w, LINE_COLS);
			free(w);
		} else {
			termsafe_write(out, s + i, j - i);
			col += wcols;
		}
		i = j;
		while (i < n && s[i] == ' ')
			i++;
	}
	fputc('\n', out);
}

static void text_wrap(FILE *out, const char *s, size_t indent)
{
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		text_wrap_line(out, s, n, indent);
		s = nl ? nl + 1 : s + n;
	}
}

/* emit_string_layout's text: prose wrapped at TEXT_WIDTH, indented by
 * *(const size_t *)indent columns. */
static void wrapped(FILE *out, const char *s, const void *indent)
{
	text_wrap(out, s, *(const size_t *)indent);
}

static void prose(struct emitter *e, enum emit_to to, const char *key, const char *s, size_t indent)
{
	emit_string_layout(e, to, key, s, wrapped, &indent);
}

/* The columns termsafe_write_cols takes for s cut to max. */
static size_t cut_cols(const char *s, size_t max)
{
	size_t cols = termsafe_cols(s, strlen(s));
	return cols < max ? cols : max;
}

/* A field that may be NULL: null in JSON, left out of the text. */
static void opt_string(struct emitter *e, const char *key, const char *fmt, size_t maxcols, const char *s)
{
	emit_string_cut(e, s ? EMIT_ANY : EMIT_JSON, key, fmt, maxcols, s);
}

/* emit_string_layout's text of a snippet: Go code keeps its layout, tabs
 * become four spaces, lines are indented but never wrapped; controls still
 * become '?'.  A blank line sets it off from the fix. */
static void snippet(FILE *out, const char *s, const void *style)
{
	const struct style *st = style;
	fputc('\n', out);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s), start = 0;
		fprintf(out, "      %s", st->code);
		for (size_t i = 0; i <= n; i++) {
			if (i == n || s[i] == '\t') {
				termsafe_write(out, s + start, i - start);
				if (i < n)
					fputs("    ", out);
				start = i + 1;
			}
		}
		fprintf(out, "%s\n", st->reset);
		s = nl ? nl + 1 : s + n;
	}
}

static void text_rule(struct emitter *e, char c)
{
	char line[TEXT_WIDTH + 1];
	memset(line, c, TEXT_WIDTH);
	line[TEXT_WIDTH] = '\0';
	emit_text(e, "%s\n", line);
}

/* Integral values (byte counts, goroutines) are printed exactly in JSON;
 * jw_double keeps only six digits. */
static void number(struct emitter *e, enum emit_to to, const char *key, const char *fmt, size_t maxcols, double v,
		   const char *shown)
{
	if (isfinite(v) && is_integral(v))
		emit_int_as(e, to, key, fmt, maxcols, true, (int64_t)v, shown);
	else
		emit_double_as(e, to, key, fmt, maxcols, v, shown);
}

/* A count of a finding, -1 when unknown: null in JSON, left out of the
 * text.  Returns whether the text shows it. */
static bool count(struct emitter *e, const char *key, const char *label, int64_t v, bool minutes,
		  const struct style *st)
{
	char fmt[64], num[96] = "";
	if (v >= 0 && minutes)
		format_minutes(num, sizeof(num), (double)v);
	else if (v >= 0)
		group_int(num, sizeof(num), (double)v);
	snprintf(fmt, sizeof(fmt), "  %s %s%%s%s", label, st->bold, st->reset);
	emit_int_as(e, v >= 0 ? EMIT_ANY : EMIT_JSON, key, fmt, EMIT_NO_CUT, v >= 0, v, num);
	return v >= 0;
}

/* One evidence row: what, then the number (right-aligned to vcol so
 * magnitudes line up) or the fact, then where it came from. */
static void evidence_row(struct emitter *e, const struct evidence *ev, size_t wcol, size_t vcol,
			 const struct style *st)
{
	bool fact = ev->text != NULL, noted = ev->basis != EVB_READ;
	/* A long fact (an inference, how to confirm) is a sentence the reader
	 * needs whole: wrapped below its name. */
	bool sentence = fact && termsafe_cols(ev->text, strlen(ev->text)) > FACT_COLS;
	char fmt[64], val[96];
	size_t w = vcol;

	emit_object_begin(e, NULL);
	snprintf(fmt, sizeof(fmt), "    %%-%zus  ", wcol);
	emit_string_cut(e, EMIT_ANY, "what", fmt, wcol, ev->what);
	if (!fact)
		doctor_format_value(val, sizeof(val), ev->value, ev->unit);
	snprintf(fmt, sizeof(fmt), "%s%%%zus%s", st->bold, vcol, st->reset);
	number(e, fact ? EMIT_JSON : EMIT_ANY, "value", fmt, vcol, ev->value, fact ? NULL : val);
	emit_string(e, EMIT_JSON, "unit", NULL, ev->unit ? ev->unit : "");
	if (sentence) {
		emit_string(e, EMIT_JSON, "text", NULL, ev->text);
		emit_text(e, "%s", st->dim);
		if (noted)
			emit_text(e, "(%s%s", evidence_basis_name(ev->basis), ev->source ? " from " : "");
		opt_string(e, "source", "%s", SOURCE_COLS, ev->source);
		emit_text(e, "%s%s\n%s", noted ? ")" : "", st->reset, st->bold);
		prose(e, EMIT_TEXT, NULL, ev->text, 6);
		emit_text(e, "%s", st->reset);
	} else {
		bool src = ev->source && (noted || *ev->source);
		snprintf(fmt, sizeof(fmt), "%s%%s%s", st->bold, st->reset);
		emit_string_cut(e, fact ? EMIT_ANY : EMIT_JSON, "text", fmt, FACT_COLS, ev->text);
		if (fact)
			w = cut_cols(ev->text, FACT_COLS);
		/* after a short fact, the source still starts past the numbers */
		if (noted || src)
			emit_text(e, "%*s%s", (int)(vcol > w ? vcol - w + 2 : 2), "", st->dim);
		if (noted)
			emit_text(e, "(%s%s", evidence_basis_name(ev->basis), src && *ev->source ? " from " : "");
		emit_string_cut(e, src ? EMIT_ANY : EMIT_JSON, "source", "%s", SOURCE_COLS, ev->source);
		emit_text(e, "%s%s\n", noted ? ")" : "", noted || src ? st->reset : "");
	}
	emit_string(e, EMIT_JSON, "basis", NULL, evidence_basis_name(ev->basis));
	emit_object_end(e);
}

static void evidence(struct emitter *e, const struct finding *f, const struct style *st)
{
	size_t wcol = 0, vcol = 0;
	char val[96];
	for (size_t i = 0; i < f->nevidence; i++) {
		const struct evidence *ev = &f->evidence[i];
		size_t w = termsafe_cols(ev->what, strlen(ev->what)), v;
		/* facts may be long sentences: they do not widen the number column */
		if (ev->text) {
			v = 0;
		} else {
			doctor_format_value(val, sizeof(val), ev->value, ev->unit);
			v = termsafe_cols(val, strlen(val));
		}
		wcol = w > wcol ? w : wcol;
		vcol = v > vcol ? v : vcol;
	}
	wcol = wcol > WHAT_COLS ? WHAT_COLS : wcol;
	vcol = vcol > VALUE_COLS ? VALUE_COLS : vcol;
	if (f->nevidence)
		emit_text(e, "\n  %sEvidence%s\n", st->bold, st->reset);
	emit_array_begin(e, "evidence");
	for (size_t i = 0; i < f->nevidence; i++)
		evidence_row(e, &f->evidence[i], wcol, vcol, st);
	emit_array_end(e);
}

static void finding(struct emitter *e, const struct finding *f, size_t idx, size_t total, const struct style *st)
{
	bool muted = e->text_muted, any;
	char fmt[64], pct[32];

	emit_object_begin(e, NULL);
	text_rule(e, '=');
	emit_text(e, "%s %s %s %s", sev_style(st, f->severity), sev_badge(f->severity), st->reset, st->bold);
	emit_string_cut(e, EMIT_ANY, "rule", "%s", 60, f->rule);
	emit_string(e, EMIT_JSON, "severity", NULL, severity_name(f->severity));
	snprintf(fmt, sizeof(fmt), "%s  confidence %%s  ", st->reset);
	snprintf(pct, sizeof(pct), "%.0f%%", f->confidence * 100);
	/* two decimals in JSON: 0.9, not 0.900000000000000022 */
	emit_double_as(e, EMIT_ANY, "confidence", fmt, EMIT_NO_CUT, round(f->confidence * 100) / 100, pct);
	emit_text(e, "%s(finding %zu of %zu)%s\n", st->dim, idx + 1, total, st->reset);
	prose(e, EMIT_ANY, "summary", f->summary ? f->summary : "", 2);
	any = count(e, "goroutines", "goroutines", f->goroutines, false, st);
	any |= count(e, "max_wait_minutes", "longest wait", f->max_wait_minutes, true, st);
	any |= count(e, "sockets", "sockets", f->sockets, false, st);
	if (any)
		emit_text(e, "\n");
	evidence(e, f, st);
	if (f->fix || f->snippet)
		emit_text(e, "\n  %sFix%s\n", st->bold, st->reset);
	prose(e, EMIT_ANY, "fix", f->fix ? f->fix : "", 4);
	emit_string_layout(e, EMIT_ANY, "snippet", f->snippet, snippet, st);
	if (f->nrefs)
		emit_text(e, "\n  %sReferences%s\n", st->bold, st->reset);
	emit_array_begin(e, "references");
	for (size_t i = 0; i < f->nrefs; i++)
		emit_string_cut(e, EMIT_ANY, NULL, "    %s\n", LINE_COLS, f->refs[i]);
	emit_array_end(e);
	if (f->nframes)
		emit_text(e, "\n  %sStack%s %s(innermost first)%s\n", st->bold, st->reset, st->dim, st->reset);
	emit_array_begin(e, "frames");
	for (size_t i = 0; i < f->nframes; i++) {
		if (i == DOCTOR_TEXT_MAX_FRAMES) {
			emit_text(e, "    %s... %zu more frames%s\n", st->dim, f->nframes - i, st->reset);
			e->text_muted = true;
		}
		emit_string_cut(e, EMIT_ANY, NULL, "    %s\n", FRAME_COLS, f->frames[i]);
	}
	e->text_muted = muted;
	emit_array_end(e);
	emit_text(e, "\n");
	emit_object_end(e);
}

static void snapshot_piece(struct emitter *e, const struct snapshot_piece *p, const struct style *st)
{
	/* the source only when it says more than the name */
	bool src = p->source && *p->source && strcmp(p->source, p->what);
	char fmt[64];

	emit_object_begin(e, NULL);
	snprintf(fmt, sizeof(fmt), "    %s%%-6s%s ", p->ok ? st->ok : st->crit, st->reset);
	emit_string(e, EMIT_TEXT, NULL, fmt, p->ok ? "read" : "FAILED");
	emit_string_cut(e, EMIT_ANY, "what", src ? "%-32s  " : "%s", 32, p->what);
	snprintf(fmt, sizeof(fmt), "%s%%s%s", st->dim, st->reset);
	emit_string_cut(e, src ? EMIT_ANY : EMIT_JSON, "source", fmt, SOURCE_COLS, p->source);
	emit_bool(e, EMIT_JSON, "ok", NULL, p->ok);
	emit_text(e, "\n");
	prose(e, EMIT_ANY, "note", p->note, 11);
	emit_object_end(e);
}

static void snapshot(struct emitter *e, const struct report_snapshot *s, size_t idx, size_t total,
		     const struct style *st)
{
	bool identity = s->pid > 0 || s->go_version || s->module || s->kernel || s->mem_policy;
	char when[64], fmt[64];

	emit_object_begin(e, NULL);
	emit_text(e, "  %s%s", st->bold, total < 2 ? "" : idx ? "later: " : "earlier: ");
	emit_string_cut(e, EMIT_ANY, "label", "%s", LINE_COLS, s->label);
	format_time(when, sizeof(when), s->time);
	snprintf(fmt, sizeof(fmt), "%s  %s%%s%s\n", st->reset, st->dim, st->reset);
	emit_int_as(e, EMIT_ANY, "time", fmt, EMIT_NO_CUT, true, s->time, when);
	if (identity)
		emit_text(e, "   ");
	if (s->pid > 0)
		emit_int(e, EMIT_ANY, "pid", " pid %s", s->pid);
	else
		emit_null(e, "pid");
	opt_string(e, "go_version", "  %s", 40, s->go_version);
	opt_string(e, "module", "  module %s", 80, s->module);
	opt_string(e, "kernel", "  kernel %s", 40, s->kernel);
	opt_string(e, "mem_policy", "  memory %s", 80, s->mem_policy);
	if (identity)
		emit_text(e, "\n");
	emit_array_begin(e, "pieces");
	for (size_t j = 0; j < s->npieces; j++)
		snapshot_piece(e, &s->pieces[j], st);
	emit_array_end(e);
	if (!s->npieces)
		emit_text(e, "    nothing could be read\n");
	emit_object_end(e);
}

/* Text only: the verdict, and a line per finding, before the findings. */
static void verdict(struct emitter *e, const struct report *r, const struct style *st)
{
	size_t cnt[3], failed = failed_pieces(r);
	count_severities(r, cnt);
	if (!r->nfindings && r->nseen) {
		emit_text(e, "\n%sNo finding yet%s, but %zu leak shape%s seen (below)", st->bold, st->reset, r->nseen,
			  r->nseen == 1 ? " was" : "s were");
		if (failed)
			emit_text(e, "; %zu piece%s could not be read (see below)", failed, failed == 1 ? "" : "s");
		emit_text(e, ".\n\n");
	} else if (!r->nfindings) {
		emit_text(e, "\n%sNo leak found.%s None of the rules matched the evidence read", st->ok, st->reset);
		if (failed)
			emit_text(e, ", but %zu piece%s could not be read (see below), so the check is incomplete", failed,
				  failed == 1 ? "" : "s");
		emit_text(e, ".\n\n");
	} else {
		emit_text(e, "\n%sVerdict: %zu finding%s%s (", st->bold, r->nfindings, r->nfindings == 1 ? "" : "s",
			  st->reset);
		emit_text(e, "%zu critical, %zu warning, %zu info)\n", cnt[SEV_CRITICAL], cnt[SEV_WARNING],
			  cnt[SEV_INFO]);
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct finding *f = &r->findings[i];
			emit_text(e, "  %s%-8s%s ", sev_style(st, f->severity), sev_badge(f->severity), st->reset);
			emit_string_cut(e, EMIT_TEXT, NULL, "%-28s", 28, f->rule);
			emit_text(e, " %3.0f%%  ", f->confidence * 100);
			emit_string_cut(e, EMIT_TEXT, NULL, "%s\n", SUMMARY_COLS, f->summary ? f->summary : "");
		}
		if (failed)
			emit_text(e, "  %s(%zu piece%s could not be read; see \"What was read\")%s\n", st->dim, failed,
				  failed == 1 ? "" : "s", st->reset);
		emit_text(e, "\n");
	}
}

static void seen(struct emitter *e, const struct report *r, const struct style *st)
{
	if (r->nseen) {
		text_rule(e, '-');
		emit_text(e, "%sSeen, not a finding%s\n", st->bold, st->reset);
	}
	emit_array_begin(e, "seen");
	for (size_t i = 0; i < r->nseen; i++) {
		const struct seen_item *it = &r->seen[i];
		emit_object_begin(e, NULL);
		emit_string_cut(e, EMIT_ANY, "rule", "  %s\n", 40, it->rule);
		emit_int_as(e, EMIT_JSON, "goroutines", NULL, EMIT_NO_CUT, it->goroutines >= 0, it->goroutines, NULL);
		emit_int_as(e, EMIT_JSON, "sockets", NULL, EMIT_NO_CUT, it->sockets >= 0, it->sockets, NULL);
		prose(e, EMIT_ANY, "text", it->text, 4);
		emit_object_end(e);
	}
	emit_array_end(e);
	if (r->nseen)
		emit_text(e, "\n");
}

static void snapshots(struct emitter *e, const struct report *r, const struct style *st)
{
	text_rule(e, '-');
	emit_text(e, "%sWhat was read%s\n", st->bold, st->reset);
	emit_array_begin(e, "snapshots");
	for (size_t i = 0; i < r->nsnaps; i++)
		snapshot(e, &r->snaps[i], i, r->nsnaps, st);
	emit_array_end(e);
	if (!r->nsnaps)
		emit_text(e, "  nothing\n");
}

static void render(struct emitter *e, const struct report *r, const struct style *st)
{
	emit_object_begin(e, NULL);
	emit_text(e, "%sgodiag doctor%s ", st->bold, st->reset);
	emit_string_cut(e, EMIT_ANY, "target", "%s\n", LINE_COLS, r->target ? r->target : "");
	/* The contract lists what was read first; people read the verdict
	 * first, what it rests on last. */
	if (e->json)
		snapshots(e, r, st);
	verdict(e, r, st);
	emit_array_begin(e, "findings");
	for (size_t i = 0; i < r->nfindings; i++)
		finding(e, &r->findings[i], i, r->nfindings, st);
	emit_array_end(e);
	seen(e, r, st);
	if (!e->json)
		snapshots(e, r, st);
	emit_object_end(e);
	emit_end(e);
}

void doctor_render_text(FILE *out, const struct report *r, bool color)
{
	struct emitter e;
	emit_init(&e, out, false);
	render(&e, r, color ? &ansi : &plain);
}

void doctor_render_json(FILE *out, const struct report *r)
{
	struct emitter e;
	emit_init(&e, out, true);
	render(&e, r, &plain);
}

/* --- HTML ---------------------------------------------------------------- */

#define HTML_MAX 2048   /* bytes of one string shown; the JSON has them whole */
#define HTML_CELL 512   /* bytes of a table cell */
#define SVG_LABEL 48    /* characters of a label inside a chart */
#define HTML_FRAMES 200

/* Escape at most max bytes of s, cut on a character boundary, with an
 * ellipsis when cut. */
static void html_text(FILE *out, const char *s, size_t max)
{
	size_t n;
	if (!s)
		return;
	n = strlen(s);
	if (n <= max) {
		html_escape(out, s, n);
		return;
	}
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	html_escape(out, s, max);
	fprintf(out, "&hellip; <span class=\"d\">(%zu more bytes)</span>", n - max);
}

/* At most maxchars characters of s (for SVG labels, where nothing wraps). */
static void html_chars(FILE *out, const char *s, size_t maxchars)
{
	size_t i = 0, chars = 0, n = s ? strlen(s) : 0;
	while (i < n && chars < maxchars) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	html_escape(out, s, i);
	if (i < n)
		fputs("&hellip;", out);
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	"base-uri 'none'; form-action 'none'\">\n"
	"<meta name=\"referrer\" content=\"no-referrer\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<style>\n"
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}\n"
	"h1{font-size:1.4em;overflow-wrap:anywhere}h2{font-size:1.15em;margin:.2em 0;overflow-wrap:anywhere}"
	"h3{font-size:1em;margin:1em 0 .3em}\n"
	"table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top;"
	"overflow-wrap:anywhere}\n"
	"td.v{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}\n"
	"table.ev,table.rd{width:100%;table-layout:fixed}.ev th:nth-child(1){width:46%}"
	".ev th:nth-child(2){width:22%;text-align:right}.rd th:nth-child(1){width:4em}.rd th:nth-child(2){width:22%}"
	".rd th:nth-child(3){width:34%}\n"
	".f{border:1px solid #ddd;border-left:6px solid #888;border-radius:6px;margin:1.2em 0;padding:.6em 1.2em}\n"
	".f.critical{border-left-color:#c00}.f.warning{border-left-color:#d90}.f.info{border-left-color:#39c}\n"
	".badge{display:inline-block;padding:1px 7px;border-radius:4px;color:#fff;font-size:.8em;font-weight:700;"
	"letter-spacing:.05em;white-space:nowrap}td.v,td code{white-space:nowrap}\n"
	".badge.critical{background:#c00}.badge.warning{background:#d90}.badge.info{background:#39c}\n"
	".d{color:#777}.ok{color:#080}.bad{color:#b00;font-weight:600}.verdict{font-size:1.15em}\n"
	".sum{font-size:1.05em;overflow-wrap:anywhere}.fix{white-space:pre-wrap;overflow-wrap:anywhere}\n"
	"pre{background:#f6f8fa;padding:.6em;border-radius:4px;font:12px/1.4 ui-monospace,monospace;tab-size:4;"
	"white-space:pre-wrap;overflow-wrap:anywhere}\n"
	"svg text{font:12px system-ui,sans-serif;fill:#222}svg .bar{fill:#e94}svg .bar2{fill:#69c}\n"
	"</style>\n";

static void html_badge(FILE *out, enum severity s)
{
	fprintf(out, "<span class=\"badge %s\">%s</span>", severity_name(s), sev_badge(s));
}

/* Links only for http(s): a report must not carry a javascript: URL a user
 * could click, whatever a rules file says. */
static void html_ref(FILE *out, const char *url)
{
	bool web = !strncmp(url, "https://", 8) || !strncmp(url, "http://", 7);
	if (web && strlen(url) < 2048) {
		fputs("<a rel=\"noopener noreferrer\" href=\"", out);
		html_escape_str(out, url);
		fputs("\">", out);
		html_text(out, url, HTML_MAX);
		fputs("</a>", out);
	} else {
		html_text(out, url, HTML_MAX);
	}
}

/* Horizontal bar chart; values[i] < 0 rows are skipped.  A second series
 * (values2, may be NULL) is drawn as a thinner bar below the first. */
struct chart_row {
	const char *label;
	double v1, v2;
	const char *t1, *t2; /* formatted values */
};

static void html_chart(FILE *out, const char *title, const struct chart_row *rows, size_t n,
		       const char *legend1, const char *legend2)
{
	const double label_w = 330, bar_w = 330, row_h = 30;
	double max1 = 0, max2 = 0, y = 26;
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].v1 > max1)
			max1 = rows[i].v1;
		if (rows[i].v2 > max2)
			max2 = rows[i].v2;
		shown += rows[i].v1 >= 0 || rows[i].v2 >= 0;
	}
	if (!shown)
		return;
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"820\" height=\"%.0f\" "
		"viewBox=\"0 0 820 %.0f\"><title>", 34 + row_h * (double)shown, 34 + row_h * (double)shown);
	html_escape_str(out, title);
	fputs("</title>\n<text x=\"0\" y=\"14\" font-weight=\"bold\">", out);
	html_escape_str(out, title);
	fputs("</text>", out);
	if (legend1)
		fprintf(out, "<rect class=\"bar\" x=\"%.0f\" y=\"5\" width=\"10\" height=\"10\"/>"
			"<text x=\"%.0f\" y=\"14\">%s</text>", label_w, label_w + 14, legend1);
	if (legend2)
		fprintf(out, "<rect class=\"bar2\" x=\"%.0f\" y=\"5\" width=\"10\" height=\"10\"/>"
			"<text x=\"%.0f\" y=\"14\">%s</text>", label_w + 120, label_w + 134, legend2);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const struct chart_row *c = &rows[i];
		if (c->v1 < 0 && c->v2 < 0)
			continue;
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", label_w - 8, y + 13);
		html_chars(out, c->label, SVG_LABEL);
		fputs("</text>", out);
		if (c->v1 >= 0) {
			double w = max1 > 0 ? bar_w * c->v1 / max1 : 0;
			fprintf(out, "<rect class=\"bar\" x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\"/>"
				"<text x=\"%.1f\" y=\"%.0f\">", label_w, y + 2, w < 1 ? 1 : w, c->v2 >= 0 ? 13 : 18,
				label_w + (w < 1 ? 1 : w) + 6, y + 13);
			html_chars(out, c->t1, 40);
			fputs("</text>", out);
		}
		if (c->v2 >= 0) {
			double w = max2 > 0 ? bar_w * c->v2 / max2 : 0;
			fprintf(out, "<rect class=\"bar2\" x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"9\"/>"
				"<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\">", label_w, y + 17, w < 1 ? 1 : w,
				label_w + (w < 1 ? 1 : w) + 6, y + 26);
			html_chars(out, c->t2, 40);
			fputs("</text>", out);
		}
		fputc('\n', out);
		y += row_h;
	}
	fputs("</svg>\n", out);
}

static void html_overview_chart(FILE *out, const struct report *r)
{
	struct chart_row rows[64];
	char t1[64][48], t2[64][48];
	size_t n = r->nfindings < 64 ? r->nfindings : 64;
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct finding *f = &r->findings[i];
		rows[i].label = f->rule;
		rows[i].v1 = f->goroutines >= 0 ? (double)f->goroutines : -1;
		rows[i].v2 = f->sockets >= 0 ? (double)f->sockets : -1;
		group_int(t1[i], sizeof(t1[i]), rows[i].v1);
		group_int(t2[i], sizeof(t2[i]), rows[i].v2);
		rows[i].t1 = t1[i];
		rows[i].t2 = t2[i];
		any |= f->goroutines >= 0 || f->sockets >= 0;
	}
	if (any)
		html_chart(out, "Goroutines and sockets per finding", rows, n, "goroutines", "sockets");
}

/* Evidence numbers of one finding; bars compare only values of the same
 * unit (bytes against bytes), each unit scaled to its own maximum. */
static void html_evidence_chart(FILE *out, const struct finding *f)
{
	const double label_w = 330, bar_w = 330, row_h = 22;
	size_t shown = 0;
	double y = 26;
	char val[96];
	for (size_t i = 0; i < f->nevidence && shown < 32; i++)
		shown += !f->evidence[i].text && isfinite(f->evidence[i].value) && f->evidence[i].value >= 0;
	if (shown < 2)
		return;
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"820\" height=\"%.0f\" "
		"viewBox=\"0 0 820 %.0f\"><title>Evidence</title>"
		"<text x=\"0\" y=\"14\" font-weight=\"bold\">Evidence (bars compare values of the same unit)</text>\n",
		30 + row_h * (double)shown, 30 + row_h * (double)shown);
	shown = 0;
	for (size_t i = 0; i < f->nevidence && shown < 32; i++) {
		const struct evidence *e = &f->evidence[i];
		double max = 0, w;
		if (e->text || !isfinite(e->value) || e->value < 0)
			continue;
		shown++;
		for (size_t j = 0; j < f->nevidence; j++) {
			const struct evidence *o = &f->evidence[j];
			if (!o->text && isfinite(o->value) && o->value > max && !strcmp(o->unit ? o->unit : "",
											 e->unit ? e->unit : ""))
				max = o->value;
		}
		w = max > 0 ? bar_w * e->value / max : 0;
		if (w < 1)
			w = 1;
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", label_w - 8, y + 13);
		html_chars(out, e->what, SVG_LABEL);
		fprintf(out, "</text><rect class=\"bar\" x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"16\"/>"
			"<text x=\"%.1f\" y=\"%.0f\">", label_w, y + 2, w, label_w + w + 6, y + 14);
		doctor_format_value(val, sizeof(val), e->value, e->unit);
		html_chars(out, val, 40);
		fputs("</text>\n", out);
		y += row_h;
	}
	fputs("</svg>\n", out);
}

static void html_finding(FILE *out, const struct finding *f, size_t idx)
{
	char num[96];
	fprintf(out, "<section class=\"f %s\" id=\"f%zu\">\n<h2>", severity_name(f->severity), idx + 1);
	html_badge(out, f->severity);
	fputs(" <code>", out);
	html_text(out, f->rule, 256);
	fprintf(out, "</code> <span class=\"d\">confidence %.0f%%</span></h2>\n", f->confidence * 100);
	fputs("<p class=\"sum\">", out);
	html_text(out, f->summary, HTML_MAX);
	fputs("</p>\n", out);
	if (f->goroutines >= 0 || f->max_wait_minutes >= 0 || f->sockets >= 0) {
		fputs("<p>", out);
		if (f->goroutines >= 0) {
			group_int(num, sizeof(num), (double)f->goroutines);
			fprintf(out, "goroutines <b>%s</b> ", num);
		}
		if (f->max_wait_minutes >= 0) {
			format_minutes(num, sizeof(num), (double)f->max_wait_minutes);
			fprintf(out, "&middot; longest wait <b>%s</b> ", num);
		}
		if (f->sockets >= 0) {
			group_int(num, sizeof(num), (double)f->sockets);
			fprintf(out, "&middot; sockets <b>%s</b>", num);
		}
		fputs("</p>\n", out);
	}
	if (f->nevidence) {
		fputs("<h3>Evidence</h3>\n<table class=\"ev\"><tr><th>what</th><th>value</th><th>source</th></tr>\n", out);
		for (size_t i = 0; i < f->nevidence; i++) {
			const struct evidence *e = &f->evidence[i];
			fputs("<tr><td>", out);
			html_text(out, e->what, HTML_CELL);
			fputs("</td><td class=\"v\">", out);
			if (e->text) {
				html_text(out, e->text, HTML_CELL);
			} else {
				doctor_format_value(num, sizeof(num), e->value, e->unit);
				html_escape_str(out, num);
			}
			fputs("</td><td class=\"d\">", out);
			if (e->basis != EVB_READ)
				fprintf(out, "<b>%s</b>%s", evidence_basis_name(e->basis), e->source ? " from " : "");
			html_text(out, e->source, HTML_CELL);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		html_evidence_chart(out, f);
	}
	if (f->fix || f->snippet) {
		fputs("<h3>Fix</h3>\n<p class=\"fix\">", out);
		html_text(out, f->fix, HTML_MAX * 2);
		fputs("</p>\n", out);
		if (f->snippet) {
			fputs("<pre><code>", out);
			html_text(out, f->snippet, HTML_MAX * 2);
			fputs("</code></pre>\n", out);
		}
	}
	if (f->nrefs) {
		fputs("<h3>References</h3>\n<ul>\n", out);
		for (size_t i = 0; i < f->nrefs; i++) {
			fputs("<li>", out);
			html_ref(out, f->refs[i]);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	if (f->nframes) {
		size_t shown = f->nframes < HTML_FRAMES ? f->nframes : HTML_FRAMES;
		fprintf(out, "<details open><summary>Stack, innermost first (%zu frames)</summary><pre>", f->nframes);
		for (size_t i = 0; i < shown; i++) {
			html_text(out, f->frames[i], 1024);
			fputc('\n', out);
		}
		if (shown < f->nframes)
			fprintf(out, "&hellip; %zu more frames\n", f->nframes - shown);
		fputs("</pre></details>\n", out);
	}
	fputs("</section>\n", out);
}

static void html_snapshot(FILE *out, const struct report_snapshot *s, size_t idx, size_t total)
{
	char when[64];
	format_time(when, sizeof(when), s->time);
	fputs("<h3>", out);
	if (total > 1)
		fputs(idx ? "Later: " : "Earlier: ", out);
	html_text(out, s->label, 1024);
	fprintf(out, " <span class=\"d\">%s</span></h3>\n", when);
	if (s->pid > 0 || s->go_version || s->module || s->kernel || s->mem_policy) {
		fputs("<p class=\"d\">", out);
		if (s->pid > 0)
			fprintf(out, "pid %d ", s->pid);
		if (s->go_version) {
			fputs("&middot; ", out);
			html_text(out, s->go_version, 256);
			fputc(' ', out);
		}
		if (s->module) {
			fputs("&middot; module ", out);
			html_text(out, s->module, 1024);
			fputc(' ', out);
		}
		if (s->kernel) {
			fputs("&middot; kernel ", out);
			html_text(out, s->kernel, 256);
			fputc(' ', out);
		}
		if (s->mem_policy) {
			fputs("&middot; memory ", out);
			html_text(out, s->mem_policy, 1024);
		}
		fputs("</p>\n", out);
	}
	fputs("<table class=\"rd\"><tr><th></th><th>what</th><th>source</th><th>note</th></tr>\n", out);
	for (size_t j = 0; j < s->npieces; j++) {
		const struct snapshot_piece *p = &s->pieces[j];
		fprintf(out, "<tr><td class=\"%s\">%s</td><td>", p->ok ? "ok" : "bad", p->ok ? "read" : "FAILED");
		html_text(out, p->what, 1024);
		fputs("</td><td class=\"d\">", out);
		html_text(out, p->source, 2048);
		fputs("</td><td>", out);
		html_text(out, p->note, HTML_MAX);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

void doctor_render_html(FILE *out, const struct report *r)
{
	size_t cnt[3], failed = failed_pieces(r);
	count_severities(r, cnt);
	fputs(html_head, out);
	fputs("<title>godiag doctor: ", out);
	html_text(out, r->target, 256);
	fputs("</title></head><body>\n<h1>godiag doctor: ", out);
	html_text(out, r->target, 2048);
	fputs("</h1>\n", out);
	if (!r->nfindings && r->nseen) {
		fprintf(out, "<p class=\"verdict\"><b>No finding yet</b>, but %zu leak shape%s seen (below).</p>\n",
			r->nseen, r->nseen == 1 ? " was" : "s were");
	} else if (!r->nfindings) {
		fputs("<p class=\"verdict ok\"><b>No leak found.</b> None of the rules matched the evidence read", out);
		if (failed)
			fprintf(out, ", but %zu piece%s could not be read, so the check is incomplete", failed,
				failed == 1 ? "" : "s");
		fputs(".</p>\n", out);
	} else {
		fprintf(out, "<p class=\"verdict\"><b>%zu finding%s</b>: %zu critical, %zu warning, %zu info.", r->nfindings,
			r->nfindings == 1 ? "" : "s", cnt[SEV_CRITICAL], cnt[SEV_WARNING], cnt[SEV_INFO]);
		if (failed)
			fprintf(out, " <span class=\"d\">%zu piece%s could not be read.</span>", failed,
				failed == 1 ? "" : "s");
		fputs("</p>\n<table>\n", out);
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct finding *f = &r->findings[i];
			fputs("<tr><td>", out);
			html_badge(out, f->severity);
			fprintf(out, "</td><td><a href=\"#f%zu\"><code>", i + 1);
			html_text(out, f->rule, 256);
			fprintf(out, "</code></a></td><td class=\"v\">%.0f%%</td><td>", f->confidence * 100);
			html_text(out, f->summary, 1024);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		html_overview_chart(out, r);
		for (size_t i = 0; i < r->nfindings; i++)
			html_finding(out, &r->findings[i], i);
	}
	if (r->nseen) {
		fputs("<h2>Seen, not a finding</h2>\n<ul>\n", out);
		for (size_t i = 0; i < r->nseen; i++) {
			fputs("<li><code>", out);
			html_text(out, r->seen[i].rule, 256);
			fputs("</code>: ", out);
			html_text(out, r->seen[i].text, HTML_MAX);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("<h2>What was read</h2>\n", out);
	for (size_t i = 0; i < r->nsnaps; i++)
		html_snapshot(out, &r->snaps[i], i, r->nsnaps);
	if (!r->nsnaps)
		fputs("<p>Nothing.</p>\n", out);
	fputs("<p class=\"d\">Generated by godiag " GODIAG_VERSION ".</p>\n</body></html>\n", out);
}
