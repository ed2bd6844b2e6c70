package websocket

import (
	"bytes"
	"context"
	"net"
	"testing"
	"unsafe"

	"github.com/wsx-go/websocket/internal/frame"
)

// pageOffset is the offset of p's first byte in its memory page.
func pageOffset(p []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(p))) % pageSize)
}

// TestGrowMessage checks that growMessage keeps the bytes, makes the room
// asked for, and starts a new long buffer messageOffset bytes into a page.
func TestGrowMessage(t *testing.T) {
	tests := []struct {
		name   string
		have   int // bytes already in the buffer
		more   int // room asked for
		offset bool
	}{
		{"short", 0, 100, false},
		{"page", 0, pageSize, false}, // a size class of its own: alignment not promised
		{"64 KiB", 0, 64 << 10, true},
		{"1 MiB", 0, 1 << 20, true},
		{"grown from short", 100, 1 << 20, true},
		{"grown from long", 1 << 20, 1 << 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := benchMessage(tt.have)
			got := growMessage(bytes.Clone(buf), tt.more)
			if !bytes.Equal(got, buf) {
				t.Fatalf("growMessage changed the %d bytes it held", tt.have)
			}
			if room := cap(got) - len(got); room < tt.more {
				t.Fatalf("room for %d bytes, want at least %d", room, tt.more)
			}
			if off := pageOffset(got[:1]); tt.offset && off != messageOffset {
				t.Errorf("buffer starts at page offset %d, want %d", off, messageOffset)
			}
		})
	}
}

// TestGrowMessageKeepsRoom checks that a buffer with room enough comes back
// as it is, so a buffer passed back to ReadInto is reused.
func TestGrowMessageKeepsRoom(t *testing.T) {
	buf := make([]byte, 10, 100)
	if got := growMessage(buf, 90); unsafe.SliceData(got) != unsafe.SliceData(buf) || len(got) != 10 {
		t.Fatal("growMessage reallocated a buffer that had room")
	}
}

// TestReadIntoPageOffset checks that a long message read into a buffer
// wsx allocates starts messageOffset bytes into a page.
func TestReadIntoPageOffset(t *testing.T) {
	client, server := newPair(t, nil, nil)
	ctx := testContext(t)
	msg := benchMessage(64 << 10)
	go client.Write(ctx, MessageBinary, msg)
	_, got, err := server.ReadInto(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("message changed")
	}
	if off := pageOffset(got); off != messageOffset {
		t.Errorf("message starts at page offset %d, want %d", off, messageOffset)
	}
}

// pageRecorder is a net.Conn that keeps, for each write, the page offset
// of the written bytes in memory and in the stream, and drops the bytes.
type pageRecorder struct {
	net.Conn
	written int
	writes  []pagedWrite
}

type pagedWrite struct{ memory, stream, n int }

func (r *pageRecorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, pagedWrite{pageOffset(p), r.written % pageSize, len(p)})
	r.written += len(p)
	return len(p), nil
}

// TestMaskedPiecesFollowStream checks that a client writes a long masked
// frame in pieces whose page offset in memory equals their offset in the
// stream, so that the kernel copies each one page-aligned to itself; for
// the frames after the first of a message too, since their message starts
// the stream here.
func TestMaskedPiecesFollowStream(t *testing.T) {
	tests := []struct {
		size, frameSize, writes int
	}{
		{64000, 4 << 20, 1},         // fits the 64 KiB mask buffer: one write
		{100 << 10, 4 << 20, 2},     // 64 KiB, then the rest
		{1 << 20, 4 << 20, 16},      // 64 KiB pieces
		{200<<10 + 1, 4 << 20, 4},   // the last piece is 1 byte
		{1 << 20, 512 << 10, 16},    // two frames of 8 pieces
		{300 << 10, 100<<10 + 3, 6}, // three frames of 2 pieces, at odd offsets
	}
	for _, tt := range tests {
		rec := &pageRecorder{}
		c := newConn(rec, true, (&Options{OutgoingFrameSize: int64(tt.frameSize)}).withDefaults(), nil)
		c.masks = newRandomMasks()
		if err := c.Write(context.Background(), MessageBinary, benchMessage(tt.size)); err != nil {
			t.Fatal(err)
		}
		if len(rec.writes) != tt.writes {
			t.Errorf("%d bytes in frames of %d: %d writes, want %d", tt.size, tt.frameSize, len(rec.writes), tt.writes)
		}
		want := 0
		for rest := tt.size; rest > 0; rest -= min(rest, tt.frameSize) {
			m := min(rest, tt.frameSize)
			want += frame.HeaderSize(frame.Header{Masked: true, Length: int64(m)}) + m
		}
		if rec.written != want {
			t.Errorf("%d bytes in frames of %d: %d bytes written, want %d", tt.size, tt.frameSize, rec.written, want)
		}
		for i, w := range rec.writes {
			if w.memory != w.stream {
				t.Errorf("%d bytes in frames of %d: write %d of %d bytes from page offset %d, at stream offset %d", tt.size, tt.frameSize, i, w.n, w.memory, w.stream)
			}
		}
	}
}
