package websocket

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/rawframe"
)

// TestReadLongFrameInPieces sends masked frames longer than the read
// buffer in pieces that leave in separate writes, so that the payload read
// straight into the caller's buffer arrives over many reads, and checks
// that ReadInto and NextFrame unmask all of it.
func TestReadLongFrameInPieces(t *testing.T) {
	tests := []struct {
		name  string
		op    frame.Opcode
		size  int
		chop  int
		delay time.Duration
	}{
		{"binary exactly the read buffer", frame.OpBinary, 4096, 1000, time.Millisecond},
		{"binary 100 KiB", frame.OpBinary, 100 << 10, 7 << 10, time.Millisecond},
		{"binary 1 MiB and 3 bytes", frame.OpBinary, 1<<20 + 3, 64 << 10, 0},
		{"text 100 KiB", frame.OpText, 100 << 10, 7 << 10, time.Millisecond},
	}
	for _, tt := range tests {
		for _, api := range []string{"ReadInto", "NextFrame"} {
			t.Run(tt.name+"/"+api, func(t *testing.T) {
				raw, c := newRawClient(t, nil)
				payload := make([]byte, tt.size)
				for i := range payload {
					payload[i] = 'a' + byte(i%26)
				}
				errc := make(chan error, 1)
				go func() {
					errc <- rawframe.Write(raw, rawframe.Frame{Fin: true, Opcode: byte(tt.op), Masked: true, Payload: payload, Chop: tt.chop, ChopDelay: tt.delay})
				}()
				var typ MessageType
				var got []byte
				var err error
				if api == "ReadInto" {
					typ, got, err = c.ReadInto(testContext(t), nil)
				} else {
					var f Frame
					f, err = c.NextFrame(testContext(t))
					typ, got = f.Type, f.Data
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
				if MessageType(tt.op) != typ || !bytes.Equal(got, payload) {
					t.Fatalf("got %v of %d bytes, equal %v; want %v of %d bytes", typ, len(got), bytes.Equal(got, payload), MessageType(tt.op), len(payload))
				}
			})
		}
	}
}

// TestReadLongTextFailsFast: invalid UTF-8 early in a long text frame
// fails the read while the rest of the frame has not arrived.
func TestReadLongTextFailsFast(t *testing.T) {
	raw, c := newRawClient(t, nil)
	const size = 256 << 10
	h := frame.Header{Fin: true, Opcode: frame.OpText, Masked: true, Mask: [4]byte{9, 8, 7, 6}, Length: size}
	// Valid text longer than the read buffer first, so that the invalid
	// bytes come in a read straight into the message.
	part := append(bytes.Repeat([]byte{'a'}, 8<<10), bytes.Repeat([]byte{0xff}, 8<<10)...)
	frame.Mask(h.Mask, 0, part)
	if _, err := raw.Write(append(frame.Append(nil, h), part...)); err != nil {
		t.Fatal(err)
	}
	// The other 240 KiB never come. Once the close frame arrives, the
	// raw peer hangs up, so the close handshake does not wait out its
	// timeout.
	go func() {
		raw.Read(make([]byte, 1))
		raw.Close()
	}()
	_, _, err := c.ReadInto(testContext(t), nil)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != CloseInvalidPayload {
		t.Fatalf("ReadInto = %v, want a ProtocolError with code %d", err, CloseInvalidPayload)
	}
}

// TestReadLongFrameCut: a connection that ends inside a long frame's
// payload ends the read with an error.
func TestReadLongFrameCut(t *testing.T) {
	raw, c := newRawClient(t, nil)
	h := frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Length: 64 << 10}
	if _, err := raw.Write(append(frame.Append(nil, h), make([]byte, 20<<10)...)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, _, err := c.ReadInto(testContext(t), nil); err == nil {
		t.Fatal("ReadInto of a frame cut short returned no error")
	}
}

// readSizeConn records the largest buffer a Read was given.
type readSizeConn struct {
	*scriptedConn
	largest int
}

func (c *readSizeConn) Read(p []byte) (int, error) {
	c.largest = max(c.largest, len(p))
	return c.scriptedConn.Read(p)
}

// TestReadDirectSize: a long frame whose bytes are all waiting is read
// straight into the message directReadSize bytes at a time, whatever the
// API, and arrives whole.
func TestReadDirectSize(t *testing.T) {
	const size = 1<<20 + 3
	tests := []struct {
		api string
		op  frame.Opcode
	}{
		{"ReadInto", frame.OpBinary},
		{"ReadInto", frame.OpText},
		{"NextFrame", frame.OpBinary},
		{"Reader", frame.OpBinary},
	}
	for _, tt := range tests {
		t.Run(tt.api+"/"+MessageType(tt.op).String(), func(t *testing.T) {
			payload := bytes.Repeat([]byte("direct read "), size/12+1)[:size]
			h := frame.Header{Fin: true, Opcode: tt.op, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: size}
			wire := frame.Append(nil, h)
			n := len(wire)
			wire = append(wire, payload...)
			frame.Mask(h.Mask, 0, wire[n:])
			nc := &readSizeConn{scriptedConn: &scriptedConn{data: wire}}
			c := newConn(nc, false, (&Options{}).withDefaults(), nil)
			var got []byte
			var err error
			switch tt.api {
			case "ReadInto":
				_, got, err = c.ReadInto(testContext(t), nil)
			case "NextFrame":
				var f Frame
				f, err = c.NextFrame(testContext(t))
				got = f.Data
			case "Reader":
				var r io.Reader
				if _, r, err = c.Reader(testContext(t)); err == nil {
					buf := make([]byte, 2<<20)
					got, err = readAllInto(r, buf)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("got %d bytes, equal %v; want the %d sent", len(got), bytes.Equal(got, payload), size)
			}
			if nc.largest != directReadSize {
				t.Errorf("largest read %d bytes, want %d", nc.largest, directReadSize)
			}
		})
	}
}

// readAllInto reads r to its end into buf with reads as long as the room
// left in buf.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	n := 0
	for {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return buf[:n], nil
		}
		if err != nil {
			return buf[:n], err
		}
	}
}
