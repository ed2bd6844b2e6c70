package websocket

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wsx-go/websocket/internal/deflate"
	"github.com/wsx-go/websocket/internal/handshake"
)

// handshakeHeaders are set by the handshake and never taken from
// Dialer.Header.
var handshakeHeaders = map[string]bool{
	"Host": true, "Upgrade": true, "Connection": true, "Sec-Websocket-Key": true,
	"Sec-Websocket-Version": true, "Sec-Websocket-Accept": true, "Sec-Websocket-Protocol": true, "Sec-Websocket-Extensions": true,
}

// writeRequest sends the opening handshake request (RFC 6455 §4.1) and
// returns its key.
func (s *dialState) writeRequest(nc net.Conn) (string, error) {
	u, d := s.url, s.d
	key := handshake.NewKey()
	var b strings.Builder
	b.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\n")
	host := u.Host
	if h := s.header.Get("Host"); h != "" && !handshake.HasCRLF(h) {
		host = h
	}
	b.WriteString("Host: " + host + "\r\n")
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + key + "\r\n")
	b.WriteString("Sec-WebSocket-Version: 13\r\n")
	if d.Origin != "" {
		b.WriteString("Origin: " + d.Origin + "\r\n")
	}
	if len(d.Subprotocols) > 0 {
		b.WriteString("Sec-WebSocket-Protocol: " + strings.Join(d.Subprotocols, ", ") + "\r\n")
	}
	if z := d.Options.Compression; z != nil {
		b.WriteString("Sec-WebSocket-Extensions: " + z.offer().String() + "\r\n")
	}
	if s.authorization != "" {
		b.WriteString("Authorization: " + s.authorization + "\r\n")
	}
	for name, values := range s.header {
		name = http.CanonicalHeaderKey(name)
		if handshakeHeaders[name] || s.authorization != "" && name == "Authorization" {
			continue
		}
		for _, v := range values {
			b.WriteString(name + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(nc, b.String())
	return key, err
}

// maxResponseBytes bounds the server's answer to the handshake request,
// status line, headers and the body excerpt of a refusal together.
const maxResponseBytes = 1 << 20

// errResponseTooLarge is the reason an answer past maxResponseBytes is
// refused.
var errResponseTooLarge = errors.New("the answer is longer than 1 MiB")

// readResponse reads the server's answer to the handshake request. An
// answer that is not HTTP, or too long, is a *HandshakeError.
func readResponse(nc net.Conn, u *url.URL, bufSize int) (*http.Response, *bufio.Reader, error) {
	br := bufio.NewReaderSize(&cappedReader{r: nc, left: maxResponseBytes}, max(bufSize, 4096))
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
	if err != nil && !isIOError(err) {
		err = &HandshakeError{Reason: "malformed answer: " + err.Error(), kind: KindMalformedResponse}
	}
	return resp, br, err
}

// isIOError reports whether err is a failure to read rather than a
// malformed answer.
func isIOError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)
}

// cappedReader reads at most left bytes from r, then fails with
// errResponseTooLarge.
type cappedReader struct {
	r    io.Reader
	left int
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errResponseTooLarge
	}
	n, err := c.r.Read(p[:min(len(p), c.left)])
	c.left -= n
	return n, err
}

// excerptSize and excerptWait bound the body kept from a refusal: the
// body is only for the error message, and a server may keep the
// connection open without saying how long it is.
const (
	excerptSize = 1024
	excerptWait = 500 * time.Millisecond
)

// readExcerpt replaces resp.Body with its first bytes, read within
// excerptWait.
func readExcerpt(nc net.Conn, resp *http.Response) {
	nc.SetReadDeadline(time.Now().Add(excerptWait))
	body, _ := io.ReadAll(io.LimitReader(resp.Body, excerptSize))
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	resp.ContentLength = int64(len(body))
}

// statusError is the *HandshakeError for resp, whose body readExcerpt has
// cut.
func statusError(resp *http.Response, kind ErrorKind, reason string) *HandshakeError {
	body, _ := io.ReadAll(resp.Body)
	return &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, Reason: reason, kind: kind}
}

// checkResponse checks a 101 answer (RFC 6455 §4.1) and returns the
// permessage-deflate parameters it accepted, if any: z is what the client
// offered, or nil.
func checkResponse(resp *http.Response, key string, offered []string, z *CompressionOptions) (*deflate.Params, error) {
	fail := func(kind ErrorKind, reason string) (*deflate.Params, error) {
		return nil, &HandshakeError{StatusCode: resp.StatusCode, Header: resp.Header, Reason: reason, kind: kind}
	}
	if !handshake.HasToken(resp.Header, "Upgrade", "websocket") {
		return fail(KindBadUpgrade, "no Upgrade: websocket header")
	}
	if !handshake.HasToken(resp.Header, "Connection", "upgrade") {
		return fail(KindBadUpgrade, "no Connection: upgrade header")
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(key) {
		return fail(KindBadAccept, "wrong Sec-WebSocket-Accept")
	}
	if p := resp.Header.Values("Sec-WebSocket-Protocol"); len(p) > 0 {
		if len(p) > 1 || !slices.Contains(offered, p[0]) {
			return fail(KindUnrequestedSubprotocol, "the server chose a subprotocol the client did not offer")
		}
	}
	return negotiateClient(resp.Header, z, fail)
}
