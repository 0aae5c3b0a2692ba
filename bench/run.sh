#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh [GODIAG] — time `godiag stacks` on a one-million-goroutine debug=2
# dump side by side with `wc -l` (the floor: just reading the lines), panicparse
# (the reference tool) and `go tool pprof -top` on the debug=0 profile of the
# same state, and check godiag's targets (issue 12): a mapped file in <= 2x the
# wall time of `wc -l`, a pipe in <= 3x `cat DUMP | wc -l` (the same pipe),
# peak RSS <= 64 MB either way, and a goroutine total equal to what the
# generator wrote. The dump is made once
# by bench/gendump and cached in bench/out/ (git-ignored). The markdown result
# table goes to stdout, progress to stderr; exit 0 only when every check passes.
#
# Environment: BENCH_OUT (dump dir, default bench/out), BENCH_N (goroutines,
# default 1000000), BENCH_AGE (wait before dumping so headers carry minutes,
# default 70s), BENCH_GO (Go version for the generator, default 1.19),
# BENCH_REPS (default 3), BENCH_PANICPARSE_REPS (default BENCH_REPS: one
# panicparse run is a minute idle, five on a loaded machine), BENCH_SKIP (space-separated tool names to skip:
# wc wc-pipe godiag godiag-pipe godiag-d1 godiag-d0 panicparse pprof).
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
godiag=${1:-$root/build-bench/godiag}
out=${BENCH_OUT:-$root/bench/out}
n=${BENCH_N:-1000000}
age=${BENCH_AGE:-70s}
gover=${BENCH_GO:-1.19}
reps=${BENCH_REPS:-3}
pp_reps=${BENCH_PANICPARSE_REPS:-$reps}
skip=" ${BENCH_SKIP:-} "
dump=$out/goroutines.debug2.txt
d1=$out/goroutines.debug1.txt
d0=$out/goroutine.pb.gz
exp=$out/expected.json

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 2; }

[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian package 'time', see scripts/deps.sh)"
command -v jq >/dev/null || die "jq missing (see scripts/deps.sh)"

# --- 1. the dump (cached) ----------------------------------------------------
if [ ! -s "$dump" ] || [ ! -s "$exp" ] || [ ! -s "$d1" ] || [ ! -s "$d0" ]; then
	mkdir -p "$out"
	gen=$out/gendump
	if [ ! -x "$gen" ] || [ "$root/bench/gendump/main.go" -nt "$gen" ]; then
		log "building gendump with Go $gover"
		"$root/tests/lib/gobuild.sh" "$root/bench/gendump" "$gen" "$gover" || die "cannot build gendump"
	fi
	log "generating $n goroutines into $out (takes ~$age + a minute, ~6 GB RAM)"
	/usr/bin/time -f 'gendump: %e s %M KB' "$gen" -out "$out" -n "$n" -age "$age" ||
		die "gendump failed"
fi
total_want=$(jq -r .total "$exp")
dump_bytes=$(stat -c %s "$dump")
dump_mb=$(awk -v b="$dump_bytes" 'BEGIN{printf "%.0f", b/1e6}')

# --- 2. warm the page cache ---------------------------------------------------
log "warming the page cache ($dump_mb MB)"
cat "$dump" "$d1" "$d0" >/dev/null

# --- 3. the runs ------------------------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A secs best cpu rss status cmdline
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# measure NAME CMD... : run CMD $reps times, stdout to /dev/null; keep the
# median and the best wall time, the median CPU time (user+sys: on a shared
# 2-core machine other jobs inflate wall time, hardly CPU time), the largest
# peak RSS and the worst exit status.
measure() {
	local name=$1; shift
	case "$skip" in *" $name "*) log "skipping $name"; return ;; esac
	local i rc worst=0 t c walls="" cpus="" kb maxkb=0
	cmdline[$name]="$*"
	for ((i = 1; i <= reps; i++)); do
		/usr/bin/time -f '%e s %M KB %U %S' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err.$name"
		rc=$?
		# /usr/bin/time prints "Command exited with non-zero status N" first
		t=$(awk '/ s .* KB /{print $1}' "$tmp/time" | tail -1)
		kb=$(awk '/ s .* KB /{print $3}' "$tmp/time" | tail -1)
		c=$(awk '/ s .* KB /{printf "%.2f", $5 + $6}' "$tmp/time" | tail -1)
		log "$name run $i: ${t}s wall ${c}s cpu ${kb}KB rc=$rc"
		[ "$rc" -gt "$worst" ] && worst=$rc
		[ "${kb:-0}" -gt "$maxkb" ] && maxkb=$kb
		walls="$walls $t"
		cpus="$cpus $c"
	done
	secs[$name]=$(median $walls)
	best[$name]=$(printf '%s\n' $walls | sort -g | head -1)
	cpu[$name]=$(median $cpus)
	rss[$name]=$maxkb
	status[$name]=$worst
	[ "$worst" -eq 0 ] || log "$name exited $worst: $(head -c 300 "$tmp/err.$name")"
}

