package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// readMessages reads c until an error and forwards the text of each
// message.
func readMessages(ctx context.Context, c *Conn) <-chan string {
	ch := make(chan string, 16)
	go func() {
		defer close(ch)
		for {
			_, p, err := c.Read(ctx)
			if err != nil {
				return
			}
			ch <- string(p)
		}
	}()
	return ch
}

type pingResult struct {
	rtt time.Duration
	err error
}

func startPing(ctx context.Context, c *Conn, payload []byte) <-chan pingResult {
	ch := make(chan pingResult, 1)
	go func() {
		rtt, err := c.Ping(ctx, payload)
		ch <- pingResult{rtt, err}
	}()
	return ch
}

func waitPing(t *testing.T, ch <-chan pingResult) pingResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(testTimeout):
		t.Fatal("Ping did not return")
		return pingResult{}
	}
}

func TestPing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		fromSrv bool
		payload []byte
	}{
		{"client empty", false, nil},
		{"client payload", false, []byte("are you there")},
		{"client 125 bytes", false, bytes.Repeat([]byte{'p'}, 125)},
		{"server payload", true, []byte{0, 1, 2, 0xff}},
		{"server empty", true, []byte{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			pinger, peer := newPair(t, nil, nil)
			if tt.fromSrv {
				pinger, peer = peer, pinger
			}
			readMessages(ctx, peer)   // answers the ping
			readMessages(ctx, pinger) // sees the pong
			rtt, err := pinger.Ping(ctx, tt.payload)
			if err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if rtt <= 0 || rtt > testTimeout {
				t.Errorf("RTT = %v", rtt)
			}
		})
	}
}

func TestPingConcurrent(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	readMessages(ctx, server)
	readMessages(ctx, client)
	var pings []<-chan pingResult
	for i := range 20 {
		// Half the pings share a payload.
		payload := fmt.Appendf(nil, "ping %d", i%10)
		pings = append(pings, startPing(ctx, client, payload))
	}
	for _, ch := range pings {
		if r := waitPing(t, ch); r.err != nil || r.rtt <= 0 {
			t.Errorf("Ping = %v, %v", r.rtt, r.err)
		}
	}
}

func TestPingPayloadCut(t *testing.T) {
	ctx := testContext(t)
	client, raw := newRawServer(t, nil)
	readMessages(ctx, client)
	payload := make([]byte, 200)
	for i := range payload {
		payload[i] = byte(i)
	}
	res := startPing(ctx, client, payload)
	h, p := raw.readFrame(t)
	if h.Opcode != frame.OpPing || !h.Fin || !h.Masked {
		t.Fatalf("got %+v, want a masked final ping", h)
	}
	if !bytes.Equal(p, payload[:125]) {
		t.Fatalf("ping payload of %d bytes, want the first 125 of 200", len(p))
	}
	raw.writeFrame(t, true, 0, frame.OpPong, false, p)
	if r := waitPing(t, res); r.err != nil || r.rtt <= 0 {
		t.Errorf("Ping = %v, %v", r.rtt, r.err)
	}
}

