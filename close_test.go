package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
)

// readErr starts a Read on c and returns a channel that gets its error.
// Messages read before the error are dropped.
func readErr(ctx context.Context, c *Conn) <-chan error {
	ch := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				ch <- err
				return
			}
		}
	}()
	return ch
}

// waitErr waits for the error on ch.
func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(testTimeout):
		t.Fatal("timed out")
		return nil
	}
}

// writeClose sends a close frame with code and reason from a raw peer;
// code 1005 sends an empty one.
func (r *rawClientConn) writeClose(t *testing.T, masked bool, code uint16, reason string) {
	t.Helper()
	r.writeFrame(t, true, 0, frame.OpClose, masked, frame.AppendClose(nil, code, reason))
}

// expectEOF checks that the peer closes the TCP connection and sends
// nothing more.
func (r *rawClientConn) expectEOF(t *testing.T) {
	t.Helper()
	r.SetReadDeadline(time.Now().Add(testTimeout))
	n, err := io.Copy(io.Discard, r.br)
	if err != nil || n != 0 {
		t.Errorf("after the close frame: %d more bytes, then %v; want EOF at once", n, err)
	}
}

func TestCloseHandshake(t *testing.T) {
	tests := []struct {
		name         string
		serverCloses bool
		code         CloseCode
		reason       string
		wantCode     CloseCode // what the peer sees
		wantReason   string
		readingSelf  bool // the closing side has a Read running
	}{
		{name: "client normal", code: CloseNormal, reason: "bye", wantCode: CloseNormal, wantReason: "bye"},
		{name: "server going away", serverCloses: true, code: CloseGoingAway, reason: "restart",
			wantCode: CloseGoingAway, wantReason: "restart"},
		{name: "client private code", code: 4000, reason: "custom", wantCode: 4000, wantReason: "custom"},
		{name: "server registered code", serverCloses: true, code: 3000, wantCode: 3000},
		{name: "client no status", code: CloseNoStatus, reason: "dropped", wantCode: CloseNoStatus},
		{name: "client zero code", code: 0, reason: "dropped", wantCode: CloseNoStatus},
		{name: "server no status", serverCloses: true, code: CloseNoStatus, wantCode: CloseNoStatus},
		{name: "client while reading", code: CloseNormal, reason: "r", wantCode: CloseNormal, wantReason: "r", readingSelf: true},
		{name: "server while reading", serverCloses: true, code: CloseInternalError, reason: "oops",
			wantCode: CloseInternalError, wantReason: "oops", readingSelf: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			closer, peer := newPair(t, nil, nil)
			if tt.serverCloses {
				closer, peer = peer, closer
			}
			if closer.State() != StateOpen || peer.State() != StateOpen {
				t.Fatalf("states before: %v %v", closer.State(), peer.State())
			}
			if code, _ := closer.CloseStatus(); code != 0 {
				t.Errorf("CloseStatus while open = %v", code)
			}
			peerErr := readErr(ctx, peer)
			var selfErr <-chan error
			if tt.readingSelf {
				selfErr = readErr(ctx, closer)
			}

			if err := closer.Close(tt.code, tt.reason); err != nil {
				t.Fatalf("Close: %v", err)
			}
			err := waitErr(t, peerErr)
			var ce *CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("peer Read error %v (%T) is not a *CloseError", err, err)
			}
			if ce.Code != tt.wantCode || ce.Reason != tt.wantReason || ce.Err != nil {
				t.Errorf("peer got %+v, want code %v reason %q", ce, tt.wantCode, tt.wantReason)
			}
			if got := CloseStatus(fmt.Errorf("chat: %w", err)); got != tt.wantCode {
				t.Errorf("CloseStatus(wrapped) = %v", got)
			}
			if code, reason := peer.CloseStatus(); code != tt.wantCode || reason != tt.wantReason {
				t.Errorf("peer CloseStatus() = %v %q", code, reason)
			}
			// The peer echoes the code without a reason.
			if code, reason := closer.CloseStatus(); code != tt.wantCode || reason != "" {
				t.Errorf("closer CloseStatus() = %v %q", code, reason)
			}
			if closer.State() != StateClosed || peer.State() != StateClosed {
				t.Errorf("states after: closer %v, peer %v", closer.State(), peer.State())
			}
			if tt.readingSelf {
				if err := waitErr(t, selfErr); CloseStatus(err) != tt.wantCode {
					t.Errorf("closer's own Read returned %v", err)
				}
			}
			// Reads after the end keep returning the close.
			if _, _, err := peer.Read(ctx); CloseStatus(err) != tt.wantCode {
				t.Errorf("second peer Read = %v", err)
			}
		})
	}
}

