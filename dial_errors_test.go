package websocket

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/testcert"
)

// nxdomainServer runs a DNS server on 127.0.0.1 UDP that answers every
// query NXDOMAIN, until the test ends. It returns its address and a count
// of the queries answered.
func nxdomainServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var queries atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := nxdomain(buf[:n]); resp != nil {
				queries.Add(1)
				pc.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return pc.LocalAddr().String(), &queries
}

// nxdomain is the NXDOMAIN answer to query (RFC 1035 §4.1): its ID and
// question, QR set, RD copied, RA set, RCODE 3, no other records; nil if
// query is not one question.
func nxdomain(query []byte) []byte {
	if len(query) < 12 || query[4] != 0 || query[5] != 1 {
		return nil
	}
	i := 12
	for i < len(query) && query[i] != 0 {
		i += 1 + int(query[i]) // a label; compression never starts a question
	}
	end := i + 1 + 4 // the root label, QTYPE and QCLASS
	if end > len(query) {
		return nil
	}
	resp := make([]byte, 0, end)
	resp = append(resp, query[0], query[1]) // ID
	resp = append(resp, 0x80|query[2]&0x79) // QR, opcode and RD of the query
	resp = append(resp, 0x80|3)             // RA, RCODE 3 (name error)
	resp = append(resp, 0, 1, 0, 0, 0, 0, 0, 0)
	return append(resp, query[12:end]...)
}

// socketPath is a path for a Unix socket in a fresh directory, short
// enough for sun_path.
func socketPath(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	if len(dir)+len(name) > 90 {
		var err error
		if dir, err = os.MkdirTemp("", "wsx"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	return filepath.Join(dir, name)
}

// dialErrRun is one dial a failure case sets up.
type dialErrRun struct {
	ctx  context.Context // nil: testContext
	url  string
	d    *Dialer
	addr string // the DialError's Addr
	// wantURL is the DialError's URL; "-" for none, "" for url itself.
	wantURL string
}

// dialErrCase is a dial that fails: its setup, and the *DialError's Op
// and Kind; check, when set, looks at the cause.
type dialErrCase struct {
	name  string
	setup func(t *testing.T) dialErrRun
	op    string
	kind  ErrorKind
	check func(t *testing.T, err error)
}

// silentServer is a hand server that reads the request, calls then (if
// any), and never answers; it returns when the client hangs up.
func silentServer(t *testing.T, then func()) string {
	return handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		if then != nil {
			then()
		}
		io.Copy(io.Discard, br)
	})
}

// answeringServer is a hand server that writes answer(req) and waits for
// the client to hang up.
func answeringServer(t *testing.T, answer func(req *http.Request) string) string {
	return handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		io.WriteString(nc, answer(req))
		io.Copy(io.Discard, br)
	})
}

