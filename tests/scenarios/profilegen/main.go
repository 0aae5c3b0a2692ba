// SPDX-License-Identifier: MIT
//
// profilegen builds a known goroutine and heap population and writes every
// profile format godiag reads into a directory, so the parsers are tested on
// real runtime output with exact, constructed counts:
//
//	100 goroutines blocked in chan receive in main.blockedRecv
//	 20 goroutines blocked in select in main.selectWaiter
//	  5 goroutines with pprof labels, blocked in chan receive through the
//	    inlined main.recvInline (so the profiles carry an inlined frame)
//	  1 main goroutine (running, writing the profiles)
//
// and a heap where main.allocKeep holds 1000 objects of 4096 bytes
// (MemProfileRate=1, so sampling is exact).
//
// Usage: profilegen -out DIR
// Writes: debug1.txt debug0.pb.gz debug2.txt heap_debug1.txt heap.pb.gz
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

func init() {
	// No heap sampling until the allocations we count: keeps the heap
	// fixtures small and their content known.
	runtime.MemProfileRate = 0
}

var keep [][]byte

//go:noinline
func blockedRecv(ch chan int, ready chan struct{}) {
	ready <- struct{}{}
	<-ch
}

//go:noinline
func selectWaiter(a, b chan int, ready chan struct{}) {
	ready <- struct{}{}
	select {
	case <-a:
	case <-b:
	}
}

// Small enough to be inlined into labeledWorker.
func recvInline(ch chan int) int {
	return <-ch
}

//go:noinline
func labeledWorker(ch chan int, ready chan struct{}) {
	labels := pprof.Labels("worker", "labeled", "tenant", "t\"1")
	pprof.Do(context.Background(), labels, func(context.Context) {
		ready <- struct{}{}
		recvInline(ch)
	})
}

//go:noinline
func allocKeep(n, size int) {
	for i := 0; i < n; i++ {
		keep = append(keep, make([]byte, size))
	}
}

func write(dir, name, profile string, debug int) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	out := flag.String("out", ".", "output directory")
	flag.Parse()

	never := make(chan int)
	never2 := make(chan int)
	ready := make(chan struct{})
	for i := 0; i < 100; i++ {
		go blockedRecv(never, ready)
	}
	for i := 0; i < 20; i++ {
		go selectWaiter(never, never2, ready)
	}
	for i := 0; i < 5; i++ {
		go labeledWorker(never, ready)
	}
	for i := 0; i < 125; i++ {
		<-ready
	}
	// Record every allocation from here on, so the numbers are exact.
	runtime.MemProfileRate = 1
	allocKeep(1000, 4096)
	runtime.GC()
	runtime.GC()

	// Let the last senders on `ready` park on their receives.
	for i := 0; i < 10; i++ {
		runtime.Gosched()
	}
	// Heap first: the goroutine writes allocate, and with every allocation
	// recorded they would bloat the heap profiles.
	write(*out, "heap_debug1.txt", "heap", 1)
	write(*out, "heap.pb.gz", "heap", 0)
	write(*out, "debug1.txt", "goroutine", 1)
	write(*out, "debug0.pb.gz", "goroutine", 0)
	write(*out, "debug2.txt", "goroutine", 2)
	runtime.KeepAlive(keep)
}
