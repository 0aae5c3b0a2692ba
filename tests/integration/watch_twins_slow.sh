#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# watch_twins_slow.sh (about 3 minutes of wall time): one `godiag watch`
# over four waves scenarios at once, with the day compressed to 20 s:
#   leak    goroutines in waves whose troughs rise (20 leaked per period)
#   healthy the same waves, troughs return
#   madv    128 MiB per crest freed at the trough, GODEBUG=madvdontneed=0
#   clean   the same with madvdontneed=1
# watch must flag the leak with goroutine-growth-trend and capture a bundle
# whose doctor finding names main.leakyWorker; flag madv with
# rss-held-by-madv-free; flag neither twin.  Meanwhile a real Prometheus
# scrapes watch's /metrics (its query API must show the series and the
# finding), and the dashboard goes through headless Chromium.
set -uo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
source "$SRCDIR/tests/lib/scenario.sh"
scen_init watch-twins

for tool in prometheus curl jq node chromium; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/deps.sh)"; exit 77; }
done
bin=$(scen_build waves) || { echo "SKIP: cannot build tests/scenarios/waves"; exit 77; }
W=$SCEN_WORK
TTL=6m
common=(-period 20s -ttl "$TTL")
scen_start LEAK "$bin" "${common[@]}" -peak 200 -leak 20 || exit 1
scen_start OK "$bin" "${common[@]}" -peak 200 -leak 0 || exit 1
scen_start MADV env GODEBUG=madvdontneed=0 "$bin" "${common[@]}" -peak 50 -mem 128 || exit 1
scen_start CLEAN env GODEBUG=madvdontneed=1 "$bin" "${common[@]}" -peak 50 -mem 128 || exit 1
echo "leak=$LEAK_PID healthy=$OK_PID madv=$MADV_PID clean=$CLEAN_PID"

"$GODIAG" watch --db "$W/state/watch.db" --interval 1s --period 20s --duration 330s \
	--listen 127.0.0.1:0 --idle-threshold 1m --max-stw 50 \
	"$LEAK_PID" "$OK_PID" "$MADV_PID" "$CLEAN_PID" >"$W/events" 2>"$W/watch.err" &
WATCH=$!
SCEN_PIDS+=("$WATCH")
for _ in $(seq 1 100); do grep -q '^LISTEN=' "$W/events" && break; sleep 0.1; done
LISTEN=$(sed -n 's/^LISTEN=//p' "$W/events" | head -1)
[ -n "$LISTEN" ] || { fail "watch did not listen"; cat "$W/watch.err"; scen_summary; exit 1; }

# A real Prometheus on loopback, scraping watch every 2 s.
PROM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/prom.yml" <<EOF
global: {scrape_interval: 2s, evaluation_interval: 2s}
scrape_configs:
  - job_name: godiag-watch
    static_configs: [{targets: ['$LISTEN']}]
EOF
prometheus --config.file="$W/prom.yml" --storage.tsdb.path="$W/prom" \
	--web.listen-address="127.0.0.1:$PROM_PORT" >"$W/prom.log" 2>&1 &
SCEN_PIDS+=("$!")

# Wait (at most 270 s) for both findings and the leak's doctor verdict.
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 270 ]; do
	if grep -q "^[^ ]* $LEAK_PID finding: goroutine-growth-trend" "$W/events" &&
		grep -q "^[^ ]* $LEAK_PID doctor: .*main\.leakyWorker" "$W/events" &&
		grep -q "^[^ ]* $MADV_PID finding: rss-held-by-madv-free" "$W/events"; then
		break
	fi
	kill -0 "$WATCH" 2>/dev/null || break
	sleep 2
done
echo "findings after $((SECONDS - t0)) s"

if grep -q "^[^ ]* $LEAK_PID finding: goroutine-growth-trend" "$W/events"; then ok "leak: goroutine-growth-trend"
else fail "leak: no goroutine-growth-trend"; fi
if grep -q "^[^ ]* $LEAK_PID doctor: goroutine-blocked-chan .*main\.leakyWorker" "$W/events"; then
	ok "leak: the captured bundle's doctor finding names main.leakyWorker"
