#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/fleet.sh [GODIAG] — `godiag fleet` over a real Prometheus TSDB holding
# a synthetic fleet's week: 1,667 instances x 6 series (10,002 series) at a
# 1-minute step, backfilled with `promtool tsdb create-blocks-from openmetrics`
# (bench/fleetgen writes one OpenMetrics file per 2-hour block, because promtool
# re-parses its whole input once per block).  Known leaks among healthy
# instances with daily rhythms, and traps: spikes that return, a step up that
# stays flat, restarts, instances that vanish for hours and come back, RSS
# held without the runtime counting it released.
#
# Measures godiag's wall time and peak RSS (target: <= 10 s) and Prometheus's
# CPU for the same run, then precision and recall against bench/out/fleet/
# tsdb/truth.json, side by side with the PromQL rules of `--emit-rules`
# evaluated on the same data at the same time (the anchor: what an alert can
# see without godiag).  Markdown to stdout, progress to stderr; exit 0 only
# when the time and accuracy targets (recall 1.0, precision >= 0.95) are met.
#
# The TSDB is cached in bench/out/fleet (git-ignored); delete it to rebuild
# (about 8 GB of OpenMetrics, written and imported one block at a time).
# Env: BENCH_INSTANCES (1667), BENCH_REPS (3).
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
godiag=${1:-$root/build-bench/godiag}
out=$root/bench/out/fleet
ninst=${BENCH_INSTANCES:-1667}
reps=${BENCH_REPS:-3}
log() { printf 'bench: %s\n' "$*" >&2; }
command -v prometheus >/dev/null && command -v promtool >/dev/null || { log "prometheus/promtool missing"; exit 1; }
[ -x "$godiag" ] || { log "no godiag at $godiag (meson setup build-bench && ninja -C build-bench)"; exit 1; }

tsdb=$out/tsdb
if [ ! -f "$tsdb/truth.json" ] || [ "$(cat "$tsdb/instances" 2>/dev/null)" != "$ninst" ]; then
	rm -rf "$out"
	mkdir -p "$out/om" "$tsdb"
	GODIAG_GO_WORK=$out/go tests/lib/gobuild.sh bench/fleetgen "$out/fleetgen" || exit 1
	log "generating $ninst instances x 6 series, 7 days at 1 m"
	t0=$(date +%s.%N)
	nice "$out/fleetgen" -instances "$ninst" -out "$out/om" || exit 1
	t1=$(date +%s.%N)
	log "generated $(du -sh "$out/om" | cut -f1) in $(awk "BEGIN{print $t1 - $t0}") s; importing block by block"
	for f in "$out"/om/block-*.om; do
		nice promtool tsdb create-blocks-from openmetrics -q "$f" "$tsdb" >/dev/null || { log "promtool failed on $f"; exit 1; }
		rm -f "$f"
	done
	t2=$(date +%s.%N)
	log "imported in $(awk "BEGIN{print $t2 - $t1}") s"
	mv "$out/om/truth.json" "$tsdb/truth.json"
	echo "$ninst" >"$tsdb/instances"
	rmdir "$out/om"
fi
end=$(python3 -c "import json;print(json.load(open('$tsdb/truth.json'))['end'])")

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cfg=$out/prometheus.yml
printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$cfg"
prometheus --config.file="$cfg" --storage.tsdb.path="$tsdb" --storage.tsdb.retention.time=3650d \
	--web.listen-address=127.0.0.1:$port --log.level=warn >"$out/prometheus.log" 2>&1 &
ppid=$!
trap 'kill $ppid 2>/dev/null; wait $ppid 2>/dev/null' EXIT
for _ in $(seq 1 120); do
	curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
	sleep 0.5
