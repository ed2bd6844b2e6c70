package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/protocol"
)

// Read reads the next whole data message into a new slice. Use ReadInto to
// reuse a buffer, Reader to stream a message, NextFrame to see its frames.
//
// Pings are answered, pongs delivered to Ping, and the close handshake run
// while reading. After the peer's close frame Read returns a *CloseError;
// when the peer broke the protocol, a *ProtocolError. If ctx ends first, the
// connection is closed, since a frame cut off half-way cannot be resumed.
func (c *Conn) Read(ctx context.Context) (MessageType, []byte, error) {
	return c.ReadInto(ctx, nil)
}

// ReadInto reads the next whole data message into buf, growing it when the
// message does not fit, and returns the message as a slice of the (possibly
// new) buffer. Passing the returned slice back on the next call reads
// without allocating once the buffer has grown to the largest message.
// Otherwise it behaves as Read.
func (c *Conn) ReadInto(ctx context.Context, buf []byte) (MessageType, []byte, error) {
	buf = buf[:0]
	if err := c.readMu.lock(ctx); err != nil {
		return 0, buf, err
	}
	stop := c.watch(ctx)
	typ, buf, err := c.readMessage(buf)
	if stop != nil {
		stop()
	}
	c.readMu.unlock()
	if err != nil {
		return 0, buf, contextError(ctx, err)
	}
	return typ, buf, nil
}

// readMessage is ReadInto once c.readMu is held.
func (c *Conn) readMessage(buf []byte) (MessageType, []byte, error) {
	c.endReader()
	if err := c.startMessage(); err != nil {
		return 0, buf, err
	}
	typ := MessageType(c.recv.MessageOpcode())
	if c.inflating() {
		buf, err := c.readInflated(buf)
		if err != nil {
			return 0, buf, err
		}
		c.releaseReadBuffer()
		return typ, buf, nil
	}
	for {
		for c.frameLeft > 0 {
			// Grow by at most 1 MiB ahead of the data, so a peer cannot make
			// wsx allocate a large buffer by announcing a long frame.
			buf = growMessage(buf, int(min(c.frameLeft, 1<<20)))
			n, err := c.readPayload(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				return 0, buf, err
			}
		}
		if !c.recv.InMessage() {
			c.releaseReadBuffer()
			return typ, buf, nil
		}
		if err := c.nextDataFrame(); err != nil {
			return 0, buf, err
		}
	}
}

// Reader returns the type of the next data message and a reader for its
// payload, which returns io.EOF at the end of the message. The reader is
// valid until the next call to a read method; a message not read to the end
// is discarded by that call. ctx bounds the whole message: if it ends before
// the reader reaches io.EOF, the connection is closed.
func (c *Conn) Reader(ctx context.Context) (MessageType, io.Reader, error) {
	if err := c.readMu.lock(ctx); err != nil {
		return 0, nil, err
	}
	defer c.readMu.unlock()
	c.endReader()
	if err := c.startMessage(); err != nil {
		return 0, nil, contextError(ctx, err)
	}
	r := &messageReader{c: c, ctx: ctx, stop: c.watch(ctx), compressed: c.inflating()}
	c.reader = r
	return MessageType(c.recv.MessageOpcode()), r, nil
}

// Frame is one data frame of a message, as NextFrame returns it.
type Frame struct {
	Type  MessageType // the type of the message the frame belongs to
	Data  []byte      // the payload; for text, whole code points only
	Final bool        // the last frame of its message
}

// NextFrame returns the next data frame as it arrives, for processing a long
// message piece by piece, as Qt's textFrameReceived and binaryFrameReceived
// do. A text frame's Data always holds whole UTF-8 code points: bytes of a
// code point split between frames are held back and delivered with the next
// frame. Data is valid until the next call to a read method.
//
// A compressed message (see CompressionOptions) comes decompressed, in
// pieces of at most 64 KiB that do not follow its frames: each piece is what
// has been decompressed once the frame being read is used up.
func (c *Conn) NextFrame(ctx context.Context) (Frame, error) {
	if err := c.readMu.lock(ctx); err != nil {
		return Frame{}, err
	}
	defer c.readMu.unlock()
	if stop := c.watch(ctx); stop != nil {
		defer stop()
	}
	if c.endReader() {
		// A Reader left its message unread: discard the rest of it.
		if err := c.discardMessage(); err != nil {
			return Frame{}, contextError(ctx, err)
		}
	}
	if !c.inflating() {
		if err := c.discardFrame(); err != nil {
			return Frame{}, contextError(ctx, err)
		}
		if err := c.nextDataFrame(); err != nil {
			return Frame{}, contextError(ctx, err)
		}
	}
	if c.inflating() {
		f, err := c.nextInflatedPiece()
		return f, contextError(ctx, err)
	}
	typ := MessageType(c.recv.MessageOpcode())
	buf := append(c.frameBuf[:0], c.textCarry...)
	c.textCarry = c.textCarry[:0]
	for c.frameLeft > 0 {
		buf = growMessage(buf, int(min(c.frameLeft, 1<<20)))
		n, err := c.readPayload(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return Frame{}, contextError(ctx, err)
		}
	}
	c.frameBuf = buf
	final := !c.recv.InMessage()
	if typ == MessageText && !final {
		k := c.recv.PendingText()
		c.textCarry = append(c.textCarry, buf[len(buf)-k:]...)
		buf = buf[:len(buf)-k]
	}
	return Frame{Type: typ, Data: buf, Final: final}, nil
}

