// SPDX-License-Identifier: MIT

// badserver is the hostile HTTP peer for the fetch tests: every endpoint is one
// way a pprof endpoint can fail us (hang, stall, endless body, gzip bomb,
// error status, redirect loop, garbage, cut connection).  It listens on
// 127.0.0.1:0 and prints, one per line on stdout: the HTTP port, the TLS port
// (0 without -tls-cert) and its PID, then serves until -timeout seconds have
// passed, so a test that dies early never leaves it behind.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	runtimepprof "runtime/pprof"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	timeout  = flag.Int("timeout", 120, "exit after this many seconds")
	unixPath = flag.String("unix", "", "also serve on this unix socket path")
	tlsCert  = flag.String("tls-cert", "", "also serve TLS with a fresh self-signed cert for 127.0.0.1, written here as PEM")
)

// The bomb is built once, on first use: the deflate encoding of 1 MiB of
// zeros that follows a window full of zeros is position independent after a
// sync flush, so repeating it gives any size in milliseconds instead of the
// ~25 s it takes to really compress 10 GiB.
var (
	bombOnce  sync.Once
	bombHead  []byte // gzip header + first two MiB, byte aligned
	bombChunk []byte // one more MiB of zeros
)

func buildBomb() {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	w.Write(zero)
	w.Flush()
	a := b.Len()
	w.Write(zero)
	w.Flush()
	bombHead = append([]byte(nil), b.Bytes()...)
	bombChunk = append([]byte(nil), b.Bytes()[a:]...)
}

// crcZeros is crc32(IEEE) of n MiB of zeros; computed (not combined) since
// it runs at several GB/s.
func crcZeros(mib int) uint32 {
	zero := make([]byte, 1<<20)
	var c uint32
	for i := 0; i < mib; i++ {
		c = crc32.Update(c, crc32.IEEETable, zero)
	}
	return c
}

var (
	crcMu    sync.Mutex
	crcCache = map[int]uint32{}
)

func bomb(w http.ResponseWriter, r *http.Request) {
	mib := 10 << 10 // 10 GiB
	if v, err := strconv.Atoi(r.URL.Query().Get("mib")); err == nil && v >= 2 {
		mib = v
	}
	bombOnce.Do(buildBomb)
	crcMu.Lock()
	crc, ok := crcCache[mib]
	if !ok {
		crc = crcZeros(mib)
		crcCache[mib] = crc
	}
	crcMu.Unlock()
	// Final empty fixed-Huffman block, then CRC32 and ISIZE (mod 2^32).
	trailer := []byte{0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(trailer[2:], crc)
	binary.LittleEndian.PutUint32(trailer[6:], uint32(uint64(mib)<<20))
	total := len(bombHead) + (mib-2)*len(bombChunk) + len(trailer)
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(total))
	if _, err := w.Write(bombHead); err != nil {
		return
	}
	for i := 0; i < mib-2; i++ {
		if _, err := w.Write(bombChunk); err != nil {
			return
		}
	}
	w.Write(trailer)
}

// hijack takes the raw connection so an endpoint can misbehave below HTTP.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	c, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		log.Fatalf("hijack: %v", err)
	}
	return c, rw
}

// waitClose blocks until the peer goes away (a read fails).
func waitClose(c net.Conn) {
	io.Copy(io.Discard, c)
	c.Close()
}

