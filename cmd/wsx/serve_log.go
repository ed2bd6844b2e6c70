package main

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/wsx-go/websocket"
)

// connStats counts a connection's messages for its log line. The counters
// may be updated from several goroutines (the chat room counts a member's
// outgoing messages from the sender's goroutine).
type connStats struct {
	start   time.Time
	in, out atomic.Int64
}

func newConnStats() *connStats { return &connStats{start: time.Now()} }

// connEnd is how a connection ended.
type connEnd struct {
	// code is the close code of the closing handshake: the one the server
	// sent when it closed first, else the peer's; CloseAbnormal when
	// the connection dropped without one.
	code   websocket.CloseCode
	reason string
	// err is the cause of an abnormal end: a network or protocol error,
	// a slow consumer, a failed program.
	err error
}

// clean reports whether the connection ended with a close handshake that
// signals no problem.
func (e connEnd) clean() bool {
	if e.err != nil {
		return false
	}
	switch e.code {
	case websocket.CloseNormal, websocket.CloseGoingAway, websocket.CloseNoStatus:
		return true
	}
	return false
}

// readEnd describes the end of a connection from the error a read
// returned.
func readEnd(err error) connEnd {
	var ce *websocket.CloseError
	var pe *websocket.ProtocolError
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormal:
		return connEnd{code: ce.Code, reason: ce.Reason}
	case errors.As(err, &ce):
		cause := ce.Err
		if cause == nil {
			cause = err
		}
		return connEnd{code: websocket.CloseAbnormal, err: cause}
	case errors.As(err, &pe):
		return connEnd{code: pe.Code, reason: pe.Reason, err: err}
	}
	return connEnd{code: websocket.CloseAbnormal, err: err}
}

// drainEnd reads c until it ends, after a write failed with werr, and
// describes how it ended. A failed write means the connection is closing
// or broken, so the reads end soon; they find the peer's close frame, if
// one comes, which says more than werr.
func drainEnd(c *websocket.Conn, werr error) connEnd {
	for range 1000 {
		if _, _, err := c.Read(context.Background()); err != nil {
			return readEnd(err)
		}
	}
	c.Abort()
	return connEnd{code: websocket.CloseAbnormal, err: werr}
}

// logConn writes the one log line of a connection that ended: INFO for a
// clean close, WARN otherwise.
func logConn(log *slog.Logger, c *websocket.Conn, st *connStats, end connEnd) {
	level := slog.LevelInfo
	if !end.clean() {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("remote", c.RemoteAddr().String()),
		slog.String("path", c.URL().Path),
	}
	if p := c.Subprotocol(); p != "" {
		attrs = append(attrs, slog.String("subprotocol", p))
	}
	if x := c.Extensions(); x != "" {
		attrs = append(attrs, slog.String("extensions", x))
	}
	attrs = append(attrs,
		slog.Int64("in", st.in.Load()),
		slog.Int64("out", st.out.Load()),
		slog.Duration("duration", time.Since(st.start).Round(time.Microsecond)),
		slog.Int("code", int(end.code)),
	)
	if end.reason != "" {
		attrs = append(attrs, slog.String("reason", end.reason))
	}
	if end.err != nil {
		attrs = append(attrs, slog.String("error", end.err.Error()))
	}
	log.LogAttrs(context.Background(), level, "connection closed", attrs...)
}

// logServerError logs an error the server met outside an open connection:
// WARN for what a client caused (a refused or broken handshake), ERROR for
// the rest.
func logServerError(log *slog.Logger, err error) {
	var se *websocket.ServerError
	if !errors.As(err, &se) {
		log.Error("server error", "error", err)
		return
	}
	level := slog.LevelError
	switch se.Op {
	case "handshake", "tls", "queue":
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("op", se.Op)}
	if se.RemoteAddr != "" {
		attrs = append(attrs, slog.String("remote", se.RemoteAddr))
	}
	if se.Status != 0 {
		attrs = append(attrs, slog.Int("status", se.Status))
	}
	attrs = append(attrs, slog.String("error", se.Err.Error()))
	log.LogAttrs(context.Background(), level, "server error", attrs...)
}