// rawServer listens on 127.0.0.1 and runs serve on the first connection,
// which it closes when serve returns. It returns the address; the test
// waits for serve to return before it ends.
func rawServer(t *testing.T, serve func(nc net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return rawServerOn(t, ln, serve)
}

// rawServerOn is rawServer on ln.
func rawServerOn(t *testing.T, ln net.Listener, serve func(nc net.Conn)) string {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(testTimeout))
		serve(nc)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func hostOfURL(u string) string {
	return strings.TrimSuffix(strings.TrimPrefix(u, "ws://"), "/")
}

// failingNetDial returns a NetDial that records its arguments and fails
// with err.
func failingNetDial(network, addr *string, err error) func(context.Context, string, string) (net.Conn, error) {
	return func(_ context.Context, n, a string) (net.Conn, error) {
		*network, *addr = n, a
		return nil, err
	}
}

func TestDialErrors(t *testing.T) {
	body5k := strings.Repeat("abcdefghij", 512) // 5 KiB
	var dialedNetwork, dialedAddr string
	injected := errors.New("injected dial failure")
	tests := []dialErrCase{
		{
			name: "host not found",
			setup: func(t *testing.T) dialErrRun {
				dns, queries := nxdomainServer(t)
				t.Cleanup(func() {
					if queries.Load() == 0 {
						t.Error("the fake DNS server got no query")
					}
				})
				resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, "udp", dns)
				}}
				nd := &net.Dialer{Resolver: resolver}
				return dialErrRun{
					url: "ws://wsx-missing.example:8080/chat", addr: "wsx-missing.example:8080",
					d: &Dialer{NetDial: nd.DialContext},
				}
			},
			op: "dial", kind: KindHostNotFound,
			check: func(t *testing.T, err error) {
				var dns *net.DNSError
				if !errors.As(err, &dns) || !dns.IsNotFound {
					t.Errorf("error %v holds no *net.DNSError with IsNotFound (got %#v)", err, dns)
				}
			},
		},
		{
			name: "connection refused",
			setup: func(t *testing.T) dialErrRun {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				return dialErrRun{url: "ws://" + addr + "/", addr: addr}
			},
			op: "dial", kind: KindConnectionRefused,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("error %v is not ECONNREFUSED", err)
				}
			},
		},
		{
			name: "handshake timeout",
			setup: func(t *testing.T) dialErrRun {
				url := silentServer(t, nil)
				return dialErrRun{url: url, addr: hostOfURL(url), d: &Dialer{HandshakeTimeout: 300 * time.Millisecond}}
			},
			op: "handshake", kind: KindTimeout,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v is not context.DeadlineExceeded", err)
				}
			},
		},
		{
			name: "ctx deadline while dialing",
			setup: func(t *testing.T) dialErrRun {
				return dialErrRun{
					url: "ws://wsx.example:81/", addr: "wsx.example:81",
					d: &Dialer{HandshakeTimeout: 200 * time.Millisecond, NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
						<-ctx.Done()
						return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
					}},
				}
			},
			op: "dial", kind: KindTimeout,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v is not context.DeadlineExceeded", err)
				}
			},
		},
		{
			name: "canceled while dialing",
			setup: func(t *testing.T) dialErrRun {
				ctx, cancel := context.WithCancel(testContext(t))
				t.Cleanup(cancel)
				return dialErrRun{
					ctx: ctx, url: "ws://wsx.example:81/", addr: "wsx.example:81",
					d: &Dialer{NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) {
						cancel()
						<-ctx.Done()
						return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
					}},
				}
			},
			op: "dial", kind: KindCanceled,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v is not context.Canceled", err)
				}
			},
		},
		{
			name: "TLS handshake timeout",
			setup: func(t *testing.T) dialErrRun {
				addr := rawServer(t, func(nc net.Conn) { io.Copy(io.Discard, nc) })
				return dialErrRun{url: "wss://" + addr + "/", addr: addr, d: &Dialer{HandshakeTimeout: 300 * time.Millisecond}}
			},
			op: "tls", kind: KindTimeout,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v is not context.DeadlineExceeded", err)
				}
			},
		},
		{
			name: "TLS to a plain HTTP server",
			setup: func(t *testing.T) dialErrRun {
				addr := rawServer(t, func(nc net.Conn) {
					io.WriteString(nc, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
					io.Copy(io.Discard, nc)
				})
				return dialErrRun{url: "wss://" + addr + "/", addr: addr}
			},
			op: "tls", kind: KindTLSHandshake,
			check: func(t *testing.T, err error) {
				var rh tls.RecordHeaderError
				if !errors.As(err, &rh) {
					t.Errorf("error %v holds no tls.RecordHeaderError", err)
				}
			},
		},
		{
			name: "TLS remote closed",
			setup: func(t *testing.T) dialErrRun {
				addr := rawServer(t, func(nc net.Conn) {
					// Read the ClientHello first: closing with it unread would reset.
					nc.Read(make([]byte, 4096))
				})
				return dialErrRun{url: "wss://" + addr + "/", addr: addr}
			},
			op: "tls", kind: KindRemoteClosed,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("error %v is not an EOF or reset", err)
				}
			},
		},
		{
			name: "canceled mid-handshake",
			setup: func(t *testing.T) dialErrRun {
				ctx, cancel := context.WithCancel(testContext(t))
				t.Cleanup(cancel)
				url := silentServer(t, cancel)
				return dialErrRun{ctx: ctx, url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindCanceled,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v is not context.Canceled", err)
				}
			},
		},
		{
			name: "remote closed",
			setup: func(t *testing.T) dialErrRun {
				url := handServer(t, func(net.Conn, *bufio.Reader, *http.Request) {})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindRemoteClosed,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %v is not an EOF", err)
				}
			},
		},
		{
			name: "status 403",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(*http.Request) string {
					return "HTTP/1.1 403 Forbidden\r\nX-Reason: go away\r\nContent-Length: 5120\r\n\r\n" + body5k
				})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindHandshakeStatus,
			check: func(t *testing.T, err error) {
				he := mustHandshakeError(t, err, 403)
				if he.Header.Get("X-Reason") != "go away" || he.Header.Get("Content-Length") != "5120" {
					t.Errorf("HandshakeError.Header = %v", he.Header)
				}
				if string(he.Body) != body5k[:1024] {
					t.Errorf("HandshakeError.Body is %d bytes, want the first 1024 of the body", len(he.Body))
				}
			},
		},
		{
			name: "status 403 without length, connection kept open",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(*http.Request) string {
					return "HTTP/1.1 403 Forbidden\r\nX-Reason: wait\r\n\r\nthe start"
				})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindHandshakeStatus,
			check: func(t *testing.T, err error) {
				he := mustHandshakeError(t, err, 403)
				if he.Header.Get("X-Reason") != "wait" || string(he.Body) != "the start" {
					t.Errorf("HandshakeError Header %v Body %q", he.Header, he.Body)
				}
			},
		},
		{
			// Not HTTP at all.
			name: "not an HTTP answer",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(*http.Request) string { return "SSH-2.0-OpenSSH_9.6\r\n\r\n" })
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindMalformedResponse,
			check: func(t *testing.T, err error) {
				he := mustHandshakeError(t, err, 0)
				if !strings.Contains(he.Reason, "malformed") {
					t.Errorf("Reason %q does not say the answer is malformed", he.Reason)
				}
			},
		},
		{
			name: "101 without Upgrade",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(req *http.Request) string {
					return strings.Replace(switchingProtocols(req), "Upgrade: websocket\r\n", "", 1) + "\r\n"
				})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindBadUpgrade,
			check: func(t *testing.T, err error) { mustHandshakeError(t, err, 101) },
		},
		{
			name: "101 with Connection: keep-alive",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(req *http.Request) string {
					return strings.Replace(switchingProtocols(req), "Connection: Upgrade", "Connection: keep-alive", 1) + "\r\n"
				})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindBadUpgrade,
			check: func(t *testing.T, err error) { mustHandshakeError(t, err, 101) },
		},
		{
			name: "wrong Sec-WebSocket-Accept",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(req *http.Request) string {
					req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
					return switchingProtocols(req) + "\r\n"
				})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindBadAccept,
			check: func(t *testing.T, err error) {
				he := mustHandshakeError(t, err, 101)
				if he.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
					t.Errorf("HandshakeError.Header = %v", he.Header)
				}
			},
		},
		{
			name: "unrequested subprotocol",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(req *http.Request) string {
					return switchingProtocols(req) + "Sec-WebSocket-Protocol: mqtt\r\n\r\n"
				})
				return dialErrRun{url: url, addr: hostOfURL(url), d: &Dialer{Subprotocols: []string{"chat"}}}
			},
			op: "handshake", kind: KindUnrequestedSubprotocol,
			check: func(t *testing.T, err error) { mustHandshakeError(t, err, 101) },
		},
		{
			name: "unrequested extension",
			setup: func(t *testing.T) dialErrRun {
				url := answeringServer(t, func(req *http.Request) string {
					return switchingProtocols(req) + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
				})
				return dialErrRun{url: url, addr: hostOfURL(url)}
			},
			op: "handshake", kind: KindUnrequestedExtension,
			check: func(t *testing.T, err error) { mustHandshakeError(t, err, 101) },
		},
		{
			name: "bad scheme",
			setup: func(t *testing.T) dialErrRun {
				return dialErrRun{url: "ftp://127.0.0.1/x", wantURL: "-", d: &Dialer{NetDial: noNetDial(t)}}
			},
			op: "url", kind: KindInvalidInput,
		},
		{
			name: "CRLF in a header",
			setup: func(t *testing.T) dialErrRun {
				return dialErrRun{
					url: "ws://user:pw@127.0.0.1:1/x", wantURL: "ws://127.0.0.1:1/x",
					d: &Dialer{NetDial: noNetDial(t), Header: http.Header{"X-A": {"1\r\nX-B: 2"}}},
				}
			},
			op: "options", kind: KindInvalidInput,
		},
		{
			name: "no Unix socket",
			setup: func(t *testing.T) dialErrRun {
				path := socketPath(t, "none.sock")
				return dialErrRun{url: "ws://app.internal/x", addr: path, d: &Dialer{UnixSocket: path}}
			},
			// ENOENT: the kinds name no better fit than "another network failure".
			op: "dial", kind: KindNetwork,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("error %v is not fs.ErrNotExist", err)
				}
			},
		},
		{
			name: "status over a Unix socket",
			setup: func(t *testing.T) dialErrRun {
				path := socketPath(t, "403.sock")
				ln, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				rawServerOn(t, ln, func(nc net.Conn) {
					br := bufio.NewReader(nc)
					if _, err := http.ReadRequest(br); err != nil {
						t.Errorf("read request: %v", err)
						return
					}
					io.WriteString(nc, "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")
					io.Copy(io.Discard, br)
				})
				return dialErrRun{url: "ws://app.internal/x", addr: path, d: &Dialer{UnixSocket: path}}
			},
			op: "handshake", kind: KindHandshakeStatus,
			check: func(t *testing.T, err error) {
				if he := mustHandshakeError(t, err, 403); string(he.Body) != "no" {
					t.Errorf("HandshakeError.Body = %q", he.Body)
				}
			},
		},
		{
			name: "Unix socket without listener",
			setup: func(t *testing.T) dialErrRun {
				path := socketPath(t, "dead.sock")
				ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
				if err != nil {
					t.Fatal(err)
				}
				ln.SetUnlinkOnClose(false)
				ln.Close()
				return dialErrRun{url: "ws://app.internal/x", addr: path, d: &Dialer{UnixSocket: path}}
			},
			op: "dial", kind: KindConnectionRefused,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("error %v is not ECONNREFUSED", err)
				}
			},
		},
		{
			name: "NetDial error, wss default port",
			setup: func(t *testing.T) dialErrRun {
				return dialErrRun{
					url: "wss://wsx.example/x", addr: "wsx.example:443",
					d: &Dialer{NetDial: failingNetDial(&dialedNetwork, &dialedAddr, injected)},
				}
			},
			op: "dial", kind: KindUnknown,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, injected) {
					t.Errorf("error %v does not wrap NetDial's error", err)
				}
				if dialedNetwork != "tcp" || dialedAddr != "wsx.example:443" {
					t.Errorf("NetDial called with %q %q, want tcp wsx.example:443", dialedNetwork, dialedAddr)
				}
			},
		},
	}
	// The errno a system call may fail with, and the kind each means.
	for _, e := range []struct {
		errno syscall.Errno
		kind  ErrorKind
	}{
		{syscall.EACCES, KindAccess},
		{syscall.EPERM, KindAccess},
		{syscall.EMFILE, KindResources},
		{syscall.ENOBUFS, KindResources},
		{syscall.EAFNOSUPPORT, KindUnsupported},
		{syscall.ENETUNREACH, KindNetwork},
		{syscall.EHOSTUNREACH, KindNetwork},
		{syscall.ECONNRESET, KindRemoteClosed},
	} {
		tests = append(tests, dialErrCase{
			name: "NetDial " + e.errno.Error(),
			setup: func(t *testing.T) dialErrRun {
				err := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", e.errno)}
				return dialErrRun{
					url: "ws://wsx.example/", addr: "wsx.example:80",
					d: &Dialer{NetDial: failingNetDial(&dialedNetwork, &dialedAddr, err)},
				}
			},
			op: "dial", kind: e.kind,
			check: func(t *testing.T, err error) {
				if !errors.Is(err, e.errno) {
					t.Errorf("error %v is not %v", err, e.errno)
				}
			},
		})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			run := tt.setup(t)
			ctx := run.ctx
			if ctx == nil {
				ctx = testContext(t)
			}
			start := time.Now()
			c, err := run.d.Dial(ctx, run.url)
			elapsed := time.Since(start)
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded")
			}
			if elapsed > 5*time.Second {
				t.Errorf("Dial took %v to fail", elapsed)
			}
			de := mustDialError(t, err, tt.op, tt.kind)
			if de.Addr != run.addr {
				t.Errorf("DialError.Addr = %q, want %q", de.Addr, run.addr)
			}
			switch want := run.wantURL; want {
			case "-":
				if de.URL != nil {
					t.Errorf("DialError.URL = %v, want none", de.URL)
				}
			case "":
				want = run.url
				fallthrough
			default:
				if de.URL == nil || de.URL.String() != want {
					t.Errorf("DialError.URL = %v, want %s", de.URL, want)
				}
			}
			if de.Err == nil || errors.Unwrap(err) != de.Err {
				t.Errorf("DialError.Err = %v; Unwrap gives %v", de.Err, errors.Unwrap(err))
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

// noNetDial is a NetDial that fails the test: for input that must be
// refused before any I/O.
func noNetDial(t *testing.T) func(context.Context, string, string) (net.Conn, error) {
	return func(_ context.Context, _, addr string) (net.Conn, error) {
		t.Errorf("NetDial called for %s", addr)
		return nil, errors.New("no I/O expected")
	}
}

func TestDialUnixSocket(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "ws"
		if secure {
			name = "wss"
		}
		t.Run(name, func(t *testing.T) {
			checkNoLeaks(t)
			path := socketPath(t, "ws.sock")
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			srv, log, accepted := newUpgradeServer(t, ln, func(http.ResponseWriter, *http.Request) bool { return true })
			d := &Dialer{
				UnixSocket: path,
				Proxy: func(u *url.URL) (*url.URL, error) {
					t.Errorf("Proxy consulted for %v with a Unix socket", u)
					return nil, nil
				},
			}
			target := "ws://app.internal:8080/chat?x=1"
			if secure {
				cert, err := testcert.New()
				if err != nil {
					t.Fatal(err)
				}
				srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
				srv.StartTLS()
				d.TLSConfig = &tls.Config{RootCAs: cert.Pool}
				target = "wss://localhost/chat?x=1" // the certificate's name
			} else {
				srv.Start()
			}
			ctx := testContext(t)
			c, err := d.Dial(ctx, target)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Abort()
			s := takeConn(t, accepted)
			reqs := log.all()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests", len(reqs))
			}
			wantHost := "app.internal:8080"
			if secure {
				wantHost = "localhost"
			}
			if reqs[0].Host != wantHost || reqs[0].RequestURI != "/chat?x=1" {
				t.Errorf("server saw Host %q target %q, want %q /chat?x=1", reqs[0].Host, reqs[0].RequestURI, wantHost)
			}
			if c.URL().String() != target {
				t.Errorf("Conn.URL() = %v, want %s", c.URL(), target)
			}
			if got := c.RemoteAddr().Network(); got != "unix" {
				t.Errorf("RemoteAddr network %q, want unix", got)
			}
			echoOnce(t, ctx, c, s)
		})
	}
}

