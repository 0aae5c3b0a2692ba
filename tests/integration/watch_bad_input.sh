#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# watch_bad_input.sh (about 15 s): sick targets next to a healthy one in one
# watch process: one that goes away (killed after a few samples), one that
# hangs, one that answers garbage, one that streams a 10 GB answer, and a
# port nobody listens on.  Each must be marked down with its reason, the
# healthy one sampled on time every second, and watch must not crash, hang or
# grow without bound.  Bad command lines exit 2 with one line on stderr.
set -uo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
source "$SRCDIR/tests/lib/scenario.sh"
scen_init watch-bad

bin=$(scen_build waves) || { echo "SKIP: cannot build tests/scenarios/waves"; exit 77; }
W=$SCEN_WORK
scen_start GOOD "$bin" -period 4s -ttl 2m || exit 1
scen_start GONE "$bin" -period 4s -ttl 2m || exit 1
scen_start HANG "$bin" -bad hang -ttl 2m || exit 1
scen_start GARB "$bin" -bad garbage -ttl 2m || exit 1
scen_start HUGE "$bin" -bad huge -ttl 2m || exit 1
DEAD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

DUR=14
/usr/bin/time -f '%M' -o "$W/rss" "$GODIAG" watch --db "$W/w.db" --interval 1s --period 4s --duration ${DUR}s \
	--listen none --no-capture \
	"http://$GOOD_ADDR" "$GONE_PID" "http://$HANG_ADDR" "http://$GARB_ADDR" "http://$HUGE_ADDR" \
	"http://127.0.0.1:$DEAD_PORT" >"$W/events" 2>"$W/err" &
WATCH=$!
SCEN_PIDS+=("$WATCH")
sleep 4
scen_stop "$GONE_PID"
t0=$SECONDS
wait "$WATCH"
rc=$?
el=$((SECONDS - t0 + 4))
expect_rc "watch over sick targets" "$rc" 0 1
[ "$el" -le $((DUR + 8)) ] && ok "watch ended on time (${el}s)" || fail "watch took ${el}s for --duration ${DUR}s"

down() { grep "^[^ ]* $1 down: " "$W/events" | head -1; }
expect_down() { # NAME TARGET REGEX
	local line
	line=$(down "$2")
	if [ -n "$line" ] && printf '%s\n' "$line" | grep -Eqi "$3"; then ok "$1 marked down: ${line#* down: }"
	else fail "$1: want a down event matching /$3/, got: ${line:-nothing}"; fi
}
expect_down "gone" "$GONE_PID" "exited|refused|connect"
expect_down "hang" "http://$HANG_ADDR" "timed? ?out|timeout"
expect_down "garbage" "http://$GARB_ADDR" "format|no go_goroutines|MemStats|total"
expect_down "10 GB answer" "http://$HUGE_ADDR" "cap|too big|over"
expect_down "no listener" "http://127.0.0.1:$DEAD_PORT" "refused|connect"
if grep -q "http://$GOOD_ADDR down" "$W/events"; then fail "the healthy target went down: $(down "http://$GOOD_ADDR")"
else ok "the healthy target stayed up"; fi

"$GODIAG" watch --export csv --db "$W/w.db" >"$W/export.csv"
n=$(grep -c "^http://$GOOD_ADDR,.*,metrics," "$W/export.csv")
[ "$n" -ge $((DUR - 2)) ] && ok "the healthy target was sampled on time ($n samples in ${DUR}s)" ||
	fail "the healthy target got only $n samples in ${DUR}s"
n=$(grep -c "^$GONE_PID," "$W/export.csv")
[ "$n" -ge 2 ] && ok "the gone target has its samples from before ($n)" || fail "gone target: $n samples"
peak=$(tail -1 "$W/rss")
if grep -qa __asan_report "$GODIAG"; then
	ok "peak RSS ${peak} KB (AddressSanitizer build: no bound)"
else
	[ "$peak" -lt 120000 ] && ok "watch peak RSS ${peak} KB with a 10 GB answer" || fail "watch peak RSS ${peak} KB"
fi

# Usage errors: exit 2, one line.
"$GODIAG" watch >/dev/null 2>"$W/e1"; expect_rc "no target" $? 2
"$GODIAG" watch --interval 0 1 >/dev/null 2>"$W/e2"; expect_rc "bad interval" $? 2
"$GODIAG" watch ftp://x >/dev/null 2>"$W/e3"; expect_rc "bad target" $? 2
"$GODIAG" watch --listen 1.2.3:99999 --db "$W/x.db" --duration 1s 1 >/dev/null 2>"$W/e4"; expect_rc "bad --listen" $? 2
"$GODIAG" watch --export csv --db "$W/nope.db" >/dev/null 2>"$W/e5"; expect_rc "export of a missing store" $? 3
for f in e1 e2 e3 e4 e5; do
	[ "$(wc -l <"$W/$f")" -le 2 ] && ok "$f: short message: $(head -1 "$W/$f")" || { fail "$f: long message"; cat "$W/$f"; }
done
scen_summary
