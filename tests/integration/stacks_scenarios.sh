#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# stacks_scenarios.sh: drive `godiag stacks` with real dumps from the Go
# programs in tests/scenarios and compare what it reports with what each
# program says it built (expected.json).  Env: GODIAG (binary), SRCDIR (repo
# root), BUILDDIR (scratch space).  Prints one line per check; exit 0 only
# when every check passed.
#
# Sourced with STACKS_SCEN_LIB=1 it only defines the helpers (build_scenario,
# run_stacks, jeq, check_population...), for stacks_goversions.sh and
# stacks_debug1_vs_debug2.sh.
set -uo pipefail

: "${GODIAG:?GODIAG must name the godiag binary}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-/tmp/godiag-scen}
export NO_COLOR=1 BUILDDIR
SCEN_OUT=$BUILDDIR/scenarios
mkdir -p "$SCEN_OUT"

npass=0
nfail=0
pass() { npass=$((npass + 1)); echo "ok   $1"; }
fail() { nfail=$((nfail + 1)); echo "FAIL $1: $2"; }
finish() {
	echo "# $npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

# build_scenario NAME [GOVERSION] -> prints the binary path; 77 = Go missing.
build_scenario() {
	local name=$1 ver=${2:-1.19} bin
	bin=$SCEN_OUT/bin/$name-go$ver
	mkdir -p "$SCEN_OUT/bin"
	if [ ! -x "$bin" ] || [ "$SRCDIR/tests/scenarios/$name/main.go" -nt "$bin" ]; then
		"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/$name" "$bin" "$ver" >&2 || return $?
	fi
	echo "$bin"
}

# run_stacks TAG OUT ARGS... : run godiag stacks, stdout to OUT, stderr to
# OUT.err, exit code to OUT.rc.
run_stacks() {
	local tag=$1 out=$2
	shift 2
	timeout 120 "$GODIAG" stacks "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
}

# check_rc DESC OUT WANT
check_rc() {
	local got
	got=$(cat "$2.rc")
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "exit $got, want $3; stderr: $(head -c 300 "$2.err" | tr '\n' ' ')"
	fi
}

# jeq DESC FILE EXPR WANT: jq EXPR over FILE (compact, sorted keys) must equal
# the JSON value WANT.  Extra jq args after WANT are passed through.
jeq() {
	local desc=$1 file=$2 expr=$3 want=$4 got
	shift 4
	got=$(jq -cS "$@" "$expr" "$file" 2>&1) || got="(jq failed: $(echo "$got" | head -c 200))"
	want=$(jq -cSn "$want" 2>&1)
	if [ "$got" = "$want" ]; then
		pass "$desc"
	else
		fail "$desc" "got $(echo "$got" | head -c 600), want $want"
	fi
}

# eq DESC GOT WANT: plain string comparison.
eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got $2, want $3"; fi
}

# jtrue DESC FILE EXPR [jq args]: EXPR must be true; on failure show SHOW.
jtrue() {
	local desc=$1 file=$2 expr=$3 got
	shift 3
	got=$(jq -c "$@" "$expr" "$file" 2>&1)
	if [ "$got" = "true" ]; then
		pass "$desc"
	else
		fail "$desc" "$expr is $(echo "$got" | head -c 300)"
	fi
}

