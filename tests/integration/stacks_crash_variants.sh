#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stacks_crash_variants.sh: real tracebacks, captured in this run from Go
# 1.19, 1.21 and 1.23 builds of the scenarios - a panic (panic), a nil map
# write (crashall -kind nilmap), a deadlock (fatalsystem) and SIGQUIT under
# GOTRACEBACK=all, system and crash (quiet -serve; the signal is sent by this
# script to the scenario process it started, by PID) - each stored as it
# reaches an engineer: as is, with CRLF, behind CRI and journald prefixes,
# twice in one file (a restarting pod), behind copytruncate's NUL padding,
# with one NUL and with one BEL.  On every variant `godiag stacks` must give
# the goroutine count of the single dump (its headers), the crash line, the
# crashing goroutine (the first after the crash line) first in the text,
# and exit 0.  Then: a dump without its final newline (complete), one cut
# mid-frame (truncated); from one live process debug=0 and debug=1 group
# alike with --group top=1 and keep the tenant=t0 x2 / tenant=t1 x1 label
# sets; several SRCs (mixed formats, a missing one); `| head -1` on a big
# output.  Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail
STACKS_SCEN_LIB=1 source "$(dirname "${BASH_SOURCE[0]}")/stacks_scenarios.sh"

V=$SCEN_OUT/variants
rm -rf "$V"
mkdir -p "$V"

# capture_sigquit VER TB OUT: run quiet -serve -labels under GOTRACEBACK=TB,
# wait for its ADDR=, SIGQUIT it.  With LIVE=1 the live checks run first.
capture_sigquit() {
	local ver=$1 tb=$2 out=$3 bin pid addr=
	bin=$(build_scenario quiet "$ver") || return 1
	GOTRACEBACK=$tb "$bin" -serve -labels -ttl 60s >"$out.stdout" 2>"$out" &
	pid=$!
	for _ in $(seq 100); do
		addr=$(sed -n 's/^ADDR=//p' "$out.stdout")
		[ -n "$addr" ] && break
		sleep 0.1
	done
	[ -n "$addr" ] && [ "${LIVE:-0}" = 1 ] && live_checks "$addr" "$ver"
	kill -QUIT "$pid"
	{ wait "$pid"; } 2>/dev/null # GOTRACEBACK=crash aborts: no job-control noise
	[ -n "$addr" ]
}

# live_checks ADDR VER: one live process seen through debug=0 and debug=1.
live_checks() {
	local addr=$1 ver=$2 d base="http://$1/debug/pprof/goroutine"
	for d in 0 1; do
		run_stacks live "$V/live$d.json" --json --group top=1 --timeout 10 "$base?debug=$d"
		check_rc "live go$ver debug=$d --group top=1: exit 0" "$V/live$d.json" 0
	done
	# The parked shapes (not the HTTP machinery serving each request).
	local q='[.buckets[] | select(.frames[0].func // "" | test("^(main|sync)\\.")) | [.count, .frames[0].func]] | sort'
	jeq "live go$ver: debug=0 and debug=1 give the same top=1 buckets" "$V/live0.json" "$q" "$(jq -c "$q" "$V/live1.json")"
	jeq "live go$ver: debug=0 top=1 buckets are the parked shapes, not runtime.gopark" "$V/live0.json" "$q" \
		'[[3,"main.shapeLabeled"],[10,"main.nestedInner"],[20,"sync.runtime_notifyListWait"],[40,"main.shapeSelect"],[50,"main.shapeSend"],[80,"main.shapeRecv"]]'
	for d in 0 1; do
		jeq "live go$ver debug=$d: the labelled bucket keeps both label sets" "$V/live$d.json" \
			'[.buckets[] | select(.frames[0].func == "main.shapeLabeled") | .label_sets | sort_by(.labels)]' \
			'[[{"labels": "{\"tenant\":\"t0\"}", "count": 2}, {"labels": "{\"tenant\":\"t1\"}", "count": 1}]]'
		run_stacks label "$V/label$d.json" --json --label tenant=t1 --timeout 10 "$base?debug=$d"
		jeq "live go$ver debug=$d: --label tenant=t1 keeps one goroutine" "$V/label$d.json" \
			'[.buckets[] | [.count, .frames[0].func]]' '[[1, "main.shapeLabeled"]]'
	done
	run_stacks label2 "$V/label2.txt" --label tenant=t0 --timeout 10 "$base?debug=1"
	grep -qF 'labels: {"tenant":"t0"} x2' "$V/label2.txt" && pass "live go$ver: text shows the label set and its count" ||
		fail "live go$ver: text shows the label set and its count" "$(grep labels "$V/label2.txt" | head -3)"
	run_stacks html "$V/html.txt" --html "$V/live.html" --timeout 10 "$base?debug=0"
	grep -qF 'labels {&quot;tenant&quot;:&quot;t0&quot;} &times;2, {&quot;tenant&quot;:&quot;t1&quot;} &times;1' "$V/live.html" &&
		pass "live go$ver: HTML shows both label sets with their counts" ||
		fail "live go$ver: HTML shows both label sets with their counts" "$(grep -o 'labels [^<]*' "$V/live.html" | head -3)"
	# Several SRCs: debug=2 and debug=1 of the same process, and a missing file.
	run_stacks mixed "$V/mixed.json" --json --timeout 10 "$base?debug=2" "$base?debug=1" "$V/no-such-file.txt"
	check_rc "mixed SRCs with a missing one: exit 1 (partial)" "$V/mixed.json" 1
	jeq "mixed SRCs: each input's format, the missing one named" "$V/mixed.json" \
		'[.format, [.inputs[] | .format], (.inputs[2].error | test("No such file")), .truncated, (.partial | test("no-such-file.txt: No such file"))]' \
		'["mixed", ["debug=2", "debug=1", "unknown"], true, false, true]'
	jtrue "mixed SRCs: the debug=1 goroutines count as state unknown" "$V/mixed.json" \
		'.states.unknown == .inputs[1].goroutines and ([.states[]] | add) == .total'
}

