#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# census_bad_input.sh: the memory census on hostile or unlucky targets, each
# a one-line error and a clean exit, never a crash or a hang:
#   a non-Go process; a process killed mid-census; a damaged recording; a
#   binary whose section headers are zeroed (still read: pclntab by magic,
#   moduledata by pointer scan, allgs from runtime.allgadd); another uid
#   without CAP_SYS_PTRACE (the error says what is missing and how to grant
#   it); and, under strace, the census makes no ptrace call and sends no
#   signal.  Env: SRCDIR, BUILDDIR, GODIAG.
set -uo pipefail
: "${SRCDIR:?}" "${BUILDDIR:?}" "${GODIAG:?}"
source "$SRCDIR/tests/lib/scenario.sh"
scen_init census_bad_input
DUMP=$BUILDDIR/tests/unit/census_dump
W=$SCEN_WORK

bin=$("$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/censusmix" "$W/cm" 1.19 >&2 && echo "$W/cm") ||
	{ fail "build censusmix"; scen_summary; exit 1; }
"$SRCDIR/tests/lib/gobuild.sh" "$SRCDIR/tests/scenarios/censusmix" "$W/cm-sw" 1.19 -ldflags="-s -w" >&2 ||
	fail "build censusmix -s -w"

# 1. not a Go process
sleep 60 &
np=$!
SCEN_PIDS+=("$np")
"$GODIAG" stacks --pid "$np" >"$W/np.out" 2>"$W/np.err"
rc=$?
if [ $rc = 3 ] && grep -q "not a Go executable" "$W/np.err" && [ "$(wc -l <"$W/np.err")" -le 2 ]; then
	ok "non-Go process: '$(head -1 "$W/np.err" | cut -c1-150)' (exit $rc)"
else
	fail "non-Go process: exit $rc: $(head -c 300 "$W/np.err")"
fi

# 2. the target dies during the census: an error naming it, or a complete census
scen_start big "$bin" -n 3000 -pprof "" -ttl 2m || fail "start big"
"$DUMP" "$big_PID" >"$W/big.out" 2>"$W/big.err" &
dp=$!
sleep 0.05
kill -9 "$big_PID"
wait "$dp"
rc=$?
if { [ $rc = 3 ] && grep -q "exited" "$W/big.err"; } || { [ $rc = 0 ] && grep -q "goroutines" "$W/big.err"; }; then
	ok "target killed mid-census: exit $rc, $(head -1 "$W/big.err" | cut -c1-120)"
else
	fail "target killed mid-census: exit $rc: $(head -c 300 "$W/big.err")"
fi
"$DUMP" "$big_PID" >/dev/null 2>"$W/gone.err"
rc=$?
expect_rc "census of a process that is gone" $rc 3
"$GODIAG" stacks --pid "$big_PID" >/dev/null 2>"$W/gone2.err"
expect_rc "stacks --pid of a process that is gone: unreadable" $? 3
grep -q "no such process\|exited" "$W/gone.err" && ok "gone: $(cat "$W/gone.err")" || fail "gone: $(cat "$W/gone.err")"

# 3. damaged recordings
head -c 5000 "$SRCDIR/tests/fixtures/census/go1.19.rec" >"$W/cut.rec"
"$GODIAG" stacks --replay "$W/cut.rec" >/dev/null 2>"$W/cut.err"
rc=$?
[ $rc = 3 ] && grep -q "cut.rec" "$W/cut.err" && ok "cut recording: $(head -1 "$W/cut.err" | cut -c1-150)" ||
	fail "cut recording: exit $rc $(head -c 300 "$W/cut.err")"
printf 'garbage' >"$W/junk.rec"
"$GODIAG" stacks --replay "$W/junk.rec" >/dev/null 2>"$W/junk.err"
rc=$?
[ $rc = 3 ] && grep -q "junk.rec" "$W/junk.err" && ok "junk recording: $(head -1 "$W/junk.err" | cut -c1-150)" ||
	fail "junk recording: exit $rc $(head -c 300 "$W/junk.err")"
"$GODIAG" stacks --replay "$SRCDIR/tests/fixtures/census/go1.19.rec" --json >"$W/rep.json" 2>"$W/rep.err"
check "stacks --replay of a good recording" '.total >= 10' "$W/rep.json" '.'

# 4. zeroed section headers (stripped binary): still a full census
python3 - "$W/cm-sw" "$W/cm-noshdr" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', d, 0x28)
esz, num, _ = struct.unpack_from('<HHH', d, 0x3a)
d[shoff:shoff + esz * num] = bytes(esz * num)
struct.pack_into('<Q', d, 0x28, 0)
struct.pack_into('<HHH', d, 0x3a, 0, 0, 0)
open(sys.argv[2], 'wb').write(d)
PY
chmod +x "$W/cm-noshdr"
scen_start nosh "$W/cm-noshdr" -n 100 -ttl 2m || fail "start cm-noshdr"
"$DUMP" "$nosh_PID" >"$W/nosh.census" 2>"$W/nosh.err"
curl -sf --max-time 10 "http://$nosh_PPROF/debug/pprof/goroutine?debug=2" >"$W/nosh.debug2"
res=$(python3 "$SRCDIR/tests/lib/census_compare.py" --slack=3 "$W/nosh.census" "$W/nosh.debug2")
if [ $? = 0 ] && grep -q "pclntab found by its magic" "$W/nosh.err" && grep -q "allgs found by decoding" "$W/nosh.err"; then
	ok "zeroed section headers: census = debug=2 ($res)"
else
	fail "zeroed section headers: $res $(head -c 300 "$W/nosh.err")"
fi

# 5. no harm: no ptrace, no signal, memory read with process_vm_readv
if command -v strace >/dev/null; then
	strace -f -qq -e trace=ptrace,kill,tkill,tgkill,rt_sigqueueinfo,rt_tgsigqueueinfo,pidfd_send_signal,process_vm_readv \
		-o "$W/strace.log" "$DUMP" "$nosh_PID" >/dev/null 2>&1
	if [ -s "$W/strace.log" ] && ! grep -Eq '(^|[0-9] )(ptrace|kill|tkill|tgkill|rt_sigqueueinfo|rt_tgsigqueueinfo|pidfd_send_signal)\(' "$W/strace.log" &&
		grep -q process_vm_readv "$W/strace.log"; then
		ok "strace: $(grep -c process_vm_readv "$W/strace.log") process_vm_readv calls, no ptrace, no signal"
	else
		fail "strace: $(grep -Ev process_vm_readv "$W/strace.log" | head -5)"
	fi
else
	echo "skip strace check: strace not installed"
fi

# 6. another uid without CAP_SYS_PTRACE: what is missing, and how to grant it
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$DUMP" "$nosh_PID" >/dev/null 2>"$W/perm.err"
	rc=$?
	if [ $rc = 3 ] && grep -q "uid 0" "$W/perm.err" && grep -q "CAP_SYS_PTRACE" "$W/perm.err"; then
		ok "other uid: exit 3, $(cut -c1-200 "$W/perm.err")"
	else
		fail "other uid: exit $rc: $(head -c 400 "$W/perm.err")"
	fi
else
	echo "skip other-uid check: not root or no setpriv"
fi
scen_summary
