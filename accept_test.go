package websocket

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// acceptResult is what a handler's call to Accept returned.
type acceptResult struct {
	c   *Conn
	err error
}

// acceptRecorder starts a server whose handler calls Accept with opts and
// reports every result. Accepted Conns are aborted when the test ends.
func acceptRecorder(t *testing.T, opts *AcceptOptions) (addr string, results <-chan acceptResult) {
	t.Helper()
	ch := make(chan acceptResult, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts)
		if c != nil {
			t.Cleanup(c.Abort)
		}
		ch <- acceptResult{c, err}
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), ch
}

// rawRequest sends req, as is, on a new connection to addr and returns the
// response with its body read in full.
func rawRequest(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, err = io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read body: %v", err)
		}
	}
	return resp, string(body)
}

// handshakeRequest builds a handshake request to host; edit may change the
// method, the protocol version and the headers, in which "" deletes.
func handshakeRequest(host string, edit func(method, proto *string, h map[string]string)) string {
	method, proto := "GET", "HTTP/1.1"
	h := map[string]string{
		"Host":                  host,
		"Upgrade":               "websocket",
		"Connection":            "Upgrade",
		"Sec-WebSocket-Key":     handshake.NewKey(),
		"Sec-WebSocket-Version": "13",
	}
	if edit != nil {
		edit(&method, &proto, h)
	}
	var b strings.Builder
	b.WriteString(method + " /chat " + proto + "\r\n")
	for name, v := range h {
		if v != "" {
			b.WriteString(name + ": " + v + "\r\n")
		}
	}
	if method == "POST" || method == "PUT" {
		b.WriteString("Content-Length: 0\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestAcceptChecksRequest(t *testing.T) {
	set := func(name, value string) func(m, p *string, h map[string]string) {
		return func(m, p *string, h map[string]string) { h[name] = value }
	}
	tests := []struct {
		name   string
		edit   func(method, proto *string, h map[string]string)
		status int
		header string // a header the answer must carry, "Name: value"
	}{
		{name: "valid", status: 101},
		{name: "Connection list", edit: set("Connection", "keep-alive, Upgrade"), status: 101},
		{name: "tokens any case", edit: func(m, p *string, h map[string]string) {
			h["Connection"], h["Upgrade"] = "upgrade", "WebSocket"
		}, status: 101},
		{name: "POST", edit: func(m, p *string, h map[string]string) { *m = "POST" }, status: 405},
		{name: "PUT", edit: func(m, p *string, h map[string]string) { *m = "PUT" }, status: 405},
		{name: "HTTP/1.0", edit: func(m, p *string, h map[string]string) { *p = "HTTP/1.0" }, status: 400},
		{name: "no Connection", edit: set("Connection", ""), status: 426, header: "Upgrade: websocket"},
		{name: "Connection keep-alive", edit: set("Connection", "keep-alive"), status: 426},
		{name: "no Upgrade", edit: set("Upgrade", ""), status: 426, header: "Upgrade: websocket"},
		{name: "Upgrade h2c", edit: set("Upgrade", "h2c"), status: 426},
		{name: "version 8", edit: set("Sec-WebSocket-Version", "8"), status: 426, header: "Sec-WebSocket-Version: 13"},
		{name: "version 14", edit: set("Sec-WebSocket-Version", "14"), status: 426, header: "Sec-WebSocket-Version: 13"},
		{name: "no version", edit: set("Sec-WebSocket-Version", ""), status: 426, header: "Sec-WebSocket-Version: 13"},
		{name: "no key", edit: set("Sec-WebSocket-Key", ""), status: 400},
		{name: "key of 5 bytes", edit: set("Sec-WebSocket-Key", "aGVsbG8="), status: 400},
		{name: "key of 17 bytes", edit: set("Sec-WebSocket-Key", "MDEyMzQ1Njc4OWFiY2RlZmc="), status: 400},
		{name: "key not base64", edit: set("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!=="), status: 400},
		{name: "key unpadded", edit: set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"), status: 400},
		{name: "two keys", edit: set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), status: 400},
		{name: "cross origin", edit: set("Origin", "http://evil.example"), status: 403},
		{name: "null origin", edit: set("Origin", "null"), status: 403},
	}
	addr, results := acceptRecorder(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawRequest(t, addr, handshakeRequest(addr, tt.edit))
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			if tt.header != "" {
				name, value, _ := strings.Cut(tt.header, ": ")
				if got := resp.Header.Get(name); got != value {
					t.Errorf("header %s = %q, want %q", name, got, value)
				}
			}
			select {
			case res := <-results:
				if (res.err == nil) != (tt.status == 101) {
					t.Errorf("Accept returned %v", res.err)
				}
				if (res.c == nil) != (tt.status != 101) {
					t.Errorf("Accept returned conn %v", res.c)
				}
			case <-time.After(testTimeout):
				t.Fatal("handler did not run")
			}
		})
	}
}

