package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// httpURL turns the ws:// URL wsx serve prints into its http:// one,
// without the trailing slash.
func httpURL(wsURL string) string {
	return "http" + strings.TrimPrefix(serveBase(wsURL), "ws")
}

// serveGet sends a plain HTTP request and returns the answer's status,
// headers and body.
func serveGet(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// rawGet sends path as it is, unlike net/http's client, which cleans
// dot segments, and returns the status line and the rest of the answer.
func rawGet(t *testing.T, wsURL, path string) (status, rest string) {
	t.Helper()
	host := strings.TrimPrefix(serveBase(wsURL), "ws://")
	conn, err := net.DialTimeout("tcp", host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(bufio.NewReader(conn))
	if err != nil {
		t.Fatal(err)
	}
	status, rest, _ = strings.Cut(string(all), "\r\n")
	return status, rest
}

// TestServeConsolePage checks the web console at / and the answers to
// the other plain HTTP requests.
func TestServeConsolePage(t *testing.T) {
	url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q")
	base := httpURL(url)

	code, h, body := serveGet(t, http.MethodGet, base+"/")
	if code != http.StatusOK {
		t.Fatalf("GET / = %d", code)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want text/html", ct)
	}
	for _, want := range []string{
		`<select id="mode">`,
		`<option value="chat" selected>`,
		`<option value="echo">`,
		`id="status"`,
		`<input id="message"`,
		`<button id="send"`,
		`id="log"`,
		`"msg"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Self-contained: nothing loaded from elsewhere.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|@import|url\(`).FindString(body); m != "" {
		t.Errorf("page refers to an external asset: %q", m)
	}

	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodGet, "/?x=1", http.StatusOK},
		{http.MethodGet, "/index.html", http.StatusNotFound},
		{http.MethodGet, "/chat", http.StatusNotFound},
		{http.MethodGet, "/echo", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodPost, "/other", http.StatusNotFound},
	}
	for _, tt := range tests {
		if code, _, _ := serveGet(t, tt.method, base+tt.path); code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, code, tt.want)
		}
	}
}

// TestServeStatic checks that -static serves files from its directory,
// nothing outside it, and leaves WebSocket handshakes alone.
func TestServeStatic(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "www")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		filepath.Join(dir, "hello.txt"):     "hello from disk",
		filepath.Join(dir, "index.html"):    "<p>index</p>",
		filepath.Join(parent, "secret.txt"): "do not serve",
	} {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(parent, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q", "-static", dir)
	base := httpURL(url)

	tests := []struct {
		method, path string
		want         int
		body         string
	}{
		{http.MethodGet, "/hello.txt", http.StatusOK, "hello from disk"},
		{http.MethodHead, "/hello.txt", http.StatusOK, ""},
		{http.MethodGet, "/", http.StatusOK, "<p>index</p>"},
		{http.MethodGet, "/missing", http.StatusNotFound, ""},
		{http.MethodGet, "/link.txt", http.StatusForbidden, ""},
		{http.MethodPost, "/hello.txt", http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		code, _, body := serveGet(t, tt.method, base+tt.path)
		if code != tt.want || (tt.body != "" && body != tt.body) {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, code, body, tt.want, tt.body)
		}
	}
	for _, path := range []string{"/../secret.txt", "/a/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"} {
		status, rest := rawGet(t, url, path)
		if strings.Contains(status, " 200 ") || strings.Contains(rest, "do not serve") {
			t.Errorf("GET %s escaped the directory: %s", path, status)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, serveBase(url)+"/hello.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort()
	if err := c.WriteText(ctx, "still echoed"); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "still echoed" {
		t.Fatalf("echo = %q, %v", msg, err)
	}
	c.Close(websocket.CloseNormal, "")
}
