#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/watch.sh [GODIAG]: the cost of `godiag watch` on 200 targets at a
# 1 s interval, side by side with Prometheus scraping the same 200 targets
# at 1 s (the anchor: what people run today), in the same run.
#
# The targets are 200 loopback listeners of one waves process (-listeners
# 200), each serving the hand-written /metrics.  Each tool runs alone for
# BENCH_SECS (default 60 s); CPU = (user + sys) / wall from /usr/bin/time,
# with peak RSS.  Target-side cost: every stored sample must come from
# /metrics (the source column), never from a pprof endpoint.
# PASS when godiag stays at or below 10% of one core.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=$(cd "$here/.." && pwd)
GODIAG=${1:-${GODIAG:-$SRCDIR/build-bench/godiag}}
SECS=${BENCH_SECS:-60}
N=${BENCH_TARGETS:-200}
work=$(mktemp -d /tmp/godiag-bench-watch.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ -x "$GODIAG" ] || { echo "no godiag at $GODIAG (meson setup build-bench && ninja -C build-bench)"; exit 2; }

BUILDDIR=$work "$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/waves" "$work/waves" 1.19 || exit 2
"$work/waves" -listeners "$N" -period 60s -peak 100 -ttl 30m >"$work/waves.out" 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do grep -q '^READY' "$work/waves.out" && break; sleep 0.1; done
mapfile -t addrs < <(sed -n 's/^ADDR=//p; s/^LISTEN=//p' "$work/waves.out")
[ "${#addrs[@]}" -eq "$N" ] || { echo "waves gave ${#addrs[@]} listeners, want $N"; exit 2; }
urls=()
for a in "${addrs[@]}"; do urls+=("http://$a"); done

# 1. godiag watch
/usr/bin/time -f '%U %S %e %M' -o "$work/time.godiag" "$GODIAG" watch --db "$work/w.db" --interval 1s \
	--period 60s --duration "${SECS}s" --listen none --no-capture "${urls[@]}" >"$work/events" 2>&1
read -r gu gs ge gm < <(tail -1 "$work/time.godiag")

# 2. Prometheus, the same targets at 1 s
if command -v prometheus >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	{
		echo "global: {scrape_interval: 1s, scrape_timeout: 800ms}"
		echo "scrape_configs:"
		echo "  - job_name: waves"
		echo "    static_configs:"
		echo "      - targets:"
		for a in "${addrs[@]}"; do echo "        - '$a'"; done
	} >"$work/prom.yml"
	/usr/bin/time -f '%U %S %e %M' -o "$work/time.prom" timeout -s INT "$SECS" prometheus \
		--config.file="$work/prom.yml" --storage.tsdb.path="$work/prom" \
		--web.listen-address="127.0.0.1:$port" >"$work/prom.log" 2>&1
	read -r pu ps pe pm < <(tail -1 "$work/time.prom")
fi

"$GODIAG" watch --export csv --db "$work/w.db" >"$work/export.csv"
samples=$(($(wc -l <"$work/export.csv") - 1))
notmetrics=$(awk -F, 'NR > 1 && $4 != "metrics"' "$work/export.csv" | wc -l)
gcpu=$(awk -v u="$gu" -v s="$gs" -v e="$ge" 'BEGIN { printf "%.1f", (u + s) / e * 100 }')
echo
echo "| tool | targets | interval | wall s | CPU s (user+sys) | % of one core | peak RSS | samples |"
echo "|---|---|---|---|---|---|---|---|"
echo "| godiag watch | $N | 1 s | $ge | $(awk -v u="$gu" -v s="$gs" 'BEGIN{print u+s}') | $gcpu % | $((gm / 1024)) MB | $samples (expected ~$((N * SECS))) |"
if [ -n "${pu:-}" ]; then
	pcpu=$(awk -v u="$pu" -v s="$ps" -v e="$pe" 'BEGIN { printf "%.1f", (u + s) / e * 100 }')
	echo "| prometheus $(prometheus --version 2>&1 | awk 'NR==1{print $3}') | $N | 1 s | $pe | $(awk -v u="$pu" -v s="$ps" 'BEGIN{print u+s}') | $pcpu % | $((pm / 1024)) MB | (its TSDB) |"
fi
echo
echo "samples not from /metrics: $notmetrics"
rc=0
if awk -v c="$gcpu" 'BEGIN { exit !(c <= 10) }'; then echo "PASS: godiag at $gcpu % of one core (<= 10 %)"
else echo "FAIL: godiag at $gcpu % of one core (> 10 %)"; rc=1; fi
if [ "$notmetrics" -eq 0 ]; then echo "PASS: target-side cost stayed at /metrics"
else echo "FAIL: $notmetrics samples from another source"; rc=1; fi
if [ "$samples" -ge $((N * SECS * 9 / 10)) ]; then echo "PASS: $samples samples (>= 90% of $((N * SECS)))"
else echo "FAIL: only $samples samples of $((N * SECS))"; rc=1; fi
exit $rc
