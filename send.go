package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// ErrSlowConsumer is wrapped by the error of a Send that would have taken
// the send queue past Options.SendQueueSize: the peer does not read as fast
// as messages are queued for it. The connection has been dropped, and its
// reads fail with a *CloseError (CloseAbnormal) that wraps the same error.
var ErrSlowConsumer = errors.New("websocket: slow consumer: send queue over its bound")

// Send queues a message of type typ and returns without waiting for it to
// be written, as Qt's sendTextMessage and sendBinaryMessage do. p is
// copied. A goroutine, started when the queue fills and ended when it
// empties, writes the queued messages in order as Write would; messages
// written with Write may go out between them. Messages that wait in the
// queue together go out in one system call when each is one frame that is
// not compressed for this connection alone.
//
// The queue is bounded by Options.SendQueueSize: a Send that would pass it
// drops the connection at once and returns an error that wraps
// ErrSlowConsumer, and so memory never grows with a peer that stops
// reading. A message larger than the whole bound is refused without
// closing anything. Text must be valid UTF-8.
//
// Send fails with ErrClosed once Close was called or the connection ended,
// and with the queue's error once a queued message failed to go out.
// BytesToWrite tells what is still queued, Flush waits for it, and Run's
// Handler hears of each message written in OnBytesWritten.
func (c *Conn) Send(typ MessageType, p []byte) error {
	if err := checkOutgoing(typ, p); err != nil {
		return err
	}
	m := queuedMessage{typ: typ}
	m.data, m.pooled = copyToSendBuffer(p)
	return c.enqueue(m)
}