func TestAcceptOrigin(t *testing.T) {
	const host = "chat.example:8080"
	tests := []struct {
		name    string
		origin  string
		opts    AcceptOptions
		allowed bool
	}{
		{name: "no origin", allowed: true},
		{name: "same origin", origin: "http://chat.example:8080", allowed: true},
		{name: "same origin https", origin: "https://chat.example:8080", allowed: true},
		{name: "same origin other case", origin: "http://CHAT.example:8080", allowed: true},
		{name: "other port", origin: "http://chat.example:9090"},
		{name: "other host", origin: "https://evil.example"},
		{name: "subdomain", origin: "https://a.chat.example:8080"},
		{name: "pattern", origin: "https://app.example.com",
			opts: AcceptOptions{OriginPatterns: []string{"*.example.com"}}, allowed: true},
		{name: "pattern any case", origin: "https://APP.example.com",
			opts: AcceptOptions{OriginPatterns: []string{"*.Example.com"}}, allowed: true},
		{name: "pattern with port", origin: "http://localhost:3000",
			opts: AcceptOptions{OriginPatterns: []string{"localhost:*"}}, allowed: true},
		{name: "second pattern", origin: "https://b.test",
			opts: AcceptOptions{OriginPatterns: []string{"a.test", "b.test"}}, allowed: true},
		{name: "pattern no match", origin: "https://example.org",
			opts: AcceptOptions{OriginPatterns: []string{"*.example.com"}}},
		{name: "CheckOrigin yes", origin: "https://evil.example",
			opts: AcceptOptions{CheckOrigin: func(r *http.Request) bool {
				return r.Header.Get("Origin") == "https://evil.example"
			}}, allowed: true},
		{name: "CheckOrigin no beats pattern", origin: "https://app.example.com",
			opts: AcceptOptions{
				OriginPatterns: []string{"*.example.com"},
				CheckOrigin:    func(*http.Request) bool { return false },
			}},
		{name: "same origin without asking CheckOrigin", origin: "http://chat.example:8080",
			opts: AcceptOptions{CheckOrigin: func(*http.Request) bool {
				panic("CheckOrigin called for a same-origin request")
			}}, allowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, results := acceptRecorder(t, &tt.opts)
			resp, body := rawRequest(t, addr, handshakeRequest(host, func(m, p *string, h map[string]string) {
				h["Origin"] = tt.origin
			}))
			want := http.StatusForbidden
			if tt.allowed {
				want = http.StatusSwitchingProtocols
			}
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, want, body)
			}
			res := <-results
			if tt.allowed && (res.err != nil || res.c.Origin() != tt.origin) {
				t.Errorf("Accept = %v, %v", res.c, res.err)
			}
			if !tt.allowed && res.err == nil {
				t.Error("Accept returned no error")
			}
		})
	}
}

