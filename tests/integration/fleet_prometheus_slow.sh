#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# godiag fleet against a real Prometheus (Debian's, loopback, 1 s scrape, a
# temp config and TSDB) scraping six scenario services for about 2.5 minutes
# (slow: it waits on wall-clock time):
#   leak-a, leak-b  goroutines in waves of 20 s whose troughs rise (-leak)
#   twin            the same waves, no leak
#   calm            small waves, no leak
#   madv            GODEBUG=madvdontneed=0: the heap comes and goes, RSS stays
#   madv-twin       GODEBUG=madvdontneed=1: RSS follows the heap
# fleet must rank exactly leak-a and leak-b (goroutine-growth-trend) and madv
# (rss-held-by-madv-free), nothing for the healthy three; the drill-down must
# name the leaking stack; --html must carry a sparkline per suspect; the rules
# of --emit-rules must pass promtool and load into that Prometheus.
#
# The scenario is tests/scenarios/waves (written for `godiag watch`): flags
# -period, -peak N, -leak N per period, -mem MiB; /metrics, /debug/vars,
# /debug/pprof/; it prints ADDR=127.0.0.1:PORT, then READY.
set -uo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
export BUILDDIR
[ -d "$SRCDIR/tests/scenarios/waves" ] || { echo "SKIP: tests/scenarios/waves (the watch scenario) is not there yet"; exit 77; }
command -v prometheus >/dev/null && command -v promtool >/dev/null || { echo "SKIP: prometheus/promtool not installed"; exit 77; }

