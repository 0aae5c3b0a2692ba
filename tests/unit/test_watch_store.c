/* SPDX-License-Identifier: MIT */
/* The watch store: migrations from version 1, samples and NaN, retention
 * with 5-minute minima, export, and the dashboard/metrics escaping. */
#include <math.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/watch_report.h"
#include "watch/store.h"
#include "watch/watch.h"

static char *tmpdb(void)
{
	static char path[256];
	char dir[] = "/tmp/test_watch_store.XXXXXX";
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/w.db", dir);
	return path;
}

static void test_migrate_from_v1(void **state)
{
	const char *path = tmpdb();
	struct watch_store st;
	struct gd_errbuf eb = { "" };
	sqlite3 *db;
	struct series_point *pts;
	size_t n;
	char *dir = strdup(path);
	(void)state;
	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir(dir, 0700), 0);
	/* A file as the first release wrote it, with one sample. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, watch_store_v1_sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO targets(id,name) VALUES(1,'http://a:1');"
					  "INSERT INTO samples VALUES(1, 1000, 42, 1e6, 5e5, 3);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	/* Step by step: every version in between opens. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(watch_store_open(&st, path, false, &eb), GD_OK);
	assert_int_equal(watch_store_version(&st), WATCH_SCHEMA_VERSION);
	assert_int_equal(watch_store_series(&st, 1, WF_GOROUTINES, 0, 0, &pts, &n, &eb), GD_OK);
	assert_int_equal(n, 1);
	assert_true(pts[0].v == 42 && pts[0].t == 1.0);
	free(pts);
	/* The new columns are there and unknown for the old row. */
	assert_int_equal(watch_store_series(&st, 1, WF_LAZYFREE, 0, 0, &pts, &n, &eb), GD_OK);
	assert_int_equal(n, 1);
	assert_true(isnan(pts[0].v));
	free(pts);
	watch_store_close(&st);
	free(dir);
}

static void test_migrate_each_step(void **state)
{
	const char *path = tmpdb();
	struct watch_store st;
	struct gd_errbuf eb = { "" };
	sqlite3 *db;
	(void)state;
	{
		char *dir = strdup(path);
		*strrchr(dir, '/') = '\0';
		assert_int_equal(mkdir(dir, 0700), 0);
		free(dir);
	}
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_close(db);
	for (int v = 1; v <= WATCH_SCHEMA_VERSION; v++) {
		st.db = NULL;
		assert_int_equal(sqlite3_open(path, (sqlite3 **)&st.db), SQLITE_OK);
		snprintf(st.path, sizeof(st.path), "%s", path);
		assert_int_equal(watch_store_migrate(&st, v, &eb), GD_OK);
		assert_int_equal(watch_store_version(&st), v);
		sqlite3_close((sqlite3 *)st.db);
	}
	/* A newer file than this godiag is refused, not damaged. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(watch_store_open(&st, path, false, &eb), GD_EIO);
	assert_non_null(strstr(eb.msg, "newer"));
}

static void add(struct watch_store *st, int64_t id, int64_t t_ms, double g, double rss)
{
	struct watch_sample s;
	struct gd_errbuf eb = { "" };
	watch_sample_clear(&s);
	s.t_ms = t_ms;
	s.v[WF_GOROUTINES] = g;
	s.v[WF_RSS] = rss;
	snprintf(s.source, sizeof(s.source), "metrics");
	assert_int_equal(watch_store_add_sample(st, id, &s, &eb), GD_OK);
}

static void test_retention(void **state)
{
	const char *path = tmpdb();
	struct watch_store st;
	struct gd_errbuf eb = { "" };
	struct series_point *pts;
	size_t n;
	int64_t id, day = 86400000, now = 100 * day;
	(void)state;
	assert_int_equal(watch_store_open(&st, path, false, &eb), GD_OK);
	assert_int_equal(watch_store_target(&st, "t", &id, &eb), GD_OK);
	assert_int_equal(watch_store_begin(&st, &eb), GD_OK);
	/* 3 days ago, 10 samples 15 s apart in one 5-minute bucket: 50..59 */
	for (int i = 0; i < 10; i++)
		add(&st, id, now - 3 * day + i * 15000, 59 - i, 1000 + i);
	/* 40 days ago: dropped entirely. */
	add(&st, id, now - 40 * day, 1, 1);
	/* 1 hour ago: stays raw. */
	add(&st, id, now - 3600000, 7, 7);
	add(&st, id, now - 3600000 + 15000, 8, 8);
	assert_int_equal(watch_store_commit(&st, &eb), GD_OK);
	assert_int_equal(watch_store_retention(&st, now, WATCH_RAW_KEEP_S, WATCH_AGG_KEEP_S, WATCH_AGG_STEP_S, &eb),
			 GD_OK);
	assert_int_equal(watch_store_count(&st), 3);
	assert_int_equal(watch_store_series(&st, id, WF_GOROUTINES, 0, 0, &pts, &n, &eb), GD_OK);
	assert_int_equal(n, 3);
	/* The 5-minute point keeps the minimum: the trough survives. */
	assert_true(pts[0].v == 50);
	assert_true(fmod(pts[0].t * 1000, 300000) == 0);
	assert_true(pts[1].v == 7 && pts[2].v == 8);
	free(pts);
	assert_int_equal(watch_store_series(&st, id, WF_RSS, 0, 0, &pts, &n, &eb), GD_OK);
	assert_true(pts[0].v == 1000);
	free(pts);
	/* Idempotent. */
	assert_int_equal(watch_store_retention(&st, now, WATCH_RAW_KEEP_S, WATCH_AGG_KEEP_S, WATCH_AGG_STEP_S, &eb),
			 GD_OK);
	assert_int_equal(watch_store_count(&st), 3);
	watch_store_close(&st);
}

