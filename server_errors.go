package websocket

import (
	"errors"
	"strings"
)

// ServerError is an error a Server met outside an open connection,
// handed to Server.OnError.
type ServerError struct {
	// Op is what failed: "accept" (the listener), "tls" (a TLS
	// handshake), "handshake" (a WebSocket handshake), "queue" (the
	// Accept queue was full), "handler" (Handle panicked) or "http"
	// (another net/http server error).
	Op string
	// RemoteAddr is the client's address, when the error concerns one.
	RemoteAddr string
	// Status is the HTTP status the client was answered with, or 0.
	Status int
	// Err is the cause.
	Err error
}

func (e *ServerError) Error() string {
	var b strings.Builder
	b.WriteString("websocket server: ")
	b.WriteString(e.Op)
	if e.RemoteAddr != "" {
		b.WriteString(" from ")
		b.WriteString(e.RemoteAddr)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ServerError) Unwrap() error { return e.Err }

// ErrQueueFull is the cause of a handshake refused because MaxPending
// connections already wait for Server.Accept.
var ErrQueueFull = errors.New("websocket: too many connections pending")

// ErrHandshakeIncomplete is the cause of a connection that closed before
// its handshake request arrived: HandshakeTimeout ran out, or the client
// went away or sent a malformed request.
var ErrHandshakeIncomplete = errors.New("websocket: connection closed before its handshake request arrived")

// httpErrorLog turns the lines net/http logs into reported errors.
type httpErrorLog struct{ s *Server }

func (l httpErrorLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	switch {
	case strings.HasPrefix(line, "http: Accept error"):
		// Already reported by the listener.
	case strings.HasPrefix(line, "http: TLS handshake error from "):
		rest := strings.TrimPrefix(line, "http: TLS handshake error from ")
		addr, reason, _ := strings.Cut(rest, ": ")
		l.s.report(&ServerError{Op: "tls", RemoteAddr: addr, Err: errors.New(reason)})
	default:
		l.s.report(&ServerError{Op: "http", Err: errors.New(line)})
	}
	return len(p), nil
}
