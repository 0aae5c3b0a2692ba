#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doctor_scenarios.sh: `godiag doctor` against real leaking Go services and
# their fixed twins (tests/scenarios/*).  Each leak builds a known population
# (N idle keep-alive clients, N leaked goroutines, a heap growing at a known
# rate, a GiB of MADV_FREE'd pages) and doctor must name it with the
# built-in rule id and the exact counts; the twin, run the same way past its
# timeout, must not get that finding (and exits 0 when it has no findings at
# all).  Each live leak is also diagnosed through its pprof URL and offline
# from a `godiag bundle` directory.  One line per check; exit non-zero if
# any failed.  Env: GODIAG, SRCDIR, BUILDDIR; ONLY=name,name runs a subset
# (http thrift grpc chan client heap madv).
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
scen_init doctor-scenarios

N=${N:-25}       # clients / requests per scenario
IDLE=2s          # --idle-threshold; also every twin's timeout
PAST=3.5         # seconds to wait past the twins' 2 s timeouts
TTL=5m
W=$SCEN_WORK

want() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }

# doctor NAME ARGS...: run godiag doctor ARGS --json into $W/NAME.json,
# exit code in DRC.  A crash or usage error is a failed check on its own.
doctor() {
	local name=$1
	shift
	timeout 120 "$GODIAG" doctor "$@" --json >"$W/$name.json" 2>"$W/$name.err"
	DRC=$?
	if [ "$DRC" -gt 1 ]; then
		fail "$name: godiag doctor $* exited $DRC: $(head -c 600 "$W/$name.err")"
		return 1
	fi
	if ! jqt '.findings | type == "array"' "$W/$name.json"; then
		fail "$name: godiag doctor $* gave no JSON report: $(head -c 300 "$W/$name.json") $(head -c 300 "$W/$name.err")"
		return 1
	fi
	return 0
}

sel() { printf '[.findings[] | select(.rule == "%s")]' "$1"; }

# expect_finding NAME RULE GOROUTINES SOCKETS [FRAME]: the report NAME has
# exactly one RULE finding with these counts ("" = not checked, "null" =
# must be null or 0), not info, with evidence and a fix, and FRAME (a
# function name) among its frames.
expect_finding() {
	local name=$1 rule=$2 g=$3 s=$4 frame=${5:-} f="$W/$1.json" q
	q=$(sel "$rule")
	expect_rc "$name: exit 1 (findings)" "$DRC" 1
	check "$name: one $rule finding" "$q | length == 1" "$f" || return 0
	[ -z "$g" ] || check "$name: $rule goroutines == $g" "${q}[0].goroutines == $g" "$f" "${q}[0] | {goroutines, sockets, evidence}"
	if [ "$s" = null ]; then
		check "$name: $rule sockets null or 0" "(${q}[0].sockets // 0) == 0" "$f"
	elif [ -n "$s" ]; then
		check "$name: $rule sockets == $s" "${q}[0].sockets == $s" "$f"
	fi
	check "$name: $rule is warning or critical" "${q}[0].severity | IN(\"warning\", \"critical\")" "$f"
	check "$name: $rule has evidence, a fix and a confidence" \
		"${q}[0] | (.evidence | length > 0) and (.fix | length > 0) and .confidence > 0 and .confidence <= 1" "$f"
	[ -z "$frame" ] || check "$name: $rule frames name $frame" \
		"${q}[0].frames | map(startswith(\"$frame\")) | any" "$f" "${q}[0].frames"
}

# expect_no_finding NAME RULE: no RULE finding; exit 0 iff no findings.
expect_no_finding() {
	local name=$1 rule=$2 f="$W/$1.json"
	check "$name: no $rule finding" "$(sel "$rule") | length == 0" "$f"
	if jqt '.findings | length == 0' "$f"; then
		expect_rc "$name: no findings at all, exit 0" "$DRC" 0
	else
		expect_rc "$name: other findings, exit 1" "$DRC" 1
		echo "    note: $name has findings $(jq -c '[.findings[] | {rule, severity, goroutines, sockets}]' "$f")"
	fi
}

