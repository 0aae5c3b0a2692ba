#!/usr/bin/env bash
# Install every Debian package godiag's build, tests and benchmarks need.
# Idempotent: safe to run again; it only adds what is missing.
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Go 1.21-1.23 live in bookworm-backports.  Reuse the mirror this machine already
# uses, so a machine behind a local mirror keeps working.
add_backports() {
	if grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
		return 0
	fi
	local uri=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || uri="http://deb.debian.org/debian"
	$SUDO tee /etc/apt/sources.list.d/godiag-backports.sources >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

PKGS=(
	# build
	build-essential meson ninja-build pkg-config clang llvm libclang-rt-14-dev
	# libraries
	libcurl4-openssl-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler
	libjansson-dev libelf-dev libdw-dev libmnl-dev libcmocka-dev libsqlite3-dev libmicrohttpd-dev
	# packaging
	debhelper dpkg-dev lintian fakeroot man-db bash-completion tmux
	# test targets and comparisons
	golang-go golang-thrift-dev golang-google-grpc-dev panicparse iproute2
	prometheus etcd-server etcd-client curl procps time file binutils jq
	python3 nodejs strace bsdutils util-linux
	# html report test
	chromium
)
GO_BACKPORTS=(golang-1.21-go golang-1.22-go golang-1.23-go)

missing=()
for p in "${PKGS[@]}" "${GO_BACKPORTS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all packages present"
	exit 0
fi

add_backports
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${PKGS[@]}"
# Backported Go versions are nice to have: they widen the version matrix of
# the dump and build-info tests, which skip a version that is absent.
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports "${GO_BACKPORTS[@]}" ||
	echo "deps: warning: backported Go versions unavailable; tests will use Go 1.19 only" >&2
echo "deps: done"
