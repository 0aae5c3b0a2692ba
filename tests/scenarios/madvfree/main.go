// Command madvfree reproduces "memory that stays high but is not a leak":
// it allocates -mb MiB, touches every page, drops it, and hands it back with
// debug.FreeOSMemory().  Under GODEBUG=madvdontneed=0 (MADV_FREE) the pages
// stay in RSS as LazyFree; under madvdontneed=1 (the default since Go 1.16)
// RSS drops at once.  It then prints one READY line and sleeps for -ttl so
// godiag can look at it; with -pprof it also serves net/http/pprof on a
// loopback port named in the READY line.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

var sink [][]byte

func main() {
	mb := flag.Int("mb", 1024, "MiB to allocate, touch and free")
	ttl := flag.Duration("ttl", 2*time.Minute, "how long to stay up after READY")
	pprof := flag.Bool("pprof", false, "serve /debug/pprof/ on 127.0.0.1:0")
	flag.Parse()

	addr := ""
	if *pprof {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		addr = "http://" + ln.Addr().String()
		go http.Serve(ln, nil)
	}

	// 1 MiB chunks: large objects, each its own span, so the whole range is
	// free heap once dropped.
	for i := 0; i < *mb; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		sink = append(sink, b)
	}
	sink = nil
	runtime.GC()
	debug.FreeOSMemory()

	fmt.Printf("READY pid=%d pprof=%s\n", os.Getpid(), addr)
	time.Sleep(*ttl)
}
