/* SPDX-License-Identifier: MIT */
/* A PID as a goroutine source; see source.h. */
#include <stdio.h>
#include <string.h>

#include "census/census.h"
#include "census/source.h"
#include "linux/sockdiag.h"
#include "linux/sockets.h"
#include "remote/discover.h"
#include "remote/fetch.h"
#include "util/banned.h"

static enum gd_err find_pprof(pid_t pid, char *url, size_t cap, struct gd_errbuf *eb)
{
	struct sock_opts so = { 0 };
	struct tcp_sock_list l;
	struct fetch_opts fo;
	char base[160];
	tcp_sock_list_init(&l);
	enum gd_err e = tcp_socks_for_pid(&so, (int)pid, &l, eb);
	if (!e) {
		/* Its ports, asked from inside its network namespace. */
		pprof_probe_opts_init(&fo, (int)pid);
		e = pprof_endpoint_from_socks(&l, &fo, base, sizeof(base), eb);
		if (!e)
			snprintf(url, cap, "%s/debug/pprof/goroutine?debug=2", base);
	}
	tcp_sock_list_release(&l);
	return e;
}

enum gd_err census_source_pid(pid_t pid, const struct census_source_opts *o, struct strbuf *out,
			      struct census_source *cs, struct gd_errbuf *eb)
{
	memset(cs, 0, sizeof(*cs));
	struct census_stats st;
	struct gd_errbuf ce = { "" };
	if (o->replay) {
		cs->mem_err = census_replay(o->replay, out, &st, &ce);
	} else if (o->no_read_memory) {
		cs->mem_err = GD_EARG;
		snprintf(ce.msg, sizeof(ce.msg), "--no-read-memory");
	} else {
		cs->mem_err = census_pid(pid, o->record, out, &st, &ce);
	}
	if (!cs->mem_err) {
		cs->memory_read = true;
		census_describe(&st, cs->what, sizeof(cs->what));
		return GD_OK;
	}
	snprintf(cs->why, sizeof(cs->why), "%s", ce.msg);
	if (o->replay)
		return gd_fail(eb, cs->mem_err, "%s", ce.msg);
	/* a process that is gone has no endpoint either */
	if (o->no_fallback || cs->mem_err == GD_ENOENT)
		return gd_fail(eb, cs->mem_err, "%s", ce.msg);
	struct gd_errbuf pe = { "" };
	if (find_pprof(pid, cs->fallback_url, sizeof(cs->fallback_url), &pe)) {
		cs->fallback_url[0] = 0;
		return gd_fail(eb, cs->mem_err == GD_EPERM ? GD_EPERM : cs->mem_err,
			       "process %d: memory not read (%s), and no pprof endpoint (%s)", (int)pid,
			       ce.msg, pe.msg);
	}
	snprintf(cs->what, sizeof(cs->what), "memory not read (%s); goroutines from %s", ce.msg,
		 cs->fallback_url);
	return GD_OK;
}
