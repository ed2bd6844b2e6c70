package websocket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// CloseCode is the status code of a close frame (RFC 6455 §7.4).
type CloseCode int

// The close codes of RFC 6455 §7.4.1 and the IANA registry, named as in
// Qt's QWebSocketProtocol::CloseCode where Qt has them.
const (
	CloseNormal             CloseCode = 1000 // the purpose of the connection is fulfilled
	CloseGoingAway          CloseCode = 1001 // the endpoint goes away: server shutdown, page left
	CloseProtocolError      CloseCode = 1002 // the peer broke the protocol
	CloseUnsupportedData    CloseCode = 1003 // a message type the endpoint cannot accept
	CloseReserved1004       CloseCode = 1004 // reserved; never sent
	CloseNoStatus           CloseCode = 1005 // the close frame had no code; never sent
	CloseAbnormal           CloseCode = 1006 // the connection dropped without a close frame; never sent
	CloseInvalidPayload     CloseCode = 1007 // data inconsistent with its type, such as invalid UTF-8
	ClosePolicyViolation    CloseCode = 1008 // a message broke the endpoint's policy
	CloseMessageTooBig      CloseCode = 1009 // a message too big to process
	CloseMandatoryExtension CloseCode = 1010 // the client needs an extension the server did not offer
	CloseInternalError      CloseCode = 1011 // the server met an unexpected condition
	CloseServiceRestart     CloseCode = 1012 // the service restarts
	CloseTryAgainLater      CloseCode = 1013 // temporary overload
	CloseBadGateway         CloseCode = 1014 // a gateway got an invalid answer upstream
	CloseTLSHandshake       CloseCode = 1015 // the TLS handshake failed; never sent
)

var closeCodeNames = map[CloseCode]string{
	CloseNormal:             "normal closure",
	CloseGoingAway:          "going away",
	CloseProtocolError:      "protocol error",
	CloseUnsupportedData:    "unsupported data",
	CloseReserved1004:       "reserved (1004)",
	CloseNoStatus:           "no status received",
	CloseAbnormal:           "abnormal closure",
	CloseInvalidPayload:     "invalid payload data",
	ClosePolicyViolation:    "policy violation",
	CloseMessageTooBig:      "message too big",
	CloseMandatoryExtension: "mandatory extension",
	CloseInternalError:      "internal error",
	CloseServiceRestart:     "service restart",
	CloseTryAgainLater:      "try again later",
	CloseBadGateway:         "bad gateway",
	CloseTLSHandshake:       "TLS handshake failed",
}

// String returns the code's name and number, such as "normal closure (1000)".
func (c CloseCode) String() string {
	if name, ok := closeCodeNames[c]; ok {
		return fmt.Sprintf("%s (%d)", name, int(c))
	}
	switch {
	case c >= 3000 && c <= 3999:
		return fmt.Sprintf("registered code %d", int(c))
	case c >= 4000 && c <= 4999:
		return fmt.Sprintf("private code %d", int(c))
	}
	return fmt.Sprintf("close code %d", int(c))
}

// CloseError reports the end of a connection. Reads return it once the
// close handshake has run or the connection dropped: Code is the code the
// peer sent, CloseNoStatus when its close frame had none, or CloseAbnormal
// when the connection ended without a close frame (Err then holds the
// cause).
type CloseError struct {
	Code   CloseCode
	Reason string
	Err    error // cause of an abnormal closure, or nil
}

// Error describes the closure, with its code, reason and cause.
func (e *CloseError) Error() string {
	s := "websocket: closed: " + e.Code.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause of an abnormal closure.
func (e *CloseError) Unwrap() error { return e.Err }

// CloseStatus returns the close code carried by err: the Code of a
// *CloseError in its chain, or the code wsx sent for a *ProtocolError. It
// returns -1 when err carries no close code.
func CloseStatus(err error) CloseCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return -1
}

