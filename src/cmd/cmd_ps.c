/* SPDX-License-Identifier: MIT */
/* `godiag ps`: one row per Go process on the host, with what an operator
 * looks at first when memory or connections misbehave: Go version and main
 * module (from the binary), RSS and its LazyFree part, threads, TCP
 * established/listening, uptime, and the memory-return policy in force.
 * `--probe` asks each process's own listening ports for /debug/pprof/.
 *
 * What could not be read (another user's process, a process that exited
 * mid-scan) shows as an unknown value plus a reason, never as a failure. */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/help.h"
#include "cmd/options.h"
#include "diagnose/memrules.h"
#include "remote/discover.h"
#include "linux/netns.h"
#include "linux/process.h"
#include "linux/procfs.h"
#include "linux/sockdiag.h"
#include "linux/sockets.h"
#include "remote/fetch.h"
#include "runtime/godebug.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/human.h"
#include "util/banned.h"


struct ps_row {
	struct go_process gp;
	struct procinfo pi;
	bool tcp_known;
	struct tcp_counts tcp;
	char tcp_why[GD_ERRBUF_SIZE];
	struct godebug_eval ev;
	char pprof[128];     /* endpoint found by --probe, or "" */
	char probe_why[160]; /* why none was found */
	struct mem_hit hits[8]; /* the memory rules that fire (diagnose/memrules) */
	size_t nhits;
};

struct ps_opts {
	bool json, probe;
	const char *proc_root, *sys_root;
	struct ruleset rules;
};

static void ps_usage(FILE *out)
{
	cmd_help(out, "ps");
}

static void user_name(uint32_t uid, char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name)
		snprintf(buf, n, "%s", res->pw_name);
	else
		snprintf(buf, n, "%u", uid);
}

static const char *row_module(const struct ps_row *r)
{
	const struct go_buildinfo *bi = &r->gp.bin->bi;

	if (bi->mod_path && *bi->mod_path)
		return bi->mod_path;
	if (bi->path && *bi->path)
		return bi->path;
	return "?";
}

static void probe_row(struct ps_row *r, const struct ps_opts *o)
{
	struct sock_opts so = { .proc_root = o->proc_root };
	struct tcp_sock_list l;
	struct gd_errbuf eb = { "" };
	struct fetch_opts fo;
	char base[96];

	tcp_sock_list_init(&l);
	if (tcp_socks_for_pid(&so, r->gp.pid, &l, &eb) != GD_OK) {
		snprintf(r->probe_why, sizeof(r->probe_why), "%s", eb.msg);
		tcp_sock_list_release(&l);
		return;
	}
	fetch_opts_init(&fo);
	fo.connect_timeout_ms = 1000;
	fo.total_timeout_ms = 1000;
	fo.stall_timeout_ms = 1000;
	fo.max_bytes = 256 * 1024;
	fo.max_redirects = 0;
	if (pprof_endpoint_from_socks(&l, &fo, base, sizeof(base), &eb) == GD_OK)
		snprintf(r->pprof, sizeof(r->pprof), "%s/debug/pprof/", base);
	else
		snprintf(r->probe_why, sizeof(r->probe_why), "%s", eb.msg);
	tcp_sock_list_release(&l);
}

/* False when the process exited between the scan and now. */
static bool fill_row(struct ps_row *r, const struct ps_opts *o, const char *kernel)
{
	struct procfs_roots roots = { o->proc_root, o->sys_root };
	struct gd_errbuf eb = { "" };
	struct mem_facts mf;

	procinfo_init(&r->pi);
	if (procinfo_read(&r->pi, &roots, r->gp.pid,
			  PI_STATUS | PI_SMAPS | PI_STAT | PI_ENVIRON | PI_CGROUP, &eb) == GD_ENOENT)
		return false;
	process_mem_policy(&r->gp, kernel, (r->pi.have & PI_ENVIRON) ? r->pi.env.val[PENV_GODEBUG] : NULL,
			   &r->ev);
	mem_facts_init(&mf, &r->pi, NULL, &r->ev, r->gp.bin->bi.go_version, true);
	r->nhits = memrules_eval(&o->rules, &mf, r->hits, sizeof(r->hits) / sizeof(r->hits[0]));
	if (o->probe)
		probe_row(r, o);
	return true;
}

