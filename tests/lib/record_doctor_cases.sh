#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# record_doctor_cases.sh OUTDIR: record the evidence directories behind the
# young-leak cases of tests/cases/05xx (issue 11).  Runs the http, thrift
# and gRPC keep-alive leaks and their fixed twins with 100 idle clients
# each, and takes `godiag bundle` of every server 1 minute and 4 minutes
# after its clients connected (OUTDIR/NAME-1m, OUTDIR/NAME-4m).  Takes about
# 4 min 30 s; run by hand, not in CI (the cases replay what it wrote).
# Env: BUILDDIR (the meson build dir), SRCDIR.
set -uo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${BUILDDIR:?}"
GODIAG=${GODIAG:-$BUILDDIR/godiag}
OUT=${1:?usage: record_doctor_cases.sh OUTDIR}
source "$SRCDIR/tests/lib/scenario.sh"
scen_init record-cases
mkdir -p "$OUT"
N=100
names=()
for s in httpleak thriftleak grpcleak; do
	b=$(scen_build "$s") || exit 1
	for v in leak fixed; do
		var=$(echo "${s}_$v" | tr a-z A-Z)
		if [ "$v" = fixed ]; then scen_start "${var}S" "$b" -fixed -ttl 6m || exit 1
		else scen_start "${var}S" "$b" -ttl 6m || exit 1; fi
		a="${var}S_ADDR"
		scen_start "${var}C" "$b" -clients "$N" -addr "${!a}" -ttl 6m || exit 1
		names+=("$s-$v:${var}S_PID")
	done
done
t0=$(date +%s)
until_t() { local d=$(( t0 + $1 - $(date +%s) )); [ "$d" -gt 0 ] && sleep "$d"; return 0; }
for at in 1m:60 4m:240; do
	until_t "${at#*:}"
	for nv in "${names[@]}"; do
		n=${nv%%:*} pv=${nv#*:}
		rm -rf "$OUT/$n-${at%%:*}"
		"$GODIAG" bundle "${!pv}" -o "$OUT/$n-${at%%:*}" >/dev/null || echo "bundle $n failed" >&2
	done
done
echo "recorded in $OUT"
