/* SPDX-License-Identifier: MIT */
/* Tests of the doctor renderers with a report full of hostile strings (HTML
 * and script injection, terminal escapes, invalid UTF-8, a 100 KB function
 * name): the JSON must parse and carry exactly the contract's fields, the
 * HTML must hold no element or attribute the renderer did not write, the
 * text must hold no control byte.  Also the number formatting for people. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <jansson.h>

#include "diagnose/finding.h"
#include "report/doctor_report.h"
#include "util/termsafe.h"
#include "util/utf8.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define XSS1 "<script>alert(1)</script>"
#define XSS2 "\"><img src=x onerror=alert(2)>"
#define XSS3 "'><svg onload=alert(3)>"
#define TERM "\x1b]0;pwned\x07\x1b[2J\r\b\x7f"
#define C1BIDI "\xc2\x9b" "31m\xe2\x80\xae"
#define BADUTF "\xff\xfe\xc0\xaf\xed\xa0\x80"
#define BIG_LEN (100 * 1024)

static char *big_name(void)
{
	char *s = xmalloc(BIG_LEN + 1);
	for (size_t i = 0; i < BIG_LEN; i++)
		s[i] = "main.(*handler).ServeHTTP"[i % 25];
	s[BIG_LEN] = '\0';
	return s;
}

static void build_hostile(struct report *r)
{
	struct report_snapshot *s;
	struct finding *f;
	char *big = big_name();

	report_init(r, "http://127.0.0.1:6060/" XSS1 TERM);
	s = report_add_snapshot(r, "pid 4242 " XSS2, 1700000000);
	s->pid = 4242;
	s->go_version = xstrdup("go1.19.13" BADUTF);
	s->kernel = xstrdup("6.1.0" TERM);
	report_snapshot_piece(s, "goroutine?debug=2", "http://127.0.0.1:6060/debug/pprof/goroutine?debug=2", 1700000000,
			      true, NULL);
	report_snapshot_piece(s, "/proc/4242/smaps_rollup", "/proc/4242/smaps_rollup", 1700000001, false,
			      "permission denied " XSS3 TERM);

	f = report_add_finding(r, "http-server-idle-conn", SEV_CRITICAL, 0.9);
	finding_set_summary(f, "1,204 connections held open by idle keep-alive clients " XSS1);
	f->goroutines = 1204;
	f->max_wait_minutes = 1390;
	f->sockets = 1204;
	finding_add_evidence(f, "goroutines in net/http.(*conn).serve", 1204, "goroutines", "goroutine?debug=2");
	finding_add_evidence(f, "longest wait " XSS2, 1390, "minutes", "goroutine?debug=2" TERM);
	finding_add_evidence(f, "heap in use", 1610612736, "bytes", "/proc/4242/smaps_rollup");
	finding_add_evidence(f, big, 3, "goroutines", BADUTF);
	finding_add_fact(f, "server " C1BIDI, "Go 1.19 " XSS3, "buildinfo");
	finding_set_fix(f, "Set http.Server.IdleTimeout " XSS1 TERM,
			"srv := &http.Server{\n\tIdleTimeout: 2 * time.Minute, // " XSS2 "\n}");
	finding_add_ref(f, "https://pkg.go.dev/net/http#Server");
	finding_add_ref(f, "javascript:alert(4)");
	finding_add_ref(f, "https://x.example/\"onmouseover=\"alert(5)");
	for (int i = 0; i < 20; i++)
		finding_add_frame(f, i == 3 ? XSS1 : "net/http.(*conn).serve", "/usr/lib/go/src/net/http/server.go" TERM,
				  (uint32_t)(1900 + i));
	ALLOC_GROW(f->frames, f->nframes + 1, f->frames_alloc);
	f->frames[f->nframes++] = xstrdup(big);

	f = report_add_finding(r, "heap-growth", SEV_WARNING, 0.55);
	finding_set_summary(f, "heap grew");
	finding_add_evidence(f, "heap growth", 0.5, "%", NULL);
	finding_add_evidence(f, "growth per hour", 1.0 / 0.0, "bytes", NULL); /* JSON has no infinity: null */
	finding_set_fix(f, NULL, NULL);
	free(big);
}

