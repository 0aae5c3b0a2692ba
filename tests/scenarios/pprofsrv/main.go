// SPDX-License-Identifier: MIT

// pprofsrv serves net/http/pprof on a given address and logs every request
// it gets ("REQ /debug/pprof/goroutine?debug=2") on stdout, so a test can
// tell which of two processes on the same 127.0.0.1:PORT (one in its own
// network namespace, one on the host) godiag asked.  It also holds -idle
// goroutines parked on a channel, as something to find.
//
//	pprofsrv -addr 127.0.0.1:PORT [-name A] [-ttl 2m]   PID=, ADDR=, READY
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

//go:noinline
func parked(ch chan int) { <-ch }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	name := flag.String("name", "srv", "name in the log")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	ch := make(chan int)
	for i := 0; i < 20; i++ {
		go parked(ch)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pprofsrv: %v\n", err)
		os.Exit(3)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	log := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Printf("REQ %s %s\n", *name, r.URL.RequestURI())
			h.ServeHTTP(w, r)
		})
	}
	go http.Serve(ln, log(mux))
	fmt.Printf("PID=%d\nADDR=%s\nREADY\n", os.Getpid(), ln.Addr())
	select {}
}
