#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# buildinfo_real.sh: build tests/scenarios/buildinfo and cgobuild with every
# installed Go in many ways (default, PIE, -s -w, -X runtime.godebugDefault,
# cgo, module mode with a replaced dependency), then check that godiag's ELF
# reader (via tests/unit/buildinfo_dump) reports the same version, path,
# mod, dep and build lines as `go version -m`.  Also: a PIE with its section
# headers zeroed, a binary deleted while it runs (/proc/PID/exe), and the
# derived memory policy against the LazyFree that the kernel actually shows.
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
export BUILDDIR
dump=$BUILDDIR/tests/unit/buildinfo_dump
gobuild=$SRCDIR/tests/lib/gobuild.sh
[ -x "$dump" ] || { echo "missing $dump (build it first)"; exit 1; }

work=$(mktemp -d /tmp/godiag-bi.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }

gobin_for() {
	case "$1" in
	1.19) command -v go || echo /usr/lib/go-1.19/bin/go ;;
	*) echo "/usr/lib/go-$1/bin/go" ;;
	esac
}

field() { sed -n "s/^$2=//p" "$1" | head -n1; }

# compare BIN GOBIN [REFBIN]: our reading of BIN against `go version -m`
# of REFBIN (default BIN itself).
compare() {
	local bin=$1 gobin=$2 ref=${3:-$1} name
	name=$(basename "$bin")
	if ! "$dump" "$bin" >"$work/$name.dump"; then
		fail "$name: reader failed: $(cat "$work/$name.dump")"
		return
	fi
	GOTOOLCHAIN=local "$gobin" version -m "$ref" >"$work/$name.gov"
	local want got
	want=$(head -n1 "$work/$name.gov" | sed 's/^.*: //')
	got=$(field "$work/$name.dump" go_version)
	[ "$want" = "$got" ] && ok || fail "$name: version '$got', go version -m says '$want'"
	tail -n +2 "$work/$name.gov" >"$work/$name.want"
	grep '^	' "$work/$name.dump" >"$work/$name.got" || true
	if diff -u "$work/$name.want" "$work/$name.got" >"$work/$name.diff"; then
		ok
	else
		fail "$name: module info differs from go version -m:"
		cat "$work/$name.diff"
	fi
	[ -s "$work/$name.want" ] || fail "$name: go version -m printed no module info"
	echo "ok   $name: $got $(field "$work/$name.dump" how) format=$(field "$work/$name.dump" format) policy=$(field "$work/$name.dump" policy)"
}

expect() {  # expect NAME KEY VALUE
	local got
	got=$(field "$work/$1.dump" "$2")
	[ "$got" = "$3" ] && ok || fail "$1: $2='$got', want '$3'"
}

expect_has() {  # expect_has NAME KEY SUBSTRING
	local got
	got=$(field "$work/$1.dump" "$2")
	case "$got" in *"$3"*) ok ;; *) fail "$1: $2='$got' lacks '$3'" ;; esac
}

# Module mode: GOPATH mode has no mod/dep lines; this build has both, plus a
# "=>" replacement and vcs.* settings.
build_mod() {  # build_mod VER OUT [args]
	local ver=$1 out=$2 gobin
	shift 2
	gobin=$(gobin_for "$ver")
	(cd "$SRCDIR/tests/scenarios/buildinfo" &&
		GO111MODULE=on GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
		GOPATH="$BUILDDIR/go-work/gopath" GOCACHE="$BUILDDIR/go-work/cache-$ver" \
		"$gobin" build -tags withdep -o "$out" "$@" .)
}

versions=()
for v in 1.19 1.21 1.22 1.23; do
	if [ -x "$(gobin_for $v)" ]; then
		versions+=("$v")
	elif [ "$v" = 1.19 ]; then
		echo "Go 1.19 is required"; exit 1
	else
		echo "SKIP: Go $v not installed: its binaries are not checked"
		skipped=1
	fi
done

