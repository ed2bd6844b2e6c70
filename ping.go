package websocket

import (
	"context"
	"sync"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// Ping sends a ping with payload (cut to 125 bytes, as in Qt) and waits for
// the matching pong, returning the round-trip time. Another goroutine must
// be reading for the pong to be seen, so a Handler method must not call it:
// it would wait for the Run that called it; SendPing is the way there.
// Pings from the peer are answered automatically; pongs nobody waits for
// are ignored.
func (c *Conn) Ping(ctx context.Context, payload []byte) (time.Duration, error) {
	payload = clipControl(payload)
	w := &pingWaiter{payload: string(payload), done: make(chan time.Duration, 1)}
	if err := c.sendPing(w, payload); err != nil {
		return 0, err
	}
	select {
	case rtt := <-w.done:
		return rtt, nil
	case <-ctx.Done():
		c.pings.remove(w)
		return 0, ctx.Err()
	case <-c.done:
		c.pings.remove(w)
		return 0, ErrClosed
	}
}

// SendPing sends a ping with payload (cut to 125 bytes) without waiting for
// its pong, as Qt's ping does: the round-trip time comes to Run's Handler in
// OnPong, and to RTT.
func (c *Conn) SendPing(payload []byte) error {
	payload = clipControl(payload)
	return c.sendPing(&pingWaiter{payload: string(payload)}, payload)
}

// RTT returns the round-trip time of the last ping answered, sent by Ping,
// SendPing or keepalive, or 0 before any was.
func (c *Conn) RTT() time.Duration { return time.Duration(c.rtt.Load()) }

func clipControl(p []byte) []byte {
	if len(p) > frame.MaxControlPayload {
		return p[:frame.MaxControlPayload]
	}
	return p
}

// sendPing registers w and sends its ping.
func (c *Conn) sendPing(w *pingWaiter, payload []byte) error {
	w.sent = time.Now()
	c.pings.add(w)
	if err := c.writeControl(frame.OpPing, payload); err != nil {
		c.pings.remove(w)
		return err
	}
	return nil
}

// A pingWaiter is a ping waiting for its pong. When the pong comes, the
// round-trip time goes to done and answered, where set.
type pingWaiter struct {
	payload  string
	sent     time.Time
	done     chan time.Duration  // buffered
	answered func(time.Duration) // called by the reading goroutine
}

// pingWaiters are the pings waiting for their pongs, oldest first.
type pingWaiters struct {
	mu      sync.Mutex
	waiters []*pingWaiter
}

// add registers w. Past maxUnansweredPings pings that nobody waits on
// (those of SendPing), the oldest of them is forgotten: its pong, if it
// ever comes, then counts as unsolicited.
func (ws *pingWaiters) add(w *pingWaiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.waiters = append(ws.waiters, w)
	if !w.unwatched() {
		return
	}
	oldest, n := -1, 0
	for i, x := range ws.waiters {
		if x.unwatched() {
			if oldest < 0 {
				oldest = i
			}
			n++
		}
	}
	if n > maxUnansweredPings {
		ws.waiters = append(ws.waiters[:oldest], ws.waiters[oldest+1:]...)
	}
}

// unwatched reports whether nobody waits on w: a ping of SendPing.
func (w *pingWaiter) unwatched() bool { return w.done == nil && w.answered == nil }

func (ws *pingWaiters) remove(w *pingWaiter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for i, x := range ws.waiters {
		if x == w {
			ws.waiters = append(ws.waiters[:i], ws.waiters[i+1:]...)
			return
		}
	}
}

// resolve completes the oldest ping whose payload matches a pong's and
// returns its round-trip time; ok is false when no ping matches.
func (ws *pingWaiters) resolve(payload []byte, at time.Time) (rtt time.Duration, ok bool) {
	ws.mu.Lock()
	var w *pingWaiter
	for i, x := range ws.waiters {
		if x.payload == string(payload) {
			ws.waiters = append(ws.waiters[:i], ws.waiters[i+1:]...)
			w = x
			break
		}
	}
	ws.mu.Unlock()
	if w == nil {
		return 0, false
	}
	rtt = at.Sub(w.sent)
	if w.done != nil {
		w.done <- rtt
	}
	if w.answered != nil {
		w.answered(rtt)
	}
	return rtt, true
}

// maxUnansweredPings bounds the pings of SendPing that wait for their
// pongs: a peer may answer only the latest of several pings, and one that
// answers none must not make the list grow without end.
const maxUnansweredPings = 16
