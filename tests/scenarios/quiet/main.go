// SPDX-License-Identifier: MIT

// quiet is a process at rest: 200 goroutines parked in 5 distinct stack
// shapes (80/50/40/20/10) and nothing else moving, so a debug=2 dump and a
// debug=1 profile taken one after the other describe the same population.
// -out DIR writes debug2.txt, debug1.txt, debug0.pb.gz and expected.json;
// -serve serves net/http/pprof on 127.0.0.1:0, prints ADDR=host:port and
// exits by itself after -ttl. -labels adds one more shape, main.shapeLabeled,
// of 3 goroutines under pprof labels: 2 with tenant=t0 and 1 with tenant=t1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
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
func shapeRecv(ch chan int) { sink <- <-ch }

//go:noinline
func shapeSend(ch chan int) { ch <- 1 }

//go:noinline
func shapeSelect(a, b chan int) {
	select {
	case <-a:
	case <-b:
	}
	sink <- 1
}

//go:noinline
func shapeCond(c *sync.Cond) {
	c.L.Lock()
	c.Wait()
	c.L.Unlock()
}

//go:noinline
func shapeNested(ch chan int) { sink <- nestedInner(ch) }

//go:noinline
func shapeLabeled(ch chan int) { sink <- <-ch }

//go:noinline
func nestedInner(ch chan int) int { return <-ch + 1 }

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
	fmt.Fprintf(os.Stderr, "quiet: population never settled (%d goroutines, want %d)\n",
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
	out := flag.String("out", "", "directory for the dumps and expected.json")
	serve := flag.Bool("serve", false, "serve net/http/pprof and print ADDR=")
	ttl := flag.Duration("ttl", 60*time.Second, "exit after this long in -serve mode")
	labeled := flag.Bool("labels", false, "add 2 goroutines labelled tenant=t0 and 1 tenant=t1")
	flag.Parse()

	a, b, c := make(chan int), make(chan int), make(chan int)
	cond := sync.NewCond(&sync.Mutex{})
	shapes := []struct {
		fn, state string
		n         int
		start     func()
	}{
		{"main.shapeRecv", "chan receive", 80, func() { go shapeRecv(a) }},
		{"main.shapeSend", "chan send", 50, func() { go shapeSend(b) }},
		{"main.shapeSelect", "select", 40, func() { go shapeSelect(a, c) }},
		{"main.shapeCond", "sync.Cond.Wait", 20, func() { go shapeCond(cond) }},
		{"main.nestedInner", "chan receive", 10, func() { go shapeNested(c) }},
	}
	e := &expected{States: map[string]int{}, Go: runtime.Version()}
	total := 1
	for i, s := range shapes {
		for i := 0; i < s.n; i++ {
			s.start()
		}
		total += s.n
		e.Buckets = append(e.Buckets, bucket{s.fn, s.n, s.state,
			fmt.Sprintf("main.main.func%d", i+1)})
		e.States[s.state] += s.n
	}
	if *labeled {
		d := make(chan int)
		for _, t := range []string{"t0", "t0", "t1"} {
			pprof.Do(context.Background(), pprof.Labels("tenant", t), func(context.Context) {
				go shapeLabeled(d)
			})
		}
		total += 3
	}
	waitParked(total)

	if *serve {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Printf("ADDR=%s\n", ln.Addr())
		os.Stdout.Sync()
		go http.Serve(ln, nil)
		time.Sleep(*ttl)
		return
	}
	e.Total = total
	e.States["running"]++
	e.Buckets = append(e.Buckets, bucket{"main.main", 1, "running", ""})
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	writeProfile(*out, "debug2.txt", 2)
	writeProfile(*out, "debug1.txt", 1)
	writeProfile(*out, "debug0.pb.gz", 0)
}