func TestAcceptKeepsHandlerHeaders(t *testing.T) {
	results := make(chan acceptResult, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc"})
		w.Header().Add("X-Server", "wsx")
		w.Header().Add("X-Server", "test")
		w.Header().Set("Sec-WebSocket-Protocol", "smuggled") // only negotiation sets this
		w.Header().Set("Upgrade", "h2c")                     // nor this
		c, err := Accept(w, r, &AcceptOptions{Subprotocols: []string{"chat"}})
		if c != nil {
			t.Cleanup(c.Abort)
		}
		results <- acceptResult{c, err}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	resp, _ := rawRequest(t, addr, handshakeRequest(addr, func(m, p *string, h map[string]string) {
		h["Sec-WebSocket-Protocol"] = "other, chat"
	}))
	if res := <-results; res.err != nil {
		t.Fatalf("Accept: %v", res.err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	checks := []struct {
		name string
		want []string
	}{
		{"Set-Cookie", []string{"session=abc"}},
		{"X-Server", []string{"wsx", "test"}},
		{"Sec-Websocket-Protocol", []string{"chat"}},
		{"Upgrade", []string{"websocket"}},
		{"Connection", []string{"Upgrade"}},
	}
	for _, ck := range checks {
		if got := resp.Header.Values(ck.name); !equalStrings(got, ck.want) {
			t.Errorf("%s = %q, want %q", ck.name, got, ck.want)
		}
	}
}

func TestAcceptHandlerMayRefuse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != "good" {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		c.Close(CloseNormal, "welcome")
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	resp, body := rawRequest(t, addr, strings.Replace(handshakeRequest(addr, nil), "/chat", "/chat?token=bad", 1))
	if resp.StatusCode != http.StatusUnauthorized || body != "bad token\n" {
		t.Errorf("refused: status %d, body %q", resp.StatusCode, body)
	}

	ctx := testContext(t)
	c, err := Dial(ctx, "ws://"+addr+"/chat?token=good", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	if _, _, err := c.Read(ctx); CloseStatus(err) != CloseNormal {
		t.Errorf("Read = %v, want the server's close", err)
	}
}

func TestAcceptKeepsBytesAfterRequest(t *testing.T) {
	srv, accepted := acceptServer(t, false, nil, nil)
	addr := srv.Listener.Addr().String()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(testTimeout))

	// The request and two frames leave in one write.
	b := []byte(handshakeRequest(addr, nil))
	for _, msg := range []string{"early", "bird"} {
		h := frame.Header{Fin: true, Opcode: frame.OpText, Masked: true, Mask: [4]byte{9, 8, 7, 6}, Length: int64(len(msg))}
		b = frame.Append(b, h)
		p := []byte(msg)
		frame.Mask(h.Mask, 0, p)
		b = append(b, p...)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	s := takeConn(t, accepted)
	ctx := testContext(t)
	for _, want := range []string{"early", "bird"} {
		typ, p, err := s.Read(ctx)
		if err != nil || typ != MessageText || string(p) != want {
			t.Fatalf("Read = %v %q %v, want %q", typ, p, err, want)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("response %v, %v", resp, err)
	}
}

func TestConnAccessors(t *testing.T) {
	srv, accepted := acceptServer(t, false, &AcceptOptions{OriginPatterns: []string{"web.example"}}, nil)
	ctx := testContext(t)
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/room/7?user=ann"
	c, err := Dial(ctx, url, &DialOptions{Origin: "https://web.example"})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)

	if c.Request() != nil {
		t.Error("client Request() is not nil")
	}
	r := s.Request()
	if r == nil || r.URL.Path != "/room/7" || r.URL.Query().Get("user") != "ann" || r.Header.Get("Sec-WebSocket-Key") == "" {
		t.Errorf("server Request() = %+v", r)
	}
	for _, u := range []struct {
		side string
		got  string
	}{{"client", c.URL().String()}, {"server", s.URL().String()}} {
		if u.got != url {
			t.Errorf("%s URL() = %q, want %q", u.side, u.got, url)
		}
	}
	if c.Origin() != "https://web.example" || s.Origin() != "https://web.example" {
		t.Errorf("Origin(): client %q, server %q", c.Origin(), s.Origin())
	}
	if c.LocalAddr().String() != s.RemoteAddr().String() || c.RemoteAddr().String() != s.LocalAddr().String() {
		t.Errorf("addresses: client %v->%v, server %v->%v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
	}
	if c.RemoteAddr().String() != srv.Listener.Addr().String() {
		t.Errorf("client RemoteAddr %v, server listens on %v", c.RemoteAddr(), srv.Listener.Addr())
	}
	if c.NetConn().LocalAddr() != c.LocalAddr() {
		t.Error("NetConn is not the connection")
	}
	if c.Extensions() != "" || s.Extensions() != "" {
		t.Errorf("Extensions: %q %q", c.Extensions(), s.Extensions())
	}
	if c.State() != StateOpen || s.State() != StateOpen {
		t.Errorf("State: %v %v", c.State(), s.State())
	}
}

func TestAcceptNoOrigin(t *testing.T) {
	c, s := newPair(t, nil, nil)
	if c.Origin() != "" || s.Origin() != "" {
		t.Errorf("Origin(): client %q, server %q", c.Origin(), s.Origin())
	}
}

func TestSubprotocolsHeader(t *testing.T) {
	tests := []struct {
		values []string
		want   []string
	}{
		{nil, nil},
		{[]string{"chat"}, []string{"chat"}},
		{[]string{"a, b", " c ,, d"}, []string{"a", "b", "c", "d"}},
	}
	for _, tt := range tests {
		h := http.Header{"Sec-Websocket-Protocol": tt.values}
		if got := Subprotocols(h); !equalStrings(got, tt.want) {
			t.Errorf("Subprotocols(%q) = %q, want %q", tt.values, got, tt.want)
		}
	}
}

func TestAcceptWithoutHijack(t *testing.T) {
	// A ResponseWriter that cannot be hijacked gets a 500.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", handshake.NewKey())
	c, err := Accept(rec, req, nil)
	if err == nil {
		c.Abort()
		t.Fatal("Accept succeeded")
	}
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if errors.Is(err, ErrClosed) {
		t.Errorf("unexpected error %v", err)
	}
}
