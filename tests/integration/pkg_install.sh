#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pkg_install.sh: `meson install` installs what the Debian package holds,
# so users without Debian get the same files: the binary, godiag(1) and one
# man page per command in man1, the bash completion where bash-completion
# looks for it, and the rules documentation.  Installs into a DESTDIR.
set -uo pipefail
BUILDDIR=${BUILDDIR:?}
GODIAG=${GODIAG:?}
passed=0 failed=0
check() { local what=$1; shift; if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! meson install -C "$BUILDDIR" --destdir "$work/root" --no-rebuild >"$work/log" 2>&1; then
	echo "FAIL: meson install"; tail -n 20 "$work/log"; exit 1
fi
prefix=$(meson introspect "$BUILDDIR" --buildoptions | jq -r '.[] | select(.name == "prefix") | .value')
mandir=$(meson introspect "$BUILDDIR" --buildoptions | jq -r '.[] | select(.name == "mandir") | .value')
datadir=$(meson introspect "$BUILDDIR" --buildoptions | jq -r '.[] | select(.name == "datadir") | .value')
r="$work/root$prefix"
check "bin/godiag" test -x "$r/bin/godiag"
check "man1/godiag.1" test -f "$r/$mandir/man1/godiag.1"
# one page per command godiag --help lists
for c in $("$GODIAG" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'); do
	check "man1/godiag-$c.1" test -f "$r/$mandir/man1/godiag-$c.1"
done
check "bash completion in share/bash-completion/completions/godiag" \
	grep -q '^complete -F _godiag godiag$' "$r/$datadir/bash-completion/completions/godiag"
check "share/doc/godiag/rules.md" cmp -s "$r/$datadir/doc/godiag/rules.md" "${SRCDIR:?}/docs/rules.md"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
