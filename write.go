package websocket

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/utf8check"
)

// Write sends p as one message of type typ. A text message must be valid
// UTF-8. Messages longer than Options.OutgoingFrameSize are sent as several
// frames, text cut only between code points; control frames from other
// goroutines may go out between them, other messages may not.
//
// If ctx ends while the message is being written, the connection is closed,
// since a frame cut off half-way cannot be resumed.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	op, err := dataOpcode(typ)
	if err != nil {
		return err
	}
	if typ == MessageText && !utf8.Valid(p) {
		return ErrInvalidUTF8
	}
	if err := c.msgMu.lock(ctx); err != nil {
		return err
	}
	defer c.msgMu.unlock()
	if stop := c.watch(ctx); stop != nil {
		defer stop()
	}
	if err := c.writeMessage(op, p); err != nil {
		return contextError(ctx, err)
	}
	return nil
}

// WriteText sends s as one text message; see Write.
func (c *Conn) WriteText(ctx context.Context, s string) error {
	// Write only reads p, so s goes out without a copy; []byte(s) would
	// copy s to the heap, as p escapes into the vectored write.
	return c.Write(ctx, MessageText, unsafe.Slice(unsafe.StringData(s), len(s)))
}

func dataOpcode(typ MessageType) (frame.Opcode, error) {
	switch typ {
	case MessageText:
		return frame.OpText, nil
	case MessageBinary:
		return frame.OpBinary, nil
	}
	return 0, ErrMessageType
}

// writeMessage sends p as frames of at most OutgoingFrameSize bytes.
func (c *Conn) writeMessage(op frame.Opcode, p []byte) error {
	text := op == frame.OpText
	limit := c.opts.OutgoingFrameSize
	for {
		n := len(p)
		if int64(n) > limit {
			n = int(limit)
			if text {
				n = cutText(p, n)
			}
		}
		fin := n == len(p)
		if err := c.writeFrame(op, fin, p[:n]); err != nil {
			return err
		}
		if fin {
			return nil
		}
		p, op = p[n:], frame.OpContinuation
	}
}

// cutText returns the largest cut point no greater than n that falls between
// two code points of the valid UTF-8 text p, or, when the first code point is
// longer than n, the end of that code point.
func cutText(p []byte, n int) int {
	for i := n; i > 0; i-- {
		if utf8.RuneStart(p[i]) {
			return i
		}
	}
	_, size := utf8.DecodeRune(p)
	return size
}

// writeControl sends a control frame.
func (c *Conn) writeControl(op frame.Opcode, p []byte) error {
	return c.writeFrame(op, true, p)
}

// writeFrame sends one frame, its header and payload in one write when they
// fit the write buffer.
func (c *Conn) writeFrame(op frame.Opcode, fin bool, p []byte) error {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	return c.writeFrameLocked(op, fin, p)
}

// writableLocked tells why no data frame may be written, if so: an earlier
// write failed, or the close frame went out. c.frameMu is held.
func (c *Conn) writableLocked() error {
	if c.writeErr != nil {
		return c.writeErr
	}
	if c.closeSent || c.State() == StateClosed {
		return ErrClosed
	}
	return nil
}

// sendClose sends a close frame unless one was sent already. It reports
// whether this call sent it.
func (c *Conn) sendClose(code CloseCode, reason string, deadline time.Time) (bool, error) {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if c.closeSent || c.State() == StateClosed {
		return false, nil
	}
	c.closeSent = true
	c.setState(StateClosing)
	if c.writeErr != nil {
		return true, c.writeErr
	}
	var buf [frame.MaxControlPayload]byte
	p := frame.AppendClose(buf[:0], uint16(code), reason)
	c.nc.SetWriteDeadline(deadline)
	return true, c.writeFrameLocked(frame.OpClose, true, p)
}

// writeFrameLocked writes one frame; c.frameMu is held. A failed write
// leaves the stream unusable, so it closes the connection. The write buffer
// is taken from its pool for the frame only, so that an idle connection
// holds none.
func (c *Conn) writeFrameLocked(op frame.Opcode, fin bool, p []byte) error {
	wpooled := c.wpool.get()
	wbuf := *wpooled
	h := frame.Header{Fin: fin, Opcode: op, Length: int64(len(p))}
	if c.client {
		h.Masked = true
		h.Mask = c.masks.NextMask()
	}
	n := frame.Put(wbuf, h)
	var err error
	switch {
	case n+len(p) <= len(wbuf):
		// Header and payload in one write.
		if h.Masked {
			frame.MaskCopy(wbuf[n:], p, h.Mask, 0)
		} else {
			copy(wbuf[n:], p)
		}
		_, err = c.nc.Write(wbuf[:n+len(p)])
	case !h.Masked:
		// A long unmasked payload: one vectored write, no copy.
		v := vecWrites.Get().(*vecWrite)
		v.arr = [2][]byte{wbuf[:n], p}
		v.vec = v.arr[:]
		_, err = v.vec.WriteTo(c.nc)
		v.arr = [2][]byte{}
		vecWrites.Put(v)
	default:
		// A long masked payload is masked through a buffer, the header
		// going out with the first piece. When wbuf is small, a pooled
		// 64 KiB buffer cuts the system calls per megabyte from 64 to 16.
		buf := wbuf
		var pooled *[]byte
		if len(buf) < maskBufferSize {
			pooled = maskBuffers.Get().(*[]byte)
			buf = *pooled
			copy(buf, wbuf[:n])
		}
		pos := 0
		for len(p) > 0 && err == nil {
			m := min(len(p), len(buf)-n)
			pos = frame.MaskCopy(buf[n:], p[:m], h.Mask, pos)
			_, err = c.nc.Write(buf[:n+m])
			p, n = p[m:], 0
		}
		if pooled != nil {
			maskBuffers.Put(pooled)
		}
	}
	c.wpool.put(wpooled)
	if err != nil {
		c.writeErr = err
		c.closeTCP()
	}
	return err
}

