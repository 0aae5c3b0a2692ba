#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# godiag fleet against a sick Prometheus.  A real Prometheus cannot be made
# to hang on one query, answer with 300 MB or garbage, or attach warnings, so
# this one is a small fake speaking the HTTP API (python3, loopback): the
# discovery names three instances, go_goroutines answers (one instance leaks
# in waves, with warnings: partial data), and each other metric fails in its
# own way: an API error (503 timeout), HTML instead of JSON, a hang, a huge answer.
# fleet must still rank the leak, list one clear line per failure, exit 1
# (partial), and finish within one query timeout; a server that is down,
# hangs, or refuses the discovery gives exit 3 and one line on stderr; bad
# options give exit 2.  About 10 s.
set -euo pipefail
GODIAG=${GODIAG:?}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$work/fake.py" <<'EOF'
import http.server, json, math, sys, time, urllib.parse, socketserver
mode = sys.argv[2]
END = 1796000000
def series(inst, leak, start, end, step):
    vals = []
    t = start
    while t <= end + 1e-9:
        ph = (t % 20) / 20
        w = ph * 2 if ph < 0.5 else (1 - ph) * 2
        vals.append([t, str(10 + math.floor(200 * w) + math.floor(leak * (t - (END - 180)) / 20))])
        t += step
    return {"metric": {"job": "api", "instance": inst}, "values": vals}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body, ctype="application/json"):
        b = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        expr = q.get("query", [""])[0]
        if mode == "hang":
            time.sleep(30); return
        if u.path == "/api/v1/series":
            if mode == "refuse":
                return self.send(400, json.dumps({"status": "error", "errorType": "bad_data",
                                                  "error": "parse error: unexpected <by>"}))
            res = [{"__name__": "go_goroutines", "job": "api", "instance": i} for i in ("a:1", "b:1", "c:1")]
            return self.send(200, json.dumps({"status": "success", "data": res}))
        if u.path == "/api/v1/query":
            return self.send(200, json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}))
        start, end, step = float(q["start"][0]), float(q["end"][0]), float(q["step"][0])
        if expr.startswith("min_over_time(go_goroutines"):
            res = [series("a:1", 5, start, end, step), series("b:1", 0, start, end, step)]
            return self.send(200, json.dumps({"status": "success", "warnings": ["store eu-1 \x1b[31m unreachable: partial data"],
                                              "data": {"resultType": "matrix", "result": res}}))
        if "process_resident_memory_bytes" in expr:
            return self.send(503, json.dumps({"status": "error", "errorType": "timeout",
                                              "error": "query timed out in query execution"}))
        if "heap_inuse" in expr:
            return self.send(200, "<html><body>502 Bad Gateway</body></html>", "text/html")
        if "process_open_fds" in expr:
            time.sleep(30); return
        if "node_sockstat" in expr:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                self.wfile.write(b'{"status":"success","data":{"resultType":"matrix","result":[')
                chunk = b'{"metric":{"instance":"x"},"values":[[1,"1"]]},' * 20000
                for _ in range(300):
                    self.wfile.write(chunk)
            except Exception:
                pass
            return
        return self.send(404, "not found", "text/plain")
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF

start_fake() { # mode -> port in $port
	rm -f "$work/port"
	python3 "$work/fake.py" "$work/port" "$1" &
	pids+=($!)
	for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
	port=$(cat "$work/port")
}

common=(--range 3m --step 1s --period 20s --end 1796000000 --timeout 3 --max-response 1M)

# 1. partial: the leak is still found; every failure is one clear line
start_fake partial
t0=$(date +%s.%N)
set +e
"$GODIAG" fleet --prometheus "http://127.0.0.1:$port" "${common[@]}" --json >"$work/out.json" 2>"$work/err"
rc=$?
set -e
t1=$(date +%s.%N)
[ "$rc" = 1 ] || fail "partial: exit $rc, want 1"
dt=$(awk "BEGIN{print $t1 - $t0}")
awk "BEGIN{exit !($dt < 8)}" || fail "partial: took ${dt}s (the hang must cost one 3 s timeout, concurrently)"
[ -s "$work/out.json" ] || fail "partial: no JSON (jq 1.6 -e passes an empty file)"
jq -e '.instances == 3' "$work/out.json" >/dev/null || fail "partial: instances"
jq -e '[.suspects[] | select(.instance == "a:1" and .rule == "goroutine-growth-trend")] | length == 1' \
	"$work/out.json" >/dev/null || fail "partial: the leak on a:1 not ranked: $(cat "$work/out.json")"
