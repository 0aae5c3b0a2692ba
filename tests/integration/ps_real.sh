#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ps_real.sh: `godiag ps` against real processes.  Two Go programs (the
# madvfree scenario built in GOPATH mode with Go 1.19, and the same source
# built as module example.com/psreal with the newest installed Go), a copy
# of the first whose file is deleted while it runs, and a non-Go `sleep` are
# started; ps --json must list both Go programs with the
# Go version and main package/module that `go version -m` reports, their
# listening port, and not the sleep; --probe must find their /debug/pprof/.
# Then ps runs as user nobody: the root-owned Go processes must still show,
# as partial rows that say why, and nothing may crash.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
export BUILDDIR

work=$(mktemp -d /tmp/godiag-psreal.XXXXXX)
chmod 755 "$work" # nobody must be able to open the binaries by argv[0]
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION JQ-EXPR FILE [jq args...]
	local d=$1 q=$2 f=$3
	shift 3
	if jq -e "$@" "$q" "$f" >/dev/null 2>&1; then ok; else fail "$d: $q"; head -c 3000 "$f"; echo; fi
}

# A: GOPATH mode, Go 1.19
binA=$work/psreal-a
"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/madvfree" "$binA" 1.19 || { echo "cannot build A"; exit 1; }
# B: module mode with the newest Go we have (no dependencies: no proxy needed)
goB=$(ls -d /usr/lib/go-1.2[0-9]/bin/go 2>/dev/null | sort -V | tail -n1)
[ -n "$goB" ] || goB=$(command -v go)
mkdir -p "$work/modsrc"
cp "$SRCDIR/tests/scenarios/madvfree/main.go" "$work/modsrc/"
printf 'module example.com/psreal\n\ngo 1.19\n' >"$work/modsrc/go.mod"
binB=$work/psreal-b
(cd "$work/modsrc" && GO111MODULE=on GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
	GOCACHE="$BUILDDIR/go-work/cache-psreal" GOPATH="$BUILDDIR/go-work/gopath" \
	"$goB" build -o "$binB" .) || { echo "cannot build B with $goB"; exit 1; }

run() { # run NAME BIN: start it, set pid_NAME and url_NAME
	local out=$work/out.$1
	"$2" -mb 16 -ttl 5m -pprof >"$out" 2>&1 &
	pids+=($!)
	eval "pid_$1=$!"
	for _ in $(seq 300); do grep -q '^READY' "$out" && break; sleep 0.1; done
	grep -q '^READY' "$out" || { echo "$1 did not start: $(cat "$out")"; exit 1; }
	eval "url_$1=$(sed -n 's/^READY .*pprof=\(http[^ ]*\).*/\1/p' "$out")"
}
run a "$binA"
run b "$binB"
# C: a copy of A deleted while it runs (an upgrade in place): still found
# through /proc/PID/exe, flagged "deleted".
cp "$binA" "$work/psreal-c"
run c "$work/psreal-c"
rm -f "$work/psreal-c"
sleep 300 &
pids+=($!)
pid_sleep=$!

gov() { GOTOOLCHAIN=local "$goB" version -m "$1"; }
verA=$(gov "$binA" | head -n1 | sed 's/^.*: //')
verB=$(gov "$binB" | head -n1 | sed 's/^.*: //')
pathA=$(gov "$binA" | awk -F'\t' '$2 == "path" {print $3}')
modB=$(gov "$binB" | awk -F'\t' '$2 == "mod" {print $3}')

start=$(date +%s%N)
"$GODIAG" ps --json >"$work/ps.json" 2>"$work/ps.err"
rc=$?
end=$(date +%s%N)
[ "$rc" = 0 ] && ok || fail "ps exit $rc: $(cat "$work/ps.err")"
echo "ps over $(ls -d /proc/[0-9]* | wc -l) processes took $(((end - start) / 1000000)) ms"
jq -e . "$work/ps.json" >/dev/null && ok || fail "ps --json is not JSON"
check "A listed with its Go version and path" \
	'map(select(.pid == $p))[0] | .go_version == $v and .path == $path and .module == null and .verified' \
	"$work/ps.json" --argjson p "$pid_a" --arg v "$verA" --arg path "$pathA"
check "B listed with its Go version and module" \
	'map(select(.pid == $p))[0] | .go_version == $v and .module == $m and .module_version == "(devel)"' \
	"$work/ps.json" --argjson p "$pid_b" --arg v "$verB" --arg m "$modB"
check "A: RSS, threads, uptime, policy" \
	'map(select(.pid == $p))[0] | .rss_bytes > 1048576 and .threads >= 2 and .uptime_seconds >= 0 and .policy == "MADV_DONTNEED" and .lazyfree_bytes != null' \
	"$work/ps.json" --argjson p "$pid_a"
check "A: its pprof port is listening" \
	'map(select(.pid == $p))[0] | .tcp_listening >= 1 and .tcp_established >= 0 and .partial == false' \
	"$work/ps.json" --argjson p "$pid_a"
