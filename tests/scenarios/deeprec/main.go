// SPDX-License-Identifier: MIT

// deeprec parks goroutines at the bottom of deep recursions so the runtime
// cuts their stacks: 7 goroutines at 150 frames and 3 at 20 frames (printed
// whole). Go 1.21+ prints the inner 50 frames, "...50 frames elided...", then
// the outer 50. Go <= 1.20 stops after 100 frames counting the hidden
// runtime.gopark/chanrecv frames, i.e. 97 printed, and - measured on 1.19.8 -
// prints NO "...additional frames elided..." marker in debug=2 because
// gentraceback returns the printed count, not the walked one (the marker does
// appear at GOTRACEBACK=system, see fatalsystem). The 7 must still group into
// one bucket. Writes debug2.txt, debug1.txt, debug0.pb.gz and expected.json
// into -out.
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
	"time"
)

type bucket struct {
	Func      string `json:"func"`
	Count     int    `json:"count"`
	State     string `json:"state"`
	CreatedBy string `json:"created_by,omitempty"`
	Depth     int    `json:"depth"`
	// Frames is how many frames the runtime prints for this bucket.
	Frames int `json:"frames"`
	// Outer is the outermost printed frame's function.
	Outer string `json:"outer,omitempty"`
	// Without names a function absent from this bucket, to tell it from
	// the shallow one that also holds main.bottom.
	Without string `json:"without,omitempty"`
}

type expected struct {
	Total   int            `json:"total"`
	States  map[string]int `json:"states"`
	Buckets []bucket       `json:"buckets"`
	Go      string         `json:"go"`
}

var sink = make(chan int)

// recurse adds one frame per level (noinline: every level must be a real
// frame), then parks in main.bottom.
//
//go:noinline
func recurse(depth int, ch chan int) int {
	if depth <= 1 {
		return bottom(ch)
	}
	return recurse(depth-1, ch) + 1
}

//go:noinline
func bottom(ch chan int) int {
	return <-ch
}

//go:noinline
func deepWorker(ch chan int) {
	// deepWorker + 148 recurse + bottom = 150 frames of our own.
	sink <- recurse(148, ch)
}

//go:noinline
func shallowWorker(ch chan int) {
	// shallowWorker + 18 recurse + bottom = 20 frames.
	sink <- recurse(18, ch)
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
	fmt.Fprintf(os.Stderr, "deeprec: population never settled (%d goroutines, want %d)\n",
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

	const nDeep, nShallow = 7, 3
	deepCh, shallowCh := make(chan int), make(chan int)
	for i := 0; i < nDeep; i++ {
		go deepWorker(deepCh)
	}
	for i := 0; i < nShallow; i++ {
		go shallowWorker(shallowCh)
	}
	total := 1 + nDeep + nShallow
	waitParked(total)

	e := &expected{Total: total, States: map[string]int{}, Go: runtime.Version()}
	// The innermost frames are runtime.gopark, runtime.chanrecv,
	// runtime.chanrecv1 (hidden) then main.bottom, so bottom is always
	// printed first.
	deep := bucket{Func: "main.bottom", Count: nDeep, State: "chan receive",
		CreatedBy: "main.main", Depth: 150, Frames: 97, Outer: "main.recurse",
		Without: "main.shallowWorker"}
	if goMinor() >= 21 {
		deep.Frames, deep.Outer = 100, "main.deepWorker"
	}
	e.Buckets = []bucket{deep,
		{Func: "main.shallowWorker", Count: nShallow, State: "chan receive",
			CreatedBy: "main.main", Depth: 20, Frames: 20, Outer: "main.shallowWorker"},
		{Func: "main.main", Count: 1, State: "running"},
	}
	e.States["chan receive"] = nDeep + nShallow
	e.States["running"] = 1
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	writeProfile(*out, "debug2.txt", 2)
	writeProfile(*out, "debug1.txt", 1)
	writeProfile(*out, "debug0.pb.gz", 0)
}