# variants CAP DIR: the ways a traceback reaches an engineer.
variants() {
	local cap=$1 d=$2
	cp "$cap" "$d/plain.txt"
	sed 's/$/\r/' "$cap" >"$d/crlf.txt"
	awk '{ printf "2026-12-02T19:38:59.%09dZ stderr F %s\n", NR * 7919, $0 }' "$cap" >"$d/cri.txt"
	awk '{ printf "Dec 02 19:38:59 node-3 app[4242]: %s\n", $0 }' "$cap" >"$d/journald.txt"
	cat "$cap" "$cap" >"$d/twice.txt"
	{ head -c 100000 /dev/zero; cat "$cap"; } >"$d/nulpad.txt"
	# One NUL before the first header, one BEL before the crash line.
	awk 'BEGIN { d = 0 } !d && /^goroutine [0-9]+ / { printf "\0"; d = 1 } { print }' "$cap" >"$d/nul.txt"
	awk 'BEGIN { d = 0 } !d && /^(panic: |fatal error: |SIG[A-Z]+: )/ { printf "\a"; d = 1 } { print }' "$cap" >"$d/bel.txt"
}

check_variants() { # TAG CAP
	local tag=$1 cap=$2 d hdrs crash first v
	d=$(dirname "$cap")/v-$(basename "$cap" .txt)
	mkdir -p "$d"
	hdrs=$(grep -cE '^goroutine [0-9]+ ' "$cap")
	crash=$(grep -m1 -E '^(panic: |fatal error: |SIG[A-Z]+: )' "$cap")
	first=$(grep -m1 -E '^goroutine [0-9]+ ' "$cap" | awk '{print $2}')
	if [ -z "$crash" ] || [ "$hdrs" -lt 2 ]; then
		fail "$tag: capture" "no crash line or goroutines in $cap ($(head -c 200 "$cap"))"
		return
	fi
	variants "$cap" "$d"
	for v in plain crlf cri journald twice nulpad nul bel; do
		run_stacks "$v" "$d/$v.json" --json "$d/$v.txt"
		run_stacks "$v" "$d/$v.out" "$d/$v.txt"
		check_rc "$tag $v: exit 0" "$d/$v.json" 0
		jeq "$tag $v: goroutines of the single dump, crash line, crashing goroutine" "$d/$v.json" \
			'[.total, .crash, .crash_goroutine, .dumps, ([.buckets[] | select(.crashed)] | length)]' \
			"[$hdrs, $(jq -Rn --arg c "$crash" '$c'), $first, $([ $v = twice ] && echo 2 || echo 1), 1]"
		if awk 'NR > 3 && NF { print; exit }' "$d/$v.out" | grep -qx ">>> crashed here: goroutine $first"; then
			pass "$tag $v: the crashing goroutine's bucket comes first in the text"
		else
			fail "$tag $v: the crashing goroutine's bucket comes first in the text" "$(sed -n 1,8p "$d/$v.out" | tr '\n' '|')"
		fi
		if [ $v = twice ]; then
			eq "$tag twice: stderr warns" "$(cat "$d/$v.json.err")" \
				"godiag: warning: 2 dumps in $d/$v.txt; showing the last; --dump N for another"
		else
			eq "$tag $v: nothing on stderr" "$(head -c 300 "$d/$v.json.err")" ""
		fi
	done
	run_stacks dump1 "$d/dump1.json" --json --dump 1 "$d/twice.txt"
	jeq "$tag twice --dump 1: the first dump, no warning" "$d/dump1.json" '[.total, .inputs[0].dump]' "[$hdrs, 1]"
}

