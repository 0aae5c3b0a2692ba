// SPDX-License-Identifier: MIT

// httpleak is the keep-alive leak of DESIGN.md case 1 as a patient for
// `godiag doctor`: an HTTP server started the http.ListenAndServe way (a
// zero http.Server: no ReadTimeout, ReadHeaderTimeout, WriteTimeout or
// IdleTimeout) and, in a separate process, N keep-alive clients that make
// one request each and then hold their connections idle forever.  Every idle
// connection pins one net/http.(*conn).serve goroutine in [IO wait] and one
// ESTABLISHED socket on the service port.  With -fixed it is its own twin:
// an explicit http.Server with ReadTimeout, ReadHeaderTimeout, WriteTimeout
// and IdleTimeout (-timeout, 2s), which closes every idle connection, so
// `godiag doctor` must find no http-server-idle-conn.
//
//	httpleak [-ttl 2m] [-fixed [-timeout 2s]]  server: PID=, ADDR=, PPROF=, READY
//	httpleak -clients N -addr HOST:PORT      clients: PID=, READY once all N
//	         [-ttl 2m]                       requests are answered, then idle
//
// pprof is served on its own loopback listener so that the service port
// holds only the clients' sockets.  Both modes exit by themselves after -ttl.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"time"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "httpleak: %s: %v\n", what, err)
	os.Exit(3)
}

// servePprof serves net/http/pprof on 127.0.0.1:0 and returns its address.
func servePprof() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen pprof", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)
	return ln.Addr().String()
}

func main() {
	clients := flag.Int("clients", 0, "run N idle keep-alive clients instead of the server")
	addr := flag.String("addr", "", "server address for -clients")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	nopprof := flag.Bool("nopprof", false, "serve no pprof endpoint (the memory census's case)")
	fixed := flag.Bool("fixed", false, "the twin: a server with every timeout set")
	timeout := flag.Duration("timeout", 2*time.Second, "with -fixed: the server's read/write/idle timeouts")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	fmt.Printf("PID=%d\n", os.Getpid())

	if *clients > 0 {
		runClients(*clients, *addr)
		time.Sleep(*ttl)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen", err)
	}
	fmt.Printf("ADDR=%s\n", ln.Addr())
	if !*nopprof {
		fmt.Printf("PPROF=%s\n", servePprof())
	}
	fmt.Println("READY")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	if *fixed {
		// The fix: every timeout set, so idle keep-alive connections are closed.
		srv := &http.Server{
			ReadTimeout:       *timeout,
			ReadHeaderTimeout: *timeout,
			WriteTimeout:      *timeout,
			IdleTimeout:       *timeout,
			Handler:           handler,
		}
		err = srv.Serve(ln)
	} else {
		// What http.ListenAndServe does: a zero http.Server, so no timeouts.
		err = http.Serve(ln, handler)
	}
	die("serve", err)
}

// runClients opens n connections, one request each, and keeps them idle.
func runClients(n int, addr string) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	transports := make([]*http.Transport, n)
	for i := 0; i < n; i++ {
		// One Transport per client, so each request has its own
		// connection, which then stays in that Transport's idle pool
		// (IdleConnTimeout 0: forever).
		transports[i] = &http.Transport{MaxIdleConnsPerHost: 1}
		wg.Add(1)
		go func(t *http.Transport) {
			defer wg.Done()
			resp, err := (&http.Client{Transport: t}).Get("http://" + addr + "/")
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				fmt.Fprintln(os.Stderr, "httpleak client:", err)
			}
		}(transports[i])
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(3)
	}
	fmt.Println("READY")
	clientTransports = transports
}

// clientTransports keeps the idle pools reachable.
var clientTransports []*http.Transport
