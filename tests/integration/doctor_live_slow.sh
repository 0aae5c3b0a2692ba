#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doctor_live_slow.sh: the young-leak and pool verdicts of issue 11 on live
# processes, with real waits (about 2 min 40 s of wall time: every wait
# runs concurrently).
#   - 100 keep-alive clients held idle 2.5 min on a server without timeouts:
#     `doctor PID` gives http-server-idle-conn at warning or above, with 100
#     goroutines and 100 sockets (under the 10 min idle threshold, past the
#     2 min suspect floor);
#   - `doctor PID --observe 60s` started 30 s after the clients connected
#     (every connection younger than the suspect floor) reports it with the
#     survival evidence: the same goroutine ids and 4-tuples, idle throughout;
#   - the fixed twin is clean both ways;
#   - an idle pool of 32 workers is not critical; a pool that leaks one
#     goroutine per request is;
#   - a URL that accepts and never answers: exit 3 in at most 45 s with the
#     defaults, one line "no response from URL in 30 s" (run during the
#     waits); a non-Go PID: exit 3, "not a Go process".
# Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
scen_init doctor-live-slow
W=$SCEN_WORK
N=100
TTL=6m
sel() { printf '[.findings[] | select(.rule == "%s")]' "$1"; }

hb=$(scen_build httpleak) || { fail "build httpleak"; scen_summary; exit 1; }
pb=$(scen_build workpool) || { fail "build workpool"; scen_summary; exit 1; }
scen_start LS "$hb" -ttl "$TTL" || exit 1
scen_start FS "$hb" -fixed -ttl "$TTL" || exit 1
scen_start WP "$pb" -workers 32 -ttl "$TTL" || exit 1
scen_start WL "$pb" -workers 32 -leak -requests 40 -every 1s -ttl "$TTL" || exit 1
scen_start LC "$hb" -clients "$N" -addr "$LS_ADDR" -ttl "$TTL" || exit 1
scen_start FC "$hb" -clients "$N" -addr "$FS_ADDR" -ttl "$TTL" || exit 1
t0=$(date +%s)   # every client has connected and made its request

# During the waits: a server that accepts and never answers, and a non-Go PID.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print("ADDR=127.0.0.1:%d" % s.getsockname()[1]); print("READY"); sys.stdout.flush()
held = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(1)
    try: held.append(s.accept())
    except OSError: pass
' >"$W/hang.out" &
SCEN_PIDS+=($!)
for _ in $(seq 1 50); do grep -q READY "$W/hang.out" && break; sleep 0.1; done
HANG=$(sed -n 's/^ADDR=//p' "$W/hang.out")
( s=$(date +%s); timeout 60 "$GODIAG" doctor "http://$HANG" >"$W/hang.json" 2>"$W/hang.err"; echo "$? $(( $(date +%s) - s ))" >"$W/hang.rc" ) &
hang_job=$!
sleep 300 &
NOTGO=$!
SCEN_PIDS+=("$NOTGO")
timeout 30 "$GODIAG" doctor "$NOTGO" >"$W/notgo.out" 2>"$W/notgo.err"
expect_rc "non-Go PID: target unreadable" $? 3
if grep -q "not a Go process" "$W/notgo.err" && [ "$(wc -l <"$W/notgo.err")" = 1 ]; then
	ok "non-Go PID: one stderr line, 'not a Go process'"
else
	fail "non-Go PID: stderr: $(head -c 300 "$W/notgo.err")"
fi
[ -s "$W/notgo.out" ] && fail "non-Go PID: a report was printed: $(head -c 200 "$W/notgo.out")" || ok "non-Go PID: no report on stdout"

until_t() { local d=$(( t0 + $1 - $(date +%s) )); [ "$d" -gt 0 ] && sleep "$d"; return 0; }

# 30 s after the clients connected: a second look over 60 s, in the background.
until_t 30
timeout 120 "$GODIAG" doctor "$LS_PID" --observe 60s --json >"$W/obs-leak.json" 2>"$W/obs-leak.err" &
obs_leak=$!
timeout 120 "$GODIAG" doctor "$FS_PID" --observe 60s --json >"$W/obs-fixed.json" 2>"$W/obs-fixed.err" &
obs_fixed=$!
wait "$obs_leak"; rc_obs_leak=$?
wait "$obs_fixed"; rc_obs_fixed=$?

