#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stacks_goversions.sh: build chanleak, deeprec and locked with every
# installed Go among 1.19, 1.21, 1.22 and 1.23 and check `godiag stacks`
# against each build's expected.json.  What changes across these versions:
# "created by X in goroutine N" (1.21+), the elision form (1.21+: inner 50,
# "...N frames elided...", outer 50), and the mutex wait reason
# (semacquire -> sync.Mutex.Lock in 1.20).  A missing Go (gobuild.sh exits
# 77) is skipped; 1.19 is required.  Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail
STACKS_SCEN_LIB=1 source "$(dirname "${BASH_SOURCE[0]}")/stacks_scenarios.sh"

tested=
for ver in 1.19 1.21 1.22 1.23; do
	build_scenario chanleak "$ver" >/dev/null 2>"$SCEN_OUT/build-$ver.log"
	rc=$?
	if [ $rc = 77 ] && [ "$ver" != 1.19 ]; then
		echo "skip Go $ver: not installed"
		continue
	fi
	if [ $rc != 0 ]; then
		fail "go$ver: build chanleak" "$(head -c 300 "$SCEN_OUT/build-$ver.log")"
		continue
	fi
	tested="$tested $ver"
	for name in chanleak deeprec locked; do
		check_dump_scenario "$name" "$ver"
	done
	check_chanleak_states "$SCEN_OUT/chanleak-go$ver" "$ver"
	check_deeprec "$SCEN_OUT/deeprec-go$ver" "$ver"
	check_locked "$SCEN_OUT/locked-go$ver" "$ver"
	raw=$SCEN_OUT/deeprec-go$ver/debug2.txt
	case $ver in
	1.19)
		jtrue "deeprec go$ver: raw dump has no elision marker" "$raw" 'test("elided") | not' -Rs
		;;
	*)
		jtrue "deeprec go$ver: raw dump uses '...50 frames elided...'" "$raw" \
			'[scan("\n\\.\\.\\.50 frames elided\\.\\.\\.\n")] | length == 7' -Rs
		;;
	esac
done
eq "Go 1.19 was tested" "$(echo "$tested" | grep -c 1.19)" 1
echo "# Go versions tested:$tested"
finish
