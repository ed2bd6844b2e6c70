package websocket

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// recorder is a Handler that writes down every event as a line, and fails
// the test if two of its methods ever run at once.
type recorder struct {
	t      testing.TB
	inside atomic.Int32
	mu     sync.Mutex
	events []string
	errs   []error
	// onOpen and onText, when set, run inside OnOpen and OnText.
	onOpen func(c *Conn)
	onText func(c *Conn, text string)
	closed chan struct{} // closed by OnClose
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, closed: make(chan struct{})}
}

func (r *recorder) enter() func() {
	if n := r.inside.Add(1); n != 1 {
		r.t.Errorf("%d Handler methods run at once", n)
	}
	return func() { r.inside.Add(-1) }
}

func (r *recorder) record(format string, args ...any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) OnOpen(c *Conn) {
	defer r.enter()()
	r.record("open")
	if r.onOpen != nil {
		r.onOpen(c)
	}
}

func (r *recorder) OnText(c *Conn, text []byte) {
	defer r.enter()()
	r.record("text %s", text)
	if r.onText != nil {
		r.onText(c, string(text))
	}
}

func (r *recorder) OnBinary(c *Conn, data []byte) {
	defer r.enter()()
	r.record("binary %x", data)
}

func (r *recorder) OnFrame(c *Conn, f Frame) {
	defer r.enter()()
	r.record("frame %s %q final=%v", f.Type, f.Data, f.Final)
}

func (r *recorder) OnPing(c *Conn, payload []byte) {
	defer r.enter()()
	r.record("ping %s", payload)
}

func (r *recorder) OnPong(c *Conn, rtt time.Duration, payload []byte) {
	defer r.enter()()
	r.record("pong %s answered=%v", payload, rtt > 0)
}

func (r *recorder) OnBytesWritten(c *Conn, n int) {
	defer r.enter()()
	r.record("written %d", n)
}

func (r *recorder) OnStateChange(c *Conn, s State) {
	defer r.enter()()
	r.record("state %s", s)
}

func (r *recorder) OnError(c *Conn, err error) {
	defer r.enter()()
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	r.record("error")
}

func (r *recorder) OnClose(c *Conn, code CloseCode, reason string) {
	defer r.enter()()
	r.record("close %d %s", code, reason)
	close(r.closed) // a second OnClose panics
}

// runAsync runs Run in a goroutine and returns the channel of its result.
func runAsync(ctx context.Context, c *Conn, h Handler) <-chan error {
	done := make(chan error, 1)
	go func() { done <- Run(ctx, c, h) }()
	return done
}

// awaitRun waits for Run's result.
func awaitRun(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(testTimeout):
		t.Fatal("Run did not return")
		return nil
	}
}

// indexOf returns the position of the first event that starts with prefix,
// failing the test when there is none.
func indexOf(t *testing.T, events []string, prefix string) int {
	t.Helper()
	for i, e := range events {
		if strings.HasPrefix(e, prefix) {
			return i
		}
	}
	t.Fatalf("no event %q in\n%s", prefix, strings.Join(events, "\n"))
	return -1
}

