// SPDX-License-Identifier: MIT

// thriftleak is the keep-alive leak on a thrift server, as a patient for
// `godiag doctor`: a TSimpleServer (Debian's github.com/apache/thrift 0.17)
// on a TServerSocket made without a client timeout, and, in a separate
// process, N clients that each open a connection, make one call and then
// hold it idle.  TSimpleServer runs two goroutines per connection: one in
// processRequests, parked in [IO wait] reading the next message, and one in
// the select that waits for the connection to end or the server to stop.
// So N idle clients pin 2N goroutines and N ESTABLISHED sockets.  With
// -fixed it is its own twin: the TServerSocket has a client timeout
// (-timeout, 2s), so a silent connection fails its read and is closed, and
// `godiag doctor` must find no thrift-server-idle-conn.  The service has one method, "ping", written by hand
// (no generated code): empty arguments, empty result.
//
//	thriftleak [-ttl 2m] [-fixed [-timeout 2s]]  server: PID=, ADDR=, PPROF=, READY
//	thriftleak -clients N -addr HOST:PORT    clients: PID=, READY once all N
//	           [-ttl 2m]                     calls are answered, then idle
//
// Both modes exit by themselves after -ttl.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "thriftleak: %s: %v\n", what, err)
	os.Exit(3)
}

// empty is the argument and result struct of ping: no fields.
type empty struct{}

func (empty) Write(ctx context.Context, p thrift.TProtocol) error {
	if err := p.WriteStructBegin(ctx, "empty"); err != nil {
		return err
	}
	if err := p.WriteFieldStop(ctx); err != nil {
		return err
	}
	return p.WriteStructEnd(ctx)
}

func (empty) Read(ctx context.Context, p thrift.TProtocol) error {
	return thrift.SkipDefaultDepth(ctx, p, thrift.STRUCT)
}

// processor answers every message with an empty reply of the same name.
type processor struct{}

func (processor) Process(ctx context.Context, in, out thrift.TProtocol) (bool, thrift.TException) {
	name, _, seq, err := in.ReadMessageBegin(ctx)
	if err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := (empty{}).Read(ctx, in); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := in.ReadMessageEnd(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := out.WriteMessageBegin(ctx, name, thrift.REPLY, seq); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := (empty{}).Write(ctx, out); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := out.WriteMessageEnd(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	return true, thrift.WrapTException(out.Flush(ctx))
}

func (processor) ProcessorMap() map[string]thrift.TProcessorFunction { return nil }

func (processor) AddToProcessorMap(string, thrift.TProcessorFunction) {}

func main() {
	clients := flag.Int("clients", 0, "run N idle clients instead of the server")
	addr := flag.String("addr", "", "server address for -clients")
	ttl := flag.Duration("ttl", 2*time.Minute, "exit after this long")
	nopprof := flag.Bool("nopprof", false, "serve no pprof endpoint (the memory census's case)")
	fixed := flag.Bool("fixed", false, "the twin: a server socket with a client timeout")
	timeout := flag.Duration("timeout", 2*time.Second, "with -fixed: the server socket's client timeout")
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
	var err error
	if !*nopprof {
		pln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			die("listen pprof", err)
		}
		go http.Serve(pln, nil)
	}

	// The leak: a server socket without a client timeout, so a client
	// that stays connected and silent is waited for forever.
	var sock *thrift.TServerSocket
	if *fixed {
		// The fix: a client timeout, so a silent client is dropped.
		sock, err = thrift.NewTServerSocketTimeout("127.0.0.1:0", *timeout)
	} else {
		sock, err = thrift.NewTServerSocket("127.0.0.1:0")
	}
	if err != nil {
		die("server socket", err)
	}
	if err := sock.Listen(); err != nil {
		die("thrift listen", err)
	}
	srv := thrift.NewTSimpleServer4(processor{}, sock,
		thrift.NewTTransportFactory(), thrift.NewTBinaryProtocolFactoryConf(nil))
	fmt.Printf("ADDR=%s\n", sock.Addr())
	if pln != nil {
		fmt.Printf("PPROF=%s\n", pln.Addr())
	}
	fmt.Println("READY")
	die("serve", srv.Serve())
}

// runClients opens n connections, makes one call on each and returns them
// open and idle.
func runClients(n int, addr string) []*thrift.TSocket {
	socks := make([]*thrift.TSocket, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// The timeouts bound the one call (a stuck call is an error,
			// not a hang); once idle the client reads nothing, so they
			// never close the connection.
			s := thrift.NewTSocketConf(addr, &thrift.TConfiguration{
				ConnectTimeout: 5 * time.Second, SocketTimeout: 10 * time.Second})
			if err := s.Open(); err != nil {
				errs[i] = err
				return
			}
			socks[i] = s
			proto := thrift.NewTBinaryProtocolConf(s, nil)
			c := thrift.NewTStandardClient(proto, proto)
			_, errs[i] = c.Call(context.Background(), "ping", empty{}, &empty{})
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			die("client", err)
		}
	}
	fmt.Println("READY")
	return socks
}