func TestDialCustomNetDial(t *testing.T) {
	checkNoLeaks(t)
	srv, _, accepted := startUpgradeServer(t, func(http.ResponseWriter, *http.Request) bool { return true })
	var calls []string
	d := &Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		calls = append(calls, network+" "+addr)
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}}
	ctx := testContext(t)
	c, err := d.Dial(ctx, "ws://"+hostOf(srv)+"/")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)
	if want := []string{"tcp " + hostOf(srv)}; !equalStrings(calls, want) {
		t.Errorf("NetDial calls %q, want %q", calls, want)
	}
	echoOnce(t, ctx, c, s)
}

func TestDialCustomNetDialWSSDefaultPort(t *testing.T) {
	// wss://localhost/ dials localhost:443 through NetDial, which leads to
	// the test server; TLS checks the certificate against "localhost".
	checkNoLeaks(t)
	secure, log, accepted, cfg := tlsUpgradeServer(t, func(http.ResponseWriter, *http.Request) bool { return true })
	var calls []string
	d := &Dialer{TLSConfig: cfg, NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		calls = append(calls, network+" "+addr)
		var nd net.Dialer
		return nd.DialContext(ctx, "tcp", hostOf(secure))
	}}
	c, err := d.Dial(testContext(t), "wss://localhost/tls")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Abort()
	takeConn(t, accepted)
	if want := []string{"tcp localhost:443"}; !equalStrings(calls, want) {
		t.Errorf("NetDial calls %q, want %q", calls, want)
	}
	if reqs := log.all(); len(reqs) != 1 || reqs[0].Host != "localhost" {
		t.Errorf("server saw %+v, want one request with Host localhost", reqs)
	}
}

