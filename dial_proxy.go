package websocket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"

	"github.com/wsx-go/websocket/internal/httpauth"
	"github.com/wsx-go/websocket/internal/proxy"
)

// ProxyFromEnvironment picks the proxy for a WebSocket URL as Go's HTTP
// client does, reading the environment at each call: HTTPS_PROXY for wss,
// HTTP_PROXY for ws, ALL_PROXY for both when those are empty (upper case
// first, then lower case), except for hosts NO_PROXY names and for
// localhost and loopback addresses. A value without a scheme is an http
// proxy.
func ProxyFromEnvironment(target *url.URL) (*url.URL, error) {
	return envProxy(target)
}

var envProxy = proxy.FromEnvironment(os.Getenv)

// NoProxy turns proxies off: set Dialer.Proxy to it to connect directly
// whatever the environment says.
func NoProxy(*url.URL) (*url.URL, error) { return nil, nil }

// ProxyURL returns a Dialer.Proxy function that always picks fixed.
func ProxyURL(fixed *url.URL) func(*url.URL) (*url.URL, error) {
	return func(*url.URL) (*url.URL, error) { return fixed, nil }
}

// proxyFor returns the proxy to reach u through, or nil.
func (d *Dialer) proxyFor(u *url.URL) (*url.URL, error) {
	choose := d.Proxy
	if choose == nil {
		choose = ProxyFromEnvironment
	}
	pu, err := choose(u)
	if err != nil || pu == nil {
		return nil, err
	}
	switch pu.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy scheme %q is not http, https, socks5 or socks5h", pu.Scheme)
	}
	if pu.Host == "" {
		return nil, errors.New("proxy URL has no host")
	}
	return pu, nil
}

// proxyAddr is the proxy's address, with its scheme's default port.
func proxyAddr(pu *url.URL) string {
	if pu.Port() != "" {
		return pu.Host
	}
	port := map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[pu.Scheme]
	return net.JoinHostPort(pu.Hostname(), port)
}

// tunnel reaches u's server through the proxy pu. When the proxy wants
// credentials it has not got, or refuses the ones sent, ProxyAuth is asked
// and the tunnel tried once more on a new connection.
func (d *Dialer) tunnel(ctx context.Context, u, pu *url.URL) (*link, error) {
	cred := proxyCredentials{}
	cred.user, cred.pass, cred.ok = credentials(pu.User)
	for retried := false; ; retried = true {
		if err := cred.check(pu); err != nil {
			return nil, &DialError{Op: "proxy", Kind: KindInvalidInput, URL: redact(u), Addr: proxyAddr(pu), Err: err}
		}
		l, ch, err := d.tunnelOnce(ctx, u, pu, cred)
		if err == nil {
			return l, nil
		}
		if ch == nil || retried {
			return nil, err
		}
		switch {
		case cred.ok && cred.challenge == nil && ch.http != nil && ch.http.Scheme == "digest":
			// The URL's credentials went out as Basic: answer the
			// Digest challenge with them.
			cred.challenge = ch.http
		case d.ProxyAuth != nil:
			user, pass, ok := d.ProxyAuth(ctx, ch.public)
			if !ok {
				return nil, err
			}
			cred = proxyCredentials{user: user, pass: pass, ok: true, challenge: ch.http}
		default:
			return nil, err
		}
	}
}

// check refuses credentials SOCKS5 cannot carry: RFC 1929 wants a user
// name and a password of 1 to 255 bytes each.
func (c proxyCredentials) check(pu *url.URL) error {
	if !c.ok || pu.Scheme != "socks5" && pu.Scheme != "socks5h" {
		return nil
	}
	if len(c.user) < 1 || len(c.user) > 255 || len(c.pass) < 1 || len(c.pass) > 255 {
		return errors.New("SOCKS5 credentials need a user name and a password of 1 to 255 bytes (RFC 1929)")
	}
	return nil
}

// proxyCredentials are what tunnelOnce sends the proxy.
type proxyCredentials struct {
	user, pass string
	ok         bool
	challenge  *httpauth.Challenge // the 407's challenge, for Digest
}

// proxyChallenge is a proxy's demand for credentials.
type proxyChallenge struct {
	public *AuthChallenge
	http   *httpauth.Challenge // nil for SOCKS5
}

