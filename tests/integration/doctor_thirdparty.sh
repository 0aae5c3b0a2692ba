#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doctor_thirdparty.sh: no false alarms on healthy real-world Go services.
# Debian's prometheus (scraping itself every second) and etcd (with a few
# keys written) run on loopback for ~10 s; `godiag doctor PID
# --json` and `godiag doctor http://ADDR --json` on each must read their
# goroutines and identity and report no leak: every finding, if any, is of
# severity info.  Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
# shellcheck source=../lib/thirdparty.sh
source "$SRCDIR/tests/lib/thirdparty.sh"
scen_init doctor-thirdparty
W=$SCEN_WORK
SETTLE=${SETTLE:-10}

# doctor NAME TARGET: godiag doctor TARGET --json into $W/NAME.json
doctor() {
	timeout 120 "$GODIAG" doctor "$2" --json >"$W/$1.json" 2>"$W/$1.err"
	DRC=$?
	if [ "$DRC" -gt 1 ] || ! jqt '.findings | type == "array"' "$W/$1.json"; then
		fail "$1: godiag doctor $2 exited $DRC without a report: $(head -c 600 "$W/$1.err")"
		return 1
	fi
	return 0
}

# healthy NAME WHAT [PID]: the report reads goroutines and finds no leak.
healthy() {
	local f="$W/$1.json"
	check "$1: goroutine dump read" \
		'[.snapshots[0].pieces[] | select(.ok and (.what | test("goroutine")))] | length > 0' "$f" \
		'.snapshots[0].pieces'
	[ -z "${3:-}" ] || check "$1: pid $3 and Go version from the binary" \
		".snapshots[0].pid == $3 and (.snapshots[0].go_version | startswith(\"go1.\"))" "$f" \
		'.snapshots[0] | {pid, go_version}'
	check "$1: $2 has no leak (only info findings)" \
		'[.findings[] | select(.severity != "info")] | length == 0' "$f" \
		'[.findings[] | {rule, severity, summary}]'
	if jqt '.findings | length == 0' "$f"; then
		expect_rc "$1: no findings, exit 0" "$DRC" 0
	else
		expect_rc "$1: info findings only, exit 1" "$DRC" 1
		echo "    note: $(jq -c '[.findings[] | {rule, severity, summary}]' "$f" | head -c 600)"
	fi
}

started=0
if tp_start_prometheus; then
	ok "prometheus ready on $PROM_ADDR (pid $PROM_PID)"
	started=$((started + 1))
else
	fail "prometheus did not start"
fi
if tp_start_etcd; then
	ok "etcd ready on $ETCD_ADDR (pid $ETCD_PID)"
	started=$((started + 1))
	# Some real work over etcd's own gRPC client.
	puts=0
	for i in $(seq 1 30); do
		ETCDCTL_API=3 timeout 10 etcdctl --endpoints "http://$ETCD_ADDR" put "key$i" "value$i" >/dev/null 2>&1 &&
			puts=$((puts + 1))
	done
	[ "$puts" = 30 ] && ok "etcdctl: 30 keys written" || fail "etcdctl: $puts of 30 keys written"
else
	fail "etcd did not start"
fi
[ "$started" -gt 0 ] && sleep "$SETTLE"

if [ -n "${PROM_PID:-}" ] && kill -0 "$PROM_PID" 2>/dev/null; then
	doctor prom-pid "$PROM_PID" && healthy prom-pid prometheus "$PROM_PID"
	doctor prom-url "http://$PROM_ADDR" && healthy prom-url prometheus
fi
if [ -n "${ETCD_PID:-}" ] && kill -0 "$ETCD_PID" 2>/dev/null; then
	doctor etcd-pid "$ETCD_PID" && healthy etcd-pid etcd "$ETCD_PID"
	doctor etcd-url "http://$ETCD_ADDR" && healthy etcd-url etcd
fi

scen_summary
