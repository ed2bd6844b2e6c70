package websocket

import (
	"context"
	"net"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/wsx-go/websocket/internal/frame"
)

// Write sends p as one message of type typ. A text message must be valid
// UTF-8. Messages longer than Options.OutgoingFrameSize are sent as several
// frames, text cut only between code points; control frames from other
// goroutines may go out between them, other messages may not. On a
// connection that negotiated compression, a message at least
// CompressionOptions.Threshold long is sent compressed.
//
// If ctx ends while the message is being written, the connection is closed,
// since a frame cut off half-way cannot be resumed.
func (c *Conn) Write(ctx context.Context, typ MessageType, p []byte) error {
	return c.write(ctx, typ, p, true)
}

// WriteUncompressed sends p as Write does, but never compressed: for a
// message that holds a secret next to text an attacker chooses, whose
// compressed size would give the secret away (see docs/compression.md), or
// one that is compressed already.
func (c *Conn) WriteUncompressed(ctx context.Context, typ MessageType, p []byte) error {
	return c.write(ctx, typ, p, false)
}

// write is Write; compress false sends the message uncompressed.
func (c *Conn) write(ctx context.Context, typ MessageType, p []byte, compress bool) error {
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
	stop := c.watch(ctx)
	if compress {
		err = c.writeMessage(op, p)
	} else {
		err = c.writeFrames(op, 0, p, op == frame.OpText)
	}
	if stop != nil {
		stop()
	}
	c.msgMu.unlock()
	if err != nil {
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

// writeMessage sends p as frames of at most OutgoingFrameSize bytes,
// compressed if compression was negotiated and p is long enough.
func (c *Conn) writeMessage(op frame.Opcode, p []byte) error {
	if c.z != nil && len(p) >= c.z.threshold {
		return c.writeCompressed(op, p)
	}
	return c.writeFrames(op, 0, p, op == frame.OpText)
}

// writeFrames sends the payload p of one message as frames of at most
// OutgoingFrameSize bytes; rsv goes on the first frame. With text set,
// frames are cut only between code points.
func (c *Conn) writeFrames(op frame.Opcode, rsv byte, p []byte, text bool) error {
	if int64(len(p)) <= c.opts.OutgoingFrameSize {
		// The common case: the message is one frame.
		return c.writeFrame(op, rsv, true, p)
	}
	grouped := c.groupsFrames(len(p))
	at := 0 // the message's bytes on the wire before the next frame
	for {
		var n int
		if grouped {
			var err error
			if n, err = c.writeFrameGroup(op, rsv, p, text); err != nil {
				return err
			}
		} else {
			n = c.frameCut(p, text)
			if err := c.writeFrameAt(op, rsv, n == len(p), p[:n], at); err != nil {
				return err
			}
			at += frame.HeaderSize(frame.Header{Length: int64(n), Masked: c.client}) + n
		}
		if n == len(p) {
			return nil
		}
		p, op, rsv = p[n:], frame.OpContinuation, 0
	}
}

// frameCut returns the payload length of the next frame of a message whose
// unsent payload is p.
func (c *Conn) frameCut(p []byte, text bool) int {
	n := len(p)
	if limit := c.opts.OutgoingFrameSize; int64(n) > limit {
		n = int(limit)
		if text {
			n = cutText(p, n)
		}
	}
	return n
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
	return c.writeFrame(op, 0, true, p)
}

// writeFrame sends one frame, with the reserved bits rsv, its header and
// payload in one write when they fit the write buffer.
func (c *Conn) writeFrame(op frame.Opcode, rsv byte, fin bool, p []byte) error {
	return c.writeFrameAt(op, rsv, fin, p, 0)
}

// writeFrameAt is writeFrame for a frame that comes at bytes into its
// message on the wire, headers included.
func (c *Conn) writeFrameAt(op frame.Opcode, rsv byte, fin bool, p []byte, at int) error {
	c.frameMu.Lock()
	err := c.writableLocked()
	if err == nil {
		err = c.writeFrameLocked(op, rsv, fin, p, at)
	}
	c.frameMu.Unlock()
	return err
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
	return true, c.writeFrameLocked(frame.OpClose, 0, true, p, 0)
}

// writeFrameLocked writes one frame, which comes at bytes into its message
// on the wire (0 for a frame that starts one); c.frameMu is held. A failed
// write leaves the stream unusable, so it closes the connection. The write
// buffer is taken from its pool for the frame only, so that an idle
// connection holds none.
func (c *Conn) writeFrameLocked(op frame.Opcode, rsv byte, fin bool, p []byte, at int) error {
	w := c.wpool.get()
	wbuf := w.b
	h := frame.Header{Fin: fin, RSV: rsv, Opcode: op, Length: int64(len(p))}
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
		err = c.writeOut(w, wbuf[:n+len(p)])
	case !h.Masked && op != frame.OpContinuation:
		// The first frame of a long message: a lead write, then the
		// rest of the payload straight from p.
		var rest []byte
		if rest, err = c.writeLead(w, n, p); err == nil {
			_, err = c.nc.Write(rest)
		}
	case !h.Masked:
		// A long unmasked continuation frame: one vectored write, no
		// copy.
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
		// The header goes where the frame falls in a page when its
		// message starts a page (at bytes in); every piece is masked to
		// just after the header, and every piece but the last is a whole
		// number of pages long, so each one's offset in buf's page
		// matches its offset in the message's stream (see
		// message_buffer.go).
		buf := wbuf
		var pooled *[]byte
		if len(buf) < maskBufferSize {
			pooled = maskBuffers.Get().(*[]byte)
			buf = *pooled
		}
		off := at % pageSize
		copy(buf[off:], wbuf[:n])
		buf = buf[off:]
		piece := len(buf) - n
		if pooled != nil {
			piece = min(piece, maxMaskPiece)
		}
		if piece > pageSize {
			piece &^= pageSize - 1
		}
		pos, start := 0, 0
		for len(p) > 0 && err == nil {
			m := min(len(p), piece)
			pos = frame.MaskCopy(buf[n:], p[:m], h.Mask, pos)
			_, err = c.nc.Write(buf[start : n+m])
			p, start = p[m:], n
		}
		if pooled != nil {
			maskBuffers.Put(pooled)
		}
	}
	c.wpool.put(w)
	if err != nil {
		return c.failWriteLocked(err)
	}
	return nil
}

// failWriteLocked records the failed write err, after which the stream is
// unusable, closes the connection and returns err; c.frameMu is held.
func (c *Conn) failWriteLocked(err error) error {
	c.writeErr = err
	c.closeTCP()
	return err
}

const writerBufferSize = 64 << 10

// leadWriteSize is the size of the first write of a message too long for
// the write buffer: a page, header included.
const leadWriteSize = 4096

// maxMaskPiece is the most payload a masked write from a pooled mask
// buffer carries.
const maxMaskPiece = 64 << 10

// maskBufferSize is the size of the buffers in maskBuffers: room for a
// header at any offset in the first page, and maxMaskPiece bytes of
// payload after it.
const maskBufferSize = pageSize + frame.MaxHeaderSize + maxMaskPiece

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
