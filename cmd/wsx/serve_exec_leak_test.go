//go:build unix

package main

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// execGoroutines returns the stacks of the goroutines of the -exec
// bridge. The bridge waits for its command, so exec's own goroutines end
// before it does.
func execGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "wsx.(*execBridge)") || strings.Contains(g, "wsx.feedStdin") || strings.Contains(g, "wsx.(*stderrLogger)") {
			out = append(out, g)
		}
	}
	return out
}

// TestServeExecEnds runs -exec in process through the ways a bridge
// ends, then checks that once the server has shut down no goroutine of
// the bridge is left.
func TestServeExecEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs programs: not in -short mode")
	}
	tests := []struct {
		name     string
		command  string
		send     []string
		end      func(c *websocket.Conn) // nil: the server ends it
		want     []string
		wantCode websocket.CloseCode // when the server ends it
	}{
		{name: "client closes", command: "cat", send: []string{"a", "b"}, want: []string{"a", "b"},
			end: func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "") }},
		{name: "client drops", command: "cat", send: []string{"a"}, want: []string{"a"},
			end: func(c *websocket.Conn) { c.Abort() }},
		{name: "program ignores stdin", command: "echo ready; exec sleep 60", want: []string{"ready"},
			end: func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "") }},
		{name: "child holds stdout after the client left", command: "sleep 60 & echo ready; exec cat", want: []string{"ready"},
			end: func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "") }},
		{name: "child holds stdout after exit 0", command: "sleep 60 & echo ready", want: []string{"ready"},
			wantCode: websocket.CloseNormal},
		{name: "program is killed", command: "echo ready; kill -9 $$", want: []string{"ready"},
			wantCode: websocket.CloseInternalError},
		{name: "program does not read its stdin", command: "echo ready; exec sleep 60",
			send: []string{strings.Repeat("x", 1<<20), strings.Repeat("y", 1<<20)}, want: []string{"ready"},
			end: func(c *websocket.Conn) { c.Close(websocket.CloseNormal, "") }},
		{name: "server shuts down", command: "echo ready; exec sleep 60", want: []string{"ready"}},
		// Enough to fill the pipe and the queue, so the bridge stops
		// reading the connection, but not the socket buffers.
		{name: "server shuts down while stdin is full", command: "echo ready; exec sleep 60",
			send: slices.Repeat([]string{strings.Repeat("z", 16<<10)}, 40), want: []string{"ready"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs outputBuffer
			url, stop, result := startServeLog(t, &logs, "-addr", "127.0.0.1:0", "-exec-grace", "100ms", "-exec", tt.command)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := websocket.Dial(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
			for _, m := range tt.send {
				if err := c.WriteText(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			for _, w := range tt.want {
				if _, msg, err := c.Read(ctx); err != nil || string(msg) != w {
					t.Fatalf("read %q, %v; want %q", msg, err, w)
				}
			}
			switch {
			case tt.end != nil:
				tt.end(c)
			case tt.wantCode != 0:
				_, _, err := c.Read(ctx)
				if code := websocket.CloseStatus(err); code != tt.wantCode {
					t.Errorf("end %v, want %v", err, tt.wantCode)
				}
			default:
				// The server shuts down while the program runs.
				readErr := make(chan error, 1)
				go func() {
					_, _, err := c.Read(ctx)
					readErr <- err
				}()
				stop()
				if err := <-readErr; websocket.CloseStatus(err) != websocket.CloseGoingAway {
					t.Errorf("end %v, want 1001", err)
				}
			}
			stop()
			if err := <-result; err != nil {
				t.Fatal(err)
			}
			if lines := logs.lines(`msg="connection closed"`); len(lines) != 1 {
				t.Errorf("%d connection lines, want 1; log:\n%s", len(lines), strings.Join(logs.lines(""), "\n"))
			}
			// runServe has returned, so every handler has: nothing of
			// the bridge may be left, but goroutines on their way out.
			for i := 0; ; i++ {
				left := execGoroutines()
				if len(left) == 0 {
					break
				}
				if i == 100 {
					t.Fatalf("%d goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
