#!/bin/sh
# git-describe.sh SRCDIR: the `git describe` that `godiag version` reports,
# for meson's vcs_tag (a failure makes it "unknown").  An exported tree (make
# deb) carries it in SRCDIR/.git-describe; otherwise SRCDIR must be the top
# of a git work tree itself, not a directory inside some other repository.
srcdir=$1
clean() { tr -cd 'A-Za-z0-9._+~-' | cut -c1-80; }
if [ -f "$srcdir/.git-describe" ]; then
	head -n 1 "$srcdir/.git-describe" | clean
	exit 0
fi
top=$(git -C "$srcdir" rev-parse --show-toplevel 2>/dev/null) || exit 1
[ "$(cd "$top" && pwd -P)" = "$(cd "$srcdir" && pwd -P)" ] || exit 1
d=$(git -C "$srcdir" describe --tags --always --dirty 2>/dev/null) || exit 1
printf '%s\n' "$d" | clean