func TestPingWithoutReaderWaitsForContext(t *testing.T) {
	client, server := newPair(t, nil, nil)
	readMessages(testContext(t), server) // the server answers; nobody reads the pong
	ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := client.Ping(ctx, []byte("lost"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Ping took %v", d)
	}
	// The connection survives the abandoned ping: the late pong is
	// ignored and the next ping works.
	if client.State() != StateOpen {
		t.Fatalf("State = %v", client.State())
	}
	ctx = testContext(t)
	msgs := readMessages(ctx, client)
	if _, err := client.Ping(ctx, []byte("lost")); err != nil {
		t.Fatalf("second Ping: %v", err)
	}
	if err := server.WriteText(ctx, "still open"); err != nil {
		t.Fatal(err)
	}
	if m := <-msgs; m != "still open" {
		t.Errorf("read %q", m)
	}
}

func TestPingCancelledContext(t *testing.T) {
	client, _ := newPair(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client.Ping(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping = %v, want context.Canceled", err)
	}
	if client.State() != StateOpen {
		t.Errorf("State = %v", client.State())
	}
}

func TestPingUnsolicitedPong(t *testing.T) {
	ctx := testContext(t)
	client, raw := newRawServer(t, nil)
	msgs := readMessages(ctx, client)
	text := func(s string) { raw.writeFrame(t, true, 0, frame.OpText, false, []byte(s)) }

	// A pong nobody waits for is ignored.
	raw.writeFrame(t, true, 0, frame.OpPong, false, []byte("unasked"))
	text("one")
	if m := <-msgs; m != "one" {
		t.Fatalf("read %q", m)
	}

	res := startPing(ctx, client, []byte("mine"))
	if h, p := raw.readFrame(t); h.Opcode != frame.OpPing || string(p) != "mine" {
		t.Fatalf("got %v %q", h.Opcode, p)
	}
	// Pongs with other payloads do not complete the ping. The message
	// after them shows they have been read.
	raw.writeFrame(t, true, 0, frame.OpPong, false, []byte("other"))
	raw.writeFrame(t, true, 0, frame.OpPong, false, nil)
	raw.writeFrame(t, true, 0, frame.OpPong, false, []byte("mine and more"))
	text("two")
	if m := <-msgs; m != "two" {
		t.Fatalf("read %q", m)
	}
	select {
	case r := <-res:
		t.Fatalf("Ping returned %v, %v on a pong with another payload", r.rtt, r.err)
	default:
	}
	raw.writeFrame(t, true, 0, frame.OpPong, false, []byte("mine"))
	if r := waitPing(t, res); r.err != nil || r.rtt <= 0 {
		t.Errorf("Ping = %v, %v", r.rtt, r.err)
	}
}

func TestPingsAnswered(t *testing.T) {
	t.Run("client answers", func(t *testing.T) {
		ctx := testContext(t)
		client, raw := newRawServer(t, nil)
		msgs := readMessages(ctx, client)
		raw.writeFrame(t, true, 0, frame.OpPing, false, []byte("hello?"))
		h, p := raw.readFrame(t)
		if h.Opcode != frame.OpPong || !h.Masked || string(p) != "hello?" {
			t.Errorf("got %+v %q, want a masked pong with the ping's payload", h, p)
		}
		// A ping between the frames of a message is answered at once.
		raw.writeFrame(t, false, 0, frame.OpText, false, []byte("frag"))
		raw.writeFrame(t, true, 0, frame.OpPing, false, nil)
		if h, p := raw.readFrame(t); h.Opcode != frame.OpPong || len(p) != 0 {
			t.Errorf("got %v %q", h.Opcode, p)
		}
		raw.writeFrame(t, true, 0, frame.OpContinuation, false, []byte("ment"))
		if m := <-msgs; m != "fragment" {
			t.Errorf("read %q", m)
		}
	})
	t.Run("server answers", func(t *testing.T) {
		ctx := testContext(t)
		raw, server := newRawClient(t, nil)
		readMessages(ctx, server)
		raw.writeFrame(t, true, 0, frame.OpPing, true, []byte("hi"))
		h, p := raw.readFrame(t)
		if h.Opcode != frame.OpPong || h.Masked || string(p) != "hi" {
			t.Errorf("got %+v %q, want an unmasked pong", h, p)
		}
	})
}

func TestPingEndsWithConnection(t *testing.T) {
	ctx := testContext(t)
	client, raw := newRawServer(t, nil)
	res := startPing(ctx, client, []byte("x"))
	raw.readFrame(t) // the ping, never answered
	client.Abort()
	if r := waitPing(t, res); !errors.Is(r.err, ErrClosed) {
		t.Errorf("Ping = %v, want ErrClosed", r.err)
	}
}

// TestSendPingUnansweredBounded: pings sent with SendPing that the peer
// never answers (RFC 6455 §5.5.3 lets it answer only the latest) do not
// pile up without bound.
func TestSendPingUnansweredBounded(t *testing.T) {
	checkNoLeaks(t)
	raw, server := newRawClient(t, nil)
	go io.Copy(io.Discard, raw) // reads the pings, answers none
	for i := range 1000 {
		if err := server.SendPing([]byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	server.pings.mu.Lock()
	n := len(server.pings.waiters)
	server.pings.mu.Unlock()
	if n > maxUnansweredPings {
		t.Errorf("%d pings wait for pongs after 1000 SendPing calls, want at most %d", n, maxUnansweredPings)
	}
}