# jq helpers: the buckets whose frames hold function $f; with state $s too.
JQ_DEFS='
def with_func($f): [.buckets[] | select(any(.frames[]?; .func == $f))];
def with_func_state($f; $s): [with_func($f)[] | select((.states[$s] // 0) > 0)];
def without($w): map(select($w == "" or (any(.frames[]?; .func == $w) | not)));
'

# check_population TAG JSON EXPECTED FORMAT: the per-state and per-bucket
# assertions of expected.json.  FORMAT is debug=2, debug=1 or debug=0; only
# debug=2 carries states, ids and creators.  Crash dumps (fatalsystem) list
# only user buckets and "user_total"; the caller checks their total.
check_population() {
	local tag=$1 json=$2 exp=$3 format=$4 n i b f s c w cb
	jeq "$tag: format" "$json" '.format' "\"$format\""
	if jq -e 'has("total")' "$exp" >/dev/null; then
		jeq "$tag: total" "$json" '.total' "$(jq .total "$exp")"
	fi
	jeq "$tag: not truncated" "$json" '[.truncated, .partial]' '[false, null]'
	jeq "$tag: bucket counts add up to total" "$json" '[.buckets[].count] | add' "$(jq .total "$json")"
	jtrue "$tag: buckets sorted by count desc" "$json" '[.buckets[].count] | . == (sort | reverse)'
	if [ "$format" = debug=2 ]; then
		if jq -e 'has("total")' "$exp" >/dev/null; then
			jeq "$tag: states" "$json" '.states' "$(jq -c .states "$exp")"
		else
			for s in $(jq -r '.states | keys[] | @base64' "$exp"); do
				s=$(echo "$s" | base64 -d)
				jeq "$tag: state '$s'" "$json" ".states[\"$s\"]" "$(jq ".states[\"$s\"]" "$exp")"
			done
		fi
		jeq "$tag: states add up to total" "$json" '[.states[]] | add' "$(jq .total "$json")"
		jtrue "$tag: ids are the first min(count,8) goroutine IDs" "$json" \
			'all(.buckets[]; (.ids | length) == ([.count, 8] | min) and (.ids | unique | length) == (.ids | length))'
	else
		jeq "$tag: no states in $format" "$json" '.states' '{}'
		jtrue "$tag: no ids, wait minutes or bucket states in $format" "$json" \
			'all(.buckets[]; .ids == [] and .wait_minutes == null)'
	fi
	n=$(jq '.buckets | length' "$exp")
	for ((i = 0; i < n; i++)); do
		b=$(jq -c ".buckets[$i]" "$exp")
		f=$(jq -r .func <<<"$b")
		s=$(jq -r .state <<<"$b")
		c=$(jq -r .count <<<"$b")
		w=$(jq -r '.without // ""' <<<"$b")
		if [ "$format" = debug=2 ]; then
			jeq "$tag: bucket $f [$s]" "$json" \
				"$JQ_DEFS with_func_state(\$f; \$s) | without(\$w) | map({count, states})" \
				"[{\"count\": $c, \"states\": {\"$s\": $c}}]" --arg f "$f" --arg s "$s" --arg w "$w"
			cb=$(jq -r '.created_by // ""' <<<"$b")
			if [ -n "$cb" ]; then
				jeq "$tag: bucket $f created_by" "$json" \
					"$JQ_DEFS with_func_state(\$f; \$s) | without(\$w) | map(.created_by.func, (.created_by.line > 0))" \
					"[\"$cb\", true]" --arg f "$f" --arg s "$s" --arg w "$w"
			else
				jeq "$tag: bucket $f has no creator" "$json" \
					"$JQ_DEFS with_func_state(\$f; \$s) | without(\$w) | map(.created_by)" '[null]' \
					--arg f "$f" --arg s "$s" --arg w "$w"
			fi
		else
			jeq "$tag: bucket $f" "$json" "$JQ_DEFS with_func(\$f) | without(\$w) | map(.count)" "[$c]" --arg f "$f" --arg w "$w"
		fi
	done
}

# run_scenario NAME VER : build NAME with Go VER, run it with -out; prints the
# output directory.
run_scenario() {
	local name=$1 ver=${2:-1.19} bin dir
	bin=$(build_scenario "$name" "$ver") || return $?
	dir=$SCEN_OUT/$name-go$ver
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! timeout 120 "$bin" -out "$dir" >"$dir/run.log" 2>&1; then
		echo "scenario $name (go$ver) failed: $(head -c 300 "$dir/run.log")" >&2
		return 1
	fi
	echo "$dir"
}

# check_dump_scenario NAME VER: every format of a -out scenario.
check_dump_scenario() {
	local name=$1 ver=$2 dir fmt file out
	if ! dir=$(run_scenario "$name" "$ver"); then
		fail "$name go$ver: run" "scenario did not produce its dumps"
		return
	fi
	for fmt in debug=2 debug=1 debug=0; do
		case $fmt in
		debug=2) file=$dir/debug2.txt ;;
		debug=1) file=$dir/debug1.txt ;;
		debug=0) file=$dir/debug0.pb.gz ;;
		esac
		out=$dir/stacks-${fmt#debug=}.json
		run_stacks "$name" "$out" --json "$file"
		check_rc "$name go$ver $fmt: exit 0" "$out" 0
		jeq "$name go$ver $fmt: source" "$out" '.source' "\"$file\""
		check_population "$name go$ver $fmt" "$out" "$dir/expected.json" "$fmt"
	done
}

# check_deeprec DIR VER: the elided deep stacks group into one bucket.
check_deeprec() {
	local dir=$1 ver=$2 json=$1/stacks-2.json exp=$1/expected.json
	jeq "deeprec go$ver: deep bucket frame count" "$json" \
		"$JQ_DEFS with_func(\"main.bottom\") | map(select(.count == 7) | .frames | length)" \
		"[$(jq '.buckets[0].frames' "$exp")]"
	jeq "deeprec go$ver: deep bucket innermost/outermost frames" "$json" \
		"$JQ_DEFS with_func(\"main.bottom\") | map(select(.count == 7) | [.frames[0].func, .frames[-1].func])" \
		"[[\"main.bottom\", $(jq '.buckets[0].outer' "$exp")]]"
	jeq "deeprec go$ver: shallow bucket has all 20 frames" "$json" \
		"$JQ_DEFS with_func(\"main.shallowWorker\") | map([.count, (.frames | length), .frames[0].func, .frames[-1].func])" \
		'[[3, 20, "main.bottom", "main.shallowWorker"]]'
	jeq "deeprec go$ver: deep and shallow are separate buckets" "$json" \
		"$JQ_DEFS with_func(\"main.bottom\") | map(.count) | sort" '[3, 7]'
}

# check_locked DIR VER
check_locked() {
	local json=$1/stacks-2.json ver=$2
	jeq "locked go$ver: locked count per bucket" "$json" \
		"$JQ_DEFS [with_func(\"main.pinned\")[].locked, with_func(\"main.free\")[].locked, with_func(\"main.main\")[].locked]" \
		'[4, 0, 0]'
	jeq "locked go$ver: locked goroutines in all buckets" "$json" '[.buckets[].locked] | add' 4
	jeq "locked go$ver: nothing leaked" "$json" '[.buckets[].leaked] | add' 0
}

# check_chanleak_states DIR VER: the mutex wait reason by Go version.
check_chanleak_states() {
	local json=$1/stacks-2.json ver=$2 want=semacquire
	case $ver in 1.19) ;; *) want=sync.Mutex.Lock ;; esac
	jeq "chanleak go$ver: mutex waiters are in [$want]" "$json" \
		"$JQ_DEFS with_func(\"main.leakyLock\") | map(.states)" "[{\"$want\": 10}]"
	if [ "$ver" != 1.19 ]; then
		jtrue "chanleak go$ver: creators carry 'in goroutine 1' (raw dump)" "$1/debug2.txt" \
			'test("created by main.main in goroutine 1\n")' -Rs
	fi
}

