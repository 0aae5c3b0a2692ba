#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# census_parity_slow.sh: the agentless census against the same process's own
# goroutine?debug=2, on tests/scenarios/censusmix (2,854 goroutines in chan
# receive/send, select, sync.Mutex, sync.Cond, WaitGroup, IO wait, sleep, a
# C call), for every installed Go among 1.19, 1.21, 1.22, 1.23, each built
# default, -ldflags=-w, -ldflags='-s -w', -buildmode=pie and with cgo
# (external link).  Same goroutines by id, state, wait reason and frames
# (function, file:line +0x), running goroutines excluded on both sides
# (tests/lib/census_compare.py).  Also: `godiag stacks --pid` reads the
# same process and says memory was read.  Binaries are built once per build
# dir (GOCACHE kept; the first run builds 20 binaries, minutes under load),
# then ~1 min; three processes run at a time.
# Env: SRCDIR, BUILDDIR, GODIAG.
set -uo pipefail
: "${SRCDIR:?}" "${BUILDDIR:?}" "${GODIAG:?}"
source "$SRCDIR/tests/lib/scenario.sh"
scen_init census_parity
DUMP=$BUILDDIR/tests/unit/census_dump
BIN=$BUILDDIR/scenario-bin
mkdir -p "$BIN"
N=${CENSUS_PARITY_N:-300}

build() { # build VER MODE -> path
	local ver=$1 mode=$2 out="$BIN/censusmix-$1-$2" args=()
	case $mode in
	w) args=(-ldflags=-w) ;;
	sw) args=(-ldflags="-s -w") ;;
	pie) args=(-buildmode=pie) ;;
	cgo) args=(-tags censuscgo) ;;
	esac
	if [ ! -x "$out" ] || [ -n "$(find "$SRCDIR/tests/scenarios/censusmix" -newer "$out" -name '*.go')" ]; then
		CGO_ENABLED=1 nice "$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/censusmix" "$out.tmp" "$ver" "${args[@]}" >&2 || return $?
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

run_batch() { # run_batch VER MODE...
	local ver=$1 mode name
	shift
	for mode in "$@"; do
		name=g${ver/./}_$mode
		scen_start "$name" "$BIN/censusmix-$ver-$mode" -n "$N" -ttl 5m || { fail "go$ver $mode: start"; continue; }
	done
	for mode in "$@"; do
		name=g${ver/./}_$mode
		local pv="${name}_PID" pp="${name}_PPROF"
		[ -n "${!pv:-}" ] || continue
		local c="$SCEN_WORK/$name.census" d="$SCEN_WORK/$name.debug2"
		if ! "$DUMP" "${!pv}" >"$c" 2>"$c.err"; then
			fail "go$ver $mode: census: $(head -c 300 "$c.err")"
			continue
		fi
		curl -sf --max-time 20 "http://${!pp}/debug/pprof/goroutine?debug=2" >"$d"
		local res
		res=$(python3 "$SRCDIR/tests/lib/census_compare.py" --slack=3 "$c" "$d")
		if [ $? = 0 ] && [ "${res#OK }" -ge $((N * 9)) ]; then
			ok "go$ver $mode: census = debug=2 on ${res#OK } goroutines ($(grep -o '[0-9]* ms' "$c.err"))"
		else
			fail "go$ver $mode: census differs from debug=2"
			echo "$res" | head -8 | sed 's/^/    /'
		fi
		if [ "$mode" = def ]; then
			"$GODIAG" stacks --pid "${!pv}" --json >"$SCEN_WORK/$name.json" 2>"$SCEN_WORK/$name.err"
			if grep -q "what was read: memory read with process_vm_readv" "$SCEN_WORK/$name.err" &&
				jqt ".total >= $((N * 9))" "$SCEN_WORK/$name.json"; then
				ok "go$ver: godiag stacks --pid reads memory ($(jq .total "$SCEN_WORK/$name.json") goroutines)"
			else
				fail "go$ver: godiag stacks --pid: $(head -c 300 "$SCEN_WORK/$name.err")"
			fi
		fi
		scen_stop "${!pv}"
	done
}

tested=
for ver in 1.19 1.21 1.22 1.23; do
	modes=()
	for mode in def w sw pie cgo; do
		build "$ver" "$mode" >/dev/null 2>"$SCEN_WORK/build.log"
		rc=$?
		if [ $rc = 77 ]; then break; fi
		if [ $rc != 0 ]; then
			fail "go$ver $mode: build: $(head -c 300 "$SCEN_WORK/build.log")"
			continue
		fi
		modes+=("$mode")
	done
	if [ ${#modes[@]} = 0 ]; then
		[ "$ver" = 1.19 ] && fail "Go 1.19 must be installed"
		echo "skip Go $ver: not installed"
		continue
	fi
	tested="$tested $ver"
	run_batch "$ver" "${modes[@]:0:3}"
	run_batch "$ver" "${modes[@]:3}"
done
echo "# Go versions tested:$tested"
scen_summary
