package websocket

import (
	"bytes"
	"sync"
	"time"
)

// An event happens away from Run's reading loop: in the goroutine that
// writes the send queue, in a timer, or inside a read (a control frame),
// where calling the Handler at once could deadlock. It waits in the
// runner's queue for its turn.
type event struct {
	kind    eventKind
	n       int
	state   State
	rtt     time.Duration
	payload []byte
}

type eventKind uint8

const (
	eventBytesWritten eventKind = iota
	eventState
	eventPing
	eventPong
)

// emit hands ev to the Run driving c, if any.
func (c *Conn) emit(ev event) {
	if r := c.runner.Load(); r != nil {
		r.post(ev)
	}
}

// emitControl hands a control frame's event to the Run driving c, if any,
// with a copy of its payload.
func (c *Conn) emitControl(kind eventKind, payload []byte, rtt time.Duration) {
	if r := c.runner.Load(); r != nil {
		r.post(event{kind: kind, payload: bytes.Clone(payload), rtt: rtt})
	}
}

// A runner calls one connection's Handler for Run, one method at a time.
// Run calls it for what it reads; events from elsewhere are queued and
// delivered, in order, by whoever holds calls next: Run before its own next
// call, or a short-lived goroutine started for them, so that they come
// without waiting for the next frame.
type runner struct {
	c *Conn
	h Handler

	calls     sync.Mutex // held while a Handler method runs
	delivered State      // the last state OnStateChange was given; guarded by calls
	spare     []event    // the queue's previous array, to reuse; guarded by calls

	mu       sync.Mutex // guards the fields below
	pending  []event
	pumping  bool // a pump goroutine runs
	finished bool // OnClose is called or being called: drop events
}

// post queues ev and makes sure someone delivers it.
func (r *runner) post(ev event) {
	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		return
	}
	if last := len(r.pending) - 1; ev.kind == eventBytesWritten && last >= 0 && r.pending[last].kind == eventBytesWritten {
		// Writes not yet reported are reported together, as Qt's
		// bytesWritten does: one call instead of a backlog.
		r.pending[last].n += ev.n
	} else {
		r.pending = append(r.pending, ev)
	}
	start := !r.pumping
	r.pumping = true
	r.mu.Unlock()
	if start {
		go r.pump()
	}
}

// running reports whether Run still reads: Close then leaves the handshake
// to it.
func (r *runner) running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.finished
}

// pump delivers the queued events, then ends.
func (r *runner) pump() {
	r.calls.Lock()
	defer r.calls.Unlock()
	for r.deliverQueued(true) {
	}
}

// deliverQueued delivers the events queued so far and reports whether it
// found any. The pump that finds none is done. r.calls is held.
func (r *runner) deliverQueued(pump bool) bool {
	r.mu.Lock()
	evs := r.pending
	if len(evs) == 0 {
		if pump {
			r.pumping = false
		}
		r.mu.Unlock()
		return false
	}
	r.pending = r.spare[:0]
	r.mu.Unlock()
	for i := range evs {
		r.deliver(&evs[i])
		evs[i] = event{}
	}
	r.spare = evs
	return true
}

// deliver calls the Handler method for ev. r.calls is held.
func (r *runner) deliver(ev *event) {
	switch ev.kind {
	case eventBytesWritten:
		r.h.OnBytesWritten(r.c, ev.n)
	case eventState:
		r.deliverState(ev.state)
	case eventPing:
		r.h.OnPing(r.c, ev.payload)
	case eventPong:
		r.h.OnPong(r.c, ev.rtt, ev.payload)
	}
}

// deliverState calls OnStateChange for s unless s is not newer than what
// it was last given. r.calls is held.
func (r *runner) deliverState(s State) {
	if s > r.delivered {
		r.delivered = s
		r.h.OnStateChange(r.c, s)
	}
}

// lock takes the right to call the Handler and delivers what is queued.
func (r *runner) lock() {
	r.calls.Lock()
	for r.deliverQueued(false) {
	}
}

func (r *runner) unlock() { r.calls.Unlock() }

// finish delivers what is left, then OnError when err is abnormal and
// OnClose; nothing is delivered after.
func (r *runner) finish(err error) {
	r.calls.Lock()
	defer r.calls.Unlock()
	for r.deliverQueued(false) {
	}
	r.mu.Lock()
	r.finished = true
	evs := r.pending
	r.pending = nil
	r.mu.Unlock()
	for i := range evs {
		r.deliver(&evs[i])
	}
	r.deliverState(StateClosed)
	if abnormal(err) {
		r.h.OnError(r.c, err)
	}
	code, reason := r.c.CloseStatus()
	r.h.OnClose(r.c, code, reason)
}
