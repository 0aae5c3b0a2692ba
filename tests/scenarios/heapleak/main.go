// SPDX-License-Identifier: MIT

// heapleak is a real heap leak, as a patient for `godiag doctor A LATER`:
// a global map (a "cache" nobody evicts) grows by -rate MiB per second, all
// from one allocation site, main.remember.  runtime.MemProfileRate is 1, so
// the heap profile records every allocation and its in-use bytes are exact,
// and the program runs a GC after each step so the profile (which shows the
// heap as of the last GC) is never stale.  Two snapshots T seconds apart
// therefore differ by rate*T MiB at main.remember.  With -fixed the cache
// is bounded (it keeps the last few entries), the heap stays flat and
// there must be no heap-growth finding.
//
//	heapleak [-rate 4] [-fixed] [-ttl 2m]    PID=, ADDR=, PPROF=, RATE=bytes/s,
//	                                         READY after the first step
//
// ADDR and PPROF are the same loopback net/http/pprof server.  It exits by
// itself after -ttl.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

const chunk = 256 << 10 // bytes per cache entry

var (
	mu    sync.Mutex
	cache = map[int][]byte{}
)

// remember is the one allocation site that grows.
func remember(key int) {
	b := make([]byte, chunk)
	for i := 0; i < len(b); i += 4096 {
		b[i] = byte(key) // touch every page so it is resident
	}
	mu.Lock()
	cache[key] = b
	mu.Unlock()
}

func main() {
	runtime.MemProfileRate = 1
	rate := flag.Int("rate", 4, "MiB added to the heap per second")
	fixed := flag.Bool("fixed", false, "bound the cache (the fix)")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	fmt.Printf("PID=%d\n", os.Getpid())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "heapleak: listen:", err)
		os.Exit(3)
	}
	go http.Serve(ln, nil)

	// Four steps a second, each adding rate/4 MiB.
	perStep := *rate * (1 << 20) / 4 / chunk
	if perStep < 1 {
		perStep = 1
	}
	const bounded = 16 // entries kept with -fixed
	key := 0
	step := func() {
		for i := 0; i < perStep; i++ {
			remember(key)
			if *fixed && key >= bounded {
				mu.Lock()
				delete(cache, key-bounded)
				mu.Unlock()
			}
			key++
		}
		runtime.GC()
	}
	step()
	fmt.Printf("ADDR=%s\n", ln.Addr())
	fmt.Printf("PPROF=%s\n", ln.Addr())
	fmt.Printf("RATE=%d\n", perStep*chunk*4)
	fmt.Println("READY")
	for range time.Tick(250 * time.Millisecond) {
		step()
	}
}
