package websocket_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/testcert"
)

// A server whose certificate is self-signed is reached by trusting that one
// certificate, nothing else.
func ExampleDialer_trustedCertificate() {
	cert, srv := startTLSEchoServer()
	defer srv.Close()

	_, err := websocket.Dial(context.Background(), srv.URL().String(), nil)
	var de *websocket.DialError
	if errors.As(err, &de) {
		fmt.Println("without trust:", de.Kind)
	}

	d := &websocket.Dialer{TrustedCertificates: []*x509.Certificate{cert.TLS.Leaf}}
	fmt.Println("trusted:", dialAndEcho(d, srv.URL().String()))
	// Output:
	// without trust: certificate verification failed
	// trusted: echo: hello
}

// A pinned key is trusted whatever the certificate around it says: a
// renewed certificate with the same key still matches.
func ExampleDialer_pinnedKeys() {
	cert, srv := startTLSEchoServer()
	defer srv.Close()

	pin := websocket.PublicKeyPin(cert.TLS.Leaf) // or from openssl, see PublicKeyPin
	d := &websocket.Dialer{PinnedKeys: []string{pin}}
	fmt.Println(strings.HasPrefix(pin, "sha256/"), dialAndEcho(d, srv.URL().String()))
	// Output: true echo: hello
}

// A server on a Unix domain socket: the URL's host only fills the Host
// header.
func ExampleDialer_unixSocket() {
	dir, err := os.MkdirTemp("", "wsx-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		log.Fatal(err)
	}
	srv := &websocket.Server{Handle: echoOnce}
	go srv.Serve(ln)
	defer srv.Close()

	d := &websocket.Dialer{UnixSocket: path}
	fmt.Println(dialAndEcho(d, "ws://app.local/chat"))
	// Output: echo: hello
}

// OnCertificateError sees every problem verification found, and decides:
// here it refuses, and Dial fails with the list.
func ExampleDialer_onCertificateError() {
	_, srv := startTLSEchoServer()
	defer srv.Close()

	d := &websocket.Dialer{
		OnCertificateError: func(e *websocket.CertificateError) error {
			for _, p := range e.Problems {
				fmt.Println("problem:", p.Kind)
			}
			return errors.New("not the certificate we expect")
		},
	}
	_, err := d.Dial(context.Background(), srv.URL().String())
	var de *websocket.DialError
	if errors.As(err, &de) {
		fmt.Println("dial failed:", de.Op, de.Kind)
	}
	// Output:
	// problem: self-signed
	// dial failed: tls certificate verification failed
}

// On a 401 with a Basic or Digest challenge, Auth supplies the credentials
// and the handshake is tried once more.
func ExampleDialer_auth() {
	srv := &websocket.Server{Handle: echoOnce}
	protected := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "alice" || pass != "secret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="chat"`)
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		srv.ServeHTTP(w, r)
	})
	defer srv.Close()
	addr, stop := serveHTTP(protected)
	defer stop()

	d := &websocket.Dialer{
		Auth: func(ctx context.Context, ch *websocket.AuthChallenge) (string, string, bool) {
			fmt.Println("asked for", ch.Scheme, "credentials for realm", ch.Realm)
			return "alice", "secret", true
		},
	}
	fmt.Println(dialAndEcho(d, addr))
	// Output:
	// asked for Basic credentials for realm chat
	// echo: hello
}

// Proxy picks the proxy for each URL; ProxyURL always picks one. Without
// Proxy the environment's HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY
// decide, as for Go's HTTP client.
func ExampleDialer_proxy() {
	srv := &websocket.Server{Handle: echoOnce}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	proxyURL, stop := startConnectProxy()
	defer stop()

	d := &websocket.Dialer{Proxy: websocket.ProxyURL(proxyURL)}
	fmt.Println(dialAndEcho(d, srv.URL().String()))
	// Output:
	// proxy: CONNECT to 127.0.0.1
	// echo: hello
}

// CheckRedirect can refuse a redirect; Dial then fails with a
// *RedirectError that names the location.
func ExampleDialer_checkRedirect() {
	addr, stop := serveHTTP(http.RedirectHandler("ws://elsewhere.example/chat", http.StatusFound))
	defer stop()

	d := &websocket.Dialer{
		CheckRedirect: func(next *url.URL, via []*url.URL) error {
			return fmt.Errorf("not leaving %s", via[0].Hostname())
		},
	}
	_, err := d.Dial(context.Background(), addr)
	var re *websocket.RedirectError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.Location, re.Err)
	}
	// Output: 302 ws://elsewhere.example/chat not leaving 127.0.0.1
}

// Every failed dial is a *DialError whose Kind says what went wrong.
func ExampleDialError() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more

	_, err = websocket.Dial(context.Background(), "ws://"+addr+"/", nil)
	var de *websocket.DialError
	if errors.As(err, &de) {
		switch de.Kind {
		case websocket.KindConnectionRefused:
			fmt.Println("refused, retry later")
		case websocket.KindHostNotFound:
			fmt.Println("check the address")
		default:
			fmt.Println("failed:", de.Kind)
		}
	}
	// Output: refused, retry later
}

// startTLSEchoServer starts a wss server with a self-signed certificate.
func startTLSEchoServer() (*testcert.Cert, *websocket.Server) {
	cert, err := testcert.New()
	if err != nil {
		log.Fatal(err)
	}
	srv := &websocket.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.TLS}},
		Handle:    echoOnce,
		OnError:   func(error) {}, // the refused handshake is reported here
	}
	if err := srv.Listen("localhost:0"); err != nil {
		log.Fatal(err)
	}
	return cert, srv
}

// echoOnce sends one message back.
func echoOnce(c *websocket.Conn) {
	ctx := context.Background()
	if typ, p, err := c.Read(ctx); err == nil {
		c.Write(ctx, typ, p)
	}
}

// dialAndEcho dials rawURL with d, sends hello and returns what came back.
func dialAndEcho(d *websocket.Dialer, rawURL string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, rawURL)
	if err != nil {
		return err.Error()
	}
	defer c.Close(websocket.CloseNormal, "")
	if err := c.WriteText(ctx, "hello"); err != nil {
		return err.Error()
	}
	_, p, err := c.Read(ctx)
	if err != nil {
		return err.Error()
	}
	return "echo: " + string(p)
}

// serveHTTP serves h on a loopback port and returns its ws URL.
func serveHTTP(h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	return "ws://" + ln.Addr().String() + "/", func() { hs.Close() }
}

// startConnectProxy starts a minimal HTTP CONNECT proxy on loopback.
func startConnectProxy() (*url.URL, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go tunnel(client)
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, func() { ln.Close() }
}

// tunnel answers one CONNECT and copies bytes both ways until either side
// closes.
func tunnel(client net.Conn) {
	defer client.Close()
	var head strings.Builder
	buf := make([]byte, 1)
	for !strings.HasSuffix(head.String(), "\r\n\r\n") {
		if _, err := client.Read(buf); err != nil {
			return
		}
		head.Write(buf)
	}
	fields := strings.Fields(head.String())
	if len(fields) < 2 || fields[0] != "CONNECT" {
		io.WriteString(client, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	if host, _, err := net.SplitHostPort(fields[1]); err == nil {
		fmt.Println("proxy: CONNECT to", host) // the example's output shows the tunnel was used
	}
	server, err := net.Dial("tcp", fields[1])
	if err != nil {
		io.WriteString(client, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer server.Close()
	io.WriteString(client, "HTTP/1.1 200 Connection Established\r\n\r\n")
	go func() {
		io.Copy(server, client)
		server.Close()
	}()
	io.Copy(client, server)
}