/* Render with fn into a malloc'd NUL-terminated buffer. */
static char *render(void (*fn)(FILE *, const struct report *, bool), const struct report *r, bool color,
		    size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	fn(m, r, color);
	fclose(m);
	*len = n;
	return buf;
}

static void json_fn(FILE *out, const struct report *r, bool unused)
{
	(void)unused;
	doctor_render_json(out, r);
}

static void html_fn(FILE *out, const struct report *r, bool unused)
{
	(void)unused;
	doctor_render_html(out, r);
}

static void assert_valid_utf8(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t l = (unsigned char)s[i] < 0x80 ? 1 : utf8_valid_len(s + i, n - i);
		if (!l)
			fail_msg("invalid UTF-8 at byte %zu", i);
		i += l;
	}
}

static void assert_keys(json_t *obj, const char *const *keys)
{
	size_t n = 0;
	assert_true(json_is_object(obj));
	for (; keys[n]; n++)
		if (!json_object_get(obj, keys[n]))
			fail_msg("missing key %s", keys[n]);
	assert_int_equal(json_object_size(obj), n);
}

static void test_json_contract(void **state)
{
	static const char *const top[] = { "target", "snapshots", "findings", "seen", NULL };
	static const char *const snap[] = { "label", "time", "pid", "go_version", "module", "kernel", "mem_policy",
					    "pieces", NULL };
	static const char *const piece[] = { "what", "source", "ok", "note", NULL };
	static const char *const fkeys[] = { "rule", "severity", "confidence", "summary", "goroutines",
					     "max_wait_minutes", "sockets", "evidence", "fix", "snippet",
					     "references", "frames", NULL };
	static const char *const ekeys[] = { "what", "value", "unit", "text", "source", "basis", NULL };
	struct report r;
	json_error_t err;
	size_t len;
	char *out;
	json_t *root, *f, *e, *s, *p;
	(void)state;

	build_hostile(&r);
	out = render(json_fn, &r, false, &len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 && out[i] != '\n')
			fail_msg("raw control byte 0x%02x at %zu", (unsigned char)out[i], i);
	root = json_loadb(out, len, 0, &err);
	if (!root)
		fail_msg("JSON does not parse: %s (line %d)", err.text, err.line);
	assert_keys(root, top);
	assert_true(strstr(json_string_value(json_object_get(root, "target")), XSS1 "\x1b]0;pwned") != NULL);

	s = json_array_get(json_object_get(root, "snapshots"), 0);
	assert_int_equal(json_array_size(json_object_get(root, "snapshots")), 1);
	assert_keys(s, snap);
	assert_int_equal(json_integer_value(json_object_get(s, "pid")), 4242);
	assert_int_equal(json_integer_value(json_object_get(s, "time")), 1700000000);
	assert_true(json_is_null(json_object_get(s, "module")));
	/* invalid UTF-8 became U+FFFD, the valid prefix is kept */
	assert_memory_equal(json_string_value(json_object_get(s, "go_version")), "go1.19.13\xef\xbf\xbd", 12);
	p = json_array_get(json_object_get(s, "pieces"), 1);
	assert_keys(p, piece);
	assert_true(json_is_false(json_object_get(p, "ok")));
	assert_true(strstr(json_string_value(json_object_get(p, "note")), XSS3) != NULL);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(s, "pieces"), 0), "note")));

	assert_int_equal(json_array_size(json_object_get(root, "findings")), 2);
	f = json_array_get(json_object_get(root, "findings"), 0);
	assert_keys(f, fkeys);
	assert_string_equal(json_string_value(json_object_get(f, "rule")), "http-server-idle-conn");
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "critical");
	assert_true(json_is_real(json_object_get(f, "confidence")));
	assert_true(json_real_value(json_object_get(f, "confidence")) == 0.9);
	assert_int_equal(json_integer_value(json_object_get(f, "goroutines")), 1204);
	assert_int_equal(json_integer_value(json_object_get(f, "max_wait_minutes")), 1390);
	assert_int_equal(json_integer_value(json_object_get(f, "sockets")), 1204);
	assert_int_equal(json_array_size(json_object_get(f, "evidence")), 5);
	for (size_t i = 0; i < 5; i++)
		assert_keys(json_array_get(json_object_get(f, "evidence"), i), ekeys);
	e = json_array_get(json_object_get(f, "evidence"), 2);
	/* exact, not 1.61061e+09 */
	assert_true(json_is_integer(json_object_get(e, "value")));
	assert_int_equal(json_integer_value(json_object_get(e, "value")), 1610612736);
	assert_string_equal(json_string_value(json_object_get(e, "unit")), "bytes");
	assert_true(json_is_null(json_object_get(e, "text")));
	e = json_array_get(json_object_get(f, "evidence"), 3);
	assert_int_equal(strlen(json_string_value(json_object_get(e, "what"))), BIG_LEN);
	e = json_array_get(json_object_get(f, "evidence"), 4);
	assert_string_equal(json_string_value(json_object_get(e, "text")), "Go 1.19 " XSS3);
	assert_true(strstr(json_string_value(json_object_get(f, "snippet")), "\tIdleTimeout") != NULL);
	assert_int_equal(json_array_size(json_object_get(f, "references")), 3);
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "references"), 1)),
			    "javascript:alert(4)");
	assert_int_equal(json_array_size(json_object_get(f, "frames")), 21);
	assert_string_equal(json_string_value(json_array_get(json_object_get(f, "frames"), 3)),
			    XSS1 "  /usr/lib/go/src/net/http/server.go" TERM ":1903");

	f = json_array_get(json_object_get(root, "findings"), 1);
	assert_keys(f, fkeys);
	assert_true(json_is_null(json_object_get(f, "goroutines")));
	assert_true(json_is_null(json_object_get(f, "max_wait_minutes")));
	assert_true(json_is_null(json_object_get(f, "sockets")));
	assert_true(json_is_null(json_object_get(f, "snippet")));
	assert_string_equal(json_string_value(json_object_get(f, "fix")), "");
	assert_true(json_real_value(json_object_get(f, "confidence")) == 0.55);
	assert_true(json_real_value(json_object_get(json_array_get(json_object_get(f, "evidence"), 0), "value")) ==
		    0.5);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(f, "evidence"), 0), "source")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(f, "evidence"), 1), "value")));

	json_decref(root);
	free(out);
	report_release(&r);
}

