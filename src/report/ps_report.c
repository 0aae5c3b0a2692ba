/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "linux/procfs.h"
#include "report/emit.h"
#include "report/ps_report.h"
#include "util/human.h"
#include "util/strbuf.h"
#include "util/banned.h"

static bool status_has(const struct procinfo *pi, enum proc_status_field f)
{
	return (pi->status.known >> f) & 1;
}

/* Cut s to w columns for the table, marking the cut with '+' (ASCII keeps
 * the columns aligned).  Paths keep their tail, where the name is. */
static void cell_cut(char *buf, size_t n, const char *s, size_t w, bool keep_tail)
{
	size_t len = strlen(s);

	if (w >= n)
		w = n - 1;
	if (len <= w) {
		snprintf(buf, n, "%s", s);
		return;
	}
	if (keep_tail) {
		buf[0] = '+';
		memcpy(buf + 1, s + len - (w - 1), w - 1);
	} else {
		memcpy(buf, s, w - 1);
		buf[w - 1] = '+';
	}
	buf[w] = '\0';
}

/* A string that is a JSON field (when key is set) and a cut table cell. */
static void cell(struct emitter *e, const char *key, const char *fmt, const char *s, size_t w, bool keep_tail)
{
	char buf[64];

	if (key)
		emit_string(e, EMIT_JSON, key, NULL, s);
	cell_cut(buf, sizeof(buf), s ? s : "?", w, keep_tail);
	emit_string(e, EMIT_TEXT, NULL, fmt, buf);
}

static void emit_note(struct emitter *e, const char *what, const char *why)
{
	emit_object_begin(e, NULL);
	emit_string(e, EMIT_JSON, "what", NULL, what);
	emit_string(e, EMIT_JSON, "why", NULL, why);
	emit_object_end(e);
}

static void row(struct emitter *e, const struct ps_view *v, const struct ps_row *r)
{
	const struct go_buildinfo *bi = &r->gp.bin->bi;
	const struct procinfo *pi = &r->pi;
	struct strbuf ids = STRBUF_INIT_MAX(1024);
	char up[16];
	bool partial = ps_row_partial(r);

	emit_object_begin(e, NULL);
	emit_int(e, EMIT_ANY, "pid", "%-7s ", r->gp.pid);
	emit_uint(e, EMIT_JSON, "uid", NULL, status_has(pi, PST_UID), pi->status.uid);
	cell(e, "user", "%-9s ", r->user_known ? r->user : NULL, 9, false);
	emit_string(e, EMIT_JSON, "name", NULL, status_has(pi, PST_NAME) ? pi->status.name : "");
	emit_string(e, EMIT_JSON, "exe", NULL, r->gp.exe);
	emit_bool(e, EMIT_JSON, "exe_deleted", NULL, r->gp.exe_deleted);
	emit_bool(e, EMIT_JSON, "verified", NULL, r->gp.verified);
	cell(e, "go_version", "%-10s ", bi->go_version, 10, false);
	emit_string(e, EMIT_JSON, "path", NULL, bi->path);
	emit_string(e, EMIT_JSON, "module", NULL, bi->mod_path);
	cell(e, NULL, "%-28s ", ps_row_module(r), 28, true);
	emit_string(e, EMIT_JSON, "module_version", NULL, bi->mod_version);
	emit_bytes(e, EMIT_ANY, "rss_bytes", "%9s ", status_has(pi, PST_VMRSS), pi->status.v[PST_VMRSS]);
	emit_bytes(e, EMIT_ANY, "lazyfree_bytes", "%9s ", (pi->smaps.known >> SM_LAZYFREE) & 1,
		   pi->smaps.v[SM_LAZYFREE]);
	emit_uint(e, EMIT_ANY, "threads", "%4s ", status_has(pi, PST_THREADS), pi->status.v[PST_THREADS]);
	if (v->goroutines)
		emit_uint(e, EMIT_ANY, "goroutines", "%7s ", r->gor_known, r->goroutines);
	emit_uint(e, EMIT_ANY, "tcp_established", "%6s ", r->tcp_known, r->tcp.established);
	emit_uint(e, EMIT_ANY, "tcp_listening", "%6s ", r->tcp_known, r->tcp.listening);
	emit_uint(e, EMIT_JSON, "uptime_seconds", NULL, pi->age_known, pi->age_seconds);
	if (pi->age_known)
		procfs_human_age(up, sizeof(up), pi->age_seconds);
	emit_string(e, EMIT_TEXT, NULL, "%7s ", pi->age_known ? up : NULL);
	emit_string(e, EMIT_JSON, "godebug", NULL,
		    (pi->have & PI_ENVIRON) && pi->env.val[PENV_GODEBUG] ? pi->env.val[PENV_GODEBUG] : NULL);
	emit_string(e, EMIT_ANY, "policy", "%-13s", mem_policy_name(r->ev.policy));
	emit_string(e, EMIT_JSON, "policy_reason", NULL, r->ev.reason);
	if (v->probe)
		emit_string(e, EMIT_ANY, "pprof", " %s", r->pprof[0] ? r->pprof : NULL);

	emit_array_begin(e, "rules");
	for (size_t k = 0; k < r->nhits; k++) {
		emit_string(e, EMIT_JSON, NULL, NULL, r->hits[k].rule->id);
		strbuf_addf(&ids, "%s%s", k ? "," : "", r->hits[k].rule->id);
	}
	emit_array_end(e);
	emit_array_begin(e, "flags");
	if (r->gp.exe_deleted)
		emit_string(e, EMIT_ANY, NULL, " deleted", "deleted");
	if (!r->gp.verified)
		emit_string(e, EMIT_ANY, NULL, " unverified", "unverified");
	if (partial)
		emit_string(e, EMIT_ANY, NULL, " partial", "partial");
	if (!partial && r->gp.verified && !r->gp.exe_deleted)
		emit_text(e, " -");
	emit_array_end(e);
	emit_string(e, EMIT_TEXT, NULL, " %s\n", ids.len ? ids.buf : "-");
	emit_bool(e, EMIT_JSON, "partial", NULL, partial);

	/* In text the reasons follow the table (ps_render), so it stays aligned. */
	emit_array_begin(e, "notes");
	if (r->gp.note[0])
		emit_note(e, "exe", r->gp.note);
	for (size_t k = 0; k < pi->notes.nr; k++)
		emit_note(e, pi->notes.v[k].what, pi->notes.v[k].why);
	if (!r->tcp_known)
		emit_note(e, "tcp", r->tcp_why);
	if (v->probe && !r->pprof[0])
		emit_note(e, "pprof", r->probe_why);
	if (v->goroutines && !r->gor_known)
		emit_note(e, "goroutines", r->gor_why);
	emit_array_end(e);
	emit_object_end(e);
	strbuf_release(&ids);
}

