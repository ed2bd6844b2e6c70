package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/testcert"
)

// TestConnectTLS checks the certificate flags against a wss server with a
// self-signed certificate: refused by default, reached with -insecure,
// -trust-cert or -cacert.
func TestConnectTLS(t *testing.T) {
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	url := startConnectPeer(t, connectEchoPeer, func(s *websocket.Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	})
	if !strings.HasPrefix(url, "wss://") {
		t.Fatalf("URL %s, want wss://", url)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string
	}{
		{"unknown certificate", nil, 1, ""},
		{"-insecure", []string{"-insecure"}, 0, "tls\n"},
		{"-trust-cert", []string{"-trust-cert", certFile}, 0, "tls\n"},
		{"-cacert", []string{"-cacert", certFile}, 0, "tls\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := connectWith(t, strings.NewReader("tls\n"), append(tt.args, url)...)
			if res.status != tt.status || res.stdout != tt.stdout {
				t.Fatalf("status %d, stdout %q, stderr %q; want %d, %q", res.status, res.stdout, res.stderr, tt.status, tt.stdout)
			}
		})
	}
}

// TestConnectProxy checks that -proxy sends the connection through an
// HTTP CONNECT proxy.
func TestConnectProxy(t *testing.T) {
	url := startConnectPeer(t, connectEchoPeer)
	var tunnels atomic.Int32
	proxy := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer upstream.Close()
		tunnels.Add(1)
		w.WriteHeader(http.StatusOK)
		down, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer down.Close()
		go func() {
			io.Copy(upstream, rw)
			upstream.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(down, upstream)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go proxy.Serve(ln)
	t.Cleanup(func() { proxy.Close() })

	res := connectWith(t, strings.NewReader("through\n"), "-proxy", "http://"+ln.Addr().String(), url)
	if res.status != 0 || res.stdout != "through\n" {
		t.Fatalf("status %d, stdout %q, stderr %q", res.status, res.stdout, res.stderr)
	}
	if n := tunnels.Load(); n != 1 {
		t.Errorf("%d tunnels through the proxy, want 1", n)
	}
}
