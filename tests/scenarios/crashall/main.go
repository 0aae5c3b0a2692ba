// SPDX-License-Identifier: MIT

// crashall dies of a runtime error in a worker goroutine (not goroutine 1)
// under GOTRACEBACK=all: -kind nilptr gives a nil pointer dereference with
// the "[signal SIGSEGV: segmentation violation ...]" line after the panic
// line; -kind nilmap gives "assignment to entry in nil map" (no signal
// line). The crasher itself waits until everyone else is parked, so the dump
// is deterministic. expected.json is written to -out before the crash.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
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

type node struct {
	next *node
	val  int
}

var (
	sink  = make(chan int)
	table map[string]int
)

//go:noinline
func parked(ch chan int) { sink <- <-ch }

//go:noinline
func condWaiter(c *sync.Cond) {
	c.L.Lock()
	c.Wait()
	c.L.Unlock()
}

//go:noinline
func deref(n *node) int { return n.next.val }

//go:noinline
func crasher(kind string, want int, out string, e *expected) {
	waitParked(want)
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if kind == "nilmap" {
		table["x"] = 1
	}
	sink <- deref(&node{})
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
	fmt.Fprintf(os.Stderr, "crashall: population never settled (%d goroutines, want %d)\n",
		runtime.NumGoroutine(), want)
	os.Exit(3)
}

func main() {
	out := flag.String("out", ".", "directory for expected.json")
	kind := flag.String("kind", "nilptr", "nilptr or nilmap")
	flag.Parse()
	debug.SetTraceback("all")

	const nParked, nCond = 40, 6
	ch := make(chan int)
	cond := sync.NewCond(&sync.Mutex{})
	for i := 0; i < nParked; i++ {
		go parked(ch)
	}
	for i := 0; i < nCond; i++ {
		go condWaiter(cond)
	}
	total := 2 + nParked + nCond
	crashFn := "main.deref"
	if *kind == "nilmap" {
		crashFn = "main.crasher"
	}
	e := &expected{Total: total, Go: runtime.Version(),
		States: map[string]int{"chan receive": nParked, "sync.Cond.Wait": nCond,
			"select (no cases)": 1, "running": 1},
		Buckets: []bucket{
			{"main.parked", nParked, "chan receive", "main.main"},
			{"main.condWaiter", nCond, "sync.Cond.Wait", "main.main"},
			{"main.main", 1, "select (no cases)", ""},
			{crashFn, 1, "running", "main.main"},
		}}
	go crasher(*kind, total, *out, e)
	select {}
}
