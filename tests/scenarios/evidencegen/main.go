// SPDX-License-Identifier: MIT
//
// evidencegen writes the evidence files `godiag doctor DIR` reads, from a real
// Go runtime, so the heap, expvar and Prometheus parsers are tested on what Go
// prints rather than on hand-made text:
//
//	heap1_debug1.txt heap1.pb.gz   heap?debug=1 and heap proto, same state
//	heap2_debug1.txt heap2.pb.gz   the same later, after main.growSite kept
//	                               2000 more 8 KiB objects
//	vars.json                      /debug/vars (expvar)
//	metrics.txt                    a /metrics exposition written by hand from
//	                               runtime.MemStats with client_golang's names
//	                               (client_golang is not packaged for GOPATH)
//	pprof_index.html               /debug/pprof/ index page
//
// Heap: MemProfileRate = 4096 (sampled, so scaling matters); main.steadySite
// keeps 500 x 4 KiB in both snapshots.  GC is off between the text and the
// proto of one snapshot so both show the same records.
//
// Usage: evidencegen -out DIR
//        evidencegen -serve 127.0.0.1:0   (serves /debug/pprof/ and /debug/vars,
//                                          prints "PORT PID" and waits)
package main

import (
	"bytes"
	"expvar"
	"flag"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	rpprof "runtime/pprof"
	"strconv"
	"strings"
	"time"
)

func init() {
	runtime.MemProfileRate = 4096
}

var steady, grown [][]byte

//go:noinline
func steadySite(n int) {
	for i := 0; i < n; i++ {
		steady = append(steady, make([]byte, 4096))
	}
}

//go:noinline
func growSite(n int) {
	for i := 0; i < n; i++ {
		grown = append(grown, make([]byte, 8192))
	}
}

func die(err error) {
	fmt.Fprintln(os.Stderr, "evidencegen:", err)
	os.Exit(1)
}

func writeHeap(dir, prefix string) {
	runtime.GC()
	old := debug.SetGCPercent(-1)
	var b bytes.Buffer
	if err := rpprof.Lookup("heap").WriteTo(&b, 1); err != nil {
		die(err)
	}
	if err := ioutil.WriteFile(filepath.Join(dir, prefix+"_debug1.txt"), b.Bytes(), 0o644); err != nil {
		die(err)
	}
	b.Reset()
	if err := rpprof.Lookup("heap").WriteTo(&b, 0); err != nil {
		die(err)
	}
	if err := ioutil.WriteFile(filepath.Join(dir, prefix+".pb.gz"), b.Bytes(), 0o644); err != nil {
		die(err)
	}
	debug.SetGCPercent(old)
}

func get(h http.Handler, path string) []byte {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Body.Bytes()
}

