package websocket

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
)

// sendFragments sends a message from a raw server as the given frames.
func sendFragments(t *testing.T, raw *rawClientConn, op frame.Opcode, frames ...string) {
	t.Helper()
	for i, p := range frames {
		if i > 0 {
			op = frame.OpContinuation
		}
		raw.writeFrame(t, i == len(frames)-1, 0, op, false, []byte(p))
	}
}

// readMessageFrames reads frames on a raw peer up to the final frame of a
// data message, skipping control frames, and returns their headers and
// payloads.
func readMessageFrames(t *testing.T, raw *rawClientConn) (hs []frame.Header, ps [][]byte) {
	t.Helper()
	for {
		h, p := raw.readFrame(t)
		if h.Opcode.IsControl() {
			continue
		}
		hs, ps = append(hs, h), append(ps, p)
		if h.Fin {
			return hs, ps
		}
	}
}

func TestReaderFragmented(t *testing.T) {
	big := strings.Repeat("0123456789", 1000)
	tests := []struct {
		name   string
		op     frame.Opcode
		frames []string
	}{
		{"one frame", frame.OpText, []string{"hello"}},
		{"text in pieces", frame.OpText, []string{"Hel", "lo, ", "", "wörld"}},
		{"code point split", frame.OpText, []string{"a\xE2", "\x82", "\xAC b"}},
		{"binary", frame.OpBinary, []string{"\x00\x01", "\xff", "\xfe\xfd"}},
		{"empty", frame.OpBinary, []string{""}},
		{"long frames", frame.OpBinary, []string{big, big[:5000], big}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			client, raw := newRawServer(t, nil)
			sendFragments(t, raw, tt.op, tt.frames...) // small enough for the socket buffers
			want := strings.Join(tt.frames, "")

			typ, r, err := client.Reader(ctx)
			if err != nil {
				t.Fatalf("Reader: %v", err)
			}
			if typ != MessageType(tt.op) {
				t.Errorf("type %v", typ)
			}
			// Read in small pieces first, then the rest at once.
			var got []byte
			piece := make([]byte, 3)
			for range 2 {
				n, err := r.Read(piece)
				got = append(got, piece[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
			}
			rest, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			got = append(got, rest...)
			if string(got) != want {
				t.Errorf("read %d bytes %.40q, want %d bytes %.40q", len(got), got, len(want), want)
			}
			if n, err := r.Read(piece); n != 0 || err != io.EOF {
				t.Errorf("Read after the end = %d, %v; want io.EOF", n, err)
			}
		})
	}
}

func TestReaderWithControlFrames(t *testing.T) {
	ctx := testContext(t)
	client, raw := newRawServer(t, nil)
	raw.writeFrame(t, false, 0, frame.OpText, false, []byte("one "))
	raw.writeFrame(t, true, 0, frame.OpPing, false, []byte("p"))
	raw.writeFrame(t, true, 0, frame.OpPong, false, nil)
	raw.writeFrame(t, true, 0, frame.OpContinuation, false, []byte("two"))
	_, r, err := client.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "one two" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if h, p := raw.readFrame(t); h.Opcode != frame.OpPong || string(p) != "p" {
		t.Errorf("got %v %q, want the pong", h.Opcode, p)
	}
}

func TestReaderDiscardedByNextRead(t *testing.T) {
	next := []struct {
		name string
		read func(ctx context.Context, c *Conn) (string, error)
	}{
		{"Read", func(ctx context.Context, c *Conn) (string, error) {
			_, p, err := c.Read(ctx)
			return string(p), err
		}},
		{"ReadInto", func(ctx context.Context, c *Conn) (string, error) {
			_, p, err := c.ReadInto(ctx, make([]byte, 0, 64))
			return string(p), err
		}},
		{"Reader", func(ctx context.Context, c *Conn) (string, error) {
			_, r, err := c.Reader(ctx)
			if err != nil {
				return "", err
			}
			p, err := io.ReadAll(r)
			return string(p), err
		}},
		{"NextFrame", func(ctx context.Context, c *Conn) (string, error) {
			f, err := c.NextFrame(ctx)
			if err == nil && !f.Final {
				err = errors.New("frame not final")
			}
			return string(f.Data), err
		}},
	}
	for _, tt := range next {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			client, raw := newRawServer(t, nil)
			sendFragments(t, raw, frame.OpText, "first ", "message ", "left unread")
			sendFragments(t, raw, frame.OpBinary, "second")
			_, r, err := client.Reader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p := make([]byte, 4)
			if n, err := io.ReadFull(r, p); n != 4 || err != nil || string(p) != "firs" {
				t.Fatalf("Read = %d %q %v", n, p, err)
			}
			got, err := tt.read(ctx, client)
			if err != nil || got != "second" {
				t.Fatalf("next read = %q, %v; want the second message", got, err)
			}
			if n, err := r.Read(p); n != 0 || err == nil || err == io.EOF {
				t.Errorf("stale reader Read = %d, %v; want an error", n, err)
			}
		})
	}
}

