// SPDX-License-Identifier: MIT
//
// fleetgen writes a synthetic fleet's history as OpenMetrics files, one per
// 2-hour TSDB block (promtool re-reads its whole input once per block, so one
// file per block keeps the backfill linear), plus truth.json: which instances
// leak and by which rule.
//
// Every instance has a daily rhythm (its own phase, amplitude and noise, and
// scatter from day to day in its quiet hour).  Leaks: goroutines, heap (with
// RSS), RSS outside the heap, open fds, and RSS held by MADV_FREE.  Traps that
// must not be flagged: spikes that return, a step up that stays flat,
// restarts (the gauges start from nothing, process_start_time_seconds
// changes), an instance that vanishes for hours and comes back (restarted),
// and RSS held without the runtime counting it released (scavenger lag).
//
// Values are pure functions of (instance, metric, minute), so blocks are
// generated independently, on every core.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
)

const (
	mib   = 1 << 20
	day   = 86400
	block = 7200
)

type kind int

const (
	healthy kind = iota
	leakGoroutines
	leakHeap
	leakRSS
	leakFds
	madvHold
	trapSpikes
	trapStep
	trapRestart
	trapVanish
	trapLag
)

var kindName = map[kind]string{
	healthy: "healthy", leakGoroutines: "leak-goroutines", leakHeap: "leak-heap", leakRSS: "leak-rss",
	leakFds: "leak-fds", madvHold: "madv-hold", trapSpikes: "trap-spikes", trapStep: "trap-step",
	trapRestart: "trap-restart", trapVanish: "trap-vanish", trapLag: "trap-scavenger-lag",
}

var kindRule = map[kind]string{
	leakGoroutines: "goroutine-growth-trend", leakHeap: "heap-growth-trend", leakRSS: "rss-growth-trend",
	leakFds: "socket-growth-trend", madvHold: "rss-held-by-madv-free",
}

type inst struct {
	name, job   string
	k           kind
	phase       float64 // hours
	gBase, gAmp float64
	hBase, hAmp float64 // heap bytes
	fBase       float64
	rate        float64 // leak per day, fraction of the base
	eventAt     float64 // step, restart, vanish: seconds from start
	eventLen    float64
	version     string
	seed        uint64
}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// uniform in [0,1) from (seed, a, b)
func u(seed uint64, a, b uint64) float64 {
	return float64(mix(seed^mix(a*0x9e3779b97f4a7c15+b))>>11) / (1 << 53)
}

type gen struct {
	start, end int64
	step       int64
	insts      []inst
}

// daily shape in [0,1]: quiet at night, busy by day
func rhythm(t float64, phase float64) float64 {
	h := math.Mod(t/3600+phase+240, 24)
	return 0.5 * (1 - math.Cos(2*math.Pi*h/24))
}