# bundle NAME TARGET: godiag bundle TARGET -o $W/NAME
bundle() { # bundle NAME TARGET [doctor options...]
	local name=$1 target=$2
	shift 2
	rm -rf "${W:?}/$name"
	set -- "$name" "$target" "$@"
	if timeout 120 "$GODIAG" bundle "$2" -o "$W/$1" "${@:3}" >"$W/$1.bundle.out" 2>&1; then
		ok "bundle $2 -> $1 ($(find "$W/$1" -type f | wc -l) files)"
		return 0
	fi
	fail "bundle $2 -o $1: $(head -c 600 "$W/$1.bundle.out")"
	return 1
}

# server_pair LEAKSCEN FIXEDSCEN RULE GOROUTINES_PER_CONN FRAME: the idle
# keep-alive servers.  Leak and twin run side by side with N idle clients
# each; after the twin's timeout has passed, doctor by PID, by URL and from
# a bundle.
server_pair() {
	# The twin is the same program with -fixed: only the server's setting differs.
	local leak=$1 fixed=$2 rule=$3 per=$4 frame=$5 lb
	lb=$(scen_build "$leak") || { fail "build $leak"; return; }
	scen_start LS "$lb" -ttl "$TTL" || { fail "$leak server did not start"; return; }
	scen_start LC "$lb" -clients "$N" -addr "$LS_ADDR" -ttl "$TTL" || { fail "$leak clients did not start"; return; }
	scen_start FS "$lb" -fixed -ttl "$TTL" || { fail "$fixed server did not start"; return; }
	scen_start FC "$lb" -clients "$N" -addr "$FS_ADDR" -ttl "$TTL" || { fail "$fixed clients did not start"; return; }
	sleep "$PAST"

	doctor "$leak-pid" "$LS_PID" --idle-threshold "$IDLE" &&
		expect_finding "$leak-pid" "$rule" $((per * N)) "$N" "$frame"
	doctor "$fixed-pid" "$FS_PID" --idle-threshold "$IDLE" &&
		expect_no_finding "$fixed-pid" "$rule"

	# Through the pprof URL: no /proc, no sockets, only what pprof says.
	doctor "$leak-url" "http://$LS_PPROF" --idle-threshold "$IDLE" &&
		expect_finding "$leak-url" "$rule" $((per * N)) "" "$frame"
	doctor "$fixed-url" "http://$FS_PPROF" --idle-threshold "$IDLE" &&
		expect_no_finding "$fixed-url" "$rule"

	# Offline from a bundle: the same diagnosis as live.
	if bundle "$leak-bundle" "$LS_PID"; then
		doctor "$leak-dir" "$W/$leak-bundle" --idle-threshold "$IDLE" &&
			expect_finding "$leak-dir" "$rule" $((per * N)) "$N" "$frame"
	fi
	if bundle "$fixed-bundle" "$FS_PID"; then
		doctor "$fixed-dir" "$W/$fixed-bundle" --idle-threshold "$IDLE" &&
			expect_no_finding "$fixed-dir" "$rule"
	fi
	scen_stop "$LC_PID" "$LS_PID" "$FC_PID" "$FS_PID"
}

if want http; then
	echo "--- http: ListenAndServe without timeouts vs http.Server with timeouts"
	server_pair httpleak httpfixed http-server-idle-conn 1 'net/http.(*conn).serve'
fi
if want thrift; then
	echo "--- thrift: TServerSocket without vs with client timeout"
	server_pair thriftleak thriftfixed thrift-server-idle-conn 2 \
		'github.com/apache/thrift/lib/go/thrift.(*TSimpleServer)'
