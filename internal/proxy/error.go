package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"syscall"
)

// Kind classifies an *Error.
type Kind int

// The kinds of *Error.
const (
	// KindRefused: the proxy answered but would not open the tunnel (a
	// CONNECT answer other than 2xx, 401 or 407; a SOCKS5 reply code other
	// than 0).
	KindRefused Kind = iota + 1
	// KindAuthRequired: the proxy wants credentials it did not get or did
	// not accept (a 407 answer, or a 401, which some proxies send instead;
	// a SOCKS5 server that accepts none of the
	// offered methods or rejects the username and password).
	KindAuthRequired
	// KindProtocol: the proxy's reply is not valid for the protocol.
	KindProtocol
	// KindClosed: the proxy closed the connection before the exchange
	// finished.
	KindClosed
)

// String returns the kind in words, such as "refused".
func (k Kind) String() string {
	switch k {
	case KindRefused:
		return "refused"
	case KindAuthRequired:
		return "authentication required"
	case KindProtocol:
		return "protocol violation"
	case KindClosed:
		return "closed"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a proxy's refusal or a broken proxy reply. Connect and SOCKS5
// return it as *Error; use errors.As to get at the fields.
type Error struct {
	// Protocol is the protocol spoken with the proxy: "http" or "socks5".
	Protocol string
	// Kind tells what went wrong.
	Kind Kind
	// StatusCode is the status of a CONNECT answer, 0 for SOCKS5 and when
	// no answer was read.
	StatusCode int
	// Header holds the fields of a CONNECT answer, among them
	// Proxy-Authenticate on a 407; nil for SOCKS5.
	Header http.Header
	// Body is the start of a CONNECT answer's body, at most 1 KiB; see
	// Connect for which bytes it holds.
	Body []byte
	// Reply is the SOCKS5 reply code (RFC 1928 §6), 0 for HTTP.
	Reply byte
	// Msg says what happened, in words.
	Msg string
	// Err is the I/O error that ended the exchange, if any.
	Err error
}

// Error returns "proxy: ", the protocol, the message, the SOCKS5 reply code
// if any and the I/O error if any.
func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Kind.String()
	}
	s := "proxy: " + e.Protocol + ": " + msg
	if e.Reply != 0 {
		s += fmt.Sprintf(" (reply %d)", e.Reply)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying I/O error, or nil.
func (e *Error) Unwrap() error { return e.Err }

// ioFailure turns an I/O error met during the exchange step named by what
// into the error to return: an *Error of KindClosed when the proxy closed the
// connection, the error wrapped otherwise.
func ioFailure(protocol, what string, err error) error {
	if closedByPeer(err) {
		return &Error{
			Protocol: protocol,
			Kind:     KindClosed,
			Msg:      "connection closed " + what,
			Err:      err,
		}
	}
	return fmt.Errorf("proxy: %s: I/O failed %s: %w", protocol, what, err)
}

// closedByPeer reports whether err means the other end closed or reset the
// connection, as opposed to a deadline or the caller closing it.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
