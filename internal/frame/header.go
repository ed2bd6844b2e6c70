// Package frame encodes and decodes RFC 6455 frame headers and masks
// payloads. It does no I/O: every function works on byte slices the caller
// owns, so the blocking connection and an event-loop driver share it.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Opcode is the 4-bit frame type of RFC 6455 §5.2.
type Opcode byte

// The opcodes defined by RFC 6455 §11.8.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether op is a control opcode (RFC 6455 §5.5: the
// opcodes with the most significant bit set).
func (op Opcode) IsControl() bool { return op&0x8 != 0 }

// IsKnown reports whether op is one of the six opcodes RFC 6455 defines.
func (op Opcode) IsKnown() bool {
	switch op {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return true
	}
	return false
}

// String returns the opcode's name, such as "text" or "ping".
func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("opcode(%#x)", byte(op))
}

// The reserved bits of the first header byte, as they sit in that byte.
const (
	RSV1 byte = 0x40
	RSV2 byte = 0x20
	RSV3 byte = 0x10
)

// MaxHeaderSize is the longest a frame header can be: 2 fixed bytes, an
// 8-byte extended length and a 4-byte masking key.
const MaxHeaderSize = 14

// MaxControlPayload is the longest payload a control frame may carry
// (RFC 6455 §5.5).
const MaxControlPayload = 125

// Header is a decoded frame header.
type Header struct {
	Fin    bool
	RSV    byte // the reserved bits, masked with RSV1|RSV2|RSV3
	Opcode Opcode
	Masked bool
	Mask   [4]byte
	Length int64 // payload length
}

// ErrLengthOverflow is returned for a 64-bit payload length with its most
// significant bit set, which RFC 6455 §5.2 forbids.
var ErrLengthOverflow = errors.New("frame: 64-bit payload length has its most significant bit set")

// Size returns how many bytes a full header needs, judged from its first two
// bytes. A parser that holds fewer bytes than this must wait for more.
func Size(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// Parse decodes the header at the start of b. It returns the header and its
// size in bytes. When b holds less than a whole header, Parse returns n == 0
// and no error; the caller reads more and calls again (Size tells how much is
// needed once two bytes are in).
func Parse(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	n = Size(b[0], b[1])
	if len(b) < n {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	h.RSV = b[0] & (RSV1 | RSV2 | RSV3)
	h.Opcode = Opcode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	p := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		p = 4
	case 127:
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return Header{}, 0, ErrLengthOverflow
		}
		h.Length = int64(u)
		p = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		copy(h.Mask[:], b[p:p+4])
	}
	return h, n, nil
}

// Put writes h at the start of b, which must hold at least MaxHeaderSize
// bytes, and returns the number of bytes written. The payload length is
// always written in its shortest form (RFC 6455 §5.2), and a negative Length
// is written as zero.
func Put(b []byte, h Header) int {
	b0 := byte(h.Opcode&0x0f) | h.RSV&(RSV1|RSV2|RSV3)
	if h.Fin {
		b0 |= 0x80
	}
	b[0] = b0
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	n := 2
	switch l := h.Length; {
	case l <= 0:
		b[1] = b1
	case l <= 125:
		b[1] = b1 | byte(l)
	case l <= 0xffff:
		b[1] = b1 | 126
		binary.BigEndian.PutUint16(b[2:], uint16(l))
		n = 4
	default:
		b[1] = b1 | 127
		binary.BigEndian.PutUint64(b[2:], uint64(l))
		n = 10
	}
	if h.Masked {
		copy(b[n:], h.Mask[:])
		n += 4
	}
	return n
}

// HeaderSize returns how many bytes Put writes for h.
func HeaderSize(h Header) int {
	n := 2
	switch l := h.Length; {
	case l > 0xffff:
		n = 10
	case l > 125:
		n = 4
	}
	if h.Masked {
		n += 4
	}
	return n
}

// Append appends the encoding of h to b.
func Append(b []byte, h Header) []byte {
	var tmp [MaxHeaderSize]byte
	n := Put(tmp[:], h)
	return append(b, tmp[:n]...)
}
