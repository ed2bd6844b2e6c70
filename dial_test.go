package websocket

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// handServer listens on loopback and runs serve on the first connection,
// after reading the handshake request from it. It returns the ws:// URL to
// dial. The connection is closed when serve returns; the test waits for
// serve to return before it ends.
func handServer(t *testing.T, serve func(nc net.Conn, br *bufio.Reader, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("hand server: read request: %v", err)
			return
		}
		serve(nc, br, req)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return "ws://" + ln.Addr().String() + "/"
}

// switchingProtocols is a valid 101 answer to req.
func switchingProtocols(req *http.Request) string {
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + handshake.AcceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n"
}

func TestDialSchemes(t *testing.T) {
	srv, accepted := acceptServer(t, false, nil, nil)
	hostPath := strings.TrimPrefix(srv.URL, "http://") + "/chat?room=1"
	for _, scheme := range []string{"ws", "http"} {
		t.Run(scheme, func(t *testing.T) {
			ctx := testContext(t)
			c, err := Dial(ctx, scheme+"://"+hostPath, nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Abort()
			s := takeConn(t, accepted)
			if got := c.URL().String(); got != "ws://"+hostPath {
				t.Errorf("client URL = %q, want %q", got, "ws://"+hostPath)
			}
			if got := s.URL().String(); got != "ws://"+hostPath {
				t.Errorf("server URL = %q, want %q", got, "ws://"+hostPath)
			}
			if err := c.WriteText(ctx, "hi"); err != nil {
				t.Fatal(err)
			}
			if typ, p, err := s.Read(ctx); err != nil || typ != MessageText || string(p) != "hi" {
				t.Fatalf("server read %v %q %v", typ, p, err)
			}
		})
	}
}

func TestDialRefusesBeforeIO(t *testing.T) {
	netDial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.Errorf("NetDial called for %s", addr)
		return nil, errors.New("no dialing in this test")
	}
	tests := []struct {
		name string
		url  string
		opts DialOptions
	}{
		{name: "bad scheme", url: "ftp://example.com/"},
		{name: "no scheme", url: "example.com/chat"},
		{name: "no host", url: "ws:///chat"},
		{name: "fragment", url: "ws://example.com/chat#top"},
		{name: "URL with CR", url: "ws://example.com/a\rb"},
		{name: "URL with LF", url: "ws://example.com/a\nHost: evil"},
		{name: "URL with CRLF in host", url: "ws://example.com\r\nX: y/"},
		{name: "origin with CR", url: "ws://example.com/", opts: DialOptions{Origin: "http://a\rb"}},
		{name: "origin with LF", url: "ws://example.com/", opts: DialOptions{Origin: "http://a\nX-Evil: 1"}},
		{name: "header value with CRLF", url: "ws://example.com/",
			opts: DialOptions{Header: http.Header{"X-Token": {"a\r\nX-Evil: 1"}}}},
		{name: "header value with LF", url: "ws://example.com/",
			opts: DialOptions{Header: http.Header{"X-Token": {"ok", "a\nb"}}}},
		{name: "header name not a token", url: "ws://example.com/",
			opts: DialOptions{Header: http.Header{"X Token\r\n": {"a"}}}},
		{name: "subprotocol not a token", url: "ws://example.com/",
			opts: DialOptions{Subprotocols: []string{"chat", "a b"}}},
		{name: "empty subprotocol", url: "ws://example.com/",
			opts: DialOptions{Subprotocols: []string{""}}},
		{name: "subprotocol with CRLF", url: "ws://example.com/",
			opts: DialOptions{Subprotocols: []string{"a\r\nX: y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.NetDial = netDial
			c, err := Dial(testContext(t), tt.url, &opts)
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded")
			}
			var he *HandshakeError
			if errors.As(err, &he) {
				t.Errorf("got a *HandshakeError for a local mistake: %v", err)
			}
		})
	}
}

func TestDialHTTPSMapsToWSS(t *testing.T) {
	// The default port follows the scheme, http and https counting as ws
	// and wss.
	var dialed string
	opts := &DialOptions{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = addr
		return nil, errors.New("stop here")
	}}
	tests := []struct{ url, addr string }{
		{"https://example.com/", "example.com:443"},
		{"wss://example.com/", "example.com:443"},
		{"http://example.com/", "example.com:80"},
		{"ws://example.com/", "example.com:80"},
		{"ws://example.com:8080/", "example.com:8080"},
		{"https://[::1]/", "[::1]:443"},
	}
	for _, tt := range tests {
		dialed = ""
		if _, err := Dial(testContext(t), tt.url, opts); err == nil {
			t.Fatalf("%s: Dial succeeded", tt.url)
		}
		if dialed != tt.addr {
			t.Errorf("%s: dialed %q, want %q", tt.url, dialed, tt.addr)
		}
	}
}

