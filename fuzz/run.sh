#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [JOBS] : run each libFuzzer harness for SECONDS,
# JOBS at a time (default 2, one per core), seeded with its corpus.  A crash
# leaves its input under the printed directory: add it to fuzz/corpus/NAME/
# as a regression and fix the bug.  Ends with "fuzz: N passed, N failed".
set -uo pipefail
build=$1; secs=${2:-60}; jobs=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
results=$(mktemp -d)

one() {
	local exe=$1 name work
	name=$(basename "$exe"); name=${name#fuzz_}
	work=$(mktemp -d); mkdir -p "$work/corpus"
	[ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/corpus/" 2>/dev/null
	if "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
		echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/log" | tail -1 | awk '{print $2}') runs)" >"$results/$name.ok"
		rm -rf "$work"
	else
		{
			echo "fuzz $name: FAILED; artifacts in $work"
			tail -40 "$work/log"
			# CI's temporary directory is gone by the time anyone looks:
			# the log carries the input itself, to become a regression.
			for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
				[ -f "$a" ] || continue
				echo "fuzz $name: input $(basename "$a") ($(wc -c <"$a") bytes, first 8 KiB, base64):"
				head -c 8192 "$a" | base64 -w 0; echo
			done
		} >"$results/$name.fail"
	fi
}

running=0
for exe in "$build"/fuzz/fuzz_*; do
	[ -x "$exe" ] && [ -f "$exe" ] || continue
	one "$exe" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait
pass=$(ls "$results"/*.ok 2>/dev/null | wc -l); fail=$(ls "$results"/*.fail 2>/dev/null | wc -l)
cat "$results"/*.ok "$results"/*.fail 2>/dev/null
rm -rf "$results"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