// returns values for the 6 metrics; ok false when the instance is absent
func (g *gen) values(in *inst, t int64) (v [6]float64, ok bool) {
	rel := float64(t - g.start)
	d := rel / day
	dayIdx := uint64(d)
	minute := uint64(t / 60)
	r := rhythm(float64(t), in.phase)
	noise := func(m uint64) float64 { return u(in.seed, m*1000003+minute, 1) - 0.5 }
	dayJit := func(m uint64) float64 { return u(in.seed, m*7919+dayIdx, 2) - 0.5 }

	life0 := 0.0 // start of the current life (s from g.start)
	started := float64(g.start) - 3*day
	if in.k == trapVanish {
		if rel >= in.eventAt && rel < in.eventAt+in.eventLen {
			return v, false
		}
		if rel >= in.eventAt+in.eventLen {
			life0 = in.eventAt + in.eventLen
			started = float64(g.start) + life0
		}
	}
	if in.k == trapRestart && rel >= in.eventAt {
		life0 = in.eventAt
		started = float64(g.start) + life0
	}
	warm := 1.0
	if life0 > 0 {
		age := rel - life0
		if age < 600 {
			warm = 0.05 + 0.95*age/600
		}
	}
	gor := in.gBase*(1+0.04*dayJit(1)) + in.gAmp*r + 0.05*in.gAmp*noise(1)
	heap := in.hBase*(1+0.04*dayJit(2)) + in.hAmp*r + 0.05*in.hAmp*noise(2)
	fds := in.fBase*(1+0.04*dayJit(3)) + 0.3*in.fBase*r + 2*noise(3)
	other := 30*mib + 2*mib*noise(4) // stacks, runtime, binary
	released := 4*mib + 2*mib*noise(5)
	rss := heap + other

	switch in.k {
	case leakGoroutines:
		gor += in.rate * in.gBase * d
		heap += in.rate * in.gBase * d * 4096 // the leaked goroutines hold a little heap
		rss = heap + other + in.rate*in.gBase*d*8192
	case leakHeap:
		heap += in.rate * in.hBase * d
		rss = heap + other
	case leakRSS:
		rss += in.rate * in.hBase * d
	case leakFds:
		fds += in.rate * in.fBase * d
	case madvHold:
		peak := in.hBase + in.hAmp + other
		if rel > 3600 {
			rss = peak + 4*mib*noise(6)
		}
		released = peak - heap - other
		if released < 4*mib {
			released = 4 * mib
		}
	case trapLag:
		peak := in.hBase + in.hAmp + other
		if rel > 3600 {
			rss = peak + 4*mib*noise(6)
		}
	case trapSpikes:
		// one or two bursts a day, 10-90 minutes, 3-10x the busy level
		for k := uint64(0); k < 2; k++ {
			at := u(in.seed, dayIdx*17+k, 3) * day
			l := 600 + u(in.seed, dayIdx*17+k, 4)*4800
			off := math.Mod(rel, day)
			if off >= at && off < at+l {
				mult := 3 + 7*u(in.seed, dayIdx*17+k, 5)
				gor += mult * in.gAmp
				heap += mult * in.hAmp * 0.5
				rss = heap + other
				fds += mult * in.fBase
			}
		}
	case trapStep:
		if rel >= in.eventAt {
			gor += 0.5 * in.gBase
			heap += 0.4 * in.hBase
			rss = heap + other
			fds += 0.5 * in.fBase
		}
	}
	gor *= warm
	heap *= warm
	rss = math.Max(rss*warm, heap)
	fds = math.Max(3, fds*warm)
	return [6]float64{math.Round(math.Max(1, gor)), math.Round(rss), math.Round(heap), math.Round(released),
		math.Round(fds), started}, true
}

var metrics = [6]string{"go_goroutines", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes",
	"go_memstats_heap_released_bytes", "process_open_fds", "process_start_time_seconds"}

