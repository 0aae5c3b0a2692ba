#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# doctor_bad_input.sh: one bad piece of evidence must not stop the report.
# `godiag doctor` reads many pieces per target; when one of them hangs,
# fails with 500, loops on redirects, is garbage, is 10 GB, is a gzip bomb,
# is cut, or is half one format and half another, the report must still come
# out (exit 0 or 1, valid JSON, within a time bound, bounded memory) and
# `snapshots[0].pieces[]` must hold that piece with ok=false or a note that
# says what was wrong.
#
# URL targets: tests/scenarios/badserver serves each misbehaviour at a fixed
# path (/hang, /500, ...); a small splice router (python3, below) puts one of
# them under a base URL's /debug/pprof/ while every other endpoint is
# badserver's real net/http/pprof: http://ROUTER/BAD-WHICH/ serves BAD
# (a badserver path) for WHICH (d1, d2, hp) of goroutine?debug=1,
# goroutine?debug=2, heap.  Bytes are piped untouched both ways, so hangs,
# cut bodies and raw garbage reach godiag as badserver sends them.
#
# Directory targets: the evidence an engineer attaches to a ticket, taken
# from a live httpleak (dumps, heap, /proc files, sockstat, ss -tinp); then
# the same with unrelated files added, with every file cut in half, and
# with files that are half one format and half another.
# Env: GODIAG, SRCDIR, BUILDDIR.
set -uo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILDDIR=${BUILDDIR:?BUILDDIR must point at the meson build dir}
GODIAG=${GODIAG:-$BUILDDIR/godiag}
# shellcheck source=../lib/scenario.sh
source "$SRCDIR/tests/lib/scenario.sh"
scen_init doctor-bad-input
W=$SCEN_WORK
T=3          # --timeout for every doctor run
BOUND=60     # seconds a whole doctor run may take
MAXRSS_KB=$((512 * 1024))

# doctor NAME MAXSECS ARGS...: godiag doctor ARGS --json into $W/NAME.json
# under /usr/bin/time; checks: ends in time, no crash, exit 0/1, valid JSON,
# max RSS bounded.
doctor() {
	local name=$1 max=$2 t0 ms rss
	shift 2
	t0=$(date +%s%3N)
	timeout $((max + 30)) /usr/bin/time -f '%M' -o "$W/$name.rss" \
		"$GODIAG" doctor "$@" --json --timeout "$T" >"$W/$name.json" 2>"$W/$name.err"
	DRC=$?
	ms=$(($(date +%s%3N) - t0))
	rss=$(tail -1 "$W/$name.rss" 2>/dev/null)
	if [ "$DRC" = 124 ] || [ "$ms" -gt $((max * 1000)) ]; then
		fail "$name: took $ms ms (bound $max s, exit $DRC)"
		return 1
	fi
	if [ "$DRC" -gt 1 ]; then
		fail "$name: doctor $* exited $DRC, want 0 or 1 (a report): $(head -c 500 "$W/$name.err" | tr '\n' '|')"
		return 1
	fi
	if ! jqt '(.findings | type == "array") and (.snapshots[0].pieces | type == "array")' "$W/$name.json"; then
		fail "$name: no JSON report: $(head -c 300 "$W/$name.json") $(head -c 300 "$W/$name.err")"
		return 1
	fi
	if [[ "$rss" =~ ^[0-9]+$ ]] && [ "$rss" -gt "$MAXRSS_KB" ]; then
		fail "$name: max RSS ${rss} KiB > $MAXRSS_KB KiB"
	else
		ok "$name: report in $ms ms, exit $DRC, max RSS ${rss:-?} KiB"
	fi
	return 0
}

# piece_noted NAME SOURCE_SUBSTR NOTE_ERE: the piece whose source contains
# SOURCE_SUBSTR is there, and is ok=false or carries a note, matching
# NOTE_ERE (case-insensitive) when given.
piece_noted() {
	local name=$1 src=$2 re=${3:-.} q
	q="[.snapshots[0].pieces[] | select((.what + \" \" + (.source // \"\")) | contains(\"$src\"))]"
	check "$name: piece $src is noted /$re/" \
		"$q | length > 0 and all((.ok == false or .note != null) and ((.note // \"\") | test(\"$re\"; \"i\")))" \
		"$W/$name.json" "$q"
}