void ps_render(FILE *out, const struct ps_view *v, bool json)
{
	struct emitter e;

	emit_init(&e, out, json);
	emit_text(&e, "%-7s %-9s %-10s %-28s %9s %9s %4s %s%6s %6s %7s %-13s%s %s\n", "PID", "USER", "GO", "MODULE",
		  "RSS", "LAZYFREE", "THR", v->goroutines ? "GOROUTS " : "", "ESTAB", "LISTEN", "UPTIME", "POLICY",
		  v->probe ? " PPROF" : "", "FLAGS RULES");
	emit_array_begin(&e, NULL);
	for (size_t i = 0; i < v->n; i++)
		row(&e, v, &v->rows[i]);
	emit_array_end(&e);
	/* Reasons after the table, one line per partial row, so the table
	 * stays aligned and nothing unknown goes unexplained. */
	for (size_t i = 0; i < v->n && !json; i++) {
		const struct ps_row *r = &v->rows[i];
		if (r->gp.note[0]) {
			emit_text(&e, "  pid %d: ", r->gp.pid);
			emit_string(&e, EMIT_TEXT, NULL, "%s\n", r->gp.note);
		}
		for (size_t k = 0; k < r->pi.notes.nr; k++) {
			emit_text(&e, "  pid %d: %s: ", r->gp.pid, r->pi.notes.v[k].what);
			emit_string(&e, EMIT_TEXT, NULL, "%s\n", r->pi.notes.v[k].why);
		}
		if (!r->tcp_known) {
			emit_text(&e, "  pid %d: tcp: ", r->gp.pid);
			emit_string(&e, EMIT_TEXT, NULL, "%s\n", r->tcp_why);
		}
		if (v->goroutines && !r->gor_known) {
			emit_text(&e, "  pid %d: goroutines: ", r->gp.pid);
			emit_string(&e, EMIT_TEXT, NULL, "%s\n", r->gor_why);
		}
	}
	emit_end(&e);
}