// TestRunEvents drives each side of a connection with Run while the other
// side, on the blocking API, sends messages of every kind, a fragmented
// one, a ping and a close. Every callback must fire, in the order of the
// wire, with open first and close last, once.
func TestRunEvents(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			checkNoLeaks(t)
			ctx := testContext(t)
			client, server := newPair(t, nil, nil)
			driven, peer := client, server
			if side == "server" {
				driven, peer = server, client
			}
			rec := newRecorder(t)
			rec.onOpen = func(c *Conn) {
				if err := c.SendText("from the handler"); err != nil {
					t.Errorf("SendText in OnOpen: %v", err)
				}
				if err := c.SendPing([]byte("q")); err != nil {
					t.Errorf("SendPing in OnOpen: %v", err)
				}
			}
			done := runAsync(ctx, driven, rec)

			// The peer reads in the background, which answers the ping.
			got := make(chan string, 4)
			peerDone := make(chan error, 1)
			go func() {
				for {
					_, msg, err := peer.Read(ctx)
					if err != nil {
						peerDone <- err
						return
					}
					got <- string(msg)
				}
			}()
			if msg := <-got; msg != "from the handler" {
				t.Errorf("peer read %q", msg)
			}
			mustWrite(t, peer, MessageText, "hi")
			mustWrite(t, peer, MessageBinary, "\x01\x02\x03")
			// A fragmented message, in two frames.
			if err := peer.writeFrame(frame.OpText, 0, false, []byte("fr1")); err != nil {
				t.Fatal(err)
			}
			if err := peer.writeFrame(frame.OpContinuation, 0, true, []byte("fr2")); err != nil {
				t.Fatal(err)
			}
			if _, err := peer.Ping(ctx, []byte("p1")); err != nil {
				t.Fatalf("peer Ping: %v", err)
			}
			if err := peer.Close(4001, "bye"); err != nil {
				t.Fatalf("peer Close: %v", err)
			}
			err := awaitRun(t, done)
			if CloseStatus(err) != 4001 {
				t.Errorf("Run returned %v, want the peer's close 4001", err)
			}
			<-peerDone

			events := rec.log()
			t.Logf("events:\n%s", strings.Join(events, "\n"))
			if len(events) < 2 || events[0] != "state open" || events[1] != "open" {
				t.Errorf("first events %q, want state open then open", events[:min(2, len(events))])
			}
			if last := events[len(events)-1]; last != "close 4001 bye" {
				t.Errorf("last event %q, want close 4001 bye", last)
			}
			if n := countPrefix(events, "close "); n != 1 {
				t.Errorf("%d close events", n)
			}
			if n := countPrefix(events, "error"); n != 0 {
				t.Errorf("OnError called after a clean close: %v", rec.errs)
			}
			// The wire's order.
			order := []string{
				`frame text "hi" final=true`, "text hi",
				`frame binary "\x01\x02\x03" final=true`, "binary 010203",
				`frame text "fr1" final=false`, `frame text "fr2" final=true`, "text fr1fr2",
				"ping p1",
				"state closing", "state closed", "close 4001 bye",
			}
			last := -1
			for _, e := range order {
				i := indexOf(t, events, e)
				if i <= last {
					t.Errorf("event %q at %d, before the one expected before it (%d)", e, i, last)
				}
				last = i
			}
			// Events of our own sends: the pong of the handler's ping and
			// the bytes written of its message (payload 16 + header).
			indexOf(t, events, "pong q answered=true")
			header := 2
			if side == "client" {
				header = 6
			}
			indexOf(t, events, fmt.Sprintf("written %d", 16+header))
		})
	}
}

// TestRunDroppedAndCancelled checks OnError and OnClose when the
// connection ends without a close handshake: the peer drops TCP, or Run's
// context ends.
func TestRunDroppedAndCancelled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		end     func(cancel context.CancelFunc, peer *Conn)
		wantErr func(error) bool
	}{
		{"peer drops TCP", func(_ context.CancelFunc, peer *Conn) { peer.Abort() }, func(err error) bool {
			var ce *CloseError
			return errors.As(err, &ce) && ce.Code == CloseAbnormal
		}},
		{"context ends", func(cancel context.CancelFunc, _ *Conn) { cancel() }, func(err error) bool {
			return errors.Is(err, context.Canceled)
		}},
	} {
		for _, side := range []string{"client", "server"} {
			t.Run(side+"/"+tc.name, func(t *testing.T) {
				checkNoLeaks(t)
				ctx, cancel := context.WithCancel(testContext(t))
				defer cancel()
				client, server := newPair(t, nil, nil)
				driven, peer := client, server
				if side == "server" {
					driven, peer = server, client
				}
				rec := newRecorder(t)
				done := runAsync(ctx, driven, rec)
				mustWrite(t, peer, MessageText, "one")
				waitFor(t, func() bool { return slices.Contains(rec.log(), "text one") })
				tc.end(cancel, peer)
				err := awaitRun(t, done)
				if !tc.wantErr(err) {
					t.Errorf("Run returned %v", err)
				}
				events := rec.log()
				want := []string{"state open", "open", `frame text "one" final=true`, "text one", "state closed", "error", "close 1006 "}
				if !slices.Equal(events, want) {
					t.Errorf("events\n%q\nwant\n%q", events, want)
				}
				if len(rec.errs) != 1 || !tc.wantErr(rec.errs[0]) {
					t.Errorf("OnError got %v", rec.errs)
				}
			})
		}
	}
}

// TestRunProtocolError: a peer that breaks the protocol gets a close frame
// with 1002; the Handler hears of it in OnError, then OnClose.
func TestRunProtocolError(t *testing.T) {
	checkNoLeaks(t)
	raw, server := newRawClient(t, nil)
	rec := newRecorder(t)
	done := runAsync(testContext(t), server, rec)
	raw.writeFrame(t, true, 0, frame.OpText, false, []byte("unmasked")) // a client must mask
	if code, _ := raw.readClose(t); code != uint16(CloseProtocolError) {
		t.Errorf("server sent close %d", code)
	}
	raw.Close()
	err := awaitRun(t, done)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != CloseProtocolError {
		t.Errorf("Run returned %v", err)
	}
	events := rec.log()
	if events[len(events)-2] != "error" || !strings.HasPrefix(events[len(events)-1], "close ") {
		t.Errorf("events end %q", events[len(events)-2:])
	}
	if len(rec.errs) != 1 || !errors.As(rec.errs[0], &pe) {
		t.Errorf("OnError got %v", rec.errs)
	}
	if slices.ContainsFunc(events, func(e string) bool { return strings.HasPrefix(e, "text") }) {
		t.Errorf("the broken frame was delivered: %q", events)
	}
}

