/* SPDX-License-Identifier: MIT */
/* Tests for remote/promapi: responses captured from Prometheus 2.42
 * (tests/fixtures/promapi/: a range query, an instant vector, a scalar,
 * NaN and -Inf samples, a hostile label value, and the API's own errors for
 * a parse error, too many points and a query timeout), two made by hand for
 * what a single local server cannot produce (warnings, malformed samples),
 * the series API (label sets), the time-chunk planner and the PromQL
 * escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "test_lib.h"

#include "remote/promapi.h"
#include "util/banned.h"

/* A fixture of tests/fixtures/promapi. */
static char *promapi_fixture(const char *name, size_t *len)
{
	char rel[512];
	snprintf(rel, sizeof(rel), "tests/fixtures/promapi/%s", name);
	return slurp(rel, len);
}

static enum gd_err parse_file(const char *name, struct prom_result *r, struct gd_errbuf *eb)
{
	size_t len;
	char *buf = promapi_fixture(name, &len);
	enum gd_err rc = promapi_parse(buf, len, r, eb);
	free(buf);
	return rc;
}

static void test_matrix(void **state)
{
	(void)state;
	struct prom_result r;
	struct gd_errbuf eb;
	assert_int_equal(parse_file("matrix.json", &r, &eb), GD_OK);
	assert_int_equal(r.type, PROM_MATRIX);
	assert_int_equal(r.nseries, 1);
	assert_string_equal(prom_series_label(&r.series[0], "instance"), "127.0.0.1:19090");
	assert_string_equal(prom_series_label(&r.series[0], "job"), "prom");
	assert_null(prom_series_label(&r.series[0], "__name__")); /* min_over_time drops it */
	assert_int_equal(r.series[0].npts, 5);
	assert_true(r.series[0].pts[0].t == 1796238971);
	assert_true(r.series[0].pts[2].v == 29);
	assert_true(r.series[0].pts[4].t == 1796238979);
	assert_int_equal(r.nwarnings, 0);
	assert_int_equal(r.bad_points, 0);
	prom_result_release(&r);

	assert_int_equal(parse_file("empty.json", &r, &eb), GD_OK);
	assert_int_equal(r.type, PROM_MATRIX);
	assert_int_equal(r.nseries, 0);
	prom_result_release(&r);
}

static void test_vector_scalar(void **state)
{
	(void)state;
	struct prom_result r;
	struct gd_errbuf eb;
	assert_int_equal(parse_file("vector.json", &r, &eb), GD_OK);
	assert_int_equal(r.type, PROM_VECTOR);
	assert_int_equal(r.nseries, 1);
	assert_string_equal(prom_series_label(&r.series[0], "version"), "go1.19.8");
	assert_string_equal(prom_series_label(&r.series[0], "__name__"), "go_info");
	assert_int_equal(r.series[0].npts, 1);
	assert_true(fabs(r.series[0].pts[0].t - 1796238979.148) < 1e-6);
	assert_true(r.series[0].pts[0].v == 1);
	prom_result_release(&r);

	assert_int_equal(parse_file("scalar.json", &r, &eb), GD_OK);
	assert_int_equal(r.type, PROM_SCALAR);
	assert_true(r.scalar_v == 1);
	prom_result_release(&r);
}

static void test_series_api(void **state)
{
	(void)state;
	struct prom_result r;
	struct gd_errbuf eb;
	assert_int_equal(parse_file("series.json", &r, &eb), GD_OK);
	assert_int_equal(r.type, PROM_SERIES);
	assert_int_equal(r.nseries, 1);
	assert_string_equal(prom_series_label(&r.series[0], "__name__"), "go_goroutines");
	assert_string_equal(prom_series_label(&r.series[0], "instance"), "127.0.0.1:19090");
	assert_int_equal(r.series[0].npts, 0);
	prom_result_release(&r);
	const char *bad = "{\"status\":\"success\",\"data\":[{\"a\":\"b\"},7]}";
	assert_int_equal(promapi_parse(bad, strlen(bad), &r, &eb), GD_EFORMAT);
	assert_int_equal(r.nseries, 0);
}

