/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <string.h>
#include <time.h>

#include "report/watch_report.h"
#include "util/html.h"
#include "util/banned.h"

void prom_label_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out), fputc(*s, out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

#define W 640
#define H 160
#define PAD 40
#define MAXPTS 400

struct range {
	double t0, t1, v0, v1;
};

static void range_of(struct range *r, const struct watch_series *s, size_t ns)
{
	bool first = true;
	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < s[k].n; i++) {
			double t = s[k].p[i].t, v = s[k].p[i].v;
			if (!isfinite(v))
				continue;
			if (first) {
				r->t0 = r->t1 = t;
				r->v0 = r->v1 = v;
				first = false;
			}
			if (t < r->t0) r->t0 = t;
			if (t > r->t1) r->t1 = t;
			if (v < r->v0) r->v0 = v;
			if (v > r->v1) r->v1 = v;
		}
	if (first)
		r->t0 = 0, r->t1 = 1, r->v0 = 0, r->v1 = 1;
	if (r->v0 > 0)
		r->v0 = 0;
	if (r->v1 <= r->v0)
		r->v1 = r->v0 + 1;
	if (r->t1 <= r->t0)
		r->t1 = r->t0 + 1;
}

static double xpos(const struct range *r, double t)
{
	return PAD + (t - r->t0) / (r->t1 - r->t0) * (W - PAD - 10);
}

static double ypos(const struct range *r, double v)
{
	return H - 20 - (v - r->v0) / (r->v1 - r->v0) * (H - 30);
}

/* A polyline, thinned to about MAXPTS points keeping each bucket's min and
 * max (a trough must not vanish in the thinning). */
static void polyline(FILE *out, const struct range *r, const struct watch_series *s, const char *cls)
{
	size_t step = s->n / (MAXPTS / 2) + 1;
	if (!s->n)
		return;
	fprintf(out, "<polyline class=\"%s\" fill=\"none\" points=\"", cls);
	for (size_t i = 0; i < s->n; i += step) {
		size_t lo = i, hi = i;
		for (size_t k = i; k < i + step && k < s->n; k++) {
			if (!isfinite(s->p[k].v))
				continue;
			if (!isfinite(s->p[lo].v) || s->p[k].v < s->p[lo].v) lo = k;
			if (!isfinite(s->p[hi].v) || s->p[k].v > s->p[hi].v) hi = k;
		}
		if (!isfinite(s->p[lo].v))
			continue;
		if (lo > hi) {
			size_t x = lo;
			lo = hi;
			hi = x;
		}
		fprintf(out, "%.1f,%.1f ", xpos(r, s->p[lo].t), ypos(r, s->p[lo].v));
		if (hi != lo)
			fprintf(out, "%.1f,%.1f ", xpos(r, s->p[hi].t), ypos(r, s->p[hi].v));
	}
	fputs("\"/>\n", out);
}

static void human(char *buf, size_t n, double v, bool bytes)
{
	if (bytes && v >= 1048576)
		snprintf(buf, n, "%.0f MiB", v / 1048576);
	else
		snprintf(buf, n, "%.0f", v);
}

static void chart(FILE *out, const char *title, const struct watch_series *s, const char *const *labels, size_t ns,
		  bool bytes, const double *tt, const double *tv, size_t nt)
{
	struct range r;
	char a[32], b[32];
	range_of(&r, s, ns);
	human(a, sizeof(a), r.v1, bytes);
	human(b, sizeof(b), r.v0, bytes);
	fprintf(out, "<figure class=\"chart\"><figcaption>%s", title);
	for (size_t k = 0; k < ns; k++)
		fprintf(out, " <span class=\"l%zu\">&#9632; %s</span>", k, labels[k]);
	if (nt)
		fputs(" <span class=\"tr\">&#9679; troughs</span>", out);
	fprintf(out, "</figcaption><svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", W, H, W, H);
	fprintf(out, "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>", PAD, PAD, H - 20);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", PAD, H - 20, W - 10, H - 20);
	fprintf(out, "<text x=\"2\" y=\"16\">%s</text><text x=\"2\" y=\"%d\">%s</text>\n", a, H - 22, b);
	for (size_t k = 0; k < ns; k++) {
		char cls[8];
		snprintf(cls, sizeof(cls), "s%zu", k);
		polyline(out, &r, &s[k], cls);
	}
	for (size_t i = 0; i < nt; i++)
		fprintf(out, "<circle class=\"trough\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>trough %.0f</title></circle>\n",
			xpos(&r, tt[i]), ypos(&r, tv[i]), tv[i]);
	fputs("</svg></figure>\n", out);
}

/* The troughs as bars: one per period, so a rise shows as a staircase. */
static void trough_bars(FILE *out, const double *tv, size_t nt)
{
	double max = 0;
	const int bw = 16, bh = 60;
	if (!nt)
		return;
	for (size_t i = 0; i < nt; i++)
		if (tv[i] > max)
			max = tv[i];
	if (max <= 0)
		max = 1;
	fprintf(out, "<figure class=\"chart\"><figcaption>Goroutine troughs, one per period</figcaption>"
		     "<svg viewBox=\"0 0 %zu %d\" width=\"%zu\" height=\"%d\" role=\"img\">\n",
		nt * (bw + 4) + 4, bh + 14, nt * (bw + 4) + 4, bh + 14);
	for (size_t i = 0; i < nt; i++) {
		double h = tv[i] / max * bh;
		fprintf(out, "<rect class=\"bar\" x=\"%zu\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"><title>%.0f</title></rect>\n",
			4 + i * (bw + 4), bh - h + 2, bw, h, tv[i]);
	}
	fputs("</svg></figure>\n", out);
}

