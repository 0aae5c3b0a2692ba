#!/usr/bin/env bash
# replay.sh HARNESS DIR... : run a harness over every file under the given dirs.
set -euo pipefail
exe=$1; shift
files=()
for d in "$@"; do
	[ -d "$d" ] || continue
	while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f -size -8M -print0 | sort -z)
done
[ ${#files[@]} -gt 0 ] || { echo "no inputs under $*"; exit 1; }
"$exe" "${files[@]}"