func f64(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func rssBytes() float64 {
	b, err := ioutil.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseFloat(f[1], 64)
	return n * float64(os.Getpagesize())
}

// metrics writes what client_golang's Go and process collectors expose
// (prometheus/go_collector.go, process_collector.go), plus one application
// histogram and a label value with every escape.
func metrics() []byte {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var b strings.Builder
	g := func(name, typ, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name, typ, name, f64(v))
	}
	fmt.Fprintf(&b, "# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.\n")
	fmt.Fprintf(&b, "# TYPE go_gc_duration_seconds summary\n")
	for _, q := range []string{"0", "0.25", "0.5", "0.75", "1"} {
		fmt.Fprintf(&b, "go_gc_duration_seconds{quantile=\"%s\"} %s\n", q, f64(float64(ms.PauseNs[(ms.NumGC+255)%256])/1e9))
	}
	fmt.Fprintf(&b, "go_gc_duration_seconds_sum %s\ngo_gc_duration_seconds_count %d\n", f64(float64(ms.PauseTotalNs)/1e9), ms.NumGC)
	g("go_goroutines", "gauge", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	fmt.Fprintf(&b, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n", runtime.Version())
	g("go_memstats_alloc_bytes", "gauge", "Number of bytes allocated and still in use.", float64(ms.Alloc))
	g("go_memstats_alloc_bytes_total", "counter", "Total number of bytes allocated, even if freed.", float64(ms.TotalAlloc))
	g("go_memstats_buck_hash_sys_bytes", "gauge", "Number of bytes used by the profiling bucket hash table.", float64(ms.BuckHashSys))
	g("go_memstats_frees_total", "counter", "Total number of frees.", float64(ms.Frees))
	g("go_memstats_gc_sys_bytes", "gauge", "Number of bytes used for garbage collection system metadata.", float64(ms.GCSys))
	g("go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and still in use.", float64(ms.HeapAlloc))
	g("go_memstats_heap_idle_bytes", "gauge", "Number of heap bytes waiting to be used.", float64(ms.HeapIdle))
	g("go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use.", float64(ms.HeapInuse))
	g("go_memstats_heap_objects", "gauge", "Number of allocated objects.", float64(ms.HeapObjects))
	g("go_memstats_heap_released_bytes", "gauge", "Number of heap bytes released to OS.", float64(ms.HeapReleased))
	g("go_memstats_heap_sys_bytes", "gauge", "Number of heap bytes obtained from system.", float64(ms.HeapSys))
	g("go_memstats_last_gc_time_seconds", "gauge", "Number of seconds since 1970 of last garbage collection.", float64(ms.LastGC)/1e9)
	g("go_memstats_lookups_total", "counter", "Total number of pointer lookups.", float64(ms.Lookups))
	g("go_memstats_mallocs_total", "counter", "Total number of mallocs.", float64(ms.Mallocs))
	g("go_memstats_mcache_inuse_bytes", "gauge", "Number of bytes in use by mcache structures.", float64(ms.MCacheInuse))
	g("go_memstats_mcache_sys_bytes", "gauge", "Number of bytes used for mcache structures obtained from system.", float64(ms.MCacheSys))
	g("go_memstats_mspan_inuse_bytes", "gauge", "Number of bytes in use by mspan structures.", float64(ms.MSpanInuse))
	g("go_memstats_mspan_sys_bytes", "gauge", "Number of bytes used for mspan structures obtained from system.", float64(ms.MSpanSys))
	g("go_memstats_next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place.", float64(ms.NextGC))
	g("go_memstats_other_sys_bytes", "gauge", "Number of bytes used for other system allocations.", float64(ms.OtherSys))
	g("go_memstats_stack_inuse_bytes", "gauge", "Number of bytes in use by the stack allocator.", float64(ms.StackInuse))
	g("go_memstats_stack_sys_bytes", "gauge", "Number of bytes obtained from system for stack allocator.", float64(ms.StackSys))
	g("go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system.", float64(ms.Sys))
	g("go_threads", "gauge", "Number of OS threads created.", float64(runtime.GOMAXPROCS(0)+4))
	g("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rssBytes())
	g("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", float64(time.Now().Unix()))
	fmt.Fprintf(&b, "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n")
	for _, le := range []string{"0.005", "0.1", "1", "+Inf"} {
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{handler=\"/api\",le=\"%s\"} 7\n", le)
	}
	fmt.Fprintf(&b, "http_request_duration_seconds_sum{handler=\"/api\"} 0.0123\nhttp_request_duration_seconds_count{handler=\"/api\"} 7\n")
	fmt.Fprintf(&b, "# TYPE app_weird gauge\napp_weird{path=\"/a\\\"b\\\\c\\nd\"} NaN 1700000000000\n")
	return []byte(b.String())
}

func mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.Handle("/debug/vars", expvar.Handler())
	return m
}

func main() {
	out := flag.String("out", "", "write the fixtures into this directory")
	serve := flag.String("serve", "", "serve /debug/pprof/ and /debug/vars on this address")
	flag.Parse()
	steadySite(500)
	if *serve != "" {
		ln, err := net.Listen("tcp", *serve)
		if err != nil {
			die(err)
		}
		fmt.Printf("%d %d\n", ln.Addr().(*net.TCPAddr).Port, os.Getpid())
		die(http.Serve(ln, mux()))
	}
	if *out == "" {
		die(fmt.Errorf("usage: evidencegen -out DIR | -serve ADDR"))
	}
	writeHeap(*out, "heap1")
	growSite(2000)
	writeHeap(*out, "heap2")
	m := mux()
	files := map[string][]byte{
		"vars.json":        get(m, "/debug/vars"),
		"metrics.txt":      metrics(),
		"pprof_index.html": get(m, "/debug/pprof/"),
	}
	for name, data := range files {
		if err := ioutil.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			die(err)
		}
	}
}
