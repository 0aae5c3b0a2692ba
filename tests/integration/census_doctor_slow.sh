#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# census_doctor_slow.sh: `godiag doctor PID` on the idle keep-alive HTTP,
# thrift and gRPC leaks and their fixed twins, all started WITHOUT a pprof
# endpoint (-nopprof): the goroutines come from the process's memory, the
# servers' timeouts too, and must equal what the programs set (leak: none;
# twin: 10 min).  After 2 minutes (one wait shared by the six servers) the
# leaks are named by the right rule at high confidence with the goroutine
# and socket counts, and the twins are clean: their own timeouts will close
# the connections.  Bundles of both, read back offline, give the same
# verdicts (the settings travel in server-settings.txt).  Waits ~2 min of wall-clock time.  Env: SRCDIR, BUILDDIR, GODIAG.
set -uo pipefail
: "${SRCDIR:?}" "${BUILDDIR:?}" "${GODIAG:?}"
source "$SRCDIR/tests/lib/scenario.sh"
scen_init census_doctor
W=$SCEN_WORK
N=20
declare -A RULE=([httpleak]=http-server-idle-conn [thriftleak]=thrift-server-idle-conn [grpcleak]=grpc-server-idle-conn)
declare -A PER=([httpleak]=1 [thriftleak]=2 [grpcleak]=3)
declare -A FIX=([httpleak]="-fixed -timeout 10m" [thriftleak]="-fixed -timeout 10m" [grpcleak]="-fixed -idle 10m")
declare -A WANT0=([httpleak]="ReadTimeout 0s, ReadHeaderTimeout 0s, WriteTimeout 0s, IdleTimeout 0s"
	[thriftleak]="ClientTimeout 0s" [grpcleak]="MaxConnectionIdle infinite, MaxConnectionAge infinite")
declare -A WANT1=([httpleak]="ReadTimeout 600s, ReadHeaderTimeout 600s, WriteTimeout 600s, IdleTimeout 600s"
	[thriftleak]="ClientTimeout 600s" [grpcleak]="MaxConnectionIdle 600s, MaxConnectionAge infinite")

doctor() { # doctor NAME PID
	timeout 120 "$GODIAG" doctor "$2" --json >"$W/$1.json" 2>"$W/$1.err"
}
settings_of() { jq -r '[.snapshots[0].pieces[]? | select(.what | test("settings")) | .note] | join(" | ")' "$1"; }

for s in httpleak thriftleak grpcleak; do
	b=$(scen_build "$s") || { fail "$s: build"; continue; }
	# shellcheck disable=SC2086
	scen_start "${s}_L" "$b" -nopprof -ttl 6m &&
		scen_start "${s}_F" "$b" -nopprof ${FIX[$s]} -ttl 6m || { fail "$s: servers did not start"; continue; }
	la="${s}_L_ADDR" fa="${s}_F_ADDR"
	scen_start "${s}_LC" "$b" -clients "$N" -addr "${!la}" -ttl 6m &&
		scen_start "${s}_FC" "$b" -clients "$N" -addr "${!fa}" -ttl 6m || fail "$s: clients did not start"
done
T0=$(date +%s) # the clients are connected: the leak's age starts here
sleep 2
for s in httpleak thriftleak grpcleak; do
	for side in L F; do
		p="${s}_${side}_PID"
		[ -n "${!p:-}" ] || continue
		doctor "$s-$side-young" "${!p}"
		got=$(settings_of "$W/$s-$side-young.json")
		want=${WANT0[$s]}
		[ $side = F ] && want=${WANT1[$s]}
		if [[ "$got" == *"$want"* ]] && [[ "$got" == *"offsets from DWARF"* ]]; then
			ok "$s $side: settings read from memory equal the program's: $want"
		else
			fail "$s $side: settings: want '$want', got '$got' $(head -c 200 "$W/$s-$side-young.err")"
		fi
		check "$s $side: goroutines read from memory (no pprof endpoint)" \
			'[.snapshots[0].pieces[] | select(.what | test("memory")) | .ok] | any' "$W/$s-$side-young.json" \
			'[.snapshots[0].pieces[] | {what, ok}]'
	done
done
# the leak must be 2 minutes old
left=$((T0 + 125 - $(date +%s)))
[ $left -gt 0 ] && sleep $left
for s in httpleak thriftleak grpcleak; do
	p="${s}_L_PID" q="${s}_F_PID"
	[ -n "${!p:-}" ] && [ -n "${!q:-}" ] || continue
	doctor "$s-L" "${!p}"
	doctor "$s-F" "${!q}"
	check "$s (2 min, no endpoint): ${RULE[$s]} at high confidence with $((N * ${PER[$s]})) goroutines and $N sockets" \
		"[.findings[] | select(.rule == \"${RULE[$s]}\" and .confidence >= 0.9 and .goroutines == $((N * ${PER[$s]})) and .sockets == $N)] | length == 1" \
		"$W/$s-L.json"
	check "$s: the finding cites the settings read from memory" \
		'[.findings[].evidence[]? | select(.source == "read from the process'"'"'s memory")] | length >= 1' "$W/$s-L.json" \
		'[.findings[].evidence[]?]'
	check "$s fixed twin (timeouts set): clean" '[.findings[] | select(.severity != "info")] | length == 0' "$W/$s-F.json"
	# A bundle keeps the settings (server-settings.txt): doctor on it,
	# offline, reaches the same verdict for the leak and for its twin.
	for side in L F; do
		p="${s}_${side}_PID"
		timeout 120 "$GODIAG" bundle "${!p}" -o "$W/$s-$side.bundle" >/dev/null 2>&1
		timeout 60 "$GODIAG" doctor "$W/$s-$side.bundle" --json >"$W/$s-$side-b.json" 2>/dev/null
	done
	check "$s bundle: server-settings.txt read back, doctor names ${RULE[$s]} at high confidence citing it" \
		"([.snapshots[0].pieces[] | select(.what == \"server-settings\" and .ok)] | length == 1) and ([.findings[] | select(.rule == \"${RULE[$s]}\" and .confidence >= 0.9 and .goroutines == $((N * ${PER[$s]})))] | length == 1) and ([.findings[].evidence[]? | select(.source == \"read from the process's memory\")] | length >= 1)" \
		"$W/$s-L-b.json" '[.snapshots[0].pieces, .findings]'
	check "$s fixed twin's bundle: clean" '[.findings[] | select(.severity != "info")] | length == 0' "$W/$s-F-b.json"
done
scen_summary
