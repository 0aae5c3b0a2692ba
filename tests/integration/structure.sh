#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# structure.sh: the layering docs/ARCHITECTURE.md promises.
#  1. src/cmd/ parses options and calls the library: no /proc paths, no
#     netlink, no stat of namespaces, no JSON or report writing.
#  2. No include circle between modules (directories of src/).
set -uo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRCDIR/src" || exit 1
failed=0

# 1. /proc and netlink code in src/cmd/ (strings in help text are fine:
# only code lines that open, stat or build /proc paths or netlink sockets).
if grep -nE '(open|stat|opendir|fopen)\(.*"/proc|"%s/%d/|AF_NETLINK|NETLINK_SOCK_DIAG|"GDNL"|mkstemp|ns/net' cmd/*.c; then
	echo "FAIL: /proc or netlink code in src/cmd/"; failed=1
fi
if grep -nE '#include <(linux/netlink|linux/inet_diag|linux/sock_diag)\.h>' cmd/*.c; then
	echo "FAIL: netlink headers in src/cmd/"; failed=1
fi
# Renderers: src/cmd/ writes no report itself (report/ does, through
# report/emit or its own renderers).
if grep -nE '(^|[^a-z_])(jw|emit)_[a-z_]+\(|#include "util/(json_writer|html)\.h"' cmd/*.c; then
	echo "FAIL: a renderer in src/cmd/ (renderers belong in src/report/)"; failed=1
fi

# 2. Module graph from #include "dir/..." lines; a cycle between two
# different directories fails.
edges=$(for f in */*.c */*.h; do
	from=${f%%/*}
	sed -n 's/^#include "\([a-z_]*\)\/.*"/\1/p' "$f" | while read -r to; do
		[ "$to" != "$from" ] && echo "$from $to"
	done
done | sort -u)
# tsort prints "input contains a loop" for a cycle.
if ! printf '%s\n' "$edges" | tsort >/dev/null 2>"${TMPDIR:-/tmp}/godiag-tsort.$$"; then
	echo "FAIL: include circle between modules:"; cat "${TMPDIR:-/tmp}/godiag-tsort.$$"; failed=1
fi
rm -f "${TMPDIR:-/tmp}/godiag-tsort.$$"
[ "$failed" = 0 ] && echo "structure: ok ($(printf '%s\n' "$edges" | wc -l) module edges, no circle)"
exit "$failed"
