// SPDX-License-Identifier: MIT

// censusmix parks goroutines in every common blocking state (chan receive,
// chan send, select, sync.Mutex, sync.Cond, WaitGroup, IO wait on loopback
// TCP, sleep), through inlined calls, a generic function, a method value and
// closures, so the agentless census can be compared frame by frame with the
// process's own goroutine?debug=2.  -n is how many of each.  It serves
// net/http/pprof on -pprof (empty: no endpoint at all) and /ping for the
// latency probe of bench/census.sh.  Prints PID=, PPROF=, READY.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

var (
	mu    sync.Mutex
	cmu   sync.Mutex
	cond  = sync.NewCond(&cmu)
	wg    sync.WaitGroup
	never = make(chan int)
)

func recvInline(ch chan int) int { return <-ch } // small: inlined into recvWorker

//go:noinline
func recvWorker(ch chan int) { never <- recvInline(ch) }

//go:noinline
func sendWorker(ch chan int, v int) { ch <- v }

//go:noinline
func selectWorker(a, b chan int) {
	select {
	case v := <-a:
		never <- v
	case b <- 1:
	}
}

//go:noinline
func mutexWorker() { mu.Lock(); mu.Unlock() }

//go:noinline
func condWorker() {
	cmu.Lock()
	cond.Wait()
	cmu.Unlock()
}

//go:noinline
func wgWorker() { wg.Wait() }

//go:noinline
func sleepWorker(d time.Duration) { time.Sleep(d) }

type reader struct{ c net.Conn }

//go:noinline
func (r *reader) loop() {
	buf := make([]byte, 16)
	for {
		if _, err := r.c.Read(buf); err != nil {
			return
		}
	}
}

//go:noinline
func genericWait[T any](ch chan T) T { return <-ch }

func main() {
	n := flag.Int("n", 100, "goroutines per state")
	nio := flag.Int("io", -1, "goroutines in IO wait (loopback TCP pairs), -1: n")
	pp := flag.String("pprof", "127.0.0.1:0", "pprof listen address, empty for none")
	ttl := flag.Duration("ttl", 10*time.Minute, "exit after this long")
	flag.Parse()
	go func() { time.Sleep(*ttl); os.Exit(0) }()

	mu.Lock() // held forever
	wg.Add(1) // never done
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for i := 0; i < *n; i++ {
		ch := make(chan int)
		go recvWorker(ch)
		go sendWorker(make(chan int), i)
		go selectWorker(make(chan int), make(chan int))
		go mutexWorker()
		go condWorker()
		go wgWorker()
		go sleepWorker(time.Hour)
		go genericWait(make(chan string))
		f := func() { never <- <-ch }
		if i%2 == 0 {
			go f()
		}
		if *nio >= 0 && i >= *nio {
			continue
		}
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		clients = append(clients, c)
		r := &reader{<-accepted}
		go r.loop()
	}
	http.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "pong") })
	fmt.Printf("PID=%d\n", os.Getpid())
	if *pp != "" {
		pl, err := net.Listen("tcp", *pp)
		if err != nil {
			panic(err)
		}
		fmt.Printf("PPROF=%s\n", pl.Addr())
		go http.Serve(pl, nil)
	}
	time.Sleep(200 * time.Millisecond) // let every goroutine park
	fmt.Println("READY")
	_ = clients
	select {}
}
