package websocket

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"

	"github.com/wsx-go/websocket/internal/proxy"
)

// DialError is the error of every failed Dial: the step that failed, the
// kind of failure, and the cause, which errors.As and errors.Is reach
// (a *net.DNSError, syscall.ECONNREFUSED, context.DeadlineExceeded, a
// *ProxyError, a *CertificateError, a *TLSAlertError, a *HandshakeError,
// a *RedirectError, ...).
type DialError struct {
	// Op is the step that failed: "dial" (reaching the server or the
	// proxy), "proxy" (the tunnel through the proxy), "tls", "handshake",
	// "auth" or "redirect"; "url" and "options" for input refused before
	// any I/O.
	Op string
	// Kind classifies the failure; see ErrorKind.
	Kind ErrorKind
	// URL is the URL being dialed when the step failed, after any
	// redirects, without user-info.
	URL *url.URL
	// Addr is the network address of the failed step: the server's, the
	// proxy's, or the Unix socket's path. Empty for input errors.
	Addr string
	// Err is the cause.
	Err error
}

// Error describes the step, the address and the cause.
func (e *DialError) Error() string {
	s := "websocket: " + e.Op
	if e.URL != nil {
		s += " " + e.URL.String()
	}
	if e.Addr != "" {
		s += " (" + e.Addr + ")"
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *DialError) Unwrap() error { return e.Err }

// Timeout reports whether the dial failed because its time ran out.
func (e *DialError) Timeout() bool { return e.Kind == KindTimeout || e.Kind == KindProxyTimeout }

// ErrorKind classifies a dial failure. The kinds cover the error enums of
// Qt's QAbstractSocket and Tufao's WebSocket, plus the WebSocket-specific
// ways a handshake fails; docs/client.md maps each enum value to its kind.
type ErrorKind int

// The kinds of dial failure.
const (
	KindUnknown                ErrorKind = iota // none of the others
	KindInvalidInput                            // a URL, header or option refused before any I/O
	KindHostNotFound                            // the server's name did not resolve (*net.DNSError)
	KindConnectionRefused                       // the server refused the TCP connection
	KindRemoteClosed                            // the server closed the connection during the handshake
	KindTimeout                                 // the handshake timeout or ctx's deadline passed
	KindCanceled                                // ctx was canceled
	KindNetwork                                 // another network failure (unreachable, reset, ...)
	KindAccess                                  // the system refused access (e.g. a Unix socket's permissions)
	KindResources                               // the system ran out of descriptors or buffers
	KindUnsupported                             // the address family or operation is not supported here
	KindProxyNotFound                           // the proxy's name did not resolve
	KindProxyConnectionRefused                  // the proxy refused the TCP connection
	KindProxyClosed                             // the proxy closed the connection mid-exchange
	KindProxyTimeout                            // time ran out while talking to the proxy
	KindProxyProtocol                           // the proxy's answer broke its protocol
	KindProxyAuthRequired                       // the proxy wants (other) credentials: 407, or SOCKS5 refused them
	KindProxyRefused                            // the proxy would not open the tunnel (403, SOCKS5 reply other than success)
	KindTLSCertificate                          // the server's certificate failed verification (*CertificateError)
	KindTLSAlert                                // the server sent a fatal TLS alert (*TLSAlertError)
	KindTLSHandshake                            // another TLS failure (no common version or cipher, not TLS, ...)
	KindHandshakeStatus                         // the server answered with a status other than 101 (*HandshakeError)
	KindMalformedResponse                       // the server's answer is not HTTP, or longer than 1 MiB
	KindAuthRequired                            // 401, and no credentials or the ones sent were refused
	KindBadUpgrade                              // a 101 without Upgrade: websocket or Connection: upgrade
	KindBadAccept                               // a 101 with the wrong Sec-WebSocket-Accept
	KindUnrequestedSubprotocol                  // the server chose a subprotocol the client did not offer
	KindUnrequestedExtension                    // the server chose an extension the client did not offer
	KindRedirect                                // a redirect was refused: too many, wss to ws, or by CheckRedirect
	KindBadExtension                            // the server's Sec-WebSocket-Extensions answer is malformed or breaks the extension's rules
)

var kindNames = [...]string{
	KindUnknown:                "unknown",
	KindInvalidInput:           "invalid input",
	KindHostNotFound:           "host not found",
	KindConnectionRefused:      "connection refused",
	KindRemoteClosed:           "remote host closed the connection",
	KindTimeout:                "timeout",
	KindCanceled:               "canceled",
	KindNetwork:                "network error",
	KindAccess:                 "access denied",
	KindResources:              "out of resources",
	KindUnsupported:            "unsupported operation",
	KindProxyNotFound:          "proxy not found",
	KindProxyConnectionRefused: "proxy connection refused",
	KindProxyClosed:            "proxy connection closed",
	KindProxyTimeout:           "proxy timeout",
	KindProxyProtocol:          "proxy protocol error",
	KindProxyAuthRequired:      "proxy authentication required",
	KindProxyRefused:           "proxy refused the tunnel",
	KindTLSCertificate:         "certificate verification failed",
	KindTLSAlert:               "TLS alert received",
	KindTLSHandshake:           "TLS handshake failed",
	KindHandshakeStatus:        "handshake refused",
	KindMalformedResponse:      "malformed handshake answer",
	KindAuthRequired:           "authentication required",
	KindBadUpgrade:             "bad upgrade headers",
	KindBadAccept:              "bad Sec-WebSocket-Accept",
	KindUnrequestedSubprotocol: "unrequested subprotocol",
	KindUnrequestedExtension:   "unrequested extension",
	KindRedirect:               "redirect refused",
	KindBadExtension:           "bad extension answer",
}

// String names the kind in words.
func (k ErrorKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// HandshakeError is the cause of a failed Dial when the server did not
// complete the opening handshake: a status other than 101, or a 101 whose
// headers break RFC 6455 §4.1.
type HandshakeError struct {
	StatusCode int         // the HTTP status the server sent
	Header     http.Header // the response headers
	Body       []byte      // the start of the response body (at most 1 KiB)
	Reason     string      // what was wrong
	kind       ErrorKind
}

// Error describes what was wrong with the server's answer.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("handshake failed: %s (status %d)", e.Reason, e.StatusCode)
}

// ProxyError is the cause of a failed Dial when the proxy did not open the
// tunnel: it refused (an HTTP status, a SOCKS5 reply code), asked for
// credentials, or broke its protocol.
type ProxyError struct {
	// Proxy is the proxy's URL, without its password.
	Proxy *url.URL
	// StatusCode, Header and Body are the proxy's HTTP answer to CONNECT
	// (Body at most 1 KiB); zero for SOCKS5.
	StatusCode int
	Header     http.Header
	Body       []byte
	// Reply is the SOCKS5 reply code (RFC 1928 §6); zero for HTTP.
	Reply byte
	// Msg says what happened.
	Msg string
	err error
}

// Error names the proxy and what it did.
func (e *ProxyError) Error() string {
	return "proxy " + e.Proxy.Redacted() + ": " + e.Msg
}

// Unwrap returns the I/O error behind the failure, if any.
func (e *ProxyError) Unwrap() error { return e.err }

// TLSAlertError is the cause of a failed Dial when the server ended the TLS
// handshake with a fatal alert, such as a refused client certificate or no
// common protocol version. errors.As also finds the tls.AlertError in it.
type TLSAlertError struct {
	Alert tls.AlertError // the alert's code; its Error method names it
}

// Error names the alert.
func (e *TLSAlertError) Error() string { return "TLS alert from the server: " + e.Alert.Error() }

// Unwrap returns the alert code as a tls.AlertError.
func (e *TLSAlertError) Unwrap() error { return e.Alert }

// RedirectError is the cause of a failed Dial when a redirect was not
// followed: ErrTooManyRedirects, ErrInsecureRedirect, or the error
// CheckRedirect returned.
type RedirectError struct {
	StatusCode int      // the redirect status (301, 302, 307 or 308)
	Location   *url.URL // where the server pointed
	Err        error
}

// Error names the refused location and why.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("redirect %d to %s refused: %v", e.StatusCode, e.Location.Redacted(), e.Err)
}