fi
if want grpc; then
	echo "--- grpc: no keepalive vs MaxConnectionIdle"
	server_pair grpcleak grpcfixed grpc-server-idle-conn 3 'google.golang.org/grpc/'
fi

if want chan; then
	echo "--- chanhandler: handler returns on timeout, worker blocks on ch <- result"
	if b=$(scen_build chanhandler); then
		scen_start CL "$b" -n "$N" -ttl "$TTL" &&
			scen_start CF "$b" -n "$N" -fixed -ttl "$TTL" || fail "chanhandler did not start"
		sleep "$PAST"
		# The URL first: it touches only the pprof port.
		doctor chan-url "http://$CL_PPROF" --idle-threshold "$IDLE" &&
			expect_finding chan-url goroutine-blocked-chan "$N" "" main.slowLookup
		# --pprof: the PID's endpoint given, so nothing else is probed.
		doctor chan-pid "$CL_PID" --idle-threshold "$IDLE" --pprof "http://$CL_PPROF" &&
			expect_finding chan-pid goroutine-blocked-chan "$N" null main.slowLookup
		doctor chanfixed-pid "$CF_PID" --idle-threshold "$IDLE" &&
			expect_no_finding chanfixed-pid goroutine-blocked-chan
		# Do no harm: finding the pprof port of a PID must not run the
		# application's handlers (this one answers every path, and each
		# call leaks one more worker).
		sleep 0.5
		doctor chan-url2 "http://$CL_PPROF" --idle-threshold "$IDLE" &&
			check "chan: doctor PID ran no application handler (still $N blocked)" \
				"$(sel goroutine-blocked-chan)[0].goroutines == $N" "$W/chan-url2.json"
		if bundle chan-bundle "$CL_PID" --pprof "http://$CL_PPROF"; then
			doctor chan-dir "$W/chan-bundle" --idle-threshold "$IDLE" &&
				expect_finding chan-dir goroutine-blocked-chan "$N" null main.slowLookup
		fi
		scen_stop "$CL_PID" "$CF_PID"
	else
		fail "build chanhandler"
	fi
fi

if want client; then
	echo "--- clientleak: resp.Body never closed"
	if b=$(scen_build clientleak); then
		# Two goroutines (readLoop, writeLoop) and one outbound socket per
		# leaked connection; the twin keeps one pooled connection.
		scen_start PEER "$b" -serve -ttl "$TTL" &&
			scen_start KL "$b" -addr "$PEER_ADDR" -n "$N" -ttl "$TTL" &&
			scen_start KF "$b" -addr "$PEER_ADDR" -n "$N" -fixed -ttl "$TTL" || fail "clientleak did not start"
		sleep "$PAST"
		doctor client-pid "$KL_PID" --idle-threshold "$IDLE" &&
			expect_finding client-pid http-client-conn-leak $((2 * N)) "$N" 'net/http.(*persistConn)'
		doctor clientfixed-pid "$KF_PID" --idle-threshold "$IDLE" &&
			expect_no_finding clientfixed-pid http-client-conn-leak
		doctor client-url "http://$KL_PPROF" --idle-threshold "$IDLE" &&
			expect_finding client-url http-client-conn-leak $((2 * N)) "" 'net/http.(*persistConn)'
		if bundle client-bundle "$KL_PID"; then
			doctor client-dir "$W/client-bundle" --idle-threshold "$IDLE" &&
				expect_finding client-dir http-client-conn-leak $((2 * N)) "$N" 'net/http.(*persistConn)'
		fi
		scen_stop "$KL_PID" "$KF_PID" "$PEER_PID"
	else
		fail "build clientleak"
	fi
fi