func (g *gen) writeBlock(path string, b0, b1 int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	buf := make([]byte, 0, 256)
	for m := 0; m < 6; m++ {
		fmt.Fprintf(w, "# TYPE %s gauge\n", metrics[m])
		for i := range g.insts {
			in := &g.insts[i]
			prefix := metrics[m] + `{job="` + in.job + `",instance="` + in.name + `"} `
			for t := b0; t < b1 && t <= g.end; t += g.step {
				if t < g.start {
					continue
				}
				v, ok := g.values(in, t)
				if !ok {
					continue
				}
				buf = append(buf[:0], prefix...)
				buf = strconv.AppendFloat(buf, v[m], 'f', -1, 64)
				buf = append(buf, ' ')
				buf = strconv.AppendInt(buf, t, 10)
				buf = append(buf, '\n')
				w.Write(buf)
			}
		}
	}
	// go_info is constant: one sample per block per instance is enough for last_over_time
	fmt.Fprintf(w, "# TYPE go_info gauge\n")
	for i := range g.insts {
		in := &g.insts[i]
		for t := b0; t < b1 && t <= g.end; t += 1800 {
			if t < g.start {
				continue
			}
			if _, ok := g.values(in, t); !ok {
				continue
			}
			fmt.Fprintf(w, "go_info{job=\"%s\",instance=\"%s\",version=\"%s\"} 1 %d\n", in.job, in.name, in.version, t)
		}
	}
	fmt.Fprintf(w, "# EOF\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func main() {
	n := flag.Int("instances", 1667, "instances (6 series each)")
	days := flag.Float64("days", 7, "history")
	step := flag.Int64("step", 60, "seconds between samples")
	end := flag.Int64("end", 0, "last sample, unix seconds (default: now, aligned to 2 h)")
	out := flag.String("out", "fleetdata", "output directory")
	seed := flag.Uint64("seed", 1, "seed")
	flag.Parse()
	if *end == 0 {
		*end = (time.Now().Unix() / block) * block
	}
	g := &gen{end: *end, step: *step}
	g.start = g.end - int64(*days*day)
	os.MkdirAll(*out, 0o755)
	type truth struct {
		Instance string `json:"instance"`
		Job      string `json:"job"`
		Kind     string `json:"kind"`
		Rule     string `json:"rule,omitempty"`
	}
	var tr []truth
	for i := 0; i < *n; i++ {
		s := mix(*seed*1315423911 + uint64(i))
		p := u(s, 0, 0)
		k := healthy
		switch {
		case p < 0.02:
			k = leakGoroutines
		case p < 0.03:
			k = leakHeap
		case p < 0.035:
			k = leakRSS
		case p < 0.04:
			k = leakFds
		case p < 0.045:
			k = madvHold
		case p < 0.075:
			k = trapSpikes
		case p < 0.095:
			k = trapStep
		case p < 0.125:
			k = trapRestart
		case p < 0.145:
			k = trapVanish
		case p < 0.15:
			k = trapLag
		}
		in := inst{
			name:     fmt.Sprintf("10.%d.%d.%d:8080", i/65536, (i/256)%256, i%256),
			job:      fmt.Sprintf("svc-%02d", i%40),
			k:        k,
			phase:    -3 + 6*u(s, 1, 0),
			gBase:    20 + 400*u(s, 2, 0),
			hBase:    (16 + 200*u(s, 3, 0)) * mib,
			fBase:    10 + 100*u(s, 4, 0),
			rate:     0.04 + 0.11*u(s, 5, 0),
			eventAt:  (1.5 + 4*u(s, 6, 0)) * day,
			eventLen: (6 + 24*u(s, 7, 0)) * 3600,
			version:  "go1.21.13",
			seed:     s,
		}
		in.gAmp = in.gBase * (0.5 + 3*u(s, 8, 0))
		in.hAmp = in.hBase * (0.5 + 2*u(s, 9, 0))
		if k == madvHold {
			in.version = "go1.14.15"
			in.hAmp = math.Max(in.hAmp, 200*mib)
		}
		if k == trapLag {
			in.hAmp = math.Max(in.hAmp, 200*mib)
		}
		g.insts = append(g.insts, in)
		tr = append(tr, truth{in.name, in.job, kindName[k], kindRule[k]})
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	var firstErr error
	var mu sync.Mutex
	for b := (g.start / block) * block; b <= g.end; b += block {
		wg.Add(1)
		sem <- struct{}{}
		go func(b int64) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := g.writeBlock(filepath.Join(*out, fmt.Sprintf("block-%d.om", b)), b, b+block); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		}(b)
	}
	wg.Wait()
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "fleetgen:", firstErr)
		os.Exit(1)
	}
	j, _ := json.MarshalIndent(map[string]interface{}{"start": g.start, "end": g.end, "step": g.step,
		"series": *n * 6, "instances": tr}, "", " ")
	os.WriteFile(filepath.Join(*out, "truth.json"), j, 0o644)
}
