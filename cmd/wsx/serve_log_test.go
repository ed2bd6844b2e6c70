package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// TestServeConnectionLog checks the one log line each connection gets
// when it ends: its level, and fields.
func TestServeConnectionLog(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		opts  *websocket.DialOptions
		end   func(c *websocket.Conn)
		quiet bool
		want  []string // substrings of the line; nil: no line
	}{
		{
			name: "echo, normal closure",
			path: "/echo",
			end:  func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "bye") },
			want: []string{"level=INFO", "path=/echo", "in=1", "out=1", "duration=", "code=1000", "reason=bye"},
		},
		{
			name: "chat, going away",
			path: "/chat",
			end:  func(c *websocket.Conn) { c.Close(websocket.CloseGoingAway, "") },
			want: []string{"level=INFO", "path=/chat", "in=1", "out=1", "code=1001"},
		},
		{
			name: "subprotocol and extensions",
			path: "/x",
			opts: &websocket.DialOptions{
				Subprotocols: []string{"other", "chat.v2"},
				Options:      websocket.Options{Compression: &websocket.CompressionOptions{}},
			},
			end:  func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "") },
			want: []string{"level=INFO", "path=/x", "subprotocol=chat.v2", "extensions=permessage-deflate", "code=1000"},
		},
		{
			name: "dropped",
			path: "/",
			end:  func(c *websocket.Conn) { c.Abort() },
			want: []string{"level=WARN", "path=/", "in=1", "code=1006", "error="},
		},
		{
			name: "policy violation",
			path: "/",
			end:  func(c *websocket.Conn) { c.Close(websocket.ClosePolicyViolation, "no") },
			want: []string{"level=WARN", "code=1008", "reason=no"},
		},
		{
			name:  "quiet hides clean closes",
			path:  "/",
			end:   func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "") },
			quiet: true,
		},
		{
			name:  "quiet keeps warnings",
			path:  "/",
			end:   func(c *websocket.Conn) { c.Abort() },
			quiet: true,
			want:  []string{"level=WARN", "code=1006"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs outputBuffer
			args := []string{"-addr", "127.0.0.1:0", "-subprotocol", "chat.v1,chat.v2"}
			if tt.quiet {
				args = append(args, "-q")
			}
			url, stop, result := startServeLog(t, &logs, args...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := websocket.Dial(ctx, serveBase(url)+tt.path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
			if err := c.WriteText(ctx, "one"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Read(ctx); err != nil {
				t.Fatal(err)
			}
			local := c.LocalAddr().String()
			tt.end(c)
			// Shutdown waits for the connection's handler, which logs.
			stop()
			if err := <-result; err != nil {
				t.Fatal(err)
			}

			lines := logs.lines(`msg="connection closed"`, "remote="+local)
			if tt.want == nil {
				if len(lines) != 0 {
					t.Fatalf("log lines %q, want none", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("%d log lines for the connection, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			for _, w := range append([]string{"time="}, tt.want...) {
				if !strings.Contains(lines[0], w) {
					t.Errorf("log line lacks %s:\n%s", w, lines[0])
				}
			}
		})
	}
}

// TestServeLogsHandshakeErrors checks that a refused handshake is logged
// as a warning, -q or not.
func TestServeLogsHandshakeErrors(t *testing.T) {
	var logs outputBuffer
	url, stop, result := startServeLog(t, &logs, "-addr", "127.0.0.1:0", "-q")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, url, &websocket.DialOptions{Origin: "http://elsewhere.test"})
	if err == nil {
		c.Abort()
		t.Fatal("cross-origin handshake accepted")
	}
	// Shutdown waits for requests in progress, which log their errors.
	stop()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if lines := logs.lines("level=WARN", `msg="server error"`, "op=handshake", "status=403"); len(lines) != 1 {
		t.Fatalf("handshake error logged %d times, want 1; log:\n%s", len(lines), strings.Join(logs.lines(""), "\n"))
	}
}