[ "${STACKS_SCEN_LIB:-0}" = 1 ] && return 0

############################################################################
# 1. -out scenarios: every format against expected.json

for name in chanleak closures deeprec locked httpidle quiet; do
	check_dump_scenario "$name" 1.19
done
D=$SCEN_OUT
check_deeprec "$D/deeprec-go1.19" 1.19
check_locked "$D/locked-go1.19" 1.19
check_chanleak_states "$D/chanleak-go1.19" 1.19
jtrue "deeprec go1.19: raw dump really cut at 97 frames without a marker" \
	"$D/deeprec-go1.19/debug2.txt" '(test("elided") | not) and ([scan("main\\.recurse\\(")] | length) == 7 * 96 + 3 * 18' -Rs

############################################################################
# 2. The same dump from stdin, with CRLF, inside a kubectl log, with a common
#    indentation: the same result.

CL=$D/chanleak-go1.19
base=$CL/stacks-2.json
run_stacks stdin "$CL/stdin.json" --json - <"$CL/debug2.txt"
check_rc "stdin: exit 0" "$CL/stdin.json" 0
jtrue "stdin: source names stdin" "$CL/stdin.json" '.source == "-" or .source == "<stdin>"'
jeq "stdin: same buckets as the file" "$CL/stdin.json" '[.total, .states, [.buckets[] | [.count, .frames]]]' \
	"$(jq -c '[.total, .states, [.buckets[] | [.count, .frames]]]' "$base")"

