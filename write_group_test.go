package websocket

import (
	"bytes"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
)

// TestServerWriteFrames writes messages from a server Conn to a raw client
// across the sizes where the write path changes (the write buffer, the lead
// write, OutgoingFrameSize, the payload bound of a group of frames) and
// checks every frame on the wire.
func TestServerWriteFrames(t *testing.T) {
	euros := func(n int) []byte { return []byte(strings.Repeat("€", n)) } // 3 bytes each
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		return b
	}
	tests := []struct {
		name       string
		typ        MessageType
		payload    []byte
		frameSize  int64 // OutgoingFrameSize; 0 for the default
		writeBuf   int   // WriteBufferSize; 0 for the default
		wantFrames int
	}{
		{"empty", MessageBinary, nil, 0, 0, 1},
		{"fits the write buffer", MessageBinary, pattern(16 << 10), 0, 0, 1},
		{"one past the write buffer", MessageBinary, pattern(16<<10 + 1), 0, 0, 1},
		{"one frame with a lead", MessageBinary, pattern(64 << 10), 0, 0, 1},
		{"exactly one frame", MessageBinary, pattern(512 << 10), 0, 0, 1},
		{"two frames, one group", MessageBinary, pattern(1 << 20), 0, 0, 2},
		{"one byte into a third frame", MessageBinary, pattern(1<<20 + 1), 0, 0, 3},
		{"groups of two frames", MessageBinary, pattern(5<<20 + 13), 0, 0, 11},
		{"frame as long as the write buffer", MessageBinary, pattern(100 << 10), 16 << 10, 0, 7},
		{"more frames than a group holds", MessageBinary, pattern(70 * 16 << 10), 16 << 10, 0, 70},
		{"small write buffer", MessageBinary, pattern(300 << 10), 64 << 10, 256, 5},
		{"frames that fit the lead", MessageBinary, pattern(1000), 256, 256, 4},
		{"frames shorter than the write buffer", MessageBinary, pattern(40 << 10), 10 << 10, 0, 4},
		{"text cut between code points", MessageText, euros(400 << 10), 0, 0, 3},
		{"text in short frames", MessageText, euros(30 << 10), 16<<10 + 1, 0, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			opts := Options{OutgoingFrameSize: tt.frameSize, WriteBufferSize: tt.writeBuf}
			raw, server := newRawClient(t, &AcceptOptions{Options: opts})
			limit := tt.frameSize
			if limit == 0 {
				limit = DefaultOutgoingFrameSize
			}
			done := make(chan error, 1)
			go func() { done <- server.Write(ctx, tt.typ, tt.payload) }()
			var got []byte
			for i := 0; i < tt.wantFrames; i++ {
				h, p := raw.readFrame(t)
				wantOp := frame.OpContinuation
				if i == 0 {
					wantOp = frame.Opcode(tt.typ)
				}
				if h.Opcode != wantOp || h.Fin != (i == tt.wantFrames-1) || h.Masked || h.RSV != 0 {
					t.Fatalf("frame %d: opcode %v fin %v masked %v rsv %d", i, h.Opcode, h.Fin, h.Masked, h.RSV)
				}
				if h.Length > limit {
					t.Fatalf("frame %d: %d bytes, over OutgoingFrameSize %d", i, h.Length, limit)
				}
				if tt.typ == MessageText && !utf8.Valid(p) {
					t.Fatalf("frame %d: text cut inside a code point", i)
				}
				got = append(got, p...)
			}
			if err := <-done; err != nil {
				t.Fatalf("Write: %v", err)
			}
			if !bytes.Equal(got, tt.payload) {
				t.Fatalf("the frames carry %d bytes, not the %d written", len(got), len(tt.payload))
			}
		})
	}
}

// writeRecorder is a net.Conn that records the size of every Write.
type writeRecorder struct {
	net.Conn
	mu     sync.Mutex
	writes []int
}

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, len(p))
	w.mu.Unlock()
	return w.Conn.Write(p)
}

// TestServerWriteLead checks how a server's long message is cut into
// writes: the header with the start of the payload in a first write of
// leadWriteSize bytes, then the rest; a short message in one write. Over
// a net.Pipe a vectored write becomes a write per piece.
func TestServerWriteLead(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantWrites []int
	}{
		{"short", 1000, []int{4 + 1000}},
		{"fits the write buffer", 16 << 10, []int{4 + 16<<10}},
		{"long", 64 << 10, []int{leadWriteSize, 10 + 64<<10 - leadWriteSize}},
		// Two frames in one group: the lead, the rest of the first
		// frame's payload, the second header, the second payload.
		{"two frames", 1 << 20, []int{leadWriteSize, 10 + 512<<10 - leadWriteSize, 10, 512 << 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			rec := &writeRecorder{Conn: a}
			c := newConn(rec, false, (&Options{}).withDefaults(), nil)
			var received int
			drained := make(chan struct{})
			go func() {
				defer close(drained)
				n, _ := io.Copy(io.Discard, b)
				received = int(n)
			}()
			if err := c.Write(testContext(t), MessageBinary, make([]byte, tt.size)); err != nil {
				t.Fatal(err)
			}
			a.Close()
			<-drained
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if !slices.Equal(rec.writes, tt.wantWrites) {
				t.Errorf("writes %v, want %v", rec.writes, tt.wantWrites)
			}
			if want := sumInts(tt.wantWrites); received != want {
				t.Errorf("the peer received %d bytes, want %d", received, want)
			}
		})
	}
}

func sumInts(a []int) int {
	s := 0
	for _, v := range a {
		s += v
	}
	return s
}

// TestNextGroup checks how a server's message is cut into groups of
// frames: within groupPayloadSize and maxGroupFrames, never empty.
func TestNextGroup(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		frameSize  int64
		text       bool
		wantFrames int
		wantBytes  int
	}{
		{"two default frames", 1 << 20, 0, false, 2, 1 << 20},
		{"a third frame waits", 1<<20 + 1, 0, false, 2, 1 << 20},
		{"a frame longer than a group", 3 << 20, 2 << 20, false, 1, 2 << 20},
		{"at most maxGroupFrames", 70 * 16 << 10, 16 << 10, false, maxGroupFrames, maxGroupFrames * 16 << 10},
		{"frames of a text cut early", 2 << 20, 16<<10 + 1, true, maxGroupFrames, maxGroupFrames * 16383},
		{"short message", 100, 0, false, 1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Conn{opts: (&Options{OutgoingFrameSize: tt.frameSize}).withDefaults()}
			p := make([]byte, tt.size)
			if tt.text {
				p = []byte(strings.Repeat("€", tt.size/3))
			}
			var cuts [maxGroupFrames]int
			frames, n := c.nextGroup(p, tt.text, cuts[:])
			if frames != tt.wantFrames || n != tt.wantBytes {
				t.Errorf("nextGroup = %d frames, %d bytes; want %d, %d", frames, n, tt.wantFrames, tt.wantBytes)
			}
			if sum := sumInts(cuts[:frames]); sum != n {
				t.Errorf("the frames' cuts add up to %d bytes, not the %d returned", sum, n)
			}
		})
	}
}
