package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrKeepAliveTimeout is wrapped by the error reads return after keepalive
// dropped a peer whose pong did not come within Options.PingTimeout.
var ErrKeepAliveTimeout = errors.New("websocket: keepalive: no pong in time")

// keepalive pings the peer every Options.PingInterval and drops it when a
// pong is later than Options.PingTimeout. It runs on timers, not a
// goroutine: an idle connection costs two timers. The next ping goes out an
// interval after the last pong, so a peer that falls silent is dropped at
// most PingInterval + PingTimeout after its last answer.
type keepalive struct {
	mu      sync.Mutex
	next    *time.Timer // sends the next ping
	late    *time.Timer // drops the peer; armed while a ping waits
	seq     uint64
	stopped bool
}

// startKeepalive arms the first ping, when keepalive is on.
func (c *Conn) startKeepalive() {
	if c.opts.PingInterval <= 0 {
		return
	}
	k := &keepalive{}
	c.ka = k
	k.mu.Lock()
	defer k.mu.Unlock()
	k.next = time.AfterFunc(c.opts.PingInterval, c.keepalivePing)
	k.late = time.AfterFunc(time.Hour, c.keepaliveLate)
	k.late.Stop()
}

// keepalivePing sends the next ping and arms the timer that drops the peer
// if its pong is late.
func (c *Conn) keepalivePing() {
	k := c.ka
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return
	}
	k.seq++
	var payload [8]byte
	binary.BigEndian.PutUint64(payload[:], k.seq)
	k.late.Reset(c.opts.PingTimeout)
	k.mu.Unlock()
	w := &pingWaiter{payload: string(payload[:]), answered: c.keepaliveAnswered}
	if err := c.sendPing(w, payload[:]); err != nil {
		// The connection is closing or failed: nothing left to keep alive.
		c.stopKeepalive()
	}
}

// keepaliveAnswered takes the pong of a keepalive ping: the peer is alive,
// and the next ping goes out an interval from now.
func (c *Conn) keepaliveAnswered(time.Duration) {
	k := c.ka
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	k.late.Stop()
	k.next.Reset(c.opts.PingInterval)
}

// keepaliveLate drops a peer whose pong did not come in time.
func (c *Conn) keepaliveLate() {
	k := c.ka
	k.mu.Lock()
	stopped := k.stopped
	k.mu.Unlock()
	if !stopped {
		c.abortWith(fmt.Errorf("%w: no pong within %v (ping interval %v)", ErrKeepAliveTimeout, c.opts.PingTimeout, c.opts.PingInterval))
	}
}

// stopKeepalive stops the timers for good.
func (c *Conn) stopKeepalive() {
	k := c.ka
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.next.Stop()
	k.late.Stop()
}
