#!/usr/bin/env bash
# demo.sh GODIAG : the README's main command.  Builds a Go service that leaks
# the classic way (http.ListenAndServe with no timeouts, plus clients holding
# idle keep-alive connections), starts it on loopback, diagnoses it with
# `godiag doctor` (socket idle times prove the idleness; a short idle
# threshold keeps the demo short), and stops everything.
set -euo pipefail
godiag=${1:-build/godiag}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "== building the leaking service (tests/scenarios/httpidle) with Debian's Go"
BUILDDIR=${BUILDDIR:-$here/build} "$here/tests/lib/gobuild.sh" "$here/tests/scenarios/httpidle" "$work/httpidle"

echo "== starting it on loopback with 200 idle keep-alive clients"
"$work/httpidle" -serve -n 200 -ttl 120s >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^ADDR=' "$work/out" && break; sleep 0.1; done
addr=$(sed -n 's/^ADDR=//p' "$work/out" | head -1)
[ -n "$addr" ] || { echo "service did not start"; cat "$work/out"; exit 1; }
echo "== waiting 3 s so the clients' connections sit idle"
sleep 3
echo "== godiag doctor $pid --idle-threshold 2s"
echo
rc=0
"$godiag" doctor --idle-threshold 2s "$pid" || rc=$?
echo
echo "== godiag stacks on its goroutine dump, the biggest bucket first"
"$godiag" stacks --frames 8 --min-count 10 "http://$addr/debug/pprof/goroutine?debug=2"
# doctor exits 1 when it has findings: for the demo that is success.
[ "$rc" -le 1 ]
