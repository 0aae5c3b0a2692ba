#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# census.sh [GODIAG_BUILD]: the memory census on ~100,000 goroutines, side
# by side with the process's own goroutine?debug=2.  Starts
# tests/scenarios/censusmix -n 11000 -io 1000 (Go 1.19 by default,
# BENCH_GO=1.2x for another), then for each of 3 runs: the census's wall
# time and peak RSS (census_dump under /usr/bin/time), and the target's worst
# /ping latency measured by a probe hammering it during the census, during a
# debug=2 dump, and idle.  Checks the census's goroutine count against the
# dump's and that the census is under a second... prints a markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
B=${1:-$src/build}
DUMP=$B/tests/unit/census_dump
GO=${BENCH_GO:-1.19}
N=${BENCH_N:-11000}
REPS=${BENCH_REPS:-3}
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT
GODIAG_GO_WORK=${GODIAG_GO_WORK:-$B/go-work} "$src/tests/lib/gobuild.sh" "$src/tests/scenarios/censusmix" "$out/cm" "$GO"
"$out/cm" -n "$N" -io 1000 -ttl 20m >"$out/cm.out" &
pids+=($!)
for _ in $(seq 600); do grep -q READY "$out/cm.out" && break; sleep 0.1; done
pid=$(sed -n 's/PID=//p' "$out/cm.out")
pp=$(sed -n 's/PPROF=//p' "$out/cm.out")

# probe: GET /ping in a loop on one keep-alive connection until $out/stop
# appears; prints the worst latency in ms
cat >"$out/probe.py" <<'PY'
import http.client, os, sys, time
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=30)
worst, n = 0.0, 0
c.request("GET", "/ping"); c.getresponse().read()
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2]):
    t = time.monotonic()
    c.request("GET", "/ping"); c.getresponse().read()
    worst = max(worst, time.monotonic() - t); n += 1
print("%.1f %d" % (worst * 1000, n))
PY
run_census() {
	/usr/bin/time -f "%e %M" -o "$out/time.txt" "$DUMP" "$pid" >"$out/census.txt" 2>"$out/census.err"
}
run_debug2() {
	curl -s -o "$out/debug2.txt" -w '%{time_total}' "http://$pp/debug/pprof/goroutine?debug=2" >"$out/d2wall"
}
probe() { # probe CMD... -> "worst_ms requests" while CMD runs
	rm -f "$out/stop" "$out/stop.ready"
	python3 "$out/probe.py" "$pp" "$out/stop" >"$out/probe.txt" &
	local pr=$!
	for _ in $(seq 300); do [ -e "$out/stop.ready" ] && break; sleep 0.05; done
	sleep 0.2
	"$@" >/dev/null
	touch "$out/stop"
	wait $pr
	cat "$out/probe.txt"
}
total=$(curl -s "http://$pp/debug/pprof/goroutine?debug=1" | head -1 | sed 's/.*total //')
echo "# target: Go $GO, $total goroutines (debug=1 total), pid $pid"
echo "| run | census wall | census peak RSS | census goroutines | worst /ping during census | debug=2 wall | worst /ping during debug=2 | worst /ping idle |"
echo "|---|---|---|---|---|---|---|---|"
for r in $(seq "$REPS"); do
	idle=$(probe sleep 1)
	cen=$(probe run_census)
	read -r cwall crss <"$out/time.txt"
	cg=$(grep -c '^goroutine ' "$out/census.txt")
	d2=$(probe run_debug2)
	dwall=$(cat "$out/d2wall")
	echo "| $r | ${cwall} s | $((crss / 1024)) MB | $cg | ${cen%% *} ms | ${dwall} s | ${d2%% *} ms | ${idle%% *} ms |"
done
dg=$(grep -c '^goroutine ' "$out/debug2.txt")
echo "# debug=2 goroutines: $dg; census: $cg; census said: $(cut -c1-200 "$out/census.err")"
python3 "$src/tests/lib/census_compare.py" --slack=5 "$out/census.txt" "$out/debug2.txt" | tail -3 || true
