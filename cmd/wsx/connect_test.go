package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// connectTestTimeout bounds one run of wsx connect in the tests.
const connectTestTimeout = 20 * time.Second

// startConnectPeer runs a websocket.Server on a free loopback port with handle
// for each connection and returns its ws:// URL. opts may adjust the
// server before it starts. The server shuts down when the test ends.
func startConnectPeer(t *testing.T, handle func(c *websocket.Conn), opts ...func(*websocket.Server)) string {
	t.Helper()
	srv := &websocket.Server{Handle: handle, OnError: func(error) {}}
	for _, o := range opts {
		o(srv)
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv.URL().String()
}

// connectEchoPeer sends every message back with its type.
func connectEchoPeer(c *websocket.Conn) {
	ctx := context.Background()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

// connectResult is what one run of runConnect gave.
type connectResult struct {
	status         int
	stdout, stderr string
}

// connectWith runs runConnect with args and stdin, bounded in time, and
// returns its exit status and output.
func connectWith(t *testing.T, stdin io.Reader, args ...string) connectResult {
	t.Helper()
	return connectTo(t, stdin, &outputBuffer{}, args...)
}

// connectTo is connectWith writing stdout to out, which the test may
// watch while wsx connect runs.
func connectTo(t *testing.T, stdin io.Reader, out *outputBuffer, args ...string) connectResult {
	t.Helper()
	res, ok := connectBounded(stdin, out, args...)
	if !ok {
		t.Fatalf("wsx connect %q did not return; stdout %q, stderr %q", args, res.stdout, res.stderr)
	}
	return res
}

// connectBounded runs runConnect, and reports false if it did not return
// in time. It may run outside the test's goroutine.
func connectBounded(stdin io.Reader, out *outputBuffer, args ...string) (connectResult, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTestTimeout)
	defer cancel()
	var errOut outputBuffer
	done := make(chan int, 1)
	go func() { done <- runConnect(ctx, args, stdin, out, &errOut) }()
	select {
	case status := <-done:
		return connectResult{status, out.String(), errOut.String()}, true
	case <-time.After(connectTestTimeout + 10*time.Second):
		return connectResult{-1, out.String(), errOut.String()}, false
	}
}

// openStdin returns a stdin that gives no line until the test ends, so
// that the connection ends by the peer's doing.
func openStdin(t *testing.T) io.Reader {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	return pr
}

// TestConnectPipe checks pipe mode against an echo server: every line
// comes back as it was sent, text or binary, and nothing else reaches
// stdout; the end of stdin closes with 1000.
func TestConnectPipe(t *testing.T) {
	types := make(chan websocket.MessageType, 10)
	url := startConnectPeer(t, func(c *websocket.Conn) {
		ctx := context.Background()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			types <- typ
			c.Write(ctx, typ, msg)
		}
	})
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
		typ   websocket.MessageType
	}{
		{"text", nil, "a\nb\n", "a\nb\n", websocket.MessageText},
		{"last line without newline", nil, "a\nb", "a\nb\n", websocket.MessageText},
		{"empty line", nil, "\nx\n", "\nx\n", websocket.MessageText},
		{"binary", []string{"-binary"}, "x\ny\n", "x\ny\n", websocket.MessageBinary},
		{"long line", nil, strings.Repeat("z", 200<<10) + "\n", strings.Repeat("z", 200<<10) + "\n", websocket.MessageText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := connectWith(t, strings.NewReader(tt.stdin), append(tt.args, url)...)
			// The server read every line before the close frame.
			for range strings.Count(tt.want, "\n") {
				select {
				case typ := <-types:
					if typ != tt.typ {
						t.Errorf("the server got a %v message, want %v", typ, tt.typ)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("the server did not get every line; stdout %.40q", res.stdout)
				}
			}
			if res.status != 0 || res.stdout != tt.want || res.stderr != "" {
				t.Fatalf("status %d, stdout %.40q, stderr %q; want 0, %.40q, nothing", res.status, res.stdout, res.stderr, tt.want)
			}
		})
	}
}

// TestConnectInvalidUTF8 checks that a line that is not UTF-8 is not sent
// as text, is reported, and does not stop the lines after it.
func TestConnectInvalidUTF8(t *testing.T) {
	url := startConnectPeer(t, connectEchoPeer)
	res := connectWith(t, strings.NewReader("a\n\xff\nb\n"), url)
	if res.status != 0 || res.stdout != "a\nb\n" || !strings.Contains(res.stderr, "line 2 is not valid UTF-8") {
		t.Fatalf("status %d, stdout %q, stderr %q", res.status, res.stdout, res.stderr)
	}
}

// TestConnectJSON checks that -json writes one object per event, each
// with an RFC 3339 time, its direction and its type, messages sent
// included, text as a string and binary in base64.
func TestConnectJSON(t *testing.T) {
	url := startConnectPeer(t, connectEchoPeer)
	for _, binary := range []bool{false, true} {
		args, typ, data := []string{"-json", url}, "text", "hello"
		if binary {
			// Flags after the URL count too.
			args, typ, data = []string{url, "-json", "-binary"}, "binary", base64.StdEncoding.EncodeToString([]byte("hello"))
		}
		t.Run(typ, func(t *testing.T) {
			res := connectWith(t, strings.NewReader("hello\n"), args...)
			if res.status != 0 || res.stderr != "" {
				t.Fatalf("status %d, stderr %q", res.status, res.stderr)
			}
			seen := make(map[string]int)
			for line := range strings.Lines(res.stdout) {
				var ev jsonEvent
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil {
					t.Errorf("line %q: time: %v", line, err)
				}
				key := ev.Dir + " " + ev.Type
				switch ev.Type {
				case "text", "binary":
					if ev.Data == nil || *ev.Data != data || ev.Final == nil || !*ev.Final || ev.Size == nil || *ev.Size != 5 {
						t.Errorf("line %q: want data %q, final, size 5", line, data)
					}
					if ev.Frame {
						key += " frame"
					}
				case "close":
					if ev.Code != 1000 {
						t.Errorf("line %q: want code 1000", line)
					}
				case "open":
					if ev.URL != url {
						t.Errorf("line %q: want url %s", line, url)
					}
				}
				seen[key]++
			}
			want := map[string]int{
				" open":                1,
				"out " + typ:           1,
				"in " + typ + " frame": 1,
				"in " + typ:            1,
				"out close":            1,
				"in close":             1,
			}
			if len(seen) != len(want) {
				t.Errorf("events %v, want %v; output:\n%s", seen, want, res.stdout)
			}
			for k, n := range want {
				if seen[k] != n {
					t.Errorf("%d %q events, want %d; output:\n%s", seen[k], k, n, res.stdout)
				}
			}
		})
	}
}