# piece_ok NAME SOURCE_SUBSTR: that piece was read.
piece_ok() {
	local q="[.snapshots[0].pieces[] | select((.what + \" \" + (.source // \"\")) | contains(\"$2\"))]"
	check "$1: piece $2 read" "$q | length > 0 and any(.ok)" "$W/$1.json" "$q"
}

# ---------------------------------------------------------------- URLs ---
bs=$(scen_build badserver) || { fail "build badserver"; scen_summary; exit 1; }
"$bs" -timeout 600 >"$W/badserver.out" 2>&1 &
SCEN_PIDS+=($!)
for _ in $(seq 1 100); do [ "$(cat "$W/badserver.out" 2>/dev/null | wc -l)" -ge 3 ] && break; sleep 0.1; done
BPORT=$(sed -n 1p "$W/badserver.out")
[ -n "$BPORT" ] || { fail "badserver did not start: $(cat "$W/badserver.out")"; scen_summary; exit 1; }

cat >"$W/router.py" <<'EOF'
# Splice router: /BAD-WHICH/debug/pprof/ENDPOINT -> badserver /BAD when
# ENDPOINT is WHICH, else badserver's /debug/pprof/ENDPOINT.  One request
# per connection ("Connection: close" upstream), bytes piped both ways.
import socket, socketserver, sys, threading

UP = ("127.0.0.1", int(sys.argv[1]))
WHICH = {"d1": "goroutine?debug=1", "d2": "goroutine?debug=2", "hp": "heap"}

def endpoint_is(path, which):
    e = path.split("/debug/pprof/", 1)[-1]
    w = WHICH[which]
    return e == w or (w == "heap" and e.startswith("heap"))

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

class H(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            d = c.recv(4096)
            if not d:
                return
            head += d
        head, _, rest = head.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        method, target, ver = lines[0].split(b" ", 2)
        path = target.decode("latin-1")
        parts = path.split("/", 2)          # "", "BAD-WHICH", "debug/pprof/..."
        new = path
        if len(parts) == 3 and "-" in parts[1]:
            bad, which = parts[1].rsplit("-", 1)
            sub = "/" + parts[2]
            new = "/" + bad if which in WHICH and endpoint_is(sub, which) else sub
        hdrs = [l for l in lines[1:] if not l.lower().startswith(b"connection:")]
        req = b" ".join([method, new.encode("latin-1"), ver]) + b"\r\n"
        req += b"\r\n".join(hdrs + [b"Connection: close"]) + b"\r\n\r\n" + rest
        u = socket.create_connection(UP)
        u.sendall(req)
        t = threading.Thread(target=pipe, args=(c, u), daemon=True)
        t.start()
        pipe(u, c)
        t.join(5)
        u.close()

class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

srv = S(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
EOF
python3 "$W/router.py" "$BPORT" >"$W/router.out" 2>"$W/router.err" &
SCEN_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$W/router.out" ] && break; sleep 0.1; done
R=http://127.0.0.1:$(head -1 "$W/router.out")

# The router itself: a good base, and one bad endpoint under it.
doctor url-good 30 "$R/none-x" && {
	piece_ok url-good 'goroutine?debug=2'
	piece_ok url-good heap
}

# url_case NAME BAD WHICH NOTE_ERE MAXSECS: BAD for WHICH only.
url_case() {
	local name=$1 bad=$2 which=$3 re=$4 max=${5:-$BOUND} src
	case $which in
	d1) src='goroutine?debug=1' ;;
	d2) src='goroutine?debug=2' ;;
	hp) src=heap ;;
	esac
	doctor "$name" "$max" "$R/$bad-$which" || return
	piece_noted "$name" "$src" "$re"
	# The other goroutine dump still made it into the report.
	if [ "$which" = d2 ]; then
		piece_ok "$name" 'goroutine?debug=1'
	else
		piece_ok "$name" 'goroutine?debug=2'
	fi
}

