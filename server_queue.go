package websocket

import "context"

// Accept waits for the next handshaken connection in the queue, as Qt's
// nextPendingConnection does, until ctx ends or the server closes. It is
// for servers without Handle, whose connections wait in the queue, up to
// MaxPending of them, until they are taken. A client may have gone while
// its connection waited: the first read then reports it.
func (s *Server) Accept(ctx context.Context) (*Conn, error) {
	s.init()
	if s.isClosed() {
		return nil, ErrServerClosed
	}
	// A waiting connection first: the select below picks at random
	// among ready cases, and would sometimes fail with an ended ctx.
	select {
	case c := <-s.queue:
		s.releaseSlot()
		return c, nil
	default:
	}
	select {
	case c := <-s.queue:
		s.releaseSlot()
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closing:
		return nil, ErrServerClosed
	}
}

// Pending returns how many handshaken connections wait for Accept, as
// Qt's hasPendingConnections tells whether any do.
func (s *Server) Pending() int {
	s.init()
	return len(s.queue)
}

// reserveSlot takes a queue slot for a handshake about to start, or
// reports false when MaxPending are taken.
func (s *Server) reserveSlot() bool {
	if s.pending.Add(1) > int64(s.maxPending()) {
		s.releaseSlot()
		return false
	}
	return true
}

// releaseSlot gives back a slot: its connection was taken by Accept, or
// its handshake failed.
func (s *Server) releaseSlot() { s.pending.Add(-1) }
