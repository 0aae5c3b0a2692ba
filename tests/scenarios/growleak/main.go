// SPDX-License-Identifier: MIT

// growleak is a patient for `godiag diff A B`: a service that leaks three
// things at once, each from one place in its code, next to steady work that
// does not grow.
//
//   - goroutines: every step, -goroutines workers start in main.subscribe
//     and block forever on a channel nobody sends on (one bucket that grows);
//   - heap: every step, main.hoard keeps -kib KiB in a global slice (one
//     allocation site whose in-use bytes grow);
//   - sockets: every step, main.dialUpstream opens one more connection to
//     the "upstream" listener and never closes it (one peer that grows).
//
// The steady part: 16 pool workers in select (main.poolWorker), a fixed
// 4 MiB table allocated once (main.buildTable), and the pprof listener.
// runtime.MemProfileRate is 32 KiB (every 256 KiB chunk is sampled, small
// runtime allocations mostly not: a short profile) and a GC ends every step,
// so the heap profile is current.  Steps run 4 times a second.
//
//	growleak [-goroutines 5] [-kib 256] [-ttl 2m]   PID=, ADDR=, PPROF=,
//	                                                UPSTREAM=, READY
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

var (
	mu     sync.Mutex
	hoard  [][]byte
	conns  []net.Conn
	table  []byte
	never  = make(chan int)
	work   = make(chan int)
	closed = make(chan struct{})
)

// subscribe is the goroutine leak: it waits for a message that never comes.
func subscribe(id int) {
	select {
	case v := <-never:
		_ = v + id
	case <-closed:
	}
}

// keep is the heap leak: a "cache" that only grows.
func keep(kib int) {
	b := make([]byte, kib<<10)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // resident
	}
	mu.Lock()
	hoard = append(hoard, b)
	mu.Unlock()
}

// dialUpstream is the connection leak: a client that never closes.
func dialUpstream(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	mu.Lock()
	conns = append(conns, c)
	mu.Unlock()
}

func poolWorker() {
	for {
		select {
		case <-work:
		case <-closed:
			return
		}
	}
}

func buildTable() {
	table = make([]byte, 4<<20)
	for i := 0; i < len(table); i += 4096 {
		table[i] = 1
	}
}

func main() {
	runtime.MemProfileRate = 32 << 10
	ngo := flag.Int("goroutines", 5, "goroutines leaked per step")
	kib := flag.Int("kib", 256, "KiB of heap kept per step")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	fmt.Printf("PID=%d\n", os.Getpid())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "growleak: listen:", err)
		os.Exit(3)
	}
	go http.Serve(ln, nil)
	up, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "growleak: listen:", err)
		os.Exit(3)
	}
	go func() {
		var held []net.Conn
		for {
			c, err := up.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	buildTable()
	for i := 0; i < 16; i++ {
		go poolWorker()
	}
	id := 0
	step := func() {
		for i := 0; i < *ngo; i++ {
			go subscribe(id)
			id++
		}
		keep(*kib)
		dialUpstream(up.Addr().String())
		runtime.GC()
	}
	step()
	fmt.Printf("ADDR=%s\n", ln.Addr())
	fmt.Printf("PPROF=%s\n", ln.Addr())
	fmt.Printf("UPSTREAM=%s\n", up.Addr())
	fmt.Println("READY")
	for range time.Tick(250 * time.Millisecond) {
		step()
	}
}