static void test_json_empty(void **state)
{
	struct report r;
	size_t len;
	char *out;
	json_t *root;
	(void)state;
	report_init(&r, "dir/");
	out = render(json_fn, &r, false, &len);
	root = json_loadb(out, len, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "findings")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "snapshots")), 0);
	assert_string_equal(json_string_value(json_object_get(root, "target")), "dir/");
	json_decref(root);
	free(out);
	report_release(&r);
}

/* Tags and attributes the HTML renderer writes; anything else in the page
 * came from the target and was not escaped. */
static bool allowed(const char *name, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strlen(list[i]) == n && !strncasecmp(name, list[i], n))
			return true;
	return false;
}

static void assert_html_inert(const char *h, size_t len)
{
	static const char *const tags[] = { "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2",
					    "h3", "p", "b", "span", "table", "tr", "td", "th", "a", "code", "section",
					    "svg", "text", "rect", "pre", "details", "summary", "ul", "li", NULL };
	static const char *const attrs[] = { "lang", "charset", "http-equiv", "content", "name", "class", "id",
					     "href", "rel", "xmlns", "role", "width", "height", "viewBox", "x", "y",
					     "text-anchor", "font-weight", "font-size", "open", "html", NULL };
	size_t i = 0, ntags = 0;
	while (i < len) {
		size_t j;
		if (h[i] != '<') {
			i++;
			continue;
		}
		i++;
		if (i < len && h[i] == '/')
			i++;
		j = i;
		while (j < len && (h[j] == '!' || (h[j] >= 'a' && h[j] <= 'z') || (h[j] >= 'A' && h[j] <= 'Z') ||
				   (h[j] >= '0' && h[j] <= '9')))
			j++;
		if (!allowed(h + i, j - i, tags))
			fail_msg("unexpected tag <%.*s> at %zu", (int)(j - i < 40 ? j - i : 40), h + i, i);
		ntags++;
		/* attributes up to '>' */
		i = j;
		while (i < len && h[i] != '>') {
			if (h[i] == '"' || h[i] == '\'') {
				const char *q = memchr(h + i + 1, h[i], len - i - 1);
				assert_non_null(q);
				if (!strncasecmp(h + i + 1, "javascript:", 11))
					fail_msg("javascript: URL at %zu", i);
				i = (size_t)(q - h) + 1;
				continue;
			}
			if ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z')) {
				j = i;
				while (j < len && h[j] != '=' && h[j] != ' ' && h[j] != '>' && h[j] != '/')
					j++;
				if (!allowed(h + i, j - i, attrs))
					fail_msg("unexpected attribute %.*s at %zu", (int)(j - i < 40 ? j - i : 40),
						 h + i, i);
				i = j;
				continue;
			}
			i++;
		}
	}
	assert_true(ntags > 50);
}

