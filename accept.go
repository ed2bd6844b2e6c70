package websocket

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/wsx-go/websocket/internal/handshake"
)

// noDeadline clears a deadline.
var noDeadline time.Time

// AcceptOptions configure Accept. The zero value, and a nil *AcceptOptions,
// are valid: same-origin browsers only, no subprotocols, default limits.
type AcceptOptions struct {
	Options

	// Subprotocols the server speaks, in order of preference: the first
	// one the client also offers is chosen.
	Subprotocols []string
	// OriginPatterns allow cross-origin browser handshakes from hosts that
	// match one of these path.Match patterns, such as "*.example.com" or
	// "localhost:*". A handshake without an Origin header, or whose origin
	// host is the request's Host, is always allowed.
	OriginPatterns []string
	// CheckOrigin, when set, decides instead of OriginPatterns whether a
	// request whose Origin differs from its Host is allowed.
	CheckOrigin func(r *http.Request) bool
}

// Accept upgrades the HTTP request r to a WebSocket connection, answering
// it through w (RFC 6455 §4.2). It may be called from any net/http handler:
// the handler may first answer with an error or redirect instead, and may
// set response headers, which the 101 answer keeps. Bytes the client sent
// after its request are kept for the first read.
//
// A request that is not a valid handshake is answered with an HTTP error
// and Accept returns an error: 405 for a method other than GET, 400 for a
// missing or malformed header, 426 (with Sec-WebSocket-Version: 13) for a
// version other than 13, 403 for a refused cross-origin request.
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	c, _, err := accept(w, r, opts)
	return c, err
}

// accept is Accept, which also returns the HTTP status a refused request
// was answered with.
func accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, int, error) {
	var o AcceptOptions
	if opts != nil {
		o = *opts
	}
	if status, err := checkRequest(w, r, &o); err != nil {
		http.Error(w, err.Error(), status)
		return nil, status, err
	}
	if z := o.Compression; z != nil {
		if err := z.check(); err != nil {
			http.Error(w, "websocket: server misconfigured", http.StatusInternalServerError)
			return nil, http.StatusInternalServerError, err
		}
	}
	subprotocol := selectSubprotocol(r.Header, o.Subprotocols)
	deflateParams, compress := negotiateServer(r.Header, o.Compression)

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		err = fmt.Errorf("websocket: cannot take over the HTTP connection: %w", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, http.StatusInternalServerError, err
	}
	// The handshake is done once the answer is sent; the server's own
	// deadlines no longer apply.
	nc.SetDeadline(noDeadline)

	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	for name, values := range w.Header() {
		if handshakeHeaders[name] {
			continue
		}
		for _, v := range values {
			if !handshake.HasCRLF(v) {
				b.WriteString(name + ": " + v + "\r\n")
			}
		}
	}
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Accept: " + handshake.AcceptKey(r.Header.Get("Sec-WebSocket-Key")) + "\r\n")
	if subprotocol != "" {
		b.WriteString("Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
	}
	if compress {
		b.WriteString("Sec-WebSocket-Extensions: " + deflateParams.String() + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := nc.Write([]byte(b.String())); err != nil {
		nc.Close()
		return nil, 0, fmt.Errorf("websocket: send handshake: %w", err)
	}

	limits := o.Options.withDefaults()
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
	c := newConn(nc, false, limits, buffered)
	if compress {
		c.useCompression(deflateParams, o.Compression)
	}
	c.subprotocol = subprotocol
	c.request = r
	c.origin = r.Header.Get("Origin")
	c.url = requestURL(r)
	c.startKeepalive() // once every field is set: its timer writes
	return c, http.StatusSwitchingProtocols, nil
}

// checkRequest checks a handshake request (RFC 6455 §4.2.1) and returns the
// status to answer a bad one with.
func checkRequest(w http.ResponseWriter, r *http.Request, o *AcceptOptions) (int, error) {
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, errors.New("websocket: handshake method is not GET")
	}
	if !r.ProtoAtLeast(1, 1) {
		return http.StatusBadRequest, errors.New("websocket: handshake is not HTTP/1.1 or later")
	}
	if !handshake.HasToken(r.Header, "Connection", "upgrade") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, errors.New("websocket: no Connection: upgrade header")
	}
	if !handshake.HasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, errors.New("websocket: no Upgrade: websocket header")
	}
	if v := r.Header.Get("Sec-WebSocket-Version"); v != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		return http.StatusUpgradeRequired, fmt.Errorf("websocket: unsupported version %q, only 13", v)
	}
	if keys := r.Header.Values("Sec-WebSocket-Key"); len(keys) != 1 || !handshake.ValidKey(keys[0]) {
		return http.StatusBadRequest, errors.New("websocket: missing or malformed Sec-WebSocket-Key")
	}
	if err := checkOrigin(r, o); err != nil {
		return http.StatusForbidden, err
	}
	return 0, nil
}

// checkOrigin refuses cross-origin browser handshakes that are not allowed.
// Browsers always send Origin; other clients usually do not.
func checkOrigin(r *http.Request, o *AcceptOptions) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("websocket: malformed Origin %q", origin)
	}
	if strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	if o.CheckOrigin != nil {
		if o.CheckOrigin(r) {
			return nil
		}
	} else {
		for _, pattern := range o.OriginPatterns {
			if ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(u.Host)); ok {
				return nil
			}
		}
	}
	return fmt.Errorf("websocket: origin %q is not allowed for host %q", origin, r.Host)
}

// selectSubprotocol picks the server's most preferred subprotocol that the
// client offered.
func selectSubprotocol(h http.Header, supported []string) string {
	offered := Subprotocols(h)
	for _, s := range supported {
		if slices.Contains(offered, s) {
			return s
		}
	}
	return ""
}

// Subprotocols returns the subprotocols a client offered in its handshake
// headers, in its order of preference, as Tufao's supportedProtocols does.
func Subprotocols(h http.Header) []string {
	return handshake.Tokens(h, "Sec-WebSocket-Protocol")
}

// requestURL rebuilds the URL the client opened.
func requestURL(r *http.Request) *url.URL {
	u := *r.URL
	u.Scheme = "ws"
	if r.TLS != nil {
		u.Scheme = "wss"
	}
	u.Host = r.Host
	return &u
}
