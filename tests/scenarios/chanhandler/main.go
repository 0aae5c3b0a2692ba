// SPDX-License-Identifier: MIT

// chanhandler is the classic goroutine leak, as a patient for `godiag
// doctor`: an HTTP handler starts a worker goroutine and waits for its
// result on an unbuffered channel, but gives up after -deadline and returns
// an error.  The worker finishes later and blocks forever on `ch <- result`
// because nobody will ever receive.  The program sends N requests to itself
// (with keep-alives off, so no connection is left idle) and prints READY
// once all N workers are parked in [chan send] in main.slowLookup.  With
// -fixed the channel has a buffer of one, the worker's send completes and
// nothing leaks (the twin: no goroutine-blocked-chan finding).
//
//	chanhandler [-n 50] [-fixed] [-ttl 2m]   PID=, ADDR=, PPROF=, READY
//
// It exits by itself after -ttl.
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
	"strings"
	"time"
)

var (
	fixed    = flag.Bool("fixed", false, "buffer the result channel (the fix)")
	deadline = flag.Duration("deadline", 20*time.Millisecond, "how long the handler waits for the worker")
	work     = flag.Duration("work", 100*time.Millisecond, "how long the worker takes")
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "chanhandler: %s: %v\n", what, err)
	os.Exit(3)
}

// slowLookup is the worker: it outlives the handler when the work is slow.
func slowLookup(key string, ch chan<- string) {
	time.Sleep(*work)
	ch <- "value of " + key
}

func handle(w http.ResponseWriter, r *http.Request) {
	ch := make(chan string) // the bug: nobody receives after the timeout
	if *fixed {
		ch = make(chan string, 1)
	}
	go slowLookup(r.URL.Path, ch)
	select {
	case v := <-ch:
		io.WriteString(w, v)
	case <-time.After(*deadline):
		http.Error(w, "lookup timed out", http.StatusGatewayTimeout)
	}
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen", err)
	}
	return ln
}

// parked counts goroutines whose stack holds main.slowLookup in chan send.
func parked() int {
	buf := make([]byte, 16<<20)
	s := string(buf[:runtime.Stack(buf, true)])
	n := 0
	for _, g := range strings.Split(s, "\n\n") {
		if strings.Contains(g, "[chan send") && strings.Contains(g, "main.slowLookup(") {
			n++
		}
	}
	return n
}

func main() {
	n := flag.Int("n", 50, "requests to send (each leaks one goroutine unless -fixed)")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	fmt.Printf("PID=%d\n", os.Getpid())

	pln := listen()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	go http.Serve(pln, mux)

	ln := listen()
	srv := &http.Server{Handler: http.HandlerFunc(handle),
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second}
	go srv.Serve(ln)

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < *n; i++ {
		resp, err := client.Get(fmt.Sprintf("http://%s/key%d", ln.Addr(), i))
		if err != nil {
			die("request", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGatewayTimeout {
			die("request", fmt.Errorf("status %d, want 504", resp.StatusCode))
		}
	}
	want := *n
	if *fixed {
		want = 0
	}
	// Wait for the last workers to finish their work and park (or exit).
	for i := 0; ; i++ {
		if parked() == want && runtime.NumGoroutine() <= 8+want {
			break
		}
		if i == 1000 {
			die("settle", fmt.Errorf("%d parked workers, %d goroutines, want %d",
				parked(), runtime.NumGoroutine(), want))
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("ADDR=%s\n", ln.Addr())
	fmt.Printf("PPROF=%s\n", pln.Addr())
	fmt.Println("READY")
	time.Sleep(*ttl)
}