// Unwrap returns the reason.
func (e *RedirectError) Unwrap() error { return e.Err }

var (
	// ErrTooManyRedirects is the reason a redirect past MaxRedirects is
	// refused.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrInsecureRedirect is the reason a redirect from wss to ws is
	// refused.
	ErrInsecureRedirect = errors.New("redirect from wss to ws")
)

// dialError wraps err, the failure of step op, with its kind.
func dialError(op string, u *url.URL, addr string, err error) *DialError {
	var de *DialError
	if errors.As(err, &de) {
		return de
	}
	if a, ok := receivedAlert(err); ok {
		// A fatal alert from the server, in the TLS handshake with the
		// server or an https proxy, or under TLS 1.3 at the first read
		// after it, when the server's verdict on a client certificate
		// arrives.
		err = &TLSAlertError{Alert: a}
	}
	return &DialError{Op: op, Kind: classify(op, err), URL: redact(u), Addr: addr, Err: err}
}

// redact returns a copy of u without user-info.
func redact(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	r := *u
	r.User = nil
	return &r
}

// classify finds the kind of a failure of step op.
func classify(op string, err error) ErrorKind {
	var (
		he   *HandshakeError
		pe   *ProxyError
		ce   *CertificateError
		ae   *TLSAlertError
		re   *RedirectError
		dns  *net.DNSError
		hdr  tls.RecordHeaderError
		verr *tls.CertificateVerificationError
		uerr x509.UnknownAuthorityError
	)
	viaProxy := op == "proxy"
	switch {
	case op == "url" || op == "options":
		return KindInvalidInput
	case errors.As(err, &he):
		return he.kind
	case errors.As(err, &re):
		return KindRedirect
	case errors.As(err, &pe):
		return pe.kind()
	case errors.As(err, &ce), errors.As(err, &verr), errors.As(err, &uerr):
		return KindTLSCertificate
	case errors.As(err, &ae):
		return KindTLSAlert
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return pick(viaProxy, KindProxyTimeout, KindTimeout)
	case errors.As(err, &dns):
		return pick(viaProxy, KindProxyNotFound, KindHostNotFound)
	case errors.Is(err, syscall.ECONNREFUSED):
		return pick(viaProxy, KindProxyConnectionRefused, KindConnectionRefused)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return pick(viaProxy, KindProxyClosed, KindRemoteClosed)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return KindAccess
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOBUFS), errors.Is(err, syscall.ENOMEM):
		return KindResources
	case errors.Is(err, syscall.EAFNOSUPPORT), errors.Is(err, syscall.EPROTONOSUPPORT), errors.Is(err, errors.ErrUnsupported):
		return KindUnsupported
	case op == "tls", errors.As(err, &hdr):
		return KindTLSHandshake
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return KindNetwork
	}
	return KindUnknown
}

func pick(viaProxy bool, proxyKind, directKind ErrorKind) ErrorKind {
	if viaProxy {
		return proxyKind
	}
	return directKind
}

// kind classifies a proxy's refusal.
func (e *ProxyError) kind() ErrorKind {
	var pe *proxy.Error
	if !errors.As(e.err, &pe) {
		if e.err != nil {
			return classify("proxy", e.err)
		}
		return KindProxyProtocol
	}
	switch pe.Kind {
	case proxy.KindAuthRequired:
		return KindProxyAuthRequired
	case proxy.KindRefused:
		return KindProxyRefused
	case proxy.KindClosed:
		return KindProxyClosed
	}
	return KindProxyProtocol
}
