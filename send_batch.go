package websocket

import (
	"context"
	"net"
	"slices"
	"sync"

	"github.com/wsx-go/websocket/internal/frame"
)

// The send queue's goroutine writes the messages waiting at the head of the
// queue in batches: each message that goes out as one uncompressed frame
// can share a write with the ones queued beside it. A server that queues
// faster than its sockets drain, as a broadcast does, then makes one system
// call per batch rather than one per message, and its peers read each
// batch in as few.
//
// On a TCP or Unix socket a server writes a batch as one vectored write:
// the frames of prepared messages as they are (compressed once for every
// connection, on a server that compresses without context takeover), the
// others as a header and the payload in place. Elsewhere (TLS, wrappers), where a vector would be
// written piece by piece, and on a client, which masks each frame with a
// key of its own, the frames are copied into one buffer and written once.
const (
	// maxBatchMessages bounds the messages of a batch: with a header and
	// a payload each, their vector fits one writev.
	maxBatchMessages = 512
	// maxBatchBytes bounds what a server's batch counts in the queue. A
	// control frame waits for at most this much data, as for a group of
	// frames (groupPayloadSize).
	maxBatchBytes = 1 << 20
	// maxCopiedBatchBytes bounds a batch that is copied, and so a message
	// that can join one: the frames of a batch fill one mask buffer, as
	// much of it as one masked frame's header and pieces take.
	maxCopiedBatchBytes = frame.MaxHeaderSize + maxMaskPiece
)

// A sendBatch holds messages taken from the send queue, with what their
// write needs, from sendBatches for the time of one batch. Its slices grow
// to the largest batch it carried.
type sendBatch struct {
	msgs   []queuedMessage
	frames [][]byte    // on a server, each prepared message's frame, else nil
	size   int64       // what msgs count in the queue
	hdrs   []byte      // a server's frame headers, one after another
	arr    [][]byte    // the pieces of a server's write
	vec    net.Buffers // a slice of arr: WriteTo needs it addressable
}

var sendBatches = sync.Pool{New: func() any { return new(sendBatch) }}

// takesVectors reports whether nc writes a vector (net.Buffers) in one
// system call: a TCP or Unix socket does; others write it piece by piece.
func takesVectors(nc net.Conn) bool {
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// copiesBatches reports whether c copies the frames of a batch into one
// buffer, rather than writing them as a vector.
func (c *Conn) copiesBatches() bool { return c.client || !c.vectored }

// batchBytes is the bound of one of c's batches.
func (c *Conn) batchBytes() int64 {
	if c.copiesBatches() {
		return maxCopiedBatchBytes
	}
	return maxBatchBytes
}

// sharesWrite reports whether m may go out in one write with other
// messages: as one frame, uncompressed or compressed once for every
// connection, which fits a batch that is copied. What a message counts in
// the queue is the size of its frame before compression.
func (c *Conn) sharesWrite(m *queuedMessage) bool {
	if int64(len(m.data)) > c.opts.OutgoingFrameSize {
		return false
	}
	if c.z != nil && len(m.data) >= c.z.threshold && !c.sharesCompressed(m) {
		return false
	}
	return !c.copiesBatches() || m.size <= maxCopiedBatchBytes
}

// sharesCompressed reports whether m, to be sent compressed, goes out as a
// frame made once for every connection: a prepared message on a server
// that compresses without context takeover.
func (c *Conn) sharesCompressed(m *queuedMessage) bool {
	return m.prepared != nil && !c.client && !c.z.takeover
}

// takeLocked moves the next batch from the head of q, which holds at least
// one message, into b: the first message, and while they all share a
// write, those after it up to the batch's bounds. q.mu is held.
func (c *Conn) takeLocked(q *sendQueue, b *sendBatch) {
	b.msgs, b.size = b.msgs[:0], 0
	limit := c.batchBytes()
	for q.head < len(q.items) && len(b.msgs) < maxBatchMessages {
		m := &q.items[q.head]
		if len(b.msgs) > 0 && (!c.sharesWrite(&b.msgs[0]) || !c.sharesWrite(m) || b.size+m.size > limit) {
			break
		}
		b.msgs = append(b.msgs, *m)
		b.size += m.size
		*m = queuedMessage{}
		q.head++
	}
}

// writeBatch writes the messages of b, in order: one as Write or
// WritePrepared would, several in one write.
func (c *Conn) writeBatch(b *sendBatch) error {
	if len(b.msgs) == 1 || !c.preparedFrames(b) {
		return c.writeEach(b)
	}
	c.msgMu.lock(context.Background()) // cannot fail: the context never ends
	defer c.msgMu.unlock()
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return err
	}
	var err error
	if c.copiesBatches() {
		err = c.writeCopiedBatchLocked(b)
	} else {
		err = c.writeVectorBatchLocked(b)
	}
	if err != nil {
		return c.failWriteLocked(err)
	}
	return nil
}

