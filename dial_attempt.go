package websocket

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// dialState is one Dial on its way through redirects and authentication.
type dialState struct {
	d      *Dialer
	url    *url.URL    // the URL to dial next
	header http.Header // the Dialer's headers, less credentials after a redirect to another host
	via    []*url.URL  // the URLs that redirected

	authorization string // the answer to the server's challenge, once there is one
	authTried     bool   // credentials were sent to this URL
}

// attempt dials s.url once. It returns the connection or the error that
// ends the Dial, or neither when the server asked for credentials or
// redirected and s is ready for the next attempt.
func (s *dialState) attempt(ctx context.Context, limits Options) (*Conn, error) {
	u := s.url
	l, err := s.d.connect(ctx, u)
	if err != nil {
		return nil, err
	}
	nc := l.nc
	fail := func(op string, err error) (*Conn, error) {
		l.stop()
		nc.Close()
		return nil, dialError(op, u, l.addr, deadlineError(ctx, err))
	}

	if u.Scheme == "wss" {
		tc, err := s.d.tlsClient(ctx, nc, u.Hostname())
		if err != nil {
			return fail("tls", err)
		}
		nc = tc
	}
	key, err := s.writeRequest(nc)
	if err != nil {
		return fail("handshake", err)
	}
	resp, br, err := readResponse(nc, u, limits.ReadBufferSize)
	if err != nil {
		return fail("handshake", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		readExcerpt(nc, resp)
		l.stop()
		nc.Close()
		if err := s.next(ctx, resp); err != nil {
			return nil, dialError(stepOf(err), u, l.addr, err)
		}
		return nil, nil
	}
	negotiated, err := checkResponse(resp, key, s.d.Subprotocols, limits.Compression)
	if err != nil {
		return fail("handshake", err)
	}
	if !l.stop() {
		// ctx ended just as the handshake succeeded; nc is closed.
		return fail("handshake", ctx.Err())
	}
	nc.SetDeadline(noDeadline)

	buffered, _ := br.Peek(br.Buffered())
	c := newConn(nc, true, limits, buffered)
	if negotiated != nil {
		c.useCompression(*negotiated, limits.Compression)
	}
	c.subprotocol = resp.Header.Get("Sec-WebSocket-Protocol")
	resp.Body = http.NoBody
	c.response = resp
	c.url = u
	c.origin = s.d.Origin
	c.masks = s.d.MaskGenerator
	if c.masks == nil {
		c.masks = newRandomMasks()
	}
	c.startKeepalive() // once every field is set: its timer writes
	return c, nil
}

// next handles an answer other than 101: a 401 the Dialer can answer, or a
// redirect to follow. Any other answer ends the Dial.
func (s *dialState) next(ctx context.Context, resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return s.authenticate(ctx, resp)
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return s.redirect(resp)
	}
	return statusError(resp, KindHandshakeStatus, "the server did not switch protocols")
}

// stepOf names the step an error of next belongs to.
func stepOf(err error) string {
	var re *RedirectError
	var he *HandshakeError
	switch {
	case errors.As(err, &re):
		return "redirect"
	case errors.As(err, &he) && he.kind == KindAuthRequired:
		return "auth"
	}
	return "handshake"
}

// link is a connection to the server, direct or through a proxy's tunnel,
// closed when ctx ends until stop is called.
type link struct {
	nc   net.Conn
	addr string      // the address dialed: the server's, the proxy's or a socket path
	stop func() bool // false if ctx ended first and nc is closed
}

// guard bounds nc's I/O by ctx: its deadline, and a close when ctx ends.
func guard(ctx context.Context, nc net.Conn) func() bool {
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() { nc.Close() })
}

// deadlineError reports a failure caused by ctx's end as ctx's error: a
// read may fail on the connection's deadline, or on the close that ctx's
// end caused, just before ctx itself reports the end.
func deadlineError(ctx context.Context, err error) error {
	err = contextError(ctx, err)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return context.DeadlineExceeded
		}
	}
	return err
}

// netDial opens a connection with the Dialer's NetDial or a net.Dialer.
func (d *Dialer) netDial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.NetDial != nil {
		return d.NetDial(ctx, network, addr)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// connect reaches u's server: over the Unix socket, through the proxy, or
// directly.
func (d *Dialer) connect(ctx context.Context, u *url.URL) (*link, error) {
	if d.UnixSocket != "" {
		nc, err := d.netDial(ctx, "unix", d.UnixSocket)
		if err != nil {
			return nil, dialError("dial", u, d.UnixSocket, deadlineError(ctx, err))
		}
		return &link{nc: nc, addr: d.UnixSocket, stop: guard(ctx, nc)}, nil
	}
	pu, err := d.proxyFor(u)
	if err != nil {
		return nil, &DialError{Op: "proxy", Kind: KindInvalidInput, URL: redact(u), Err: err}
	}
	if pu != nil {
		return d.tunnel(ctx, u, pu)
	}
	addr := hostPort(u)
	nc, err := d.netDial(ctx, "tcp", addr)
	if err != nil {
		return nil, dialError("dial", u, addr, deadlineError(ctx, err))
	}
	return &link{nc: nc, addr: addr, stop: guard(ctx, nc)}, nil
}
