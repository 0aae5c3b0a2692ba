// SPDX-License-Identifier: MIT

// idleconns reproduces the keep-alive leak of DESIGN.md case 1 at small
// scale: an HTTP server started the http.ListenAndServe way (no
// ReadTimeout/IdleTimeout) and, in a separate process, N keep-alive clients
// that make one request each and then hold their connections idle.
//
//	idleconns [-ttl 60s]                      server: prints ADDR=host:port, READY
//	idleconns -clients N -addr HOST:PORT      clients: print READY once all N
//	          [-ttl 60s]                      requests are done, then idle
//
// Both exit after -ttl.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

func main() {
	clients := flag.Int("clients", 0, "run N keep-alive clients instead of the server")
	addr := flag.String("addr", "", "server address for -clients")
	ttl := flag.Duration("ttl", 60*time.Second, "exit after this long")
	flag.Parse()

	if *clients > 0 {
		runClients(*clients, *addr, *ttl)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("ADDR=%s\n", ln.Addr())
	fmt.Println("READY")
	go func() {
		time.Sleep(*ttl)
		os.Exit(0)
	}()
	// What http.ListenAndServe does: a zero http.Server, so no timeouts.
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	fmt.Fprintln(os.Stderr, "serve:", err)
	os.Exit(1)
}

func runClients(n int, addr string, ttl time.Duration) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	// The transports stay referenced so their idle connections stay open.
	transports := make([]*http.Transport, n)
	for i := 0; i < n; i++ {
		// One Transport per client: each request gets its own connection,
		// which then sits in that Transport's idle pool forever
		// (IdleConnTimeout 0).
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
				fmt.Fprintln(os.Stderr, "client:", err)
			}
		}(transports[i])
	}
	wg.Wait()
	if failed > 0 {
		os.Exit(1)
	}
	fmt.Println("READY")
	time.Sleep(ttl)
	_ = transports
}
