#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# diff_growleak.sh: `godiag diff` on two bundles of a real leaking service.
# tests/scenarios/growleak -manual leaks, per step, 5 goroutines (one bucket,
# main.subscribe), 256 KiB (one site, main.keep) and one connection, next to
# steady work; GET /step?n=8 runs 8 steps between the two bundles, so the
# growth is exact and no clock is waited on.  Checks: the leaking bucket and
# the leaking allocation site are listed first (text and --json, +40
# goroutines, +8 objects), the peer grew by 8, exit 1; `go tool pprof -top`
# (Debian's Go 1.19) opens the --pprof profile with main.subscribe on top
# and, for inuse_space, main.keep; a bundle against itself grows nothing
# (exit 0); the same through the debug=1 file of A against B's debug=2.
# Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
GO=/usr/lib/go-1.19/bin/go
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
scen_init diff_growleak
W=$SCEN_WORK

BIN=$(scen_build growleak) || { echo "SKIP: cannot build growleak with Go 1.19"; exit 77; }
scen_start GL "$BIN" -manual -ttl 90s || exit 1

"$GODIAG" bundle "$GL_PID" -o "$W/a" >"$W/a.out" 2>&1 || { fail "bundle A: $(cat "$W/a.out")"; scen_summary; exit 1; }
curl -sf --max-time 30 "http://$GL_PPROF/step?n=8" >/dev/null || fail "GET /step?n=8"
"$GODIAG" bundle "$GL_PID" -o "$W/b" >"$W/b.out" 2>&1 || { fail "bundle B: $(cat "$W/b.out")"; scen_summary; exit 1; }

"$GODIAG" diff "$W/a" "$W/b" >"$W/diff.txt" 2>"$W/diff.err"
expect_rc "diff of two bundles of a leaking service: something grew" $? 1
# The first entry under each heading.
first_after() { awk -v h="$1" 'index($0, h) == 1 { on = 1; next } on && /^  / { print; getline; print; exit }' "$W/diff.txt"; }
g=$(first_after "goroutines:")
if [[ $g == *"+40  "* && $g == *main.subscribe* ]]; then ok "text: the leaking bucket first (+40, main.subscribe)"; else fail "text goroutines: $g"; fi
h=$(first_after "heap in use:")
if [[ $h == *"+2.0 MiB"*"+8 objects"* && $h == *main.keep* ]]; then ok "text: the leaking allocation site first (+2.0 MiB, main.keep)"; else fail "text heap: $h"; fi

"$GODIAG" diff --json --pprof "$W/d.pb.gz" "$W/a" "$W/b" >"$W/diff.json" 2>"$W/diffj.err"
expect_rc "diff --json --pprof" $? 1
check "json: bucket 0 is main.subscribe, 35 -> 75" \
	'.grew and (.goroutines.buckets[0] | .delta == 40 and .grew and ([.frames[].func] | index("main.subscribe")))' "$W/diff.json" '.goroutines.buckets[0:2]'
check "json: site 0 is main.keep, +8 objects of 256 KiB" \
	'.heap.sites[0] | .frames[0].func == "main.keep" and .delta_objects == 8 and (.delta_bytes / 262144 | round) == 8' "$W/diff.json" '.heap.sites[0:2]'
check "json: the upstream peer grew by 8 each way" \
	'[.sockets.peers[] | select(.delta == 8)] | length == 2 and (map(.direction) | sort) == ["in", "out"]' "$W/diff.json" '.sockets'
if [ -x "$GO" ]; then
	"$GO" tool pprof -top "$W/d.pb.gz" >"$W/top.txt" 2>&1
	if grep -q '^Type: goroutine' "$W/top.txt" && awk '/flat%/ { getline; exit !($1 == 40 && $NF == "main.subscribe") }' "$W/top.txt"; then
		ok "go tool pprof -top opens the profile: main.subscribe +40 on top"
	else
		fail "pprof -top: $(head -c 1200 "$W/top.txt")"
	fi
	"$GO" tool pprof -sample_index=inuse_space -top "$W/d.pb.gz" >"$W/top2.txt" 2>&1
	if awk '/flat%/ { getline; exit !($NF == "main.keep") }' "$W/top2.txt"; then
		ok "go tool pprof -sample_index=inuse_space -top: main.keep on top"
	else
		fail "pprof inuse_space: $(head -c 1200 "$W/top2.txt")"
	fi
else
	fail "no $GO to open the profile with"
fi

"$GODIAG" diff "$W/b" "$W/b" >"$W/same.txt" 2>&1
expect_rc "a bundle against itself: nothing grew" $? 0
grep -q '^Nothing grew\.$' "$W/same.txt" && ok "it says so" || fail "same: $(cat "$W/same.txt")"
"$GODIAG" diff --json "$W/a/goroutine-debug1.txt" "$W/b/goroutine-debug2.txt" >"$W/mixed.json" 2>&1
check "A's debug=1 profile against B's debug=2 dump: the same bucket, matched by stack" \
	'.goroutines.buckets[0] | .delta == 40 and ([.frames[].func] | index("main.subscribe"))' "$W/mixed.json" '.goroutines.buckets[0:2]'

scen_summary
