// SPDX-License-Identifier: MIT

// fatalsystem ends in "fatal error: all goroutines are asleep - deadlock!"
// under GOTRACEBACK=system: main and every goroutine it started block on
// channels, so the runtime throws and prints every goroutine at traceback
// level 2 - runtime frames (runtime.gopark...), system goroutines (GC
// workers, finalizer...), wrapper frames such as main.(*worker).run-fm, a
// "runtime stack:" section for the throwing g0, and, for the two deep
// goroutines, Go 1.19's "...additional frames elided..." marker (at level 2
// the hidden runtime frames are printed, so the 100-frame cap is reported).
// expected.json (written to -out before blocking) lists the user goroutines;
// system goroutines come on top and their number is not known in advance.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
)

type bucket struct {
	Func      string `json:"func"`
	Count     int    `json:"count"`
	State     string `json:"state"`
	CreatedBy string `json:"created_by,omitempty"`
}

type expected struct {
	// UserTotal counts the goroutines this program started plus main;
	// the dump also holds the runtime's own goroutines.
	UserTotal int            `json:"user_total"`
	States    map[string]int `json:"states"`
	Buckets   []bucket       `json:"buckets"`
	Go        string         `json:"go"`
}

var sink = make(chan int)

//go:noinline
func stuck(ch chan int) { sink <- <-ch }

type worker struct{ in chan int }

//go:noinline
func (w *worker) run() { sink <- <-w.in }

//go:noinline
func recurse(depth int, ch chan int) int {
	if depth <= 1 {
		return <-ch
	}
	return recurse(depth-1, ch) + 1
}

//go:noinline
func deep(ch chan int) { sink <- recurse(150, ch) }

func main() {
	out := flag.String("out", ".", "directory for expected.json")
	flag.Parse()
	debug.SetTraceback("system")

	const nStuck, nWorker, nDeep = 15, 3, 2
	ch := make(chan int)
	for i := 0; i < nStuck; i++ {
		go stuck(ch)
	}
	w := &worker{in: make(chan int)}
	run := w.run
	for i := 0; i < nWorker; i++ {
		go run()
	}
	for i := 0; i < nDeep; i++ {
		go deep(ch)
	}
	e := &expected{UserTotal: 1 + nStuck + nWorker + nDeep, Go: runtime.Version(),
		States: map[string]int{"chan receive": 1 + nStuck + nWorker + nDeep},
		Buckets: []bucket{
			{"main.stuck", nStuck, "chan receive", "main.main"},
			{"main.(*worker).run-fm", nWorker, "chan receive", "main.main"},
			{"main.recurse", nDeep, "chan receive", "main.main"},
			{"main.main", 1, "chan receive", ""},
		}}
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	sink <- <-ch
}
