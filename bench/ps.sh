#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/ps.sh [GODIAG] — optional benchmark: start about 1,000 processes
# (990 `sleep 600` and 10 small Go programs, bench/connsgen with 5 loopback
# connections each) and time `godiag ps` over the whole host, target < 200 ms,
# with `ps -e` as reference. godiag ps is skipped with a message when this
# godiag has no such command. Every process started here is stopped by its
# PID on exit. Markdown to stdout, progress to stderr. Env: BENCH_SLEEPERS
# (default 990), BENCH_GOPROCS (default 10), BENCH_REPS (default 3).
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
godiag=${1:-$root/build-bench/godiag}
nsleep=${BENCH_SLEEPERS:-990}
ngo=${BENCH_GOPROCS:-10}
reps=${BENCH_REPS:-3}
out=$root/bench/out
log() { printf 'bench: %s\n' "$*" >&2; }

mkdir -p "$out"
gen=$out/connsgen
if [ ! -x "$gen" ] || [ "$root/bench/connsgen/main.go" -nt "$gen" ]; then
	"$root/tests/lib/gobuild.sh" "$root/bench/connsgen" "$gen" || { log "cannot build connsgen"; exit 2; }
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

for ((i = 0; i < nsleep; i++)); do
	sleep 600 &
	pids+=($!)
done
for ((i = 0; i < ngo; i++)); do
	"$gen" -n 5 -hold 10m >"$tmp/go.$i" 2>&1 &
	pids+=($!)
done
for ((i = 0; i < ngo; i++)); do
	for _ in $(seq 300); do
		grep -q '^READY' "$tmp/go.$i" && break
		sleep 0.1
	done
done
nproc_total=$(ls -d /proc/[0-9]* | wc -l)
log "started $nsleep sleepers and $ngo Go programs; $nproc_total processes on the host"

declare -A secs rss status cmdline lines
measure() {
	local name=$1; shift
	local i t kb rc list="" maxkb=0 worst=0
	cmdline[$name]="$*"
	for ((i = 1; i <= reps; i++)); do
		/usr/bin/time -f '%e s %M KB' -o "$tmp/time" "$@" >"$tmp/out.${name// /_}" 2>"$tmp/err"
		rc=$?
		t=$(awk '/ s .* KB$/{print $1}' "$tmp/time" | tail -1)
		kb=$(awk '/ s .* KB$/{print $3}' "$tmp/time" | tail -1)
		log "$name run $i: ${t}s ${kb}KB rc=$rc"
		[ "$rc" -gt "$worst" ] && worst=$rc
		[ "${kb:-0}" -gt "$maxkb" ] && maxkb=$kb
		list="$list $t"
	done
	secs[$name]=$(printf '%s\n' $list | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	rss[$name]=$maxkb
	status[$name]=$worst
	lines[$name]=$(wc -l <"$tmp/out.${name// /_}")
	[ "$worst" -eq 0 ] || log "$name exited $worst: $(head -c 300 "$tmp/err")"
}

have_ps=0
if [ -x "$godiag" ] && "$godiag" --help 2>/dev/null | grep -q '^  ps '; then
	have_ps=1
	measure "godiag ps" "$godiag" ps
	measure "godiag ps --json" "$godiag" ps --json
else
	log "godiag ps does not exist yet in $godiag: skipped"
fi
measure "ps -e" ps -e -o pid,rss,nlwp,comm

echo "### godiag ps benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) CPUs, Linux $(uname -r). $nproc_total processes on the host: $nsleep \`sleep 600\`," \
	"$ngo Go programs (bench/connsgen -n 5), and the rest. Median of $reps runs (\`/usr/bin/time -f '%e s %M KB'\`)," \
	"resolution 10 ms."
echo
echo "| command | wall s | peak RSS MB | output lines | exit |"
echo "|---|---|---|---|---|"
for k in "godiag ps" "godiag ps --json" "ps -e"; do
	[ -n "${secs[$k]:-}" ] || continue
	printf '| `%s` | %s | %s | %s | %s |\n' "${cmdline[$k]//$root\//}" "${secs[$k]}" \
		"$(awk -v k="${rss[$k]}" 'BEGIN{printf "%.1f", k/1024}')" "${lines[$k]}" "${status[$k]}"
done
echo
fail=0
if [ "$have_ps" = 1 ]; then
	if awk -v s="${secs[godiag ps]}" 'BEGIN{exit !(s < 0.2)}'; then
		echo "- PASS: godiag ps ${secs[godiag ps]} s < 0.2 s"
	else
		echo "- FAIL: godiag ps ${secs[godiag ps]} s ≥ 0.2 s"
		fail=1
	fi
	found=$(grep -o connsgen "$tmp/out.godiag_ps" 2>/dev/null | wc -l)
	if [ "$found" -ge "$ngo" ]; then
		echo "- PASS: godiag ps lists the $ngo Go programs (connsgen named $found times)"
	else
		echo "- FAIL: godiag ps names connsgen $found times, want >= $ngo"
		fail=1
	fi
else
	echo "godiag ps: not available in this build (skipped)."
fi
exit $fail
