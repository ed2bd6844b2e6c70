package websocket

import (
	"errors"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/wsx-go/websocket/internal/deflate"
	"github.com/wsx-go/websocket/internal/protocol"
)

// A compressed message (RFC 7692 §6.2) is read in two layers: wireReader
// yields its payload as the frames bring it, control frames handled on the
// way, and the Decompressor inflates that stream. The read methods take
// decompressed octets from inflate, which checks text and the size limit on
// what the message decompresses to.

// wireReader reads the compressed payload of the current message, across
// its frames, unmasked; it returns io.EOF after the last frame. c.readMu is
// held by whoever reads the decompressed message.
type wireReader struct{ c *Conn }

func (w *wireReader) Read(p []byte) (int, error) {
	c := w.c
	for c.frameLeft == 0 {
		if !c.recv.InMessage() {
			return 0, io.EOF
		}
		if err := c.nextDataFrame(); err != nil {
			return 0, err
		}
	}
	return c.readPayload(p)
}

// beginInflate starts decompressing a message whose first frame header has
// just been read.
func (c *Conn) beginInflate() {
	c.z.decomp.Begin(&c.z.wire, c.opts.MaxMessageSize)
	c.z.inflates = true
}

// inflating reports whether the current message is compressed and not yet
// decompressed to its end.
func (c *Conn) inflating() bool { return c.z != nil && c.z.inflates }

// inflate reads decompressed octets of the current message into p, and
// io.EOF at its end. A message that decompresses past MaxMessageSize fails
// the connection with 1009 as soon as the decoder passes the limit;
// invalid compressed data or decompressed text that is not UTF-8 fails it
// with 1007.
func (c *Conn) inflate(p []byte) (int, error) {
	n, err := c.z.decomp.Read(p)
	if c.readErr != nil {
		// The wire failed while the decoder read ahead: the connection
		// has failed already, whatever output the decoder still had.
		return 0, c.readErr
	}
	if err == nil || err == io.EOF {
		if verr := c.recv.Decompressed(p[:n]); verr != nil {
			return 0, c.failProtocol(verr)
		}
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		c.z.inflates = false
		if verr := c.recv.DecompressedEnd(); verr != nil {
			return 0, c.failProtocol(verr)
		}
		return n, io.EOF
	case errors.Is(err, deflate.ErrTooLarge):
		return 0, c.failProtocol(&protocol.Violation{Code: protocol.CodeMessageTooBig,
			Reason: "message larger than the limit once decompressed"})
	case errors.Is(err, deflate.ErrCorrupt):
		return 0, c.failProtocol(&protocol.Violation{Code: protocol.CodeInvalidPayload,
			Reason: "invalid compressed data"})
	}
	return 0, c.failRead(err)
}

// readInflated appends the rest of the current compressed message,
// decompressed, to buf. Its size is unknown until the end: it fills buf's
// spare capacity first, and what does not fit goes through a pooled buffer,
// after which buf grows once, to the size of the message. A reused buffer
// thus settles at the largest message, as for uncompressed ones, instead of
// where doubling happened to leave it.
func (c *Conn) readInflated(buf []byte) ([]byte, error) {
	for len(buf) < cap(buf) {
		n, err := c.inflate(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	// Full: the message may have ended exactly here.
	n, err := c.inflate(c.z.probe[:])
	if err == io.EOF && n == 0 {
		return buf, nil
	}
	sp := inflateBuffers.Get().(*[]byte)
	rest := append((*sp)[:0], c.z.probe[:n]...)
	for err == nil {
		if len(rest) == cap(rest) {
			rest = slices.Grow(rest, c.inflateGrowth(len(buf)+len(rest)))
		}
		n, err = c.inflate(rest[len(rest):cap(rest)])
		rest = rest[:len(rest)+n]
	}
	if err == io.EOF {
		buf = append(slices.Grow(buf, len(rest)), rest...)
		err = nil
	}
	if cap(rest) <= maxPooledInflateBuffer {
		*sp = rest[:0]
		inflateBuffers.Put(sp)
	}
	return buf, err
}

// inflateBuffers hold the part of a decompressed message that did not fit
// the caller's buffer; ones grown past maxPooledInflateBuffer are dropped.
var inflateBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 16<<10)
	return &b
}}

const maxPooledInflateBuffer = 1 << 20

// inflateGrowth returns how much room to add to a buffer holding have
// decompressed octets: doubling from 4 KiB, never more than one octet past
// what MaxMessageSize allows, so a compression bomb cannot make wsx
// allocate much beyond the limit.
func (c *Conn) inflateGrowth(have int) int {
	n := int64(max(have, 4096))
	if limit := c.opts.MaxMessageSize; limit < math.MaxInt64 {
		n = min(n, max(limit-int64(have)+1, 1))
	}
	return int(n)
}

// maxInflatedPiece bounds the Data NextFrame returns for a compressed
// message.
const maxInflatedPiece = 64 << 10

// nextInflatedPiece returns the next piece of a compressed message for
// NextFrame: what has been decompressed once the current frame is read,
// at most 64 KiB, with a code point split at its end held back for the next
// piece.
func (c *Conn) nextInflatedPiece() (Frame, error) {
	typ := MessageType(c.recv.MessageOpcode())
	buf := append(c.frameBuf[:0], c.textCarry...)
	c.textCarry = c.textCarry[:0]
	final := false
	for len(buf) < maxInflatedPiece {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(len(buf), 4096), maxInflatedPiece-len(buf)))
		}
		n, err := c.inflate(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			final = true
			break
		}
		if err != nil {
			return Frame{}, err
		}
		if c.frameLeft == 0 && len(buf) > 0 {
			// The frame read so far is used up; what more the decoder
			// holds comes with the next piece, without waiting.
			break
		}
	}
	c.frameBuf = buf
	if typ == MessageText && !final {
		k := c.recv.PendingText()
		c.textCarry = append(c.textCarry, buf[len(buf)-k:]...)
		buf = buf[:len(buf)-k]
	}
	return Frame{Type: typ, Data: buf, Final: final}, nil
}

// discardInflated decompresses the rest of the current message and drops
// it: with context takeover the next message may refer back to it, so it
// cannot be skipped undecoded.
func (c *Conn) discardInflated() error {
	b := writerBuffers.Get().(*[]byte)
	defer writerBuffers.Put(b)
	for {
		if _, err := c.inflate(*b); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
