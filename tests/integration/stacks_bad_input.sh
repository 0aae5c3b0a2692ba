#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stacks_bad_input.sh: feed `godiag stacks` every kind of bad input (empty,
# random, ELF, a 1 GB line on stdin, a cut dump, a gzip bomb) and, through
# tests/scenarios/badserver, URLs that hang, stall, never end or explode.
# Each must end within a time bound, without a crash (exit < 128), with exit
# 3 (nothing readable; 1 where part of a dump was) and exactly ONE line
# on stderr, "godiag: error: <source>: <problem>",
# naming the source once.  Env: GODIAG (binary), SRCDIR (repo root),
# BUILDDIR (scratch space).  Prints one line per check; exit 0 only when
# every check passed.
set -uo pipefail

: "${GODIAG:?GODIAG must name the godiag binary}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-/tmp/godiag-badinput}
export NO_COLOR=1 BUILDDIR
mkdir -p "$BUILDDIR/scenarios/bin"
work=$(mktemp -d "${TMPDIR:-/tmp}/godiag-bad.XXXXXX")
server_pid=

cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

npass=0
nfail=0
pass() { npass=$((npass + 1)); echo "ok   $1"; }
fail() { nfail=$((nfail + 1)); echo "FAIL $1: $2"; }

now_ms() { date +%s%3N; }

# judge DESC SOURCE_ERE PROBLEM_ERE MAX_S RC ELAPSED_MS ERRFILE [WANT_RC]
# SOURCE_ERE matches how the source is named; PROBLEM_ERE (case-insensitive)
# what must follow it on the line.
judge() {
	local desc=$1 src=$2 prob=$3 max=$4 rc=$5 ms=$6 err=$7 want=${8:-3}
	local nl line why=""
	nl=$(wc -l <"$err")
	line=$(head -n 1 "$err")
	if [ "$rc" -eq 124 ] || [ "$ms" -gt $((max * 1000)) ]; then
		why="took ${ms} ms (bound ${max} s, rc $rc)"
	elif [ "$rc" -ge 128 ]; then
		why="crashed: exit $rc (signal $((rc - 128)))"
	elif [ "$rc" -ne "$want" ]; then
		why="exit $rc, want $want"
	elif [ "$nl" -ne 1 ]; then
		why="$nl lines on stderr, want 1"
	elif ! printf '%s\n' "$line" | grep -Eq "^godiag: error: ($src): "; then
		why="stderr does not start with 'godiag: error: <source>: '"
	elif ! printf '%s\n' "$line" | grep -Eiq "^godiag: error: ($src): .*($prob)"; then
		why="problem does not match /$prob/"
	elif [ "${src#*|}" = "$src" ] &&
		[ "$(printf '%s\n' "$line" | grep -Eo "($src)" | wc -l)" -ne 1 ]; then
		why="source named more than once"
	fi
	if [ -z "$why" ]; then
		pass "$desc (${ms} ms)"
	else
		fail "$desc" "$why; stderr: $(head -c 400 "$err" | tr '\n' '|')"
	fi
}

# check DESC SOURCE_ERE PROBLEM_ERE MAX_S [WANT_RC] -- ARGS... (stdin /dev/null)
check() {
	local desc=$1 src=$2 prob=$3 max=$4 want=3 t0 rc
	shift 4
	if [ "$1" != "--" ]; then want=$1; shift; fi
	shift
	t0=$(now_ms)
	timeout "$((max + 30))" "$GODIAG" stacks "$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	judge "$desc" "$src" "$prob" "$max" "$rc" "$(($(now_ms) - t0))" "$work/err" "$want"
}

