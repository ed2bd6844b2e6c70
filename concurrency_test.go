package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
)

const (
	concWriters  = 8
	concMessages = 1000
	concHeader   = len("ww:ssssss:")
)

// concSizes are the payload sizes, after the header, the writers cycle
// through: frame length encodings and OutgoingFrameSize (4096) boundaries.
var concSizes = []int{0, 1, 125, 126, 1000, 4086, 4087, 70000}

// concBinary and concText are the pools message payloads are cut from.
var concBinary, concText = func() ([]byte, []byte) {
	const n = 300_000 + 1024
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	runes := []rune{'a', '\u00e9', '\u20ac', '\U0001d11e', 'b', '\u00fc', '\u4e16'}
	var t []byte
	for i := 0; len(t) < n; i++ {
		t = utf8.AppendRune(t, runes[i*i%len(runes)])
	}
	return b, t
}()

// concMessage returns message seq of writer w: a header naming both, then
// a payload only they determine. Odd messages are text, with code points of
// every length, so text frames are cut between code points.
func concMessage(w, seq int) (MessageType, []byte) {
	n := concSizes[seq%len(concSizes)]
	if seq%97 == 0 {
		n = 300_000
	}
	p := make([]byte, 0, concHeader+n)
	p = fmt.Appendf(p, "%02d:%06d:", w, seq)
	off := (w*131 + seq*17) % 1000
	if seq%2 == 0 {
		return MessageBinary, append(p, concBinary[off:off+n]...)
	}
	for !utf8.RuneStart(concText[off]) {
		off++
	}
	end := off + n
	for !utf8.RuneStart(concText[end]) {
		end--
	}
	p = append(p, concText[off:end]...)
	for len(p) < concHeader+n {
		p = append(p, 'z')
	}
	return MessageText, p
}

// checkConcMessage checks that p is the next message of its writer.
func checkConcMessage(typ MessageType, p []byte, next *[concWriters]int) error {
	if len(p) < concHeader {
		return fmt.Errorf("message of %d bytes has no header", len(p))
	}
	w, err1 := strconv.Atoi(string(p[0:2]))
	seq, err2 := strconv.Atoi(string(p[3:9]))
	if err1 != nil || err2 != nil || w < 0 || w >= concWriters {
		return fmt.Errorf("bad message header %q", p[:concHeader])
	}
	if seq != next[w] {
		return fmt.Errorf("writer %d: got message %d, want %d", w, seq, next[w])
	}
	next[w]++
	wantTyp, want := concMessage(w, seq)
	if typ != wantTyp || !bytes.Equal(p, want) {
		return fmt.Errorf("writer %d message %d: got %v of %d bytes, want %v of %d bytes", w, seq, typ, len(p), wantTyp, len(want))
	}
	return nil
}

// TestConcurrentWriters writes fragmented messages of mixed sizes from
// several goroutines on one Conn while another goroutine pings: every
// message must arrive whole, byte-exact and in order per writer, and every
// ping must be answered.
func TestConcurrentWriters(t *testing.T) {
	client, server := newPair(t, &DialOptions{Options: Options{OutgoingFrameSize: 4096}}, nil)
	// About 100 MB cross the connection: allow more than testTimeout on a
	// loaded machine under the race detector.
	ctx, cancel := context.WithTimeout(context.Background(), 6*testTimeout)
	defer cancel()
	messages := concMessages
	if testing.Short() {
		messages = 100
	}

	// The server reads every message, answering pings on the way.
	type serverResult struct {
		got int
		err error // the error that ended reading
		bad error // the first wrong message
	}
	allRead := make(chan struct{})
	serverDone := make(chan serverResult, 1)
	go func() {
		var res serverResult
		var next [concWriters]int
		var buf []byte
		for {
			typ, p, err := server.ReadInto(ctx, buf)
			if err != nil {
				res.err = err
				serverDone <- res
				return
			}
			buf = p
			if err := checkConcMessage(typ, p, &next); err != nil && res.bad == nil {
				res.bad = err
			}
			res.got++
			if res.got == concWriters*messages {
				close(allRead)
			}
		}
	}()

	// The client reads too, or its pongs would never be seen.
	clientDone := make(chan error, 1)
	go func() {
		typ, p, err := client.Read(ctx)
		if err == nil {
			err = fmt.Errorf("client read an unexpected %v message of %d bytes", typ, len(p))
		}
		clientDone <- err
	}()

	writersDone := make(chan struct{})
	var writers sync.WaitGroup
	for w := range concWriters {
		writers.Go(func() {
			for seq := range messages {
				typ, p := concMessage(w, seq)
				if err := client.Write(ctx, typ, p); err != nil {
					t.Errorf("writer %d message %d: %v", w, seq, err)
					return
				}
			}
		})
	}
	go func() {
		writers.Wait()
		close(writersDone)
	}()

	// Ping while the writers run, at least minPings times.
	const minPings = 20
	pingDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if i >= minPings {
				select {
				case <-writersDone:
					pingDone <- nil
					return
				default:
				}
			}
			if _, err := client.Ping(ctx, fmt.Appendf(nil, "ping %d", i)); err != nil {
				pingDone <- fmt.Errorf("ping %d: %w", i, err)
				return
			}
		}
	}()

	for _, ch := range []struct {
		name string
		c    <-chan struct{}
	}{{"writers", writersDone}, {"server reader", allRead}} {
		select {
		case <-ch.c:
		case <-ctx.Done():
			t.Fatalf("%s did not finish", ch.name)
		}
	}
	select {
	case err := <-pingDone:
		if err != nil {
			t.Error(err)
		}
	case <-ctx.Done():
		t.Fatal("pings did not finish")
	}

	if err := client.Close(CloseNormal, "done"); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case res := <-serverDone:
		if res.bad != nil {
			t.Error(res.bad)
		}
		if res.got != concWriters*messages {
			t.Errorf("server read %d messages, want %d", res.got, concWriters*messages)
		}
		if CloseStatus(res.err) != CloseNormal {
			t.Errorf("server read ended with %v, want close 1000", res.err)
		}
	case <-ctx.Done():
		t.Fatal("server read did not end")
	}
	select {
	case err := <-clientDone:
		if CloseStatus(err) != CloseNormal {
			t.Errorf("client read ended with %v, want close 1000", err)
		}
	case <-ctx.Done():
		t.Fatal("client read did not end")
	}
}

