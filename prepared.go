package websocket

import (
	"context"
	"sync"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/deflate"
	"github.com/wsx-go/websocket/internal/frame"
)

// PreparedMessage is a message encoded once to be sent on many
// connections, as a broadcast does. On a server connection its frame goes
// out as it is: no framing or copying per connection, one write. A client
// connection masks each frame with a fresh key, so it sends the message as
// Write would. A PreparedMessage is immutable and safe for concurrent use.
//
// On server connections that compress without context takeover, the
// compressed frame is also made once, per compression level and window,
// the first time one needs it. With context takeover each connection
// compresses the message itself, as the compressed form depends on what
// the connection sent before.
type PreparedMessage struct {
	typ     MessageType
	op      frame.Opcode
	payload []byte // the message, a slice of encoded
	encoded []byte // one final unmasked frame: header and payload

	mu       sync.Mutex
	deflated []preparedDeflate
}

// preparedDeflate is a PreparedMessage's compressed frame for one
// compressor configuration.
type preparedDeflate struct {
	level, window int
	encoded       []byte // one final unmasked frame with RSV1
}

// NewPreparedMessage encodes a message of type typ with payload p, which it
// copies. A text message must be valid UTF-8.
func NewPreparedMessage(typ MessageType, p []byte) (*PreparedMessage, error) {
	op, err := dataOpcode(typ)
	if err != nil {
		return nil, err
	}
	if typ == MessageText && !utf8.Valid(p) {
		return nil, ErrInvalidUTF8
	}
	h := frame.Header{Fin: true, Opcode: op, Length: int64(len(p))}
	encoded := make([]byte, 0, frame.MaxHeaderSize+len(p))
	encoded = frame.Append(encoded, h)
	hlen := len(encoded)
	encoded = append(encoded, p...)
	return &PreparedMessage{typ: typ, op: op, payload: encoded[hlen:], encoded: encoded}, nil
}

// Type returns the message's type.
func (m *PreparedMessage) Type() MessageType { return m.typ }

// Payload returns the message's payload, which must not be modified.
func (m *PreparedMessage) Payload() []byte { return m.payload }

// WritePrepared sends m as Write sends a message. On a server connection
// a message within Options.OutgoingFrameSize goes out as its prepared
// frame; longer ones are cut into frames as Write cuts them.
func (c *Conn) WritePrepared(ctx context.Context, m *PreparedMessage) error {
	if err := c.msgMu.lock(ctx); err != nil {
		return err
	}
	defer c.msgMu.unlock()
	if stop := c.watch(ctx); stop != nil {
		defer stop()
	}
	f, err := c.sharedFrame(m)
	switch {
	case err != nil:
	case f != nil:
		err = c.writeEncoded(f)
	case c.z != nil && len(m.payload) >= c.z.threshold:
		err = c.writeCompressed(m.op, m.payload)
	default:
		err = c.writeFrames(m.op, 0, m.payload, m.op == frame.OpText)
	}
	if err != nil {
		return contextError(ctx, err)
	}
	return nil
}

// sharedFrame returns the frame c sends m as, the same for every connection
// that can use it: m's prepared frame, or its compressed frame, made once
// per compressor configuration. It returns nil when c has to frame m
// itself: on a client (each frame has its own mask), for a message longer
// than Options.OutgoingFrameSize, when c compresses with context takeover,
// or when the compressed frame outgrows the frame size (rare, as
// compression shrinks what fitted before).
func (c *Conn) sharedFrame(m *PreparedMessage) ([]byte, error) {
	if c.client {
		return nil, nil
	}
	if c.z != nil && len(m.payload) >= c.z.threshold {
		if c.z.takeover {
			return nil, nil
		}
		encoded, err := m.deflatedFrame(c.z.level, c.z.window)
		if err != nil || int64(len(encoded)) > c.opts.OutgoingFrameSize+frame.MaxHeaderSize {
			return nil, err
		}
		return encoded, nil
	}
	if int64(len(m.payload)) > c.opts.OutgoingFrameSize {
		return nil, nil
	}
	return m.encoded, nil
}

// deflatedFrame returns m's compressed frame for a compressor of the given
// level and window, made on first use.
func (m *PreparedMessage) deflatedFrame(level, window int) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.deflated {
		if d.level == level && d.window == window {
			return d.encoded, nil
		}
	}
	comp, err := deflate.NewCompressor(level, window, false)
	if err != nil {
		return nil, err
	}
	payload, err := comp.Compress(nil, m.payload)
	comp.Close()
	if err != nil {
		return nil, err
	}
	h := frame.Header{Fin: true, RSV: frame.RSV1, Opcode: m.op, Length: int64(len(payload))}
	encoded := frame.Append(make([]byte, 0, frame.MaxHeaderSize+len(payload)), h)
	encoded = append(encoded, payload...)
	m.deflated = append(m.deflated, preparedDeflate{level, window, encoded})
	return encoded, nil
}

// writeEncoded writes a whole encoded frame.
func (c *Conn) writeEncoded(b []byte) error {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	if _, err := c.nc.Write(b); err != nil {
		return c.failWriteLocked(err)
	}
	return nil
}