// writeEach writes the messages of b one at a time, as Write or
// WritePrepared would.
func (c *Conn) writeEach(b *sendBatch) error {
	ctx := context.Background()
	for i := range b.msgs {
		m := &b.msgs[i]
		var err error
		if m.prepared != nil {
			err = c.WritePrepared(ctx, m.prepared)
		} else {
			err = c.write(ctx, m.typ, m.data, true)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// preparedFrames sets b.frames to the frame each prepared message of b goes
// out as on a server (sharedFrame), compressing it if no connection has
// yet; other messages get nil, their frame being built as it is written. It reports false when a compressed frame cannot share the
// write: it could not be made, it is longer than Options.OutgoingFrameSize
// allows (data that does not compress), or the batch would no longer fit
// the buffer it is copied into. The batch then goes out message by message.
func (c *Conn) preparedFrames(b *sendBatch) bool {
	b.frames = b.frames[:0]
	total := int64(0)
	for i := range b.msgs {
		m := &b.msgs[i]
		var f []byte
		if c.client || m.prepared == nil {
			total += m.size
		} else {
			var err error
			if f, err = c.sharedFrame(m.prepared); err != nil || f == nil {
				return false
			}
			total += int64(len(f))
		}
		b.frames = append(b.frames, f)
	}
	return !c.copiesBatches() || total <= maxCopiedBatchBytes
}

// writeVectorBatchLocked writes a server's batch in one vectored write;
// c.frameMu is held.
func (c *Conn) writeVectorBatchLocked(b *sendBatch) error {
	// The headers go into one buffer, grown first so that the slices of
	// it in the vector stay valid.
	b.hdrs = slices.Grow(b.hdrs[:0], len(b.msgs)*frame.MaxHeaderSize)
	vec := b.arr[:0]
	for i := range b.msgs {
		m := &b.msgs[i]
		if f := b.frames[i]; f != nil {
			vec = append(vec, f)
			continue
		}
		op, _ := dataOpcode(m.typ) // Send checked typ
		start := len(b.hdrs)
		b.hdrs = frame.Append(b.hdrs, frame.Header{Fin: true, Opcode: op, Length: int64(len(m.data))})
		vec = append(vec, b.hdrs[start:], m.data)
	}
	b.arr = vec
	b.vec = vec
	_, err := b.vec.WriteTo(c.nc)
	clear(b.arr)
	b.vec = nil
	return err
}

// writeCopiedBatchLocked copies the frames of a batch into one buffer,
// masked on a client, and writes it; c.frameMu is held. The batch fits the
// buffer, as takeLocked bounds it.
func (c *Conn) writeCopiedBatchLocked(b *sendBatch) error {
	pooled := maskBuffers.Get().(*[]byte)
	defer maskBuffers.Put(pooled)
	buf := *pooled
	n := 0
	for i := range b.msgs {
		m := &b.msgs[i]
		if f := b.frames[i]; f != nil {
			n += copy(buf[n:], f)
			continue
		}
		op, _ := dataOpcode(m.typ) // Send checked typ
		h := frame.Header{Fin: true, Opcode: op, Length: int64(len(m.data))}
		if c.client {
			h.Masked, h.Mask = true, c.masks.NextMask()
		}
		n += frame.Put(buf[n:], h)
		if h.Masked {
			frame.MaskCopy(buf[n:], m.data, h.Mask, 0)
		} else {
			copy(buf[n:], m.data)
		}
		n += len(m.data)
	}
	_, err := c.nc.Write(buf[:n])
	return err
}

// release gives the pooled buffers of b's messages back and empties b.
func (b *sendBatch) release() {
	for i := range b.msgs {
		if p := b.msgs[i].pooled; p != nil {
			sendBufferPool(len(*p)).put(p)
		}
	}
	clear(b.msgs)
	clear(b.frames)
	b.msgs, b.frames = b.msgs[:0], b.frames[:0]
}
