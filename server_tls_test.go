package websocket

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/testcert"
)

// serverTLSConfig returns a server configuration holding a self-signed
// certificate for 127.0.0.1, and a pool that trusts it.
func serverTLSConfig(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert.TLS}}, cert.Pool
}

// 15. A server with TLSConfig speaks wss.
func TestServerWSS(t *testing.T) {
	checkNoLeaks(t)
	cfg, pool := serverTLSConfig(t)
	schemes := make(chan string, 1)
	s := &Server{TLSConfig: cfg, Handle: func(c *Conn) {
		schemes <- c.URL().Scheme
		serverEcho(c)
	}}
	listenServer(t, s)
	url := serverURL(t, s)
	if s.URL().Scheme != "wss" {
		t.Fatalf("URL() = %s, want a wss URL", url)
	}

	c := dialServer(t, url, &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	checkEcho(t, c, "over TLS")
	if _, ok := c.NetConn().(*tls.Conn); !ok {
		t.Errorf("client connection is a %T, want *tls.Conn", c.NetConn())
	}
	if scheme := <-schemes; scheme != "wss" {
		t.Errorf("server connection URL scheme %q, want wss", scheme)
	}

	// A client that does not trust the certificate is refused.
	if c, err := Dial(testContext(t), url, nil); err == nil {
		c.Abort()
		t.Error("Dial without the certificate's root succeeded")
	}
}

// 15. HTTP/2 is never negotiated, even when TLSConfig offers it.
func TestServerTLSNoHTTP2(t *testing.T) {
	checkNoLeaks(t)
	cfg, pool := serverTLSConfig(t)
	cfg.NextProtos = []string{"h2", "http/1.1"}
	s := &Server{TLSConfig: cfg, Handle: serverEcho}
	listenServer(t, s)

	tc, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if p := tc.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("negotiated %q, want http/1.1", p)
	}
	if len(cfg.NextProtos) != 2 {
		t.Errorf("the server changed its TLSConfig: NextProtos = %q", cfg.NextProtos)
	}
}

// 15. HandleConn runs the TLS handshake on the connections it is given.
func TestServerTLSHandleConn(t *testing.T) {
	checkNoLeaks(t)
	cfg, pool := serverTLSConfig(t)
	s := &Server{TLSConfig: cfg, Handle: serverEcho}
	watchServer(t, s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		s.HandleConn(nc)
	}()
	c := dialServer(t, "wss://"+ln.Addr().String()+"/", &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	checkEcho(t, c, "handed over, over TLS")
}

// 15. Failed TLS handshakes are reported with Op "tls", timeouts included.
func TestServerTLSErrors(t *testing.T) {
	tests := []struct {
		name string
		send string // "" sends nothing: the handshake timeout drops it
		// reply is what the server answers before it closes, if anything.
		reply string
	}{
		{name: "garbage", send: "\x16\x00\x00garbage that is not TLS\r\n\r\n"},
		{name: "not a record", send: "this is not TLS at all\r\n\r\n"},
		{name: "plain HTTP", send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", reply: "HTTP/1.0 400 Bad Request"},
		{name: "silent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			cfg, _ := serverTLSConfig(t)
			s := &Server{TLSConfig: cfg, Handle: serverEcho, HandshakeTimeout: 300 * time.Millisecond}
			errs := listenServer(t, s)

			start := time.Now()
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if tt.send != "" {
				if _, err := io.WriteString(nc, tt.send); err != nil {
					t.Fatal(err)
				}
			}
			nc.SetReadDeadline(start.Add(5 * time.Second))
			got, err := io.ReadAll(nc)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server has not closed the connection after 5 s (got %q)", got)
			}
			if tt.reply != "" && !bytesHasPrefix(got, tt.reply) {
				t.Errorf("server answered %q, want %q", got, tt.reply)
			}
			se := errs.await(t, "TLS handshake error", opIs("tls", nc.LocalAddr().String()))
			if se.Err == nil || se.Status != 0 {
				t.Errorf("reported %#v, want a cause and no status", se)
			}
		})
	}
}

func bytesHasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// The wss server answers plain requests over TLS like the ws one.
func TestServerTLSFallback(t *testing.T) {
	checkNoLeaks(t)
	cfg, pool := serverTLSConfig(t)
	s := &Server{TLSConfig: cfg, Handle: serverEcho}
	listenServer(t, s)
	tc, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(testTimeout))
	io.WriteString(tc, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET over TLS: status %d, want 426", resp.StatusCode)
	}
}
