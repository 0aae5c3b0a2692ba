// SPDX-License-Identifier: MIT
//
// gendump parks about a million real goroutines in ~50 distinct stack shapes
// and writes the three goroutine views of that one state: the debug=2 text dump
// (runtime.Stack with a buffer big enough for all of it, unlike net/http/pprof
// which stops at 64 MiB), the debug=1 text profile and the debug=0 protobuf
// profile, plus expected.json with the total and per-shape counts. It exists so
// that bench/run.sh can time godiag against wc -l and panicparse on a dump of
// production-incident size (hundreds of MB), which no fixture in git can be.
//
// Usage: gendump -out DIR [-n 1000000] [-age 0s] [-conns 2000]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// plan is one stack shape: the chain of layer functions a goroutine walks
// through, an optional recursion depth, and the blocking leaf it ends in.
// Every goroutine of a shape shares the plan, so its channels and locks are
// the ones they all block on.
type plan struct {
	name    string
	chain   []func(p *plan, k int)
	depth   int
	leaf    func(p *plan)
	state   string // expected wait reason on Go 1.19, for expected.json
	count   int
	spawn   func(p *plan, n int)
	filler  bool // absorbs the remainder so the dump holds exactly -n goroutines
	ch      chan int
	ch2     chan int
	mu      sync.Mutex
	rw      sync.RWMutex
	wg      sync.WaitGroup
	cond    *sync.Cond
	pipeR   *os.File
	started int
}

var parked int64

func arrived() { atomic.AddInt64(&parked, 1) }

// The layers. Each either hands over to the next layer of the plan or, at the
// end of the chain, to the leaf, so different chains give different stacks.

