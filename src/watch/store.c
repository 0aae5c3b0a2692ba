/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "watch/store.h"
#include "util/json_writer.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char *const field_names[WF_NR] = {
	"goroutines", "rss", "lazyfree", "heap_inuse", "heap_released", "heap_idle",
	"sys", "threads", "fds", "established", "idle", "latency_ms",
};

const char *watch_field_name(enum watch_field f)
{
	return (unsigned)f < WF_NR ? field_names[f] : "?";
}

void watch_sample_clear(struct watch_sample *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < WF_NR; i++)
		s->v[i] = NAN;
}

/* Version 1 (the first release): the four values watch started with. */
const char watch_store_v1_sql[] =
	"CREATE TABLE targets(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, first_seen INTEGER);"
	"CREATE TABLE samples(target INTEGER NOT NULL, t INTEGER NOT NULL, goroutines REAL, rss REAL,"
	" heap_inuse REAL, established REAL, PRIMARY KEY(target, t)) WITHOUT ROWID;"
	"PRAGMA user_version=1;";

/* Each entry takes the file from version i+1 to i+2.  Never edit one that
 * has shipped: add the next. */
static const char *const migrations[] = {
	watch_store_v1_sql,
	/* 2: the rest of the sample (LazyFree, heap split, threads, fds, idle
	 * sockets, latency) and where it came from. */
	"ALTER TABLE samples ADD COLUMN lazyfree REAL;"
	"ALTER TABLE samples ADD COLUMN heap_released REAL;"
	"ALTER TABLE samples ADD COLUMN heap_idle REAL;"
	"ALTER TABLE samples ADD COLUMN sys REAL;"
	"ALTER TABLE samples ADD COLUMN threads REAL;"
	"ALTER TABLE samples ADD COLUMN fds REAL;"
	"ALTER TABLE samples ADD COLUMN idle REAL;"
	"ALTER TABLE samples ADD COLUMN latency_ms REAL;"
	"ALTER TABLE samples ADD COLUMN source TEXT;"
	"PRAGMA user_version=2;",
	/* 3: downsampled points (step > 0) and the findings with their bundles. */
	"ALTER TABLE samples ADD COLUMN step INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX samples_step_t ON samples(step, t);"
	"CREATE TABLE findings(id INTEGER PRIMARY KEY, target INTEGER NOT NULL, t INTEGER NOT NULL,"
	" rule TEXT NOT NULL, severity TEXT, summary TEXT, evidence TEXT, bundle TEXT, report TEXT);"
	"CREATE INDEX findings_t ON findings(t);"
	"PRAGMA user_version=3;",
};

static enum gd_err db_fail(struct watch_store *st, struct gd_errbuf *eb, const char *what)
{
	return gd_fail(eb, GD_EIO, "%s: %s: %s", st->path, what, st->db ? sqlite3_errmsg(st->db) : "no database");
}

static enum gd_err exec(struct watch_store *st, const char *sql, struct gd_errbuf *eb)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		gd_fail(eb, GD_EIO, "%s: %s", st->path, msg ? msg : "SQL error");
		sqlite3_free(msg);
		return GD_EIO;
	}
	return GD_OK;
}

int watch_store_version(struct watch_store *st)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

enum gd_err watch_store_migrate(struct watch_store *st, int to, struct gd_errbuf *eb)
{
	int v = watch_store_version(st);
	if (v < 0)
		return db_fail(st, eb, "reading the schema version");
	if (v > WATCH_SCHEMA_VERSION)
		return gd_fail(eb, GD_EFORMAT, "%s: schema version %d is newer than this godiag's (%d)", st->path, v,
			       WATCH_SCHEMA_VERSION);
	if (to > WATCH_SCHEMA_VERSION)
		to = WATCH_SCHEMA_VERSION;
	while (v < to) {
		/* Each step in its own transaction: a kill mid-migration leaves
		 * the previous version, intact. */
		if (exec(st, "BEGIN IMMEDIATE", eb))
			return GD_EIO;
		if (exec(st, migrations[v], eb)) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return GD_EIO;
		}
		if (exec(st, "COMMIT", eb))
			return GD_EIO;
		v++;
	}
	return GD_OK;
}

static enum gd_err mkdir_parent(const char *path, struct gd_errbuf *eb)
{
	char dir[1024];
	char *slash;
	if (strlen(path) >= sizeof(dir))
		return gd_fail(eb, GD_EARG, "%s: path too long", path);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return GD_OK;
	*slash = '\0';
	/* $XDG_STATE_HOME/godiag: create the last level and its parent. */
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			*p = '/';
			break;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return gd_fail(eb, GD_EIO, "%s: %s", dir, strerror(errno));
	return GD_OK;
}