// startMessage discards what is left of a message an earlier reader did not
// finish and reads up to the first frame of the next message.
func (c *Conn) startMessage() error {
	c.textCarry = c.textCarry[:0]
	if c.frameLeft > 0 || c.recv.InMessage() || c.inflating() {
		if err := c.discardMessage(); err != nil {
			return err
		}
	}
	return c.nextDataFrame()
}

// discardMessage skips the unread rest of the current message, if any.
func (c *Conn) discardMessage() error {
	if c.inflating() {
		return c.discardInflated()
	}
	for {
		if err := c.discardFrame(); err != nil {
			return err
		}
		if !c.recv.InMessage() {
			return nil
		}
		if err := c.nextDataFrame(); err != nil {
			return err
		}
	}
}

// discardFrame skips the unread payload of the current frame.
func (c *Conn) discardFrame() error {
	for c.frameLeft > 0 {
		if c.rpos == c.rend {
			c.growReadBuffer()
			if err := c.fill(1); err != nil {
				return c.failRead(err)
			}
		}
		if _, err := c.readPayload(c.rbuf[c.rpos:c.rend]); err != nil {
			return err
		}
	}
	return nil
}

// nextDataFrame reads frames up to the header of the next data frame,
// handling the control frames on the way.
func (c *Conn) nextDataFrame() error {
	for {
		if c.readErr != nil {
			return c.readErr
		}
		// Between frames: an idle connection waits in the small buffer.
		c.releaseReadBuffer()
		if err := c.fill(2); err != nil {
			return c.failRead(err)
		}
		if err := c.fill(frame.Size(c.rbuf[c.rpos], c.rbuf[c.rpos+1])); err != nil {
			return c.failRead(err)
		}
		h, n, err := frame.Parse(c.rbuf[c.rpos:c.rend])
		if err != nil {
			return c.failProtocol(&protocol.Violation{Code: protocol.CodeProtocolError, Reason: err.Error()})
		}
		c.rpos += n
		if err := c.recv.Header(h); err != nil {
			return c.failProtocol(err)
		}
		if h.Opcode.IsControl() {
			if err := c.readControl(h); err != nil {
				return err
			}
			continue
		}
		if c.recv.Compressed() && h.Opcode != frame.OpContinuation {
			c.beginInflate()
		}
		c.frameLeft, c.frameMask, c.frameMasked, c.maskPos = h.Length, h.Mask, h.Masked, 0
		if h.Length == 0 {
			if err := c.recv.FrameDone(); err != nil {
				return c.failProtocol(err)
			}
		}
		return nil
	}
}