func TestWriterFragments(t *testing.T) {
	tests := []struct {
		name   string
		typ    MessageType
		writes []string
	}{
		{"binary one write", MessageBinary, []string{"abcdefghijkl"}},
		{"binary small writes", MessageBinary, []string{"ab", "cd", "ef", "gh", "ij", "k"}},
		{"binary exact frames", MessageBinary, []string{"abcde", "fghij"}},
		{"text multi-byte", MessageText, []string{"a€😀€b😀€€€", "x😀😀"}},
		{"text three-byte run", MessageText, []string{strings.Repeat("€", 7)}},
		{"text four-byte run", MessageText, []string{strings.Repeat("😀", 5)}},
		{"text split across writes", MessageText, []string{"a€", "\xF0\x9F", "\x98", "\x80bc", "\xE2", "\x82\xAC€€"}},
		{"text byte by byte", MessageText, strings.Split("€😀ab€cdé😀", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			client, raw := newRawServer(t, &DialOptions{Options: Options{OutgoingFrameSize: 5}})
			w, err := client.Writer(ctx, tt.typ)
			if err != nil {
				t.Fatal(err)
			}
			var want string
			var hs []frame.Header
			var frames [][]byte
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
				want += s
				if len(hs) == 0 && len(want) >= 10 {
					// At least one frame is out, and it is not final.
					h, p := raw.readFrame(t)
					if h.Fin {
						t.Fatalf("frame %q sent final before Close", p)
					}
					hs, frames = append(hs, h), append(frames, p)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if len(hs) == 0 || !hs[len(hs)-1].Fin {
				moreH, moreP := readMessageFrames(t, raw)
				hs, frames = append(hs, moreH...), append(frames, moreP...)
			}
			var got []byte
			for i, h := range hs {
				p := frames[i]
				got = append(got, p...)
				wantOp := frame.OpContinuation
				if i == 0 {
					wantOp = frame.Opcode(tt.typ)
				}
				if h.Opcode != wantOp || h.Fin != (i == len(hs)-1) {
					t.Errorf("frame %d: %v fin=%v", i, h.Opcode, h.Fin)
				}
				if len(p) > 5 {
					t.Errorf("frame %d: %d bytes, over OutgoingFrameSize 5", i, len(p))
				}
				if tt.typ == MessageText && !utf8.Valid(p) {
					t.Errorf("frame %d: %q splits a code point", i, p)
				}
			}
			if string(got) != want {
				t.Errorf("message %q, want %q", got, want)
			}
			if len(hs) < 2 {
				t.Errorf("%d frames; the message was not fragmented", len(hs))
			}
		})
	}
}

func TestWriterRejectsInvalidUTF8(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	msgs := readMessages(ctx, server)
	w, err := client.Writer(ctx, MessageText)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		p  string
		ok bool
	}{
		{"ok ", true},
		{"bad \xff", false},     // refused whole: "bad " is not sent
		{"\xC0\x80", false},     // overlong
		{"\xED\xA0\x80", false}, // surrogate
		{"\xE2\x82", true},      // an incomplete code point is fine...
		{"\xff", false},         // ...but it must continue properly
		{"x", false},
		{"\xAC", true},
		{" end", true},
	}
	for _, s := range steps {
		n, err := w.Write([]byte(s.p))
		if s.ok && (n != len(s.p) || err != nil) {
			t.Errorf("Write(%q) = %d, %v", s.p, n, err)
		}
		if !s.ok && (n != 0 || !errors.Is(err, ErrInvalidUTF8)) {
			t.Errorf("Write(%q) = %d, %v; want 0, ErrInvalidUTF8", s.p, n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if m := <-msgs; m != "ok € end" {
		t.Errorf("server read %q", m)
	}
}

func TestWriterIncompleteCodePoint(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	msgs := readMessages(ctx, server)
	w, err := client.Writer(ctx, MessageText)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc\xF0\x9F\x98")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("Close = %v, want ErrInvalidUTF8", err)
	}
	// The valid part went out as a whole message.
	if m := <-msgs; m != "abc" {
		t.Errorf("server read %q", m)
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	// The connection stays usable.
	if err := client.WriteText(ctx, "next"); err != nil {
		t.Fatal(err)
	}
	if m := <-msgs; m != "next" {
		t.Errorf("server read %q", m)
	}
}

func TestWriterHoldsOtherMessages(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	msgs := readMessages(ctx, server)
	readMessages(ctx, client) // to see pongs
	w, err := client.Writer(ctx, MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("part one, "))

	// Another message waits for the writer...
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := client.WriteText(short, "queued"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write during a Writer message = %v, want context.DeadlineExceeded", err)
	}
	if _, err := client.Writer(short, MessageText); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Writer during a Writer message = %v, want context.DeadlineExceeded", err)
	}
	// ...control frames do not, and the connection stays open.
	if client.State() != StateOpen {
		t.Fatalf("State = %v", client.State())
	}
	if _, err := client.Ping(ctx, []byte("between")); err != nil {
		t.Errorf("Ping during a Writer message: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- client.WriteText(ctx, "after") }()
	w.Write([]byte("part two"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
	if m := <-msgs; m != "part one, part two" {
		t.Errorf("first message %q", m)
	}
	if m := <-msgs; m != "after" {
		t.Errorf("second message %q", m)
	}
}

func TestWriteFragments(t *testing.T) {
	tests := []struct {
		name    string
		typ     MessageType
		size    int64
		msg     string
		maxSize int // the largest frame allowed
	}{
		{"binary", MessageBinary, 5, "abcdefghijklmnopqrstuvw", 5},
		{"binary exact", MessageBinary, 5, "abcdefghij", 5},
		{"text ascii", MessageText, 5, "hello, world", 5},
		{"text three-byte", MessageText, 5, strings.Repeat("€", 9), 5},
		{"text four-byte", MessageText, 5, "a😀b😀😀cd😀", 5},
		{"text mixed", MessageText, 4, "é€😀xé€😀", 4},
		{"text code point over the limit", MessageText, 2, "😀a😀", 4},
		{"text two-byte limit 1", MessageText, 1, "éé", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			client, raw := newRawServer(t, &DialOptions{Options: Options{OutgoingFrameSize: tt.size}})
			if err := client.Write(ctx, tt.typ, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			hs, frames := readMessageFrames(t, raw)
			var got []byte
			for i, h := range hs {
				p := frames[i]
				got = append(got, p...)
				wantOp := frame.OpContinuation
				if i == 0 {
					wantOp = frame.Opcode(tt.typ)
				}
				if h.Opcode != wantOp || h.Fin != (i == len(hs)-1) || !h.Masked {
					t.Errorf("frame %d: %+v", i, h)
				}
				if len(p) > tt.maxSize || len(p) == 0 {
					t.Errorf("frame %d: %d bytes", i, len(p))
				}
				if tt.typ == MessageText && !utf8.Valid(p) {
					t.Errorf("frame %d: %q splits a code point", i, p)
				}
				if tt.typ == MessageBinary && i < len(hs)-1 && len(p) != int(tt.size) {
					t.Errorf("frame %d: %d bytes, want full frames of %d", i, len(p), tt.size)
				}
			}
			if string(got) != tt.msg {
				t.Errorf("message %q, want %q", got, tt.msg)
			}
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	msgs := readMessages(ctx, server)
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"Write invalid UTF-8", client.Write(ctx, MessageText, []byte("bad \xff")), ErrInvalidUTF8},
		{"Write cut code point", client.Write(ctx, MessageText, []byte("cut \xE2\x82")), ErrInvalidUTF8},
		{"WriteText invalid UTF-8", client.WriteText(ctx, "\xC0\xAF"), ErrInvalidUTF8},
		{"Write type 0", client.Write(ctx, 0, []byte("x")), ErrMessageType},
		{"Write type 3", client.Write(ctx, 3, []byte("x")), ErrMessageType},
		{"Write close opcode", client.Write(ctx, MessageType(frame.OpClose), nil), ErrMessageType},
		{"Write ping opcode", client.Write(ctx, MessageType(frame.OpPing), nil), ErrMessageType},
	}
	for _, ck := range checks {
		if !errors.Is(ck.err, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.err, ck.want)
		}
	}
	if w, err := client.Writer(ctx, 0); !errors.Is(err, ErrMessageType) || w != nil {
		t.Errorf("Writer(0) = %v, %v", w, err)
	}
	// Binary messages need not be UTF-8, and nothing refused was sent.
	if err := client.Write(ctx, MessageBinary, []byte("\xff")); err != nil {
		t.Fatal(err)
	}
	if m := <-msgs; m != "\xff" {
		t.Errorf("server read %q", m)
	}
}

func TestNextFrame(t *testing.T) {
	type want struct {
		typ   MessageType
		data  string
		final bool
	}
	tests := []struct {
		name string
		send func(t *testing.T, raw *rawClientConn)
		want []want
	}{
		{
			name: "code point split between frames",
			send: func(t *testing.T, raw *rawClientConn) {
				sendFragments(t, raw, frame.OpText, "a\xE2", "\x82\xAC b")
			},
			want: []want{{MessageText, "a", false}, {MessageText, "€ b", true}},
		},
		{
			name: "code point over three frames",
			send: func(t *testing.T, raw *rawClientConn) {
				sendFragments(t, raw, frame.OpText, "x\xF0\x9F", "\x98", "\x80!")
			},
			want: []want{{MessageText, "x", false}, {MessageText, "", false}, {MessageText, "😀!", true}},
		},
		{
			name: "binary frames kept as sent",
			send: func(t *testing.T, raw *rawClientConn) {
				sendFragments(t, raw, frame.OpBinary, "\xE2", "\x82\xAC", "")
			},
			want: []want{{MessageBinary, "\xE2", false}, {MessageBinary, "\x82\xAC", false}, {MessageBinary, "", true}},
		},
		{
			name: "messages in a row",
			send: func(t *testing.T, raw *rawClientConn) {
				sendFragments(t, raw, frame.OpText, "one")
				raw.writeFrame(t, true, 0, frame.OpPing, false, nil)
				sendFragments(t, raw, frame.OpBinary, "tw", "o")
				sendFragments(t, raw, frame.OpText, "thr", "ee")
			},
			want: []want{
				{MessageText, "one", true},
				{MessageBinary, "tw", false}, {MessageBinary, "o", true},
				{MessageText, "thr", false}, {MessageText, "ee", true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			client, raw := newRawServer(t, nil)
			tt.send(t, raw)
			for i, w := range tt.want {
				f, err := client.NextFrame(ctx)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if f.Type != w.typ || string(f.Data) != w.data || f.Final != w.final {
					t.Errorf("frame %d = {%v %q final=%v}, want {%v %q final=%v}",
						i, f.Type, f.Data, f.Final, w.typ, w.data, w.final)
				}
			}
		})
	}
}

func TestNextFrameInvalidText(t *testing.T) {
	// Invalid UTF-8 fails the connection with 1007 even when split.
	ctx := testContext(t)
	client, raw := newRawServer(t, nil)
	closeFrame := make(chan []byte, 1)
	sendFragments(t, raw, frame.OpText, "ok\xE2", "\x28")
	go func() {
		defer close(closeFrame)
		for {
			h, p, err := raw.nextRawFrame()
			if err != nil {
				return
			}
			if h.Opcode == frame.OpClose {
				closeFrame <- p
				raw.Close() // the client waits for this
				return
			}
		}
	}()
	if f, err := client.NextFrame(ctx); err != nil || string(f.Data) != "ok" {
		t.Fatalf("first frame %q, %v", f.Data, err)
	}
	_, err := client.NextFrame(ctx)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != CloseInvalidPayload {
		t.Fatalf("NextFrame = %v, want a 1007 *ProtocolError", err)
	}
	if code := CloseStatus(err); code != CloseInvalidPayload {
		t.Errorf("CloseStatus = %v", code)
	}
	p := <-closeFrame
	if code, _, err := frame.ParseClose(p); err != nil || code != uint16(CloseInvalidPayload) {
		t.Errorf("close frame %q: code %d, %v", p, code, err)
	}
}

func TestReadInto(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	for _, m := range []string{"short", strings.Repeat("L", 100), "tiny", ""} {
		if err := server.WriteText(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 3, 64)
	copy(buf, "old")
	typ, got, err := client.ReadInto(ctx, buf)
	if err != nil || typ != MessageText || string(got) != "short" {
		t.Fatalf("ReadInto = %v %q %v", typ, got, err)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("ReadInto did not reuse a buffer big enough")
	}
	_, got, err = client.ReadInto(ctx, got)
	if err != nil || string(got) != strings.Repeat("L", 100) {
		t.Fatalf("ReadInto = %q %v", got, err)
	}
	if cap(got) < 100 {
		t.Errorf("cap %d", cap(got))
	}
	grown := got
	_, got, err = client.ReadInto(ctx, grown)
	if err != nil || string(got) != "tiny" {
		t.Fatalf("ReadInto = %q %v", got, err)
	}
	if &got[0] != &grown[0] {
		t.Error("ReadInto did not reuse the grown buffer")
	}
	_, got, err = client.ReadInto(ctx, got)
	if err != nil || len(got) != 0 {
		t.Fatalf("ReadInto = %q %v", got, err)
	}
}

func TestWriteLargeAgainstReader(t *testing.T) {
	// A message far larger than the buffers, fragmented by Write, streams
	// through Reader intact.
	ctx := testContext(t)
	client, server := newPair(t, &DialOptions{Options: Options{OutgoingFrameSize: 1000}}, nil)
	msg := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	done := make(chan error, 1)
	go func() { done <- client.Write(ctx, MessageBinary, msg) }()
	_, r, err := server.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if err := waitErr(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestReaderContextEndsMidMessage(t *testing.T) {
	client, raw := newRawServer(t, nil)
	raw.writeFrame(t, false, 0, frame.OpBinary, false, []byte("start"))
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	_, r, err := client.Reader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 5)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	readDone := make(chan error, 1)
	go func() {
		_, err := r.Read(p) // waits for the rest of the message
		readDone <- err
	}()
	cancel()
	if err := waitErr(t, readDone); !errors.Is(err, context.Canceled) {
		t.Errorf("Read = %v, want context.Canceled", err)
	}
	// A frame cut off half-way cannot be resumed: the connection is closed.
	if client.State() != StateClosed {
		t.Errorf("State = %v", client.State())
	}
	raw.expectEOF(t)
}

func TestReadContextEnds(t *testing.T) {
	client, raw := newRawServer(t, nil)
	ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
	defer cancel()
	if _, _, err := client.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read = %v, want context.DeadlineExceeded", err)
	}
	if client.State() != StateClosed {
		t.Errorf("State = %v", client.State())
	}
	raw.expectEOF(t)
}
