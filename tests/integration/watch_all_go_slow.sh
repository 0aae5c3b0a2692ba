#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# watch_all_go_slow.sh (about 80 s): `godiag watch --all-go` on real Go
# processes.  A is running when watch starts: it must be added by the first
# scan.  B starts 5 s later: the rescan a minute in must add it.  A is killed
# 10 s in: it must be marked down, and B must have samples of its own in the
# store.  Then, on a terminal (script(1) gives it a pty), watch draws one
# status line per target instead of event lines.
set -uo pipefail
: "${SRCDIR:?}" "${BUILDDIR:?}" "${GODIAG:?}"
source "$SRCDIR/tests/lib/scenario.sh"
scen_init watch-all-go
W=$SCEN_WORK
bin=$(scen_build waves) || { fail "build waves"; scen_summary; exit 1; }

scen_start A "$bin" -period 20s -peak 50 -leak 0 -ttl 3m || { fail "A did not start"; scen_summary; exit 1; }
"$GODIAG" watch --all-go --interval 1s --duration 75s --no-capture --listen none --json \
	--db "$W/w.db" >"$W/events.json" 2>"$W/watch.err" &
WATCH=$!
SCEN_PIDS+=("$WATCH")
sleep 5
scen_start B "$bin" -period 20s -peak 50 -leak 0 -ttl 3m || fail "B did not start"
sleep 5
kill -9 "$A_PID"
wait "$WATCH"
rc=$?
[ "$rc" -le 1 ] && ok "watch --all-go ran its 75 s (exit $rc)" || fail "watch exit $rc: $(head -c 300 "$W/watch.err")"
ev() { jq -c --arg t "$1" --arg e "$2" 'select(.target == $t and .event == $e)' "$W/events.json" | head -1; }
[ -n "$(ev "$A_PID" added)" ] && ok "A added by the first scan" || fail "A not added: $(head -c 600 "$W/events.json")"
[ -n "$(ev "$A_PID" down)" ] && ok "A, killed, marked down: $(ev "$A_PID" down | jq -r .text | cut -c1-100)" ||
	fail "A not marked down: $(jq -c "select(.target == \"$A_PID\")" "$W/events.json" | head -5)"
[ -n "$(ev "$B_PID" added)" ] && ok "B, started later, added by the rescan" ||
	fail "B not added: $(jq -c "select(.target == \"$B_PID\")" "$W/events.json" | head -5)"
"$GODIAG" watch --export json --db "$W/w.db" >"$W/export.json" 2>/dev/null
check "B has samples of its own" \
	"[.samples[] | select((.target | tostring) == \"$B_PID\" and .goroutines >= 1)] | length >= 1" "$W/export.json" \
	'.samples[0:3]'

# On a terminal: status lines, no event lines.
script -qfec "$GODIAG watch --interval 1s --duration 4s --no-capture --listen none --db $W/t.db $B_PID" \
	/dev/null >"$W/tty.out" 2>&1
if grep -q "^$B_PID .* up .*g=" "$W/tty.out" || grep -qa "$B_PID  up    g=" "$W/tty.out"; then
	ok "a terminal gets a status line per target"
else
	fail "no status line: $(head -c 400 "$W/tty.out" | cat -v)"
fi
grep -qa $'\033\\[K' "$W/tty.out" && ok "status lines are redrawn in place" || fail "no redraw escape in the terminal output"
scen_summary