// readPayload reads up to len(p) bytes of the current frame's payload into
// p, unmasked and checked. A part longer than the read buffer is read
// straight into p, at most directReadSize bytes a call.
func (c *Conn) readPayload(p []byte) (int, error) {
	if int64(len(p)) > c.frameLeft {
		p = p[:c.frameLeft]
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	switch {
	case c.rpos < c.rend:
		n = copy(p, c.rbuf[c.rpos:c.rend])
		c.rpos += n
	case len(p) >= c.opts.ReadBufferSize:
		// Long payloads skip the buffer.
		if len(p) > directReadSize {
			p = p[:directReadSize]
		}
		var err error
		n, err = c.nc.Read(p)
		// A read cut short by an error leaves the frame unfinished:
		// fail now rather than on the next read.
		if n == 0 || err != nil && n < len(p) {
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, c.failRead(err)
		}
	default:
		// Within a frame more bytes are on their way: read them through
		// a full-size buffer.
		c.growReadBuffer()
		if err := c.fill(1); err != nil {
			return 0, c.failRead(err)
		}
		n = copy(p, c.rbuf[c.rpos:c.rend])
		c.rpos += n
	}
	p = p[:n]
	if c.frameMasked {
		c.maskPos = frame.Mask(c.frameMask, c.maskPos, p)
	}
	if err := c.recv.Payload(p); err != nil {
		return 0, c.failProtocol(err)
	}
	c.frameLeft -= int64(n)
	if c.frameLeft == 0 {
		if err := c.recv.FrameDone(); err != nil {
			return 0, c.failProtocol(err)
		}
	}
	return n, nil
}

// directReadSize is the most readPayload reads straight into a message with
// one call. Reading a long frame a loopback segment (64 KiB) at a time
// hands the socket's receive space back to the sender as it goes, instead
// of once at the end of a read of up to 1 MiB; the sender's window opens in
// small steps and its segments keep flowing. In bench/, 64 connections ×
// 1 MiB echo went from about 2.9–3.0k to 3.5–3.6k round trips per second,
// with a third of the retransmissions (docs/performance.md).
const directReadSize = 64 << 10

// fill reads from the network until at least n bytes are buffered; n is at
// most the size of a control frame with its header. It moves from the small
// buffer to a full-size one when n bytes do not fit the small buffer, or
// when the last read filled it, a sign that more bytes are waiting.
func (c *Conn) fill(n int) error {
	if c.rend-c.rpos >= n {
		return nil
	}
	return c.fillMore(n)
}

// fillMore is fill when fewer than n bytes are buffered.
func (c *Conn) fillMore(n int) error {
	if c.rpooled == nil && (n > len(c.rbuf) || c.rend == len(c.rbuf) && c.rpos < c.rend) {
		c.growReadBuffer()
	}
	if n > len(c.rbuf) {
		return errors.New("websocket: internal error: read buffer smaller than a control frame")
	}
	if c.rpos == c.rend {
		c.rpos, c.rend = 0, 0
	} else if len(c.rbuf)-c.rpos < n {
		c.rend = copy(c.rbuf, c.rbuf[c.rpos:c.rend])
		c.rpos = 0
	}
	for c.rend-c.rpos < n {
		m, err := c.readNet()
		c.rend += m
		if err != nil && c.rend-c.rpos < n {
			if err == io.EOF && c.rend > c.rpos {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// readNet reads from the network into c.rbuf[c.rend:]. On a raw socket
// the read may first move the buffered bytes to a full-size buffer, or,
// while it waits for the peer, to the small one.
func (c *Conn) readNet() (int, error) {
	if c.raw == nil {
		return c.nc.Read(c.rbuf[c.rend:])
	}
	c.rawN, c.rawErr, c.rawWaited = 0, nil, false
	if err := c.raw.Read(c.rawRead); err != nil {
		return 0, err
	}
	return c.rawN, c.rawErr
}

// readControl reads a control frame's payload and acts on it.
func (c *Conn) readControl(h frame.Header) error {
	if err := c.fill(int(h.Length)); err != nil {
		return c.failRead(err)
	}
	p := append(c.ctrl[:0], c.rbuf[c.rpos:c.rpos+int(h.Length)]...)
	c.ctrl = p
	c.rpos += int(h.Length)
	if h.Masked {
		frame.Mask(h.Mask, 0, p)
	}
	switch h.Opcode {
	case frame.OpPing:
		// RFC 6455 §5.5.2: answer with the same payload, unless our close
		// frame is out, after which nothing more may be sent.
		c.emitControl(eventPing, p, 0)
		if err := c.writeControl(frame.OpPong, p); err != nil && !errors.Is(err, ErrClosed) {
			return c.failRead(err)
		}
	case frame.OpPong:
		rtt, ok := c.pings.resolve(p, time.Now())
		if ok {
			c.rtt.Store(int64(rtt))
		}
		c.emitControl(eventPong, p, rtt)
	case frame.OpClose:
		return c.readPeerClose(p)
	}
	return nil
}

// readPeerClose runs our side of the close handshake once the peer's close
// frame has arrived.
func (c *Conn) readPeerClose(p []byte) error {
	code, reason, err := c.recv.Close(p)
	if err != nil {
		return c.failProtocol(err)
	}
	ce := &CloseError{Code: CloseCode(code), Reason: string(reason)}
	c.closeMu.Lock()
	c.peerClose = ce
	c.closeMu.Unlock()
	c.readErr = ce
	deadline := time.Now().Add(c.opts.CloseTimeout)
	// RFC 6455 §5.5.1: answer with a close frame, echoing the code.
	sent, werr := c.sendClose(CloseCode(code), "", deadline)
	switch {
	case c.client:
		// RFC 6455 §7.1.1: the server closes TCP first; wait for it.
		c.awaitEOF(deadline)
	case sent && werr == nil:
		// The peer may have sent more after its close frame.
		c.lingerClose(deadline)
	}
	c.closeTCP()
	return ce
}

// failRead ends the connection after a network error or an end of stream
// without a close frame.
func (c *Conn) failRead(err error) error {
	if c.readErr != nil {
		return c.readErr
	}
	if cause := c.abortCause(); cause != nil {
		// The connection was dropped on purpose: say why, not how the
		// read noticed.
		err = cause
	}
	c.readErr = &CloseError{Code: CloseAbnormal, Err: err}
	c.closeTCP()
	return c.readErr
}

// failProtocol fails the connection for a broken receive rule
// (RFC 6455 §7.1.7): it sends a close frame with the rule's code, then
// closes TCP.
func (c *Conn) failProtocol(err error) error {
	if c.readErr != nil {
		// Failed already: the first failure is the one reported.
		return c.readErr
	}
	var v *protocol.Violation
	if !errors.As(err, &v) {
		return c.failRead(err)
	}
	pe := &ProtocolError{Code: CloseCode(v.Code), Reason: v.Reason}
	c.readErr = pe
	deadline := time.Now().Add(c.opts.CloseTimeout)
	if sent, _ := c.sendClose(pe.Code, v.Reason, deadline); sent {
		c.lingerClose(deadline)
	}
	c.closeTCP()
	return pe
}

// lingerClose lets what was written reach the peer before TCP closes:
// closing a socket with unread input sends a reset, which may destroy the
// data still in flight, close frame included. It closes the sending side
// (for TLS, after the close_notify alert) and drains until the peer closes
// its own or the deadline passes.
func (c *Conn) lingerClose(deadline time.Time) {
	nc := c.nc
	if tc, ok := nc.(*tls.Conn); ok {
		tc.CloseWrite()
		nc = tc.NetConn()
	}
	if cw, ok := nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.awaitEOF(deadline)
	}
}

// awaitEOF reads and discards until the peer closes its side or the
// deadline passes.
func (c *Conn) awaitEOF(deadline time.Time) {
	c.nc.SetReadDeadline(deadline)
	c.rpos, c.rend = 0, 0
	c.growReadBuffer()
	for {
		if _, err := c.nc.Read(c.rbuf); err != nil {
			break
		}
	}
	c.releaseReadBuffer()
}

// growReadBuffer moves the buffered bytes from the small buffer to a
// full-size one, unless rbuf is full-size already.
func (c *Conn) growReadBuffer() {
	if c.rpooled != nil {
		return
	}
	b := c.rpool.get()
	c.rend = copy(*b, c.rbuf[c.rpos:c.rend])
	c.rbuf, c.rpooled, c.rpos = *b, b, 0
}

// releaseReadBuffer gives a full-size buffer back to the pool once it is
// empty, so that an idle connection holds none.
func (c *Conn) releaseReadBuffer() {
	if c.rpooled == nil || c.rpos < c.rend {
		return
	}
	c.rpool.put(c.rpooled)
	c.rbuf, c.rpooled, c.rpos, c.rend = c.rsmall[:], nil, 0, 0
}

// shrinkReadBuffer moves the buffered bytes from a full-size buffer back to
// the small one, when they fit, and gives the full-size buffer back to the
// pool.
func (c *Conn) shrinkReadBuffer() {
	if c.rpooled == nil || c.rend-c.rpos > len(c.rsmall) {
		return
	}
	n := copy(c.rsmall[:], c.rbuf[c.rpos:c.rend])
	c.rpool.put(c.rpooled)
	c.rbuf, c.rpooled, c.rpos, c.rend = c.rsmall[:], nil, 0, n
}

// messageReader streams one message for Reader.
type messageReader struct {
	c          *Conn
	ctx        context.Context
	stop       func() bool
	err        error
	compressed bool // the message is read decompressed
}

// Read reads payload of the message, returning io.EOF at its end.
func (r *messageReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	c := r.c
	if err := c.readMu.lock(r.ctx); err != nil {
		return 0, err
	}
	defer c.readMu.unlock()
	if r.compressed {
		n, err := c.inflate(p)
		switch {
		case err == io.EOF:
			r.finish(io.EOF)
		case err != nil:
			r.finish(contextError(r.ctx, err))
			err = r.err
		}
		return n, err
	}
	for c.frameLeft == 0 {
		if !c.recv.InMessage() {
			r.finish(io.EOF)
			return 0, io.EOF
		}
		if err := c.nextDataFrame(); err != nil {
			r.finish(contextError(r.ctx, err))
			return 0, r.err
		}
	}
	n, err := c.readPayload(p)
	if err != nil {
		r.finish(contextError(r.ctx, err))
	}
	return n, err
}

func (r *messageReader) finish(err error) {
	r.err = err
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// endReader ends the Reader of the previous message: its context no
// longer guards the connection, and its reads fail. It reports whether that
// Reader had not read its message to the end.
func (c *Conn) endReader() (unfinished bool) {
	r := c.reader
	if r == nil {
		return false
	}
	c.reader = nil
	if r.err != nil {
		return false
	}
	r.finish(errStaleReader)
	return true
}

var errStaleReader = errors.New("websocket: message reader used after the next read started")