func TestCloseSimultaneous(t *testing.T) {
	client, server := newPair(t, nil, nil)
	errs := make(chan error, 2)
	go func() { errs <- client.Close(CloseNormal, "client") }()
	go func() { errs <- server.Close(CloseGoingAway, "server") }()
	for range 2 {
		if err := waitErr(t, errs); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if client.State() != StateClosed || server.State() != StateClosed {
		t.Errorf("states: client %v, server %v", client.State(), server.State())
	}
	if code, reason := client.CloseStatus(); code != CloseGoingAway || reason != "server" {
		t.Errorf("client saw %v %q", code, reason)
	}
	if code, reason := server.CloseStatus(); code != CloseNormal || reason != "client" {
		t.Errorf("server saw %v %q", code, reason)
	}
}

func TestCloseServerInitiatedRaw(t *testing.T) {
	// The server sends its close frame, is Closing until the client
	// answers, then closes TCP first.
	raw, server := newRawClient(t, nil)
	done := make(chan error, 1)
	go func() { done <- server.Close(CloseGoingAway, "shutdown") }()

	code, reason := raw.readClose(t)
	if code != uint16(CloseGoingAway) || reason != "shutdown" {
		t.Errorf("raw client got close %d %q", code, reason)
	}
	if s := server.State(); s != StateClosing {
		t.Errorf("State after the close frame = %v, want closing", s)
	}
	ctx := testContext(t)
	if err := server.WriteText(ctx, "late"); !errors.Is(err, ErrClosed) {
		t.Errorf("Write while closing = %v, want ErrClosed", err)
	}
	if err := server.Close(CloseNormal, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close while closing = %v, want ErrClosed", err)
	}
	raw.writeClose(t, true, uint16(CloseGoingAway), "")
	if err := waitErr(t, done); err != nil {
		t.Errorf("Close: %v", err)
	}
	raw.expectEOF(t)
	if s := server.State(); s != StateClosed {
		t.Errorf("State after Close = %v", s)
	}
}

func TestCloseClientInitiatedRaw(t *testing.T) {
	// The raw client closes; the server answers and closes TCP first.
	raw, server := newRawClient(t, nil)
	ctx := testContext(t)
	serverErr := readErr(ctx, server)
	raw.writeClose(t, true, 4001, "done here")
	code, reason := raw.readClose(t)
	if code != 4001 || reason != "" {
		t.Errorf("server answered %d %q, want 4001 echoed without a reason", code, reason)
	}
	raw.expectEOF(t)
	err := waitErr(t, serverErr)
	if CloseStatus(err) != 4001 {
		t.Fatalf("server Read = %v", err)
	}
	var ce *CloseError
	if errors.As(err, &ce); ce.Reason != "done here" {
		t.Errorf("reason %q", ce.Reason)
	}
	if server.State() != StateClosed {
		t.Errorf("State = %v", server.State())
	}
}

func TestCloseClientWaitsForServerEOF(t *testing.T) {
	// RFC 6455 §7.1.1: after the close handshake the client waits for the
	// server to close TCP.
	client, raw := newRawServer(t, &DialOptions{Options: Options{CloseTimeout: testTimeout}})
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- client.Close(CloseNormal, "bye") }()
	code, reason := raw.readClose(t)
	if code != uint16(CloseNormal) || reason != "bye" {
		t.Errorf("raw server got %d %q", code, reason)
	}
	raw.writeClose(t, false, uint16(CloseNormal), "")
	// The client must not hang up on its own.
	raw.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := raw.br.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("client sent %d bytes or hung up (%v) before the server closed TCP", n, err)
	}
	raw.Close()
	if err := waitErr(t, done); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > testTimeout/2 {
		t.Errorf("Close took %v after the server hung up", d)
	}
	if client.State() != StateClosed {
		t.Errorf("State = %v", client.State())
	}
}

