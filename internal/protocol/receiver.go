// Package protocol holds the receive rules of RFC 6455: what a WebSocket
// endpoint must refuse in the frames it reads, and the close code each
// refusal calls for. It does no I/O; a driver feeds it headers and payload
// bytes as they arrive and acts on the violations it reports.
package protocol

import (
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/utf8check"
)

// Close codes the receive rules call for (RFC 6455 §7.4.1).
const (
	CodeProtocolError  uint16 = 1002
	CodeInvalidPayload uint16 = 1007
	CodeMessageTooBig  uint16 = 1009
)

// Violation is a broken receive rule. The connection must be failed with
// Code (RFC 6455 §7.1.7).
type Violation struct {
	Code   uint16
	Reason string
}

// Error returns the broken rule, prefixed like every wsx error.
func (v *Violation) Error() string { return "websocket: " + v.Reason }

// Role says which end of the connection a Receiver reads for.
type Role uint8

// The two ends of a connection.
const (
	Server Role = iota // reads frames a client sent: they must be masked
	Client             // reads frames a server sent: they must not be masked
)

// Receiver tracks the state of the frames read on one connection and checks
// each against the rules. Configure the exported fields before the first
// frame; the zero value reads for a server with no size limits and no
// extensions.
type Receiver struct {
	Role Role
	// AllowedRSV holds the reserved bits a negotiated extension gives a
	// meaning to; any other reserved bit fails the connection. The only
	// extension wsx knows is permessage-deflate (RFC 7692): with RSV1
	// allowed, RSV1 on the first frame of a message marks it compressed.
	AllowedRSV byte
	// MaxFrameSize and MaxMessageSize bound payload lengths; 0 means no
	// bound.
	MaxFrameSize   int64
	MaxMessageSize int64

	inMessage  bool // a data message has started and not ended
	compressed bool // the current message's first frame had RSV1
	messageOp  frame.Opcode
	messageLen int64
	frameOp    frame.Opcode // opcode of the frame being read
	frameFin   bool
	text       utf8check.Validator
}

func violation(code uint16, reason string) *Violation {
	return &Violation{Code: code, Reason: reason}
}

// Header checks a newly read frame header and, for a data frame, advances
// the message state. Call it once per frame, before any payload.
func (r *Receiver) Header(h frame.Header) error {
	// RFC 6455 §5.2: reserved bits must be 0 unless an extension defines them.
	if h.RSV&^r.AllowedRSV != 0 {
		return violation(CodeProtocolError, "reserved bits set without a negotiated extension")
	}
	// RFC 6455 §5.2: unknown opcodes fail the connection.
	if !h.Opcode.IsKnown() {
		return violation(CodeProtocolError, "unknown opcode "+h.Opcode.String())
	}
	// RFC 6455 §5.1 and §5.3: clients mask every frame, servers none.
	if r.Role == Server && !h.Masked {
		return violation(CodeProtocolError, "unmasked frame from a client")
	}
	if r.Role == Client && h.Masked {
		return violation(CodeProtocolError, "masked frame from a server")
	}
	if h.Opcode.IsControl() {
		// RFC 6455 §5.5: control frames are short and never fragmented.
		if !h.Fin {
			return violation(CodeProtocolError, "fragmented control frame")
		}
		if h.Length > frame.MaxControlPayload {
			return violation(CodeProtocolError, "control frame payload over 125 bytes")
		}
		if h.RSV != 0 {
			// No extension wsx knows gives control frames reserved bits.
			return violation(CodeProtocolError, "reserved bits set on a control frame")
		}
		r.frameOp, r.frameFin = h.Opcode, true
		return nil
	}
	// RFC 6455 §5.4: a continuation needs a started message, and a started
	// message takes only continuations until its final frame.
	switch {
	case h.Opcode == frame.OpContinuation && !r.inMessage:
		return violation(CodeProtocolError, "continuation frame without a started message")
	case h.Opcode != frame.OpContinuation && r.inMessage:
		return violation(CodeProtocolError, "new data frame inside a fragmented message")
	case h.Opcode == frame.OpContinuation && h.RSV != 0:
		return violation(CodeProtocolError, "reserved bits set on a continuation frame")
	}
	if r.MaxFrameSize > 0 && h.Length > r.MaxFrameSize {
		return violation(CodeMessageTooBig, "frame larger than the limit")
	}
	if h.Opcode != frame.OpContinuation {
		r.inMessage = true
		r.compressed = h.RSV&frame.RSV1 != 0
		r.messageOp = h.Opcode
		r.messageLen = 0
		r.text.Reset()
	}
	// Compare before adding: a declared length near 2^63 must not wrap the
	// running total past the limit. A compressed message is bounded by
	// its decompressed size instead, which the reader of Decompressed
	// octets enforces.
	if !r.compressed && r.MaxMessageSize > 0 && h.Length > r.MaxMessageSize-r.messageLen {
		return violation(CodeMessageTooBig, "message larger than the limit")
	}
	r.messageLen += h.Length
	r.frameOp, r.frameFin = h.Opcode, h.Fin
	return nil
}

