#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mem_madvfree.sh: the "RSS stays high but it is not a leak" case for real.
# tests/scenarios/madvfree allocates 1 GiB, touches it, frees it and calls
# debug.FreeOSMemory().  Run under GODEBUG=madvdontneed=0 (MADV_FREE on
# Go 1.19), `godiag mem PID --json` must show LazyFree >= 900 MiB and a
# verdict naming MADV_FREE with the fix; with --pprof the MemStats split must
# put the GiB under HeapReleased.  The madvdontneed=1 twin must show RSS
# dropped and no MADV_FREE blame.  One verdict: on both, `mem --json`,
# `ps --json` and `doctor --json` name the same memory rule ids for the PID.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
export BUILDDIR

work=$(mktemp -d /tmp/godiag-madvfree.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check DESCRIPTION JQ-EXPR FILE
	if jq -e "$2" "$3" >/dev/null 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $1: $2"
		jq -c '{rss, policy, verdict, split, notes}' "$3" 2>/dev/null | head -c 2000
		echo
	fi
}
expect_rc() { # expect_rc DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1: exit $2, want $3"; fi
}

bin=$work/madvfree
"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/madvfree" "$bin" 1.19 || { echo "cannot build madvfree"; exit 1; }

# start GODEBUG_VALUE: runs the scenario, sets $pid and $url
start() {
	local out=$work/out.$1
	GODEBUG=$1 "$bin" -mb 1024 -ttl 5m -pprof >"$out" 2>&1 &
	pids+=($!)
	pid=$!
	for _ in $(seq 300); do
		grep -q '^READY' "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^READY' "$out" || { echo "scenario did not start: $(cat "$out")"; exit 1; }
	url=$(sed -n 's/^READY .*pprof=\(http[^ ]*\).*/\1/p' "$out")
}

# --- MADV_FREE: GODEBUG=madvdontneed=0 on Go 1.19 ---
start madvdontneed=0
"$GODIAG" mem "$pid" --json >"$work/free.json" 2>"$work/free.err"
expect_rc "mem on the MADV_FREE process names a problem" $? 1
check "LazyFree >= 900 MiB" '.rss.lazyfree_bytes >= 900*1048576' "$work/free.json"
check "RSS still holds the GiB" '.rss.rss_bytes >= 900*1048576' "$work/free.json"
check "policy" '.policy.name == "MADV_FREE" and .policy.madvdontneed == 0' "$work/free.json"
check "policy reason names the environment" '.policy.reason | contains("GODEBUG environment")' "$work/free.json"
check "verdict names MADV_FREE" '.verdict | contains("LazyFree") and contains("MADV_FREE") and contains("not a leak")' "$work/free.json"
check "the fix fits the environment" '.fix | contains("remove madvdontneed=0 from the GODEBUG")' "$work/free.json"
check "first finding" '.findings[0].id == "rss-held-by-madv-free"' "$work/free.json"
check "environ read" '.env.GODEBUG == "madvdontneed=0"' "$work/free.json"
check "go version from the binary" '.go.version | startswith("go1.19")' "$work/free.json"
check "not partial as root" '.partial == false' "$work/free.json"

"$GODIAG" mem "$pid" --json --pprof "$url" >"$work/free-pprof.json" 2>&1
expect_rc "mem --pprof on the MADV_FREE process" $? 1
check "MemStats read" '.memstats.HeapReleased >= 900*1048576' "$work/free-pprof.json"
check "split: released GiB" '.split.heap_released_bytes >= 900*1048576' "$work/free-pprof.json"
check "split: small heap in use" '.split.heap_inuse_bytes < 64*1048576' "$work/free-pprof.json"
check "split: non-Go is small" '.split.non_go_bytes < 64*1048576' "$work/free-pprof.json"
check "still the MADV_FREE verdict" '[.findings[].id] == ["rss-held-by-madv-free"]' "$work/free-pprof.json"
"$GODIAG" mem "$pid" >"$work/free.txt" 2>&1
grep -q '^verdict: RSS .* of it is LazyFree: pages Go freed with MADV_FREE' "$work/free.txt" &&
	passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: text verdict"; cat "$work/free.txt"; }
grep -q "MADV_FREE'd pages may still be resident" <("$GODIAG" mem "$pid" --pprof "$url" 2>&1) &&
	passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: HeapReleased comment under MADV_FREE"; }

# same_rules NAME MEM_JSON: mem, ps and doctor name the same memory rule ids
# for $pid (sorted; doctor's goroutine findings are not memory rules).
memory_ids='["rss-held-by-madv-free","heap-idle-not-released","rss-outside-go-heap","thp-inflation","cgroup-near-limit"]'
same_rules() {
	local name=$1 m p d
	"$GODIAG" ps --json >"$work/$name-ps.json" 2>/dev/null
	timeout 120 "$GODIAG" doctor "$pid" --pprof "$url" --json >"$work/$name-doctor.json" 2>"$work/$name-doctor.err"
	m=$(jq -c '[.findings[].id] | sort' "$2")
	p=$(jq -c --argjson pid "$pid" '[.[] | select(.pid == $pid) | .rules[]] | sort' "$work/$name-ps.json")
	d=$(jq -c --argjson ids "$memory_ids" '[.findings[].rule | select(. as $r | $ids | index($r))] | sort' "$work/$name-doctor.json")
	if [ -n "$m" ] && [ "$m" = "$p" ] && [ "$m" = "$d" ] && [ "$m" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $name: memory rule ids differ: mem $m, ps $p, doctor $d (want $3)"
		head -c 600 "$work/$name-doctor.err"
	fi
}
same_rules free "$work/free-pprof.json" '["rss-held-by-madv-free"]'
kill "$pid"

# --- MADV_DONTNEED: the twin ---
start madvdontneed=1
"$GODIAG" mem "$pid" --json --pprof "$url" >"$work/dontneed.json" 2>&1
expect_rc "mem on the MADV_DONTNEED process finds no problem" $? 0
check "RSS dropped" '.rss.rss_bytes < 200*1048576' "$work/dontneed.json"
check "no LazyFree" '.rss.lazyfree_bytes < 64*1048576' "$work/dontneed.json"
check "policy" '.policy.name == "MADV_DONTNEED"' "$work/dontneed.json"
check "verdict does not blame MADV_FREE" '(.verdict | contains("MADV_FREE") | not) and .problem == false' "$work/dontneed.json"
check "released GiB is gone from RSS" '.split.heap_released_bytes >= 900*1048576' "$work/dontneed.json"
same_rules dontneed "$work/dontneed.json" '[]'
"$GODIAG" mem "$pid" --pprof "$url" >"$work/dontneed.txt" 2>&1
if grep -q "MADV_FREE'd pages" "$work/dontneed.txt" || ! grep -q "HeapReleased (returned to the OS)" "$work/dontneed.txt"; then
	failed=$((failed + 1)); echo "FAIL: MADV_DONTNEED text claims MADV_FREE'd pages"; cat "$work/dontneed.txt"
else
	passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