// Close runs the close handshake with code and reason, as Qt's
// QWebSocket::close does: it lets the messages Send queued go out (within
// Options.CloseTimeout), sends a close frame, waits until the CloseTimeout
// for the peer's close frame, and closes the TCP connection (a client waits
// for the server to close TCP first, as RFC 6455 §7.1.1 asks). The reason
// is cut to 123 bytes at a UTF-8 boundary. Code 0 or CloseNoStatus sends a
// close frame without a code.
//
// Close does not wait for a message being written with Write: the close
// frame may go out between its fragments, and its remaining frames fail
// with ErrClosed. Data messages that arrive after the close frame went out
// are discarded, unless Run drives the connection (see below).
//
// A concurrent Read returns the peer's *CloseError when its close frame
// arrives. Close returns nil after a clean handshake, an error when the
// handshake timed out or failed, and ErrClosed when the connection was
// already closing.
//
// While Run drives the connection, Close only starts the handshake and
// returns nil: Run sees it through, delivers the messages that arrive
// before the peer's close frame, and reports the end in OnClose. That
// makes Close safe to call from a Handler method.
func (c *Conn) Close(code CloseCode, reason string) error {
	if code == CloseNoStatus || code == 0 {
		code = CloseNoStatus // an empty close frame
	} else if code < 0 || code > 0xffff || !frame.ValidWireCode(uint16(code)) {
		return fmt.Errorf("websocket: close code %d may not be sent", int(code))
	}
	if c.State() != StateOpen || !c.queue().close() {
		return ErrClosed
	}
	if c.runReading() {
		go c.closeHandshake(code, reason)
		return nil
	}
	return c.closeHandshake(code, reason)
}

// closeHandshake is Close once the code is checked.
func (c *Conn) closeHandshake(code CloseCode, reason string) error {
	deadline := time.Now().Add(c.opts.CloseTimeout)
	// Whatever holds the handshake up ends at the deadline: a send queue
	// or a write the peer does not take, a peer that does not answer.
	expired := time.AfterFunc(c.opts.CloseTimeout, func() { c.abortWith(c.closeTimedOut()) })
	defer expired.Stop()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	c.Flush(ctx) // what it could not write is dropped by sendClose
	cancel()
	sent, err := c.sendClose(code, reason, deadline)
	if !sent {
		if cause := c.abortCause(); cause != nil {
			return cause
		}
		if err == nil {
			err = ErrClosed
		}
		return err
	}
	if err != nil {
		c.closeTCP()
		if cause := c.abortCause(); cause != nil {
			return cause
		}
		return err
	}
	// Wait for the peer's close frame: read it here unless another
	// goroutine is reading, which handles it the same way. A Run reads
	// even between its reads, and delivers what comes before the close.
	if !c.runReading() && c.readMu.tryLock() {
		c.nc.SetReadDeadline(deadline)
		for c.readErr == nil {
			if err := c.nextDataFrame(); err == nil {
				c.discardFrame()
			}
		}
		c.readMu.unlock()
	}
	<-c.done
	switch {
	case c.sawPeerClose():
		return nil
	case !time.Now().Before(deadline):
		return c.closeTimedOut()
	}
	return errClosedEarly
}

func (c *Conn) closeTimedOut() error {
	return fmt.Errorf("websocket: close handshake timed out after %v", c.opts.CloseTimeout)
}

// errClosedEarly is returned by Close when the connection ended before the
// peer's close frame arrived.
var errClosedEarly = fmt.Errorf("websocket: connection ended before the peer's close frame: %w", ErrClosed)

// Abort drops the TCP connection at once, without a close handshake,
// discarding anything not yet written, as Qt's QWebSocket::abort does.
func (c *Conn) Abort() { c.closeTCP() }

// abortWith drops the connection as Abort does, and makes err the cause
// that reads report (wrapped in a *CloseError with CloseAbnormal). The
// first cause given is kept.
func (c *Conn) abortWith(err error) {
	c.closeMu.Lock()
	if c.cause == nil {
		c.cause = err
	}
	c.closeMu.Unlock()
	c.closeTCP()
}

// abortCause returns the error abortWith was given, or nil.
func (c *Conn) abortCause() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	return c.cause
}

// CloseStatus returns the code and reason of the close frame the peer sent,
// CloseAbnormal if the connection ended without one, or 0 while it has not
// ended.
func (c *Conn) CloseStatus() (CloseCode, string) {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.peerClose != nil {
		return c.peerClose.Code, c.peerClose.Reason
	}
	if c.State() == StateClosed {
		return CloseAbnormal, ""
	}
	return 0, ""
}

func (c *Conn) sawPeerClose() bool {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	return c.peerClose != nil
}