// MessageOpcode returns the opcode (text or binary) of the data message
// being read.
func (r *Receiver) MessageOpcode() frame.Opcode { return r.messageOp }

// InMessage reports whether a data message has started and its last frame
// has not been read in full.
func (r *Receiver) InMessage() bool { return r.inMessage }

// Compressed reports whether the current data message is compressed: its
// first frame had RSV1 set, which AllowedRSV permitted.
func (r *Receiver) Compressed() bool { return r.compressed }

// Payload checks the next unmasked payload bytes of the current data frame.
// Text is validated as it arrives, so invalid UTF-8 fails at once. The
// payload of a compressed message is checked once decompressed, with
// Decompressed.
func (r *Receiver) Payload(p []byte) error {
	if !r.compressed {
		return r.checkText(p)
	}
	return nil
}

// Decompressed checks the next octets a compressed message decompressed to.
func (r *Receiver) Decompressed(p []byte) error { return r.checkText(p) }

// DecompressedEnd is called when a compressed message has been decompressed
// in full; it checks that text ends on a whole code point.
func (r *Receiver) DecompressedEnd() error {
	if r.messageOp == frame.OpText && !r.text.Complete() {
		return violation(CodeInvalidPayload, "text message ends inside a UTF-8 sequence")
	}
	return nil
}

// checkText validates p if the message is text.
func (r *Receiver) checkText(p []byte) error {
	if r.messageOp == frame.OpText && !r.text.Write(p) {
		return violation(CodeInvalidPayload, "invalid UTF-8 in a text message")
	}
	return nil
}

// PendingText returns how many bytes at the end of the text read so far
// belong to a code point that has not been completed yet.
func (r *Receiver) PendingText() int { return r.text.Pending() }

// FrameDone is called when the current data frame's payload has been read
// in full. At the end of an uncompressed message it checks that text ends
// on a whole code point.
func (r *Receiver) FrameDone() error {
	if r.frameOp.IsControl() || !r.frameFin {
		return nil
	}
	r.inMessage = false
	if !r.compressed && r.messageOp == frame.OpText && !r.text.Complete() {
		return violation(CodeInvalidPayload, "text message ends inside a UTF-8 sequence")
	}
	return nil
}

// Close checks a close frame's payload (RFC 6455 §5.5.1 and §7.4) and returns
// its code and reason.
func (r *Receiver) Close(p []byte) (code uint16, reason []byte, err error) {
	code, reason, err = frame.ParseClose(p)
	switch err {
	case nil:
		return code, reason, nil
	case frame.ErrCloseReasonUTF8:
		return 0, nil, violation(CodeInvalidPayload, "invalid UTF-8 in a close reason")
	case frame.ErrCloseOneByte:
		return 0, nil, violation(CodeProtocolError, "close payload of one byte")
	default:
		return 0, nil, violation(CodeProtocolError, "invalid close code on the wire")
	}
}
