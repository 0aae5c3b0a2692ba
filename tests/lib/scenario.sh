# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# scenario.sh: shell helpers (bash, sourced) to build, start and stop the Go
# programs under tests/scenarios and to check godiag's JSON with jq.  They
# exist so every integration script starts its patients the same way, waits
# for them to be ready instead of sleeping, and never leaves one behind.
#
#   source "$SRCDIR/tests/lib/scenario.sh"   # needs SRCDIR, BUILDDIR
#   scen_init NAME                   work dir in $SCEN_WORK, EXIT trap that
#                                    stops every process started here
#   scen_build SCEN [GOVER]          build tests/scenarios/SCEN once per build
#                                    dir; prints the binary's path
#   scen_start VAR CMD [ARGS...]     start CMD in the background, wait (30 s at
#                                    most) for a line READY on its stdout, and
#                                    set VAR_PID, VAR_ADDR, VAR_PPROF from its
#                                    PID=, ADDR=, PPROF= lines (the running
#                                    process's PID, not a wrapper's) and
#                                    VAR_OUT to its output file
#   scen_stop PID...                 kill and reap
#   scen_wait_gone PID               wait until the process has exited
#   ok/fail/check/expect_rc/jqt      one line per check; scen_summary prints
#                                    the totals and returns non-zero on failure
#
# Every started process also gets a -ttl from its caller, so a test killed
# with SIGKILL (no trap) still leaves nothing running for long.

: "${SRCDIR:?SRCDIR must point at the source tree}"
: "${BUILDDIR:?BUILDDIR must point at the meson build dir}"
export BUILDDIR

SCEN_PIDS=()
SCEN_PASSED=0
SCEN_FAILED=0
SCEN_NAME=scenario

scen_cleanup() {
	local p
	for p in "${SCEN_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SCEN_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${SCEN_WORK:-}" ] && [ -z "${SCEN_KEEP:-}" ] && rm -rf "$SCEN_WORK"
	return 0
}

scen_init() {
	SCEN_NAME=$1
	SCEN_WORK=$(mktemp -d "/tmp/godiag-$1.XXXXXX")
	trap scen_cleanup EXIT
	trap 'exit 130' INT TERM
}

scen_build() { # scen_build SCEN [GOVER]
	local scen=$1 ver=${2:-1.19}
	local dir="$BUILDDIR/scenario-bin" out
	out="$dir/$scen-$ver"
	mkdir -p "$dir"
	# Rebuild when the source is newer than the binary.
	if [ ! -x "$out" ] || [ -n "$(find "$SRCDIR/tests/scenarios/$scen" -newer "$out" -name '*.go' 2>/dev/null)" ]; then
		"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/$scen" "$out.tmp" "$ver" >&2 || return 1
		mv "$out.tmp" "$out"
	fi
	printf '%s\n' "$out"
}

scen_start() { # scen_start VAR CMD [ARGS...]
	local var=$1
	shift
	local out="$SCEN_WORK/$var.out" pid
	"$@" >"$out" 2>&1 &
	pid=$!
	SCEN_PIDS+=("$pid")
	for _ in $(seq 1 300); do
		grep -q '^READY' "$out" 2>/dev/null && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "scenario $var ($*) died before READY:" >&2
			sed 's/^/    /' "$out" >&2
			return 1
		fi
		sleep 0.1
	done
	if ! grep -q '^READY' "$out"; then
		echo "scenario $var ($*) not READY after 30 s:" >&2
		sed 's/^/    /' "$out" >&2
		return 1
	fi
	printf -v "${var}_PID" '%s' "$(sed -n 's/^PID=//p' "$out" | head -1)"
	printf -v "${var}_ADDR" '%s' "$(sed -n 's/^ADDR=//p' "$out" | head -1)"
	printf -v "${var}_PPROF" '%s' "$(sed -n 's/^PPROF=//p' "$out" | head -1)"
	printf -v "${var}_OUT" '%s' "$out"
	local p="${var}_PID"
	[ -n "${!p}" ] || printf -v "${var}_PID" '%s' "$pid"
	return 0
}

scen_stop() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
	return 0
}

scen_wait_gone() {
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

ok() {
	SCEN_PASSED=$((SCEN_PASSED + 1))
	echo "ok: $*"
}

fail() {
	SCEN_FAILED=$((SCEN_FAILED + 1))
	echo "FAIL: $*"
}

# jqt JQ_EXPR FILE: true when FILE is non-empty JSON and the expression holds
# (jq 1.6 -e exits 0 on an empty file).
jqt() {
	[ -s "$2" ] && jq -e "$1" "$2" >/dev/null 2>&1
}

# check DESCRIPTION JQ_EXPR FILE [SHOW_JQ]: the jq expression must be true.
# On failure prints the expression and SHOW_JQ of the file (the findings'
# rule ids and counts by default).
check() {
	local show='[.findings[]? | {rule, severity, goroutines, sockets}]'
	[ -n "${4:-}" ] && show=$4
	if jqt "$2" "$3"; then
		ok "$1"
	else
		fail "$1: want $2"
		echo "    got: $(jq -c "$show" "$3" 2>&1 | head -c 1500)"
	fi
}

# expect_rc DESCRIPTION GOT WANT... (any of the WANTs)
expect_rc() {
	local d=$1 got=$2 w
	shift 2
	for w in "$@"; do
		if [ "$got" = "$w" ]; then
			ok "$d (exit $got)"
			return 0
		fi
	done
	fail "$d: exit $got, want $*"
}

scen_summary() {
	echo "$SCEN_NAME: $SCEN_PASSED passed, $SCEN_FAILED failed"
	[ "$SCEN_FAILED" -eq 0 ]
}
