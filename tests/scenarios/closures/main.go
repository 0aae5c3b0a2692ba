// SPDX-License-Identifier: MIT

// closures parks goroutines whose frames carry the awkward function names a
// dump parser must keep intact: nested closures (main.main.func1.1), generic
// functions and methods (main.gen[...], main.(*box[...]).wait) and method
// values (started through main.(*server).loop-fm). Every goroutine is started from the one
// `go` statement in main.spawn, so grouping by creator must merge them all.
// Writes debug2.txt, debug1.txt, debug0.pb.gz and expected.json into -out.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
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

var sink = make(chan int)

//go:noinline
func spawn(n int, f func()) {
	for i := 0; i < n; i++ {
		go f()
	}
}

//go:noinline
func gen[T any](ch chan T) {
	v := <-ch
	_ = v
	sink <- 1
}

type box[T any] struct {
	in  chan T
	out chan T
}

//go:noinline
func (b *box[T]) wait() {
	select {
	case v := <-b.in:
		b.out <- v
	case v := <-b.out:
		b.in <- v
	}
}

type server struct{ quit chan struct{} }

//go:noinline
func (s *server) loop() {
	<-s.quit
	sink <- 2
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
	fmt.Fprintf(os.Stderr, "closures: population never settled (%d goroutines, want %d)\n",
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

func main() {
	out := flag.String("out", ".", "directory for the dumps and expected.json")
	flag.Parse()

	const nNested, nGen, nBox, nFm = 12, 9, 6, 4
	ch := make(chan int)
	spawn(nNested, func() {
		func() {
			v := <-ch
			sink <- v
		}()
		sink <- 3
	})
	gch := make(chan string)
	spawn(nGen, func() { gen(gch) })
	b := &box[int]{in: make(chan int), out: make(chan int)}
	spawn(nBox, b.wait)
	s := &server{quit: make(chan struct{})}
	spawn(nFm, s.loop)

	total := 1 + nNested + nGen + nBox + nFm
	waitParked(total)
	e := &expected{Total: total, States: map[string]int{}, Go: runtime.Version()}
	add := func(fn string, n int, state, creator string) {
		e.Buckets = append(e.Buckets, bucket{fn, n, state, creator})
		e.States[state] += n
	}
	add("main.main.func1.1", nNested, "chan receive", "main.spawn")
	add("main.gen[...]", nGen, "chan receive", "main.spawn")
	add("main.(*box[...]).wait", nBox, "select", "main.spawn")
	// The runtime hides the -fm wrapper (a wrapper function) at traceback
	// level 1, so debug=2 shows the method itself; fatalsystem, which runs
	// at level 2, is where main.(*server).loop-fm is printed.
	add("main.(*server).loop", nFm, "chan receive", "main.spawn")
	add("main.main", 1, "running", "")
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	writeProfile(*out, "debug2.txt", 2)
	writeProfile(*out, "debug1.txt", 1)
	writeProfile(*out, "debug0.pb.gz", 0)
	close(s.quit)
}