enum gd_err watch_store_open(struct watch_store *st, const char *path, bool readonly, struct gd_errbuf *eb)
{
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	enum gd_err e;
	char sql[512];

	memset(st, 0, sizeof(*st));
	if (strlen(path) >= sizeof(st->path))
		return gd_fail(eb, GD_EARG, "%s: path too long", path);
	memcpy(st->path, path, strlen(path) + 1);
	if (!readonly && (e = mkdir_parent(path, eb)))
		return e;
	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		e = db_fail(st, eb, "cannot open");
		watch_store_close(st);
		return e;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (!readonly && (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", eb) ||
			  watch_store_migrate(st, WATCH_SCHEMA_VERSION, eb))) {
		watch_store_close(st);
		return eb->msg[0] ? GD_EIO : GD_EIO;
	}
	if (readonly && watch_store_version(st) != WATCH_SCHEMA_VERSION) {
		int v = watch_store_version(st);
		watch_store_close(st);
		return gd_fail(eb, GD_EFORMAT, "%s: schema version %d, not %d (open it once with godiag watch to migrate)",
			       path, v, WATCH_SCHEMA_VERSION);
	}
	if (!readonly) {
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO samples(target,t,step,source");
		for (int i = 0; i < WF_NR; i++)
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ",%s", field_names[i]);
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ") VALUES(?,?,0,?");
		for (int i = 0; i < WF_NR; i++)
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ",?");
		snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ")");
		if (sqlite3_prepare_v2(st->db, sql, -1, &st->ins, NULL) != SQLITE_OK) {
			e = db_fail(st, eb, "preparing the insert");
			watch_store_close(st);
			return e;
		}
	}
	return GD_OK;
}

void watch_store_close(struct watch_store *st)
{
	if (st->ins)
		sqlite3_finalize(st->ins);
	if (st->db)
		sqlite3_close(st->db);
	st->ins = NULL;
	st->db = NULL;
}

enum gd_err watch_store_begin(struct watch_store *st, struct gd_errbuf *eb)
{
	if (st->in_tx)
		return GD_OK;
	if (exec(st, "BEGIN IMMEDIATE", eb))
		return GD_EIO;
	st->in_tx = true;
	return GD_OK;
}

enum gd_err watch_store_commit(struct watch_store *st, struct gd_errbuf *eb)
{
	if (!st->in_tx)
		return GD_OK;
	st->in_tx = false;
	return exec(st, "COMMIT", eb);
}

enum gd_err watch_store_target(struct watch_store *st, const char *name, int64_t *id, struct gd_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO targets(name, first_seen) VALUES(?, strftime('%s','now'))"
				       " ON CONFLICT(name) DO NOTHING", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "adding a target");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, eb, "adding a target");
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM targets WHERE name = ?", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "finding a target");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? GD_OK : db_fail(st, eb, "finding a target");
}

enum gd_err watch_store_add_sample(struct watch_store *st, int64_t target, const struct watch_sample *smp,
				   struct gd_errbuf *eb)
{
	sqlite3_stmt *s = st->ins;
	int rc;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, target);
	sqlite3_bind_int64(s, 2, smp->t_ms);
	sqlite3_bind_text(s, 3, smp->source, -1, SQLITE_TRANSIENT);
	for (int i = 0; i < WF_NR; i++) {
		if (isfinite(smp->v[i]))
			sqlite3_bind_double(s, 4 + i, smp->v[i]);
		else
			sqlite3_bind_null(s, 4 + i);
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? GD_OK : db_fail(st, eb, "storing a sample");
}

