# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# thirdparty.sh: start Debian's prometheus and etcd on loopback as healthy,
# real-world Go patients (big binaries, many goroutines, their own pprof
# endpoints) that godiag must not accuse of leaks.  Sourced after
# tests/lib/scenario.sh, whose work dir and EXIT trap it uses, so both are
# stopped even when the test fails.  Nothing listens beyond 127.0.0.1 and
# all data lives in the work dir.
#
#   tp_free_port                 print a free loopback TCP port
#   tp_start_prometheus          sets PROM_PID, PROM_ADDR (web + /debug/pprof/)
#   tp_start_etcd                sets ETCD_PID, ETCD_ADDR (client URL with
#                                --enable-pprof, /debug/pprof/)
# Each returns non-zero (with the daemon's log on stderr) if the daemon is
# missing or not ready within 30 s.

tp_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# tp_wait_http PID URL LOG: wait until URL answers 200 while PID lives.
tp_wait_http() {
	local pid=$1 url=$2 log=$3
	for _ in $(seq 1 300); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "thirdparty: process $pid died before $url was ready:" >&2
			tail -20 "$log" >&2
			return 1
		fi
		curl -fsS -m 2 -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "thirdparty: $url not ready after 30 s:" >&2
	tail -20 "$log" >&2
	return 1
}

tp_start_prometheus() {
	command -v prometheus >/dev/null || { echo "thirdparty: prometheus not installed" >&2; return 1; }
	local port dir="$SCEN_WORK/prometheus"
	port=$(tp_free_port)
	mkdir -p "$dir/data"
	# It scrapes itself every second, so its scrape loop, TSDB head and
	# HTTP server all do real work while we look at it.
	cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" --log.level=warn >"$dir/log" 2>&1 &
	PROM_PID=$!
	SCEN_PIDS+=("$PROM_PID")
	PROM_ADDR=127.0.0.1:$port
	tp_wait_http "$PROM_PID" "http://$PROM_ADDR/-/ready" "$dir/log"
}

tp_start_etcd() {
	command -v etcd >/dev/null || { echo "thirdparty: etcd not installed" >&2; return 1; }
	local cport pport dir="$SCEN_WORK/etcd"
	cport=$(tp_free_port)
	pport=$(tp_free_port)
	mkdir -p "$dir"
	etcd --name godiag-test --data-dir "$dir/data" \
		--listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "godiag-test=http://127.0.0.1:$pport" --initial-cluster-state new \
		--enable-pprof --log-level warn >"$dir/log" 2>&1 &
	ETCD_PID=$!
	SCEN_PIDS+=("$ETCD_PID")
	ETCD_ADDR=127.0.0.1:$cport
	tp_wait_http "$ETCD_PID" "http://$ETCD_ADDR/health" "$dir/log"
}
