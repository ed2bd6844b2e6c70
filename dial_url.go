package websocket

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/wsx-go/websocket/internal/handshake"
)

// parseDialURL parses a URL to dial: ws or wss, or http and https mapped
// to them, with a host and no fragment (RFC 6455 §3).
func parseDialURL(rawURL string) (*url.URL, error) {
	if handshake.HasCRLF(rawURL) {
		return nil, errors.New("URL holds a CR or LF")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if err := toWebSocketScheme(u); err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, errors.New("URL has no host")
	}
	if u.Fragment != "" {
		return nil, errors.New("URL has a fragment")
	}
	return u, nil
}

// toWebSocketScheme maps http and https to ws and wss, and refuses other
// schemes.
func toWebSocketScheme(u *url.URL) error {
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return fmt.Errorf("URL scheme %q is not ws or wss", u.Scheme)
	}
	return nil
}

// check refuses options that would put a CR or LF, or a bad token, in the
// request.
func (d *Dialer) check() error {
	if z := d.Options.Compression; z != nil {
		if err := z.check(); err != nil {
			return err
		}
	}
	if handshake.HasCRLF(d.Origin) {
		return errors.New("origin holds a CR or LF")
	}
	for _, p := range d.Subprotocols {
		if !handshake.ValidToken(p) {
			return fmt.Errorf("subprotocol %q is not a valid token", p)
		}
	}
	for name, values := range d.Header {
		if !handshake.ValidToken(name) {
			return fmt.Errorf("header name %q is not a valid token", name)
		}
		for _, v := range values {
			if handshake.HasCRLF(v) {
				return fmt.Errorf("header %s holds a CR or LF", name)
			}
		}
	}
	return nil
}

// canonicalHeader returns h with canonical names, so that Get and Del see
// every entry: a Header built as a map literal may hold "authorization".
// h itself is returned when it is canonical already.
func canonicalHeader(h http.Header) http.Header {
	canonical := true
	for name := range h {
		if http.CanonicalHeaderKey(name) != name {
			canonical = false
			break
		}
	}
	if canonical {
		return h
	}
	c := make(http.Header, len(h))
	for name, values := range h {
		key := http.CanonicalHeaderKey(name)
		c[key] = append(c[key], values...)
	}
	return c
}

// hostPort is the address of u's server, with the scheme's default port.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "wss" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}
