// SPDX-License-Identifier: MIT

// clientleak is the HTTP client connection leak, as a patient for `godiag
// doctor`: a client that never closes resp.Body.  With keep-alives on (the
// default Transport), a response whose body is neither read to EOF nor
// closed pins its connection: the Transport cannot reuse it, so every
// request dials a new one, and each keeps two goroutines forever,
// net/http.(*persistConn).readLoop (waiting for the body to be consumed) and
// (*persistConn).writeLoop.  So N requests leave 2N goroutines and N
// ESTABLISHED outbound sockets.  With -fixed the body is read and closed and
// one pooled connection serves every request (the twin: no
// http-client-conn-leak finding).
//
//	clientleak -serve [-ttl 2m]              the peer: PID=, ADDR=, READY
//	clientleak -addr HOST:PORT [-n 50]       the patient: PID=, ADDR= (the peer),
//	           [-fixed] [-ttl 2m]            PPROF=, READY after N requests
//
// The peer is a separate process (an HTTP server without timeouts) so that
// the patient holds only client-side connections.  Both exit after -ttl.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strings"
	"time"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "clientleak: %s: %v\n", what, err)
	os.Exit(3)
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen", err)
	}
	return ln
}

// loops counts goroutines in persistConn read or write loops.
func loops() int {
	buf := make([]byte, 16<<20)
	s := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(s, "net/http.(*persistConn).readLoop(") +
		strings.Count(s, "net/http.(*persistConn).writeLoop(")
}

func main() {
	serve := flag.Bool("serve", false, "be the peer server")
	addr := flag.String("addr", "", "the peer's address")
	n := flag.Int("n", 50, "requests to make")
	fixed := flag.Bool("fixed", false, "read and close every response body (the fix)")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	fmt.Printf("PID=%d\n", os.Getpid())

	if *serve {
		ln := listen()
		fmt.Printf("ADDR=%s\n", ln.Addr())
		fmt.Println("READY")
		die("serve", http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok\n")
		})))
	}

	pln := listen()
	go http.Serve(pln, nil)

	// The patient's own client: keep-alives on, no timeouts, as
	// http.DefaultClient is.  Its own Transport keeps its connections
	// apart from the pprof server's.
	client := &http.Client{Transport: &http.Transport{}}
	for i := 0; i < *n; i++ {
		resp, err := client.Get(fmt.Sprintf("http://%s/item/%d", *addr, i))
		if err != nil {
			die("request", err)
		}
		if resp.StatusCode != http.StatusOK {
			die("request", fmt.Errorf("status %d", resp.StatusCode))
		}
		if *fixed {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		// The bug: without -fixed the body is dropped, never closed.
	}
	want := 2 * *n
	if *fixed {
		want = 2
	}
	for i := 0; loops() != want; i++ {
		if i == 1000 {
			die("settle", fmt.Errorf("%d persistConn loops, want %d", loops(), want))
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("ADDR=%s\n", *addr)
	fmt.Printf("PPROF=%s\n", pln.Addr())
	fmt.Println("READY")
	time.Sleep(*ttl)
}