func TestDialWSS(t *testing.T) {
	for _, scheme := range []string{"wss", "https"} {
		t.Run(scheme, func(t *testing.T) {
			srv, accepted := acceptServer(t, true, nil, nil)
			pool := x509.NewCertPool()
			pool.AddCert(srv.Certificate())
			ctx := testContext(t)
			url := scheme + strings.TrimPrefix(srv.URL, "https")
			c, err := Dial(ctx, url, &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Abort()
			s := takeConn(t, accepted)
			if c.URL().Scheme != "wss" || s.URL().Scheme != "wss" {
				t.Errorf("URL schemes: client %q, server %q", c.URL().Scheme, s.URL().Scheme)
			}
			if _, ok := c.NetConn().(*tls.Conn); !ok {
				t.Errorf("client NetConn is %T, not *tls.Conn", c.NetConn())
			}
			if s.Request().TLS == nil {
				t.Error("server request has no TLS state")
			}
			go func() {
				typ, p, err := s.Read(ctx)
				if err == nil {
					s.Write(ctx, typ, p)
				}
			}()
			if err := c.WriteText(ctx, "secure"); err != nil {
				t.Fatal(err)
			}
			if _, p, err := c.Read(ctx); err != nil || string(p) != "secure" {
				t.Fatalf("echo: %q %v", p, err)
			}
		})
	}
}

func TestDialWSSUnknownAuthority(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler reached without a trusted certificate")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused TLS handshake
	srv.StartTLS()
	defer srv.Close()
	c, err := Dial(testContext(t), "wss"+strings.TrimPrefix(srv.URL, "https"), nil)
	if err == nil {
		c.Abort()
		t.Fatal("Dial trusted the test server's certificate")
	}
}

func TestDialWSSWithClientTransportConfig(t *testing.T) {
	srv, accepted := acceptServer(t, true, nil, nil)
	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c, err := Dial(testContext(t), "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Abort()
	takeConn(t, accepted)
}

func TestDialSubprotocols(t *testing.T) {
	tests := []struct {
		name            string
		offered, server []string
		want            string
	}{
		{"server preference wins", []string{"b", "a", "c"}, []string{"c", "a"}, "c"},
		{"only common one", []string{"x", "a"}, []string{"a", "b"}, "a"},
		{"none in common", []string{"x"}, []string{"a"}, ""},
		{"client offers none", nil, []string{"a"}, ""},
		{"server speaks none", []string{"a"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := newPair(t,
				&DialOptions{Subprotocols: tt.offered},
				&AcceptOptions{Subprotocols: tt.server})
			offered := Subprotocols(server.Request().Header)
			if !equalStrings(offered, tt.offered) {
				t.Errorf("server saw offer %q, want %q", offered, tt.offered)
			}
			if got := client.Subprotocol(); got != tt.want {
				t.Errorf("client Subprotocol = %q, want %q", got, tt.want)
			}
			if got := server.Subprotocol(); got != tt.want {
				t.Errorf("server Subprotocol = %q, want %q", got, tt.want)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDialHeadersAndOrigin(t *testing.T) {
	seen := make(chan http.Header, 1)
	srv, accepted := acceptServer(t, false, &AcceptOptions{OriginPatterns: []string{"app.example"}},
		func(r *http.Request) { seen <- r.Header.Clone() })
	c, err := Dial(testContext(t), "ws"+strings.TrimPrefix(srv.URL, "http"), &DialOptions{
		Origin: "https://app.example",
		Header: http.Header{
			"X-Token":                {"secret"},
			"X-Multi":                {"1", "2"},
			"Cookie":                 {"session=abc"},
			"Sec-Websocket-Protocol": {"smuggled"},
			"Upgrade":                {"h2c"},
		},
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)
	h := <-seen
	checks := []struct {
		name string
		want []string
	}{
		{"X-Token", []string{"secret"}},
		{"X-Multi", []string{"1", "2"}},
		{"Cookie", []string{"session=abc"}},
		{"Origin", []string{"https://app.example"}},
		{"Sec-Websocket-Protocol", nil},
		{"Upgrade", []string{"websocket"}},
	}
	for _, ck := range checks {
		if got := h.Values(ck.name); !equalStrings(got, ck.want) {
			t.Errorf("server saw %s = %q, want %q", ck.name, got, ck.want)
		}
	}
	if s.Origin() != "https://app.example" || c.Origin() != "https://app.example" {
		t.Errorf("Origin(): server %q, client %q", s.Origin(), c.Origin())
	}
	if s.Subprotocol() != "" || c.Subprotocol() != "" {
		t.Errorf("a subprotocol came from DialOptions.Header: %q %q", s.Subprotocol(), c.Subprotocol())
	}
}

func TestDialHandshakeErrors(t *testing.T) {
	longBody := strings.Repeat("0123456789", 200) // 2000 bytes
	tests := []struct {
		name     string
		offer    []string
		answer   func(req *http.Request) string
		status   int
		header   string // a header the error must carry, "Name: value"
		bodyWant string // the body the error must hold
	}{
		{
			name: "forbidden",
			answer: func(*http.Request) string {
				return "HTTP/1.1 403 Forbidden\r\nX-Reason: go away\r\nContent-Length: 4\r\n\r\nnope"
			},
			status: 403, header: "X-Reason: go away", bodyWant: "nope",
		},
		{
			name: "long body cut",
			answer: func(*http.Request) string {
				return "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2000\r\n\r\n" + longBody
			},
			status: 500, bodyWant: longBody[:1024],
		},
		{
			name: "200 OK",
			answer: func(*http.Request) string {
				return "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>"
			},
			status: 200, header: "Content-Type: text/html", bodyWant: "<html>",
		},
		{
			name: "no Upgrade",
			answer: func(req *http.Request) string {
				return strings.Replace(switchingProtocols(req), "Upgrade: websocket\r\n", "", 1) + "\r\n"
			},
			status: 101,
		},
		{
			name: "wrong Upgrade",
			answer: func(req *http.Request) string {
				return strings.Replace(switchingProtocols(req), "Upgrade: websocket", "Upgrade: h2c", 1) + "\r\n"
			},
			status: 101, header: "Upgrade: h2c",
		},
		{
			name: "no Connection",
			answer: func(req *http.Request) string {
				return strings.Replace(switchingProtocols(req), "Connection: Upgrade\r\n", "", 1) + "\r\n"
			},
			status: 101,
		},
		{
			name: "wrong accept key",
			answer: func(req *http.Request) string {
				return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
					"Sec-WebSocket-Accept: " + handshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ==") + "\r\n\r\n"
			},
			status: 101,
		},
		{
			name: "no accept key",
			answer: func(req *http.Request) string {
				return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
			},
			status: 101,
		},
		{
			name:  "subprotocol not offered",
			offer: []string{"a", "b"},
			answer: func(req *http.Request) string {
				return switchingProtocols(req) + "Sec-WebSocket-Protocol: c\r\n\r\n"
			},
			status: 101, header: "Sec-WebSocket-Protocol: c",
		},
		{
			name: "subprotocol when none offered",
			answer: func(req *http.Request) string {
				return switchingProtocols(req) + "Sec-WebSocket-Protocol: a\r\n\r\n"
			},
			status: 101,
		},
		{
			name:  "two subprotocols",
			offer: []string{"a", "b"},
			answer: func(req *http.Request) string {
				return switchingProtocols(req) + "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: b\r\n\r\n"
			},
			status: 101,
		},
		{
			name: "extension not offered",
			answer: func(req *http.Request) string {
				return switchingProtocols(req) + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
			},
			status: 101, header: "Sec-WebSocket-Extensions: permessage-deflate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
				answer := tt.answer(req)
				io.WriteString(nc, answer)
				if strings.Contains(answer, "Connection: close") {
					nc.(*net.TCPConn).CloseWrite() // the body ends here
				}
				io.Copy(io.Discard, br) // until the client hangs up
			})
			c, err := Dial(testContext(t), url, &DialOptions{Subprotocols: tt.offer})
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded")
			}
			var he *HandshakeError
			if !errors.As(err, &he) {
				t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
			}
			if he.StatusCode != tt.status {
				t.Errorf("StatusCode = %d, want %d", he.StatusCode, tt.status)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got := he.Header.Get(name); got != value {
					t.Errorf("Header %s = %q, want %q", name, got, value)
				}
			}
			if string(he.Body) != tt.bodyWant {
				t.Errorf("Body = %q (%d bytes), want %d bytes", he.Body, len(he.Body), len(tt.bodyWant))
			}
			if he.Reason == "" || !strings.Contains(he.Error(), he.Reason) {
				t.Errorf("Error() = %q, Reason = %q", he.Error(), he.Reason)
			}
		})
	}
}

func TestDialHandlerRefuses(t *testing.T) {
	// A handler may answer with an error instead of calling Accept.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chat"`)
		http.Error(w, "log in first", http.StatusUnauthorized)
	}))
	defer srv.Close()
	c, err := Dial(testContext(t), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err == nil {
		c.Abort()
		t.Fatal("Dial succeeded")
	}
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("error %v is not a *HandshakeError", err)
	}
	if he.StatusCode != http.StatusUnauthorized || he.Header.Get("WWW-Authenticate") != `Bearer realm="chat"` ||
		string(he.Body) != "log in first\n" {
		t.Errorf("got status %d, header %q, body %q", he.StatusCode, he.Header, he.Body)
	}
}

func TestDialKeepsBytesAfterHandshake(t *testing.T) {
	for _, tt := range []struct {
		name   string
		frames [][]byte
	}{
		{"one frame", [][]byte{[]byte("first")}},
		{"two frames and a ping", [][]byte{[]byte("first"), nil, []byte("second")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pong := make(chan []byte, 1)
			url := handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
				// The 101 and the frames leave in one write.
				b := []byte(switchingProtocols(req) + "\r\n")
				for _, p := range tt.frames {
					if p == nil {
						b = frame.Append(b, frame.Header{Fin: true, Opcode: frame.OpPing, Length: 4})
						b = append(b, "ping"...)
						continue
					}
					b = frame.Append(b, frame.Header{Fin: true, Opcode: frame.OpText, Length: int64(len(p))})
					b = append(b, p...)
				}
				if _, err := nc.Write(b); err != nil {
					t.Errorf("hand server write: %v", err)
					return
				}
				raw := &rawClientConn{Conn: nc, br: br}
				for {
					h, p, err := raw.nextRawFrame()
					if err != nil {
						return
					}
					if h.Opcode == frame.OpPong {
						pong <- p
					}
					if h.Opcode == frame.OpClose {
						return
					}
				}
			})
			ctx := testContext(t)
			c, err := Dial(ctx, url, &DialOptions{Options: Options{CloseTimeout: time.Second}})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Abort()
			for _, want := range tt.frames {
				if want == nil {
					continue
				}
				typ, p, err := c.Read(ctx)
				if err != nil || typ != MessageText || !bytes.Equal(p, want) {
					t.Fatalf("Read = %v %q %v, want %q", typ, p, err, want)
				}
			}
			if len(tt.frames) > 1 {
				select {
				case p := <-pong:
					if string(p) != "ping" {
						t.Errorf("pong payload %q", p)
					}
				case <-ctx.Done():
					t.Fatal("no pong")
				}
			}
			c.Close(CloseNormal, "")
		})
	}
}