static void test_export(void **state)
{
	const char *path = tmpdb();
	struct watch_store st, ro;
	struct gd_errbuf eb = { "" };
	int64_t id;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	struct watch_finding_row f = { .t_ms = 2500, .rule = "goroutine-growth-trend", .severity = "warning",
				       .summary = "a \"quoted\", summary", .bundle = "/b" };
	(void)state;
	assert_int_equal(watch_store_open(&st, path, false, &eb), GD_OK);
	assert_int_equal(watch_store_target(&st, "http://x:1,\"y\"", &id, &eb), GD_OK);
	add(&st, id, 1000, 10, NAN);
	add(&st, id, 2000, 11, 5);
	add(&st, id, 3000, 12, 6);
	assert_int_equal(watch_store_add_finding(&st, id, &f, &eb), GD_OK);
	watch_store_close(&st);
	assert_int_equal(watch_store_open(&ro, path, true, &eb), GD_OK);
	out = open_memstream(&buf, &len);
	assert_int_equal(watch_store_export(&ro, out, false, 2000, 3000, &eb), GD_OK);
	fclose(out);
	/* CSV: the range is [since, until), the odd name quoted. */
	assert_non_null(strstr(buf, "target,t_ms,step_s,source,goroutines,rss"));
	assert_non_null(strstr(buf, "\"http://x:1,\"\"y\"\"\",2000,0,metrics,11,5,"));
	assert_null(strstr(buf, ",1000,"));
	assert_null(strstr(buf, ",3000,"));
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	assert_int_equal(watch_store_export(&ro, out, true, 0, 0, &eb), GD_OK);
	fclose(out);
	assert_non_null(strstr(buf, "\"rss\":null"));
	assert_non_null(strstr(buf, "\"rule\":\"goroutine-growth-trend\""));
	assert_non_null(strstr(buf, "a \\\"quoted\\\", summary"));
	free(buf);
	watch_store_close(&ro);
}

static void test_dashboard_escapes(void **state)
{
	struct series_point p[3] = { { 1, 5 }, { 2, 1 }, { 3, 9 } };
	double tt[1] = { 2 }, tv[1] = { 1 };
	struct watch_dash_target t = { .name = "<script>alert(1)</script>", .source = "metrics",
				       .reason = "x\"<b>", .trend = "rising", .up = false,
				       .goroutines = { p, 3 }, .trough_t = tt, .trough_v = tv, .ntroughs = 1 };
	struct watch_dash_finding f = { .id = 7, .t_ms = 0, .target = "<i>", .rule = "goroutine-growth-trend",
					.severity = "warning", .summary = "<img src=x onerror=alert(1)>",
					.bundle = "/tmp/b", .report = "/tmp/b/doctor.html" };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	(void)state;
	watch_render_dashboard(out, "http://127.0.0.1:1", &t, 1, &f, 1, 5);
	prom_label_escape(out, "a\"b\\c\nd");
	fclose(out);
	assert_null(strstr(buf, "<script>"));
	assert_null(strstr(buf, "<img"));
	assert_null(strstr(buf, "<i>"));
	assert_non_null(strstr(buf, "&lt;script&gt;"));
	assert_non_null(strstr(buf, "<circle class=\"trough\""));
	assert_non_null(strstr(buf, "<polyline"));
	assert_non_null(strstr(buf, "<rect class=\"bar\""));
	assert_non_null(strstr(buf, "href=\"http://127.0.0.1:1/report/7\""));
	assert_non_null(strstr(buf, "a\\\"b\\\\c\\nd"));
	free(buf);
}

static void test_target_parse(void **state)
{
	struct watch_target t;
	char err[128];
	(void)state;
	assert_true(watch_target_parse("1234", &t, err, sizeof(err)));
	assert_int_equal(t.pid, 1234);
	assert_true(watch_target_parse("http://127.0.0.1:8080/debug/pprof/", &t, err, sizeof(err)));
	assert_string_equal(t.base, "http://127.0.0.1:8080");
	assert_false(watch_target_parse("0", &t, err, sizeof(err)));
	assert_false(watch_target_parse("ftp://x", &t, err, sizeof(err)));
	assert_false(watch_target_parse("http:///x", &t, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_from_v1),
		cmocka_unit_test(test_migrate_each_step),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_dashboard_escapes),
		cmocka_unit_test(test_target_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