void watch_render_dashboard(FILE *out, const char *base, const struct watch_dash_target *t, size_t n,
			    const struct watch_dash_finding *f, size_t nf, unsigned refresh_s)
{
	static const char *const glab[] = { "goroutines" };
	static const char *const slab[] = { "ESTABLISHED", "idle" };
	static const char *const mlab[] = { "RSS", "heap in use", "LazyFree" };
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<meta http-equiv=\"refresh\" content=\"%u\">\n"
		     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
		     "<title>godiag watch</title>\n"
		     "<style>body{font-family:sans-serif;margin:1em 2em;color:#222}"
		     "h2{margin-top:1.5em;border-bottom:1px solid #ccc}.down{color:#b00}.up{color:#070}"
		     "figure.chart{display:inline-block;margin:0 1em 1em 0}figcaption{font-size:90%%}"
		     "svg text{font-size:10px;fill:#555}.axis{stroke:#999}"
		     ".s0{stroke:#1f77b4;stroke-width:1.5}.s1{stroke:#d62728;stroke-width:1.5}.s2{stroke:#2ca02c;stroke-width:1.5}"
		     "svg{max-width:100%%;height:auto}.bar{fill:#ff7f0e}code{word-break:break-all}"
		     ".l0{color:#1f77b4}.l1{color:#d62728}.l2{color:#2ca02c}.tr{color:#ff7f0e}.trough{fill:#ff7f0e}"
		     "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top;font-size:90%%}"
		     ".sev-critical{color:#b00;font-weight:bold}.sev-warning{color:#a60}code{white-space:pre-wrap}</style>\n"
		     "</head><body>\n<h1>godiag watch</h1>\n<p>%zu target%s; refreshes every %u s.</p>\n",
		refresh_s, n, n == 1 ? "" : "s", refresh_s);
	fprintf(out, "<h2>Findings</h2>\n");
	if (!nf) {
		fputs("<p id=\"no-findings\">No findings.</p>\n", out);
	} else {
		fputs("<table id=\"findings\"><tr><th>time (UTC)</th><th>target</th><th>rule</th><th>severity</th>"
		      "<th>summary</th><th>evidence</th><th>bundle</th></tr>\n", out);
		for (size_t i = 0; i < nf; i++) {
			char ts[32];
			time_t tt = (time_t)(f[i].t_ms / 1000);
			struct tm tm;
			gmtime_r(&tt, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
			fprintf(out, "<tr class=\"finding\"><td>%s</td><td>", ts);
			html_escape_str(out, f[i].target);
			fputs("</td><td class=\"rule\">", out);
			html_escape_str(out, f[i].rule);
			fputs("</td><td class=\"sev-", out);
			html_escape_str(out, f[i].severity ? f[i].severity : "");
			fputs("\">", out);
			html_escape_str(out, f[i].severity ? f[i].severity : "");
			fputs("</td><td>", out);
			html_escape_str(out, f[i].summary ? f[i].summary : "");
			fputs("</td><td><code>", out);
			html_escape_str(out, f[i].evidence ? f[i].evidence : "");
			fputs("</code></td><td>", out);
			if (f[i].bundle) {
				html_escape_str(out, f[i].bundle);
				if (f[i].report)
					fprintf(out, "<br><a href=\"%s/report/%lld\">doctor report</a>", base, (long long)f[i].id);
				fprintf(out, " <a href=\"%s/bundle/%lld\">files</a>", base, (long long)f[i].id);
			}
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	for (size_t i = 0; i < n; i++) {
		struct watch_series sk[2] = { t[i].established, t[i].idle };
		struct watch_series mem[3] = { t[i].rss, t[i].heap, t[i].lazyfree };
		fputs("<section class=\"target\"><h2>", out);
		html_escape_str(out, t[i].name);
		fprintf(out, " <span class=\"%s\">%s</span></h2>\n<p>source: ", t[i].up ? "up" : "down",
			t[i].up ? "up" : "DOWN");
		html_escape_str(out, t[i].source ? t[i].source : "?");
		fputs("; trend: ", out);
		html_escape_str(out, t[i].trend ? t[i].trend : "?");
		if (!t[i].up && t[i].reason) {
			fputs("; <span class=\"down\">", out);
			html_escape_str(out, t[i].reason);
			fputs("</span>", out);
		}
		fputs("</p>\n", out);
		chart(out, "Goroutines", &t[i].goroutines, glab, 1, false, t[i].trough_t, t[i].trough_v, t[i].ntroughs);
		trough_bars(out, t[i].trough_v, t[i].ntroughs);
		chart(out, "TCP sockets", sk, slab, 2, false, NULL, NULL, 0);
		chart(out, "Memory: RSS against the heap", mem, mlab, 3, true, NULL, NULL, 0);
		fputs("</section>\n", out);
	}
	fputs("</body></html>\n", out);
}
