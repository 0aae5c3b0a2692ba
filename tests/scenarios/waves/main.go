// SPDX-License-Identifier: MIT

// waves is a service with a daily rhythm compressed to -period: its goroutines
// rise to a crest and fall back to a trough once per period, the way a real
// service follows its traffic.  With -leak N it leaks N goroutines per period
// (parked forever in main.leakyWorker sending on a channel nobody reads), so its
// troughs rise; with -leak 0 it is the healthy twin whose troughs return.
// With -mem MiB it allocates and touches that much heap at each crest and
// drops it at the trough (then runtime/debug.FreeOSMemory, so the scavenger
// releases it at once): under GODEBUG=madvdontneed=0 the released pages stay
// in RSS as LazyFree (MADV_FREE), under madvdontneed=1 RSS falls back.
//
// It serves on -addr (loopback): /debug/pprof/ (net/http/pprof), /debug/vars
// (expvar) and a hand-written Prometheus /metrics.  -listeners N opens N-1
// more loopback listeners serving the same mux (for watch's scale bench);
// their addresses are printed one per line as LISTEN=.
//
// -bad MODE makes every endpoint a sick target instead: hang (never answers),
// garbage (200 OK with binary noise), huge (a 10 GB body, streamed).
//
//	waves [-addr 127.0.0.1:0] [-period 20s] [-peak 200] [-leak 0] [-mem 0]
//	      [-listeners 1] [-bad MODE] [-ttl 10m]   PID=, ADDR=, PPROF=, LISTEN=..., READY
package main

import (
	_ "expvar"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// result is the unbuffered channel the leaked goroutines send on; nobody
// receives from it (the caller gave up: the most common leak in Uber's
// study, CGO 2024).
var result = make(chan int)

// leakyWorker is the leak: a worker whose caller timed out, blocked forever
// in its send.  Its name is what doctor must point at.
//
//go:noinline
func leakyWorker(id int) {
	result <- id
}

// waveWorker is one unit of legitimate load: it holds a goroutine during the
// crest and returns when its wave ends.
//
//go:noinline
func waveWorker(quit <-chan struct{}) {
	<-quit
}

var (
	mu      sync.Mutex
	workers []chan struct{}
	leaked  int
	heapMem [][]byte
)

// setWave starts or stops waveWorkers until n run.
func setWave(n int) {
	mu.Lock()
	defer mu.Unlock()
	for len(workers) < n {
		q := make(chan struct{})
		workers = append(workers, q)
		go waveWorker(q)
	}
	for len(workers) > n {
		close(workers[len(workers)-1])
		workers = workers[:len(workers)-1]
	}
}

func allocate(mib int) {
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i + 1)
		}
		heapMem = append(heapMem, b)
	}
}

func release() {
	heapMem = nil
	runtime.GC()
	debug.FreeOSMemory()
}

// statmRSS is this process's resident set from /proc/self/statm.
func statmRSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func openFDs() int {
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(d)
}