scen=$SRCDIR/tests/scenarios/buildinfo
for v in "${versions[@]}"; do
	gobin=$(gobin_for "$v")
	"$gobuild" "$scen" "$work/plain-$v" "$v"
	compare "$work/plain-$v" "$gobin"
	expect "plain-$v" how section
	expect "plain-$v" format 2
	expect "plain-$v" policy MADV_DONTNEED

	"$gobuild" "$scen" "$work/pie-$v" "$v" -buildmode=pie
	compare "$work/pie-$v" "$gobin"
	expect "pie-$v" how section

	"$gobuild" "$scen" "$work/stripped-$v" "$v" -ldflags='-s -w'
	compare "$work/stripped-$v" "$gobin"

	"$gobuild" "$scen" "$work/xdef-$v" "$v" -ldflags='-X runtime.godebugDefault=madvdontneed=0'
	compare "$work/xdef-$v" "$gobin"
	# godebugDefault only exists from go1.21: on 1.19 the -X is a no-op.
	if [ "$v" = 1.19 ]; then
		expect "xdef-$v" policy MADV_DONTNEED
		expect "xdef-$v" effective "madvdontneed=1"
		if GOTOOLCHAIN=local "$gobin" tool nm "$work/xdef-$v" | grep -q 'runtime.godebugDefault'; then
			fail "xdef-$v: go1.19 binary has runtime.godebugDefault; the version gate is wrong"
		else
			ok
		fi
	else
		expect "xdef-$v" policy MADV_FREE
		expect_has "xdef-$v" effective "madvdontneed=0"
	fi

	CGO_ENABLED=1 "$gobuild" "$SRCDIR/tests/scenarios/cgobuild" "$work/cgo-$v" "$v"
	compare "$work/cgo-$v" "$gobin"
	grep -q '^	build	CGO_ENABLED=1$' "$work/cgo-$v.got" && ok || fail "cgo-$v: no CGO_ENABLED=1"

	build_mod "$v" "$work/mod-$v"
	compare "$work/mod-$v" "$gobin"
	expect "mod-$v" ndeps 1
	grep -q '^	=>	./dep	(devel)	$' "$work/mod-$v.got" && ok || fail "mod-$v: no replacement line"
done

# A go1.19 PIE keeps .go.buildinfo in its second RW PT_LOAD; with the
# section headers gone, go1.19's own reader gives up (it looks only at the
# first one), ours must still find it through the segments.
cp "$work/pie-1.19" "$work/noshdr-1.19"
printf '\0\0\0\0\0\0\0\0' | dd of="$work/noshdr-1.19" bs=1 seek=40 conv=notrunc status=none  # e_shoff
printf '\0\0\0\0' | dd of="$work/noshdr-1.19" bs=1 seek=60 conv=notrunc status=none          # e_shnum, e_shstrndx
if readelf -SW "$work/noshdr-1.19" 2>&1 | grep -q '\.go\.buildinfo'; then
	fail "noshdr-1.19: section headers still visible"
fi
compare "$work/noshdr-1.19" "$(gobin_for 1.19)" "$work/pie-1.19"
expect noshdr-1.19 how segment
# `go version` exits 0 and stays silent on a file it cannot read, so look
# at what it prints.
for v in "${versions[@]}"; do
	if GOTOOLCHAIN=local "$(gobin_for "$v")" version "$work/noshdr-1.19" 2>&1 | grep -q ': go1\.'; then
		echo "note go$v 'go version' reads noshdr-1.19 too"
	else
		echo "note go$v 'go version' cannot read noshdr-1.19; godiag can"
	fi
done

# Deleted while running: /proc/PID/exe still opens the old inode.
cp "$work/plain-1.19" "$work/doomed"
"$work/doomed" sleep >"$work/doomed.out" &
pid=$!
pids+=("$pid")
for _ in $(seq 50); do grep -q ready "$work/doomed.out" 2>/dev/null && break; sleep 0.1; done
rm -f "$work/doomed"
case "$(readlink /proc/$pid/exe)" in *"(deleted)") ok ;; *) fail "doomed: exe link not marked deleted" ;; esac
"$dump" "/proc/$pid/exe" >"$work/proc.dump" || fail "reader failed on /proc/$pid/exe: $(cat "$work/proc.dump")"
grep '^	' "$work/proc.dump" >"$work/proc.got" || true
diff -u "$work/plain-1.19.got" "$work/proc.got" && ok || fail "deleted binary read differs"
expect proc go_version "$(field "$work/plain-1.19.dump" go_version)"
kill "$pid" 2>/dev/null || true
echo "ok   deleted-while-running binary via /proc/$pid/exe"

