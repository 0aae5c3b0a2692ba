#!/usr/bin/env bash
# make-deb.sh [OUTDIR]: build godiag's .deb with the standard toolchain
# (dpkg-buildpackage, debhelper, Meson) from a clean copy of this tree, so
# the work tree's build directories and state never leak into the package.
# The copy holds what git tracks plus untracked files git does not ignore
# (work in progress builds too), and .git-describe, since the copy has no
# .git for `godiag version` to describe.  Prints the .deb's path last.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/build-deb}
for t in dpkg-buildpackage dh git; do
	command -v "$t" >/dev/null || { echo "make-deb: $t is missing (make deps)" >&2; exit 1; }
done
version=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
tmp=$(mktemp -d /tmp/godiag-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src="$tmp/godiag-$version"
mkdir -p "$src" "$out"

echo "make-deb: copying the tree to $src" >&2
(cd "$here" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -r sh -c 'for f; do { [ -e "$f" ] || [ -L "$f" ]; } && printf "%s\0" "$f"; done' _ |
	tar --null -T - -cf -) | tar -C "$src" -xf -
"$here/scripts/git-describe.sh" "$here" >"$src/.git-describe" 2>/dev/null || rm -f "$src/.git-describe"

echo "make-deb: dpkg-buildpackage -b -us -uc (log: $out/build.log)" >&2
if ! (cd "$src" && nice dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "make-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
deb="godiag_${version}_${arch}.deb"
mv -f "$tmp/$deb" "$out/$deb"
mv -f "$tmp"/godiag_"${version}"_"${arch}".{buildinfo,changes} "$out/" 2>/dev/null || true
ls "$tmp"/*.deb >/dev/null 2>&1 && mv -f "$tmp"/*.deb "$out/" # a -dbgsym package
echo "$out/$deb"