url_case url-hang-d2 hang d2 'time|timed out' 20
url_case url-hang-heap hang hp 'time|timed out' 20
url_case url-slowbody-d2 slowbody d2 'time|timed out|trunc' 20
url_case url-500-heap 500 hp '500'
url_case url-500-d2 500 d2 '500'
url_case url-404-heap notfound hp '404|not found|unknown'
url_case url-loop-d2 redirect-loop d2 'redirect'
url_case url-redirect-file-heap redirect-file hp 'redirect|file|protocol|scheme'
url_case url-garbage-d2 garbage d2 'garbage|not a|unrecogn|binary|format|parse|invalid|does not start'
url_case url-garbage-heap garbage hp 'garbage|not a|unrecogn|binary|format|parse|invalid|does not start'
url_case url-rawgarbage-d1 rawgarbage d1 'http|garbage|protocol|response|status|header|invalid|weird'
url_case url-reset-d2 reset d2 'empty|reset|closed|nothing|recv|connection'
url_case url-cut-heap cut hp 'cut|short|partial|transfer|closed|trunc|incomplete'
url_case url-10gb-heap huge hp 'cap|limit|large|size|trunc|exceed|max|timed out'
url_case url-10gb-d2 hugedump d2 'cap|limit|large|size|trunc|exceed|max|timed out'
url_case url-gzipbomb-d2 gzipbomb d2 'cap|limit|large|size|trunc|exceed|max|bomb|gzip'

# Everything behind the base fails: no report to give, but a clean error.
timeout $((BOUND + 30)) "$GODIAG" doctor "http://127.0.0.1:$BPORT/500" --json --timeout "$T" \
	>"$W/url-allbad.json" 2>"$W/url-allbad.err"
rc=$?
if [ "$rc" -ge 1 ] && [ "$rc" -lt 128 ] && [ "$rc" != 124 ] && [ -s "$W/url-allbad.err" ]; then
	ok "url-allbad: nothing readable is a clean error (exit $rc: $(head -1 "$W/url-allbad.err"))"
else
	fail "url-allbad: exit $rc, stderr: $(head -c 300 "$W/url-allbad.err")"
fi