# Not a Go binary, and not ELF: clear errors.
"$dump" /bin/sh >"$work/sh.dump" && fail "/bin/sh read as Go" || true
grep -q 'not a Go executable' "$work/sh.dump" && ok || fail "/bin/sh: $(cat "$work/sh.dump")"
"$dump" "$SRCDIR/meson.build" >"$work/txt.dump" && fail "meson.build read as Go" || true
grep -q 'not an ELF file' "$work/txt.dump" && ok || fail "meson.build: $(cat "$work/txt.dump")"
"$dump" "$work/nonexistent" >"$work/enoent.dump" && fail "nonexistent file read" || true
grep -q 'error=not found' "$work/enoent.dump" && ok || fail "enoent: $(cat "$work/enoent.dump")"

# The policy we derive against what the kernel shows: under MADV_FREE the
# freed 64 MiB stay resident as LazyFree; under MADV_DONTNEED they leave.
# LazyFree pages sit on the file LRU, so a machine short of free memory (a
# CI run with its page cache full) reclaims them within moments; the
# kernel's own counters (pglazyfree: pages marked lazy-free, pglazyfreed:
# those reclaimed) then show that the process did MADV_FREE its 64 MiB.
vmstat_pages() { awk -v k="$1" '$1 == k {print $2}' /proc/vmstat; }
lazyfree_kb() {  # lazyfree_kb BIN [GODEBUG] -> "LazyFree-kB marked-pages reclaimed-pages"
	local out=$work/lf.out p kb m0 r0 m1 r1
	m0=$(vmstat_pages pglazyfree); r0=$(vmstat_pages pglazyfreed)
	if [ -n "${2:-}" ]; then
		GODEBUG=$2 "$1" lazyfree 64 >"$out" &
	else
		env -u GODEBUG "$1" lazyfree 64 >"$out" &
	fi
	p=$!
	pids+=("$p")
	for _ in $(seq 300); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
	if grep -q ready "$out" 2>/dev/null; then
		kb=$(awk '/^LazyFree:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo "")
	else
		kb=notready
	fi
	m1=$(vmstat_pages pglazyfree); r1=$(vmstat_pages pglazyfreed)
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	echo "${kb:-} $(( ${m1:-0} - ${m0:-0} )) $(( ${r1:-0} - ${r0:-0} ))"
}
policy_vs_kernel() {  # policy_vs_kernel NAME BIN [GODEBUG]
	local name=$1 bin=$2 env=${3:-} pol kb marked reclaimed
	pol=$(field <("$dump" -e "$env" "$bin") policy)
	read -r kb marked reclaimed <<<"$(lazyfree_kb "$bin" "$env")"
	if [ -z "$kb" ] || [ -z "$marked" ]; then
		echo "SKIP: $name: no LazyFree in smaps_rollup (kernel < 4.12?): policy not checked against the kernel"
		skipped=1
		return
	fi
	if [ "$kb" = notready ]; then
		fail "$name: $bin lazyfree 64 printed no ready line in 30 s"
		return
	fi
	echo "ok   $name: policy $pol, LazyFree ${kb} kB after freeing 64 MiB (host: $marked pages marked lazy-free, $reclaimed reclaimed meanwhile)"
	case "$pol" in
	MADV_FREE)
		if [ "$kb" -ge 32768 ]; then
			ok
		elif [ "$marked" -ge 8192 ] && [ "$reclaimed" -gt 0 ]; then
			echo "ok   $name: the kernel reclaimed the lazy-free pages at once; its counters show the MADV_FREE"
			ok
		else
			fail "$name: policy MADV_FREE but LazyFree only $kb kB ($marked pages marked lazy-free)"
		fi ;;
	MADV_DONTNEED) [ "$kb" -lt 8192 ] && ok || fail "$name: policy MADV_DONTNEED but LazyFree $kb kB" ;;
	*) fail "$name: policy $pol" ;;
	esac
}
policy_vs_kernel "go1.19 default" "$work/plain-1.19"
policy_vs_kernel "go1.19 GODEBUG=madvdontneed=0" "$work/plain-1.19" madvdontneed=0
policy_vs_kernel "go1.19 -X godebugDefault (ignored)" "$work/xdef-1.19"
for v in "${versions[@]}"; do
	[ "$v" = 1.19 ] && continue
	policy_vs_kernel "go$v -X godebugDefault=madvdontneed=0" "$work/xdef-$v"
	policy_vs_kernel "go$v -X + GODEBUG=madvdontneed=1" "$work/xdef-$v" madvdontneed=1
	break
done

echo "buildinfo_real: $checks checks, $fails failures, Go versions: ${versions[*]}"
[ "$fails" -eq 0 ] || exit 1
# A claim that could not be checked is a skip (meson's 77), never a pass.
[ "${skipped:-0}" = 0 ] || exit 77
