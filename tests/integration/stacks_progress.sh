#!/usr/bin/env bash
# On a terminal, stacks shows progress on stderr for inputs over ~100 MB; with
# stderr not a terminal (pipes, CI logs) it stays quiet.  `script` gives the
# command a pseudo-terminal.
set -uo pipefail
: "${GODIAG:?}" "${SRCDIR:?}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; failn=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
fail() { failn=$((failn + 1)); echo "FAIL: $*"; }

# A dump that is not a crash: copies of a crash would be several dumps.
src=$(grep -L -E '^(panic: |fatal error: |SIG[A-Z]+: )' "$SRCDIR"/tests/fixtures/dumps/*.txt | head -1)
# ~110 MB of whole goroutine blocks (each copy ends with a blank line).
{ cat "$src"; echo; } >"$work/one.txt"
while [ "$(stat -c %s "$work/one.txt")" -lt $((1 << 20)) ]; do
	cat "$work/one.txt" "$work/one.txt" >"$work/two.txt" && mv "$work/two.txt" "$work/one.txt"
done
# One dump: the copies' goroutines are renumbered (repeated IDs would be
# several dumps, of which stacks shows the last).
for _ in $(seq $(( (110 << 20) / $(stat -c %s "$work/one.txt") + 1 ))); do cat "$work/one.txt"; done |
	awk '/^goroutine [0-9]+ /{ $2 = ++n } { print }' >"$work/big.txt"

script -qec "$GODIAG stacks --json $work/big.txt >$work/out.json" "$work/tty.log" >/dev/null 2>&1
grep -q "reading $work/big.txt: [0-9]* / [0-9]* MiB" "$work/tty.log" && ok "progress shown on a terminal" \
	|| fail "no progress on a terminal: $(head -c 300 "$work/tty.log" | tr -d '\r')"
jq -e '.total > 0 and .dumps == 1 and .total == '"$(grep -c '^goroutine [0-9]* ' "$work/big.txt")" "$work/out.json" >/dev/null &&
	ok "the result is complete" || fail "bad result: $(jq -c '[.total, .dumps]' "$work/out.json")"

"$GODIAG" stacks --json "$work/big.txt" >/dev/null 2>"$work/err.txt"
[ ! -s "$work/err.txt" ] && ok "quiet when stderr is not a terminal" || fail "stderr: $(head -c 200 "$work/err.txt")"
script -qec "$GODIAG stacks --quiet --json $work/big.txt >/dev/null" "$work/tty2.log" >/dev/null 2>&1
! grep -q "reading" "$work/tty2.log" && ok "--quiet silences it" || fail "--quiet still shows progress"
echo "stacks-progress: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
