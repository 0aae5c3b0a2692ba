#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# probe_leaves_no_conn.sh: a Go HTTP server with no pprof endpoint (-nopprof)
# and N idle keep-alive clients.  To look for pprof, doctor sends a request
# to the server's own port; that probe must close its connection, or the
# server's goroutine for it sits idle in readRequest while the census reads
# memory, and doctor counts N+1 leaked connections for N sockets (CI saw
# 21 for 20).  Three runs in a row, each must count exactly N.
set -uo pipefail
: "${GODIAG:?}" "${SRCDIR:?}" "${BUILDDIR:?}"
source "$SRCDIR/tests/lib/scenario.sh"
scen_init probe-no-conn
N=5
b=$(scen_build httpleak) || { fail "build httpleak"; scen_summary; exit 1; }
scen_start S "$b" -nopprof -ttl 2m || { fail "server did not start"; scen_summary; exit 1; }
scen_start C "$b" -clients "$N" -addr "$S_ADDR" -ttl 2m || { fail "clients did not start"; scen_summary; exit 1; }
for i in 1 2 3; do
	"$GODIAG" doctor "$S_PID" --json >"$SCEN_WORK/d$i.json" 2>"$SCEN_WORK/d$i.err"
	check "run $i: the probe found no pprof, the census read memory" \
		'[.snapshots[0].pieces[] | select(.what == "pprof endpoint" and (.ok | not))] | length == 1' \
		"$SCEN_WORK/d$i.json" '.snapshots[0].pieces'
	check "run $i: $N idle connections counted for $N sockets" \
		"[.seen[], .findings[] | select(.rule == \"http-server-idle-conn\") | [.goroutines, .sockets]] == [[$N, $N]]" \
		"$SCEN_WORK/d$i.json" '[.seen[], .findings[]]'
done
scen_summary