// tunnelOnce connects to the proxy and asks it for a tunnel to u's server.
// A refusal for want of credentials comes with the challenge.
func (d *Dialer) tunnelOnce(ctx context.Context, u, pu *url.URL, cred proxyCredentials) (*link, *proxyChallenge, error) {
	addr := proxyAddr(pu)
	nc, err := d.netDial(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, dialError("proxy", u, addr, deadlineError(ctx, err))
	}
	stop := guard(ctx, nc)
	fail := func(err error, ch *proxyChallenge) (*link, *proxyChallenge, error) {
		stop()
		nc.Close()
		err = deadlineError(ctx, err)
		var ce *CertificateError
		if !errors.As(err, &ce) {
			err = proxyError(pu, err)
		}
		return nil, ch, dialError("proxy", u, addr, err)
	}

	target := hostPort(u)
	switch pu.Scheme {
	case "socks5", "socks5h":
		var auth *proxy.Auth
		if cred.ok {
			auth = &proxy.Auth{Username: cred.user, Password: cred.pass}
		}
		if err := proxy.SOCKS5(nc, target, auth); err != nil {
			var ch *proxyChallenge
			if isProxyKind(err, proxy.KindAuthRequired) {
				ch = &proxyChallenge{public: &AuthChallenge{URL: redact(pu), Proxy: true, Scheme: "SOCKS5"}}
			}
			return fail(err, ch)
		}
		return &link{nc: nc, addr: addr, stop: stop}, nil, nil
	}

	if pu.Scheme == "https" {
		tc, err := d.tlsClient(ctx, nc, pu.Hostname())
		if err != nil {
			return fail(err, nil)
		}
		nc = tc
	}
	header := http.Header{}
	if cred.ok {
		answer, err := proxyAnswer(cred, target)
		if err != nil {
			return fail(err, nil)
		}
		header.Set("Proxy-Authorization", answer)
	}
	buffered, err := proxy.Connect(nc, target, header)
	if err != nil {
		var pe *proxy.Error
		if errors.As(err, &pe) && pe.Kind == proxy.KindAuthRequired {
			return fail(err, httpProxyChallenge(pu, pe.Header))
		}
		return fail(err, nil)
	}
	if len(buffered) > 0 {
		nc = &prefixConn{Conn: nc, buffered: buffered}
	}
	return &link{nc: nc, addr: addr, stop: stop}, nil, nil
}

// proxyAnswer is the Proxy-Authorization value for cred: Basic, or Digest
// when the proxy's challenge asks for it.
func proxyAnswer(cred proxyCredentials, target string) (string, error) {
	if cred.challenge != nil {
		return answerChallenge(*cred.challenge, http.MethodConnect, target, cred.user, cred.pass)
	}
	return httpauth.Basic(cred.user, cred.pass)
}

// httpProxyChallenge reads a 407's Proxy-Authenticate header; nil if it
// holds nothing this package can answer.
func httpProxyChallenge(pu *url.URL, h http.Header) *proxyChallenge {
	values := h.Values("Proxy-Authenticate")
	if len(values) == 0 {
		// A proxy answering 401 challenges as a server would.
		values = h.Values("WWW-Authenticate")
	}
	chs, err := httpauth.ParseChallenges(values)
	if err != nil {
		return nil
	}
	ch, ok := httpauth.Pick(chs)
	if !ok {
		return nil
	}
	return &proxyChallenge{
		public: &AuthChallenge{URL: redact(pu), Proxy: true, Scheme: schemeName(ch.Scheme), Realm: ch.Realm(), Header: h},
		http:   &ch,
	}
}

func isProxyKind(err error, k proxy.Kind) bool {
	var pe *proxy.Error
	return errors.As(err, &pe) && pe.Kind == k
}

// proxyError turns a failure of the exchange with the proxy into a
// *ProxyError.
func proxyError(pu *url.URL, err error) error {
	e := &ProxyError{Proxy: redact(pu), Msg: err.Error(), err: err}
	var pe *proxy.Error
	if errors.As(err, &pe) {
		e.StatusCode, e.Header, e.Body, e.Reply, e.Msg = pe.StatusCode, pe.Header, pe.Body, pe.Reply, pe.Msg
	}
	return e
}

// prefixConn is a connection whose first bytes were read with the
// proxy's answer.
type prefixConn struct {
	net.Conn
	buffered []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.buffered) > 0 {
		n := copy(p, c.buffered)
		c.buffered = c.buffered[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
