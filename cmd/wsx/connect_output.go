package main

import (
	"io"
	"sync"
	"time"

	"github.com/wsx-go/websocket"
)

// Directions of an event, as printed.
const (
	dirIn  = "in"
	dirOut = "out"
)

// eventPrinter writes the events of one connection in one of wsx
// connect's output modes. Its methods may be called from the connection's
// event handler and from the goroutine sending stdin, so each writes its
// event with a single write to a stoppableWriter.
type eventPrinter interface {
	open(c *websocket.Conn)
	frame(f websocket.Frame) // an incoming data frame
	message(dir string, typ websocket.MessageType, data []byte)
	ping(payload []byte)
	pong(rtt time.Duration, payload []byte)
	closed(dir string, code websocket.CloseCode, reason string)
	fail(err error)
}

// stoppableWriter serializes writes to w, and drops them once stopped: the
// goroutine reading stdin may outlive runConnect.
type stoppableWriter struct {
	mu      sync.Mutex
	w       io.Writer
	stopped bool
}

func (s *stoppableWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return len(p), nil
	}
	return s.w.Write(p)
}

// stop makes later writes do nothing.
func (s *stoppableWriter) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}
