package websocket

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// serverListener wraps a listener the server serves: it stops accepting
// while the server is paused, and reports accept errors. Errors go back to
// net/http unchanged, which retries temporary ones after a pause that
// doubles from 5 ms to 1 s.
type serverListener struct {
	net.Listener
	s       *Server
	noPause bool // the HandleConn listener, which pausing does not stop
	kicked  bool // a deadline was set to wake a blocked Accept; guarded by s.mu
}

// deadliner is a listener whose blocked Accept a deadline can wake, as
// *net.TCPListener and *net.UnixListener are.
type deadliner interface {
	SetDeadline(t time.Time) error
}

// kick wakes an Accept blocked in the listener, when it can be woken, so
// that it sees the server paused. The server's mutex is held.
func (l *serverListener) kick() {
	if d, ok := l.Listener.(deadliner); ok && !l.noPause {
		d.SetDeadline(time.Now())
		l.kicked = true
	}
}

// Accept accepts the next connection once the server is not paused.
func (l *serverListener) Accept() (net.Conn, error) {
	for {
		if err := l.waitResumed(); err != nil {
			return nil, err
		}
		nc, err := l.Listener.Accept()
		if err != nil {
			if l.wokenByPause(err) {
				continue
			}
			if !l.s.isClosed() {
				l.s.report(&ServerError{Op: "accept", Err: err})
			}
			return nil, err
		}
		if err := l.waitResumed(); err != nil {
			// Paused while Accept was blocked on a listener that cannot
			// be woken: the connection waits for ResumeAccepting.
			nc.Close()
			return nil, err
		}
		return nc, nil
	}
}

// waitResumed blocks while the server is paused and clears the deadline
// that woke Accept. It fails once the server closes.
func (l *serverListener) waitResumed() error {
	for {
		l.s.mu.Lock()
		if l.s.closed {
			l.s.mu.Unlock()
			return net.ErrClosed
		}
		if !l.s.paused || l.noPause {
			if l.kicked {
				l.Listener.(deadliner).SetDeadline(time.Time{})
				l.kicked = false
			}
			l.s.mu.Unlock()
			return nil
		}
		resumed := l.s.resumed
		l.s.mu.Unlock()
		select {
		case <-resumed:
		case <-l.s.closing:
		}
	}
}

// wokenByPause reports whether err is the deadline PauseAccepting set.
func (l *serverListener) wokenByPause(err error) bool {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.kicked && errors.Is(err, os.ErrDeadlineExceeded)
}

// PauseAccepting stops the server accepting new TCP connections, as Qt's
// pauseAccepting does; connections already open keep working, and clients
// that connect meanwhile wait in the kernel's backlog until
// ResumeAccepting. HandleConn still takes connections.
func (s *Server) PauseAccepting() {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused || s.closed {
		return
	}
	s.paused = true
	s.resumed = make(chan struct{})
	for _, l := range s.listeners {
		l.kick()
	}
}

// ResumeAccepting undoes PauseAccepting.
func (s *Server) ResumeAccepting() {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.paused {
		return
	}
	s.paused = false
	close(s.resumed)
}

// handoffListener is the listener of the connections given to HandleConn.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

// give passes nc to the server's Accept.
func (h *handoffListener) give(nc net.Conn) error {
	select {
	case h.conns <- nc:
		return nil
	case <-h.done:
		nc.Close()
		return ErrServerClosed
	}
}

func (h *handoffListener) Accept() (net.Conn, error) {
	select {
	case nc := <-h.conns:
		return nc, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

func (h *handoffListener) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *handoffListener) Addr() net.Addr { return h.addr }
