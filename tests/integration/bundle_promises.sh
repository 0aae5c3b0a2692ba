#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bundle_promises.sh: a bundle keeps its word, on a real Go service
# (tests/scenarios/heapleak, its heap?debug=1 is ~200 KiB):
#  - `bundle -o DIR` refuses a DIR that holds a stale dump (exit 2) and
#    leaves it as it was;
#  - every file the manifest lists as saved is there with the listed size;
#  - read back, a bundle ignores files not in its manifest (a stale dump
#    with 100 goroutines copied in later is listed as ignored, and its
#    goroutines are not counted);
#  - a write that fails (a real EFBIG: `ulimit -f 64`, SIGXFSZ ignored) is
#    FAILED in the summary, in --json and in the manifest, never "saved",
#    and `doctor DIR` shows that piece as not read; bundle exits 1.
# Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
scen_init bundle_promises
W=$SCEN_WORK

BIN=$(scen_build heapleak) || { echo "SKIP: cannot build heapleak with Go 1.19"; exit 77; }
scen_start HL "$BIN" -rate 1 -ttl 90s || exit 1

# A stale dump in DIR: refused, untouched.
STALE=$SRCDIR/tests/fixtures/dumps/go119_sigquit.txt
mkdir "$W/stale"
cp "$STALE" "$W/stale/goroutines-last-week.txt"
"$GODIAG" bundle "$HL_PID" -o "$W/stale" >"$W/stale.out" 2>"$W/stale.err"
expect_rc "bundle into a directory holding a stale dump is refused" $? 2
if grep -q 'not empty (holds goroutines-last-week.txt)' "$W/stale.err" && [ "$(ls "$W/stale")" = goroutines-last-week.txt ]; then
	ok "the refusal names the file and writes nothing"
else
	fail "refusal: $(cat "$W/stale.err"); dir holds: $(ls "$W/stale" | tr '\n' ' ')"
fi

# A good bundle: the manifest's files are all there, with their sizes.
"$GODIAG" bundle "$HL_PID" -o "$W/b1" >"$W/b1.out" 2>&1
expect_rc "bundle of a live heapleak" $? 0
M=$W/b1/manifest.json
check "manifest version 2 lists the heap and the debug=2 dump as saved" \
	'.godiag_bundle == 2 and ([.files[] | select(.ok) | .name] | index("heap-debug1.txt") and index("goroutine-debug2.txt"))' "$M" '.files'
bad=0
while IFS=$'\t' read -r name bytes; do
	[ "$(stat -c %s "$W/b1/$name" 2>/dev/null)" = "$bytes" ] || { bad=1; echo "    $name: manifest $bytes, disk $(stat -c %s "$W/b1/$name" 2>&1)"; }
done < <(jq -r '.files[] | select(.ok) | [.name, .bytes] | @tsv' "$M")
[ $bad = 0 ] && ok "every saved file has the manifest's size" || fail "sizes differ from the manifest"

# Read back with a stale dump dropped in: ignored, not counted.
cp "$STALE" "$W/b1/goroutines-stale.txt"
"$GODIAG" doctor --json "$W/b1" >"$W/b1.json" 2>"$W/b1.err"
expect_rc "doctor reads the bundle back" $? 0 1
check "the file not in the manifest is listed as ignored" \
	'[.snapshots[0].pieces[] | select(.what == "goroutines-stale.txt" and .ok == false and (.note | test("not in the bundle.s manifest")))] | length == 1' \
	"$W/b1.json" '.snapshots[0].pieces'
want=$(grep -c '^goroutine [0-9]' "$W/b1/goroutine-debug2.txt")
check "the goroutines counted are the bundle's ($want), not the stale dump's" \
	"[.snapshots[0].pieces[] | select(.what == \"goroutine-debug2\") | .note] == [\"$want goroutines (debug=2)\"]" \
	"$W/b1.json" '.snapshots[0].pieces'

# A failed write: EFBIG past 64 KiB (the heap profile), the rest saved.
(trap '' XFSZ; ulimit -f 64; exec "$GODIAG" bundle "$HL_PID" -o "$W/b2") >"$W/b2.out" 2>"$W/b2.err"
expect_rc "bundle with a write that fails exits 1 (partial)" $? 1
if grep -q 'FAILED heap-debug1.txt: not saved: File too large' "$W/b2.out" && ! grep -q 'saved  heap-debug1.txt' "$W/b2.out" &&
	[ ! -e "$W/b2/heap-debug1.txt" ]; then
	ok "the summary says FAILED for the file not written, and no part of it is left"
else
	fail "summary: $(cat "$W/b2.out") $(ls "$W/b2")"
fi
check "the manifest records heap-debug1.txt as failed" \
	'[.files[] | select(.name == "heap-debug1.txt")] | length == 1 and .[0].ok == false and (.[0].note | test("File too large"))' \
	"$W/b2/manifest.json" '.files'
(trap '' XFSZ; ulimit -f 64; exec "$GODIAG" bundle --json "$HL_PID" -o "$W/b3") >"$W/b3.json" 2>/dev/null
check "bundle --json says the same" \
	'.complete == false and ([.files[] | select(.name == "heap-debug1.txt" and .ok == false and .bytes == null)] | length == 1)' "$W/b3.json" '.files'
"$GODIAG" doctor --json "$W/b2" >"$W/b2.json" 2>/dev/null
check "doctor on that bundle shows the heap as not read" \
	'[.snapshots[0].pieces[] | select(.what == "heap-debug1" and .ok == false and (.note | test("not saved when the bundle was made")))] | length == 1' \
	"$W/b2.json" '.snapshots[0].pieces'

scen_summary
