package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/internal/testcert"
)

// startServe runs runServe with args in the background and returns the
// URL it prints, a function that stops it as a signal would, and the
// channel of its result.
func startServe(t *testing.T, args ...string) (url string, stop func(), result <-chan error) {
	t.Helper()
	return startServeLog(t, io.Discard, args...)
}

// startServeLog is startServe with the server's log going to stderr.
func startServeLog(t *testing.T, stderr io.Writer, args ...string) (url string, stop func(), result <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)     // the result, for the test
	returned := make(chan struct{}) // closed when runServe returns
	go func() {
		err := runServe(ctx, args, pw, stderr)
		pw.CloseWithError(io.EOF)
		done <- err
		close(returned)
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve printed no URL: %v (result %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Error("serve did not return")
		}
	})
	_, url, _ = strings.Cut(strings.TrimSpace(line), "listening on ")
	return url, cancel, done
}

// serveBase returns the URL wsx serve prints without its trailing slash,
// ready for a path to be appended.
func serveBase(url string) string { return strings.TrimSuffix(url, "/") }

// TestServeShutdownSendsGoingAway checks that wsx serve echoes, names
// itself in the Server header, and on a signal closes open connections
// with 1001 Going Away before it returns.
func TestServeShutdownSendsGoingAway(t *testing.T) {
	url, stop, result := startServe(t, "-addr", "127.0.0.1:0", "-q", "-name", "wsx-test")
	if !strings.HasPrefix(url, "ws://127.0.0.1:") {
		t.Fatalf("URL %q", url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var clients []*websocket.Conn
	for range 3 {
		c, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Abort()
		if got := c.Response().Header.Get("Server"); got != "wsx-test" {
			t.Errorf("Server header %q, want wsx-test", got)
		}
		clients = append(clients, c)
	}
	if err := clients[0].WriteText(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := clients[0].Read(ctx); err != nil || string(msg) != "hello" {
		t.Fatalf("echo = %q, %v", msg, err)
	}

	stop()
	for i, c := range clients {
		_, _, err := c.Read(ctx)
		if code := websocket.CloseStatus(err); code != websocket.CloseGoingAway {
			t.Errorf("client %d: read error %v, close code %v; want %v", i, err, code, websocket.CloseGoingAway)
		}
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not return after the signal")
	}
}

// TestServeTLS serves wss with a certificate and key given as files.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := writeTestCert(t)
	url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q", "-tls-cert", certFile, "-tls-key", keyFile)
	if !strings.HasPrefix(url, "wss://") {
		t.Fatalf("URL %q, want wss://", url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, url, &websocket.DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.WriteText(ctx, "secure"); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "secure" {
		t.Fatalf("echo = %q, %v", msg, err)
	}
	c.Close(websocket.CloseNormal, "")
}

// TestServeFlags checks the flags runServe refuses.
func TestServeFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"cert without key", []string{"-addr", "127.0.0.1:0", "-tls-cert", "c.pem"}, "go together"},
		{"key without cert", []string{"-addr", "127.0.0.1:0", "-tls-key", "k.pem"}, "go together"},
		{"missing files", []string{"-addr", "127.0.0.1:0", "-tls-cert", "/nonexistent/c", "-tls-key", "/nonexistent/k"}, "no such file"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
		{"bad address", []string{"-addr", "127.0.0.1:99999"}, "invalid port"},
		{"bad compression level", []string{"-addr", "127.0.0.1:0", "-compress-level", "10"}, "outside 1 to 9"},
		{"missing static directory", []string{"-addr", "127.0.0.1:0", "-static", "/nonexistent/www"}, "-static"},
		{"negative grace", []string{"-addr", "127.0.0.1:0", "-exec", "cat", "-exec-grace", "-1s"}, "negative -exec-grace"},
		{"unknown flag", []string{"-nope"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runServe(context.Background(), tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("runServe = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestServeOriginFlag checks that -origin, repeated, allows the patterns
// it names and only those.
func TestServeOriginFlag(t *testing.T) {
	url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q", "-origin", "*.example.com", "-origin", "app.test")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for origin, ok := range map[string]bool{
		"https://a.example.com": true,
		"http://app.test":       true,
		"http://evil.test":      false,
	} {
		c, err := websocket.Dial(ctx, url, &websocket.DialOptions{Origin: origin})
		if (err == nil) != ok {
			t.Errorf("origin %s: Dial error %v, want allowed=%v", origin, err, ok)
		}
		if c != nil {
			c.Abort()
		}
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its
// key to files, and returns their paths and a pool trusting it.
func writeTestCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, cert.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert.Pool
}

// TestServeEcho checks that every path but /chat echoes each message with
// its type.
func TestServeEcho(t *testing.T) {
	url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct {
		path string
		typ  websocket.MessageType
		msg  string
	}{
		{"/", websocket.MessageText, "hello"},
		{"/echo", websocket.MessageText, "héllo wörld"},
		{"/echo", websocket.MessageBinary, "\x00\xff\x01"},
		{"/deep/path?q=1", websocket.MessageText, ""},
		{"/chatroom", websocket.MessageBinary, strings.Repeat("b", 70000)},
	}
	for _, tt := range tests {
		c, err := websocket.Dial(ctx, serveBase(url)+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(ctx, tt.typ, []byte(tt.msg)); err != nil {
			t.Fatal(err)
		}
		typ, msg, err := c.Read(ctx)
		if err != nil || typ != tt.typ || string(msg) != tt.msg {
			t.Errorf("%s: echo of a %v message = %v %d bytes, %v", tt.path, tt.typ, typ, len(msg), err)
		}
		if err := c.Close(websocket.CloseNormal, ""); err != nil {
			t.Errorf("%s: close: %v", tt.path, err)
		}
	}
}

// TestServeHelp checks that -h describes the routes and every flag.
func TestServeHelp(t *testing.T) {
	var out strings.Builder
	err := runServe(context.Background(), []string{"-h"}, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("runServe -h = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"usage: wsx serve", "/chat", "echo", "-exec", "-static", "web console",
		"-addr", "-tls-cert", "-tls-key", "-origin", "-compress", "-q", "-exec-grace", "-max-message", "-shutdown-timeout",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}