sed 's/$/\r/' "$CL/debug2.txt" >"$CL/crlf.txt"
awk '{ printf "2025-11-26T09:38:59.%09dZ %s\n", NR, $0 }' "$CL/debug2.txt" >"$CL/kubectl.txt"
awk '{ printf "Nov 26 09:38:59 host app[123]: %s\n", $0 }' "$CL/debug2.txt" >"$CL/journald.txt"
{
	echo "2025/11/26 09:38:58 server starting"
	echo "2025/11/26 09:38:59 SIGQUIT received, dumping"
	cat "$CL/debug2.txt"
	echo "exit status 2"
} >"$CL/inlog.txt"
for v in crlf kubectl journald inlog; do
	run_stacks "$v" "$CL/$v.json" --json "$CL/$v.txt"
	check_rc "$v: exit 0" "$CL/$v.json" 0
	jeq "$v: same total, states and bucket counts" "$CL/$v.json" '[.total, .states, [.buckets[].count]]' \
		"$(jq -c '[.total, .states, [.buckets[].count]]' "$base")"
	jeq "$v: frame files are clean (no CR, no prefix)" "$CL/$v.json" \
		'[.buckets[].frames[].file | select(test("\r|^[^/]"))] | length' 0
done

############################################################################
# 3. Filters and groupings (chanleak: 100 recv, 30 send, 20 select,
#    10 mutex, 5 WaitGroup, main)

flt() { run_stacks "$1" "$CL/f-$1.json" --json "${@:2}" "$CL/debug2.txt"; check_rc "filter $1: exit 0" "$CL/f-$1.json" 0; }
flt state1 --state "chan receive"
jeq "filter --state 'chan receive': one bucket of 100" "$CL/f-state1.json" '[.buckets[].count]' '[100]'
jeq "filter --state: total and states still cover everything" "$CL/f-state1.json" '[.total, .states]' \
	"$(jq -c '[.total, .states]' "$base")"
flt state2 --state "chan send" --state select
jeq "filter --state x2: send and select buckets" "$CL/f-state2.json" '[.buckets[] | [.count, (.states | keys)]]' \
	'[[30, ["chan send"]], [20, ["select"]]]'
flt mincount --min-count 25
jeq "filter --min-count 25" "$CL/f-mincount.json" '[.buckets[].count]' '[100, 30]'
flt match1 --match leakySend
jeq "filter --match leakySend" "$CL/f-match1.json" '[.buckets[].count]' '[30]'
flt match2 --match 'leaky(Send|Select)$'
jeq "filter --match ERE alternation" "$CL/f-match2.json" '[.buckets[].count]' '[30, 20]'
flt match3 --match '^sync\.\(\*WaitGroup\)\.Wait$'
jeq "filter --match on a method name with escapes" "$CL/f-match3.json" '[.buckets[].count]' '[5]'
flt match4 --match 'scenarios/chanleak/main\.go$'
jeq "filter --match on the file name" "$CL/f-match4.json" '.buckets | length' 6
flt match5 --match 'no_such_function'
jeq "filter --match nothing: no buckets, totals kept" "$CL/f-match5.json" '[(.buckets | length), .total]' '[0, 166]'
flt minwait --min-wait 1m
jeq "filter --min-wait 1m: fresh goroutines have no wait" "$CL/f-minwait.json" '.buckets | length' 0
flt combo --state "chan receive" --state "chan send" --min-count 50
jeq "filter combination is AND" "$CL/f-combo.json" '[.buckets[].count]' '[100]'
flt exact --group exact
jtrue "--group exact: at least as many buckets as any" "$CL/f-exact.json" \
	"(.buckets | length) >= $(jq '.buckets | length' "$base")"
jeq "--group exact: counts add up" "$CL/f-exact.json" '[.buckets[].count] | add' 166
flt creator --group creator
jtrue "--group creator: one bucket per creator" "$CL/f-creator.json" \
	'[.buckets[].created_by] | (unique | length) == length'
jeq "--group creator: counts add up" "$CL/f-creator.json" '[.buckets[].count] | add' 166

CZ=$D/closures-go1.19
run_stacks creator2 "$CZ/creator.json" --json --group creator "$CZ/debug2.txt"
check_rc "closures --group creator: exit 0" "$CZ/creator.json" 0
jeq "closures --group creator: everything spawned by main.spawn is one bucket" "$CZ/creator.json" \
	'[.buckets[] | [.count, .created_by.func]]' '[[31, "main.spawn"], [1, null]]'
jeq "closures --group creator: merged states" "$CZ/creator.json" '.buckets[0].states' \
	'{"chan receive": 25, "select": 6}'

