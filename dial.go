package websocket

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Dialer opens WebSocket connections. The zero value, and a nil *Dialer,
// are valid: the system's TLS roots, the proxy named by the environment,
// redirects followed, the default limits. A Dialer is never changed by
// dialing, and may be used by several goroutines at once.
type Dialer struct {
	Options

	// Header holds extra request headers. The headers the handshake
	// itself sets (Upgrade, Connection, Sec-WebSocket-*) are ignored; a
	// Host entry replaces the URL's host in the Host header, also after
	// redirects. Authorization and Cookie are dropped when a redirect
	// leads to another host.
	Header http.Header
	// Origin, when set, is sent as the Origin header, as a browser would.
	Origin string
	// Subprotocols are offered in order of preference.
	Subprotocols []string

	// NetDial opens the connection to the server, or to the proxy; nil
	// means a net.Dialer. Set it to use a net.Dialer of your own (local
	// address, keep-alive, a resolver) or any other transport.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// UnixSocket, when set, is the path of a Unix domain socket to connect
	// to instead of the URL's host, which then only fills the Host header
	// and the TLS server name. No proxy is used.
	UnixSocket string
	// HandshakeTimeout bounds the whole dial, every proxy step, TLS
	// handshake, redirect and authentication retry included, when ctx has
	// no earlier deadline. Default 30 seconds.
	HandshakeTimeout time.Duration

	// Proxy returns the proxy for a WebSocket URL: an http, https (TLS to
	// the proxy), socks5 or socks5h URL, or nil for a direct connection.
	// Credentials in the proxy URL's user-info are sent at once (Basic for
	// HTTP proxies, RFC 1929 for SOCKS5). nil means ProxyFromEnvironment;
	// NoProxy turns proxies off.
	Proxy func(target *url.URL) (*url.URL, error)
	// ProxyAuth is asked for credentials when the proxy refuses the ones
	// sent, or wants some and the proxy URL has none (Qt's
	// proxyAuthenticationRequired). The tunnel is tried once more with
	// what it returns.
	ProxyAuth AuthFunc
	// Auth is asked for credentials when the server answers 401 with a
	// Basic or Digest challenge and the URL has no user-info (Qt's
	// authenticationRequired). The handshake is tried once more with
	// them.
	Auth AuthFunc

	// TLSConfig is used for wss URLs and https proxies; nil means a
	// default configuration. Its ServerName defaults to the host dialed.
	// HTTP/2 is never offered. Certificates are verified as crypto/tls
	// would, with RootCAs, unless InsecureSkipVerify is set; failures are
	// reported as a *CertificateError listing every problem.
	TLSConfig *tls.Config
	// TrustedCertificates are accepted as the server's (or the proxy's)
	// leaf certificate whatever their issuer, names or dates: the way to
	// reach a server with a self-signed certificate you hold a copy of.
	TrustedCertificates []*x509.Certificate
	// PinnedKeys are public key pins ("sha256/" + base64, see
	// PublicKeyPin); a leaf certificate whose key matches one is accepted
	// whatever its issuer, names or dates.
	PinnedKeys []string
	// OnCertificateError is called during the TLS handshake when the
	// server's certificate fails verification, with every problem found
	// (Qt's sslErrors). Returning nil accepts the certificate and the
	// handshake goes on (Qt's ignoreSslErrors); an error refuses it: the
	// server gets a bad_certificate alert and Dial fails with the
	// *CertificateError, whose Refusal is that error.
	OnCertificateError func(*CertificateError) error

	// CheckRedirect is called before a redirect (301, 302, 303, 307, 308)
	// is followed, with the next URL and the URLs dialed so far; an error
	// refuses it and Dial fails with a *RedirectError. nil follows them.
	// Redirects past MaxRedirects and from wss to ws are always refused,
	// without a call.
	CheckRedirect func(next *url.URL, via []*url.URL) error

	// MaskGenerator supplies masking keys; nil means keys from
	// crypto/rand.
	MaskGenerator MaskGenerator
}

// DialOptions configure Dial: they are a Dialer.
type DialOptions = Dialer

// AuthFunc supplies credentials for a challenge. ok false declines, and
// Dial fails with the refusal it got.
type AuthFunc func(ctx context.Context, ch *AuthChallenge) (username, password string, ok bool)

// AuthChallenge describes a demand for credentials.
type AuthChallenge struct {
	// URL is the server's URL for a 401, or the proxy's for a proxy,
	// without user-info.
	URL *url.URL
	// Proxy is true when the proxy asks.
	Proxy bool
	// Scheme is "Basic" or "Digest" for HTTP, "SOCKS5" for a SOCKS5 proxy.
	Scheme string
	// Realm is the challenge's realm, if any.
	Realm string
	// Header holds the 401 or 407 answer's headers; nil for SOCKS5.
	Header http.Header
}

// DefaultHandshakeTimeout bounds Dial when neither ctx nor
// Dialer.HandshakeTimeout does.
const DefaultHandshakeTimeout = 30 * time.Second

// MaxRedirects is the number of redirects Dial follows at most.
const MaxRedirects = 10

// Dial opens a WebSocket connection to rawURL with the options of opts (nil
// is valid); see Dialer.Dial.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, error) {
	return opts.Dial(ctx, rawURL)
}

// Dial opens a WebSocket connection to rawURL (ws:// or wss://; http and
// https are accepted as their WebSocket equivalents) and runs the opening
// handshake, through a proxy, redirects and authentication as the Dialer
// says. ctx bounds the dial, not the life of the returned Conn.
//
// A URL, origin, subprotocol or header value holding a CR or LF is refused
// before any I/O. Every failure is a *DialError whose Kind says what went
// wrong; errors.As reaches the detail (*HandshakeError, *ProxyError,
// *CertificateError, *net.DNSError, ...).
func (d *Dialer) Dial(ctx context.Context, rawURL string) (*Conn, error) {
	if d == nil {
		d = &Dialer{}
	}
	u, err := parseDialURL(rawURL)
	if err != nil {
		return nil, &DialError{Op: "url", Kind: KindInvalidInput, Err: err}
	}
	if err := d.check(); err != nil {
		return nil, &DialError{Op: "options", Kind: KindInvalidInput, URL: redact(u), Err: err}
	}
	timeout := d.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	limits := d.Options.withDefaults()
	s := &dialState{d: d, url: u, header: canonicalHeader(d.Header)}
	for {
		c, err := s.attempt(ctx, limits)
		if c != nil || err != nil {
			return c, err
		}
	}
}
