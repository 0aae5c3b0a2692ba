/* SPDX-License-Identifier: MIT */
/* report_demo: builds a realistic `godiag doctor` report whose every string
 * field a target controls carries an attack (script and markup injection,
 * terminal escapes, invalid UTF-8, a 100 KB function name) and renders it.
 * tests/integration/doctor_html_chromium.sh opens the HTML in a real browser
 * to prove it renders and stays inert, without depending on the rules.
 *
 *   report_demo html|text|json [OUT]     (OUT defaults to stdout) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/finding.h"
#include "report/doctor_report.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Strings the browser check looks for; keep in sync with chromium_check.js. */
#define XSS_SCRIPT "<script>alert(1)</script>"
#define XSS_IMG "\"><img src=x onerror=alert(2)>"
#define XSS_SVG "'><svg onload=alert(3)>"
#define ESCAPES "\x1b]0;pwned\x07\x1b[2J\r"
#define BADUTF "\xff\xfe\xc0\xaf"

static char *big_name(size_t n)
{
	char *s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = "main.(*handler).ServeHTTP.func1"[i % 31];
	s[n] = '\0';
	return s;
}

static void build(struct report *r)
{
	struct report_snapshot *s;
	struct finding *f;
	char *big = big_name(100 * 1024);

	report_init(r, "http://127.0.0.1:6060 " XSS_SCRIPT);
	s = report_add_snapshot(r, "pid 4242 (api-server " XSS_IMG ")", 1700000000);
	s->pid = 4242;
	s->go_version = xstrdup("go1.19.13");
	s->module = xstrdup("example.com/api" BADUTF);
	s->kernel = xstrdup("6.1.0-18-amd64");
	s->mem_policy = xstrdup("MADV_FREE (Go 1.12-1.15 default)");
	report_snapshot_piece(s, "goroutine?debug=2", "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2",
			      1700000000, true, NULL);
	report_snapshot_piece(s, "sock_diag", "netlink", 1700000000, true, NULL);
	report_snapshot_piece(s, "/proc/4242/smaps_rollup", "/proc/4242/smaps_rollup", 1700000001, false,
			      "permission denied " XSS_SVG ESCAPES);

	f = report_add_finding(r, "http-server-idle-conn", SEV_CRITICAL, 0.92);
	finding_set_summary(f, "1,204 HTTP server connections held open by idle keep-alive clients " XSS_SCRIPT);
	f->goroutines = 1204;
	f->max_wait_minutes = 1390;
	f->sockets = 1204;
	finding_add_evidence(f, "goroutines in net/http.(*conn).serve (IO wait)", 1204, "goroutines",
			     "goroutine?debug=2");
	finding_add_evidence(f, "longest wait " XSS_IMG, 1390, "minutes", "goroutine?debug=2");
	finding_add_evidence(f, "ESTABLISHED sockets on :8080 idle > 10m", 1204, "sockets", "sock_diag");
	finding_add_evidence(f, "kernel memory in socket buffers", 41943040, "bytes", "/proc/net/sockstat");
	finding_add_evidence(f, big, 7, "goroutines", "goroutine?debug=2" BADUTF);
	finding_add_fact(f, "http.Server.IdleTimeout", "not set (0 = wait forever) " XSS_SVG, "heuristic");
	finding_set_fix(f, "Set http.Server.IdleTimeout (and ReadHeaderTimeout) so idle keep-alive connections "
			   "are closed; clients reconnect transparently. " XSS_SCRIPT,
			"srv := &http.Server{\n\tAddr:              \":8080\",\n\tIdleTimeout:       2 * time.Minute,\n"
			"\tReadHeaderTimeout: 10 * time.Second, // " XSS_IMG "\n}");
	finding_add_ref(f, "https://pkg.go.dev/net/http#Server");
	finding_add_ref(f, "javascript:alert(4)");
	finding_add_frame(f, "internal/poll.runtime_pollWait", "/usr/lib/go/src/runtime/netpoll.go", 306);
	finding_add_frame(f, "net.(*conn).Read", "/usr/lib/go/src/net/net.go", 183);
	finding_add_frame(f, XSS_SCRIPT, "/src/" XSS_IMG ".go" ESCAPES, 1);
	finding_add_frame(f, "net/http.(*conn).serve", "/usr/lib/go/src/net/http/server.go", 1995);
	ALLOC_GROW(f->frames, f->nframes + 1, f->frames_alloc);
	f->frames[f->nframes++] = xstrdup(big);

	f = report_add_finding(r, "goroutine-blocked-chan", SEV_WARNING, 0.7);
	finding_set_summary(f, "312 goroutines blocked on a channel send nobody receives");
	f->goroutines = 312;
	f->max_wait_minutes = 95;
	finding_add_evidence(f, "goroutines in chan send", 312, "goroutines", "goroutine?debug=2");
	finding_add_evidence(f, "growth between snapshots", 40, "goroutines", "goroutine?debug=2");
	finding_set_fix(f, "Give the sender a way out: select on ctx.Done() or make the channel buffered.",
			"select {\ncase ch <- v:\ncase <-ctx.Done():\n\treturn ctx.Err()\n}");
	finding_add_frame(f, "main.worker", "/src/app/worker.go", 42);

	f = report_add_finding(r, "rss-held-by-madv-free", SEV_INFO, 0.8);
	finding_set_summary(f, "RSS is high but 1.5 GiB is LazyFree pages the kernel reclaims on demand");
	finding_add_evidence(f, "LazyFree", 1610612736, "bytes", "/proc/4242/smaps_rollup");
	finding_add_evidence(f, "RSS", 2147483648.0, "bytes", "/proc/4242/status");
	finding_set_fix(f, "Nothing leaks. Run with GODEBUG=madvdontneed=1 if the RSS number matters.", NULL);
	report_sort(r);
	free(big);
}

int main(int argc, char **argv)
{
	struct report r;
	FILE *out = stdout;
	if (argc < 2 || argc > 3) {
		fputs("usage: report_demo html|text|json [OUT]\n", stderr);
		return 2;
	}
	if (argc == 3 && !(out = fopen(argv[2], "w"))) {
		perror(argv[2]);
		return 1;
	}
	build(&r);
	if (!strcmp(argv[1], "html"))
		doctor_render_html(out, &r);
	else if (!strcmp(argv[1], "json"))
		doctor_render_json(out, &r);
	else
		doctor_render_text(out, &r, !strcmp(argv[1], "color"));
	report_release(&r);
	if (out != stdout ? fclose(out) : fflush(out)) {
		perror("write");
		return 1;
	}
	return 0;
}