# ---------------------------------------------------------- directories ---
hb=$(scen_build httpleak) || { fail "build httpleak"; scen_summary; exit 1; }
if scen_start HS "$hb" -ttl 5m && scen_start HC "$hb" -clients 10 -addr "$HS_ADDR" -ttl 5m; then
	sleep 2.5
	g=$W/good
	mkdir -p "$g"
	curl -fsS -m 10 "http://$HS_PPROF/debug/pprof/goroutine?debug=2" -o "$g/goroutines.txt"
	curl -fsS -m 10 "http://$HS_PPROF/debug/pprof/goroutine?debug=1" -o "$g/goroutine-debug1.txt"
	curl -fsS -m 10 "http://$HS_PPROF/debug/pprof/heap?debug=1" -o "$g/heap.txt"
	curl -fsS -m 10 "http://$HS_PPROF/debug/pprof/goroutine" -o "$g/goroutine.pb.gz"
	cp "/proc/$HS_PID/status" "$g/status"
	cp "/proc/$HS_PID/smaps_rollup" "$g/smaps_rollup"
	cp /proc/net/sockstat "$g/sockstat"
	# With -a: the LISTEN lines tell inbound sockets from outbound.
	ss -tinpa >"$g/ss.txt"
	# What engineers usually paste (the contract's `ss -tinp`): no LISTEN
	# lines; the service port is still the local port of every socket
	# the process holds that matches the dump's conn.serve goroutines.
	mkdir -p "$W/ss-tinp"
	cp "$g/goroutines.txt" "$g/status" "$W/ss-tinp/"
	ss -tinp >"$W/ss-tinp/ss.txt"
	scen_stop "$HC_PID" "$HS_PID"

	doctor dir-good $BOUND "$g" --idle-threshold 2s && {
		check "dir-good: http-server-idle-conn with 10 goroutines and 10 sockets" \
			'[.findings[] | select(.rule == "http-server-idle-conn")] | length == 1 and .[0].goroutines == 10 and .[0].sockets == 10' \
			"$W/dir-good.json"
		for f in goroutines.txt goroutine-debug1.txt heap.txt goroutine.pb.gz status smaps_rollup sockstat ss.txt; do
			piece_ok dir-good "$f"
		done
	}

	doctor dir-ss-tinp $BOUND "$W/ss-tinp" --idle-threshold 2s &&
		check "dir-ss-tinp: debug=2 + ss -tinp (no LISTEN lines) + status: http-server-idle-conn, 10 goroutines, 10 sockets" \
			'[.findings[] | select(.rule == "http-server-idle-conn")] | length == 1 and .[0].goroutines == 10 and .[0].sockets == 10' \
			"$W/dir-ss-tinp.json" '{findings: [.findings[] | {rule, goroutines, sockets}], pieces: .snapshots[0].pieces}'

	# Unrelated files beside the evidence: each is listed with a note.
	u=$W/unrelated
	cp -r "$g" "$u"
	printf '# Incident 4711\nThe service got slow at 03:00.\n' >"$u/README.md"
	head -c 4096 /dev/urandom >"$u/random.bin"
	cp /bin/true "$u/true.elf"
	printf '{"name": "not expvar", "items": [1, 2, 3]}\n' >"$u/other.json"
	: >"$u/empty.txt"
	printf '\x89PNG\r\n\x1a\n' >"$u/image.png"
	mkdir -p "$u/subdir"
	doctor dir-unrelated $BOUND "$u" --idle-threshold 2s && {
		check "dir-unrelated: still finds http-server-idle-conn" \
			'[.findings[] | select(.rule == "http-server-idle-conn")] | length == 1' "$W/dir-unrelated.json"
		for f in README.md random.bin true.elf other.json empty.txt image.png; do
			piece_noted dir-unrelated "$f" 'recogn|unknown|empty|not a|not evidence|skipped|ignored|format'
		done
	}

	# Only unrelated files: a clean error or an empty report with notes.
	o=$W/only-unrelated
	mkdir -p "$o"
	cp "$u/README.md" "$u/random.bin" "$u/true.elf" "$u/other.json" "$u/empty.txt" "$o/"
	timeout $((BOUND + 30)) "$GODIAG" doctor "$o" --json >"$W/dir-only.json" 2>"$W/dir-only.err"
	rc=$?
	if [ "$rc" -lt 2 ] && jqt '.findings == [] and (.snapshots[0].pieces | length >= 5)' "$W/dir-only.json"; then
		ok "dir-only-unrelated: empty report listing the files (exit $rc)"
	elif [ "$rc" -ge 1 ] && [ "$rc" -lt 128 ] && [ "$rc" != 124 ] && [ -s "$W/dir-only.err" ]; then
		ok "dir-only-unrelated: clean error (exit $rc: $(head -1 "$W/dir-only.err"))"
	else
		fail "dir-only-unrelated: exit $rc, stdout $(head -c 200 "$W/dir-only.json"), stderr $(head -c 200 "$W/dir-only.err")"
	fi

	# Every file cut in half.
	c=$W/cut
	cp -r "$g" "$c"
	for f in "$c"/*; do
		sz=$(stat -c %s "$f")
		truncate -s $((sz / 2)) "$f"
	done
	doctor dir-cut $BOUND "$c" --idle-threshold 2s && {
		for f in goroutines.txt goroutine.pb.gz heap.txt; do
			piece_noted dir-cut "$f" 'trunc|cut|incomplete|short|partial|unexpected|end|corrupt|parse'
		done
		check "dir-cut: every file is accounted for" \
			"[.snapshots[0].pieces[].source] | map(split(\"/\") | last) | (. - (. - [\"goroutines.txt\", \"goroutine-debug1.txt\", \"heap.txt\", \"goroutine.pb.gz\", \"status\", \"smaps_rollup\", \"sockstat\", \"ss.txt\"])) | unique | length == 8" \
			"$W/dir-cut.json" '[.snapshots[0].pieces[] | {source, ok, note}]'
	}

	# Files that are half one format and half another.
	m=$W/mixed
	mkdir -p "$m"
	{ head -c $(($(stat -c %s "$g/goroutines.txt") / 2)) "$g/goroutines.txt"; head -c 8192 /dev/urandom; } >"$m/dump-then-junk.txt"
	{ head -20 "$g/heap.txt"; cat "$g/goroutines.txt"; } >"$m/heap-then-dump.txt"
	{ cat "$g/status"; cat "$g/smaps_rollup"; } >"$m/status-and-smaps"
	{ head -c 200 "$g/goroutine.pb.gz"; cat "$g/goroutines.txt"; } >"$m/gzip-then-text.pb.gz"
	{ head -5 "$g/ss.txt"; printf 'ESTAB 0 0 \xff\xfe garbage\n'; head -c 2048 /dev/urandom; } >"$m/ss-then-junk.txt"
	cp "$g/goroutine-debug1.txt" "$m/"
	doctor dir-mixed $BOUND "$m" --idle-threshold 2s && {
		piece_ok dir-mixed goroutine-debug1.txt
		for f in dump-then-junk.txt heap-then-dump.txt gzip-then-text.pb.gz ss-then-junk.txt; do
			piece_noted dir-mixed "$f" .
		done
	}
else
	fail "httpleak did not start"
fi

scen_summary