static void test_html_inert(void **state)
{
	struct report r;
	size_t len;
	char *out;
	(void)state;
	build_hostile(&r);
	out = render(html_fn, &r, false, &len);
	assert_int_equal(strlen(out), len);
	assert_valid_utf8(out, len);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)out[i] < 0x20 && out[i] != '\n' && out[i] != '\t') || out[i] == 0x7f)
			fail_msg("control byte 0x%02x at %zu", (unsigned char)out[i], i);
	assert_null(strcasestr(out, "<script"));
	assert_null(strcasestr(out, "<img"));
	assert_null(strcasestr(out, "<svg onload"));
	assert_null(strstr(out, "href=\"javascript"));
	assert_non_null(strstr(out, "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'"));
	assert_non_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(out, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
	assert_non_null(strstr(out, "go1.19.13&#xfffd;"));
	assert_non_null(strstr(out, "http-server-idle-conn"));
	assert_non_null(strstr(out, "1,390 min (23 h 10 min)"));
	assert_non_null(strstr(out, "1.5 GiB"));
	assert_non_null(strstr(out, "<svg"));
	assert_non_null(strstr(out, "href=\"https://pkg.go.dev/net/http#Server\""));
	/* the quote in the URL cannot close the attribute */
	assert_non_null(strstr(out, "href=\"https://x.example/&quot;onmouseover=&quot;alert(5)\""));
	/* no external resources at all */
	assert_null(strstr(out, "src=\""));
	assert_null(strstr(out, "url("));
	/* the 100 KB names are cut, the page stays small */
	assert_true(len < 64 * 1024);
	assert_non_null(strstr(out, "more bytes)"));
	assert_html_inert(out, len);
	free(out);
	report_release(&r);
}

static void test_html_empty(void **state)
{
	struct report r;
	size_t len;
	char *out;
	(void)state;
	report_init(&r, XSS1);
	report_snapshot_piece(report_add_snapshot(&r, XSS2, 0), "status", NULL, 0, false, "gone " XSS1);
	out = render(html_fn, &r, false, &len);
	assert_non_null(strstr(out, "No leak found"));
	assert_non_null(strstr(out, "1 piece could not be read"));
	assert_null(strstr(out, "<svg"));
	assert_html_inert(out, len);
	free(out);
	report_release(&r);
}