// Writer returns a writer for one message of type typ, sent as a fragmented
// message: each time OutgoingFrameSize bytes (at most 64 KiB) have
// gathered, a frame goes out; Close sends the final frame. No other message
// can be written until Close is called; control frames still can. A text
// writer refuses, whole, any Write that would make the text invalid UTF-8,
// and cuts frames only between code points.
//
// ctx bounds the whole message: if it ends before Close returns, the
// connection is closed.
func (c *Conn) Writer(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	op, err := dataOpcode(typ)
	if err != nil {
		return nil, err
	}
	if err := c.msgMu.lock(ctx); err != nil {
		return nil, err
	}
	size := int(min(c.opts.OutgoingFrameSize, writerBufferSize))
	w := &messageWriter{c: c, ctx: ctx, op: op, text: typ == MessageText}
	w.pooled = writerBuffers.Get().(*[]byte)
	w.buf = (*w.pooled)[:0:max(size, utf8.UTFMax)]
	w.stop = c.watch(ctx)
	return w, nil
}

const writerBufferSize = 64 << 10

// maskBufferSize is the size of the buffers in maskBuffers: a header and
// 64 KiB of payload.
const maskBufferSize = frame.MaxHeaderSize + 64<<10

// maskBuffers hold long masked payloads on their way out.
var maskBuffers = sync.Pool{New: func() any {
	b := make([]byte, maskBufferSize)
	return &b
}}

var writerBuffers = sync.Pool{New: func() any {
	b := make([]byte, writerBufferSize)
	return &b
}}

// A vecWrite is a vectored write of a frame header and its payload, from
// vecWrites for the time of the write: net.Buffers.WriteTo needs them on
// the heap.
type vecWrite struct {
	vec net.Buffers
	arr [2][]byte
}

var vecWrites = sync.Pool{New: func() any { return new(vecWrite) }}

var errWriterClosed = errors.New("websocket: write to a closed message writer")

// messageWriter sends one fragmented message for Writer.
type messageWriter struct {
	c      *Conn
	ctx    context.Context
	op     frame.Opcode // opcode of the next frame
	text   bool
	utf8   utf8check.Validator
	buf    []byte
	pooled *[]byte
	stop   func() bool
	err    error
}

// Write adds p to the message, sending a frame each time the buffer fills.
func (w *messageWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.text {
		v := w.utf8
		if !v.Write(p) {
			return 0, ErrInvalidUTF8
		}
		w.utf8 = v
	}
	written := len(p)
	limit := int(min(w.c.opts.OutgoingFrameSize, int64(^uint(0)>>1)))
	// While more than a buffer's worth is left, send it without copying.
	for len(w.buf) == 0 && len(p) > cap(w.buf) {
		n := min(len(p), limit)
		if w.text {
			n -= utf8check.IncompleteTail(p[:n])
		}
		if n <= 0 {
			break
		}
		if err := w.frame(p[:n]); err != nil {
			return 0, err
		}
		p = p[n:]
	}
	for len(p) > 0 {
		m := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p = w.buf[:len(w.buf)+m], p[m:]
		if len(w.buf) == cap(w.buf) {
			k := 0
			if w.text {
				k = utf8check.IncompleteTail(w.buf)
			}
			if err := w.frame(w.buf[:len(w.buf)-k]); err != nil {
				return 0, err
			}
			w.buf = w.buf[:copy(w.buf, w.buf[len(w.buf)-k:])]
		}
	}
	return written, nil
}

// frame sends p as a non-final frame of the message.
func (w *messageWriter) frame(p []byte) error {
	if err := w.c.writeFrame(w.op, false, p); err != nil {
		w.fail(contextError(w.ctx, err))
		return w.err
	}
	w.op = frame.OpContinuation
	return nil
}

// Close sends the final frame. If a text message ends inside a code point,
// the incomplete code point is dropped and Close returns ErrInvalidUTF8.
func (w *messageWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	var result error
	if w.text && !w.utf8.Complete() {
		w.buf = w.buf[:len(w.buf)-w.utf8.Pending()]
		result = ErrInvalidUTF8
	}
	if err := w.c.writeFrame(w.op, true, w.buf); err != nil {
		result = contextError(w.ctx, err)
	}
	w.fail(errWriterClosed)
	return result
}

// fail ends the writer with err and lets the next message go.
func (w *messageWriter) fail(err error) {
	w.err = err
	if w.stop != nil {
		w.stop()
	}
	writerBuffers.Put(w.pooled)
	w.pooled, w.buf = nil, nil
	w.c.msgMu.unlock()
}
