// SPDX-License-Identifier: MIT

// buildinfo is a small Go program whose binaries (built many ways by
// tests/integration/buildinfo_real.sh) exercise godiag's ELF build-info
// reader. Modes:
//
//	buildinfo version      print runtime.Version() and exit
//	buildinfo sleep        print "ready" and sleep (for /proc/PID/exe tests)
//	buildinfo lazyfree MB  allocate and touch MB MiB, drop it, call
//	                       debug.FreeOSMemory, print "ready", sleep; under
//	                       MADV_FREE the pages stay in RSS as LazyFree.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

var sink [][]byte

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: buildinfo version|sleep|lazyfree MB")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "version":
		fmt.Println(runtime.Version())
	case "sleep":
		fmt.Println("ready")
		time.Sleep(10 * time.Minute)
	case "lazyfree":
		mb := 64
		if len(os.Args) > 2 {
			if n, err := strconv.Atoi(os.Args[2]); err == nil {
				mb = n
			}
		}
		for i := 0; i < mb; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			sink = append(sink, b)
		}
		sink = nil
		debug.FreeOSMemory()
		fmt.Println("ready")
		time.Sleep(10 * time.Minute)
	default:
		os.Exit(2)
	}
	extra()
}
