// SPDX-License-Identifier: MIT

// locked parks 4 goroutines that called runtime.LockOSThread before
// blocking, so their headers read "[chan receive, locked to thread]", next
// to 6 ordinary goroutines blocked on the same kind of channel in a different
// function. Writes debug2.txt, debug1.txt, debug0.pb.gz and expected.json
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
	"strings"
	"time"
)

type bucket struct {
	Func      string `json:"func"`
	Count     int    `json:"count"`
	State     string `json:"state"`
	CreatedBy string `json:"created_by,omitempty"`
	Locked    int    `json:"locked"`
}

type expected struct {
	Total   int            `json:"total"`
	States  map[string]int `json:"states"`
	Buckets []bucket       `json:"buckets"`
	Locked  int            `json:"locked"`
	Go      string         `json:"go"`
}

var sink = make(chan int)

//go:noinline
func pinned(ch chan int) {
	runtime.LockOSThread()
	v := <-ch
	runtime.UnlockOSThread()
	sink <- v
}

//go:noinline
func free(ch chan int) {
	sink <- <-ch
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
	fmt.Fprintf(os.Stderr, "locked: population never settled (%d goroutines, want %d)\n",
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

	const nLocked, nFree = 4, 6
	ch := make(chan int)
	for i := 0; i < nLocked; i++ {
		go pinned(ch)
	}
	for i := 0; i < nFree; i++ {
		go free(ch)
	}
	total := 1 + nLocked + nFree
	waitParked(total)

	e := &expected{Total: total, Locked: nLocked, Go: runtime.Version(),
		States: map[string]int{"chan receive": nLocked + nFree, "running": 1},
		Buckets: []bucket{
			{"main.pinned", nLocked, "chan receive", "main.main", nLocked},
			{"main.free", nFree, "chan receive", "main.main", 0},
			{"main.main", 1, "running", "", 0},
		}}
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	writeProfile(*out, "debug2.txt", 2)
	writeProfile(*out, "debug1.txt", 1)
	writeProfile(*out, "debug0.pb.gz", 0)
}