else fail "leak: no doctor finding naming main.leakyWorker"; fi
bundle=$(sed -n "s/^[^ ]* $LEAK_PID capture: \([^ ]*\) .*/\1/p" "$W/events" | head -1)
if [ -n "$bundle" ] && [ -s "$bundle/manifest.json" ] && [ -s "$bundle/doctor.html" ] &&
	"$GODIAG" doctor "$bundle" --json >"$W/doctor.json" 2>/dev/null; [ -s "$W/doctor.json" ]; then
	check "leak: the bundle reads back with doctor" '.findings | length > 0' "$W/doctor.json"
	if ls "$bundle" | grep -q 'debug1\|goroutine'; then ok "leak: the bundle holds the goroutine evidence"
	else fail "leak: no goroutine piece in $bundle"; ls "$bundle"; fi
else
	fail "leak: no readable bundle ($bundle)"
fi
if grep -q "^[^ ]* $MADV_PID finding: rss-held-by-madv-free" "$W/events"; then ok "madv: rss-held-by-madv-free"
else fail "madv: no rss-held-by-madv-free"; fi

# Prometheus: the series and the finding.
q() { curl -s --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
q "godiag_watch_goroutines{target=\"$LEAK_PID\"}" >"$W/q1.json"
check "prometheus has godiag_watch_goroutines for the leak" '(.data.result | length) == 1 and (.data.result[0].value[1] | tonumber) > 0' "$W/q1.json" '.'
q 'godiag_finding{rule="goroutine-growth-trend"}' >"$W/q2.json"
check "prometheus has godiag_finding{rule=goroutine-growth-trend} for the leak only" \
	"[.data.result[].metric.target] == [\"$LEAK_PID\"]" "$W/q2.json" '.'
q "count(godiag_watch_rss_bytes)" >"$W/q3.json"
check "prometheus has RSS for the four targets" '(.data.result[0].value[1] | tonumber) == 4' "$W/q3.json" '.'
q "godiag_watch_samples_total" >"$W/q4.json"
check "prometheus has watch's own health" '(.data.result[0].value[1] | tonumber) > 100' "$W/q4.json" '.'

# The dashboard in headless Chromium: charts, troughs, findings, no script.
curl -s --max-time 10 "http://$LISTEN/" >"$W/dash.html"
if node "$SRCDIR/tests/lib/chromium_check.js" "$W/dash.html" "$W/dash.png" \
	--expect goroutine-growth-trend --expect rss-held-by-madv-free --expect 'doctor report' \
	--expect 'Goroutines' --expect 'RSS against the heap' >"$W/chromium.out" 2>&1; then
	ok "dashboard renders in Chromium with no script errors"
else
	fail "dashboard in Chromium"; cat "$W/chromium.out"
fi
if grep -q '<circle class="trough"' "$W/dash.html"; then ok "dashboard marks the troughs"; else fail "no troughs marked"; fi
found=
for rid in $(grep -o 'href="http://[0-9.:]*/report/[0-9]*"' "$W/dash.html" | sed 's/.*report\/\([0-9]*\)"/\1/' | sort -u); do
	curl -s --max-time 10 "http://$LISTEN/report/$rid" | grep -q 'main\.leakyWorker' && found=$rid
done
[ -n "$found" ] && ok "the dashboard links the doctor report naming main.leakyWorker (/report/$found)" ||
	fail "no doctor report naming main.leakyWorker behind the dashboard's links"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/report/..%2f..%2fetc%2fpasswd")
[ "$code" = 404 ] && ok "the server serves only stored paths" || fail "report path: HTTP $code"

# Stop watch; the twins were never flagged.
kill -TERM "$WATCH"
wait "$WATCH" 2>/dev/null
for p in "$OK_PID" "$CLEAN_PID"; do
	if grep -q "^[^ ]* $p finding:" "$W/events"; then fail "healthy twin $p flagged: $(grep "^[^ ]* $p finding:" "$W/events" | head -2)"
	else ok "healthy twin $p not flagged"; fi
done
if grep -q "^[^ ]* $MADV_PID finding: \(goroutine\|rss\|heap\)-growth" "$W/events"; then
	fail "madv flagged as a growth: $(grep "$MADV_PID finding" "$W/events")"
else ok "madv: not a growth trend"; fi
"$GODIAG" watch --export json --db "$W/state/watch.db" >"$W/export.json"
check "export holds the samples and the findings" \
	"(.samples | length) > 400 and ([.findings[] | select(.target == \"$LEAK_PID\" and .bundle != null)] | length) > 0" "$W/export.json" '.findings'
echo "--- events (first 60 non-sample lines)"
grep -v ' up:\| trough-bundle:' "$W/events" | head -60
scen_summary