static void test_nan_inf_hostile(void **state)
{
	(void)state;
	struct prom_result r;
	struct gd_errbuf eb;
	assert_int_equal(parse_file("nan_hostile.json", &r, &eb), GD_OK);
	assert_int_equal(r.series[0].npts, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(isnan(r.series[0].pts[i].v));
	/* kept as sent (escaping is the renderers' job), embedded newline included */
	assert_string_equal(prom_series_label(&r.series[0], "hostile"), "<script>\"x\\\\y\xc3\xa9\n");
	prom_result_release(&r);

	assert_int_equal(parse_file("inf.json", &r, &eb), GD_OK);
	assert_true(isinf(r.series[0].pts[0].v) && r.series[0].pts[0].v < 0);
	prom_result_release(&r);
}

static void test_api_errors(void **state)
{
	(void)state;
	struct prom_result r;
	struct gd_errbuf eb;
	assert_int_equal(parse_file("bad_data.json", &r, &eb), GD_EHTTP);
	assert_string_equal(eb.msg, "prometheus: bad_data: 1:15: parse error: unexpected end of input inside braces");
	assert_int_equal(r.nseries, 0);
	assert_int_equal(parse_file("too_many_points.json", &r, &eb), GD_EHTTP);
	assert_non_null(strstr(eb.msg, "exceeded maximum resolution of 11,000 points per timeseries"));
	assert_int_equal(parse_file("timeout.json", &r, &eb), GD_EHTTP);
	assert_string_equal(eb.msg, "prometheus: timeout: query timed out in query execution");
}

static void test_warnings_and_bad_points(void **state)
{
	(void)state;
	struct prom_result r;
	struct gd_errbuf eb;
	assert_int_equal(parse_file("warnings.json", &r, &eb), GD_OK);
	assert_int_equal(r.nwarnings, 2);
	assert_string_equal(r.warnings[0], "remote read from store eu-1 failed: context deadline exceeded");
	assert_string_equal(r.warnings[1], "partial response: 1 of 3 stores? timed out"); /* BEL made safe */
	assert_int_equal(r.series[0].npts, 2);
	prom_result_release(&r);

	assert_int_equal(parse_file("bad_points.json", &r, &eb), GD_OK);
	assert_int_equal(r.series[0].npts, 2); /* [1,"1"] and [6,"7"] */
	assert_int_equal(r.bad_points, 4);
	assert_true(r.series[0].pts[1].t == 6 && r.series[0].pts[1].v == 7);
	prom_result_release(&r);
}

static void test_not_the_api(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "<html>hi</html>", "[]", "{}", "{\"status\":1}", "{\"status\":\"success\"}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":{}}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[1]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":[]}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"a\":1}}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"weird\",\"result\":[]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}  trailing",
	};
	struct prom_result r;
	struct gd_errbuf eb;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(promapi_parse(bad[i], strlen(bad[i]), &r, &eb), GD_EFORMAT);
		assert_true(!strncmp(eb.msg, "prometheus: ", 12));
		assert_int_equal(r.nseries, 0);
	}
	/* an error answer without its fields still says it is one */
	const char *e = "{\"status\":\"error\"}";
	assert_int_equal(promapi_parse(e, strlen(e), &r, &eb), GD_EHTTP);
	assert_string_equal(eb.msg, "prometheus: error: (no message)");
	/* too many labels */
	char big[20000];
	size_t off = (size_t)snprintf(big, sizeof(big),
				      "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{");
	for (int i = 0; i < PROM_MAX_LABELS + 1; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "%s\"l%d\":\"v\"", i ? "," : "", i);
	off += (size_t)snprintf(big + off, sizeof(big) - off, "},\"value\":[1,\"1\"]}]}}");
	assert_int_equal(promapi_parse(big, off, &r, &eb), GD_EFORMAT);
	assert_non_null(strstr(eb.msg, "labels (over 128)"));
}

static void test_plan_range(void **state)
{
	(void)state;
	double s[64], e[64];
	/* a week at 1 m: 10081 points, one query */
	assert_int_equal(promapi_plan_range(0, 7 * 86400, 60, 11000, s, e, 64), 1);
	assert_true(s[0] == 0 && e[0] == 7 * 86400);
	/* a week at 30 s: 20161 points, two queries that tile the range */
	size_t n = promapi_plan_range(1000, 1000 + 7 * 86400, 30, 11000, s, e, 64);
	assert_int_equal(n, 2);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t pts = (size_t)((e[i] - s[i]) / 30) + 1;
		assert_true(pts <= 11000);
		total += pts;
		if (i)
			assert_true(s[i] == e[i - 1] + 30); /* no point twice, none missed */
	}
	assert_int_equal(total, 20161);
	assert_true(e[n - 1] == 1000 + 7 * 86400);
	/* a day at 1 s: 86401 points in 8 chunks */
	assert_int_equal(promapi_plan_range(0, 86400, 1, 11000, s, e, 64), 8);
	assert_int_equal(promapi_plan_range(0, 86400, 1, 11000, s, e, 4), 0); /* no room */
	assert_int_equal(promapi_plan_range(0, 10, 0, 11000, s, e, 4), 0);
	assert_int_equal(promapi_plan_range(10, 0, 1, 11000, s, e, 4), 0);
	assert_int_equal(promapi_plan_range(0, NAN, 1, 11000, s, e, 4), 0);
}

static void test_escaping(void **state)
{
	(void)state;
	struct strbuf sb;
	const char *const v[] = { "10.0.0.1:8080", "a|b", "q\"x", "back\\slash", "(x)*+?[]{}^$" };
	strbuf_init(&sb, 4096);
	assert_int_equal(promapi_regex_alternation(&sb, v, 5), GD_OK);
	assert_string_equal(sb.buf, "10\\\\.0\\\\.0\\\\.1:8080|a\\\\|b|q\\\"x|back\\\\\\\\slash|"
				    "\\\\(x\\\\)\\\\*\\\\+\\\\?\\\\[\\\\]\\\\{\\\\}\\\\^\\\\$");
	strbuf_reset(&sb);
	assert_int_equal(promapi_quote(&sb, "a\"b\\c\nd"), GD_OK);
	assert_string_equal(sb.buf, "a\\\"b\\\\c\\nd");
	strbuf_release(&sb);
	/* a cap is respected */
	strbuf_init(&sb, 8);
	assert_int_not_equal(promapi_regex_alternation(&sb, v, 5), GD_OK);
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_vector_scalar),
		cmocka_unit_test(test_series_api),
		cmocka_unit_test(test_nan_inf_hostile),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_warnings_and_bad_points),
		cmocka_unit_test(test_not_the_api),
		cmocka_unit_test(test_plan_range),
		cmocka_unit_test(test_escaping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