// metrics is a hand-written Prometheus text exposition of the client_golang
// names that watch reads (no client library: GOPATH mode, standard library).
func metrics(w http.ResponseWriter, r *http.Request) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	g := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name,
			strconv.FormatFloat(v, 'g', -1, 64))
	}
	g("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	g("go_memstats_heap_inuse_bytes", "Heap bytes in use.", float64(ms.HeapInuse))
	g("go_memstats_heap_released_bytes", "Heap bytes released to the OS.", float64(ms.HeapReleased))
	g("go_memstats_heap_idle_bytes", "Heap bytes waiting to be used.", float64(ms.HeapIdle))
	g("go_memstats_heap_alloc_bytes", "Heap bytes allocated and in use.", float64(ms.HeapAlloc))
	g("go_memstats_heap_sys_bytes", "Heap bytes obtained from the system.", float64(ms.HeapSys))
	g("go_memstats_sys_bytes", "Bytes obtained from the system.", float64(ms.Sys))
	g("go_memstats_stack_inuse_bytes", "Stack bytes in use.", float64(ms.StackInuse))
	g("go_memstats_next_gc_bytes", "Heap size of the next GC.", float64(ms.NextGC))
	g("process_resident_memory_bytes", "Resident memory size in bytes.", float64(statmRSS()))
	g("process_open_fds", "Number of open file descriptors.", float64(openFDs()))
	fmt.Fprintf(w, "# HELP go_info Information about the Go environment.\n# TYPE go_info gauge\ngo_info{version=%q} 1\n",
		runtime.Version())
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to serve on")
	period := flag.Duration("period", 20*time.Second, "wave period (crest to crest)")
	peak := flag.Int("peak", 200, "extra goroutines at the crest; they return at the trough")
	leak := flag.Int("leak", 0, "goroutines leaked per period (0: the healthy twin)")
	mem := flag.Int("mem", 0, "MiB of heap allocated at each crest and freed at the trough")
	listeners := flag.Int("listeners", 1, "loopback listeners serving the same endpoints")
	bad := flag.String("bad", "", "hang, garbage or huge: a sick target")
	ttl := flag.Duration("ttl", 10*time.Minute, "exit after this long")
	flag.Parse()
	if *period < 2*time.Second || *peak < 0 || *leak < 0 || *mem < 0 || *listeners < 1 {
		fmt.Fprintln(os.Stderr, "waves: bad flags")
		os.Exit(2)
	}

	var handler http.Handler = http.DefaultServeMux
	switch *bad {
	case "":
		http.HandleFunc("/metrics", metrics)
	case "hang":
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(*ttl):
			}
		})
	case "garbage":
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b := make([]byte, 4096)
			for i := range b {
				b[i] = byte(i*7919 + i/3)
			}
			w.Write(b)
		})
	case "huge":
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			line := []byte(strings.Repeat("go_goroutines 1\n", 4096))
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			for n := int64(0); n < 10<<30; n += int64(len(line)) {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		})
	default:
		fmt.Fprintln(os.Stderr, "waves: -bad: hang, garbage or huge")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "waves: listen:", err)
		os.Exit(3)
	}
	srv := &http.Server{Handler: handler, ReadTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	go srv.Serve(ln)
	var extra []string
	for i := 1; i < *listeners; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "waves: listen:", err)
			os.Exit(3)
		}
		extra = append(extra, l.Addr().String())
		go srv.Serve(l)
	}

	fmt.Printf("PID=%d\nADDR=%s\nPPROF=%s\n", os.Getpid(), ln.Addr(), ln.Addr())
	for _, a := range extra {
		fmt.Printf("LISTEN=%s\n", a)
	}
	fmt.Println("READY")

	// The wave: a raised cosine sampled 40 times a period, 0 at the trough
	// (phase 0) and -peak at the crest (phase 1/2).  The leak and the heap
	// happen at the crest, as in a busy hour; the heap goes at the trough.
	const steps = 40
	tick := time.NewTicker(*period / steps)
	defer tick.Stop()
	deadline := time.After(*ttl)
	step := 0
	for {
		select {
		case <-deadline:
			return
		case <-tick.C:
		}
		step = (step + 1) % steps
		phase := float64(step) / steps
		setWave(int(math.Round(float64(*peak) * (1 - math.Cos(2*math.Pi*phase)) / 2)))
		switch step {
		case steps / 2:
			for i := 0; i < *leak; i++ {
				leaked++
				go leakyWorker(leaked)
			}
			if *mem > 0 {
				allocate(*mem)
			}
		case steps * 3 / 4:
			if *mem > 0 {
				release()
			} else {
				// A real service runs many GC cycles a day.  An idle
				// twin at a 20 s "day" runs none: its heap, and RSS
				// with it, climbs toward GOGC's 4 MB floor for minutes
				// (1.1 MB per period under CI load), and that sawtooth
				// reads as a rising trough.  One cycle a period keeps
				// the compressed day as faithful as the real one.
				runtime.GC()
			}
		}
	}
}