if want heap; then
	echo "--- heapleak: a cache that grows 4 MiB/s from main.remember, two snapshots apart"
	if b=$(scen_build heapleak); then
		scen_start HL "$b" -rate 4 -ttl "$TTL" &&
			scen_start HF "$b" -rate 4 -fixed -ttl "$TTL" || fail "heapleak did not start"
		rate=$(sed -n 's/^RATE=//p' "$HL_OUT")
		bundle heap-a "$HL_PID"; t0=$(date +%s.%N)
		bundle heapfixed-a "$HF_PID"
		sleep 6
		bundle heap-b "$HL_PID"; t1=$(date +%s.%N)
		bundle heapfixed-b "$HF_PID"
		grown=$(awk -v r="$rate" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", r * (b - a) }')
		q=$(sel heap-growth)
		# The growth is known: rate x the time between the snapshots; the
		# evidence must show it within a factor of 2.
		bytes_ok="${q}[0].evidence | map(select(.unit == \"bytes\" and .value >= $grown / 2 and .value <= $grown * 2)) | length > 0"
		doctor heap-dirs "$W/heap-a" "$W/heap-b" &&
			expect_finding heap-dirs heap-growth "" "" main.remember &&
			check "heap-dirs: evidence shows ~$grown bytes grown" "$bytes_ok" "$W/heap-dirs.json" "${q}[0].evidence"
		check "heap-dirs: summary names main.remember" "${q}[0].summary | contains(\"main.remember\")" "$W/heap-dirs.json" "${q}[0].summary"
		# The earlier bundle against the live process later on.
		sleep 2
		doctor heap-live "$W/heap-a" "$HL_PID" &&
			expect_finding heap-live heap-growth "" "" main.remember
		doctor heap-url "$W/heap-a" "http://$HL_PPROF" &&
			expect_finding heap-url heap-growth "" "" main.remember
		doctor heapfixed-dirs "$W/heapfixed-a" "$W/heapfixed-b" &&
			expect_no_finding heapfixed-dirs heap-growth
		# One snapshot has nothing to compare: no growth claimed.
		doctor heap-one "$HL_PID" && check "heap-one: no heap-growth from one snapshot" "$q | length == 0" "$W/heap-one.json"
		scen_stop "$HL_PID" "$HF_PID"
	else
		fail "build heapleak"
	fi
fi

if want madv; then
	echo "--- madvfree: 1 GiB freed under GODEBUG=madvdontneed=0 vs =1"
	if b=$(scen_build madvfree); then
		GODEBUG=madvdontneed=0 scen_start MF "$b" -mb 1024 -ttl "$TTL" -pprof || fail "madvfree did not start"
		doctor madv-pid "$MF_PID" &&
			expect_finding madv-pid rss-held-by-madv-free "" "" &&
			check "madv-pid: evidence holds >= 900 MiB" \
				"$(sel rss-held-by-madv-free)[0].evidence | map(select(.unit == \"bytes\" and .value >= 900*1048576)) | length > 0" \
				"$W/madv-pid.json" "$(sel rss-held-by-madv-free)[0].evidence"
		check "madv-pid: fix names madvdontneed" "$(sel rss-held-by-madv-free)[0].fix | contains(\"madvdontneed\")" "$W/madv-pid.json"
		check "madv-pid: no heap-growth, heap-idle or leak claimed" \
			'[.findings[] | select(.rule | IN("heap-growth", "heap-idle-not-released", "goroutine-leak-proven", "rss-outside-go-heap"))] | length == 0' "$W/madv-pid.json"
		if bundle madv-bundle "$MF_PID"; then
			doctor madv-dir "$W/madv-bundle" && expect_finding madv-dir rss-held-by-madv-free "" ""
		fi
		scen_stop "$MF_PID"
		GODEBUG=madvdontneed=1 scen_start MD "$b" -mb 1024 -ttl "$TTL" -pprof || fail "madvfree twin did not start"
		doctor madvdontneed-pid "$MD_PID" && expect_no_finding madvdontneed-pid rss-held-by-madv-free
		scen_stop "$MD_PID"
	else
		fail "build madvfree"
	fi
fi

scen_summary