/* TCP counts: one sock_diag dump per network namespace (linux/netns). */
static void tcp_counts_all(struct ps_row *rows, size_t n, const struct ps_opts *o)
{
	struct netns_tcp_query *q = xcalloc(n ? n : 1, sizeof(*q));

	for (size_t i = 0; i < n; i++)
		q[i].pid = rows[i].gp.pid;
	netns_tcp_counts(o->proc_root, q, n);
	for (size_t i = 0; i < n; i++) {
		rows[i].tcp_known = q[i].known;
		rows[i].tcp = q[i].counts;
		snprintf(rows[i].tcp_why, sizeof(rows[i].tcp_why), "%s", q[i].why);
	}
	free(q);
}

static bool row_partial(const struct ps_row *r)
{
	return !r->gp.verified || procinfo_partial(&r->pi) || !r->tcp_known;
}

static bool status_has(const struct procinfo *pi, enum proc_status_field f)
{
	return (pi->status.known >> f) & 1;
}

static bool lazyfree_known(const struct procinfo *pi)
{
	return (pi->smaps.known >> SM_LAZYFREE) & 1;
}

static void render_json(FILE *out, struct ps_row *rows, size_t n, const struct ps_opts *o)
{
	struct json_writer jw;

	jw_init(&jw, out, true);
	jw_array_begin(&jw);
	for (size_t i = 0; i < n; i++) {
		struct ps_row *r = &rows[i];
		const struct go_buildinfo *bi = &r->gp.bin->bi;
		const struct procinfo *pi = &r->pi;
		char user[64];

		jw_object_begin(&jw);
		jw_key(&jw, "pid");
		jw_int(&jw, r->gp.pid);
		jw_key(&jw, "uid");
		if (status_has(pi, PST_UID))
			jw_uint(&jw, pi->status.uid);
		else
			jw_null(&jw);
		jw_key(&jw, "user");
		if (status_has(pi, PST_UID)) {
			user_name(pi->status.uid, user, sizeof(user));
			jw_string(&jw, user);
		} else {
			jw_null(&jw);
		}
		jw_key(&jw, "name");
		jw_string(&jw, status_has(pi, PST_NAME) ? pi->status.name : "");
		jw_key(&jw, "exe");
		jw_string(&jw, r->gp.exe);
		jw_key(&jw, "exe_deleted");
		jw_bool(&jw, r->gp.exe_deleted);
		jw_key(&jw, "verified");
		jw_bool(&jw, r->gp.verified);
		jw_key(&jw, "go_version");
		if (bi->go_version)
			jw_string(&jw, bi->go_version);
		else
			jw_null(&jw);
		jw_key(&jw, "path");
		if (bi->path)
			jw_string(&jw, bi->path);
		else
			jw_null(&jw);
		jw_key(&jw, "module");
		if (bi->mod_path)
			jw_string(&jw, bi->mod_path);
		else
			jw_null(&jw);
		jw_key(&jw, "module_version");
		if (bi->mod_version)
			jw_string(&jw, bi->mod_version);
		else
			jw_null(&jw);
		jw_key(&jw, "rss_bytes");
		if (status_has(pi, PST_VMRSS))
			jw_uint(&jw, pi->status.v[PST_VMRSS]);
		else
			jw_null(&jw);
		jw_key(&jw, "lazyfree_bytes");
		if (lazyfree_known(pi))
			jw_uint(&jw, pi->smaps.v[SM_LAZYFREE]);
		else
			jw_null(&jw);
		jw_key(&jw, "threads");
		if (status_has(pi, PST_THREADS))
			jw_uint(&jw, pi->status.v[PST_THREADS]);
		else
			jw_null(&jw);
		jw_key(&jw, "tcp_established");
		if (r->tcp_known)
			jw_uint(&jw, r->tcp.established);
		else
			jw_null(&jw);
		jw_key(&jw, "tcp_listening");
		if (r->tcp_known)
			jw_uint(&jw, r->tcp.listening);
		else
			jw_null(&jw);
		jw_key(&jw, "uptime_seconds");
		if (pi->age_known)
			jw_uint(&jw, pi->age_seconds);
		else
			jw_null(&jw);
		jw_key(&jw, "godebug");
		if ((pi->have & PI_ENVIRON) && pi->env.val[PENV_GODEBUG])
			jw_string(&jw, pi->env.val[PENV_GODEBUG]);
		else
			jw_null(&jw);
		jw_key(&jw, "policy");
		jw_string(&jw, mem_policy_name(r->ev.policy));
		jw_key(&jw, "policy_reason");
		jw_string(&jw, r->ev.reason);
		if (o->probe) {
			jw_key(&jw, "pprof");
			if (r->pprof[0])
				jw_string(&jw, r->pprof);
			else
				jw_null(&jw);
		}
		jw_key(&jw, "rules");
		jw_array_begin(&jw);
		for (size_t k = 0; k < r->nhits; k++)
			jw_string(&jw, r->hits[k].rule->id);
		jw_array_end(&jw);
		jw_key(&jw, "flags");
		jw_array_begin(&jw);
		if (r->gp.exe_deleted)
			jw_string(&jw, "deleted");
		if (!r->gp.verified)
			jw_string(&jw, "unverified");
		if (row_partial(r))
			jw_string(&jw, "partial");
		jw_array_end(&jw);
		jw_key(&jw, "partial");
		jw_bool(&jw, row_partial(r));
		jw_key(&jw, "notes");
		jw_array_begin(&jw);
		if (r->gp.note[0]) {
			jw_object_begin(&jw);
			jw_key(&jw, "what");
			jw_string(&jw, "exe");
			jw_key(&jw, "why");
			jw_string(&jw, r->gp.note);
			jw_object_end(&jw);
		}
		for (size_t k = 0; k < pi->notes.nr; k++) {
			jw_object_begin(&jw);
			jw_key(&jw, "what");
			jw_string(&jw, pi->notes.v[k].what);
			jw_key(&jw, "why");
			jw_string(&jw, pi->notes.v[k].why);
			jw_object_end(&jw);
		}
		if (!r->tcp_known) {
			jw_object_begin(&jw);
			jw_key(&jw, "what");
			jw_string(&jw, "tcp");
			jw_key(&jw, "why");
			jw_string(&jw, r->tcp_why);
			jw_object_end(&jw);
		}
		if (o->probe && !r->pprof[0]) {
			jw_object_begin(&jw);
			jw_key(&jw, "what");
			jw_string(&jw, "pprof");
			jw_key(&jw, "why");
			jw_string(&jw, r->probe_why);
			jw_object_end(&jw);
		}
		jw_array_end(&jw);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
	jw_end(&jw);
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

static void cell(char *buf, size_t n, const char *s, size_t w)
{
	cell_cut(buf, n, s, w, false);
}

static void render_text(FILE *out, struct ps_row *rows, size_t n, const struct ps_opts *o)
{
	fprintf(out, "%-7s %-9s %-10s %-28s %9s %9s %4s %6s %6s %7s %-13s%s %s\n", "PID", "USER",
		"GO", "MODULE", "RSS", "LAZYFREE", "THR", "ESTAB", "LISTEN", "UPTIME", "POLICY",
		o->probe ? " PPROF" : "", "FLAGS    RULES");
	for (size_t i = 0; i < n; i++) {
		struct ps_row *r = &rows[i];
		const struct procinfo *pi = &r->pi;
		char user[64], ver[16], mod[32], rss[16], lf[16], thr[16], est[16], lis[16], up[16];
		char flags[64] = "";
		struct strbuf ids = STRBUF_INIT_MAX(1024);

		if (status_has(pi, PST_UID)) {
			char tmp[64];
			user_name(pi->status.uid, tmp, sizeof(tmp));
			cell(user, sizeof(user), tmp, 9);
		} else {
			snprintf(user, sizeof(user), "?");
		}
		cell(ver, sizeof(ver), r->gp.bin->bi.go_version ? r->gp.bin->bi.go_version : "?", 10);
		cell_cut(mod, sizeof(mod), row_module(r), 28, true);
		if (status_has(pi, PST_VMRSS))
			human_bytes(rss, sizeof(rss), pi->status.v[PST_VMRSS]);
		else
			snprintf(rss, sizeof(rss), "?");
		if (lazyfree_known(pi))
			human_bytes(lf, sizeof(lf), pi->smaps.v[SM_LAZYFREE]);
		else
			snprintf(lf, sizeof(lf), "?");
		if (status_has(pi, PST_THREADS))
			snprintf(thr, sizeof(thr), "%llu", (unsigned long long)pi->status.v[PST_THREADS]);
		else
			snprintf(thr, sizeof(thr), "?");
		if (r->tcp_known) {
			snprintf(est, sizeof(est), "%zu", r->tcp.established);
			snprintf(lis, sizeof(lis), "%zu", r->tcp.listening);
		} else {
			snprintf(est, sizeof(est), "?");
			snprintf(lis, sizeof(lis), "?");
		}
		if (pi->age_known)
			procfs_human_age(up, sizeof(up), pi->age_seconds);
		else
			snprintf(up, sizeof(up), "?");
		snprintf(flags, sizeof(flags), "%s%s%s", r->gp.exe_deleted ? "deleted " : "",
			 !r->gp.verified ? "unverified " : "", row_partial(r) ? "partial" : "");
		if (!flags[0])
			snprintf(flags, sizeof(flags), "-");
		for (size_t k = 0; k < r->nhits; k++)
			strbuf_addf(&ids, "%s%s", k ? "," : "", r->hits[k].rule->id);
		fprintf(out, "%-7d %-9s %-10s %-28s %9s %9s %4s %6s %6s %7s %-13s", r->gp.pid, user, ver,
			mod, rss, lf, thr, est, lis, up, mem_policy_name(r->ev.policy));
		if (o->probe)
			fprintf(out, " %s", r->pprof[0] ? r->pprof : "-");
		fprintf(out, " %-8s %s\n", flags, ids.len ? ids.buf : "-");
		strbuf_release(&ids);
	}
	/* Reasons after the table, one line per partial row, so the table
	 * stays aligned and nothing unknown goes unexplained. */
	for (size_t i = 0; i < n; i++) {
		struct ps_row *r = &rows[i];
		if (r->gp.note[0])
			fprintf(out, "  pid %d: %s\n", r->gp.pid, r->gp.note);
		for (size_t k = 0; k < r->pi.notes.nr; k++)
			fprintf(out, "  pid %d: %s: %s\n", r->gp.pid, r->pi.notes.v[k].what,
				r->pi.notes.v[k].why);
		if (!r->tcp_known)
			fprintf(out, "  pid %d: tcp: %s\n", r->gp.pid, r->tcp_why);
	}
}

int cmd_ps(int argc, char **argv)
{
	struct ps_opts o = { .proc_root = PROCFS_ROOT_DEFAULT, .sys_root = SYSFS_ROOT_DEFAULT };
	struct process_scan scan;
	struct gd_errbuf eb = { "" };
	struct ps_row *rows;
	size_t nrows = 0;
	char kernel[128] = "";

	struct cmd_sources src;
	const struct cmd_option opts[] = {
		OPT_BOOL(0, "json", &o.json, "a JSON array"),
		OPT_BOOL(0, "probe", &o.probe, "GET /debug/pprof/ on each process's listeners"),
		OPT_PROC_ROOT(&src),
		OPT_SYS_ROOT(&src),
		OPT_END(),
	};

	cmd_sources_init(&src);
	argc = cmd_parse_options("ps", argc, argv, opts);
	if (argc == CMD_OPT_HELP) {
		ps_usage(stdout);
		return EXIT_OK;
	}
	if (argc == CMD_OPT_ERROR)
		return EXIT_USAGE;
	if (argc > 0) {
		error("ps: unexpected argument '%s'", argv[0]);
		return EXIT_USAGE;
	}
	o.proc_root = src.proc_root;
	o.sys_root = src.sys_root;
	if (o.probe && fetch_global_init(&eb) != GD_OK) {
		error("ps: %s", eb.msg);
		return EXIT_FAIL;
	}

	ruleset_init(&o.rules);
	if (ruleset_load_builtin(&o.rules, &eb) != GD_OK) {
		error("ps: %s", eb.msg);
		ruleset_release(&o.rules);
		return EXIT_FAIL;
	}
	process_scan_init(&scan);
	if (process_scan_run(&scan, o.proc_root, &eb) != GD_OK) {
		error("ps: %s", eb.msg);
		process_scan_release(&scan);
		ruleset_release(&o.rules);
		return EXIT_FAIL;
	}
	proc_kernel_release(o.proc_root, kernel, sizeof(kernel), NULL);
	rows = xcalloc(scan.nr ? scan.nr : 1, sizeof(*rows));
	for (size_t i = 0; i < scan.nr; i++) {
		rows[nrows].gp = scan.v[i];
		if (fill_row(&rows[nrows], &o, kernel))
			nrows++;
		else
			procinfo_release(&rows[nrows].pi);
	}
	tcp_counts_all(rows, nrows, &o);
	if (o.json)
		render_json(stdout, rows, nrows, &o);
	else
		render_text(stdout, rows, nrows, &o);
	if (scan.denied) {
		warning("ps: %zu process%s could not be inspected (first: %s); run as root to see them",
			scan.denied, scan.denied == 1 ? "" : "es",
			scan.notes.nr ? scan.notes.v[0].why : "permission denied");
	}
	for (size_t i = 0; i < nrows; i++) {
		procinfo_release(&rows[i].pi);
		godebug_eval_release(&rows[i].ev);
	}
	free(rows);
	process_scan_release(&scan);
	ruleset_release(&o.rules);
	return EXIT_OK;
}
