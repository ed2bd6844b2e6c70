package interop_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wsx-go/websocket"
)

// goingAwayReason is the reason python/server.py closes /going-away with.
const goingAwayReason = "python server going away"

// TestGoClientPythonServer runs Dial against python/server.py.
func TestGoClientPythonServer(t *testing.T) {
	requirePython(t)
	ctx := testContext(t)

	srv := startProcess(t, ctx, pythonPath, pythonScript(t, "server.py"))
	line := srv.waitLine(t, ctx, func(l string) bool { return strings.HasPrefix(l, "port ") })
	base := "ws://127.0.0.1:" + strings.TrimPrefix(line, "port ")

	// serverSaw waits for the server's report of how the connection to
	// path ended.
	serverSaw := func(t *testing.T, path, codeAndReason string) {
		t.Helper()
		want := "closed " + path + " " + codeAndReason
		srv.waitLine(t, ctx, func(l string) bool { return l == want })
	}

	t.Run("echo", func(t *testing.T) {
		c := dial(t, ctx, base+"/echo")
		for _, m := range echoMessages() {
			t.Run(m.name, func(t *testing.T) {
				if err := c.Write(ctx, m.typ, m.data); err != nil {
					t.Fatalf("Write: %v", err)
				}
				typ, got, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				checkEcho(t, m, typ, got)
			})
		}
		// No read is running: Close reads the server's close frame itself.
		closeNormally(t, c)
		serverSaw(t, "/echo", "1000 ''")
	})

	t.Run("ping", func(t *testing.T) {
		c := dial(t, ctx, base+"/ping")
		readErr := make(chan error, 1)
		go func() {
			_, _, err := c.Read(ctx)
			readErr <- err
		}()
		rtt, err := c.Ping(ctx, []byte("wsx interop"))
		if err != nil {
			t.Fatalf("Ping: %v", err)
		}
		t.Logf("ping round trip %v", rtt)
		// A read is running: it sees the server's close frame for Close.
		closeNormally(t, c)
		var ce *websocket.CloseError
		if err := <-readErr; !errors.As(err, &ce) || ce.Code != websocket.CloseNormal {
			t.Errorf("concurrent Read returned %v, want a CloseError with %v", err, websocket.CloseNormal)
		}
		serverSaw(t, "/ping", "1000 ''")
	})

	t.Run("server closes with 1001", func(t *testing.T) {
		c := dial(t, ctx, base+"/going-away")
		typ, p, err := c.Read(ctx)
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("Read returned %v %q %v, want a *websocket.CloseError", typ, p, err)
		}
		if ce.Code != websocket.CloseGoingAway || ce.Reason != goingAwayReason {
			t.Errorf("Read returned close %v %q, want %v %q", ce.Code, ce.Reason, websocket.CloseGoingAway, goingAwayReason)
		}
		if code, reason := c.CloseStatus(); code != websocket.CloseGoingAway || reason != goingAwayReason {
			t.Errorf("CloseStatus() = %v %q, want %v %q", code, reason, websocket.CloseGoingAway, goingAwayReason)
		}
		if s := c.State(); s != websocket.StateClosed {
			t.Errorf("State() = %v after the close handshake, want %v", s, websocket.StateClosed)
		}
		if err := c.Close(websocket.CloseNormal, ""); !errors.Is(err, websocket.ErrClosed) {
			t.Errorf("Close after the server's close returned %v, want ErrClosed", err)
		}
		// RFC 6455 §5.5.1: the answering close frame echoes the code.
		serverSaw(t, "/going-away", "1001 ''")
	})
}

// dial opens a connection to url, aborted when the test ends.
func dial(t *testing.T, ctx context.Context, url string) *websocket.Conn {
	t.Helper()
	c, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(c.Abort)
	return c
}

// closeNormally closes c with 1000 and checks the handshake completed.
func closeNormally(t *testing.T, c *websocket.Conn) {
	t.Helper()
	if err := c.Close(websocket.CloseNormal, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := c.State(); s != websocket.StateClosed {
		t.Errorf("State() = %v after Close, want %v", s, websocket.StateClosed)
	}
	if code, _ := c.CloseStatus(); code != websocket.CloseNormal {
		t.Errorf("CloseStatus() = %v after Close, want %v", code, websocket.CloseNormal)
	}
}

// checkEcho checks that the echo of m has its type and bytes.
func checkEcho(t *testing.T, m message, typ websocket.MessageType, got []byte) {
	t.Helper()
	if typ != m.typ {
		t.Errorf("echo is %v, want %v", typ, m.typ)
	}
	if !bytes.Equal(got, m.data) {
		i := 0
		for i < min(len(got), len(m.data)) && got[i] == m.data[i] {
			i++
		}
		t.Errorf("echo of %d bytes differs from the %d sent, first at byte %d", len(got), len(m.data), i)
	}
}