jq -e '[.suspects[] | select(.instance != "a:1")] | length == 0' "$work/out.json" >/dev/null || fail "partial: b or c flagged"
errs=$(jq -r '.errors[]' "$work/out.json")
echo "$errs" | grep -q 'prometheus: timeout: query timed out in query execution' || fail "partial: API error: $errs"
echo "$errs" | grep -q 'HTTP 503' || fail "partial: status: $errs"
echo "$errs" | grep -q 'prometheus: not JSON' || fail "partial: garbage: $errs"
echo "$errs" | grep -q 'timed out after 3 s' || fail "partial: hang: $errs"
echo "$errs" | grep -q 'body exceeds 1 MiB cap' || fail "partial: huge: $errs"
echo "$errs" | grep -q 'warning from prometheus (go_goroutines): store eu-1 ?\[31m unreachable: partial data' \
	|| fail "partial: warning: $errs"
! echo "$errs" | grep -q $'\x1b' || fail "partial: an escape byte from the server reached the output"
# the text report says PARTIAL and lists the same errors
set +e
"$GODIAG" fleet --prometheus "http://127.0.0.1:$port" "${common[@]}" >"$work/out.txt" 2>&1
set -e
grep -q 'PARTIAL: see errors' "$work/out.txt" || fail "partial: text does not say partial"
grep -q 'goroutine-growth-trend  api / a:1' "$work/out.txt" || fail "partial: text: $(cat "$work/out.txt")"

# 2. a server that hangs: exit 3 within the timeout, one line
start_fake hang
set +e
t0=$(date +%s.%N)
"$GODIAG" fleet --prometheus "http://127.0.0.1:$port" "${common[@]}" >"$work/out" 2>"$work/err"
rc=$?
t1=$(date +%s.%N)
set -e
[ "$rc" = 3 ] || fail "hang: exit $rc, want 3"
[ "$(wc -l <"$work/err")" = 1 ] || fail "hang: stderr: $(cat "$work/err")"
grep -q 'timed out after 3 s (no response)' "$work/err" || fail "hang: $(cat "$work/err")"
awk "BEGIN{exit !($t1 - $t0 < 6)}" || fail "hang: took too long"

# 3. the discovery refused: the API's own words
start_fake refuse
set +e
"$GODIAG" fleet --prometheus "http://127.0.0.1:$port" "${common[@]}" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 3 ] || fail "refuse: exit $rc"
grep -q 'HTTP 400 Bad Request: prometheus: bad_data: parse error: unexpected <by>' "$work/err" || fail "refuse: $(cat "$work/err")"

# 4. nothing listening
set +e
"$GODIAG" fleet --prometheus "http://127.0.0.1:9" "${common[@]}" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 3 ] || fail "down: exit $rc"
grep -q 'refused' "$work/err" && [ "$(wc -l <"$work/err")" = 1 ] || fail "down: $(cat "$work/err")"

# 5. usage
for args in "" "--prometheus ftp://x" "--prometheus http://x --range 10s --period 20s" \
	"--prometheus http://x --end yesterday" "--prometheus http://x --selector job=api" \
	"--prometheus http://x --pprof-port 0" "--prometheus http://x --step 0s"; do
	set +e
	# shellcheck disable=SC2086
	"$GODIAG" fleet $args >"$work/out" 2>"$work/err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "usage '$args': exit $rc ($(cat "$work/err"))"
	[ -s "$work/err" ] || fail "usage '$args': no message"
done
"$GODIAG" fleet --help | grep -q -- '--prometheus URL' || fail "--help"
echo "fleet_bad_prometheus: ok"
