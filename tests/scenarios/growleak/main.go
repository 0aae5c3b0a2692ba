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
// runtime.MemProfileRate is 1, so every allocation is in the heap profile:
// at any other rate each P keeps the sampling distance it drew at the
// default 512 KiB until it next samples, and a 256 KiB chunk on that P may
// go unrecorded (a test then sees +7 objects for 8 steps).  A GC ends every
// step, so the heap profile is current.  Steps run 4 times a second, or with
// -manual only when asked: GET /step?n=N on the pprof listener runs N steps
// and answers when they are done (tests then know the exact growth
// without waiting on the clock).
//
//	growleak [-goroutines 5] [-kib 256] [-manual] [-ttl 2m]
//	         prints PID=, ADDR=, PPROF=, UPSTREAM=, READY
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
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

// stepper runs n steps per request.  Two GCs end each batch: the heap
// profile publishes an allocation only a cycle after the one it was made
// in, so after them it shows every step.
func stepper(steps <-chan int, done chan<- struct{}, ngo, kib int, upstream string) {
	id := 0
	for n := range steps {
		for i := 0; i < n; i++ {
			for j := 0; j < ngo; j++ {
				go subscribe(id)
				id++
			}
			keep(kib)
			dialUpstream(upstream)
		}
		runtime.GC()
		runtime.GC()
		done <- struct{}{}
	}
}

func main() {
	runtime.MemProfileRate = 1
	ngo := flag.Int("goroutines", 5, "goroutines leaked per step")
	kib := flag.Int("kib", 256, "KiB of heap kept per step")
	manual := flag.Bool("manual", false, "step only on GET /step?n=N")
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
	// Every step runs on this one goroutine, so each leak has one stack
	// whoever asked for the step.
	steps := make(chan int)
	done := make(chan struct{})
	go stepper(steps, done, *ngo, *kib, up.Addr().String())
	http.HandleFunc("/step", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 1 || n > 1000 {
			http.Error(w, "n: 1-1000", http.StatusBadRequest)
			return
		}
		steps <- n
		<-done
		fmt.Fprintf(w, "%d steps\n", n)
	})
	steps <- 1
	<-done
	fmt.Printf("ADDR=%s\n", ln.Addr())
	fmt.Printf("PPROF=%s\n", ln.Addr())
	fmt.Printf("UPSTREAM=%s\n", up.Addr())
	fmt.Println("READY")
	if *manual {
		select {}
	}
	for range time.Tick(250 * time.Millisecond) {
		steps <- 1
		<-done
	}
}