# peak_mem CMD...: run CMD once, sampling /proc/PID/status every 10 ms; prints
# the peak RssAnon and RssFile in KB. /usr/bin/time's %M counts the pages of
# an mmap'd input as RSS; they are page cache, shared and reclaimable, so the
# private (anonymous) peak is reported beside it.
peak_mem() {
	local pid a f maxa=0 maxf=0 k v _
	"$@" >/dev/null 2>&1 &
	pid=$!
	while [ -r "/proc/$pid/status" ]; do
		a=0 f=0
		while read -r k v _; do
			case $k in RssAnon:) a=$v ;; RssFile:) f=$v ;; esac
		done <"/proc/$pid/status" 2>/dev/null
		[ "$a" -gt "$maxa" ] && maxa=$a
		[ "$f" -gt "$maxf" ] && maxf=$f
		sleep 0.01
	done
	wait "$pid"
	echo "$maxa $maxf"
}

measure wc wc -l "$dump"
# The pipe's anchor: the same cat, the same pipe, wc -l at the other end.
measure wc-pipe sh -c 'cat "$1" | wc -l' sh "$dump"
cmdline[wc-pipe]="cat $dump | wc -l"
if [ -x "$godiag" ]; then
	measure godiag "$godiag" stacks --json "$dump"
	# Through a pipe godiag cannot mmap: the read() path and its memory.
	measure godiag-pipe sh -c 'cat "$1" | "$2" stacks --json -' sh "$dump" "$godiag"
	cmdline[godiag-pipe]="cat $dump | $godiag stacks --json -"
	read -r anon_kb file_kb < <(peak_mem "$godiag" stacks --json "$dump")
	log "godiag peak RssAnon ${anon_kb}KB RssFile ${file_kb}KB"
	measure godiag-d1 "$godiag" stacks --json "$d1"
	measure godiag-d0 "$godiag" stacks --json "$d0"
else
	log "no godiag at $godiag: godiag rows skipped"
fi
if command -v panicparse >/dev/null; then
	reps=$pp_reps measure panicparse panicparse -aggressive -parse=false "$dump"
fi
if command -v go >/dev/null; then
	measure pprof go tool pprof -top "$d0"
fi

