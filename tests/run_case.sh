#!/usr/bin/env bash
# run_case.sh CASE_DIR : run one data-driven CLI case (curl's test-file habit).
#
# A case directory holds:
#   cmd              the command line, run by bash; $GODIAG is the binary,
#                    $CASE the case directory, $FIX tests/fixtures
#   stdin            (optional) fed to the command
#   exit             (optional) expected exit code, default 0
#   expected         (optional) exact expected stdout
#   stdout_contains  (optional) fixed strings, one per line, that stdout holds
#   stdout_lacks     (optional) fixed strings that stdout must not hold
#   stderr_contains  (optional) fixed strings that stderr holds
#   stderr_lines     (optional) the exact number of lines on stderr
#   jq               (optional) jq expressions, one per line, each true of stdout
set -uo pipefail
case_dir=$1
name=$(basename "$case_dir")
: "${GODIAG:?GODIAG must name the godiag binary}"
export GODIAG CASE="$case_dir" FIX="${SRCDIR:-$(dirname "$0")/..}/tests/fixtures"
export NO_COLOR=1
out=$(mktemp); err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "case $name: $*"; echo "--- stdout"; head -c 4000 "$out"; echo "--- stderr"; head -c 4000 "$err"; exit 1; }

if [ -f "$case_dir/stdin" ]; then
	timeout 60 bash -c "$(cat "$case_dir/cmd")" <"$case_dir/stdin" >"$out" 2>"$err"
else
	timeout 60 bash -c "$(cat "$case_dir/cmd")" </dev/null >"$out" 2>"$err"
fi
rc=$?
want=0; [ -f "$case_dir/exit" ] && want=$(tr -d ' \n' <"$case_dir/exit")
[ "$rc" = "$want" ] || fail "exit code $rc, want $want"
if [ -f "$case_dir/expected" ]; then
	diff -u "$case_dir/expected" "$out" || fail "stdout differs from expected"
fi
if [ -f "$case_dir/stdout_contains" ]; then
	while IFS= read -r s; do [ -z "$s" ] || grep -qF -- "$s" "$out" || fail "stdout lacks: $s"; done <"$case_dir/stdout_contains"
fi
if [ -f "$case_dir/stdout_lacks" ]; then
	while IFS= read -r s; do [ -z "$s" ] || ! grep -qF -- "$s" "$out" || fail "stdout holds: $s"; done <"$case_dir/stdout_lacks"
fi
if [ -f "$case_dir/stderr_contains" ]; then
	while IFS= read -r s; do [ -z "$s" ] || grep -qF -- "$s" "$err" || fail "stderr lacks: $s"; done <"$case_dir/stderr_contains"
fi
if [ -f "$case_dir/stderr_lines" ]; then
	n=$(wc -l <"$err"); [ "$n" = "$(tr -d ' \n' <"$case_dir/stderr_lines")" ] || fail "stderr has $n lines"
fi
if [ -f "$case_dir/jq" ]; then
	while IFS= read -r q; do
		[ -z "$q" ] && continue
		jq -e "$q" "$out" >/dev/null 2>&1 || fail "jq check false: $q"
	done <"$case_dir/jq"
fi
echo "case $name: ok"