static void assert_text_safe(const char *t, size_t len)
{
	assert_valid_utf8(t, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			fail_msg("control byte 0x%02x at %zu: %.40s", c, i, t + (i > 20 ? i - 20 : 0));
		if (c == 0xc2 && i + 1 < len && (unsigned char)t[i + 1] >= 0x80 && (unsigned char)t[i + 1] <= 0x9f)
			fail_msg("C1 control at %zu", i);
		if (c == 0xe2 && i + 2 < len && (unsigned char)t[i + 1] == 0x80 && (unsigned char)t[i + 2] >= 0xaa &&
		    (unsigned char)t[i + 2] <= 0xae)
			fail_msg("bidi override at %zu", i);
	}
}

static void test_text(void **state)
{
	struct report r;
	size_t len;
	char *out;
	const char *p, *q;
	(void)state;
	build_hostile(&r);
	out = render(doctor_render_text, &r, false, &len);
	assert_text_safe(out, len);
	/* verdict first, then evidence, then the fix */
	p = strstr(out, "Verdict: 2 findings");
	assert_non_null(p);
	assert_true(p < strstr(out, "Evidence"));
	assert_true(strstr(out, "Evidence") < strstr(out, "Fix"));
	assert_true(strstr(out, "Fix") < strstr(out, "\nWhat was read"));
	assert_non_null(strstr(out, "CRITICAL"));
	assert_non_null(strstr(out, "http-server-idle-conn  confidence 90%"));
	assert_non_null(strstr(out, "heap-growth  confidence 55%"));
	assert_non_null(strstr(out, "1,390 min (23 h 10 min)"));
	assert_non_null(strstr(out, "1.5 GiB"));
	assert_non_null(strstr(out, "1,204 goroutines"));
	assert_non_null(strstr(out, "0.5%"));
	assert_non_null(strstr(out, "goroutines 1,204"));
	/* hostile strings are visible but inert */
	assert_non_null(strstr(out, XSS1));
	assert_non_null(strstr(out, "?]0;pwned??[2J???\n"));
	assert_non_null(strstr(out, "go1.19.13???????"));
	/* snippet: indented, tabs expanded */
	assert_non_null(strstr(out, "      srv := &http.Server{\n          IdleTimeout: 2 * time.Minute"));
	/* frames: at most DOCTOR_TEXT_MAX_FRAMES, the rest counted */
	assert_non_null(strstr(out, "... 9 more frames"));
	q = strstr(out, "net/http.(*conn).serve  /usr/lib/go/src/net/http/server.go?]0;pwned??[2J???:1911");
	assert_non_null(q);
	assert_null(strstr(out, ":1912"));
	/* the failed piece and why */
	assert_non_null(strstr(out, "FAILED /proc/4242/smaps_rollup"));
	assert_non_null(strstr(out, "permission denied"));
	assert_non_null(strstr(out, "pid 4242"));
	assert_non_null(strstr(out, "2023-11-14 22:13:20 UTC"));
	/* the 100 KB name is cut */
	assert_true(len < 16 * 1024);
	free(out);

	/* color: the only escapes are our SGR sequences */
	out = render(doctor_render_text, &r, true, &len);
	for (size_t i = 0; i < len; i++) {
		if (out[i] != '\x1b')
			continue;
		assert_true(i + 1 < len && out[i + 1] == '[');
		i += 2;
		while (i < len && ((out[i] >= '0' && out[i] <= '9') || out[i] == ';'))
			i++;
		assert_true(i < len && out[i] == 'm');
		out[i] = ' ';
	}
	assert_non_null(strstr(out, "CRITICAL"));
	free(out);
	report_release(&r);
}

