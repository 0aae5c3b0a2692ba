#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fetch_one_connection.sh: one godiag command asks a target for several
# documents (the pprof index, goroutine?debug=1 and debug=2, heap, vars,
# metrics) over ONE kept-alive connection.  On a connection per document,
# the target's goroutines still serving the ones godiag closed are in the
# next dump, where they look like the idle keep-alive connections doctor
# counts (seen as 26 for 25 leaked under load).  The real badserver counts
# the connections its plain listener accepted (GET /accepted).
set -uo pipefail
: "${GODIAG:?}" "${SRCDIR:?}" "${BUILDDIR:?}"
source "$SRCDIR/tests/lib/scenario.sh"
scen_init fetch-one-connection

bin=$(scen_build badserver) || { fail "build badserver"; scen_summary; exit 1; }
"$bin" -timeout 60 >"$SCEN_WORK/bs.out" 2>/dev/null &
bs=$!
trap 'kill "$bs" 2>/dev/null; scen_cleanup' EXIT
for _ in $(seq 50); do [ "$(wc -l <"$SCEN_WORK/bs.out")" -ge 3 ] && break; sleep 0.1; done
port=$(sed -n 1p "$SCEN_WORK/bs.out")
base="http://127.0.0.1:$port"
accepted() { curl -sf --max-time 5 "$base/accepted"; }

a=$(accepted)
"$GODIAG" doctor --json "$base" >"$SCEN_WORK/d.json" 2>"$SCEN_WORK/d.err"
rc=$?
b=$(accepted)
expect_rc "doctor on the URL ran" "$rc" 0 1
check "doctor read the index, both dumps and the heap" \
	'[.snapshots[0].pieces[] | select(.ok) | .what] | contains(["pprof index", "goroutine?debug=1", "goroutine?debug=2", "heap?debug=1"])' \
	"$SCEN_WORK/d.json" '.snapshots[0].pieces'
# b - a counts godiag's connections and the second /accepted request.
if [ -n "$a" ] && [ -n "$b" ] && [ $((b - a - 1)) = 1 ]; then
	ok "doctor made one connection to the target"
else
	fail "doctor made $((b - a - 1)) connections to the target (accepted $a -> $b)"
fi

a=$(accepted)
"$GODIAG" bundle "$base" -o "$SCEN_WORK/bundle" >"$SCEN_WORK/b.out" 2>&1
expect_rc "bundle of the URL" $? 0
b=$(accepted)
n=$(find "$SCEN_WORK/bundle" -type f | wc -l)
if [ $((b - a - 1)) = 1 ] && [ "$n" -ge 3 ]; then
	ok "bundle fetched $n files over one connection"
else
	fail "bundle: $((b - a - 1)) connections for $n files"
fi
scen_summary