func zeros(w http.ResponseWriter, r *http.Request) {
	var n int64 = 10 << 30
	if v, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64); err == nil && v > 0 {
		n = v
	}
	w.Header().Set("Content-Type", "text/plain")
	if r.URL.Query().Get("cl") == "1" {
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	}
	buf := make([]byte, 64<<10)
	for n > 0 {
		k := int64(len(buf))
		if k > n {
			k = n
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

// hugeDump streams a valid debug=2 dump that never ends (10 GB), so only a
// size cap can stop a reader that accepts every goroutine.
func hugeDump(w http.ResponseWriter, r *http.Request) {
	var n int64 = 10 << 30
	if v, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64); err == nil && v > 0 {
		n = v
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	buf := make([]byte, 0, 80<<10)
	id := 1
	for n > 0 {
		buf = buf[:0]
		for len(buf) < 64<<10 {
			buf = append(buf, "goroutine "...)
			buf = strconv.AppendInt(buf, int64(id), 10)
			buf = append(buf, " [IO wait, 1234 minutes]:\n"+
				"internal/poll.runtime_pollWait(0x7f0c5c3a8f08, 0x72)\n"+
				"\t/usr/lib/go-1.19/src/runtime/netpoll.go:305 +0x89\n"+
				"net/http.(*conn).serve(0xc000170000, {0x7c5e58, 0xc0000a8120})\n"+
				"\t/usr/lib/go-1.19/src/net/http/server.go:1991 +0x607\n"+
				"created by net/http.(*Server).Serve\n"+
				"\t/usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db\n\n"...)
			id++
		}
		k := int64(len(buf))
		if k > n {
			k = n
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}

func okDump(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Query().Get("gzip") == "1" {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		runtimepprof.Lookup("goroutine").WriteTo(gz, 2)
		gz.Close()
		return
	}
	runtimepprof.Lookup("goroutine").WriteTo(w, 2)
}

func mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/ok", okDump)
	m.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		c, _ := hijack(w)
		waitClose(c)
	})
	m.HandleFunc("/slowbody", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "goroutine 1 [running]:\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	m.HandleFunc("/huge", zeros)
	m.HandleFunc("/hugedump", hugeDump)
	m.HandleFunc("/gzipbomb", bomb)
	m.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom: profile failed", http.StatusInternalServerError)
	})
	m.HandleFunc("/notfound", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Unknown profile", http.StatusNotFound)
	})
	m.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusForbidden)
	})
	m.HandleFunc("/redirect-loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect-loop", http.StatusFound)
	})
	// /redirect?n=K redirects K times, then lands on /ok.
	m.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if n <= 0 {
			http.Redirect(w, r, "/ok", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/redirect?n="+strconv.Itoa(n-1), http.StatusFound)
	})
	m.HandleFunc("/redirect-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	m.HandleFunc("/garbage", func(w http.ResponseWriter, r *http.Request) {
		n := 1 << 20
		if v, err := strconv.Atoi(r.URL.Query().Get("bytes")); err == nil && v > 0 {
			n = v
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		io.CopyN(w, rand.Reader, int64(n))
	})
	// Below HTTP: random bytes instead of a status line.
	m.HandleFunc("/rawgarbage", func(w http.ResponseWriter, r *http.Request) {
		c, rw := hijack(w)
		io.CopyN(rw, rand.Reader, 4096)
		rw.Flush()
		c.Close()
	})
	// Accept the request, then close without a byte.
	m.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		c, _ := hijack(w)
		c.Close()
	})
	// Promise 1000 bytes, send 500, close.
	m.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		c, rw := hijack(w)
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n")
		rw.Write(bytes.Repeat([]byte("a"), 500))
		rw.Flush()
		c.Close()
	})
	// The request headers, sorted, one "Name: value" per line.
	m.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		var lines []string
		for k, vs := range r.Header {
			for _, v := range vs {
				lines = append(lines, k+": "+v)
			}
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	})
	return m
}

func selfSigned(path string) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "badserver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(path, certPEM, 0o644); err != nil {
		log.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		log.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("badserver: ")
	quit := func() {
		if *unixPath != "" {
			os.Remove(*unixPath)
		}
		os.Exit(0)
	}
	time.AfterFunc(time.Duration(*timeout)*time.Second, quit)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() { <-sig; quit() }()
	runtime.GOMAXPROCS(2)

	// Warm the default 10 GiB bomb (its CRC takes ~0.7 s) off the request path.
	go func() {
		bombOnce.Do(buildBomb)
		crcMu.Lock()
		crcCache[10<<10] = crcZeros(10 << 10)
		crcMu.Unlock()
	}()

	h := mux()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	// /accepted counts the connections made to the plain listener, so a
	// test sees how many a godiag command opened.
	var accepted int64
	h.HandleFunc("/accepted", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d\n", atomic.LoadInt64(&accepted))
	})
	srv := &http.Server{Handler: h, ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			atomic.AddInt64(&accepted, 1)
		}
	}}
	go srv.Serve(ln)

	tlsPort := 0
	if *tlsCert != "" {
		cert := selfSigned(*tlsCert)
		tln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
		if err != nil {
			log.Fatal(err)
		}
		tlsPort = tln.Addr().(*net.TCPAddr).Port
		go http.Serve(tln, h)
	}
	if *unixPath != "" {
		os.Remove(*unixPath)
		uln, err := net.Listen("unix", *unixPath)
		if err != nil {
			log.Fatal(err)
		}
		go http.Serve(uln, h)
	}
	fmt.Printf("%d\n%d\n%d\n", ln.Addr().(*net.TCPAddr).Port, tlsPort, os.Getpid())
	select {}
}