static void test_text_no_findings(void **state)
{
	struct report r;
	size_t len;
	char *out;
	(void)state;
	report_init(&r, "4242");
	report_snapshot_piece(report_add_snapshot(&r, "4242", 1700000000), "sock_diag", NULL, 0, true, NULL);
	out = render(doctor_render_text, &r, false, &len);
	assert_non_null(strstr(out, "No leak found."));
	assert_null(strstr(out, "incomplete"));
	assert_null(strstr(out, "Verdict"));
	assert_non_null(strstr(out, "read   sock_diag"));
	free(out);
	report_snapshot_piece(&r.snaps[0], "goroutine?debug=2", "http://x", 0, false, "connection refused");
	out = render(doctor_render_text, &r, false, &len);
	assert_non_null(strstr(out, "1 piece could not be read"));
	assert_non_null(strstr(out, "connection refused"));
	free(out);
	/* two snapshots: both listed, in order */
	report_snapshot_piece(report_add_snapshot(&r, "4242 later", 1700000600), "sock_diag", NULL, 0, true, NULL);
	out = render(doctor_render_text, &r, false, &len);
	assert_non_null(strstr(out, "earlier: 4242  2023-11-14 22:13:20 UTC"));
	assert_non_null(strstr(out, "later: 4242 later  2023-11-14 22:23:20 UTC"));
	assert_true(strstr(out, "earlier: ") < strstr(out, "later: 4242"));
	free(out);
	out = render(html_fn, &r, false, &len);
	assert_non_null(strstr(out, "Earlier: 4242"));
	assert_non_null(strstr(out, "Later: 4242 later"));
	free(out);
	report_release(&r);
}

