package websocket

import (
	"sync"

	"github.com/wsx-go/websocket/internal/frame"
)

// writeCompressed sends the message p compressed (RFC 7692 §7.2.1): its
// compressed payload cut into frames of at most OutgoingFrameSize bytes,
// RSV1 set on the first. c.msgMu is held, which guards the compressor.
func (c *Conn) writeCompressed(op frame.Opcode, p []byte) error {
	b := deflateBuffers.Get().(*[]byte)
	out, err := c.z.comp.Compress((*b)[:0], p)
	if err == nil {
		err = c.writeFrames(op, frame.RSV1, out, false)
	}
	if cap(out) <= maxPooledDeflateBuffer {
		*b = out[:0]
		deflateBuffers.Put(b)
	}
	return err
}

// deflateBuffers hold compressed messages on their way out. They grow to
// the largest message compressed; ones grown past maxPooledDeflateBuffer
// are dropped after use, so that one large message does not keep its
// buffer alive.
var deflateBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 4096)
	return &b
}}

const maxPooledDeflateBuffer = 1 << 20