func TestErrorKindString(t *testing.T) {
	checkNoLeaks(t)
	if len(kindNames) != int(KindBadExtension)+1 {
		t.Fatalf("%d kind names for %d kinds", len(kindNames), int(KindBadExtension)+1)
	}
	seen := make(map[string]ErrorKind)
	for k := KindUnknown; k <= KindBadExtension; k++ {
		s := k.String()
		if s == "" || strings.HasPrefix(s, "ErrorKind(") {
			t.Errorf("kind %d has no name: %q", int(k), s)
		}
		if prev, dup := seen[s]; dup {
			t.Errorf("kinds %d and %d are both %q", int(prev), int(k), s)
		}
		seen[s] = k
	}
	for k, want := range map[ErrorKind]string{
		99:                   "ErrorKind(99)",
		-1:                   "ErrorKind(-1)",
		KindBadExtension + 1: fmt.Sprintf("ErrorKind(%d)", int(KindBadExtension)+1),
	} {
		if got := k.String(); got != want {
			t.Errorf("ErrorKind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestDialIPv6Literal(t *testing.T) {
	checkNoLeaks(t)
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("cannot listen on ::1: %v", err)
	}
	srv, log, accepted := newUpgradeServer(t, ln, func(http.ResponseWriter, *http.Request) bool { return true })
	srv.Start()
	host := ln.Addr().String() // [::1]:port
	ctx := testContext(t)
	c, err := Dial(ctx, "ws://"+host+"/v6", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)
	if !strings.HasPrefix(host, "[::1]:") {
		t.Fatalf("listener address %q", host)
	}
	if reqs := log.all(); len(reqs) != 1 || reqs[0].Host != host {
		t.Errorf("server saw %+v, want one request with Host %q", reqs, host)
	}
	if c.URL().Host != host || c.URL().Hostname() != "::1" {
		t.Errorf("Conn.URL() = %v", c.URL())
	}
	echoOnce(t, ctx, c, s)
}

func TestDialBoundsResponseHeader(t *testing.T) {
	// A server that sends header lines without end must not make the
	// client buffer them all: net/http's client stops at 10 MiB
	// (Transport.MaxResponseHeaderBytes), the server side of this library
	// at its own limit. 64 MiB are offered; the client must hang up long
	// before taking them (the bound allows for socket buffers).
	checkNoLeaks(t)
	const offered = 64 << 20
	var written atomic.Int64
	url := handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		line := "X-Pad: " + strings.Repeat("a", 1022) + "\r\n"
		io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\n")
		for written.Load() < offered {
			n, err := io.WriteString(nc, line)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
		io.WriteString(nc, switchingProtocols(req)[len("HTTP/1.1 101 Switching Protocols\r\n"):]+"\r\n")
		io.Copy(io.Discard, br)
	})
	c, err := Dial(testContext(t), url, nil)
	if err == nil {
		c.Abort()
		t.Error("Dial accepted a 101 with 64 MiB of headers")
	}
	if n := written.Load(); n > 32<<20 {
		t.Errorf("the client read %d MiB of response headers before giving up; want a bound like net/http's 10 MiB", n>>20)
	}
}
