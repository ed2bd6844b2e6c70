//go:build unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// readUntilClose reads c until it ends, returning the text of the
// messages and the close error.
func readUntilClose(ctx context.Context, c *websocket.Conn) ([]string, error) {
	var got []string
	for range 1000 {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return got, err
		}
		got = append(got, typ.String()+":"+string(msg))
	}
	return got, errors.New("more than 1000 messages")
}

// TestServeExecCLI runs the built wsx serve with -exec and checks the
// bridge from connections to programs.
func TestServeExecCLI(t *testing.T) {
	bin := buildWsxBinary(t)

	type message struct {
		typ  websocket.MessageType
		data string
	}
	tests := []struct {
		name       string
		args       []string
		path       string
		origin     bool // send the server's own origin
		send       []message
		clientEnds bool // the client closes after reading want
		want       []string
		wantCode   websocket.CloseCode
		wantReason string
		wantLog    []string // substrings of one log line each
	}{
		{
			name: "cat round trip",
			args: []string{"-exec", "cat"},
			path: "/cat",
			send: []message{
				{websocket.MessageText, "one"},
				{websocket.MessageText, "two words"},
				{websocket.MessageText, ""},
				{websocket.MessageBinary, "bytes"},
				{websocket.MessageText, "héllo"},
			},
			clientEnds: true,
			want:       []string{"text:one", "text:two words", "text:", "text:bytes", "text:héllo"},
			wantCode:   websocket.CloseNormal,
			wantLog:    []string{`msg="connection closed" remote=127.0.0.1:`},
		},
		{
			name:     "two lines, exit 0",
			args:     []string{"-exec", "echo first; echo second"},
			want:     []string{"text:first", "text:second"},
			wantCode: websocket.CloseNormal,
			wantLog:  []string{"level=INFO", "in=0 out=2", "code=1000"},
		},
		{
			name:       "exit 3",
			args:       []string{"-exec", "echo out; exit 3"},
			want:       []string{"text:out"},
			wantCode:   websocket.CloseInternalError,
			wantReason: "exit status 3",
			wantLog:    []string{"level=WARN", "code=1011", `reason="exit status 3"`},
		},
		{
			name:     "last line without newline",
			args:     []string{"-exec", "printf 'a\\nb'"},
			want:     []string{"text:a", "text:b"},
			wantCode: websocket.CloseNormal,
		},
		{
			name:     "output not UTF-8 goes as binary",
			args:     []string{"-exec", "printf '\\377\\376\\n'"},
			want:     []string{"binary:\xff\xfe"},
			wantCode: websocket.CloseNormal,
		},
		{
			name:     "environment",
			args:     []string{"-exec", `echo "$PATH_INFO|$QUERY_STRING|$SERVER_SOFTWARE|$REMOTE_ADDR|$HTTP_ORIGIN|${REMOTE_PORT:+port}"`},
			path:     "/env/x?a=1&b=2",
			origin:   true,
			want:     []string{"text:/env/x|a=1&b=2|wsx|127.0.0.1|ORIGIN|port"},
			wantCode: websocket.CloseNormal,
		},
		{
			name:     "stderr goes to the log",
			args:     []string{"-exec", "echo oops >&2; read line; echo \"got $line\""},
			send:     []message{{websocket.MessageText, "x"}},
			want:     []string{"text:got x"},
			wantCode: websocket.CloseNormal,
			wantLog:  []string{`msg="exec stderr"`, "line=oops"},
		},
		{
			name:       "line too long",
			args:       []string{"-max-message", "16", "-exec-grace", "200ms", "-exec", "echo short; printf '%040d\\n' 0; sleep 60"},
			want:       []string{"text:short"},
			wantCode:   websocket.CloseMessageTooBig,
			wantReason: "output line too long",
			wantLog:    []string{"level=WARN", "code=1009"},
		},
		{
			name:     "chat stays a chat",
			args:     []string{"-exec", "echo not the chat"},
			path:     "/chat",
			send:     []message{{websocket.MessageText, "to the room"}},
			want:     []string{"text:to the room"},
			wantCode: websocket.CloseNormal, clientEnds: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			srv := startServeBinary(t, bin, tt.args...)
			var opts websocket.DialOptions
			if tt.origin {
				opts.Origin = "http" + strings.TrimPrefix(srv.url, "ws")
			}
			c, err := websocket.Dial(ctx, srv.url+tt.path, &opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
			for _, m := range tt.send {
				if err := c.Write(ctx, m.typ, []byte(m.data)); err != nil {
					t.Fatal(err)
				}
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = strings.ReplaceAll(w, "ORIGIN", opts.Origin)
			}

			var got []string
			if tt.clientEnds {
				for range want {
					typ, msg, err := c.Read(ctx)
					if err != nil {
						t.Fatalf("after %q: %v", got, err)
					}
					got = append(got, typ.String()+":"+string(msg))
				}
				if err := c.Close(websocket.CloseNormal, ""); err != nil {
					t.Errorf("close: %v", err)
				}
			} else {
				got, err = readUntilClose(ctx, c)
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != tt.wantCode || ce.Reason != tt.wantReason {
					t.Errorf("end %v, want close %v %q", err, tt.wantCode, tt.wantReason)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("messages %q, want %q", got, want)
			}

			if err := srv.stop(); err != nil {
				t.Fatalf("wsx serve: %v", err)
			}
			conns := srv.log.lines(`msg="connection closed"`)
			if len(conns) != 1 {
				t.Errorf("%d connection log lines, want 1:\n%s", len(conns), strings.Join(conns, "\n"))
			}
			for _, w := range tt.wantLog {
				if len(srv.log.lines(w)) == 0 {
					t.Errorf("no log line with %s; log:\n%s", w, strings.Join(srv.log.lines(""), "\n"))
				}
			}
			if lines := srv.log.lines("killing"); len(lines) != 0 && tt.wantCode != websocket.CloseMessageTooBig {
				t.Errorf("a program was killed: %s", lines)
			}
		})
	}

	t.Run("killed after the grace period", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The program ignores its stdin closing, and SIGTERM too.
		srv := startServeBinary(t, bin, "-exec-grace", "1s", "-exec", "trap '' TERM; echo $$; exec sleep 60")
		c, err := websocket.Dial(ctx, srv.url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Abort()
		_, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(string(msg))
		if err != nil {
			t.Fatalf("pid %q: %v", msg, err)
		}
		if err := c.Close(websocket.CloseNormal, ""); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("the program is gone before its grace period ended: %v", err)
		}
		// Gone, not a zombie: wsx waited for it once it was killed.
		for syscall.Kill(pid, 0) == nil {
			select {
			case <-ctx.Done():
				t.Fatalf("process %d still exists: %s", pid, procState(pid))
			case <-time.After(20 * time.Millisecond):
			}
		}
		if err := srv.stop(); err != nil {
			t.Fatalf("wsx serve: %v", err)
		}
		if len(srv.log.lines("level=WARN", "killing the program", "grace=1s")) != 1 {
			t.Errorf("no kill logged; log:\n%s", strings.Join(srv.log.lines(""), "\n"))
		}
	})

	t.Run("shutdown closes with 1001", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv := startServeBinary(t, bin, "-exec", "cat")
		c, err := websocket.Dial(ctx, srv.url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Abort()
		if err := c.WriteText(ctx, "ping"); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := c.Read(ctx); err != nil || string(msg) != "ping" {
			t.Fatalf("read %q, %v", msg, err)
		}
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.CloseGoingAway {
			t.Errorf("read %v, want 1001", err)
		}
		if err := srv.stop(); err != nil {
			t.Fatalf("wsx serve: %v", err)
		}
	})
}

// procState returns the state line of a process, for a failure message.
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, "State:") {
			return strings.TrimSpace(line)
		}
	}
	return "unknown"
}