HI=$D/httpidle-go1.19
run_stacks top3 "$HI/top3.json" --json --group top=3 "$HI/debug2.txt"
check_rc "httpidle --group top=3: exit 0" "$HI/top3.json" 0
jeq "httpidle --group top=3: idle conns and the accept loop share the netpoll top" "$HI/top3.json" \
	"$JQ_DEFS with_func(\"internal/poll.runtime_pollWait\") | map([.count, .states])" '[[51, {"IO wait": 51}]]'
jeq "httpidle --group top=3: two buckets" "$HI/top3.json" '[.buckets[].count]' '[51, 1]'

############################################################################
# 4. --html and --pprof outputs

run_stacks html "$CL/html.json" --html "$CL/out.html" "$CL/debug2.txt"
check_rc "--html: exit 0" "$CL/html.json" 0
if [ -s "$CL/out.html" ]; then
	pass "--html: file written"
	grep -qF 'main.leakyRecv' "$CL/out.html" && pass "--html: holds function names" ||
		fail "--html: holds function names" "main.leakyRecv not found"
	grep -qiF '<html' "$CL/out.html" && pass "--html: is an HTML document" ||
		fail "--html: is an HTML document" "no <html"
else
	fail "--html: file written" "$CL/out.html missing or empty"
fi

FS=$D/fatalsystem-go1.19
mkdir -p "$FS"
if bin=$(build_scenario fatalsystem 1.19); then
	GOTRACEBACK=system timeout 60 "$bin" -out "$FS" 2>"$FS/stderr.txt" >/dev/null
	echo $? >"$FS/run.rc"
fi
run_stacks html2 "$FS/html.json" --html "$FS/out.html" "$FS/stderr.txt"
check_rc "--html (fatalsystem): exit 0" "$FS/html.json" 0
if [ -s "$FS/out.html" ]; then
	grep -qF '&lt;autogenerated&gt;' "$FS/out.html" && pass "--html: <autogenerated> is escaped" ||
		fail "--html: <autogenerated> is escaped" "&lt;autogenerated&gt; not found"
	! grep -qF '<autogenerated>' "$FS/out.html" && pass "--html: no raw <autogenerated>" ||
		fail "--html: no raw <autogenerated>" "raw <autogenerated> in HTML"
	grep -qF 'main.(*worker).run-fm' "$FS/out.html" && pass "--html: method value name kept" ||
		fail "--html: method value name kept" "main.(*worker).run-fm not found"
else
	fail "--html (fatalsystem): file written" "$FS/out.html missing or empty"
fi

GO=$(command -v go || echo /usr/lib/go-1.19/bin/go)
for src in "$CL/debug2.txt" "$CL/debug1.txt" "$CL/debug0.pb.gz"; do
	t=$(basename "$src")
	run_stacks pprof "$CL/pprof-$t.json" --pprof "$CL/out-$t.pb.gz" "$src"
	check_rc "--pprof from $t: exit 0" "$CL/pprof-$t.json" 0
	if [ -s "$CL/out-$t.pb.gz" ] && top=$("$GO" tool pprof -top "$CL/out-$t.pb.gz" 2>&1); then
		pass "--pprof from $t: go tool pprof -top reads it"
		echo "$top" | grep -q 'accounting for 166, 100% of 166 total' && pass "--pprof from $t: total 166" ||
			fail "--pprof from $t: total 166" "$(echo "$top" | grep -m1 accounting)"
		echo "$top" | awk '$6 == "main.leakyRecv" && $4 == 100 { ok = 1 } END { exit !ok }' &&
			pass "--pprof from $t: main.leakyRecv cum 100" ||
			fail "--pprof from $t: main.leakyRecv cum 100" "$(echo "$top" | grep -m1 leakyRecv)"
	else
		fail "--pprof from $t: go tool pprof -top reads it" "$(echo "${top:-no file}" | head -c 300)"
	fi
done

############################################################################
# 5. Crash tracebacks on stderr: panic, crashall (nil deref, nil map),
#    fatalsystem (deadlock at GOTRACEBACK=system)