enum gd_err watch_store_add_finding(struct watch_store *st, int64_t target, const struct watch_finding_row *f,
				    struct gd_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "INSERT INTO findings(target,t,rule,severity,summary,evidence,bundle,report)"
				       " VALUES(?,?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "storing a finding");
	sqlite3_bind_int64(s, 1, target);
	sqlite3_bind_int64(s, 2, f->t_ms);
	sqlite3_bind_text(s, 3, f->rule, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, f->severity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 5, f->summary, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 6, f->evidence, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, f->bundle, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 8, f->report, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GD_OK : db_fail(st, eb, "storing a finding");
}

enum gd_err watch_store_retention(struct watch_store *st, int64_t now_ms, int64_t raw_keep_s, int64_t agg_keep_s,
				  int64_t agg_step_s, struct gd_errbuf *eb)
{
	char sql[2048];
	int64_t step_ms = agg_step_s * 1000;
	/* Whole buckets only, so a bucket is never split between a raw part
	 * and a point. */
	int64_t raw_cut = (now_ms - raw_keep_s * 1000) / step_ms * step_ms;
	int64_t agg_cut = now_ms - agg_keep_s * 1000;
	size_t o;
	bool was = st->in_tx;

	if (!was && watch_store_begin(st, eb))
		return GD_EIO;
	o = (size_t)snprintf(sql, sizeof(sql),
			     "CREATE TEMP TABLE agg AS SELECT target, (t / %lld) * %lld AS t, %lld AS step,"
			     " 'downsampled' AS source",
			     (long long)step_ms, (long long)step_ms, (long long)agg_step_s);
	for (int i = 0; i < WF_NR; i++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, ", MIN(%s) AS %s", field_names[i], field_names[i]);
	snprintf(sql + o, sizeof(sql) - o,
		 " FROM samples WHERE step = 0 AND t < %lld GROUP BY target, t / %lld;"
		 "DELETE FROM samples WHERE step = 0 AND t < %lld;"
		 "INSERT OR REPLACE INTO samples(target, t, step, source, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
		 " SELECT * FROM agg; DROP TABLE agg;"
		 "DELETE FROM samples WHERE t < %lld;"
		 "DELETE FROM findings WHERE t < %lld;",
		 (long long)raw_cut, (long long)step_ms, (long long)raw_cut, field_names[0], field_names[1],
		 field_names[2], field_names[3], field_names[4], field_names[5], field_names[6], field_names[7],
		 field_names[8], field_names[9], field_names[10], field_names[11], (long long)agg_cut,
		 (long long)agg_cut);
	if (exec(st, sql, eb)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->in_tx = false;
		return GD_EIO;
	}
	return was ? GD_OK : watch_store_commit(st, eb);
}

enum gd_err watch_store_series(struct watch_store *st, int64_t target, enum watch_field f, int64_t since_ms,
			       int64_t until_ms, struct series_point **pts, size_t *n, struct gd_errbuf *eb)
{
	char sql[256];
	sqlite3_stmt *s;
	size_t alloc = 0;
	int rc;
	*pts = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT t, %s FROM samples WHERE target = ? AND t >= ? AND t < ? ORDER BY t",
		 watch_field_name(f));
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "reading a series");
	sqlite3_bind_int64(s, 1, target);
	sqlite3_bind_int64(s, 2, since_ms);
	sqlite3_bind_int64(s, 3, until_ms > 0 ? until_ms : INT64_MAX);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ALLOC_GROW(*pts, *n + 1, alloc);
		(*pts)[*n].t = (double)sqlite3_column_int64(s, 0) / 1000.0;
		(*pts)[*n].v = sqlite3_column_type(s, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 1);
		(*n)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GD_OK : db_fail(st, eb, "reading a series");
}

