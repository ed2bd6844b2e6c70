package websocket

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"
)

// connState watches connections until their first request reaches
// ServeHTTP, to report those that close before: slow clients dropped at
// HandshakeTimeout, clients that went away, malformed requests.
func (s *Server) connState(nc net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.fresh.Store(nc, time.Now())
	case http.StateHijacked:
		s.fresh.Delete(nc)
	case http.StateClosed:
		v, ok := s.fresh.LoadAndDelete(nc)
		if !ok {
			return
		}
		if tc, isTLS := nc.(*tls.Conn); isTLS && !tc.ConnectionState().HandshakeComplete {
			return // net/http reports the TLS failure with its reason
		}
		select {
		case <-s.closing:
			return
		default:
		}
		took := time.Since(v.(time.Time)).Round(time.Millisecond)
		err := fmt.Errorf("%w after %v", ErrHandshakeIncomplete, took)
		if t := s.handshakeTimeout(); t > 0 && took >= t {
			err = fmt.Errorf("%w: HandshakeTimeout %v reached", ErrHandshakeIncomplete, t)
		}
		s.report(&ServerError{Op: "handshake", RemoteAddr: nc.RemoteAddr().String(), Err: err})
	}
}

// netConnKey is the request context key of the connection a request came
// on, for the server's own connections.
type netConnKey struct{}

func withNetConn(ctx context.Context, nc net.Conn) context.Context {
	return context.WithValue(ctx, netConnKey{}, nc)
}

// requestArrived stops watching the connection r came on.
func (s *Server) requestArrived(r *http.Request) {
	if nc, ok := r.Context().Value(netConnKey{}).(net.Conn); ok {
		s.fresh.Delete(nc)
	}
}
