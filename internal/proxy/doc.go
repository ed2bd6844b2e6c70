// Package proxy runs the client side of the proxy protocols the Dialer
// supports: HTTP CONNECT (RFC 9110 §9.3.6) and SOCKS5 (RFC 1928, with the
// username/password method of RFC 1929). It also picks a proxy from the
// environment the way Go's net/http does.
//
// The functions here run one exchange with blocking I/O on a connection the
// caller opened (over TLS for an https proxy). The caller owns that
// connection: it sets the deadlines, closes it on cancellation, and closes it
// when an exchange fails. Nothing here starts a goroutine or keeps state
// between calls.
//
// Errors come in three shapes. A bad argument is reported before any I/O.
// A refusal by the proxy, a reply that breaks the protocol, or the proxy
// closing the connection mid-exchange is an *Error whose Kind tells which.
// Any other I/O failure (a deadline, a connection the caller closed) is
// returned wrapped, so errors.Is finds os.ErrDeadlineExceeded or
// net.ErrClosed in it.
package proxy
