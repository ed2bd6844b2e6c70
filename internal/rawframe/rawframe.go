// Package rawframe writes WebSocket frames exactly as told, legal or not:
// any opcode, reserved bits, masking choice, and payloads cut into pieces
// that leave in separate writes. It exists for the conformance tester, which
// must break the protocol on purpose; the library never sends through it.
package rawframe

import (
	"crypto/rand"
	"net"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// Frame is one frame to send, with nothing checked.
type Frame struct {
	Fin     bool
	RSV     byte // reserved bits 1-3, as the low three bits (RSV1 = 4)
	Opcode  byte // any value 0-15
	Masked  bool
	Payload []byte
	// Chop, when positive, sends the encoded frame in pieces of Chop bytes,
	// each in its own write, with ChopDelay between them.
	Chop      int
	ChopDelay time.Duration
}

// Encode returns the frame's bytes on the wire. A masked frame gets a
// random key.
func (f Frame) Encode() []byte {
	h := frame.Header{
		Fin:    f.Fin,
		RSV:    (f.RSV & 7) << 4,
		Opcode: frame.Opcode(f.Opcode & 0x0f),
		Masked: f.Masked,
		Length: int64(len(f.Payload)),
	}
	if f.Masked {
		rand.Read(h.Mask[:])
	}
	b := frame.Append(make([]byte, 0, frame.MaxHeaderSize+len(f.Payload)), h)
	n := len(b)
	b = append(b, f.Payload...)
	if f.Masked {
		frame.Mask(h.Mask, 0, b[n:])
	}
	return b
}

// Write sends f on c.
func Write(c net.Conn, f Frame) error {
	return WriteBytes(c, f.Encode(), f.Chop, f.ChopDelay)
}

// WriteBytes sends b on c, in pieces of chop bytes when chop is positive.
func WriteBytes(c net.Conn, b []byte, chop int, delay time.Duration) error {
	if chop <= 0 {
		_, err := c.Write(b)
		return err
	}
	for len(b) > 0 {
		n := min(chop, len(b))
		if _, err := c.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if len(b) > 0 && delay > 0 {
			time.Sleep(delay)
		}
	}
	return nil
}
