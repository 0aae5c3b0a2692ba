// SPDX-License-Identifier: MIT

// panic dies of an unrecovered panic while other goroutines are alive, so
// with GOTRACEBACK=all its stderr is a full goroutine dump behind a noisy
// preamble: a multi-line panic value, recovered and re-panicked, i.e.
//
//	panic: boom
//	line two [recovered]
//		panic: re-panic: boom
//	line two
//
// expected.json (written to -out before panicking) describes the population.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
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

var sink = make(chan int)

//go:noinline
func waiter(ch chan int) { sink <- <-ch }

//go:noinline
func sleeper() {
	time.Sleep(time.Hour)
	sink <- 1
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
	fmt.Fprintf(os.Stderr, "panic: population never settled (%d goroutines, want %d)\n",
		runtime.NumGoroutine(), want)
	os.Exit(3)
}

//go:noinline
func explode() {
	defer func() {
		r := recover()
		panic(fmt.Sprintf("re-panic: %v", r))
	}()
	panic(errors.New("boom\nline two"))
}

func main() {
	out := flag.String("out", ".", "directory for expected.json")
	flag.Parse()
	debug.SetTraceback("all")

	const nWait, nSleep = 25, 8
	ch := make(chan int)
	for i := 0; i < nWait; i++ {
		go waiter(ch)
	}
	for i := 0; i < nSleep; i++ {
		go sleeper()
	}
	total := 1 + nWait + nSleep
	waitParked(total)
	e := &expected{Total: total, Go: runtime.Version(),
		States: map[string]int{"chan receive": nWait, "sleep": nSleep, "running": 1},
		Buckets: []bucket{
			{"main.waiter", nWait, "chan receive", "main.main"},
			{"main.sleeper", nSleep, "sleep", "main.main"},
			{"main.explode", 1, "running", ""},
		}}
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	explode()
}