/* Random bytes in every string field: the invariants hold for any input. */
static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static char *rnd_str(char *buf, size_t cap)
{
	static const char pieces[][12] = { "<", ">", "&", "\"", "'", "\x1b[", "\xc2\x9b", "\xe2\x80\xae", "\xff",
					   "\xc3", "\n", "\t", "on", "script", "%s", "\xf0\x9f\x98\x80", "\r", "\0" };
	size_t n = rnd() % 40, o = 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t l = strlen(p);
		if (!l || rnd() % 3 == 0) {
			char c = (char)(rnd() % 255 + 1);
			if (o + 1 < cap)
				buf[o++] = c;
			continue;
		}
		if (o + l < cap) {
			memcpy(buf + o, p, l);
			o += l;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void test_random_strings(void **state)
{
	char a[512], b[512], c[512], d[512];
	(void)state;
	for (int it = 0; it < 150; it++) {
		struct report r;
		struct report_snapshot *s;
		struct finding *f;
		size_t len;
		char *out;
		json_t *root;

		report_init(&r, rnd_str(a, sizeof(a)));
		s = report_add_snapshot(&r, rnd_str(a, sizeof(a)), (int64_t)(rnd() % 2000000000));
		if (rnd() % 2)
			s->go_version = xstrdup(rnd_str(a, sizeof(a)));
		report_snapshot_piece(s, rnd_str(a, sizeof(a)), rnd() % 2 ? rnd_str(b, sizeof(b)) : NULL, 0, rnd() % 2,
				      rnd() % 2 ? rnd_str(c, sizeof(c)) : NULL);
		for (int k = 0; k < 3; k++) {
			f = report_add_finding(&r, rnd_str(a, sizeof(a)), (enum severity)(rnd() % 3),
					       (double)(rnd() % 1000) / 999);
			finding_set_summary(f, "%s", rnd_str(a, sizeof(a)));
			f->goroutines = (int64_t)(rnd() % 5) - 1;
			f->sockets = (int64_t)(rnd() % 100000) - 1;
			finding_add_evidence(f, rnd_str(a, sizeof(a)), (double)rnd() * (rnd() % 2 ? 1 : 0.001),
					     (const char *[]){ "bytes", "minutes", "seconds", "", "%" }[rnd() % 5],
					     rnd_str(b, sizeof(b)));
			finding_add_fact(f, rnd_str(a, sizeof(a)), rnd_str(b, sizeof(b)), NULL);
			finding_set_fix(f, rnd_str(a, sizeof(a)), rnd() % 2 ? rnd_str(d, sizeof(d)) : NULL);
			finding_add_ref(f, rnd_str(a, sizeof(a)));
			finding_add_frame(f, rnd_str(a, sizeof(a)), rnd_str(b, sizeof(b)), rnd());
		}

		out = render(json_fn, &r, false, &len);
		root = json_loadb(out, len, 0, NULL);
		if (!root)
			fail_msg("iteration %d: JSON does not parse", it);
		assert_int_equal(json_array_size(json_object_get(root, "findings")), 3);
		json_decref(root);
		free(out);

		out = render(html_fn, &r, false, &len);
		assert_valid_utf8(out, len);
		assert_html_inert(out, len);
		free(out);

		out = render(doctor_render_text, &r, false, &len);
		assert_text_safe(out, len);
		free(out);
		report_release(&r);
	}
}

static void test_termsafe(void **state)
{
	char *buf = NULL;
	size_t n = 0, cols;
	FILE *m = open_memstream(&buf, &n);
	(void)state;
	termsafe_puts(m, "a\x1b[31mb\tc\xc2\x9b" "d\xe2\x80\xae" "e\xff" "f\xc3\xa9");
	fputc('|', m);
	cols = termsafe_write_cols(m, "abcdefghij", 6);
	fputc('|', m);
	termsafe_write_cols(m, "ab\xc3\xa9", 3);
	fclose(m);
	assert_string_equal(buf, "a?[31mb?c?d?e?f\xc3\xa9|abc...|ab\xc3\xa9");
	assert_int_equal(cols, 6);
	assert_int_equal(termsafe_cols("ab\xc3\xa9\xff", 5), 4);
	free(buf);
}

static void test_format_value(void **state)
{
	static const struct {
		double v;
		const char *unit, *want;
	} cases[] = {
		{ 1390, "minutes", "1,390 min (23 h 10 min)" },
		{ 59, "minutes", "59 min" },
		{ 4320, "minutes", "4,320 min (3.0 days)" },
		{ 1610612736, "bytes", "1.5 GiB" },
		{ 512, "bytes", "512 bytes" },
		{ 1, "bytes", "1 byte" },
		{ 2048, "bytes", "2.0 KiB" },
		{ 300 * 1048576.0, "bytes", "300 MiB" },
		{ -2048, "bytes", "-2.0 KiB" },
		{ 45, "seconds", "45 s" },
		{ 1.25, "seconds", "1.25 s" },
		{ 600, "seconds", "600 s (10 min)" },
		{ 9000, "seconds", "9,000 s (2 h 30 min)" },
		{ 0.00042, "seconds", "0.42 ms" },
		{ 0.35, "seconds", "350 ms" },
		{ 1204, "sockets", "1,204 sockets" },
		{ 1234567, "goroutines", "1,234,567 goroutines" },
		{ 3, "", "3" },
		{ 0.5, "ratio", "0.5 ratio" },
		{ 12.345, "%", "12.3%" },
		{ 1.0 / 0.0, "bytes", "n/a" },
		{ -5, "goroutines", "-5 goroutines" },
		{ 8.9e18, "goroutines", "8,900,000,000,000,000,000 goroutines" },
		{ 9.5e18, "goroutines", "9.5e+18 goroutines" }, /* past llround()'s range */
	};
	char buf[64];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		doctor_format_value(buf, sizeof(buf), cases[i].v, cases[i].unit);
		assert_string_equal(buf, cases[i].want);
	}
	doctor_format_value(buf, 5, 1234567, "goroutines");
	assert_int_equal(strlen(buf), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_contract),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_html_inert),
		cmocka_unit_test(test_html_empty),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_no_findings),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_termsafe),
		cmocka_unit_test(test_format_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
