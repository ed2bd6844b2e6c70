package websocket

import (
	"context"
	"sync/atomic"
)

// ctxLock is a mutex whose lock can give up when a context ends. The zero
// value is unlocked.
//
// An uncontended lock and unlock are one compare-and-swap each. Under
// contention a waiter queues on a token channel, made on first need, and
// unlock hands the lock straight to one waiter: the locked bit stays set
// and the token carries ownership, so a stream of fresh lockers cannot
// starve a waiter.
//
// state holds the locked bit and, above it, the count of waiters not yet
// served by a token. Every waiter is either still counted there or has a
// token sent or on its way; a waiter whose context ends leaves the count if
// it is still in it, and otherwise takes its token and passes the lock on.
type ctxLock struct {
	state  atomic.Int32
	tokens atomic.Pointer[chan struct{}]
}

const (
	ctxLockHeld   = 1
	ctxLockWaiter = 2 // one waiter in state
)

// lock takes the lock, or returns ctx's error if ctx ends first. A free
// lock is taken even when ctx has ended.
func (l *ctxLock) lock(ctx context.Context) error {
	if l.state.CompareAndSwap(0, ctxLockHeld) {
		return nil
	}
	return l.lockSlow(ctx)
}

func (l *ctxLock) lockSlow(ctx context.Context) error {
	tokens := l.tokenChan()
	for {
		s := l.state.Load()
		if s&ctxLockHeld == 0 {
			if l.state.CompareAndSwap(s, s|ctxLockHeld) {
				return nil
			}
			continue
		}
		if l.state.CompareAndSwap(s, s+ctxLockWaiter) {
			break
		}
	}
	select {
	case <-tokens:
		return nil
	case <-ctx.Done():
	}
	for {
		s := l.state.Load()
		if s < ctxLockWaiter {
			// Every waiter left counted has been served, this one
			// included: its token is sent or about to be. Take it and
			// pass the lock on.
			<-tokens
			l.unlock()
			return ctx.Err()
		}
		if l.state.CompareAndSwap(s, s-ctxLockWaiter) {
			return ctx.Err()
		}
	}
}

// tryLock takes the lock if it is free.
func (l *ctxLock) tryLock() bool {
	return l.state.CompareAndSwap(0, ctxLockHeld)
}

// unlock releases the lock, handing it to a waiter if there is one.
func (l *ctxLock) unlock() {
	if l.state.CompareAndSwap(ctxLockHeld, 0) {
		return
	}
	for {
		s := l.state.Load()
		if s&ctxLockHeld == 0 {
			panic("websocket: unlock of an unlocked ctxLock")
		}
		if s < ctxLockWaiter {
			if l.state.CompareAndSwap(s, 0) {
				return
			}
			continue
		}
		// Keep the locked bit: the token passes it to the waiter.
		if l.state.CompareAndSwap(s, s-ctxLockWaiter) {
			*l.tokens.Load() <- struct{}{}
			return
		}
	}
}

// tokenChan returns the channel tokens are handed over on, making it on
// first use. At most one token is ever in flight, so one slot suffices.
func (l *ctxLock) tokenChan() chan struct{} {
	if p := l.tokens.Load(); p != nil {
		return *p
	}
	ch := make(chan struct{}, 1)
	if l.tokens.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *l.tokens.Load()
}
