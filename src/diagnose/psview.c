/* SPDX-License-Identifier: MIT */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "census/census.h"
#include "diagnose/psview.h"
#include "linux/netns.h"
#include "linux/sockets.h"
#include "remote/discover.h"
#include "remote/fetch.h"
#include "util/xalloc.h"
#include "util/banned.h"

static void user_name(uint32_t uid, char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res && res->pw_name)
		snprintf(buf, n, "%s", res->pw_name);
	else
		snprintf(buf, n, "%u", uid);
}

const char *ps_row_module(const struct ps_row *r)
{
	const struct go_buildinfo *bi = &r->gp.bin->bi;

	if (bi->mod_path && *bi->mod_path)
		return bi->mod_path;
	if (bi->path && *bi->path)
		return bi->path;
	return "?";
}

static void probe_row(struct ps_row *r, const struct ps_request *o)
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
	/* The ports are the process's own, in its own network namespace. */
	pprof_probe_opts_init(&fo, !strcmp(o->proc_root, PROCFS_ROOT_DEFAULT) ? r->gp.pid : 0);
	if (pprof_endpoint_from_socks(&l, &fo, base, sizeof(base), &eb) == GD_OK)
		snprintf(r->pprof, sizeof(r->pprof), "%s/debug/pprof/", base);
	else
		snprintf(r->probe_why, sizeof(r->probe_why), "%s", eb.msg);
	tcp_sock_list_release(&l);
}

/* The census in counting mode: ps keeps the number, not the dump. */
static void count_goroutines(struct ps_row *r, const struct ps_request *o)
{
	struct census_stats st;
	struct gd_errbuf eb = { "" };

	if (strcmp(o->proc_root, PROCFS_ROOT_DEFAULT)) {
		snprintf(r->gor_why, sizeof(r->gor_why), "a recorded proc tree has no process memory");
	} else if (census_pid(r->gp.pid, NULL, NULL, &st, &eb) == GD_OK) {
		r->gor_known = true;
		r->goroutines = st.goroutines;
	} else {
		snprintf(r->gor_why, sizeof(r->gor_why), "%s", eb.msg);
	}
}

/* False when the process exited between the scan and now. */
static bool fill_row(struct ps_row *r, const struct ps_view *v, const struct ps_request *o, const char *kernel)
{
	struct procfs_roots roots = { o->proc_root, o->sys_root };
	struct gd_errbuf eb = { "" };
	struct mem_facts mf;

	procinfo_init(&r->pi);
	if (procinfo_read(&r->pi, &roots, r->gp.pid, PI_STATUS | PI_SMAPS | PI_STAT | PI_ENVIRON | PI_CGROUP,
			  &eb) == GD_ENOENT)
		return false;
	if ((r->pi.status.known >> PST_UID) & 1) {
		r->user_known = true;
		user_name(r->pi.status.uid, r->user, sizeof(r->user));
	}
	process_mem_policy(&r->gp, kernel, (r->pi.have & PI_ENVIRON) ? r->pi.env.val[PENV_GODEBUG] : NULL,
			   &r->ev);
	mem_facts_init(&mf, &r->pi, NULL, &r->ev, r->gp.bin->bi.go_version, true);
	r->nhits = memrules_eval(&v->rules, &mf, r->hits, sizeof(r->hits) / sizeof(r->hits[0]));
	if (o->probe)
		probe_row(r, o);
	if (o->goroutines)
		count_goroutines(r, o);
	return true;
}

/* TCP counts: one sock_diag dump per network namespace (linux/netns). */
static void tcp_counts_all(struct ps_row *rows, size_t n, const struct ps_request *o)
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

bool ps_row_partial(const struct ps_row *r)
{
	return !r->gp.verified || procinfo_partial(&r->pi) || !r->tcp_known;
}

enum gd_err ps_view_build(struct ps_view *v, const struct ps_request *rq, struct gd_errbuf *eb)
{
	char kernel[128] = "";
	enum gd_err rc;

	memset(v, 0, sizeof(*v));
	v->probe = rq->probe;
	v->goroutines = rq->goroutines;
	process_scan_init(&v->scan);
	ruleset_init(&v->rules);
	if ((rc = ruleset_load_builtin(&v->rules, eb)) != GD_OK)
		return rc;
	if (rq->probe && (rc = fetch_global_init(eb)) != GD_OK)
		return rc;
	if ((rc = process_scan_run(&v->scan, rq->proc_root, eb)) != GD_OK)
		return rc;
	proc_kernel_release(rq->proc_root, kernel, sizeof(kernel), NULL);
	v->rows = xcalloc(v->scan.nr ? v->scan.nr : 1, sizeof(*v->rows));
	for (size_t i = 0; i < v->scan.nr; i++) {
		v->rows[v->n].gp = v->scan.v[i];
		if (fill_row(&v->rows[v->n], v, rq, kernel))
			v->n++;
		else
			procinfo_release(&v->rows[v->n].pi);
	}
	tcp_counts_all(v->rows, v->n, rq);
	return GD_OK;
}

void ps_view_release(struct ps_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		procinfo_release(&v->rows[i].pi);
		godebug_eval_release(&v->rows[i].ev);
	}
	free(v->rows);
	process_scan_release(&v->scan);
	ruleset_release(&v->rules);
}