check_crash() { # TAG DIR
	local tag=$1 dir=$2 hdrs
	run_stacks "$tag" "$dir/stacks.json" --json "$dir/stderr.txt"
	check_rc "$tag: exit 0" "$dir/stacks.json" 0
	hdrs=$(grep -cE '^goroutine [0-9]+ ' "$dir/stderr.txt")
	jeq "$tag: total equals the goroutine headers in the dump" "$dir/stacks.json" .total "$hdrs"
	check_population "$tag" "$dir/stacks.json" "$dir/expected.json" debug=2
}

PA=$D/panic-go1.19
mkdir -p "$PA"
if bin=$(build_scenario panic 1.19); then
	GOTRACEBACK=all timeout 60 "$bin" -out "$PA" 2>"$PA/stderr.txt" >/dev/null
	eq "panic: program died of its panic (exit 2)" "$?" 2
	jtrue "panic: preamble holds the multi-line re-panic" "$PA/stderr.txt" \
		'startswith("panic: boom\nline two [recovered]\n\tpanic: re-panic: boom\nline two\n")' -Rs
	check_crash panic "$PA"
	jeq "panic: running goroutine's frames include panic()" "$PA/stacks.json" \
		"$JQ_DEFS with_func(\"main.explode\") | map([.frames[].func] | index(\"panic\") != null)" '[true]'
fi
for kind in nilptr nilmap; do
	CA=$D/crashall-$kind-go1.19
	mkdir -p "$CA"
	if bin=$(build_scenario crashall 1.19); then
		GOTRACEBACK=all timeout 60 "$bin" -kind $kind -out "$CA" 2>"$CA/stderr.txt" >/dev/null
		eq "crashall $kind: program crashed (exit 2)" "$?" 2
		check_crash "crashall $kind" "$CA"
		jeq "crashall $kind: running goroutine is not goroutine 1" "$CA/stacks.json" \
			"$JQ_DEFS with_func_state(\"main.crasher\"; \"running\") | map(.ids[0] != 1)" '[true]'
	fi
done
jtrue "crashall nilptr: dump has the [signal SIGSEGV line" "$D/crashall-nilptr-go1.19/stderr.txt" 'test("\n\\[signal SIGSEGV")' -Rs

if [ -s "$FS/stderr.txt" ]; then
	eq "fatalsystem: program died (exit 2)" "$(cat "$FS/run.rc")" 2
	jtrue "fatalsystem: dump is the deadlock throw with a runtime stack" "$FS/stderr.txt" \
		'startswith("fatal error: all goroutines are asleep - deadlock!\n\nruntime stack:\n")' -Rs
	check_crash fatalsystem "$FS"
	jeq "fatalsystem: g0's runtime stack is not a goroutine" "$FS/stacks.json" \
		"$JQ_DEFS with_func(\"runtime.checkdead\") | length" 0
	jeq "fatalsystem: deep goroutines (100 frames + additional frames elided) are one bucket" "$FS/stacks.json" \
		"$JQ_DEFS with_func(\"main.recurse\") | map([.count, (.frames | length)])" '[[2, 100]]'
	jtrue "fatalsystem: system goroutines are counted" "$FS/stacks.json" \
		".total > $(jq .user_total "$FS/expected.json") and .states[\"force gc (idle)\"] == 1"
	jeq "fatalsystem: frames keep fp/sp/pc out of the file name" "$FS/stacks.json" \
		'[.buckets[].frames[] | select(.file | test(" |fp=")) ] | length' 0
fi

############################################################################
# 6. httpidle -serve: fetch the dump by URL