// TestCloseBetweenFragments checks that Close does not wait for a long
// message being written: its close frame goes out between two fragments,
// the message is cut off there, and its write fails with ErrClosed.
func TestCloseBetweenFragments(t *testing.T) {
	tests := []struct {
		name string
		// write writes a long message; closed is closed once Close has
		// returned.
		write func(ctx context.Context, c *Conn, closed <-chan struct{}) error
	}{
		{
			// 64 MiB in 1 KiB frames: far more than the socket buffers
			// hold, so the writer is still at it when Close is called.
			name: "Write",
			write: func(ctx context.Context, c *Conn, closed <-chan struct{}) error {
				return c.Write(ctx, MessageBinary, make([]byte, 64<<20))
			},
		},
		{
			// The writer sends one frame and waits for Close, so the
			// close frame goes out right after it.
			name: "Writer",
			write: func(ctx context.Context, c *Conn, closed <-chan struct{}) error {
				w, err := c.Writer(ctx, MessageBinary)
				if err != nil {
					return err
				}
				if _, err := w.Write(make([]byte, 1024)); err != nil {
					return fmt.Errorf("first write: %w", err)
				}
				select {
				case <-closed:
				case <-ctx.Done():
					return ctx.Err()
				}
				_, err = w.Write(make([]byte, 3000))
				if cerr := w.Close(); !errors.Is(cerr, ErrClosed) {
					return fmt.Errorf("Writer.Close after Close: %v, want ErrClosed", cerr)
				}
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const frameSize = 1024
			client, raw := newRawServer(t, &DialOptions{Options: Options{OutgoingFrameSize: frameSize}})
			ctx := testContext(t)

			closed := make(chan struct{})
			writeDone := make(chan error, 1)
			go func() { writeDone <- tt.write(ctx, client, closed) }()

			// The first fragment is out: the message is being written.
			h, p := raw.readFrame(t)
			if h.Opcode != frame.OpBinary || h.Fin || len(p) != frameSize {
				t.Fatalf("first frame: %v fin=%v %d bytes, want a non-final binary frame of %d bytes", h.Opcode, h.Fin, len(p), frameSize)
			}
			closeDone := make(chan error, 1)
			go func() {
				closeDone <- client.Close(CloseGoingAway, "bye")
				close(closed)
			}()

			// More fragments, then the close frame, never the final one.
			fragments := 1
			for {
				h, p = raw.readFrame(t)
				if h.Opcode == frame.OpClose {
					break
				}
				if h.Opcode != frame.OpContinuation || h.Fin || len(p) != frameSize {
					t.Fatalf("frame %d: %v fin=%v %d bytes, want a non-final continuation of %d bytes", fragments, h.Opcode, h.Fin, len(p), frameSize)
				}
				fragments++
			}
			if code, reason, err := frame.ParseClose(p); err != nil || code != uint16(CloseGoingAway) || string(reason) != "bye" {
				t.Fatalf("close frame %x: code %d reason %q err %v", p, code, reason, err)
			}
			t.Logf("close frame after %d fragments", fragments)

			// Answer the close; nothing more may come from the client.
			if _, err := raw.Write(wireFrame{fin: true, op: frame.OpClose, payload: p}.encode(false)); err != nil {
				t.Fatal(err)
			}
			raw.Conn.(*net.TCPConn).CloseWrite()
			if rest, err := io.ReadAll(raw.br); err != nil || len(rest) != 0 {
				t.Errorf("after its close frame the client sent %d more bytes (%v)", len(rest), err)
			}

			for _, step := range []struct {
				name string
				ch   <-chan error
				want error
			}{{"Close", closeDone, nil}, {"write", writeDone, ErrClosed}} {
				select {
				case err := <-step.ch:
					if !errors.Is(err, step.want) {
						t.Errorf("%s returned %v, want %v", step.name, err, step.want)
					}
				case <-ctx.Done():
					t.Fatalf("%s did not return", step.name)
				}
			}
		})
	}
}