// TestRunCloseFromHandler: Close called inside OnText does not block the
// Handler; Run completes the handshake and reports it.
func TestRunCloseFromHandler(t *testing.T) {
	checkNoLeaks(t)
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	rec := newRecorder(t)
	returned := make(chan error, 1)
	rec.onText = func(c *Conn, text string) {
		start := time.Now()
		returned <- c.Close(CloseNormal, "enough")
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close in OnText took %v", d)
		}
	}
	done := runAsync(ctx, server, rec)
	mustWrite(t, client, MessageText, "bye")
	_, _, err := client.Read(ctx) // answers the close
	if CloseStatus(err) != CloseNormal {
		t.Errorf("client read %v", err)
	}
	if err := <-returned; err != nil {
		t.Errorf("Close in OnText returned %v", err)
	}
	if err := awaitRun(t, done); CloseStatus(err) != CloseNormal {
		t.Errorf("Run returned %v", err)
	}
	events := rec.log()
	if last := events[len(events)-1]; last != "close 1000 " {
		t.Errorf("last event %q", last)
	}
	if slices.Contains(events, "error") {
		t.Errorf("OnError after a clean close: %v", rec.errs)
	}
	if err := server.Close(CloseNormal, ""); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close returned %v, want ErrClosed", err)
	}
}

// TestRunTwice: a second Run on the same connection is refused.
func TestRunTwice(t *testing.T) {
	checkNoLeaks(t)
	client, server := newPair(t, nil, nil)
	done := runAsync(testContext(t), server, NopHandler{})
	waitFor(t, func() bool { return server.runner.Load() != nil })
	if err := Run(testContext(t), server, NopHandler{}); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run returned %v", err)
	}
	client.Close(CloseNormal, "")
	awaitRun(t, done)
}

// TestRunLargeFragmentedMessage: a message of many frames reaches OnText
// whole, with an OnFrame per frame.
func TestRunLargeFragmentedMessage(t *testing.T) {
	checkNoLeaks(t)
	client, server := newPair(t, &DialOptions{Options: Options{OutgoingFrameSize: 1000}}, nil)
	want := strings.Repeat("ü€", 3000) // 15000 bytes, characters cut across frames
	var frames int
	var text string
	h := &funcHandler{
		frame: func(f Frame) { frames++ },
		text: func(c *Conn, p []byte) {
			text = string(p)
			c.Close(CloseNormal, "")
		},
	}
	done := runAsync(testContext(t), server, h)
	mustWrite(t, client, MessageText, want)
	client.Read(testContext(t))
	awaitRun(t, done)
	if text != want {
		t.Errorf("OnText got %d bytes, want %d", len(text), len(want))
	}
	if frames < 15 {
		t.Errorf("%d OnFrame calls for 15000 bytes in frames of 1000", frames)
	}
}

// funcHandler is a Handler made of functions, for short tests.
type funcHandler struct {
	NopHandler
	frame func(f Frame)
	text  func(c *Conn, p []byte)
}

func (h *funcHandler) OnFrame(c *Conn, f Frame) {
	if h.frame != nil {
		h.frame(f)
	}
}

func (h *funcHandler) OnText(c *Conn, p []byte) {
	if h.text != nil {
		h.text(c, p)
	}
}

func mustWrite(t testing.TB, c *Conn, typ MessageType, s string) {
	t.Helper()
	if err := c.Write(testContext(t), typ, []byte(s)); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func countPrefix(events []string, prefix string) int {
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// waitFor polls cond until it holds, failing the test after testTimeout.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRunCloseKeepsLateMessages: messages that arrive after Close was
// called, before the peer's close frame, still reach the Handler, even
// when Close is called while Run is not inside a read.
func TestRunCloseKeepsLateMessages(t *testing.T) {
	checkNoLeaks(t)
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	var got []string
	h := &funcHandler{text: func(c *Conn, p []byte) {
		got = append(got, string(p))
		if len(got) == 1 {
			c.Close(CloseNormal, "")
			// Give Close's goroutine time to act while Run is here,
			// outside its reads, with the second message waiting.
			time.Sleep(50 * time.Millisecond)
		}
	}}
	mustWrite(t, server, MessageText, "first")
	mustWrite(t, server, MessageText, "second")
	done := runAsync(ctx, client, h)
	if _, _, err := server.Read(ctx); CloseStatus(err) != CloseNormal {
		t.Errorf("server read %v", err)
	}
	if err := awaitRun(t, done); CloseStatus(err) != CloseNormal {
		t.Errorf("Run returned %v", err)
	}
	if !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("OnText got %q, want both messages", got)
	}
}
