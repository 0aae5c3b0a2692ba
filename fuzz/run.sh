#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS : run each libFuzzer harness for SECONDS, seeded
# with its corpus and the test fixtures.  Prints one line per harness.
set -uo pipefail
build=$1; secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0
for exe in "$build"/fuzz/fuzz_*; do
	[ -x "$exe" ] || continue
	name=$(basename "$exe"); name=${name#fuzz_}
	work=$(mktemp -d); mkdir -p "$work/corpus"
	[ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/corpus/" 2>/dev/null
	if "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
		-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
		echo "fuzz $name: ok ($(grep -c . "$work/log") log lines)"
		pass=$((pass+1))
	else
		echo "fuzz $name: FAILED; artifacts in $work"; tail -30 "$work/log"
		fail=$((fail+1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
