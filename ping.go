package websocket

import (
	"context"
	"sync"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// Ping sends a ping with payload (cut to 125 bytes, as in Qt) and waits for
// the matching pong, returning the round-trip time. Another goroutine must
// be reading for the pong to be seen. Pings from the peer are answered
// automatically; pongs nobody waits for are ignored.
func (c *Conn) Ping(ctx context.Context, payload []byte) (time.Duration, error) {
	if len(payload) > frame.MaxControlPayload {
		payload = payload[:frame.MaxControlPayload]
	}
	w := &pingWaiter{payload: string(payload), done: make(chan time.Time, 1)}
	c.pings.add(w)
	start := time.Now()
	if err := c.writeControl(frame.OpPing, payload); err != nil {
		c.pings.remove(w)
		return 0, err
	}
	select {
	case t := <-w.done:
		return t.Sub(start), nil
	case <-ctx.Done():
		c.pings.remove(w)
		return 0, ctx.Err()
	case <-c.done:
		c.pings.remove(w)
		return 0, ErrClosed
	}
}

type pingWaiter struct {
	payload string
	done    chan time.Time
}

// pingWaiters are the pings waiting for their pongs, oldest first.
type pingWaiters struct {
	mu      sync.Mutex
	waiters []*pingWaiter
}

func (ws *pingWaiters) add(w *pingWaiter) {
	ws.mu.Lock()
	ws.waiters = append(ws.waiters, w)
	ws.mu.Unlock()
}

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

// resolve completes the oldest ping whose payload matches a pong's.
func (ws *pingWaiters) resolve(payload []byte, at time.Time) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for i, w := range ws.waiters {
		if w.payload == string(payload) {
			ws.waiters = append(ws.waiters[:i], ws.waiters[i+1:]...)
			w.done <- at
			return
		}
	}
}
