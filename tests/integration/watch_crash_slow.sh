#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# watch_crash_slow.sh (about 90 s): kill -9 `godiag watch` at 50 random
# moments while it samples two targets ten times a second into one store.
# After every kill the store must open (export succeeds, PRAGMA
# integrity_check says ok), and every sample that an export showed before
# the kill (i.e. committed) must still be there, byte for byte.
set -uo pipefail
export LC_ALL=C
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
source "$SRCDIR/tests/lib/scenario.sh"
scen_init watch-crash

bin=$(scen_build waves) || { echo "SKIP: cannot build tests/scenarios/waves"; exit 77; }
W=$SCEN_WORK
scen_start A "$bin" -period 4s -ttl 5m || exit 1
scen_start B "$bin" -period 4s -ttl 5m || exit 1
DB=$W/state/w.db
N=${CRASH_RUNS:-50}
lost=0 unopen=0 corrupt=0
for i in $(seq 1 "$N"); do
	"$GODIAG" watch --db "$DB" --interval 100ms --period 4s --listen none --no-capture \
		"http://$A_ADDR" "$A_PID" >/dev/null 2>>"$W/err" &
	w=$!
	# A random moment: 0.2 to 1.4 s in; an export in the middle (a
	# reader while the writer runs) records what is committed so far.
	sleep "0.$((RANDOM % 6 + 2))"
	"$GODIAG" watch --export csv --db "$DB" 2>/dev/null | sort >"$W/before.csv"
	sleep "0.$((RANDOM % 8))$((RANDOM % 10))"
	kill -9 "$w"
	wait "$w" 2>/dev/null
	if ! "$GODIAG" watch --export csv --db "$DB" 2>"$W/exp.err" | sort >"$W/after.csv"; then
		unopen=$((unopen + 1))
		echo "run $i: the store did not open: $(cat "$W/exp.err")"
		continue
	fi
	if [ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" != ok ]; then
		corrupt=$((corrupt + 1))
		echo "run $i: integrity_check failed"
	fi
	missing=$(comm -23 "$W/before.csv" "$W/after.csv" | wc -l)
	if [ "$missing" -gt 0 ]; then
		lost=$((lost + missing))
		echo "run $i: $missing committed rows lost or changed"
		comm -23 "$W/before.csv" "$W/after.csv" | head -3
	fi
done
rows=$(($(wc -l <"$W/after.csv") - 1))
[ "$unopen" -eq 0 ] && ok "the store opened after all $N kills" || fail "$unopen of $N kills left a store that does not open"
[ "$corrupt" -eq 0 ] && ok "integrity_check ok after all $N kills" || fail "$corrupt corrupt stores"
[ "$lost" -eq 0 ] && ok "no committed sample lost or changed ($rows rows at the end)" || fail "$lost committed rows lost"
[ "$rows" -gt $((N * 4)) ] && ok "samples were stored between kills ($rows)" || fail "only $rows rows stored"
scen_summary
