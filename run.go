package websocket

import (
	"context"
	"errors"
)

// ErrRunning is returned by Run for a connection that a Run already drives.
var ErrRunning = errors.New("websocket: Run already drives this connection")

// maxKeptMessageBuffer is the largest buffer Run keeps between messages to
// assemble the next fragmented one; a larger one is let go.
const maxKeptMessageBuffer = 1 << 20

// Run drives c with h until the connection ends: it reads every frame and
// calls h for each event, as Qt's signals would be emitted (see Handler),
// on the client and the server side alike. It returns the error that ended
// the reads: the peer's *CloseError after a close handshake (CloseStatus
// gives its code), the error of an abnormal end otherwise. When ctx ends,
// the connection is dropped and Run returns ctx's error.
//
// Run is the connection's only reader while it runs; writing (Write, Send)
// and Close may go on from any goroutine, including h's methods. Before it
// returns, the send queue's goroutine has ended and OnClose has been
// called.
func Run(ctx context.Context, c *Conn, h Handler) error {
	r := &runner{c: c, h: h}
	if !c.runner.CompareAndSwap(nil, r) {
		return ErrRunning
	}
	r.lock()
	r.deliverState(StateOpen)
	h.OnOpen(c)
	r.unlock()

	err := r.read(ctx)
	if ctx.Err() != nil {
		err = ctx.Err()
		c.abortWith(err)
	}
	c.closeTCP() // done already by every read error but ctx's
	if q := c.sendq.Load(); q != nil {
		q.awaitStopped()
	}
	r.finish(err)
	return err
}

// read reads frames and messages and hands them to the Handler until a
// read fails.
func (r *runner) read(ctx context.Context) error {
	c, h := r.c, r.h
	var msg []byte // the earlier frames of a fragmented message
	for {
		f, err := c.NextFrame(ctx)
		if err != nil {
			return err
		}
		r.lock()
		h.OnFrame(c, f)
		switch {
		case !f.Final:
			msg = append(msg, f.Data...)
		default:
			data := f.Data
			if len(msg) > 0 {
				msg = append(msg, f.Data...)
				data = msg
			}
			if f.Type == MessageText {
				h.OnText(c, data)
			} else {
				h.OnBinary(c, data)
			}
			msg = msg[:0]
			if cap(msg) > maxKeptMessageBuffer {
				msg = nil
			}
		}
		r.unlock()
	}
}

// abnormal reports whether err ends a connection otherwise than by a close
// handshake.
func abnormal(err error) bool {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code == CloseAbnormal
	}
	return err != nil
}

// awaitStopped waits for the goroutine writing the queue to end, as it
// does soon once the connection is closed.
func (q *sendQueue) awaitStopped() {
	q.mu.Lock()
	for q.running {
		changed := q.changedLocked()
		q.mu.Unlock()
		<-changed
		q.mu.Lock()
	}
	q.mu.Unlock()
}

// runReading reports whether a Run drives c and has not finished.
func (c *Conn) runReading() bool {
	r := c.runner.Load()
	return r != nil && r.running()
}