int64_t watch_store_count(struct watch_store *st)
{
	sqlite3_stmt *s;
	int64_t n = -1;
	if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM samples", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* A CSV cell: quoted when it holds a comma, quote or line break (RFC 4180). */
static void csv_cell(FILE *out, const char *v)
{
	if (!v)
		return;
	if (!strpbrk(v, ",\"\r\n")) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

enum gd_err watch_store_export(struct watch_store *st, FILE *out, bool json, int64_t since_ms, int64_t until_ms,
			       struct gd_errbuf *eb)
{
	char sql[1024];
	size_t o;
	sqlite3_stmt *s;
	struct json_writer jw;
	int rc;

	o = (size_t)snprintf(sql, sizeof(sql), "SELECT targets.name, samples.t, samples.step, samples.source");
	for (int i = 0; i < WF_NR; i++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, ", samples.%s", field_names[i]);
	snprintf(sql + o, sizeof(sql) - o,
		 " FROM samples JOIN targets ON targets.id = samples.target WHERE samples.t >= ? AND samples.t < ?"
		 " ORDER BY targets.name, samples.t");
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "exporting");
	sqlite3_bind_int64(s, 1, since_ms);
	sqlite3_bind_int64(s, 2, until_ms > 0 ? until_ms : INT64_MAX);
	if (json) {
		jw_init(&jw, out, false);
		jw_object_begin(&jw);
		jw_key(&jw, "schema");
		jw_int(&jw, WATCH_SCHEMA_VERSION);
		jw_key(&jw, "samples");
		jw_array_begin(&jw);
	} else {
		fputs("target,t_ms,step_s,source", out);
		for (int i = 0; i < WF_NR; i++)
			fprintf(out, ",%s", field_names[i]);
		fputc('\n', out);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const char *src = (const char *)sqlite3_column_text(s, 3);
		if (json) {
			jw_object_begin(&jw);
			jw_key(&jw, "target");
			jw_string(&jw, name ? name : "");
			jw_key(&jw, "t_ms");
			jw_int(&jw, sqlite3_column_int64(s, 1));
			jw_key(&jw, "step_s");
			jw_int(&jw, sqlite3_column_int64(s, 2));
			jw_key(&jw, "source");
			jw_string(&jw, src ? src : "");
			for (int i = 0; i < WF_NR; i++) {
				jw_key(&jw, field_names[i]);
				if (sqlite3_column_type(s, 4 + i) == SQLITE_NULL)
					jw_null(&jw);
				else
					jw_double(&jw, sqlite3_column_double(s, 4 + i));
			}
			jw_object_end(&jw);
		} else {
			csv_cell(out, name);
			fprintf(out, ",%lld,%lld,", (long long)sqlite3_column_int64(s, 1),
				(long long)sqlite3_column_int64(s, 2));
			csv_cell(out, src);
			for (int i = 0; i < WF_NR; i++) {
				fputc(',', out);
				if (sqlite3_column_type(s, 4 + i) != SQLITE_NULL)
					fprintf(out, "%.17g", sqlite3_column_double(s, 4 + i));
			}
			fputc('\n', out);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, eb, "exporting");
	if (json) {
		jw_array_end(&jw);
		jw_key(&jw, "findings");
		jw_array_begin(&jw);
		if (sqlite3_prepare_v2(st->db, "SELECT targets.name, findings.t, rule, severity, summary, bundle, report"
					       " FROM findings JOIN targets ON targets.id = findings.target"
					       " WHERE findings.t >= ? AND findings.t < ? ORDER BY findings.t",
				       -1, &s, NULL) != SQLITE_OK)
			return db_fail(st, eb, "exporting");
		sqlite3_bind_int64(s, 1, since_ms);
		sqlite3_bind_int64(s, 2, until_ms > 0 ? until_ms : INT64_MAX);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			static const char *const keys[] = { "target", "t_ms", "rule", "severity", "summary", "bundle", "report" };
			jw_object_begin(&jw);
			for (int i = 0; i < 7; i++) {
				jw_key(&jw, keys[i]);
				if (i == 1)
					jw_int(&jw, sqlite3_column_int64(s, i));
				else if (sqlite3_column_type(s, i) == SQLITE_NULL)
					jw_null(&jw);
				else
					jw_string(&jw, (const char *)sqlite3_column_text(s, i));
			}
			jw_object_end(&jw);
		}
		sqlite3_finalize(s);
		jw_array_end(&jw);
		jw_object_end(&jw);
		jw_end(&jw);
		fputc('\n', out);
	}
	return GD_OK;
}

enum gd_err watch_store_findings(struct watch_store *st, size_t limit, watch_finding_fn fn, void *ctx,
				 struct gd_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "SELECT targets.name, findings.t, rule, severity, summary, evidence, bundle, report,"
				       " findings.id FROM findings JOIN targets ON targets.id = findings.target"
				       " ORDER BY findings.t DESC LIMIT ?", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "reading findings");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct watch_finding_row f = {
			.id = sqlite3_column_int64(s, 8),
			.t_ms = sqlite3_column_int64(s, 1),
			.rule = (const char *)sqlite3_column_text(s, 2),
			.severity = (const char *)sqlite3_column_text(s, 3),
			.summary = (const char *)sqlite3_column_text(s, 4),
			.evidence = (const char *)sqlite3_column_text(s, 5),
			.bundle = (const char *)sqlite3_column_text(s, 6),
			.report = (const char *)sqlite3_column_text(s, 7),
		};
		fn((const char *)sqlite3_column_text(s, 0), &f, ctx);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GD_OK : db_fail(st, eb, "reading findings");
}

enum gd_err watch_store_finding_paths(struct watch_store *st, int64_t id, char **bundle, char **report,
				      struct gd_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;
	*bundle = *report = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT bundle, report FROM findings WHERE id = ?", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, eb, "reading a finding");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*bundle = xstrdup((const char *)sqlite3_column_text(s, 0));
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			*report = xstrdup((const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return GD_OK;
	return rc == SQLITE_DONE ? gd_fail(eb, GD_ENOENT, "no finding %lld", (long long)id)
				 : db_fail(st, eb, "reading a finding");
}
