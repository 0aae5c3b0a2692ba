#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stacks_debug1_vs_debug2.sh: a quiet process (tests/scenarios/quiet: 200
# goroutines parked in 5 shapes) seen through debug=2, debug=1 and debug=0
# must give the same total and the same distinct stacks: `godiag stacks`
# grouping of debug=2 (func+file+line) must find exactly the records that
# the runtime's own debug=1 aggregation printed.  Env: GODIAG, SRCDIR,
# BUILDDIR.  Exit 0 only when every check passed.
set -uo pipefail
STACKS_SCEN_LIB=1 source "$(dirname "${BASH_SOURCE[0]}")/stacks_scenarios.sh"

# shape_counts: the five quiet shapes, by their innermost own function.
SHAPES='[ "main.shapeRecv", "main.shapeSend", "main.shapeSelect", "main.shapeCond", "main.nestedInner" ]'
shape_counts() { # JSON -> prints [count per shape]
	jq -c "$JQ_DEFS $SHAPES | map(. as \$f | [\$in | with_func(\$f)[].count])" --argjson in "$(cat "$1")" -n 2>&1
}

if ! dir=$(run_scenario quiet 1.19); then
	fail "quiet: run" "scenario did not produce its dumps"
	finish
	exit 1
fi
for d in 2 1 0; do
	src=$dir/debug$d.txt
	[ $d = 0 ] && src=$dir/debug0.pb.gz
	run_stacks quiet "$dir/d$d.json" --json "$src"
	check_rc "quiet debug=$d: exit 0" "$dir/d$d.json" 0
	jeq "quiet debug=$d: format" "$dir/d$d.json" .format "\"debug=$d\""
done

records=$(grep -cE '^[0-9]+ @' "$dir/debug1.txt")
eq "quiet: debug1.txt holds 6 records (5 shapes + the dumping goroutine)" "$records" 6
d1total=$(sed -n 's/^goroutine profile: total //p' "$dir/debug1.txt")
eq "quiet: debug1.txt header total is 201" "$d1total" 201
for d in 2 1 0; do
	jeq "quiet debug=$d: total equals debug=1's header" "$dir/d$d.json" .total "$d1total"
	jeq "quiet debug=$d: as many buckets as debug=1 records" "$dir/d$d.json" '.buckets | length' "$records"
	eq "quiet debug=$d: count per shape" "$(shape_counts "$dir/d$d.json")" '[[80],[50],[40],[20],[10]]'
done
jeq "quiet: debug=2 and debug=1 bucket counts are the same list" "$dir/d2.json" '[.buckets[].count]' \
	"$(jq -c '[.buckets[].count]' "$dir/d1.json")"
jeq "quiet: debug=0 and debug=1 bucket counts are the same list" "$dir/d0.json" '[.buckets[].count]' \
	"$(jq -c '[.buckets[].count]' "$dir/d1.json")"
# Same innermost non-runtime frame per bucket: debug=1 hides runtime.*
# frames and debug=2 prints no runtime frames at traceback level 1 either.
jeq "quiet: debug=2 and debug=1 agree on each bucket's innermost frame (func, line)" "$dir/d2.json" \
	'[.buckets[] | select(.count > 1) | .frames[0] | [.func, .line]]' \
	"$(jq -c '[.buckets[] | select(.count > 1) | .frames[0] | [.func, .line]]' "$dir/d1.json")"

# The live process over HTTP: the shapes, apart from the HTTP machinery that
# serves each request, must agree between ?debug=2 and ?debug=1.
bin=$(build_scenario quiet 1.19)
live=$SCEN_OUT/quiet-serve
mkdir -p "$live"
"$bin" -serve -ttl 60s >"$live/stdout" 2>"$live/stderr" &
spid=$!
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/^ADDR=//p' "$live/stdout")
	[ -n "$addr" ] && break
	sleep 0.1
done
if [ -z "$addr" ]; then
	fail "quiet -serve: printed ADDR=" "$(head -c 300 "$live/stderr")"
else
	for d in 2 1; do
		run_stacks live "$live/d$d.json" --json --timeout 10 "http://$addr/debug/pprof/goroutine?debug=$d"
		check_rc "quiet live debug=$d: exit 0" "$live/d$d.json" 0
		eq "quiet live debug=$d: count per shape" "$(shape_counts "$live/d$d.json")" '[[80],[50],[40],[20],[10]]'
		jtrue "quiet live debug=$d: total is 201 plus the HTTP machinery" "$live/d$d.json" '.total >= 203 and .total <= 206'
	done
fi
kill "$spid" 2>/dev/null
wait "$spid" 2>/dev/null

finish
