#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# conns_idle.sh: the keep-alive leak of DESIGN.md case 1, for real.  A Go
# HTTP server without timeouts (tests/scenarios/idleconns) and, in another
# process, N keep-alive clients that made one request each and went idle.
# After S seconds `godiag conns SERVERPID` must find exactly N ESTABLISHED
# inbound sockets on the server's port, all idle >= S (checked against ss
# too).  Edges: the netlink recording replays to the same answer after both
# processes are gone; an error reply from sock_diag falls back to /proc and
# says so; a process that exits while being scanned gives a clean answer or
# a clean error, never a crash.
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
export BUILDDIR
N=40
S=3

work=$(mktemp -d /tmp/godiag-conns.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION JQ_EXPR FILE
	checks=$((checks + 1))
	if jq -e "$2" "$3" >/dev/null; then echo "ok: $1"; else fail "$1 ($2)"; fi
}

"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/idleconns" "$work/idleconns"

wait_ready() { # wait_ready FILE PID
	for _ in $(seq 1 200); do
		grep -q '^READY' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || { echo "process $2 died:"; cat "$1"; return 1; }
		sleep 0.05
	done
	echo "timeout waiting for READY in $1"; return 1
}

# ---- the leak ----
"$work/idleconns" -ttl 120s >"$work/server.out" 2>&1 &
spid=$!; pids+=("$spid")
wait_ready "$work/server.out" "$spid"
addr=$(sed -n 's/^ADDR=//p' "$work/server.out")
port=${addr##*:}
"$work/idleconns" -clients "$N" -addr "$addr" -ttl 120s >"$work/clients.out" 2>&1 &
cpid=$!; pids+=("$cpid")
wait_ready "$work/clients.out" "$cpid"
sleep "$S"

"$GODIAG" conns "$spid" --json --record-netlink "$work/rec.bin" >"$work/live.json"
inb=".groups[] | select(.direction == \"inbound\" and .port == $port)"
check "source is sock_diag" '.source == "sock_diag" and .idle_known' "$work/live.json"
check "exactly $N ESTABLISHED on :$port" "[$inb] | length == 1 and .[0].states.ESTABLISHED == $N and .[0].sockets == $N" "$work/live.json"
check "the listener is $addr" "[$inb][0].listen == [\"$addr\"]" "$work/live.json"
check "all peers are 127.0.0.1" "[$inb][0].peers | length == 1 and .[0].addr == \"127.0.0.1\" and .[0].sockets == $N" "$work/live.json"
check "oldest idle >= ${S}s" "[$inb][0].oldest_idle.idle_ms >= ${S}000" "$work/live.json"
check "nothing idle < 1s" "[$inb][0].idle_histogram[\"<1s\"] == 0" "$work/live.json"
check "server totals" ".totals.established == $N and .totals.listening == 1" "$work/live.json"
check "sockstat counts them" ".sockstat.tcp_inuse >= $((2 * N))" "$work/live.json"

# every one of the N is idle >= S: none is hidden by --min-idle S
"$GODIAG" conns "$spid" --json --min-idle "${S}s" >"$work/minidle.json"
check "--min-idle ${S}s keeps all $N" "[$inb][0].sockets == $N and .hidden_by_min_idle == 0" "$work/minidle.json"
"$GODIAG" conns "$spid" --json --min-idle 1h >"$work/minidle1h.json"
check "--min-idle 1h hides all $N" "([$inb][0].sockets // 0) == 0 and .hidden_by_min_idle == $N" "$work/minidle1h.json"

# an independent witness: ss sees the same N sockets with lastrcv >= S
checks=$((checks + 1))
ssn=$(ss -tinH state established "( sport = :$port )" | grep -o 'lastrcv:[0-9]*' | awk -F: -v s="$S" '$2 >= s*1000' | wc -l)
if [ "$ssn" = "$N" ]; then echo "ok: ss agrees ($ssn idle >= ${S}s)"; else fail "ss sees $ssn sockets idle >= ${S}s on :$port, want $N"; fi

# the text output names the port and the count
"$GODIAG" conns "$spid" >"$work/live.txt"
checks=$((checks + 1))
if grep -q "^inbound on :$port " "$work/live.txt" && grep -q "  $N sockets: ESTABLISHED $N" "$work/live.txt" &&
	grep -q '^source: sock_diag' "$work/live.txt"; then
	echo "ok: text output"
else
	fail "text output"; cat "$work/live.txt"
fi

# no sock_diag (a recorded error reply): /proc fallback, said out loud
"$GODIAG" conns "$spid" --json --replay-netlink "$SRCDIR/tests/fixtures/netlink/error-enoent.bin" >"$work/fallback.json"
check "fallback source is /proc" ".source | test(\"/proc/$spid/net/tcp .no idle times\")" "$work/fallback.json"
check "fallback says why" '.idle_known == false and (.notes | map(test("sock_diag not used")) | any)' "$work/fallback.json"
check "fallback still finds $N" "[$inb][0].states.ESTABLISHED == $N and [$inb][0].idle_histogram == null" "$work/fallback.json"
"$GODIAG" conns "$spid" --replay-netlink "$SRCDIR/tests/fixtures/netlink/error-enoent.bin" >"$work/fallback.txt"
checks=$((checks + 1))
if grep -q 'idle times: unknown' "$work/fallback.txt" && grep -q 'note: sock_diag not used' "$work/fallback.txt"; then
	echo "ok: fallback text says so"
else
	fail "fallback text"; cat "$work/fallback.txt"
fi

# ---- replay after the processes are gone ----
kill "$spid" "$cpid"
wait "$spid" "$cpid" 2>/dev/null || true
checks=$((checks + 1))
if "$GODIAG" conns "$spid" --json >/dev/null 2>"$work/gone.err"; then
	fail "conns on a dead pid succeeded"
else
	grep -q "no such process $spid" "$work/gone.err" && echo "ok: dead pid is a clean error" ||
		fail "dead pid message: $(cat "$work/gone.err")"
fi
"$GODIAG" conns "$spid" --json --replay-netlink "$work/rec.bin" >"$work/replay.json"
check "replay source" '.source | test("replayed")' "$work/replay.json"
checks=$((checks + 1))
if [ "$(jq -S '{groups, totals, sockstat, idle_known}' "$work/live.json")" = \
	"$(jq -S '{groups, totals, sockstat, idle_known}' "$work/replay.json")" ]; then
	echo "ok: replay gives the same answer"
else
	fail "replay differs"; diff <(jq -S .groups "$work/live.json") <(jq -S .groups "$work/replay.json") | head -20
fi

# ---- a process that exits while we scan it ----
"$work/idleconns" -ttl 1500ms >"$work/server2.out" 2>&1 &
s2=$!; pids+=("$s2")
wait_ready "$work/server2.out" "$s2"
addr2=$(sed -n 's/^ADDR=//p' "$work/server2.out")
"$work/idleconns" -clients "$N" -addr "$addr2" -ttl 1400ms >"$work/clients2.out" 2>&1 &
pids+=("$!")
good=0; gone=0; partial=0; bad=0
for i in $(seq 1 400); do
	rc=0
	"$GODIAG" conns "$s2" --json >"$work/race.json" 2>"$work/race.err" || rc=$?
	case $rc in
	0) good=$((good + 1)) ;;
	1)
		if grep -q '"partial": true' "$work/race.json" 2>/dev/null; then
			partial=$((partial + 1))
		elif grep -qE "no such process|exited" "$work/race.err"; then
			gone=$((gone + 1))
		else
			bad=$((bad + 1)); echo "unexpected failure: $(cat "$work/race.err")"
		fi ;;
	3)
		# exit 3 is "target unreadable": the process is gone, said in one line
		if grep -qE "no such process|exited" "$work/race.err"; then
			gone=$((gone + 1))
		else
			bad=$((bad + 1)); echo "rc 3 without a reason: $(cat "$work/race.err")"
		fi ;;
	*) bad=$((bad + 1)); echo "rc $rc: $(cat "$work/race.err")" ;;
	esac
	[ -s "$work/race.json" ] && ! jq -e . "$work/race.json" >/dev/null 2>&1 && { bad=$((bad + 1)); echo "invalid JSON"; }
	if ! kill -0 "$s2" 2>/dev/null; then
		gone_after=$((${gone_after:-0} + 1))
		[ "$gone_after" -ge 3 ] && break
	fi
done
checks=$((checks + 1))
echo "exit race: $good full, $partial partial, $gone clean errors, $bad bad"
if [ "$bad" = 0 ] && [ "$good" -gt 0 ] && [ $((gone + partial)) -gt 0 ]; then
	echo "ok: a process exiting mid-scan gives answers or clean errors"
else
	fail "exit race"
fi

echo "conns_idle: $checks checks, $fails failed"
[ "$fails" = 0 ]
