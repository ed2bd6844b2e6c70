package websocket

import (
	"context"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/utf8check"
)

// Writer returns a writer for one message of type typ, sent as a fragmented
// message: each time OutgoingFrameSize bytes (at most 64 KiB) have
// gathered, a frame goes out; Close sends the final frame. No other message
// can be written until Close is called; control frames still can. A text
// writer refuses, whole, any Write that would make the text invalid UTF-8,
// and cuts frames only between code points.
//
// On a connection that negotiated compression, the message is compressed
// once CompressionOptions.Threshold bytes have been written before the
// first frame goes out; the frames then carry the compressed stream.
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

var errWriterClosed = errors.New("websocket: write to a closed message writer")

// messageWriter sends one fragmented message for Writer.
type messageWriter struct {
	c      *Conn
	ctx    context.Context
	op     frame.Opcode // opcode of the next frame
	rsv    byte         // reserved bits of the next frame
	text   bool
	utf8   utf8check.Validator
	buf    []byte // plain: the text or bytes of the next frame; compressed: its compressed octets
	pooled *[]byte
	stop   func() bool
	err    error

	// Compression. Until a frame goes out, a connection with compression
	// may still compress the message; deflating says it does. Text
	// reaches the compressor in whole code points: the first octets of a
	// code point that a Write left incomplete wait in pend.
	deflating bool
	pend      [utf8.UTFMax]byte
	npend     int
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
	if !w.deflating && w.mayCompress() && len(w.buf)+len(p) >= w.c.z.threshold {
		if err := w.startDeflate(); err != nil {
			return 0, err
		}
	}
	if w.deflating {
		if err := w.deflate(p); err != nil {
			return 0, err
		}
		return len(p), nil
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

// mayCompress reports whether the message can still be compressed:
// compression was negotiated and no frame has gone out.
func (w *messageWriter) mayCompress() bool {
	return w.c.z != nil && w.op != frame.OpContinuation
}

// startDeflate switches the message to compression: the octets buffered so
// far go to the compressor, and the buffer gathers compressed octets.
func (w *messageWriter) startDeflate() error {
	w.deflating = true
	w.rsv = frame.RSV1
	w.c.z.comp.Begin((*deflateFrames)(w))
	if len(w.buf) == 0 {
		return nil
	}
	// The buffer will gather compressed octets from its start, so the
	// plain octets in it (fewer than the threshold) move out first, to a
	// pooled buffer as large as it.
	moved := writerBuffers.Get().(*[]byte)
	defer writerBuffers.Put(moved)
	plain := append((*moved)[:0], w.buf...)
	w.buf = w.buf[:0]
	if w.text {
		k := utf8check.IncompleteTail(plain)
		w.npend = copy(w.pend[:], plain[len(plain)-k:])
		plain = plain[:len(plain)-k]
	}
	if _, err := w.c.z.comp.Write(plain); err != nil {
		w.fail(contextError(w.ctx, err))
		return w.err
	}
	return nil
}

// deflate compresses p, holding back the octets of a code point p leaves
// incomplete.
func (w *messageWriter) deflate(p []byte) error {
	comp := w.c.z.comp
	if w.text {
		k := w.utf8.Pending()
		if k > len(p) {
			// p only continues the pending code point.
			w.npend += copy(w.pend[w.npend:], p)
			return nil
		}
		if w.npend > 0 {
			if _, err := comp.Write(w.pend[:w.npend]); err != nil {
				w.fail(contextError(w.ctx, err))
				return w.err
			}
		}
		w.npend = copy(w.pend[:], p[len(p)-k:])
		p = p[:len(p)-k]
	}
	if _, err := comp.Write(p); err != nil {
		w.fail(contextError(w.ctx, err))
		return w.err
	}
	return nil
}

// deflateFrames receives a compressed message's octets from the
// compressor and sends them as frames of the buffer's size.
type deflateFrames messageWriter

func (d *deflateFrames) Write(b []byte) (int, error) {
	w := (*messageWriter)(d)
	n := len(b)
	for len(b) > 0 {
		m := copy(w.buf[len(w.buf):cap(w.buf)], b)
		w.buf, b = w.buf[:len(w.buf)+m], b[m:]
		if len(w.buf) == cap(w.buf) {
			if err := w.frame(w.buf); err != nil {
				return 0, err
			}
			w.buf = w.buf[:0]
		}
	}
	return n, nil
}

// frame sends p as a non-final frame of the message.
func (w *messageWriter) frame(p []byte) error {
	if err := w.c.writeFrame(w.op, w.rsv, false, p); err != nil {
		w.fail(contextError(w.ctx, err))
		return w.err
	}
	w.op, w.rsv = frame.OpContinuation, 0
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
		if !w.deflating {
			w.buf = w.buf[:len(w.buf)-w.utf8.Pending()]
		}
		result = ErrInvalidUTF8
	}
	if w.deflating {
		// The compressor's last octets reach w.buf through deflateFrames,
		// and any full buffer goes out as a frame on the way.
		if err := w.c.z.comp.End(); err != nil {
			if w.err == nil {
				w.fail(contextError(w.ctx, err))
			}
			return w.err
		}
	}
	if err := w.c.writeFrame(w.op, w.rsv, true, w.buf); err != nil {
		result = contextError(w.ctx, err)
	}
	w.fail(errWriterClosed)
	return result
}

// fail ends the writer with err and lets the next message go.
func (w *messageWriter) fail(err error) {
	if w.err != nil {
		return
	}
	w.err = err
	if w.stop != nil {
		w.stop()
	}
	writerBuffers.Put(w.pooled)
	w.pooled, w.buf = nil, nil
	w.c.msgMu.unlock()
}
