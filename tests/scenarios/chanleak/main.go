// SPDX-License-Identifier: MIT

// chanleak builds the classic goroutine leak population: goroutines parked
// forever on channels, a select with no ready case, a held mutex and a
// WaitGroup that never reaches zero. It writes debug=2 and debug=1 dumps of
// itself plus expected.json (what it built) into -out DIR, then exits.
// Wait reasons depend on the Go version, so expected.json is computed from
// runtime.Version() rather than hard-coded in the test.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
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

var sink = make(chan int)

//go:noinline
func leakyRecv(ch chan int) {
	v := <-ch
	sink <- v
}

//go:noinline
func leakySend(ch chan int, v int) {
	ch <- v
}

//go:noinline
func leakySelect(a, b chan int) {
	select {
	case v := <-a:
		sink <- v
	case b <- 1:
	}
}

//go:noinline
func leakyLock(mu *sync.Mutex) {
	mu.Lock()
	mu.Unlock()
}

//go:noinline
func leakyWait(wg *sync.WaitGroup) {
	wg.Wait()
}

// goMinor returns N of "go1.N[.x]" (0 when unparsable, e.g. a devel build).
func goMinor() int {
	v := strings.TrimPrefix(runtime.Version(), "go1.")
	if i := strings.IndexAny(v, ".rcbeta-"); i >= 0 {
		v = v[:i]
	}
	n, _ := strconv.Atoi(v)
	return n
}

// waitParked blocks until want goroutines exist and no goroutine but the
// caller is runnable or running, so the dump is deterministic.
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
	fmt.Fprintf(os.Stderr, "chanleak: population never settled (%d goroutines, want %d)\n",
		runtime.NumGoroutine(), want)
	os.Exit(3)
}

func writeProfile(dir, name string, debug int) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, debug); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	f.Close()
}

func writeJSON(dir string, e *expected) {
	b, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "expected.json"), append(b, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

func main() {
	out := flag.String("out", ".", "directory for debug2.txt, debug1.txt, debug0.pb.gz, expected.json")
	flag.Parse()

	const nRecv, nSend, nSelect, nLock, nWait = 100, 30, 20, 10, 5
	recvCh, sendCh := make(chan int), make(chan int)
	selA, selB := make(chan int), make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	mu.Lock()
	wg.Add(1)

	for i := 0; i < nRecv; i++ {
		go leakyRecv(recvCh)
	}
	for i := 0; i < nSend; i++ {
		go leakySend(sendCh, i)
	}
	for i := 0; i < nSelect; i++ {
		go leakySelect(selA, selB)
	}
	for i := 0; i < nLock; i++ {
		go leakyLock(&mu)
	}
	for i := 0; i < nWait; i++ {
		go leakyWait(&wg)
	}
	total := 1 + nRecv + nSend + nSelect + nLock + nWait
	waitParked(total)

	mutexState := "semacquire"
	if goMinor() >= 20 {
		mutexState = "sync.Mutex.Lock"
	}
	waitState := "semacquire"
	if goMinor() >= 24 {
		waitState = "sync.WaitGroup.Wait"
	}
	e := &expected{Total: total, States: map[string]int{}, Go: runtime.Version()}
	add := func(fn string, n int, state, creator string) {
		e.Buckets = append(e.Buckets, bucket{fn, n, state, creator})
		e.States[state] += n
	}
	add("main.leakyRecv", nRecv, "chan receive", "main.main")
	add("main.leakySend", nSend, "chan send", "main.main")
	add("main.leakySelect", nSelect, "select", "main.main")
	add("main.leakyLock", nLock, mutexState, "main.main")
	add("main.leakyWait", nWait, waitState, "main.main")
	add("main.main", 1, "running", "")

	writeJSON(*out, e)
	writeProfile(*out, "debug2.txt", 2)
	writeProfile(*out, "debug1.txt", 1)
	writeProfile(*out, "debug0.pb.gz", 0)
	mu.Unlock() // keep mu and wg reachable until the dumps are written
	wg.Done()
}