# --- 4. table, ratios, checks -------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
row() {
	local name=$1 input=$2 bytes=$3
	[ -n "${secs[$name]:-}" ] || return 0
	local thr
	thr=$(awk -v b="$bytes" -v s="${secs[$name]}" 'BEGIN{ if (s > 0 && b > 0) printf "%.0f", b/1e6/s; else print "-" }')
	local cmd=${cmdline[$name]//$root\//}
	printf '| %s | `%s` | %s | %s | %s | %s | %s | %s |\n' "$name" "${cmd//|/\\|}" "${secs[$name]}" \
		"${best[$name]}" "${cpu[$name]}" "$(mb "${rss[$name]}")" "$thr" "${status[$name]}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0 && b > 0) printf "%.2f", a/b; else print "n/a" }'; }

echo "### godiag stacks benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)."
dirty=$(git -C "$root" status --porcelain -- src 2>/dev/null | wc -l)
echo "godiag: $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$([ "$dirty" = 0 ] || echo " + $dirty uncommitted files under src/") ($godiag). Dump: $n goroutines," \
	"$dump_mb MB, $(jq -r .dump_lines "$exp") lines, $(jq -r '.shapes|length' "$exp") shapes," \
	"made by $(jq -r .go_version "$exp"); debug=1 $(stat -c %s "$d1") B, debug=0 $(stat -c %s "$d0") B."
echo "Each command run $reps times (panicparse $pp_reps) after warming the page cache (\`/usr/bin/time -f '%e s %M KB %U %S'\`):" \
	"wall = median and best of the runs, CPU = median user+sys, RSS = max, MB/s from the median wall." \
	"Load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared; wall times" \
	"grow with the load, CPU times hardly)."
echo
echo "| tool | command (stdout to /dev/null) | wall s | best wall s | CPU s | peak RSS MB | MB/s (debug=2) | exit |"
echo "|---|---|---|---|---|---|---|---|"
row wc "$dump" "$dump_bytes"
row wc-pipe "$dump" "$dump_bytes"
row godiag "$dump" "$dump_bytes"
row godiag-pipe "$dump" "$dump_bytes"
row godiag-d1 "$d1" 0
row godiag-d0 "$d0" 0
row panicparse "$dump" "$dump_bytes"
row pprof "$d0" 0
echo

fail=0
check() { # check OK TEXT
	if [ "$1" = 1 ]; then echo "- PASS: $2"; else echo "- FAIL: $2"; fail=1; fi
}
if [ -n "${secs[godiag]:-}" ]; then
	r_wc=$(ratio "${secs[godiag]}" "${secs[wc]:-0}")
	echo "Ratios: godiag / wc -l = **$r_wc×** (median wall), $(ratio "${best[godiag]}" "${best[wc]:-0}")× (best wall)," \
		"$(ratio "${cpu[godiag]}" "${cpu[wc]:-0}")× (CPU);" \
		"panicparse / godiag = **$(ratio "${secs[panicparse]:-0}" "${secs[godiag]}")×** (wall)," \
		"$(ratio "${cpu[panicparse]:-0}" "${cpu[godiag]}")× (CPU), **$(ratio "${rss[panicparse]:-0}" "${rss[godiag]}")×** (RSS)."
	echo
	check "$(awk -v r="$r_wc" 'BEGIN{print (r != "n/a" && r <= 2) ? 1 : 0}')" \
		"godiag wall ${secs[godiag]} s ≤ 2 × wc -l ${secs[wc]:-?} s (ratio $r_wc; best walls: $(ratio "${best[godiag]}" "${best[wc]:-0}"))"
	check "$(awk -v k="${rss[godiag]}" 'BEGIN{print (k <= 64*1024) ? 1 : 0}')" \
		"godiag peak RSS $(mb "${rss[godiag]}") MB ≤ 64 MB (%M, counts the mmap'd input)"
	check "$(awk -v k="$anon_kb" 'BEGIN{print (k > 0 && k <= 64*1024) ? 1 : 0}')" \
		"godiag peak private memory (RssAnon, sampled every 10 ms) $(mb "$anon_kb") MB ≤ 64 MB; mapped file peak $(mb "$file_kb") MB"
	if [ -n "${rss[godiag-pipe]:-}" ]; then
		r_pipe=$(ratio "${secs[godiag-pipe]}" "${secs[wc-pipe]:-0}")
		check "$(awk -v r="$r_pipe" 'BEGIN{print (r != "n/a" && r <= 3) ? 1 : 0}')" \
			"godiag reading a pipe: wall ${secs[godiag-pipe]} s ≤ 3 × cat | wc -l ${secs[wc-pipe]:-?} s (ratio $r_pipe; best walls: $(ratio "${best[godiag-pipe]}" "${best[wc-pipe]:-0}"))"
		check "$(awk -v k="${rss[godiag-pipe]}" 'BEGIN{print (k <= 64*1024) ? 1 : 0}')" \
			"godiag reading a pipe: peak RSS $(mb "${rss[godiag-pipe]}") MB ≤ 64 MB"
	fi
	check "$([ "${status[godiag]}" = 0 ] && echo 1 || echo 0)" "godiag exit status ${status[godiag]} = 0"
	# One more, untimed run keeps the JSON for the content checks.
	"$godiag" stacks --json "$dump" >"$tmp/stacks.json" 2>"$tmp/stacks.err"
	got=$(jq -r .total "$tmp/stacks.json" 2>/dev/null)
	check "$([ "$got" = "$total_want" ] && echo 1 || echo 0)" "godiag total ${got:-none} = $total_want"
	got=$(jq -r '.truncated' "$tmp/stacks.json" 2>/dev/null)
	check "$([ "$got" = false ] && echo 1 || echo 0)" "godiag truncated = ${got:-none} (want false)"
	nb=$(jq -r '.buckets|length' "$tmp/stacks.json" 2>/dev/null)
	big=$(jq -r '.buckets[0].count' "$tmp/stacks.json" 2>/dev/null)
	big_want=$(jq -r '.shapes[0].count' "$exp")
	check "$([ "$big" = "$big_want" ] && echo 1 || echo 0)" \
		"largest bucket ${big:-none} = largest shape $big_want ($nb buckets)"
	# The debug=1 profile of the same state holds one line per distinct stack
	# with its count; grouping by func+file+line must find the same multiset.
	jq -r '.buckets[].count' "$tmp/stacks.json" | sort -n >"$tmp/counts.godiag"
	awk '/ @ /{print $1}' "$d1" | sort -n >"$tmp/counts.d1"
	check "$(cmp -s "$tmp/counts.godiag" "$tmp/counts.d1" && echo 1 || echo 0)" \
		"bucket counts equal the debug=1 stack counts ($(wc -l <"$tmp/counts.godiag") buckets, $(wc -l <"$tmp/counts.d1") stacks)"
	for f in d1 d0; do
		[ -n "${secs[godiag-$f]:-}" ] || continue
		got=$("$godiag" stacks --json "$(eval echo \$$f)" 2>/dev/null | jq -r .total)
		check "$([ "$got" = "$total_want" ] && echo 1 || echo 0)" "godiag total on $f ${got:-none} = $total_want"
	done
else
	echo "godiag not measured."
	fail=1
fi
exit $fail
