// SPDX-License-Identifier: MIT

// grpcleak is the keep-alive leak on a gRPC server, as a patient for
// `godiag doctor`: a grpc.Server (Debian's google.golang.org/grpc 1.33)
// made without keepalive.ServerParameters, serving the standard health
// service, and, in a separate process, N clients that each dial their own
// ClientConn, make one Check call and then stay connected and idle.  The
// server runs three goroutines per connection, none of which ever ends
// while the client is silent: the reader in (*http2Server).HandleStreams
// ([IO wait]), the (*loopyWriter).run writer and the (*http2Server).keepalive
// timer loop.  So N idle clients pin 3N goroutines and N ESTABLISHED
// sockets.  With -fixed it is its own twin: the server gets
// keepalive.ServerParameters{MaxConnectionIdle: -idle (2s)}, sends GOAWAY to
// a connection without RPCs for that long and closes it, so `godiag doctor`
// must find no grpc-server-idle-conn.
//
//	grpcleak [-ttl 2m] [-fixed [-idle 2s]]   server: PID=, ADDR=, PPROF=, READY
//	grpcleak -clients N -addr HOST:PORT      clients: PID=, READY once all N
//	         [-ttl 2m]                       calls are answered, then idle
//
// A client dials its server only once: if the server drops the connection
// the client does not come back (gRPC 1.33 would reconnect at once), like a
// client that went away, so the server's idle handling is what is measured.
// Both modes exit by themselves after -ttl.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	hv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "grpcleak: %s: %v\n", what, err)
	os.Exit(3)
}

func main() {
	clients := flag.Int("clients", 0, "run N idle clients instead of the server")
	addr := flag.String("addr", "", "server address for -clients")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	nopprof := flag.Bool("nopprof", false, "serve no pprof endpoint (the memory census's case)")
	fixed := flag.Bool("fixed", false, "the twin: keepalive MaxConnectionIdle set")
	idle := flag.Duration("idle", 2*time.Second, "with -fixed: the server's keepalive MaxConnectionIdle")
	flag.Parse()
	time.AfterFunc(*ttl, func() { os.Exit(0) })
	fmt.Printf("PID=%d\n", os.Getpid())

	if *clients > 0 {
		keep := runClients(*clients, *addr)
		time.Sleep(*ttl)
		_ = keep
		return
	}

	var pln net.Listener
	if !*nopprof {
		var err error
		pln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			die("listen pprof", err)
		}
		go http.Serve(pln, nil)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen", err)
	}
	// The leak: no grpc.KeepaliveParams, so MaxConnectionIdle is infinite
	// and a silent client keeps its connection and goroutines forever.
	srv := grpc.NewServer()
	if *fixed {
		// The fix: idle connections are sent away after MaxConnectionIdle.
		srv = grpc.NewServer(grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: *idle}))
	}
	hv1.RegisterHealthServer(srv, health.NewServer())
	fmt.Printf("ADDR=%s\n", ln.Addr())
	if pln != nil {
		fmt.Printf("PPROF=%s\n", pln.Addr())
	}
	fmt.Println("READY")
	die("serve", srv.Serve(ln))
}

// dialOnce returns a dialer that connects the first time only.
func dialOnce() func(context.Context, string) (net.Conn, error) {
	var used int32
	return func(ctx context.Context, addr string) (net.Conn, error) {
		if !atomic.CompareAndSwapInt32(&used, 0, 1) {
			return nil, errors.New("this client dials once")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// runClients makes n ClientConns, one Check call on each, and returns them
// connected and idle.
func runClients(n int, addr string) []*grpc.ClientConn {
	conns := make([]*grpc.ClientConn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cc, err := grpc.DialContext(ctx, addr, grpc.WithInsecure(), grpc.WithBlock(),
				grpc.WithContextDialer(dialOnce()))
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = cc
			_, errs[i] = hv1.NewHealthClient(cc).Check(ctx, &hv1.HealthCheckRequest{})
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			die("client", err)
		}
	}
	fmt.Println("READY")
	return conns
}