ere_quote() { printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g'; }

# ---- files ---------------------------------------------------------------
: >"$work/empty"
check "empty file" "$(ere_quote "$work/empty")" "empty" 60 -- "$work/empty"

head -c 1M /dev/urandom >"$work/random"
check "1 MiB of random bytes" "$(ere_quote "$work/random")" \
	"format|not a|recogni|binary|garbage" 60 -- "$work/random"

check "ELF binary (/bin/ls)" "$(ere_quote /bin/ls)" "format|not a|recogni|binary|ELF" 60 -- /bin/ls

check "missing file" "$(ere_quote "$work/nope")" "no such file|not found|does not exist" 60 \
	-- "$work/nope"

check "a directory" "$(ere_quote "$work")" "directory" 60 -- "$work"

# A 1 GB line on stdin: the line cap must stop it without buffering 1 GB.
t0=$(now_ms)
head -c 1G /dev/zero | tr '\0' a | timeout 60 "$GODIAG" stacks - >"$work/out" 2>"$work/err"
rc=${PIPESTATUS[2]}
judge "1 GB line on stdin" "-|<stdin>|stdin|standard input" \
	"line|long|cap|exceed|big|format|recogni" 60 "$rc" "$(($(now_ms) - t0))" "$work/err"

# A valid dump cut inside goroutine K: exactly K-1 goroutines were read.
dump=$SRCDIR/tests/fixtures/debug1/profilegen-go1.19-debug2.txt
# cut_dump IN OUT K MODE: cut IN inside the K-th goroutine (MODE frame: in
# the middle of its first function line; header: in its header line).
cut_dump() {
	awk -v k="$3" -v mode="$4" '
		/^goroutine [0-9]+ / { n++ }
		n == k && mode == "header" && /^goroutine / { printf "%s", substr($0, 1, 14); exit }
		n == k && mode == "frame" && !/^goroutine / && !/^\t/ { printf "%s", substr($0, 1, 9); exit }
		{ print }' "$1" >"$2"
}
if [ -f "$dump" ]; then
	total=$(grep -c '^goroutine [0-9]* \[' "$dump")
	for spec in "$((total / 2)) frame" "$((total - 1)) header" "2 frame"; do
		set -- $spec
		k=$1 mode=$2
		cut_dump "$dump" "$work/cut.txt" "$k" "$mode"
		check "dump cut in goroutine $k of $total ($mode line)" "$(ere_quote "$work/cut.txt")" \
			"truncated: $((k - 1)) goroutines read, the rest lost" 60 1 -- "$work/cut.txt"
		# The JSON says the same.
		timeout 60 "$GODIAG" stacks --json "$work/cut.txt" >"$work/out" 2>/dev/null
		if jq -e --argjson n "$((k - 1))" '.truncated == true and .total == $n' "$work/out" >/dev/null 2>&1; then
			pass "cut dump --json: truncated, total $((k - 1))"
		else
			fail "cut dump --json: truncated, total $((k - 1))" \
				"got $(jq -c '{truncated, total, partial}' "$work/out" 2>&1 | head -c 200)"
		fi
	done
else
	fail "dump cut at an arbitrary byte" "fixture $dump missing"
fi

# ---- the hostile server --------------------------------------------------
bs=$BUILDDIR/scenarios/bin/badserver
src=$SRCDIR/tests/scenarios/badserver
if [ ! -x "$bs" ] || [ "$src/main.go" -nt "$bs" ]; then
	"$SRCDIR/tests/lib/gobuild.sh" "$src" "$bs" >&2 || { fail "build badserver" "gobuild failed"; bs=; }
fi
port=
if [ -n "$bs" ]; then
	coproc BADSERVER { exec "$bs" -timeout 600; }
	server_pid=$BADSERVER_PID
	read -r -t 30 port <&"${BADSERVER[0]}" || port=
fi

if [ -n "$port" ]; then
	base=http://127.0.0.1:$port
	q() { ere_quote "$base$1"; }

	# A gzip bomb file: the badserver's bomb endpoint writes a valid gzip
	# of 2 GiB of zeros (~2 MB) in a blink (gzip -1 needs ~20 s).
	curl -s -o "$work/bomb.gz" "$base/gzipbomb?mib=2048"
	if gzip -l "$work/bomb.gz" >/dev/null 2>&1; then
		check "gzip bomb file (2 GiB of zeros, $(wc -c <"$work/bomb.gz") bytes)" \
			"$(ere_quote "$work/bomb.gz")" "cap|exceed|big|bomb|large|format|recogni" 60 \
			-- "$work/bomb.gz"
	else
		fail "gzip bomb file" "could not fetch it from the badserver"
	fi

	check "URL that never answers (--timeout 3)" "$(q /hang)" "timed out after 3 s" 10 \
		-- --timeout 3 "$base/hang"
	check "URL whose body stalls (--timeout 3)" "$(q /slowbody)" "timed out|stalled" 10 \
		-- --timeout 3 "$base/slowbody"
	check "URL sending 10 GB of zeros (default --max-size)" "$(q /huge)" \
		"cap|exceed|format|recogni" 60 -- "$base/huge"
	# A valid dump that never ends: only the size cap can stop it, and the
	# goroutines before the cap are still a (partial) result.
	check "URL sending a 10 GB valid dump (default --max-size)" "$(q /hugedump)" \
		"1 GiB cap" 60 1 -- "$base/hugedump"
	check "URL sending a 10 GB valid dump (--max-size 64M)" "$(q /hugedump)" \
		"64 MiB cap" 60 1 -- --max-size 64M "$base/hugedump"
	check "gzip bomb endpoint (10 GiB decoded)" "$(q /gzipbomb)" \
		"cap|exceed|format|recogni" 60 -- "$base/gzipbomb"
	check "HTTP 500" "$(q /500)" "HTTP 500 Internal Server Error" 20 -- "$base/500"
	check "HTTP 404" "$(q /notfound)" "HTTP 404" 20 -- "$base/notfound"
	check "redirect loop" "$(q /redirect-loop)" "too many redirects" 20 -- "$base/redirect-loop"
	check "random bytes over HTTP" "$(q /garbage)" "format|not a|recogni|binary" 20 -- "$base/garbage"
	check "not HTTP at all" "$(q /rawgarbage)" "not an HTTP response" 20 -- "$base/rawgarbage"
	check "body cut by the server" "$(q /cut)" "closed after 500 of 1000 bytes|truncated" 20 \
		-- "$base/cut"
	# A port that is certainly closed: the server's, once it is gone.
	check "connection refused" "$(ere_quote "http://127.0.0.1:9/")" \
		"connect to 127.0.0.1:9 refused" 20 -- "http://127.0.0.1:9/"
	# The good endpoint works, so the failures above are the inputs' fault.
	timeout 60 "$GODIAG" stacks --json "$base/ok" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq 0 ] && jq -e '.format == "debug=2" and .total > 0' "$work/out" >/dev/null 2>&1; then
		pass "good URL /ok reads fine"
	else
		fail "good URL /ok reads fine" "exit $rc; $(head -c 300 "$work/err")"
	fi
else
	fail "start badserver" "no port reported"
fi

echo "# $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