func TestDialContextCancelledDuringHandshake(t *testing.T) {
	gotRequest := make(chan struct{})
	url := handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
		close(gotRequest)
		io.Copy(io.Discard, br) // never answer; wait for the client to hang up
	})
	ctx, cancel := context.WithCancel(testContext(t))
	go func() {
		<-gotRequest
		cancel()
	}()
	c, err := Dial(ctx, url, nil)
	if err == nil {
		c.Abort()
		t.Fatal("Dial succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial error = %v, want context.Canceled", err)
	}
}

func TestDialDeadlineDuringHandshake(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ctx     time.Duration // timeout of ctx, or 0 for testContext
		options time.Duration // DialOptions.HandshakeTimeout
	}{
		{name: "ctx deadline", ctx: 100 * time.Millisecond},
		{name: "HandshakeTimeout", options: 100 * time.Millisecond},
		{name: "ctx shorter than HandshakeTimeout", ctx: 100 * time.Millisecond, options: time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := handServer(t, func(nc net.Conn, br *bufio.Reader, req *http.Request) {
				io.Copy(io.Discard, br) // never answer
			})
			ctx := testContext(t)
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			start := time.Now()
			c, err := Dial(ctx, url, &DialOptions{HandshakeTimeout: tt.options})
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Dial error = %v, want context.DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Dial took %v", d)
			}
		})
	}
}

func TestDialContextCancelledBeforeDial(t *testing.T) {
	srv, _ := acceptServer(t, false, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err == nil {
		c.Abort()
		t.Fatal("Dial succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial error = %v, want context.Canceled", err)
	}
}

// nextRawFrame reads one frame, unmasking its payload, and reports errors
// instead of failing the test, for use off the test goroutine.
func (r *rawClientConn) nextRawFrame() (frame.Header, []byte, error) {
	head := make([]byte, 2, frame.MaxHeaderSize)
	if _, err := io.ReadFull(r.br, head); err != nil {
		return frame.Header{}, nil, err
	}
	head = head[:frame.Size(head[0], head[1])]
	if _, err := io.ReadFull(r.br, head[2:]); err != nil {
		return frame.Header{}, nil, err
	}
	h, _, err := frame.Parse(head)
	if err != nil {
		return frame.Header{}, nil, err
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(r.br, p); err != nil {
		return frame.Header{}, nil, err
	}
	if h.Masked {
		frame.Mask(h.Mask, 0, p)
	}
	return h, p, nil
}
