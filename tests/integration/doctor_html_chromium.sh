#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doctor_html_chromium.sh: the doctor HTML report in a real browser.
# report_demo (tests/unit/report_demo.c) writes a report whose target strings
# carry script/markup injection, terminal escapes, invalid UTF-8 and a 100 KB
# function name.  Headless Chromium must render it (rule ids, summaries and
# the SVG chart in the DOM, a real screenshot), run no script (no dialog, no
# parsed script, no console error or CSP violation) and show every injection
# attempt as text.  A control page with the same injection and no escaping
# must FAIL the same check, so the check is known to see what it claims.
# When `godiag doctor` can write HTML, its page over a hostile evidence
# directory goes through the same check.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
DEMO=$BUILDDIR/tests/unit/report_demo
CHECK=$SRCDIR/tests/lib/chromium_check.js
export CHROMIUM=${CHROMIUM:-chromium}

work=$(mktemp -d /tmp/godiag-chromium.XXXXXX)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

command -v node >/dev/null || { echo "node is not installed (scripts/deps.sh)"; exit 1; }
command -v "$CHROMIUM" >/dev/null || { echo "chromium is not installed (scripts/deps.sh)"; exit 1; }
[ -x "$DEMO" ] || { echo "missing $DEMO (build tests/unit/report_demo)"; exit 1; }

hostile=(--hostile '<script>alert(1)</script>' --hostile '"><img src=x onerror=alert(2)>'
	--hostile "'><svg onload=alert(3)>" --hostile 'javascript:alert(4)')
expect=(--expect http-server-idle-conn --expect goroutine-blocked-chan --expect rss-held-by-madv-free
	--expect '1,204 HTTP server connections held open by idle keep-alive clients'
	--expect '1,390 min (23 h 10 min)' --expect '1.5 GiB' --expect 'IdleTimeout:' --expect 'What was read'
	--expect 'permission denied')

# 1. The demo report, driven over the DevTools protocol.
"$DEMO" html "$work/report.html" || { echo "report_demo failed"; exit 1; }
if node "$CHECK" "$work/report.html" "$work/report.png" "${expect[@]}" "${hostile[@]}" >"$work/check.out" 2>&1; then
	ok
	cat "$work/check.out"
else
	bad "chromium check of the demo report"
	cat "$work/check.out"
fi
if [ -s "$work/report.png" ] && [ "$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	ok
else
	bad "no PNG screenshot"
fi
[ -n "${KEEP_SHOT:-}" ] && cp "$work/report.png" "$KEEP_SHOT"

# 2. The plain CLI route (--dump-dom): the serialized DOM has the findings,
# and the injected markup only as escaped text.
dom=$work/dom.html
timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/profile-dom" --dump-dom "file://$work/report.html" >"$dom" 2>"$work/dom.err"
for want in 'http-server-idle-conn' 'goroutine-blocked-chan' '&lt;script&gt;alert(1)&lt;/script&gt;' \
	'"&gt;&lt;img src=x onerror=alert(2)&gt;' '<svg'; do
	if grep -qF -- "$want" "$dom"; then ok; else bad "--dump-dom lacks $want"; fi
done
for unwanted in '<script' '<img' 'onerror="' '<svg onload'; do
	if grep -qiF -- "$unwanted" "$dom"; then bad "--dump-dom has $unwanted"; else ok; fi
done

# 3. Control: the same injection without escaping or CSP must be caught.
cat >"$work/control.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>control</title></head><body>
<h1>http-server-idle-conn</h1><p>"><img src=x onerror=alert(2)></p><svg><rect width="1" height="1"/><rect width="1" height="1"/></svg>
</body></html>
EOF
node "$CHECK" "$work/control.html" "$work/control.png" --expect http-server-idle-conn \
	--hostile '"><img src=x onerror=alert(2)>' >"$work/control.out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q 'dialog opened' "$work/control.out" && grep -q 'img/iframe' "$work/control.out"; then
	ok
else
	bad "control page with a live <img onerror> was not caught (exit $rc)"
	cat "$work/control.out"
fi

# 4. godiag doctor itself, when it can write HTML: an evidence directory whose
# goroutine dump carries hostile function names.
if [ -x "$GODIAG" ] && "$GODIAG" doctor --help 2>&1 | grep -q -- '--html'; then
	ev=$work/evidence
	mkdir -p "$ev"
	{
		for g in 1 2 3; do
			cat <<EOF
goroutine 10$g [IO wait, 139$g minutes]:
internal/poll.runtime_pollWait(0x7f0000000000, 0x72)
	/usr/lib/go/src/runtime/netpoll.go:306 +0x89
internal/poll.(*FD).Read(0xc000100000, {0xc000200000, 0x1000, 0x1000})
	/usr/lib/go/src/internal/poll/fd_unix.go:167 +0x299
net.(*conn).Read(0xc000010000, {0xc000200000, 0x1000, 0x1000})
	/usr/lib/go/src/net/net.go:183 +0x45
main.<script>alert(1)</script>(...)
	/src/"><img src=x onerror=alert(2)>.go:12
net/http.(*conn).serve(0xc000300000, {0x9a0000, 0xc000400000})
	/usr/lib/go/src/net/http/server.go:1995 +0x612
created by net/http.(*Server).Serve
	/usr/lib/go/src/net/http/server.go:3089 +0x5ed

EOF
		done
	} >"$ev/goroutine-debug2.txt"
	"$GODIAG" doctor "$ev" --idle-threshold 2s --html "$work/doctor.html" >"$work/doctor.txt" 2>"$work/doctor.err"
	rc=$?
	if [ "$rc" -le 1 ] && [ -s "$work/doctor.html" ]; then
		if node "$CHECK" "$work/doctor.html" "$work/doctor.png" --expect 'What was read' --allow-no-chart \
			>"$work/doctor.out" 2>&1; then
			ok
			cat "$work/doctor.out"
		else
			bad "chromium check of godiag doctor --html"
			cat "$work/doctor.out"
		fi
	else
		bad "godiag doctor DIR --html failed (exit $rc): $(head -c 500 "$work/doctor.err")"
	fi
else
	echo "note: godiag doctor has no --html yet; only the demo report was checked"
fi

echo "doctor_html_chromium: $passed passed, $failed failed"
[ "$failed" = 0 ]