q=$(sel http-server-idle-conn)
f=$W/obs-leak.json
expect_rc "observe leak: findings" "$rc_obs_leak" 1
check "observe leak: http-server-idle-conn at warning or above" \
	"$q | length == 1 and (.[0].severity | IN(\"warning\", \"critical\"))" "$f"
check "observe leak: 100 goroutines, 100 sockets" "${q}[0] | .goroutines == $N and .sockets == $N" "$f"
check "observe leak: survival evidence, 100 of 100 goroutines" \
	"${q}[0].evidence | map(select(.what == \"goroutines in both snapshots, same id and stack\" and .value == $N)) | length == 1" "$f" "${q}[0].evidence"
check "observe leak: 100 connections idle throughout" \
	"${q}[0].evidence | map(select(.what == \"of them idle throughout\" and .value == $N)) | length == 1" "$f" "${q}[0].evidence"
check "observe leak: the second look is stated" \
	"${q}[0].summary | test(\"Second look: $N of $N goroutines survived 1 min\")" "$f" "${q}[0].summary"
check "observe leak: two snapshots read" ".snapshots | length == 2" "$f"
f=$W/obs-fixed.json
expect_rc "observe fixed twin: clean" "$rc_obs_fixed" 0
check "observe fixed twin: no http-server-idle-conn" "$q | length == 0" "$f"

wait "$hang_job"
read -r hang_rc hang_s <"$W/hang.rc"
expect_rc "hanging URL: target unreadable" "$hang_rc" 3
[ "$hang_s" -le 45 ] && ok "hanging URL: gave up in $hang_s s (<= 45)" || fail "hanging URL: took $hang_s s"
if [ "$(cat "$W/hang.err")" = "godiag: error: no response from http://$HANG in 30 s" ]; then
	ok "hanging URL: one line, 'no response from URL in 30 s'"
else
	fail "hanging URL: stderr: $(head -c 300 "$W/hang.err")"
fi

# 2.5 min after the clients connected: one look.
until_t 150
for p in LS FS WP WL; do
	pid_var="${p}_PID"
	timeout 120 "$GODIAG" doctor "${!pid_var}" --json >"$W/$p.json" 2>"$W/$p.err"
	printf -v "rc_$p" '%s' $?
done
f=$W/LS.json
expect_rc "leak at 2.5 min: findings" "$rc_LS" 1
check "leak at 2.5 min: http-server-idle-conn at warning or above" \
	"$q | length == 1 and (.[0].severity | IN(\"warning\", \"critical\"))" "$f"
check "leak at 2.5 min: 100 goroutines and 100 sockets" "${q}[0] | .goroutines == $N and .sockets == $N" "$f"
check "leak at 2.5 min: the inferred timeout is marked inferred" \
	"${q}[0].evidence | map(select(.basis == \"inferred\" and (.text | test(\"no IdleTimeout\")))) | length == 1" "$f" "${q}[0].evidence"
check "leak at 2.5 min: godiag's own request is not counted" \
	"[.findings[] | select(.rule == \"http-server-idle-conn\") | .frames[] | select(test(\"pprof\"))] | length == 0" "$f"
f=$W/FS.json
expect_rc "fixed twin at 2.5 min: clean" "$rc_FS" 0
check "fixed twin at 2.5 min: no http-server-idle-conn" "$q | length == 0" "$f"

q=$(sel goroutine-blocked-chan)
f=$W/WP.json
check "idle pool of 32: nothing critical" '[.findings[] | select(.severity == "critical")] | length == 0' "$f"
check "idle pool of 32: called a possible idle pool (info), 32 goroutines" \
	"$q | length == 1 and .[0].severity == \"info\" and .[0].goroutines == 32 and (.[0].summary | test(\"idle pool\"))" "$f"
f=$W/WL.json
expect_rc "pool leaking per request: findings" "$rc_WL" 1
check "pool leaking per request: goroutine-blocked-chan critical at main.compute" \
	"$q | map(select(.severity == \"critical\" and (.summary | test(\"main.compute\")) and .goroutines >= 40)) | length == 1" "$f"
check "pool leaking per request: the idle pool beside it is not critical" \
	"$q | map(select(.severity == \"critical\" and (.summary | test(\"main.worker\")))) | length == 0" "$f"
echo "wall time: $(( $(date +%s) - t0 )) s after the clients connected"
scen_summary