// TestConnectRequest checks that -H, -origin and -subprotocol reach the
// server, and that interactive mode names the subprotocol agreed on.
func TestConnectRequest(t *testing.T) {
	got := make(chan *http.Request, 1)
	url := startConnectPeer(t, func(c *websocket.Conn) {
		got <- c.Request()
		c.Close(websocket.CloseNormal, "")
	}, func(s *websocket.Server) {
		s.Subprotocols = []string{"chat.v1"}
		s.OriginPatterns = []string{"*"}
	})
	res := connectWith(t, openStdin(t), "-i", "-H", "X-Token: abc", "-H", "x-multi:1", "-H", "X-Multi: 2",
		"-origin", "http://app.example", "-subprotocol", "chat.v2", "-subprotocol", "chat.v1,chat.v0", url)
	if res.status != 0 {
		t.Fatalf("status %d, stderr %q", res.status, res.stderr)
	}
	r := <-got
	for name, want := range map[string]string{
		"X-Token":                "abc",
		"X-Multi":                "1,2",
		"Origin":                 "http://app.example",
		"Sec-Websocket-Protocol": "chat.v2, chat.v1, chat.v0",
	} {
		if v := strings.Join(r.Header.Values(name), ","); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	if want := "connected to " + url + " (subprotocol chat.v1, extensions none)\n"; res.stderr != want {
		t.Errorf("stderr %q, want %q", res.stderr, want)
	}
}

// TestConnectInteractive checks interactive mode's lines: direction and
// type of every event, binary in hex.
func TestConnectInteractive(t *testing.T) {
	url := startConnectPeer(t, func(c *websocket.Conn) {
		ctx := context.Background()
		go func() {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}()
		c.WriteText(ctx, "hi there")
		c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 0xfe})
		c.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte{0xab}, 40))
		c.Ping(ctx, []byte("p"))
		c.Close(4000, "bye")
	})
	res := connectWith(t, openStdin(t), "-i", url)
	want := "< hi there\n" +
		"< [binary 3 bytes] 0102fe\n" +
		"< [binary 40 bytes] " + strings.Repeat("ab", 32) + "…\n" +
		"< ping \"p\"\n" +
		"< close 4000 bye\n"
	if res.status != 3 || res.stdout != want {
		t.Fatalf("status %d, stdout:\n%s\nwant 3 and:\n%s", res.status, res.stdout, want)
	}
	if !strings.Contains(res.stderr, "4000") {
		t.Errorf("stderr %q does not name the close code", res.stderr)
	}
}

// TestConnectInteractivePong checks that keepalive pongs are shown with
// their round-trip time, and that the end of input shows the close sent.
func TestConnectInteractivePong(t *testing.T) {
	url := startConnectPeer(t, connectEchoPeer)
	pr, pw := io.Pipe()
	defer pw.Close()
	var out outputBuffer
	done := make(chan connectResult, 1)
	go func() {
		// A short interval brings a pong soon; the long timeout keeps a
		// loaded machine from dropping the connection for a late one.
		res, _ := connectBounded(pr, &out, "-i", "-ping", "20ms", "-ping-timeout", "10s", url)
		done <- res
	}()
	out.waitFor(t, "< pong ")
	pw.Close()
	res := <-done
	if res.status != 0 {
		t.Fatalf("status %d, stderr %q", res.status, res.stderr)
	}
	for line := range strings.Lines(res.stdout) {
		if rtt, ok := strings.CutPrefix(line, "< pong "); ok {
			if d, err := time.ParseDuration(strings.TrimSpace(rtt)); err != nil || d <= 0 {
				t.Errorf("pong line %q: no round-trip time", line)
			}
		}
	}
	if !strings.HasSuffix(res.stdout, "> close 1000\n< close 1000\n") {
		t.Errorf("stdout %q does not end with the close handshake", res.stdout)
	}
}

// TestConnectCompress checks that -compress offers permessage-deflate,
// and that compressed messages come through.
func TestConnectCompress(t *testing.T) {
	url := startConnectPeer(t, connectEchoPeer, func(s *websocket.Server) {
		s.Compression = &websocket.CompressionOptions{Threshold: 1}
	})
	long := strings.Repeat("compressible ", 100)
	res := connectWith(t, strings.NewReader(long+"\n"), "-i", "-compress", url)
	if res.status != 0 || res.stdout != "> close 1000\n< "+long+"\n< close 1000\n" && res.stdout != "< "+long+"\n> close 1000\n< close 1000\n" {
		t.Fatalf("status %d, stdout %.80q, stderr %q", res.status, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "extensions permessage-deflate") {
		t.Errorf("stderr %q does not name permessage-deflate", res.stderr)
	}
}