//go:noinline
func serveConn(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func handleRequest(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func decodeFrame(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func dispatchRPC(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func processBatch(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func consumeQueue(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func pollEvents(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func flushWriter(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func retryLoop(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func watchConfig(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func runPipeline(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func acquireLease(p *plan, k int) {
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

// parseTree recurses p.depth times before going on: deep stacks (more than the
// 100 frames a traceback prints) are where parsers meet "...additional frames
// elided...".
//
//go:noinline
func parseTree(p *plan, k int) { parseNode(p, k, p.depth) }

//go:noinline
func parseNode(p *plan, k, d int) {
	if d > 0 {
		parseNode(p, k, d-1)
		return
	}
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

// walkEven/walkOdd: mutual recursion, so the deep part alternates two frames.
//
//go:noinline
func walkEven(p *plan, k, d int) {
	if d > 0 {
		walkOdd(p, k, d-1)
		return
	}
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func walkOdd(p *plan, k, d int) {
	if d > 0 {
		walkEven(p, k, d-1)
		return
	}
	if k < len(p.chain) {
		p.chain[k](p, k+1)
		return
	}
	p.leaf(p)
}

//go:noinline
func walkGraph(p *plan, k int) { walkEven(p, k, p.depth) }

// The leaves: one per blocking kind.

//go:noinline
func leafChanRecv(p *plan) { arrived(); <-p.ch }

//go:noinline
func leafChanRecvOK(p *plan) {
	arrived()
	if _, ok := <-p.ch; !ok {
		return
	}
}

//go:noinline
func leafRange(p *plan) {
	arrived()
	for range p.ch {
	}
}

//go:noinline
func leafChanSend(p *plan) { arrived(); p.ch <- 1 }

//go:noinline
func leafSelect(p *plan) {
	arrived()
	select {
	case <-p.ch:
	case <-p.ch2:
	}
}

//go:noinline
func leafSelectSend(p *plan) {
	arrived()
	select {
	case p.ch <- 1:
	case <-p.ch2:
	}
}

//go:noinline
func leafSelectNoCases(p *plan) { arrived(); select {} }

//go:noinline
func leafNilRecv(p *plan) {
	var c chan int
	arrived()
	<-c
}

//go:noinline
func leafMutex(p *plan) { arrived(); p.mu.Lock() }

//go:noinline
func leafRLock(p *plan) { arrived(); p.rw.RLock() }

//go:noinline
func leafWaitGroup(p *plan) { arrived(); p.wg.Wait() }

//go:noinline
func leafCond(p *plan) {
	p.cond.L.Lock()
	arrived()
	p.cond.Wait()
}

//go:noinline
func leafSleep(p *plan) { arrived(); time.Sleep(10000 * time.Hour) }

//go:noinline
func leafTimerSelect(p *plan) {
	t := time.NewTimer(10000 * time.Hour)
	arrived()
	select {
	case <-t.C:
	case <-p.ch:
	}
}

//go:noinline
func leafPipeRead(p *plan) {
	var b [1]byte
	arrived()
	_, _ = p.pipeR.Read(b[:])
}

// Spawners: the function holding the go statement is the "created by" frame,
// so several of them give the shapes different creators.

//go:noinline
func startWorkers(p *plan, n int) {
	for i := 0; i < n; i++ {
		if len(p.chain) > 0 {
			go p.chain[0](p, 1)
		} else {
			go p.leaf(p)
		}
	}
}

//go:noinline
func launchPool(p *plan, n int) {
	for i := 0; i < n; i++ {
		if len(p.chain) > 0 {
			go p.chain[0](p, 1)
		} else {
			go p.leaf(p)
		}
	}
}

type supervisor struct{ restarts int }

//go:noinline
func (s *supervisor) start(p *plan, n int) {
	for i := 0; i < n; i++ {
		if len(p.chain) > 0 {
			go p.chain[0](p, 1)
		} else {
			go p.leaf(p)
		}
	}
	s.restarts++
}

var sup supervisor

func supStart(p *plan, n int) { sup.start(p, n) }

// spawnClosure creates goroutines from a closure, which prints as
// main.spawnClosure.func1 — the common shape of real code.
//
//go:noinline
func spawnClosure(p *plan, n int) {
	for i := 0; i < n; i++ {
		go func() {
			if len(p.chain) > 0 {
				p.chain[0](p, 1)
				return
			}
			p.leaf(p)
		}()
	}
}

type L = func(p *plan, k int)

func chain(fs ...L) []L { return fs }

func shapes() []*plan {
	S, P, V, C := startWorkers, launchPool, supStart, spawnClosure
	ps := []*plan{
		// The big ones: a leak is typically one or two huge buckets.
		{name: "queue-consumer", chain: chain(runPipeline, serveConn, handleRequest, decodeFrame, processBatch, consumeQueue, pollEvents, flushWriter), leaf: leafChanRecv, state: "chan receive", spawn: S, filler: true},
		{name: "rpc-select", chain: chain(serveConn, handleRequest, decodeFrame, dispatchRPC, retryLoop, acquireLease, watchConfig, runPipeline, pollEvents, consumeQueue), leaf: leafSelect, state: "select", count: 150000, spawn: C},
		{name: "batch-send", chain: chain(runPipeline, processBatch, decodeFrame, dispatchRPC, flushWriter, retryLoop, pollEvents), leaf: leafChanSend, state: "chan send", count: 100000, spawn: P},
		{name: "lease-mutex", chain: chain(serveConn, handleRequest, dispatchRPC, retryLoop, acquireLease, watchConfig), leaf: leafMutex, state: "semacquire", count: 80000, spawn: V},
		{name: "pipeline-range", chain: chain(runPipeline, processBatch, consumeQueue, decodeFrame, flushWriter, pollEvents, retryLoop, acquireLease), leaf: leafRange, state: "chan receive", count: 60000, spawn: S},
		{name: "sleep-retry", chain: chain(watchConfig, pollEvents, retryLoop), leaf: leafSleep, state: "sleep", count: 50000, spawn: C},
		{name: "deep-parse-120", chain: chain(decodeFrame, parseTree, handleRequest), depth: 120, leaf: leafChanRecv, state: "chan receive", count: 12000, spawn: P},
		{name: "config-cond", chain: chain(runPipeline, watchConfig, pollEvents, consumeQueue), leaf: leafCond, state: "sync.Cond.Wait", count: 40000, spawn: V},
		{name: "rpc-wg", chain: chain(serveConn, dispatchRPC, handleRequest, processBatch, flushWriter, decodeFrame, acquireLease, retryLoop, watchConfig), leaf: leafWaitGroup, state: "semacquire", count: 30000, spawn: S},
		{name: "events-select-send", chain: chain(pollEvents, flushWriter, retryLoop, dispatchRPC, handleRequest, serveConn, decodeFrame), leaf: leafSelectSend, state: "select", count: 30000, spawn: C},
		{name: "lease-rlock", chain: chain(serveConn, handleRequest, acquireLease, watchConfig, retryLoop), leaf: leafRLock, state: "semacquire", count: 25000, spawn: P},
		{name: "deep-walk-250", chain: chain(runPipeline, walkGraph), depth: 250, leaf: leafSelect, state: "select", count: 6000, spawn: S},
		{name: "idle-select-nocases", chain: chain(pollEvents), leaf: leafSelectNoCases, state: "select (no cases)", count: 20000, spawn: V},
		{name: "nil-chan", chain: chain(flushWriter, decodeFrame), leaf: leafNilRecv, state: "chan receive (nil chan)", count: 15000, spawn: C},
		{name: "recv-ok-6", chain: chain(serveConn, handleRequest, decodeFrame, dispatchRPC, processBatch, consumeQueue), leaf: leafChanRecvOK, state: "chan receive", count: 15000, spawn: S},
		{name: "deep-parse-60", chain: chain(serveConn, parseTree), depth: 60, leaf: leafMutex, state: "semacquire", count: 8000, spawn: P},
	}
	// A long tail of medium and small shapes, as in a real service.
	leaves := []struct {
		f     func(*plan)
		state string
	}{
		{leafChanRecv, "chan receive"}, {leafChanSend, "chan send"}, {leafSelect, "select"},
		{leafMutex, "semacquire"}, {leafSleep, "sleep"}, {leafWaitGroup, "semacquire"},
		{leafCond, "sync.Cond.Wait"}, {leafTimerSelect, "select"}, {leafRange, "chan receive"},
	}
	layers := []L{serveConn, handleRequest, decodeFrame, dispatchRPC, processBatch, consumeQueue,
		pollEvents, flushWriter, retryLoop, watchConfig, runPipeline, acquireLease}
	spawners := []func(*plan, int){S, P, V, C}
	tail := []int{10000, 10000, 10000, 8000, 8000, 6000, 5000, 5000, 5000, 4000, 3000, 2000, 2000, 2000,
		1000, 1000, 1000, 1000, 500, 500, 500, 200, 100, 100, 50, 10, 10, 5, 2, 1}
	for i, n := range tail {
		// A deterministic walk over the layers: lengths 1..9, starting points spread.
		ln := 1 + i%9
		var c []L
		for j := 0; j < ln; j++ {
			c = append(c, layers[(i*7+j*5)%len(layers)])
		}
		lf := leaves[i%len(leaves)]
		ps = append(ps, &plan{name: fmt.Sprintf("tail-%02d", i), chain: c, leaf: lf.f, state: lf.state,
			count: n, spawn: spawners[i%len(spawners)]})
	}
	// A handful of readers on one pipe: the first waits in the poller, the
	// others queue on the fd's read lock.
	ps = append(ps, &plan{name: "pipe-readers", chain: chain(serveConn, decodeFrame), leaf: leafPipeRead,
		state: "IO wait / semacquire", count: 200, spawn: S})
	return ps
}

// startHTTP opens n keep-alive connections from an http.Client to an
// http.Server on loopback and leaves them idle: the server side parks in
// net/http.(*conn).serve [IO wait] and the client side in
// persistConn.readLoop [IO wait] and writeLoop [select], which is leak case 1
// of the design.
func startHTTP(n int) (stop func(), err error) {
	if n <= 0 {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var arrivedReq sync.WaitGroup
	arrivedReq.Add(n)
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrivedReq.Done()
		<-release
		_, _ = io.WriteString(w, "ok")
	})}
	go func() { _ = srv.Serve(ln) }()
	tr := &http.Transport{MaxIdleConns: n + 10, MaxIdleConnsPerHost: n + 10, MaxConnsPerHost: 0,
		IdleConnTimeout: 0, DisableCompression: true}
	cl := &http.Client{Transport: tr}
	url := "http://" + ln.Addr().String() + "/"
	var done sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			resp, err := cl.Get(url)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
	}
	// All n requests in flight at once forces n distinct connections.
	waitCh := make(chan struct{})
	go func() { arrivedReq.Wait(); close(waitCh) }()
	select {
	case <-waitCh:
	case err := <-errs:
		return nil, err
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("http: only some of %d requests arrived", n)
	}
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	return func() { tr.CloseIdleConnections(); srv.Close() }, nil
}

type shapeOut struct {
	Name   string `json:"name"`
	Count  int    `json:"count"`
	State  string `json:"state"`
	Layers int    `json:"layers"`
	Depth  int    `json:"depth"`
}

type expected struct {
	Total        int            `json:"total"`
	DumpHeaders  int            `json:"dump_headers"`
	DumpBytes    int            `json:"dump_bytes"`
	DumpLines    int            `json:"dump_lines"`
	DumpStates   map[string]int `json:"dump_states"`
	Elided       int            `json:"dump_elided_markers"`
	GoVersion    string         `json:"go_version"`
	AgeSeconds   float64        `json:"age_seconds"`
	HTTPConns    int            `json:"http_conns"`
	Shapes       []shapeOut     `json:"shapes"`
	OtherGs      int            `json:"other_goroutines"`
	SpawnSecs    float64        `json:"spawn_seconds"`
	StackSecs    float64        `json:"runtime_stack_seconds"`
	StackBufMB   int            `json:"stack_buffer_mib"`
	HeapSysMB    uint64         `json:"sys_mib"`
	StackInuseMB uint64         `json:"stack_inuse_mib"`
}

func main() {
	out := flag.String("out", "bench/out", "output directory")
	total := flag.Int("n", 1000000, "goroutines in the dump, including main")
	age := flag.Duration("age", 0, "wait this long after a GC before dumping, so headers carry ', N minutes'")
	conns := flag.Int("conns", -1, "idle keep-alive HTTP connections, 3 goroutines each (default 2000 per million)")
	flag.Parse()
	if *conns < 0 {
		*conns = 2000 * *total / 1000000
	}
	if err := run(*out, *total, *age, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "gendump:", err)
		os.Exit(1)
	}
}

func run(out string, total int, age time.Duration, conns int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// A million goroutine stacks are live data: do not let GC thrash while we
	// spawn, then pause the world only once for the dump.
	debug.SetGCPercent(400)
	t0 := time.Now()
	stopHTTP, err := startHTTP(conns)
	if err != nil {
		return err
	}
	defer stopHTTP()

	ps := shapes()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer w.Close()
	var filler *plan
	for _, p := range ps {
		p.ch = make(chan int)
		p.ch2 = make(chan int)
		p.cond = sync.NewCond(&p.mu)
		p.pipeR = r
		if p.filler {
			filler = p
		}
	}
	// Hold the locks the lock shapes wait on. Cond shapes use p.mu as the
	// cond's lock, so their mutex must stay free.
	for _, p := range ps {
		switch reflect.ValueOf(p.leaf).Pointer() {
		case reflect.ValueOf(leafMutex).Pointer():
			p.mu.Lock()
		case reflect.ValueOf(leafRLock).Pointer():
			p.rw.Lock()
		case reflect.ValueOf(leafWaitGroup).Pointer():
			p.wg.Add(1)
		}
	}
	want := int64(0)
	for _, p := range ps {
		if p.filler {
			continue
		}
		// The table is written for a million; smaller runs (tests, quick
		// checks) keep the proportions.
		if p.count = p.count * total / 1000000; p.count < 1 {
			p.count = 1
		}
		p.spawn(p, p.count)
		want += int64(p.count)
	}
	// Every goroutine not in a shape yet (main, HTTP, runtime helpers that
	// count as user goroutines) is part of the total; the filler shape
	// absorbs the rest so the dump holds exactly -n.
	waitParked(want)
	others := runtime.NumGoroutine()
	filler.count = total - others
	if filler.count < 0 {
		return fmt.Errorf("-n %d is smaller than the %d goroutines of the other shapes", total, others)
	}
	filler.spawn(filler, filler.count)
	want += int64(filler.count)
	waitParked(want)
	spawnSecs := time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "gendump: %d goroutines parked in %.1fs\n", runtime.NumGoroutine(), spawnSecs)

	if age > 0 {
		// waitsince is stamped by the GC's stack scan, so the minutes count
		// from the first GC after parking.
		runtime.GC()
		fmt.Fprintf(os.Stderr, "gendump: aging %v\n", age)
		time.Sleep(age)
	}

	var buf []byte
	var n int
	var stackSecs float64
	for try := 0; ; try++ {
		size := 1 << 30
		if buf != nil {
			size = len(buf)
		}
		for {
			buf = make([]byte, size)
			t1 := time.Now()
			n = runtime.Stack(buf, true)
			stackSecs = time.Since(t1).Seconds()
			if n < len(buf) {
				break
			}
			size *= 2
			buf = nil
		}
		// Everything except main must be parked, or the shapes are not stable.
		notParked := bytes.Count(buf[:n], []byte(" [runnable]:")) + bytes.Count(buf[:n], []byte(" [running]:")) - 1
		if notParked == 0 || try == 10 {
			break
		}
		fmt.Fprintf(os.Stderr, "gendump: %d goroutines not parked yet, retrying\n", notParked)
		time.Sleep(time.Second)
	}
	dump := buf[:n]
	fmt.Fprintf(os.Stderr, "gendump: runtime.Stack wrote %d bytes in %.1fs\n", n, stackSecs)
	if err := os.WriteFile(filepath.Join(out, "goroutines.debug2.txt.tmp"), dump, 0o644); err != nil {
		return err
	}
	if err := writeProfile(filepath.Join(out, "goroutines.debug1.txt"), 1); err != nil {
		return err
	}
	if err := writeProfile(filepath.Join(out, "goroutine.pb.gz"), 0); err != nil {
		return err
	}

	e := expected{Total: total, DumpBytes: n, GoVersion: runtime.Version(), AgeSeconds: age.Seconds(),
		HTTPConns: conns, SpawnSecs: spawnSecs, StackSecs: stackSecs, StackBufMB: len(buf) >> 20,
		DumpStates: map[string]int{}}
	e.DumpLines = bytes.Count(dump, []byte("\n"))
	e.Elided = bytes.Count(dump, []byte("\n...additional frames elided...\n"))
	for _, line := range bytes.Split(dump, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("goroutine ")) || !bytes.HasSuffix(line, []byte("]:")) {
			continue
		}
		e.DumpHeaders++
		i := bytes.IndexByte(line, '[')
		st := string(line[i+1 : len(line)-2])
		if j := strings.Index(st, ", "); j >= 0 && strings.HasSuffix(st, " minutes") {
			st = st[:j]
		}
		e.DumpStates[st]++
	}
	sum := 0
	for _, p := range ps {
		e.Shapes = append(e.Shapes, shapeOut{Name: p.name, Count: p.count, State: p.state,
			Layers: len(p.chain), Depth: p.depth})
		sum += p.count
	}
	sort.SliceStable(e.Shapes, func(i, j int) bool { return e.Shapes[i].Count > e.Shapes[j].Count })
	e.OtherGs = total - sum
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	e.HeapSysMB = ms.Sys >> 20
	e.StackInuseMB = ms.StackInuse >> 20
	js, _ := json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "expected.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	// The dump appears under its final name last, so a cache check on it
	// never sees a half-written set.
	if err := os.Rename(filepath.Join(out, "goroutines.debug2.txt.tmp"), filepath.Join(out, "goroutines.debug2.txt")); err != nil {
		return err
	}
	if e.DumpHeaders != total {
		return fmt.Errorf("dump holds %d goroutines, wanted %d (files written anyway)", e.DumpHeaders, total)
	}
	fmt.Fprintf(os.Stderr, "gendump: %d goroutines, %d bytes, %d lines in %s\n", e.DumpHeaders, n, e.DumpLines, out)
	return nil
}

func writeProfile(path string, debugLevel int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("goroutine").WriteTo(f, debugLevel); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// waitParked spins until want goroutines have reached their blocking call;
// the dump is retried later if a few are still between arrived() and parking.
func waitParked(want int64) {
	for atomic.LoadInt64(&parked) < want {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
}