// SendText queues s as a text message; see Send.
func (c *Conn) SendText(s string) error {
	return c.Send(MessageText, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// SendPrepared queues a prepared message; see Send. The message is shared,
// not copied, which makes it the way to broadcast one message to many
// connections.
func (c *Conn) SendPrepared(m *PreparedMessage) error {
	return c.enqueue(queuedMessage{typ: m.typ, data: m.payload, prepared: m})
}

// BytesToWrite returns the bytes Send has queued that are not yet written:
// each message's payload and the header of its frame, before compression.
func (c *Conn) BytesToWrite() int64 {
	q := c.sendq.Load()
	if q == nil {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// Flush waits until every message queued by Send before the call has been
// written. It returns the error that stopped the queue if one of them could
// not be, and ctx's error if ctx ends first.
func (c *Conn) Flush(ctx context.Context) error {
	q := c.sendq.Load()
	if q == nil {
		return nil // nothing was ever queued
	}
	q.mu.Lock()
	target := q.queued
	for q.written < target && q.err == nil {
		changed := q.changedLocked()
		q.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	defer q.mu.Unlock()
	if q.written >= target {
		return nil
	}
	return q.err
}

// checkOutgoing refuses a message Write would refuse.
func checkOutgoing(typ MessageType, p []byte) error {
	if _, err := dataOpcode(typ); err != nil {
		return err
	}
	if typ == MessageText && !utf8.Valid(p) {
		return ErrInvalidUTF8
	}
	return nil
}

// The copies Send makes of messages up to maxPooledSend bytes come from
// pools of buffers whose sizes are powers of two, from minPooledSend up.
const (
	minPooledSend     = 64
	maxPooledSend     = 1 << 20
	sendBufferClasses = 15 // 64 B to 1 MiB
)

// copyToSendBuffer copies p into a buffer of its size class's pool, or
// into a buffer of its own when p is larger than the largest class.
func copyToSendBuffer(p []byte) ([]byte, *[]byte) {
	if len(p) > maxPooledSend {
		return bytes.Clone(p), nil
	}
	b := sendBufferPool(len(p)).get()
	return (*b)[:copy(*b, p)], b
}

// sendBuffers are the pools of send buffers, minPooledSend bytes and up.
var sendBuffers [sendBufferClasses]bufferPool

func init() {
	for i := range sendBuffers {
		sendBuffers[i].size = minPooledSend << i
	}
}

// sendBufferPool returns the pool of the smallest buffers that hold n
// bytes, n at most maxPooledSend.
func sendBufferPool(n int) *bufferPool {
	class := 0
	if n > minPooledSend {
		class = bits.Len(uint(n-1)) - bits.Len(minPooledSend-1)
	}
	return &sendBuffers[class]
}

// queuedSize is what a message of n payload bytes adds to the queue: its
// payload and the header of a frame that carries it whole.
func queuedSize(c *Conn, n int) int64 {
	size := int64(n) + 2
	switch {
	case n > 0xffff:
		size += 8
	case n > 125:
		size += 2
	}
	if c.client {
		size += 4 // the masking key
	}
	return size
}

// A queuedMessage waits in the send queue.
type queuedMessage struct {
	typ      MessageType
	data     []byte
	pooled   *[]byte          // data's buffer, from sendBufferPool, or nil
	prepared *PreparedMessage // written with WritePrepared when set
	size     int64            // what it counts in the queue
}

// sendQueue holds the messages Send queued, in order. Its counters only
// grow: queued counts the messages accepted, written those written.
type sendQueue struct {
	mu      sync.Mutex
	items   []queuedMessage // items[head:] wait; items[head-1] may be in flight
	head    int
	bytes   int64
	queued  uint64
	written uint64
	running bool          // sendLoop is running
	closed  bool          // Close has started: no more messages
	err     error         // why the queue stopped, dropping its messages
	changed chan struct{} // closed and replaced when written, err or running change
}

// changedLocked returns the channel closed at the next change; q.mu is held.
func (q *sendQueue) changedLocked() chan struct{} {
	if q.changed == nil {
		q.changed = make(chan struct{})
	}
	return q.changed
}

// notifyLocked wakes whoever waits for a change; q.mu is held.
func (q *sendQueue) notifyLocked() {
	if q.changed != nil {
		close(q.changed)
		q.changed = nil
	}
}

// enqueue adds m to the send queue, starting the goroutine that writes it
// if none runs, or drops the connection if m would take the queue past
// its bound.
func (c *Conn) enqueue(m queuedMessage) error {
	m.size = queuedSize(c, len(m.data))
	q := c.queue()
	q.mu.Lock()
	if err := q.refuseLocked(c, m.size); err != nil {
		q.mu.Unlock()
		if errors.Is(err, ErrSlowConsumer) {
			c.abortWith(err)
		}
		return err
	}
	q.items = append(q.items, m)
	q.bytes += m.size
	q.queued++
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go c.sendLoop()
	}
	return nil
}

// refuseLocked returns why a message of size bytes may not be queued, if
// so. Passing the bound stops the queue for good. q.mu is held.
func (q *sendQueue) refuseLocked(c *Conn, size int64) error {
	switch {
	case q.err != nil:
		return q.err
	case q.closed || c.State() != StateOpen:
		return ErrClosed
	case size > c.opts.SendQueueSize:
		return fmt.Errorf("websocket: a message of %d bytes cannot fit a send queue of %d bytes (Options.SendQueueSize); use Write", size, c.opts.SendQueueSize)
	case q.bytes+size > c.opts.SendQueueSize:
		err := fmt.Errorf("%w: %d bytes queued, %d more would pass Options.SendQueueSize (%d)", ErrSlowConsumer, q.bytes, size, c.opts.SendQueueSize)
		q.stopLocked(err)
		return err
	}
	return nil
}

// stopLocked stops the queue with err and drops what waits in it. q.mu is
// held.
func (q *sendQueue) stopLocked(err error) {
	if q.err == nil {
		q.err = err
	}
	clear(q.items[q.head:])
	q.items, q.head = q.items[:0], 0
	q.bytes = 0
	q.notifyLocked()
}

// sendLoop writes the queued messages, a batch at a time (see
// sendBatch), until the queue is empty or stops.
func (c *Conn) sendLoop() {
	q := c.sendq.Load() // made by enqueue, which started the loop
	for {
		q.mu.Lock()
		if q.err != nil || q.head == len(q.items) {
			clear(q.items[q.head:])
			q.items, q.head = q.items[:0], 0
			q.running = false
			q.notifyLocked()
			q.mu.Unlock()
			return
		}
		b := sendBatches.Get().(*sendBatch)
		c.takeLocked(q, b)
		q.mu.Unlock()

		err := c.writeBatch(b)
		n, size := len(b.msgs), b.size
		b.release()
		sendBatches.Put(b)

		q.mu.Lock()
		if err != nil {
			q.stopLocked(fmt.Errorf("websocket: queued message not sent: %w", err))
			q.mu.Unlock()
			continue
		}
		if q.err == nil {
			q.bytes -= size
		}
		q.written += uint64(n)
		q.notifyLocked()
		q.mu.Unlock()
		c.emit(event{kind: eventBytesWritten, n: int(size)})
	}
}

// queue returns c's send queue, making it on first use: most connections
// never Send, and an idle connection should not carry the queue's bytes.
func (c *Conn) queue() *sendQueue {
	if q := c.sendq.Load(); q != nil {
		return q
	}
	c.sendq.CompareAndSwap(nil, new(sendQueue))
	return c.sendq.Load()
}

// close refuses further messages, as Close has started, and reports
// whether this call did: Close runs once. Queued messages still go out.
func (q *sendQueue) close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	first := !q.closed
	q.closed = true
	return first
}