done
curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || { log "prometheus did not start"; cat "$out/prometheus.log" >&2; exit 1; }
url=http://127.0.0.1:$port
# backfilled 2-hour blocks are compacted in the background after start: wait
# until that is over, or the runs measure Prometheus compacting, not querying
metric() { curl -s "$url/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
prev="" same=0
for _ in $(seq 1 600); do
	cur="$(metric prometheus_tsdb_compactions_total) $(metric prometheus_tsdb_blocks_loaded)"
	if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
	[ "$same" -ge 75 ] && break # the compactor runs once a minute
	prev=$cur
	sleep 1
done
log "prometheus $url (pid $ppid) on $tsdb; end $end; compactions, blocks: $prev"

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
best=""
for i in $(seq 1 "$reps"); do
	c0=$(cpu_of $ppid)
	/usr/bin/time -f '%e %M %U %S' -o "$out/time.$i" "$godiag" fleet --prometheus "$url" --range 7d --step 1m \
		--end "$end" --json >"$out/fleet.$i.json" 2>"$out/fleet.$i.err"
	rc=$?
	c1=$(cpu_of $ppid)
	read -r wall rss ucpu scpu < <(tail -1 "$out/time.$i")
	pcpu=$(awk "BEGIN{printf \"%.2f\", ($c1 - $c0) / $tck}")
	gcpu=$(awk "BEGIN{print $ucpu + $scpu}")
	log "run $i: exit $rc, ${wall} s, ${rss} KB peak RSS, godiag CPU ${gcpu} s; prometheus CPU ${pcpu} s; load $(cut -d' ' -f1 /proc/loadavg)"
	echo "$wall $rss $pcpu $rc $gcpu $(cut -d' ' -f1 /proc/loadavg)" >"$out/run.$i"
done

# the PromQL version, on the same data at the same instant: the alert
# expressions of --emit-rules with each recorded trough written out in full
"$godiag" fleet --emit-rules --period 24h >"$out/rules.yml"
promtool check rules "$out/rules.yml" >/dev/null 2>&1 && rules_ok=yes || rules_ok=no

python3 - "$tsdb/truth.json" "$out" "$reps" "$url" "$end" "$rules_ok" <<'EOF'
import json, sys, re, urllib.request, urllib.parse, statistics
truth_path, out, reps, url, end, rules_ok = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
truth = json.load(open(truth_path))
leaks = {(t["instance"], t["rule"]) for t in truth["instances"] if t.get("rule")}
leak_inst = {i for i, _ in leaks}
kinds = {t["instance"]: t["kind"] for t in truth["instances"]}
runs = [open(f"{out}/run.{i}").read().split() for i in range(1, reps + 1)]
walls = sorted(float(r[0]) for r in runs)
rep = json.load(open(f"{out}/fleet.1.json"))
got = {(s["instance"], s["rule"]) for s in rep["suspects"]}
got_inst = {i for i, _ in got}
def pr(got, want):
    tp = len(got & want)
    return (tp / len(got) if got else 1.0), (tp / len(want) if want else 1.0), tp
p_f, r_f, tp_f = pr(got, leaks)
p_i, r_i, tp_i = pr(got_inst, leak_inst)

# PromQL anchor
rules = open(f"{out}/rules.yml").read()
alerts = re.findall(r"- alert: (\w+)\n        expr: \|\n((?:          .*\n)+)", rules)
rule_of = dict(re.findall(r"- alert: (\w+)\n(?:.*\n)*?\s+godiag_rule: ([\w-]+)", rules))
fn = {"trough": "min_over_time", "peak": "max_over_time", "max": "max_over_time"}
def expand(e):
    return re.sub(r"godiag:(\w+):(trough|peak|max)( offset \d+s)?",
                  lambda m: f"{fn[m.group(2)]}({m.group(1)}[86400s]{m.group(3) or ''})", e)
pq = set(); pq_err = []
for name, expr in alerts:
    q = urllib.parse.urlencode({"query": expand(expr), "time": end})
    try:
        res = json.load(urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=120))
        for s in res["data"]["result"]:
            if "instance" in s["metric"]:
                pq.add((s["metric"]["instance"], rule_of.get(name, name)))
    except Exception as ex:
        pq_err.append(f"{name}: {ex}")
p_q, r_q, tp_q = pr(pq, leaks)
fp = sorted(got - leaks); fn_ = sorted(leaks - got)
print(f"| measure | godiag fleet | PromQL rules (--emit-rules) |")
print(f"|---|---|---|")
print(f"| series / instances | {truth['series']} / {len(truth['instances'])} | same |")
print(f"| wall time, median of {reps} (min-max) | {statistics.median(walls):.2f} s ({walls[0]:.2f}-{walls[-1]:.2f}) | |")
print(f"| godiag peak RSS | {max(int(r[1]) for r in runs)/1024:.0f} MB | |")
print(f"| godiag CPU (user+sys, median) | {statistics.median(float(r[4]) for r in runs):.2f} s | |")
print(f"| Prometheus CPU during a run (median) | {statistics.median(float(r[2]) for r in runs):.2f} s | |")
print(f"| load average after each run | {', '.join(r[5] for r in runs)} (2 cores) | |")
print(f"| errors in the report | {len(rep['errors'])} | |")
print(f"| findings: precision / recall | {p_f:.3f} / {r_f:.3f} ({tp_f} of {len(leaks)} leaks, {len(got)} reported) | {p_q:.3f} / {r_q:.3f} ({tp_q} of {len(leaks)}, {len(pq)} reported) |")
print(f"| instances: precision / recall | {p_i:.3f} / {r_i:.3f} | |")
print(f"| promtool check rules | | {rules_ok} |")
print()
print("false positives (kind):", ", ".join(f"{i} {r} ({kinds.get(i)})" for i, r in fp) or "none")
print("missed leaks (kind):", ", ".join(f"{i} {r} ({kinds.get(i)})" for i, r in fn_) or "none")
pfp = sorted(pq - leaks); pfn = sorted(leaks - pq)
by = {}
for i, r in pfn: by[kinds.get(i)] = by.get(kinds.get(i), 0) + 1
print("PromQL false positives by kind:", {k: sum(1 for i, _ in pfp if kinds.get(i) == k) for k in {kinds.get(i) for i, _ in pfp}} or "none")
print("PromQL missed by kind:", by or "none")
if pq_err: print("PromQL errors:", pq_err)
ok = statistics.median(walls) <= 10 and r_f >= 1.0 and p_f >= 0.95 and all(r[3] in ("0", "1") for r in runs)
print("RESULT:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
EOF
