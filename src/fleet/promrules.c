/* SPDX-License-Identifier: MIT */
/* `godiag fleet --emit-rules`: the trough-rise and divergence signals as
 * Prometheus recording and alerting rules, so a fleet alerts while godiag is
 * not running.  PromQL cannot sort, so the Theil-Sen slope and the
 * Mann-Kendall test become their strictest small case: four troughs in a
 * row, each higher than the one before (under "no trend" that happens with
 * probability 1/24), and a rise over them above the same bars as godiag's
 * (2% of the level per period, and an absolute floor).  docs/fleet.md says
 * what this version misses. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fleet/fleet.h"
#include "util/banned.h"

/* Prometheus durations: whole seconds are always valid ("86400s"). */
static void dur(char *buf, size_t n, double s)
{
	snprintf(buf, n, "%.0fs", s < 1 ? 1 : round(s));
}

struct sig {
	const char *metric, *record, *alert, *rule;
	double unit_floor; /* the least growth per period that counts, as watch has it */
	const char *what;
};

static const struct sig sigs[] = {
	{ "go_goroutines", "godiag:go_goroutines:trough", "GodiagGoroutineGrowthTrend", "goroutine-growth-trend", 1,
	  "goroutines" },
	{ "go_memstats_heap_inuse_bytes", "godiag:go_memstats_heap_inuse_bytes:trough", "GodiagHeapGrowthTrend",
	  "heap-growth-trend", TREND_MIN_GROWTH_BYTES, "heap in use" },
	{ "process_resident_memory_bytes", "godiag:process_resident_memory_bytes:trough", "GodiagRSSGrowthTrend",
	  "rss-growth-trend", TREND_MIN_GROWTH_BYTES, "RSS" },
	{ "process_open_fds", "godiag:process_open_fds:trough", "GodiagFdGrowthTrend", "socket-growth-trend", 1,
	  "open fds" },
	{ "node_sockstat_TCP_inuse", "godiag:node_sockstat_TCP_inuse:trough", "GodiagSocketGrowthTrend",
	  "socket-growth-trend", 1, "TCP sockets in use on the node" },
};

