// SPDX-License-Identifier: MIT
//
// connsgen holds N established loopback TCP connections open, both ends in
// this one process, so bench/conns.sh can time `godiag conns PID` against
// `ss -tinp` on a socket table of production-incident size, and bench/ps.sh can
// use it as a small Go process with a few sockets. Server-side connections
// park a goroutine in Read (IO wait) like an idle keep-alive conn; every
// tenth connection also gets a few bytes, so not all sockets look the same.
// It prints "READY <pid> <addr> <conns>" on stdout once every connection is
// up, then waits for SIGTERM/SIGINT, or -hold at most, so a forgotten one
// does not linger. With -listen-only it first prints "LISTEN <pid> <addr>" and
// holds only the accepted ends; a second connsgen -connect <addr> holds the
// dialled ends.
//
// Usage: connsgen [-n 20000] [-hold 1h] [-listen-only | -connect HOST:PORT]
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 20000, "established connections to hold")
	hold := flag.Duration("hold", time.Hour, "exit after this long")
	listen := flag.Bool("listen-only", false, "only accept -n connections (the other ends come from -connect)")
	connect := flag.String("connect", "", "only dial -n connections to this host:port")
	flag.Parse()
	if err := run(*n, *hold, *listen, *connect); err != nil {
		fmt.Fprintln(os.Stderr, "connsgen:", err)
		os.Exit(1)
	}
}

// run holds both ends by default. The ends can be split over two processes
// because an unprivileged container cannot raise RLIMIT_NOFILE above its hard
// limit, and one process holding both ends of 20,000 connections needs 40,000.
func run(n int, hold time.Duration, listenOnly bool, connect string) error {
	var ln net.Listener
	accepted := make(chan error, 1)
	addr := connect
	if connect == "" {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		addr = ln.Addr().String()
		go func() {
			for i := 0; i < n; i++ {
				c, err := ln.Accept()
				if err != nil {
					accepted <- err
					return
				}
				go serve(c)
			}
			accepted <- nil
		}()
	}
	if listenOnly {
		// Tell the peer where to dial before waiting for it.
		fmt.Printf("LISTEN %d %s\n", os.Getpid(), addr)
		os.Stdout.Sync()
	}
	clients := make([]net.Conn, 0, n)
	for i := 0; !listenOnly && i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return fmt.Errorf("dial %d of %d: %w (ulimit -n?)", i+1, n, err)
		}
		if i%10 == 0 {
			// A little traffic, so some sockets have non-zero counters.
			if _, err := c.Write([]byte("ping\n")); err != nil {
				return err
			}
		}
		clients = append(clients, c)
	}
	if ln != nil {
		if err := <-accepted; err != nil {
			return err
		}
	}
	fmt.Printf("READY %d %s %d\n", os.Getpid(), addr, n)
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(hold):
	}
	for _, c := range clients {
		c.Close()
	}
	return nil
}

// serve reads and drops whatever the peer sends, which parks the goroutine in
// the poller while the connection is idle.
func serve(c net.Conn) {
	defer c.Close()
	_, _ = io.Copy(io.Discard, c)
}
