package websocket

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wsx-go/websocket/internal/handshake"
)

// DialOptions configure Dial. The zero value, and a nil *DialOptions, are
// valid: no extra headers, no origin, no subprotocols, the system's TLS
// roots, the default limits.
type DialOptions struct {
	Options

	// Header holds extra request headers. The headers the handshake
	// itself sets (Upgrade, Connection, Sec-WebSocket-*) are ignored.
	Header http.Header
	// Origin, when set, is sent as the Origin header, as a browser would.
	Origin string
	// Subprotocols are offered in order of preference.
	Subprotocols []string
	// TLSConfig is used for wss URLs; nil means a default configuration.
	// Its ServerName defaults to the URL's host.
	TLSConfig *tls.Config
	// NetDial opens the TCP connection; nil means a net.Dialer.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaskGenerator supplies masking keys; nil means keys from
	// crypto/rand.
	MaskGenerator MaskGenerator
	// HandshakeTimeout bounds the TCP connect, TLS and HTTP handshakes
	// when ctx has no earlier deadline. Default 30 seconds.
	HandshakeTimeout time.Duration
}

// DefaultHandshakeTimeout bounds Dial when neither ctx nor
// DialOptions.HandshakeTimeout does.
const DefaultHandshakeTimeout = 30 * time.Second

// Dial opens a WebSocket connection to rawURL (ws:// or wss://; http and
// https are accepted as their WebSocket equivalents) and runs the opening
// handshake. ctx bounds the connection and the handshake, not the life of
// the returned Conn.
//
// A URL, origin, subprotocol or header value holding a CR or LF is refused
// before any I/O. A server answer that breaks RFC 6455 §4.1, or a status
// other than 101, yields a *HandshakeError.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, error) {
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	u, err := parseDialURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := checkDialOptions(&o); err != nil {
		return nil, err
	}
	limits := o.Options.withDefaults()
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, o.HandshakeTimeout)
	defer cancel()

	dial := o.NetDial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, fmt.Errorf("websocket: dial %s: %w", u.Host, err)
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	c, err := clientHandshake(ctx, nc, u, &o, limits)
	if !stop() && err == nil {
		// ctx ended just as the handshake succeeded; the conn is closed.
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline is ctx's: a read may fail on it
			// just before ctx itself reports the end.
			if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
				err = context.DeadlineExceeded
			}
		}
		return nil, contextError(ctx, err)
	}
	return c, nil
}

func parseDialURL(rawURL string) (*url.URL, error) {
	if handshake.HasCRLF(rawURL) {
		return nil, errors.New("websocket: URL holds a CR or LF")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("websocket: URL scheme %q is not ws or wss", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("websocket: URL has no host")
	}
	if u.Fragment != "" {
		// RFC 6455 §3: fragments are meaningless in WebSocket URIs.
		return nil, errors.New("websocket: URL has a fragment")
	}
	return u, nil
}

func checkDialOptions(o *DialOptions) error {
	if handshake.HasCRLF(o.Origin) {
		return errors.New("websocket: origin holds a CR or LF")
	}
	for _, p := range o.Subprotocols {
		if !handshake.ValidToken(p) {
			return fmt.Errorf("websocket: subprotocol %q is not a valid token", p)
		}
	}
	for name, values := range o.Header {
		if !handshake.ValidToken(name) {
			return fmt.Errorf("websocket: header name %q is not a valid token", name)
		}
		for _, v := range values {
			if handshake.HasCRLF(v) {
				return fmt.Errorf("websocket: header %s holds a CR or LF", name)
			}
		}
	}
	return nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "wss" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// handshakeHeaders are set by the handshake and never taken from
// DialOptions.Header.
var handshakeHeaders = map[string]bool{
	"Host": true, "Upgrade": true, "Connection": true, "Sec-Websocket-Key": true,
	"Sec-Websocket-Version": true, "Sec-Websocket-Accept": true, "Sec-Websocket-Protocol": true, "Sec-Websocket-Extensions": true,
}

func clientHandshake(ctx context.Context, nc net.Conn, u *url.URL, o *DialOptions, limits Options) (*Conn, error) {
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	}
	if u.Scheme == "wss" {
		cfg := &tls.Config{}
		if o.TLSConfig != nil {
			cfg = o.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("websocket: TLS handshake: %w", err)
		}
		nc = tc
	}

	key := handshake.NewKey()
	var b strings.Builder
	b.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\n")
	host := u.Host
	if h := o.Header.Get("Host"); h != "" && !handshake.HasCRLF(h) {
		host = h
	}
	b.WriteString("Host: " + host + "\r\n")
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + key + "\r\n")
	b.WriteString("Sec-WebSocket-Version: 13\r\n")
	if o.Origin != "" {
		b.WriteString("Origin: " + o.Origin + "\r\n")
	}
	if len(o.Subprotocols) > 0 {
		b.WriteString("Sec-WebSocket-Protocol: " + strings.Join(o.Subprotocols, ", ") + "\r\n")
	}
	for name, values := range o.Header {
		if handshakeHeaders[http.CanonicalHeaderKey(name)] {
			continue
		}
		for _, v := range values {
			b.WriteString(name + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(nc, b.String()); err != nil {
		return nil, fmt.Errorf("websocket: send handshake: %w", err)
	}

	br := bufio.NewReaderSize(nc, max(limits.ReadBufferSize, 4096))
	req := &http.Request{Method: http.MethodGet, URL: u}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("websocket: read handshake response: %w", err)
	}
	if err := checkResponse(resp, key, o.Subprotocols); err != nil {
		return nil, err
	}
	nc.SetDeadline(noDeadline)

	buffered, _ := br.Peek(br.Buffered())
	c := newConn(nc, true, limits, buffered)
	c.subprotocol = resp.Header.Get("Sec-WebSocket-Protocol")
	resp.Body = http.NoBody
	c.response = resp
	c.url = u
	c.origin = o.Origin
	c.masks = o.MaskGenerator
	if c.masks == nil {
		c.masks = newRandomMasks()
	}
	return c, nil
}

// checkResponse checks the server's handshake answer (RFC 6455 §4.1).
func checkResponse(resp *http.Response, key string, offered []string) error {
	fail := func(reason string) error {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body.Close()
		return &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, Reason: reason}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fail("the server did not switch protocols")
	}
	if !handshake.HasToken(resp.Header, "Upgrade", "websocket") {
		return fail("no Upgrade: websocket header")
	}
	if !handshake.HasToken(resp.Header, "Connection", "upgrade") {
		return fail("no Connection: upgrade header")
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(key) {
		return fail("wrong Sec-WebSocket-Accept")
	}
	if p := resp.Header.Values("Sec-WebSocket-Protocol"); len(p) > 0 {
		if len(p) > 1 || !slices.Contains(offered, p[0]) {
			return fail("the server chose a subprotocol the client did not offer")
		}
	}
	if len(handshake.Tokens(resp.Header, "Sec-WebSocket-Extensions")) > 0 {
		return fail("the server chose an extension the client did not offer")
	}
	return nil
}