HS=$D/httpidle-serve
mkdir -p "$HS"
if bin=$(build_scenario httpidle 1.19); then
	"$bin" -serve -ttl 60s >"$HS/stdout" 2>"$HS/stderr" &
	spid=$!
	addr=
	for _ in $(seq 100); do
		addr=$(sed -n 's/^ADDR=//p' "$HS/stdout")
		[ -n "$addr" ] && break
		sleep 0.1
	done
	if [ -z "$addr" ]; then
		fail "httpidle -serve: printed ADDR=" "$(head -c 300 "$HS/stderr")"
	else
		pass "httpidle -serve: printed ADDR=$addr"
		for dbg in 2 1 0; do
			url="http://$addr/debug/pprof/goroutine?debug=$dbg"
			run_stacks url "$HS/url$dbg.json" --json --timeout 10 "$url"
			check_rc "URL debug=$dbg: exit 0" "$HS/url$dbg.json" 0
			jeq "URL debug=$dbg: source and format" "$HS/url$dbg.json" '[.source, .format]' "[\"$url\", \"debug=$dbg\"]"
			if [ $dbg = 2 ]; then
				jeq "URL debug=2: 50 idle conns in net/http.(*conn).serve [IO wait]" "$HS/url$dbg.json" \
					"$JQ_DEFS with_func_state(\"net/http.(*conn).serve\"; \"IO wait\") | map([.count, .states, .created_by.func])" \
					'[[50, {"IO wait": 50}, "net/http.(*Server).Serve"]]'
			else
				jeq "URL debug=$dbg: a record of the 50 idle conns" "$HS/url$dbg.json" \
					"$JQ_DEFS with_func(\"net/http.(*conn).serve\") | map(.count) | index(50) != null" true
			fi
			jtrue "URL debug=$dbg: total >= 52" "$HS/url$dbg.json" '.total >= 52'
		done
		run_stacks urlmax "$HS/urlmax.json" --json --timeout 10 --max-size 10000 "http://$addr/debug/pprof/goroutine?debug=2"
		check_rc "URL --max-size below the body: exit 1" "$HS/urlmax.json" 1
		jtrue "URL --max-size: result marked truncated or partial" "$HS/urlmax.json" \
			'.truncated == true or .partial != null'
		run_stacks url404 "$HS/url404.json" --json --timeout 10 "http://$addr/no/such/page"
		check_rc "URL 404: exit 3 (nothing readable)" "$HS/url404.json" 3
		jeq "URL 404: one error line naming the URL" "$HS/url404.json.err" \
			'split("\n") | map(select(. != "")) | [length, (.[0] | startswith("godiag: error: http://"))]' '[1, true]' -Rs
	fi
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
fi

############################################################################
# 7. Unusable, truncated and oversized input; usage errors

head -c 20000 "$CL/debug2.txt" | head -c -7 >"$CL/trunc.txt"
run_stacks trunc "$CL/trunc.json" --json "$CL/trunc.txt"
check_rc "truncated dump: exit 1" "$CL/trunc.json" 1
jtrue "truncated dump: JSON says truncated" "$CL/trunc.json" '.truncated == true'
jtrue "truncated dump: goroutines before the cut are kept" "$CL/trunc.json" \
	".total >= $(grep -cE '^goroutine [0-9]+ ' "$CL/trunc.txt") - 1 and .total > 50"
run_stacks maxsize "$CL/maxsize.json" --json --max-size 10000 "$CL/debug2.txt"
check_rc "--max-size below the dump: exit 1" "$CL/maxsize.json" 1
jtrue "--max-size: result marked truncated or partial" "$CL/maxsize.json" '.truncated == true or .partial != null'
: >"$CL/empty.txt"
run_stacks empty "$CL/empty.json" --json "$CL/empty.txt"
check_rc "empty file: exit 3" "$CL/empty.json" 3
jeq "empty file: one 'godiag: error: <source>:' line" "$CL/empty.json.err" \
	"split(\"\n\") | map(select(. != \"\")) | [length, (.[0] | startswith(\"godiag: error: $CL/empty.txt: \"))]" '[1, true]' -Rs
printf 'hello\nthis is not a goroutine dump\n' >"$CL/garbage.txt"
run_stacks garbage "$CL/garbage.json" --json "$CL/garbage.txt"
check_rc "garbage file: exit 3" "$CL/garbage.json" 3
run_stacks missing "$CL/missing.json" --json "$CL/no-such-file.txt"
check_rc "missing file: exit 3" "$CL/missing.json" 3
jeq "missing file: one error line" "$CL/missing.json.err" 'split("\n") | map(select(. != "")) | length' 1 -Rs
run_stacks usage1 "$CL/usage1.json" --json
check_rc "no SRC: exit 2" "$CL/usage1.json" 2
run_stacks usage2 "$CL/usage2.json" --json --group bogus "$CL/debug2.txt"
check_rc "--group bogus: exit 2" "$CL/usage2.json" 2
run_stacks usage3 "$CL/usage3.json" --json --min-wait 5parsecs "$CL/debug2.txt"
check_rc "--min-wait bad duration: exit 2" "$CL/usage3.json" 2
run_stacks usage4 "$CL/usage4.json" --json --match '(' "$CL/debug2.txt"
check_rc "--match bad regex: exit 2" "$CL/usage4.json" 2

finish