work=$(mktemp -d /tmp/godiag-fleet.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAIL: $1"; }
# jq 1.6 -e exits 0 on an empty file: a crash must not pass
check() { if [ -s "$3" ] && jq -e "$2" "$3" >/dev/null 2>&1; then ok "$1"; else bad "$1"; fi; }

bin=$work/waves
"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/waves" "$bin" 1.19 || { echo "cannot build waves"; exit 1; }

declare -A addr
start() { # NAME GODEBUG ARGS...
	local name=$1 gd=$2 out=$work/$1.out
	shift 2
	GODEBUG=$gd "$bin" "$@" >"$out" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do
		grep -qs 'READY' "$out" && break
		sleep 0.1
	done
	addr[$name]=$(grep '^ADDR=' "$out" | head -1 | cut -d= -f2)
	[ -n "${addr[$name]}" ] || { echo "scenario $name did not start: $(cat "$out")"; exit 1; }
}
start leak-a madvdontneed=1 -period 20s -peak 200 -leak 6
start leak-b madvdontneed=1 -period 20s -peak 120 -leak 3
start twin madvdontneed=1 -period 20s -peak 200 -leak 0
start calm madvdontneed=1 -period 20s -peak 30 -leak 0
start madv madvdontneed=0 -period 20s -peak 20 -leak 0 -mem 256
start madv-twin madvdontneed=1 -period 20s -peak 20 -leak 0 -mem 256

"$GODIAG" fleet --emit-rules --period 20s >"$work/rules.yml" || bad "--emit-rules exit"
if promtool check rules "$work/rules.yml" >"$work/promtool.out" 2>&1; then ok "promtool check rules"; else bad "promtool check rules: $(cat "$work/promtool.out")"; fi

pport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
{
	printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - %s\nscrape_configs:\n' "$work/rules.yml"
	for n in "${!addr[@]}"; do
		printf '  - job_name: %s\n    static_configs:\n      - targets: ["%s"]\n' "$n" "${addr[$n]}"
	done
} >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
	--web.listen-address=127.0.0.1:$pport --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
prom=http://127.0.0.1:$pport
for _ in $(seq 100); do curl -sf "$prom/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "$prom/-/ready" >/dev/null || { echo "prometheus did not start: $(cat "$work/prometheus.log")"; exit 1; }

echo "scraping for 150 s ..."
sleep 150

# the rules loaded and evaluate without error
curl -s "$prom/api/v1/rules" >"$work/rules.json"
check "rules loaded: both groups" '[.data.groups[].name] | sort == ["godiag-alerts","godiag-troughs"]' "$work/rules.json"
check "rules evaluate: every rule health ok" '[.data.groups[].rules[].health] | all(. == "ok")' "$work/rules.json"
curl -s "$prom/api/v1/query?query=ALERTS" >"$work/alerts.json"
echo "PromQL alerts now: $(jq -c '[.data.result[].metric | {alertname, job}]' "$work/alerts.json")"
check "PromQL alert for no healthy instance" \
	'[.data.result[].metric.job] | map(select(. == "twin" or . == "calm" or . == "madv-twin")) | length == 0' "$work/alerts.json"

t0=$(date +%s.%N)
"$GODIAG" fleet --prometheus "$prom" --range 150s --step 1s --period 20s --pprof-url 'http://{instance}' \
	--json --html "$work/fleet.html" >"$work/fleet.json" 2>"$work/fleet.err"
rc=$?
t1=$(date +%s.%N)
echo "godiag fleet: exit $rc in $(awk "BEGIN{print $t1 - $t0}") s"
[ -s "$work/fleet.err" ] && { echo "its stderr:"; head -20 "$work/fleet.err"; }
[ "$rc" = 1 ] && ok "exit 1 (suspects)" || bad "exit $rc: $(cat "$work/fleet.err")"
jq . "$work/fleet.json" >"$work/fleet.pretty" 2>/dev/null || cp "$work/fleet.json" "$work/fleet.pretty"
inst_of() { echo "${addr[$1]}"; }
check "six instances" '.instances == 6' "$work/fleet.json"
check "no errors" '.errors == []' "$work/fleet.json"
check "the suspects are exactly leak-a, leak-b, madv" \
	"[.suspects[].job] | unique == [\"leak-a\",\"leak-b\",\"madv\"]" "$work/fleet.json"
check "leak-a: goroutine-growth-trend" \
	'[.suspects[] | select(.job == "leak-a") | .rule] | index("goroutine-growth-trend") != null' "$work/fleet.json"
check "leak-b: goroutine-growth-trend" \
	'[.suspects[] | select(.job == "leak-b") | .rule] | index("goroutine-growth-trend") != null' "$work/fleet.json"
check "madv: rss-held-by-madv-free" \
	'[.suspects[] | select(.job == "madv") | .rule] == ["rss-held-by-madv-free"]' "$work/fleet.json"
check "leak-a grows faster than leak-b" \
	'([.suspects[] | select(.job == "leak-a" and .rule == "goroutine-growth-trend")][0].growth_per_day) > ([.suspects[] | select(.job == "leak-b" and .rule == "goroutine-growth-trend")][0].growth_per_day)' \
	"$work/fleet.json"
check "ranked by severity (critical, warning, info)" \
	'[.suspects[].severity | {"critical": 2, "warning": 1, "info": 0}[.]] | . == (sort | reverse)' "$work/fleet.json"
check "the MADV_FREE hold ranks last (not a leak)" '.suspects[-1].rule == "rss-held-by-madv-free"' "$work/fleet.json"
check "leak-a: growth near 6 per 20 s" \
	'[.suspects[] | select(.job == "leak-a" and .rule == "goroutine-growth-trend")][0].growth_per_day | (. > 0.6*6*4320 and . < 1.6*6*4320)' \
	"$work/fleet.json"
check "drill-down into leak-a named a stack" \
	'[.suspects[] | select(.job == "leak-a")][0].evidence | map(select(.what == "drill-down"))[0] | .ok and (.frames | length > 0) and (.rule != null)' \
	"$work/fleet.json"
jq -r '.suspects[] | select(.job == "leak-a") | .evidence[] | select(.what == "drill-down") | .frames[]' \
	"$work/fleet.json" | sort -u >"$work/stack"
echo "drill-down stack of leak-a:"; sed 's/^/    /' "$work/stack"
# the leaking stack is the scenario's leak (main.leakyWorker), not its waves
# (main.waveWorker)
if grep -q '^main\.leakyWorker ' "$work/stack"; then ok "the drill-down names main.leakyWorker"; else bad "the drill-down does not name main.leakyWorker"; fi
if grep -q 'waveWorker' "$work/stack"; then bad "the drill-down shows the waves' stack"; else ok "not the waves' stack"; fi
# the html: a sparkline per suspect, labels escaped, no script
n=$(jq '.suspects | length' "$work/fleet.json")
s=$(grep -o '<svg' "$work/fleet.html" | wc -l)
[ "$s" = "$n" ] && ok "html: $s sparklines for $n suspects" || bad "html: $s sparklines for $n suspects"
grep -q '<script' "$work/fleet.html" && bad "html has a script" || ok "html: no script"

echo "fleet_prometheus_slow: $passed passed, $failed failed"
[ "$failed" = 0 ]
