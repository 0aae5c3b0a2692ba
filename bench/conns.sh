#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/conns.sh [GODIAG] — optional benchmark: a Go process (bench/connsgen)
# holds N established loopback connections (the peer ends live in a second
# connsgen), then
# `godiag conns PID` is timed against `ss -tinp` listing the same sockets.
# godiag conns is skipped with a message when this godiag has no such command.
# Markdown to stdout, progress to stderr. Env: BENCH_CONNS (default 20000),
# BENCH_REPS (default 3).
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
godiag=${1:-$root/build-bench/godiag}
n=${BENCH_CONNS:-20000}
reps=${BENCH_REPS:-3}
out=$root/bench/out
log() { printf 'bench: %s\n' "$*" >&2; }

mkdir -p "$out"
gen=$out/connsgen
if [ ! -x "$gen" ] || [ "$root/bench/connsgen/main.go" -nt "$gen" ]; then
	"$root/tests/lib/gobuild.sh" "$root/bench/connsgen" "$gen" || { log "cannot build connsgen"; exit 2; }
fi

# The target process holds the accepted ends only, a second connsgen the
# dialled ends: a container without CAP_SYS_RESOURCE cannot raise the hard fd
# limit, and both ends of N connections in one process need 2N descriptors.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$n" -gt $((hard - 64)) ]; then
	log "fd hard limit is $hard: holding $((hard - 64)) connections instead of $n"
	n=$((hard - 64))
fi
ulimit -Sn "$hard"

tmp=$(mktemp -d)
srvpid= clipid=
cleanup() {
	for p in $clipid $srvpid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
wait_line() { # wait_line FILE WORD PID
	local i
	for i in $(seq 1200); do
		grep -q "^$2 " "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
"$gen" -n "$n" -hold 30m -listen-only >"$tmp/srv" 2>"$tmp/srv.err" &
srvpid=$!
wait_line "$tmp/srv" LISTEN "$srvpid" || { log "connsgen server failed: $(cat "$tmp/srv.err")"; exit 2; }
read -r _ pid addr <"$tmp/srv"
"$gen" -n "$n" -hold 30m -connect "$addr" >"$tmp/cli" 2>"$tmp/cli.err" &
clipid=$!
wait_line "$tmp/cli" READY "$clipid" || { log "connsgen client failed: $(cat "$tmp/cli.err")"; exit 2; }
wait_line "$tmp/srv" READY "$srvpid" || { log "connsgen server not ready: $(cat "$tmp/srv.err")"; exit 2; }
got=$(awk '/^READY/{print $4}' "$tmp/srv")
port=${addr##*:}
log "connsgen pid $pid holds $got accepted connections on $addr (peer pid $clipid)"

declare -A secs rss status cmdline lines
measure() {
	local name=$1; shift
	local i t kb rc list="" maxkb=0 worst=0
	cmdline[$name]="$*"
	for ((i = 1; i <= reps; i++)); do
		/usr/bin/time -f '%e s %M KB' -o "$tmp/time" "$@" >"$tmp/out.$name" 2>"$tmp/err.$name"
		rc=$?
		t=$(awk '/ s .* KB$/{print $1}' "$tmp/time" | tail -1)
		kb=$(awk '/ s .* KB$/{print $3}' "$tmp/time" | tail -1)
		log "$name run $i: ${t}s ${kb}KB rc=$rc"
		[ "$rc" -gt "$worst" ] && worst=$rc
		[ "${kb:-0}" -gt "$maxkb" ] && maxkb=$kb
		list="$list $t"
	done
	secs[$name]=$(printf '%s\n' $list | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	rss[$name]=$maxkb
	status[$name]=$worst
	lines[$name]=$(wc -l <"$tmp/out.$name")
}

have_conns=0
if [ -x "$godiag" ] && "$godiag" --help 2>/dev/null | grep -q '^  conns '; then
	have_conns=1
	measure "godiag conns" "$godiag" conns "$pid"
	measure "godiag conns --json" "$godiag" conns --json "$pid"
else
	log "godiag conns does not exist yet in $godiag: skipped"
fi
# ss -p walks every /proc/PID/fd to name owners, as godiag must for one PID.
measure "ss -tinp" ss -tinp
measure "ss -tinp (filtered)" ss -tinp "sport = :$port"
measure "ss -tn" ss -tn

echo "### godiag conns benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) CPUs, Linux $(uname -r). connsgen (Go $(go env GOVERSION 2>/dev/null)) PID $pid holds the" \
	"accepted ends of $got established loopback connections (+1 listener); PID $clipid holds the dialled ends," \
	"so \`ss\` lists $((2 * got + 1)) sockets on port $port. Median of $reps runs; RSS = max."
echo
echo "| command | wall s | peak RSS MB | output lines | exit |"
echo "|---|---|---|---|---|"
for k in "godiag conns" "godiag conns --json" "ss -tinp" "ss -tinp (filtered)" "ss -tn"; do
	[ -n "${secs[$k]:-}" ] || continue
	printf '| `%s` | %s | %s | %s | %s |\n' "${cmdline[$k]//$root\//}" "${secs[$k]}" \
		"$(awk -v k="${rss[$k]}" 'BEGIN{printf "%.1f", k/1024}')" "${lines[$k]}" "${status[$k]}"
done
echo
if [ "$have_conns" = 1 ]; then
	# The target holds got accepted sockets and the listener.
	seen=$("$godiag" conns --json "$pid" 2>/dev/null | jq -r '.totals.sockets // empty' 2>/dev/null)
	if [ "$seen" = $((got + 1)) ]; then
		echo "- PASS: godiag conns counts $seen sockets for PID $pid (= $got + listener)"
	else
		echo "- FAIL: godiag conns counts ${seen:-none} sockets for PID $pid, want $((got + 1))"
	fi
	echo "- godiag conns / \`ss -tinp sport = :$port\` (same sockets, owners resolved): $(awk -v a="${secs[godiag conns]}" \
		-v b="${secs[ss -tinp (filtered)]}" 'BEGIN{ if (a > 0) printf "%.2f", a/b; else print "n/a" }')× wall"
else
	echo "godiag conns: not available in this build (skipped)."
fi
exit 0