check "C: deleted binary still identified" \
	'map(select(.pid == $p))[0] | .exe_deleted and (.flags | index("deleted") != null) and .go_version == $v and (.exe | endswith(" (deleted)"))' \
	"$work/ps.json" --argjson p "$pid_c" --arg v "$verA"
check "sleep is not a Go process" 'map(select(.pid == $p)) | length == 0' "$work/ps.json" --argjson p "$pid_sleep"

"$GODIAG" ps >"$work/ps.txt" 2>&1 && ok || fail "ps text exit $?"
grep -q "^$pid_b .*example.com/psreal" "$work/ps.txt" && ok || { fail "text row for B"; cat "$work/ps.txt"; }

"$GODIAG" ps --json --probe >"$work/probe.json" 2>"$work/probe.err" && ok || fail "ps --probe exit $?"
check "probe finds A's pprof" 'map(select(.pid == $p))[0].pprof == ($u + "/debug/pprof/")' \
	"$work/probe.json" --argjson p "$pid_a" --arg u "$url_a"
check "probe finds B's pprof" 'map(select(.pid == $p))[0].pprof == ($u + "/debug/pprof/")' \
	"$work/probe.json" --argjson p "$pid_b" --arg u "$url_b"

# --goroutines: the census of `stacks --pid` (itself checked against
# debug=2 by census_parity_slow), counted per row; the text gains a column.
"$GODIAG" ps --json --goroutines >"$work/gor.json" 2>"$work/gor.err" && ok || fail "ps --goroutines exit $?"
for n in a b; do
	p="pid_$n"
	"$GODIAG" stacks --pid "${!p}" --json >"$work/st-$n.json" 2>/dev/null
	check "--goroutines: $n's count is its census total (>= 2)" \
		'(map(select(.pid == $p))[0].goroutines) as $g | $g == $t and $g >= 2' \
		"$work/gor.json" --argjson p "${!p}" --argjson t "$(jq '.total' "$work/st-$n.json")"
done
check "without --goroutines: no count" 'map(select(.pid == $p))[0] | has("goroutines") | not' \
	"$work/ps.json" --argjson p "$pid_a"
"$GODIAG" ps --goroutines >"$work/gor.txt" 2>&1
grep -q "^PID .* THR GOROUTS  ESTAB" "$work/gor.txt" && ok || { fail "--goroutines: text column"; cat "$work/gor.txt"; }

# As nobody: other users' processes give partial rows with a reason.
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$GODIAG" ps --json \
		>"$work/nobody.json" 2>"$work/nobody.err"
	rc=$?
	[ "$rc" = 0 ] && ok || fail "ps as nobody exit $rc: $(cat "$work/nobody.err")"
	check "as nobody: A still listed, unverified" \
		'map(select(.pid == $p))[0] | .verified == false and .partial == true and .go_version == $v' \
		"$work/nobody.json" --argjson p "$pid_a" --arg v "$verA"
	check "as nobody: RSS from the world-readable status, LazyFree unknown" \
		'map(select(.pid == $p))[0] | .rss_bytes > 0 and .lazyfree_bytes == null and .tcp_established == null' \
		"$work/nobody.json" --argjson p "$pid_a"
	check "as nobody: the reasons say permission denied" \
		'map(select(.pid == $p))[0].notes | map(.why) | any(contains("permission denied"))' \
		"$work/nobody.json" --argjson p "$pid_a"
	check "as nobody: smaps note" \
		'map(select(.pid == $p))[0].notes | map(select(.what == "smaps")) | length == 1' \
		"$work/nobody.json" --argjson p "$pid_b"
	grep -q "could not be inspected" "$work/nobody.err" && ok || fail "as nobody: no summary of uninspectable processes"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$GODIAG" ps --json --goroutines \
		>"$work/nobody-gor.json" 2>/dev/null
	check "as nobody: --goroutines unknown, with the reason" \
		'map(select(.pid == $p))[0] | .goroutines == null and (.notes | map(select(.what == "goroutines")) | length == 1)' \
		"$work/nobody-gor.json" --argjson p "$pid_a"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$GODIAG" ps >"$work/nobody.txt" 2>&1 &&
		ok || fail "ps text as nobody exit $?"
	grep -q "pid $pid_a: .*permission denied" "$work/nobody.txt" && ok || { fail "as nobody: text reason"; cat "$work/nobody.txt"; }
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$GODIAG" mem "$pid_a" --json \
		>"$work/nobody-mem.json" 2>&1
	rc=$?
	[ "$rc" = 1 ] && ok || fail "mem as nobody exit $rc, want 1 (partial)"
	check "as nobody: mem is partial with reasons" '.partial == true and .rss.rss_bytes > 0 and (.notes | length >= 2)' "$work/nobody-mem.json"
else
	echo "SKIP: setpriv cannot switch users here: the checks as nobody did not run"
	skipped=1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
# A claim that could not be checked is a skip (meson's 77), never a pass.
[ "${skipped:-0}" = 0 ] || exit 77
