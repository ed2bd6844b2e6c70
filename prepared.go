package websocket

import (
	"context"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
)

// PreparedMessage is a message encoded once to be sent on many
// connections, as a broadcast does. On a server connection its frame goes
// out as it is: no framing or copying per connection, one write. A client
// connection masks each frame with a fresh key, so it sends the message as
// Write would. A PreparedMessage is immutable and safe for concurrent use.
type PreparedMessage struct {
	typ     MessageType
	op      frame.Opcode
	payload []byte // the message, a slice of encoded
	encoded []byte // one final unmasked frame: header and payload
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
	var err error
	if c.client || int64(len(m.payload)) > c.opts.OutgoingFrameSize {
		err = c.writeMessage(m.op, m.payload)
	} else {
		err = c.writeEncoded(m.encoded)
	}
	if err != nil {
		return contextError(ctx, err)
	}
	return nil
}

// writeEncoded writes a whole encoded frame.
func (c *Conn) writeEncoded(b []byte) error {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	if _, err := c.nc.Write(b); err != nil {
		c.writeErr = err
		c.closeTCP()
		return err
	}
	return nil
}