/* YAML single-quoted scalar: only the quote needs doubling. */
static void yq(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', out);
		if (*s == '\n')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

/* The four-troughs-rising condition over recorded series `rec`. */
static void rising(FILE *out, const char *rec, const char *p, const char *p2, const char *p3, double floor_,
		   const char *indent)
{
	fprintf(out, "%s%s > %s offset %s\n", indent, rec, rec, p);
	fprintf(out, "%sand %s offset %s > %s offset %s\n", indent, rec, p, rec, p2);
	fprintf(out, "%sand %s offset %s > %s offset %s\n", indent, rec, p2, rec, p3);
	fprintf(out, "%sand (%s - %s offset %s) > 0.06 * %s offset %s\n", indent, rec, rec, p3, rec, p3);
	fprintf(out, "%sand (%s - %s offset %s) >= 3 * %.0f\n", indent, rec, rec, p3, floor_);
}

enum gd_err fleet_emit_rules(FILE *out, const struct fleet_opts *o, struct gd_errbuf *eb)
{
	char p[32], p2[32], p3[32], iv[32], inner[1024] = "";
	double period = o->tp.period_s;

	if (!(period > 0))
		return gd_fail(eb, GD_EARG, "--emit-rules: bad period");
	if (o->selector && *o->selector) {
		size_t n = strlen(o->selector);
		if (n < 2 || o->selector[0] != '{' || o->selector[n - 1] != '}' || n >= sizeof(inner) ||
		    strchr(o->selector, '\n'))
			return gd_fail(eb, GD_EARG, "--selector: expected label matchers in braces, like "
				       "'{job=~\"api.*\"}'");
		memcpy(inner, o->selector + 1, n - 2);
		inner[n - 2] = '\0';
	}
	dur(p, sizeof(p), period);
	dur(p2, sizeof(p2), 2 * period);
	dur(p3, sizeof(p3), 3 * period);
	/* often enough that `offset` always finds a recorded sample (the
	 * lookback is 5 m), and 48 times a period at most */
	double ivs = period / 48;
	ivs = ivs < 1 ? 1 : ivs > 60 ? 60 : ivs;
	dur(iv, sizeof(iv), ivs);

	fprintf(out, "# Written by godiag fleet --emit-rules (period %s).  The troughs (the minimum over\n"
		     "# the last period) are recorded, and an alert fires when four troughs a period apart\n"
		     "# each rise over the one before, by more than 2%% of the level per period and an\n"
		     "# absolute floor.  `promtool check rules FILE` validates it.  See docs/fleet.md.\n",
		p);
	fprintf(out, "groups:\n  - name: godiag-troughs\n    interval: %s\n    rules:\n", iv);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const char *in = strcmp(sigs[i].metric, "node_sockstat_TCP_inuse") ? inner : "";
		fprintf(out, "      - record: %s\n        expr: min_over_time(%s{%s}[%s])\n", sigs[i].record,
			sigs[i].metric, in, p);
	}
	fprintf(out, "      - record: godiag:process_resident_memory_bytes:peak\n"
		     "        expr: max_over_time(process_resident_memory_bytes{%s}[%s])\n", inner, p);
	fprintf(out, "      - record: godiag:go_memstats_heap_inuse_bytes:peak\n"
		     "        expr: max_over_time(go_memstats_heap_inuse_bytes{%s}[%s])\n", inner, p);
	fprintf(out, "      - record: godiag:go_memstats_heap_released_bytes:max\n"
		     "        expr: max_over_time(go_memstats_heap_released_bytes{%s}[%s])\n", inner, p);

	fprintf(out, "  - name: godiag-alerts\n    interval: %s\n    rules:\n", iv);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const struct sig *s = &sigs[i];
		fprintf(out, "      - alert: %s\n        expr: |\n", s->alert);
		if (!strcmp(s->rule, "rss-growth-trend")) {
			/* RSS against heap: only when the heap does not rise with it */
			fputs("          (\n", out);
			rising(out, s->record, p, p2, p3, s->unit_floor, "            ");
			fputs("          )\n          unless on (job, instance) (\n", out);
			rising(out, "godiag:go_memstats_heap_inuse_bytes:trough", p, p2, p3, TREND_MIN_GROWTH_BYTES,
			       "            ");
			fputs("          )\n", out);
		} else {
			rising(out, s->record, p, p2, p3, s->unit_floor, "          ");
		}
		fprintf(out, "        labels:\n          severity: warning\n          godiag_rule: %s\n", s->rule);
		fprintf(out, "        annotations:\n          summary: ");
		char sum[512];
		snprintf(sum, sizeof(sum), "{{ $labels.instance }}: %s troughs rose four periods in a row (%s each)",
			 s->what, p);
		yq(out, sum);
		fputs("\n          description: ", out);
		yq(out, "The minimum of every period keeps rising: a leak, not load. Run godiag fleet for the "
			"significance test and the leaking stack.");
		fputc('\n', out);
	}
	/* the MADV_FREE hold: RSS troughs hold above the heap's troughs, near
	 * the RSS peak, while the runtime counts the difference as released */
	fputs("      - alert: GodiagRSSHeldByMadvFree\n        expr: |\n", out);
	fputs("          (godiag:process_resident_memory_bytes:trough - on (job, instance) godiag:go_memstats_heap_inuse_bytes:trough) >= 67108864\n"
	      "          and on (job, instance) (godiag:process_resident_memory_bytes:trough - on (job, instance) godiag:go_memstats_heap_inuse_bytes:trough)\n"
	      "            >= 0.1 * godiag:process_resident_memory_bytes:peak\n"
	      "          and on (job, instance) (godiag:process_resident_memory_bytes:trough - on (job, instance) godiag:go_memstats_heap_inuse_bytes:trough)\n"
	      "            >= 0.7 * (godiag:process_resident_memory_bytes:peak - on (job, instance) godiag:go_memstats_heap_inuse_bytes:trough)\n"
	      "          and on (job, instance) (godiag:go_memstats_heap_inuse_bytes:peak - godiag:go_memstats_heap_inuse_bytes:trough) >= 67108864\n"
	      "          and on (job, instance) godiag:go_memstats_heap_released_bytes:max\n"
	      "            >= 0.5 * (godiag:process_resident_memory_bytes:trough - on (job, instance) godiag:go_memstats_heap_inuse_bytes:trough)\n",
	      out);
	fprintf(out, "        for: %s\n", p);
	fputs("        labels:\n          severity: info\n          godiag_rule: rss-held-by-madv-free\n", out);
	fputs("        annotations:\n          summary: ", out);
	yq(out, "{{ $labels.instance }}: RSS stays near its peak at off-peak while the heap falls back "
		"(pages returned with MADV_FREE; not a leak)");
	fputs("\n          description: ", out);
	yq(out, "Go 1.12-1.15, or GODEBUG=madvdontneed=0: set GODEBUG=madvdontneed=1 or alert on RSS minus LazyFree.");
	fputc('\n', out);
	return GD_OK;
}
