#!/usr/bin/env bash
# gobuild.sh SCENARIO_DIR OUT [GO_VERSION] [extra go build args...]
# Build one Go program from tests/scenarios (or bench/) with Debian's Go, in
# GOPATH mode so Debian's thrift and gRPC packages under /usr/share/gocode
# resolve without a module proxy.  GO_VERSION is 1.19 (default), 1.21, ...;
# exits 77 when that Go is not installed.
set -euo pipefail
src=$1; out=$2; ver=${3:-1.19}; shift 3 2>/dev/null || shift $#
case "$ver" in
1.19) gobin=$(command -v go || echo /usr/lib/go-1.19/bin/go) ;;
*) gobin=/usr/lib/go-$ver/bin/go ;;
esac
[ -x "$gobin" ] || { echo "gobuild: Go $ver not installed" >&2; exit 77; }
root=${GODIAG_GO_WORK:-${BUILDDIR:-/tmp}/go-work}
mkdir -p "$root/gopath" "$root/cache-$ver"
export GO111MODULE=off GOFLAGS= GOPATH="$root/gopath:/usr/share/gocode" GOCACHE="$root/cache-$ver"
export GOTOOLCHAIN=local
cd "$src"
exec "$gobin" build -o "$out" "$@" .