func TestCloseReasonTruncated(t *testing.T) {
	tests := []struct {
		name, reason string
		wantLen      int
	}{
		{"short", "fine", 4},
		{"exactly 123", strings.Repeat("x", 123), 123},
		{"ascii", strings.Repeat("x", 200), 123},
		{"two-byte", strings.Repeat("é", 70), 122},
		{"three-byte", strings.Repeat("€", 50), 123},
		{"three-byte offset", "ab" + strings.Repeat("€", 50), 122},
		{"four-byte", "a" + strings.Repeat("😀", 40), 121},
		{"four-byte offset", "abc" + strings.Repeat("😀", 40), 123},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, server := newRawClient(t, nil)
			done := make(chan error, 1)
			go func() { done <- server.Close(CloseNormal, tt.reason) }()
			code, reason := raw.readClose(t)
			if code != uint16(CloseNormal) {
				t.Errorf("code %d", code)
			}
			if len(reason) != tt.wantLen || !utf8.ValidString(reason) || !strings.HasPrefix(tt.reason, reason) {
				t.Errorf("reason of %d bytes cut to %q (%d bytes), want the first %d bytes",
					len(tt.reason), reason, len(reason), tt.wantLen)
			}
			raw.writeClose(t, true, uint16(CloseNormal), "")
			if err := waitErr(t, done); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func TestCloseInvalidUTF8Reason(t *testing.T) {
	raw, server := newRawClient(t, nil)
	done := make(chan error, 1)
	go func() { done <- server.Close(CloseNormal, "bad \xff byte") }()
	_, reason := raw.readClose(t)
	if !utf8.ValidString(reason) || !strings.HasPrefix(reason, "bad ") {
		t.Errorf("reason %q", reason)
	}
	raw.writeClose(t, true, uint16(CloseNormal), "")
	if err := waitErr(t, done); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestCloseEmptyFrame(t *testing.T) {
	for _, code := range []CloseCode{0, CloseNoStatus} {
		t.Run(fmt.Sprint(int(code)), func(t *testing.T) {
			raw, server := newRawClient(t, nil)
			done := make(chan error, 1)
			go func() { done <- server.Close(code, "reason dropped") }()
			h, p := raw.readFrame(t)
			if h.Opcode != frame.OpClose || len(p) != 0 {
				t.Errorf("got %v frame with payload %q, want an empty close frame", h.Opcode, p)
			}
			raw.writeClose(t, true, frame.NoStatus, "")
			if err := waitErr(t, done); err != nil {
				t.Errorf("Close: %v", err)
			}
			if code, _ := server.CloseStatus(); code != CloseNoStatus {
				t.Errorf("CloseStatus() = %v", code)
			}
		})
	}
}

func TestCloseInvalidCode(t *testing.T) {
	client, server := newPair(t, nil, nil)
	ctx := testContext(t)
	for _, code := range []CloseCode{-1, 1, 999, CloseReserved1004, CloseAbnormal, CloseTLSHandshake, 1016, 2000, 2999, 5000, 65536 + 1000} {
		err := client.Close(code, "x")
		if err == nil || errors.Is(err, ErrClosed) {
			t.Errorf("Close(%d) = %v, want an error", int(code), err)
		}
	}
	// Nothing was sent: the connection is still open both ways.
	if client.State() != StateOpen {
		t.Errorf("State = %v", client.State())
	}
	go func() {
		typ, p, err := server.Read(ctx)
		if err == nil {
			server.Write(ctx, typ, p)
		}
	}()
	if err := client.WriteText(ctx, "still here"); err != nil {
		t.Fatal(err)
	}
	if _, p, err := client.Read(ctx); err != nil || string(p) != "still here" {
		t.Fatalf("echo %q %v", p, err)
	}
}

func TestCloseTwice(t *testing.T) {
	client, server := newPair(t, nil, nil)
	ctx := testContext(t)
	serverErr := readErr(ctx, server)
	if err := client.Close(CloseNormal, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitErr(t, serverErr)
	for _, c := range []*Conn{client, server} {
		if err := c.Close(CloseNormal, ""); !errors.Is(err, ErrClosed) {
			t.Errorf("Close after close = %v, want ErrClosed", err)
		}
	}
}

func TestCloseTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, tt := range []struct {
		name        string
		client      bool // the Conn under test is a client
		readingSelf bool // a Read is running while Close waits
	}{
		{name: "server"},
		{name: "server while reading", readingSelf: true},
		{name: "client", client: true},
		{name: "client while reading", client: true, readingSelf: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c *Conn
			var raw *rawClientConn
			opts := Options{CloseTimeout: timeout}
			if tt.client {
				c, raw = newRawServer(t, &DialOptions{Options: opts})
			} else {
				raw, c = newRawClient(t, &AcceptOptions{Options: opts})
			}
			var readDone <-chan error
			if tt.readingSelf {
				readDone = readErr(testContext(t), c)
			}
			start := time.Now()
			done := make(chan error, 1)
			go func() { done <- c.Close(CloseNormal, "") }()
			raw.readClose(t) // and never answer
			err := waitErr(t, done)
			elapsed := time.Since(start)
			if err == nil {
				t.Error("Close returned nil though the peer never answered")
			}
			if errors.Is(err, ErrClosed) {
				t.Errorf("Close = %v; ErrClosed means closed already, not timed out", err)
			}
			if elapsed < timeout/2 || elapsed > timeout+2*time.Second {
				t.Errorf("Close took %v with CloseTimeout %v", elapsed, timeout)
			}
			if c.State() != StateClosed {
				t.Errorf("State = %v", c.State())
			}
			raw.expectEOF(t)
			if code, _ := c.CloseStatus(); code != CloseAbnormal {
				t.Errorf("CloseStatus() = %v, want abnormal", code)
			}
			if tt.readingSelf {
				if err := waitErr(t, readDone); CloseStatus(err) != CloseAbnormal {
					t.Errorf("Read = %v, want abnormal closure", err)
				}
			}
		})
	}
}

func TestAbort(t *testing.T) {
	client, server := newPair(t, nil, nil)
	ctx := testContext(t)
	serverErr := readErr(ctx, server)
	clientErr := readErr(ctx, client)
	server.Abort()
	for side, ch := range map[string]<-chan error{"server": serverErr, "client": clientErr} {
		err := waitErr(t, ch)
		var ce *CloseError
		if !errors.As(err, &ce) || ce.Code != CloseAbnormal {
			t.Errorf("%s Read = %v, want a *CloseError with CloseAbnormal", side, err)
		}
	}
	for _, c := range []*Conn{client, server} {
		if c.State() != StateClosed {
			t.Errorf("State = %v", c.State())
		}
		if code, _ := c.CloseStatus(); code != CloseAbnormal {
			t.Errorf("CloseStatus() = %v", code)
		}
		if _, _, err := c.Read(ctx); CloseStatus(err) != CloseAbnormal {
			t.Errorf("later Read = %v", err)
		}
	}
	for _, c := range []*Conn{client, server} {
		if err := c.WriteText(ctx, "x"); !errors.Is(err, ErrClosed) {
			t.Errorf("Write after Abort = %v, want ErrClosed", err)
		}
		if _, err := c.Ping(ctx, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("Ping after Abort = %v, want ErrClosed", err)
		}
		if err := c.Close(CloseNormal, ""); !errors.Is(err, ErrClosed) {
			t.Errorf("Close after Abort = %v, want ErrClosed", err)
		}
	}
	server.Abort() // a second Abort is harmless
}

func TestAbortBeforeRead(t *testing.T) {
	client, _ := newPair(t, nil, nil)
	client.Abort()
	_, _, err := client.Read(testContext(t))
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != CloseAbnormal || ce.Err == nil {
		t.Errorf("Read = %v, want CloseAbnormal with a cause", err)
	}
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read = %v, want its cause to be net.ErrClosed", err)
	}
}

func TestOperationsAfterClose(t *testing.T) {
	client, server := newPair(t, nil, nil)
	ctx := testContext(t)
	serverErr := readErr(ctx, server)
	if err := client.Close(CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	waitErr(t, serverErr)
	for _, c := range []*Conn{client, server} {
		if err := c.Write(ctx, MessageBinary, []byte{1}); !errors.Is(err, ErrClosed) {
			t.Errorf("Write = %v", err)
		}
		if err := c.WriteText(ctx, "x"); !errors.Is(err, ErrClosed) {
			t.Errorf("WriteText = %v", err)
		}
		if w, err := c.Writer(ctx, MessageText); err == nil {
			w.Write([]byte("x"))
			if err := w.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("Writer.Close = %v", err)
			}
		} else if !errors.Is(err, ErrClosed) {
			t.Errorf("Writer = %v", err)
		}
		if _, err := c.Ping(ctx, nil); !errors.Is(err, ErrClosed) {
			t.Errorf("Ping = %v", err)
		}
	}
}

func TestCloseCodeString(t *testing.T) {
	tests := []struct {
		code CloseCode
		want string
	}{
		{CloseNormal, "normal closure (1000)"},
		{CloseGoingAway, "going away (1001)"},
		{CloseProtocolError, "protocol error (1002)"},
		{CloseNoStatus, "no status received (1005)"},
		{CloseAbnormal, "abnormal closure (1006)"},
		{CloseInvalidPayload, "invalid payload data (1007)"},
		{CloseMessageTooBig, "message too big (1009)"},
		{CloseTLSHandshake, "TLS handshake failed (1015)"},
		{3000, "registered code 3000"},
		{3999, "registered code 3999"},
		{4000, "private code 4000"},
		{4999, "private code 4999"},
		{1016, "close code 1016"},
		{5000, "close code 5000"},
		{0, "close code 0"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("CloseCode(%d).String() = %q, want %q", int(tt.code), got, tt.want)
		}
	}
}

func TestCloseStatusFunc(t *testing.T) {
	ce := &CloseError{Code: CloseGoingAway, Reason: "bye"}
	pe := &ProtocolError{Code: CloseInvalidPayload, Reason: "bad UTF-8"}
	tests := []struct {
		name string
		err  error
		want CloseCode
	}{
		{"nil", nil, -1},
		{"other", errors.New("x"), -1},
		{"ErrClosed", ErrClosed, -1},
		{"close error", ce, CloseGoingAway},
		{"wrapped close error", fmt.Errorf("a: %w", fmt.Errorf("b: %w", ce)), CloseGoingAway},
		{"joined close error", errors.Join(errors.New("x"), ce), CloseGoingAway},
		{"protocol error", pe, CloseInvalidPayload},
		{"wrapped protocol error", fmt.Errorf("a: %w", pe), CloseInvalidPayload},
		{"abnormal", &CloseError{Code: CloseAbnormal, Err: io.EOF}, CloseAbnormal},
	}
	for _, tt := range tests {
		if got := CloseStatus(tt.err); got != tt.want {
			t.Errorf("%s: CloseStatus = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCloseErrorText(t *testing.T) {
	tests := []struct {
		err  *CloseError
		want string
	}{
		{&CloseError{Code: CloseNormal}, "websocket: closed: normal closure (1000)"},
		{&CloseError{Code: 4000, Reason: "bye"}, "websocket: closed: private code 4000: bye"},
		{&CloseError{Code: CloseAbnormal, Err: io.EOF}, "websocket: closed: abnormal closure (1006): EOF"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if !errors.Is(&CloseError{Code: CloseAbnormal, Err: io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF) {
		t.Error("CloseError does not unwrap to its cause")
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{
		StateConnecting: "connecting", StateOpen: "open", StateClosing: "closing", StateClosed: "closed", 9: "invalid",
	} {
		if s.String() != want {
			t.Errorf("State(%d).String() = %q, want %q", int(s), s.String(), want)
		}
	}
	for typ, want := range map[MessageType]string{MessageText: "text", MessageBinary: "binary", 0: "invalid"} {
		if typ.String() != want {
			t.Errorf("MessageType(%d).String() = %q, want %q", int(typ), typ.String(), want)
		}
	}
}
