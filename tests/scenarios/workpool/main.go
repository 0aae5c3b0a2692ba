// SPDX-License-Identifier: MIT

// workpool is the pool-versus-leak pair of issue 11 as a patient for
// `godiag doctor`.  Both modes run a fixed pool of -workers goroutines
// (`for j := range jobs`), all created by one function, that have been idle
// since their last job: a healthy pool, which doctor must not call critical.
// With -leak every request to /work also starts a goroutine that sends its
// result on an unbuffered channel the handler stopped waiting for: one
// goroutine leaked per request, parked in [chan send] forever, which doctor
// must call critical.  The process drives itself: -requests requests at
// start, then one every -every.
//
//	workpool [-workers 32] [-leak [-requests 40] [-every 1s]] [-gc 5s] [-ttl 5m]
//	         prints PID=, ADDR=, PPROF=, READY
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"time"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "workpool: %s: %v\n", what, err)
	os.Exit(3)
}

func servePprof() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen pprof", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	go http.Serve(ln, mux)
	return ln.Addr().String()
}

//go:noinline
func worker(jobs <-chan func()) {
	for j := range jobs {
		j()
	}
}

//go:noinline
func startPool(n int) chan<- func() {
	jobs := make(chan func())
	for i := 0; i < n; i++ {
		go worker(jobs)
	}
	return jobs
}

//go:noinline
func compute(res chan<- int) {
	res <- 42 // nobody receives once the handler gave up: parked forever
}

func main() {
	workers := flag.Int("workers", 32, "pool size")
	leak := flag.Bool("leak", false, "leak one goroutine per request")
	requests := flag.Int("requests", 40, "with -leak: requests made at start")
	every := flag.Duration("every", time.Second, "with -leak: one more request this often")
	ttl := flag.Duration("ttl", 5*time.Minute, "exit after this long")
	gc := flag.Duration("gc", 5*time.Second, "collect garbage this often (0: never)")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	if *gc > 0 {
		// Go notes when a goroutine's wait began at the first GC after it
		// parked: a service doing other work collects often, so its wait
		// minutes are close to the truth.
		go func() {
			for range time.Tick(*gc) {
				runtime.GC()
			}
		}()
	}

	jobs := startPool(*workers)
	done := make(chan struct{})
	jobs <- func() { close(done) } // the pool has worked once, then idles
	<-done

	mux := http.NewServeMux()
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		res := make(chan int) // unbuffered: the bug
		go compute(res)
		if *leak {
			// The handler gives up at once and returns: compute's send
			// never completes.
			io.WriteString(w, "gave up\n")
			return
		}
		io.WriteString(w, fmt.Sprintf("%d\n", <-res))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen", err)
	}
	srv := &http.Server{Handler: mux, ReadTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/work"
	get := func() {
		resp, err := http.Get(url)
		if err != nil {
			die("request", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if *leak {
		for i := 0; i < *requests; i++ {
			get()
		}
		go func() {
			for range time.Tick(*every) {
				get()
			}
		}()
	}
	fmt.Printf("PID=%d\n", os.Getpid())
	fmt.Printf("ADDR=%s\n", ln.Addr().String())
	fmt.Printf("PPROF=%s\n", servePprof())
	fmt.Println("READY")
	select {}
}
