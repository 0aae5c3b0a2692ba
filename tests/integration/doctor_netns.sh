#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doctor_netns.sh: the right process in a container (issue 11).  Service A
# runs in its own network namespace (unshare --net) on 127.0.0.1:PORT;
# service B listens on the host's 127.0.0.1:PORT, the same port.  `doctor
# A_PID` must read A, asking it from A's namespace, and never send B a
# request (B logs every request it gets); `bundle A_PID` likewise, and
# `ps --probe` asks A's port in A's namespace.  Needs root (unshare,
# setns): otherwise SKIP, exit 77; CI runs it as root.
# Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
	echo "SKIP: needs root, unshare and ip (network namespaces)"
	exit 77
fi
if ! unshare --net true 2>/dev/null; then
	echo "SKIP: unshare --net refused here (no CAP_SYS_ADMIN)"
	exit 77
fi
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
scen_init doctor-netns
W=$SCEN_WORK
b=$(scen_build pprofsrv) || { fail "build pprofsrv"; scen_summary; exit 1; }

# B on the host first, on a free port; A in its own netns on the same port.
scen_start B "$b" -name B -addr 127.0.0.1:0 -ttl 2m || exit 1
PORT=${B_ADDR##*:}
scen_start A unshare --net sh -c "ip link set lo up && exec '$b' -name A -addr 127.0.0.1:$PORT -ttl 2m" || exit 1
if [ "$(readlink /proc/"$A_PID"/ns/net)" = "$(readlink /proc/self/ns/net)" ]; then
	fail "A is not in its own network namespace"
fi
ok "A (PID $A_PID, own netns) and B (PID $B_PID, host) both on 127.0.0.1:$PORT"

timeout 60 "$GODIAG" doctor --json "$A_PID" >"$W/a.json" 2>"$W/a.err"
expect_rc "doctor A: read (findings or clean)" $? 0 1
check "doctor A: the endpoint found is 127.0.0.1:$PORT" \
	"[.snapshots[0].pieces[] | select(.what == \"pprof endpoint\" and .ok)] | .[0].source == \"http://127.0.0.1:$PORT\"" "$W/a.json" '.snapshots[0].pieces'
check "doctor A: debug=2 read" \
	"[.snapshots[0].pieces[] | select(.what == \"goroutine?debug=2\" and .ok)] | length == 1" "$W/a.json" '.snapshots[0].pieces'
if grep -q "^REQ A /debug/pprof/goroutine?debug=2" "$A_OUT"; then
	ok "A was asked for debug=2"
else
	fail "A was never asked for debug=2: $(grep REQ "$A_OUT" | head -3 | tr '\n' ' ')"
fi
timeout 60 "$GODIAG" bundle "$A_PID" -o "$W/a-bundle" >"$W/bundle.out" 2>&1
expect_rc "bundle A" $? 0
if grep -q '^REQ B' "$B_OUT"; then
	fail "B (another process on the host's 127.0.0.1:$PORT) got requests from doctor or bundle: $(grep '^REQ B' "$B_OUT" | head -3 | tr '\n' ' ')"
else
	ok "B got no request from doctor A or bundle A"
fi

# ps --probe asks every Go process on its own ports: B once (its own
# port), and A's port from A's namespace.
a_before=$(grep -c '^REQ A /debug/pprof/$' "$A_OUT")
timeout 60 "$GODIAG" ps --probe >"$W/ps.out" 2>"$W/ps.err"
expect_rc "ps --probe" $? 0 1
a_after=$(grep -c '^REQ A /debug/pprof/$' "$A_OUT")
b_reqs=$(grep -c '^REQ B' "$B_OUT")
if [ "$a_after" -gt "$a_before" ]; then ok "ps --probe asked A in A's namespace"; else fail "ps --probe never reached A"; fi
if [ "$b_reqs" -le 1 ]; then ok "B got at most its own probe ($b_reqs)"; else fail "B got $b_reqs requests from ps --probe: one was meant for A"; fi
scen_summary
