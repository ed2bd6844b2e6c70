package websocket

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/wsx-go/websocket/internal/handshake"
)

// ServeHTTP upgrades a WebSocket handshake request and hands the new
// connection to Handle or to the Accept queue, then returns: the
// connection outlives the call. Other requests go to Fallback. It is what
// the server runs for the connections it accepts, and lets a Server mount
// in any mux, behind any middleware:
//
//	mux.Handle("/ws", &websocket.Server{Handle: chat})
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	s.requestArrived(r)
	if s.Name != "" {
		w.Header().Set("Server", s.Name)
	}
	if s.Fallback != nil && !handshake.HasToken(r.Header, "Upgrade", "websocket") {
		s.Fallback.ServeHTTP(w, r)
		return
	}
	if s.isClosed() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	if n := requestHeadSize(r); n > s.maxHeaderBytes() {
		err := fmt.Errorf("websocket: request head of %d bytes exceeds MaxHeaderBytes %d", n, s.maxHeaderBytes())
		http.Error(w, err.Error(), http.StatusRequestHeaderFieldsTooLarge)
		s.report(&ServerError{Op: "handshake", RemoteAddr: r.RemoteAddr, Status: http.StatusRequestHeaderFieldsTooLarge, Err: err})
		return
	}
	queued := s.Handle == nil
	if queued && !s.reserveSlot() {
		w.Header().Set("Retry-After", "1")
		http.Error(w, ErrQueueFull.Error(), http.StatusServiceUnavailable)
		s.report(&ServerError{Op: "queue", RemoteAddr: r.RemoteAddr, Status: http.StatusServiceUnavailable, Err: ErrQueueFull})
		return
	}
	c, status, err := accept(w, r, &s.AcceptOptions)
	if err != nil {
		if queued {
			s.releaseSlot()
		}
		s.report(&ServerError{Op: "handshake", RemoteAddr: r.RemoteAddr, Status: status, Err: err})
		return
	}
	if !s.track(c, !queued) {
		if queued {
			s.releaseSlot()
		}
		c.Close(CloseGoingAway, "server shutting down")
		return
	}
	if queued {
		s.queue <- c // a slot was reserved: never blocks
		return
	}
	go s.run(c)
}

// run calls Handle for c, then closes c if Handle left it open.
func (s *Server) run(c *Conn) {
	defer s.handlers.Done()
	defer func() {
		if v := recover(); v != nil {
			c.Abort()
			if v == http.ErrAbortHandler {
				return
			}
			s.report(&ServerError{Op: "handler", RemoteAddr: c.RemoteAddr().String(),
				Err: fmt.Errorf("websocket: Handle panicked: %v\n%s", v, debug.Stack())})
			return
		}
		c.Close(CloseNormal, "")
	}()
	s.Handle(c)
}

// isClosed reports whether Close or Shutdown has begun.
func (s *Server) isClosed() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// requestHeadSize returns the size of r's request line and headers as the
// client sent them, give or take spacing.
func requestHeadSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + 2 + len(v) + 2
		}
	}
	return n + 2
}
