// SPDX-License-Identifier: MIT

// httpidle reproduces the idle keep-alive leak: a server started the
// http.ListenAndServe way (no ReadTimeout/IdleTimeout) with net/http/pprof,
// and N raw client connections that each sent one HTTP/1.1 request, read the
// response and then stay open doing nothing. Each such connection pins one
// net/http.(*conn).serve goroutine in [IO wait] forever.
// -out DIR writes debug2.txt, debug1.txt, debug0.pb.gz and expected.json and
// exits; -serve prints ADDR=127.0.0.1:PORT and keeps serving until -ttl.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

type bucket struct {
	Func      string `json:"func"`
	Count     int    `json:"count"`
	State     string `json:"state"`
	CreatedBy string `json:"created_by,omitempty"`
}

type expected struct {
	Total   int            `json:"total"`
	States  map[string]int `json:"states"`
	Buckets []bucket       `json:"buckets"`
	Go      string         `json:"go"`
}

func die(err error) {
	fmt.Fprintln(os.Stderr, "httpidle:", err)
	os.Exit(3)
}

// idleClient sends one keep-alive request, reads the whole response and
// returns the still-open connection; the caller never touches it again.
func idleClient(addr string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		die(err)
	}
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		die(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		die(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c
}

func waitParked(want int) {
	buf := make([]byte, 8<<20)
	for i := 0; i < 2000; i++ {
		if runtime.NumGoroutine() == want {
			n := runtime.Stack(buf, true)
			s := string(buf[:n])
			if strings.Count(s, "[running]") == 1 && !strings.Contains(s, "[runnable") {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "httpidle: population never settled (%d goroutines, want %d)\n",
		runtime.NumGoroutine(), want)
	os.Exit(3)
}

func writeProfile(dir, name string, debug int) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		die(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, debug); err != nil {
		die(err)
	}
	f.Close()
}

func main() {
	out := flag.String("out", "", "directory for the dumps and expected.json")
	serve := flag.Bool("serve", false, "keep serving; print ADDR=host:port")
	ttl := flag.Duration("ttl", 60*time.Second, "exit after this long in -serve mode")
	n := flag.Int("n", 50, "idle keep-alive client connections")
	flag.Parse()

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die(err)
	}
	// What http.ListenAndServe does: a zero Server, so no timeouts at all.
	go http.Serve(ln, nil)
	addr := ln.Addr().String()
	conns := make([]net.Conn, 0, *n)
	for i := 0; i < *n; i++ {
		conns = append(conns, idleClient(addr))
	}
	// main + the accept loop + one serve goroutine per idle connection.
	total := 2 + *n
	waitParked(total)

	if *serve {
		fmt.Printf("ADDR=%s\n", addr)
		os.Stdout.Sync()
		time.Sleep(*ttl)
		runtime.KeepAlive(conns)
		return
	}
	e := &expected{Total: total, Go: runtime.Version(),
		States: map[string]int{"IO wait": *n + 1, "running": 1},
		Buckets: []bucket{
			{"net/http.(*conn).serve", *n, "IO wait", "net/http.(*Server).Serve"},
			{"net/http.(*Server).Serve", 1, "IO wait", "main.main"},
			{"main.main", 1, "running", ""},
		}}
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		die(err)
	}
	writeProfile(*out, "debug2.txt", 2)
	writeProfile(*out, "debug1.txt", 1)
	writeProfile(*out, "debug0.pb.gz", 0)
	runtime.KeepAlive(conns)
}
