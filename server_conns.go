package websocket

import (
	"context"
	"errors"
	"net"
	"sync"
)

// Conns returns the open connections the server has accepted, queued ones
// included, in no particular order.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// ConnCount returns the number of open connections Conns would return.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// track registers a new connection. It reports false once the server is
// closing, when the connection must not be used.
func (s *Server) track(c *Conn, handled bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	c.server = s
	s.conns[c] = struct{}{}
	if handled {
		s.handlers.Add(1)
	}
	return true
}

// forget is called by a tracked connection when it closes.
func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops listening and drops every connection at once, without close
// handshakes; Handle functions see their connections fail. It returns once
// every Serve call has returned, with the error of closing the first
// listener, if any.
func (s *Server) Close() error {
	conns, err := s.stop()
	for _, c := range conns {
		c.Abort()
	}
	if err2 := s.http.Close(); err == nil && !errors.Is(err2, net.ErrClosed) {
		err = err2
	}
	s.serving.Wait()
	return err
}

// Shutdown stops listening, sends a close frame with CloseGoingAway to
// every open connection, and waits for their close handshakes, for Handle
// functions to return and for non-WebSocket requests in progress to end.
// When ctx ends first, it drops what remains and returns ctx's error.
// Either way every Serve call has returned by then.
func (s *Server) Shutdown(ctx context.Context) error {
	conns, _ := s.stop()

	closed := make(chan struct{})
	var closers sync.WaitGroup
	for _, c := range conns {
		closers.Add(1)
		go func() {
			defer closers.Done()
			c.Close(CloseGoingAway, "server shutting down")
			// Under Run, Close only starts the handshake: wait for its
			// end, which CloseTimeout bounds.
			<-c.done
		}()
	}
	go func() {
		closers.Wait()
		s.handlers.Wait()
		close(closed)
	}()

	// Connections whose request has not arrived have nothing to finish.
	s.fresh.Range(func(nc, _ any) bool {
		nc.(net.Conn).Close()
		return true
	})
	// Requests in progress: handshakes being answered, Fallback. The
	// listeners are closed already, which net/http may report again.
	err := s.http.Shutdown(ctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	if err != nil {
		s.http.Close()
	}
	select {
	case <-closed:
	case <-ctx.Done():
		err = ctx.Err()
		for _, c := range s.Conns() {
			c.Abort()
		}
		// The aborted connections end their close handshakes and
		// handlers promptly: wait, so as to leave no goroutine behind.
		<-closed
	}
	s.serving.Wait()
	return err
}

// stop marks the server closed, closes its listeners and returns the open
// connections.
func (s *Server) stop() ([]*Conn, error) {
	s.init()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	listeners := s.listeners
	s.mu.Unlock()
	var err error
	for _, l := range listeners {
		if e := l.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	return s.Conns(), err
}
