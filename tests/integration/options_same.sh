#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# options_same.sh: the same option gives the same range and the same message
# in every command that takes it (cmd/options.h's shared blocks).  For each
# mistake, every command listed must exit 2 with one stderr line (and at
# most a usage hint), and the line after "godiag: error: CMD: " must be the
# same for all of them.
set -uo pipefail
GODIAG=${GODIAG:?GODIAG must name the godiag binary}
passed=0 failed=0

# same "COMMANDS" ARGS...: run `godiag CMD ARGS... 1` for each command
# (`godiag CMD 1 ARGS...` when LAST=1, for an option missing its value).
LAST=0
same() {
	local cmds=$1 first="" firstcmd="" msg rc lines
	shift
	for c in $cmds; do
		if [ "$LAST" = 1 ]; then
			msg=$(timeout 20 "$GODIAG" "$c" 1 "$@" 2>&1 >/dev/null)
		else
			msg=$(timeout 20 "$GODIAG" "$c" "$@" 1 2>&1 >/dev/null)
		fi
		rc=$?
		lines=$(printf '%s\n' "$msg" | wc -l)
		msg=$(printf '%s' "$msg" | head -1 | sed -e 's/^godiag: error: //' -e "s/^$c: //")
		if [ "$rc" != 2 ]; then
			failed=$((failed + 1)); echo "FAIL: godiag $c $*: exit $rc, want 2 ($msg)"; continue
		fi
		if [ "$lines" -gt 2 ]; then
			# the message, and at most a "usage: ... (see --help)" hint
			failed=$((failed + 1)); echo "FAIL: godiag $c $*: $lines stderr lines"; continue
		fi
		if [ -z "$firstcmd" ]; then
			first=$msg firstcmd=$c
		elif [ "$msg" != "$first" ]; then
			failed=$((failed + 1)); echo "FAIL: $*: $firstcmd says '$first', $c says '$msg'"; continue
		fi
		passed=$((passed + 1))
	done
}

HTTP="mem doctor bundle stacks diff fleet"
same "$HTTP" --timeout abc
same "$HTTP" --timeout 0
same "$HTTP" --timeout 3601
same "$HTTP" -H 'no colon'
same "mem doctor bundle diff fleet stacks" --timeout=86400
same "mem doctor bundle" --pprof ftp://x
same "mem doctor bundle diff fleet stacks" --header 'no colon'
same "mem doctor bundle diff fleet stacks" --insecure=yes
LAST=1
same "mem conns doctor bundle diff" --proc-root
same "mem doctor bundle diff" --sys-root
same "mem doctor bundle diff fleet stacks" --timeout
same "mem doctor bundle diff fleet stacks" -H
LAST=0
same "mem ps conns doctor bundle diff fleet stacks watch version" --frobnicate
same "mem ps conns doctor bundle diff watch" --proc-root=
same "doctor bundle diff fleet" --max-stw -1
# the message itself, once
msg=$("$GODIAG" mem --timeout 3601 1 2>&1)
[ "$msg" = "godiag: error: mem: --timeout: expected seconds (1-3600), got '3601'" ] &&
	passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: --timeout message: $msg"; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
