package websocket

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
)

// TestWritePrepared sends prepared messages both ways, within and beyond
// OutgoingFrameSize, and checks what arrives, frame by frame on the wire
// for the server's side.
func TestWritePrepared(t *testing.T) {
	ctx := testContext(t)
	tests := []struct {
		name       string
		typ        MessageType
		payload    []byte
		frameLimit int64
		wantFrames int
	}{
		{"text", MessageText, []byte("héllo"), 0, 1},
		{"empty binary", MessageBinary, nil, 0, 1},
		{"binary 70000", MessageBinary, bytes.Repeat([]byte{7}, 70000), 0, 1},
		{"beyond OutgoingFrameSize", MessageBinary, bytes.Repeat([]byte{9}, 2500), 1000, 3},
		{"text beyond OutgoingFrameSize", MessageText, []byte(strings.Repeat("€", 500)), 1000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewPreparedMessage(tt.typ, tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type() != tt.typ || !bytes.Equal(m.Payload(), tt.payload) {
				t.Fatalf("Type, Payload = %v, %d bytes", m.Type(), len(m.Payload()))
			}

			// Server to a raw client: check the frames.
			raw, server := newRawClient(t, &AcceptOptions{Options: Options{OutgoingFrameSize: tt.frameLimit}})
			if err := server.WritePrepared(ctx, m); err != nil {
				t.Fatal(err)
			}
			var got []byte
			for i := 0; i < tt.wantFrames; i++ {
				h, p := raw.readFrame(t)
				if h.Masked || h.Fin != (i == tt.wantFrames-1) {
					t.Fatalf("frame %d: masked %v fin %v", i, h.Masked, h.Fin)
				}
				got = append(got, p...)
			}
			if !bytes.Equal(got, tt.payload) {
				t.Fatalf("server sent %d bytes, want %d", len(got), len(tt.payload))
			}

			// Client to server: masked, read back as a message.
			client, srv := newPair(t, &DialOptions{Options: Options{OutgoingFrameSize: tt.frameLimit}}, nil)
			if err := client.WritePrepared(ctx, m); err != nil {
				t.Fatal(err)
			}
			typ, p, err := srv.Read(ctx)
			if err != nil || typ != tt.typ || !bytes.Equal(p, tt.payload) {
				t.Fatalf("server read %v, %d bytes, %v", typ, len(p), err)
			}
		})
	}
}

// TestNewPreparedMessageRefuses checks the messages that cannot be
// prepared.
func TestNewPreparedMessageRefuses(t *testing.T) {
	if _, err := NewPreparedMessage(MessageText, []byte{0xff}); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("invalid text: %v, want ErrInvalidUTF8", err)
	}
	if _, err := NewPreparedMessage(MessageType(9), nil); !errors.Is(err, ErrMessageType) {
		t.Errorf("bad type: %v, want ErrMessageType", err)
	}
}

// TestPreparedMessageCopies checks that the caller may reuse its buffer.
func TestPreparedMessageCopies(t *testing.T) {
	p := []byte("abc")
	m, err := NewPreparedMessage(MessageBinary, p)
	if err != nil {
		t.Fatal(err)
	}
	p[0] = 'x'
	if string(m.Payload()) != "abc" {
		t.Fatalf("payload %q changed with the caller's buffer", m.Payload())
	}
}

// TestWritePreparedConcurrent sends one prepared message from many
// goroutines on one connection, mixed with ordinary writes: every message
// arrives whole.
func TestWritePreparedConcurrent(t *testing.T) {
	ctx := testContext(t)
	client, server := newPair(t, nil, nil)
	m, err := NewPreparedMessage(MessageBinary, bytes.Repeat([]byte("p"), 3000))
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var err error
				if w%2 == 0 {
					err = server.WritePrepared(ctx, m)
				} else {
					err = server.Write(ctx, MessageText, []byte("plain"))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	prepared, plain := 0, 0
	for range writers * each {
		_, p, err := client.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case bytes.Equal(p, m.Payload()):
			prepared++
		case string(p) == "plain":
			plain++
		default:
			t.Fatalf("unexpected message of %d bytes", len(p))
		}
	}
	wg.Wait()
	if prepared != writers/2*each || plain != writers/2*each {
		t.Fatalf("got %d prepared and %d plain messages", prepared, plain)
	}
}

// TestWritePreparedAfterClose fails with ErrClosed.
func TestWritePreparedAfterClose(t *testing.T) {
	ctx := testContext(t)
	_, server := newPair(t, nil, nil)
	m, _ := NewPreparedMessage(MessageText, []byte("late"))
	server.Abort()
	if err := server.WritePrepared(ctx, m); !errors.Is(err, ErrClosed) {
		t.Fatalf("WritePrepared after Abort = %v, want ErrClosed", err)
	}
}