tested=
for ver in 1.19 1.21 1.23; do
	if ! build_scenario panic "$ver" >/dev/null 2>"$V/build-$ver.log"; then
		[ "$ver" != 1.19 ] && grep -q "not installed" "$V/build-$ver.log" && { echo "skip Go $ver: not installed"; continue; }
		fail "go$ver: build" "$(head -c 300 "$V/build-$ver.log")"
		continue
	fi
	tested="$tested $ver"
	C=$V/go$ver
	mkdir -p "$C"
	bin=$(build_scenario panic "$ver") && GOTRACEBACK=all timeout 60 "$bin" -out "$C" 2>"$C/panic.txt" >/dev/null
	bin=$(build_scenario crashall "$ver") && GOTRACEBACK=all timeout 60 "$bin" -kind nilmap -out "$C" 2>"$C/nilmap.txt" >/dev/null
	bin=$(build_scenario fatalsystem "$ver") && GOTRACEBACK=system timeout 60 "$bin" -out "$C" 2>"$C/deadlock.txt" >/dev/null
	for tb in all system crash; do
		LIVE=$([ $tb = all ] && echo 1 || echo 0) capture_sigquit "$ver" $tb "$C/sigquit-$tb.txt" ||
			fail "go$ver sigquit $tb: capture" "quiet -serve did not start"
	done
	grep -q '^fatal error: all goroutines are asleep - deadlock!' "$C/deadlock.txt" && pass "go$ver: deadlock captured" ||
		fail "go$ver: deadlock captured" "$(head -c 200 "$C/deadlock.txt")"
	grep -q '^panic: assignment to entry in nil map' "$C/nilmap.txt" && pass "go$ver: nil map write captured" ||
		fail "go$ver: nil map write captured" "$(head -c 200 "$C/nilmap.txt")"
	for c in panic nilmap deadlock sigquit-all sigquit-system sigquit-crash; do
		check_variants "go$ver $c" "$C/$c.txt"
	done
done
eq "Go 1.19 was tested" "$(echo "$tested" | grep -c 1.19)" 1
echo "# Go versions tested:$tested"

############################################################################
# Truncation only when something was lost.

C=$V/go1.19
if [ -s "$C/panic.txt" ]; then
	hdrs=$(grep -cE '^goroutine [0-9]+ ' "$C/panic.txt")
	printf '%s' "$(cat "$C/panic.txt")" >"$C/nonl.txt"
	eq "no final newline: the file really ends in a file line" "$(tail -c 20 "$C/nonl.txt" | tail -1 | grep -cE ':[0-9]+( \+0x[0-9a-f]+)?$')" 1
	run_stacks nonl "$C/nonl.json" --json "$C/nonl.txt"
	check_rc "no final newline: exit 0" "$C/nonl.json" 0
	jeq "no final newline: every goroutine, not truncated" "$C/nonl.json" '[.total, .truncated, .partial]' "[$hdrs, false, null]"
	# Cut in the middle of the last goroutine's last function line.
	last_fn=$(grep -nvE '^(\s|$)' "$C/panic.txt" | tail -1 | cut -d: -f1)
	{ head -n $((last_fn - 1)) "$C/panic.txt"; sed -n "${last_fn}p" "$C/panic.txt" | head -c 12; } >"$C/cut.txt"
	run_stacks cut "$C/cut.json" --json "$C/cut.txt"
	check_rc "cut mid-frame: exit 1" "$C/cut.json" 1
	jeq "cut mid-frame: truncated, the cut goroutine dropped" "$C/cut.json" '[.total, .truncated]' "[$((hdrs - 1)), true]"
fi

############################################################################
# `| head -1` on a big output: quiet exit 0.

awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "goroutine %d [chan receive]:\nmain.f%d()\n\t/app/main.go:%d +0x1\n\n", i, i, i }' >"$V/big.txt"
"$GODIAG" stacks "$V/big.txt" 2>"$V/head.err" | head -1 >"$V/head.out"
eq "stacks BIG | head -1: godiag exits 0" "${PIPESTATUS[0]}" 0
eq "stacks BIG | head -1: nothing on stderr" "$(head -c 300 "$V/head.err")" ""
eq "stacks BIG | head -1: the summary line" "$(cat "$V/head.out")" "20,000 goroutines in 20000 buckets ($V/big.txt, debug=2)"

finish
