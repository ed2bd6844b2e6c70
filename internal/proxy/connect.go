package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/wsx-go/websocket/internal/handshake"
)

// maxAnswerBytes bounds how much of a CONNECT answer Connect reads, the
// header sections and the body excerpt together, so that a proxy sending an
// endless header cannot make it hold unbounded memory.
const maxAnswerBytes = 64 << 10

// maxBodyExcerpt is the most of a refusal's body that Error.Body keeps.
const maxBodyExcerpt = 1 << 10

// maxInterim is how many 1xx interim answers Connect skips before it gives
// up on a final one.
const maxInterim = 8

// errAnswerTooLarge is what answerReader returns once maxAnswerBytes are
// used up.
var errAnswerTooLarge = errors.New("proxy: CONNECT answer longer than 64 KiB")

// Connect runs an HTTP CONNECT exchange (RFC 9110 §9.3.6) for target, a
// "host:port" with IPv6 literals in brackets, on conn.
//
// It writes the request line, a Host field equal to target and the fields of
// header (nil means none; a Host entry in it is ignored), in one Write. A
// field name must be a token and a value must hold no CR, LF or NUL, or
// Connect fails before writing anything.
//
// Any 2xx answer opens the tunnel. Connect reads the answer through a
// buffer, so it may read past the answer's end: those bytes are the first of
// the tunnel and are returned as buffered (normally none). The caller must
// hand them to the reader of the tunnel before reading conn again.
//
// 1xx answers before the final one are skipped (RFC 9110 §15.2). Any other
// answer is an *Error: KindAuthRequired for 407, KindRefused for the other
// codes from 300 to 599, KindProtocol for 101 and codes outside 100 to 599.
// Its Body holds at most 1 KiB of the answer's body, read so that Connect
// never waits for bytes the proxy did not promise: up to 1 KiB of a body
// framed by Content-Length or chunked coding; of a body that runs until
// the connection closes, only the bytes that arrived with the header.
// The whole answer, header and excerpt, may take at most 64 KiB.
//
// Connect does no more than this exchange: the caller sets deadlines and
// closes conn on failure.
func Connect(conn net.Conn, target string, header http.Header) (buffered []byte, err error) {
	req, err := connectRequest(target, header)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(req); err != nil {
		return nil, ioFailure("http", "during the CONNECT request", err)
	}
	return readAnswer(conn)
}

// connectRequest checks target and header and returns the CONNECT request
// for them. Fields are written in the order of their names, so that the
// request is the same for the same arguments.
func connectRequest(target string, header http.Header) ([]byte, error) {
	host, port, err := splitTarget(target)
	if err != nil {
		return nil, err
	}
	// RFC 9112 §3.2.3: CONNECT's request-target is the authority-form,
	// which RFC 9110 §7.2 also makes the Host value.
	authority := net.JoinHostPort(host, strconv.Itoa(int(port)))
	names := make([]string, 0, len(header))
	for name, values := range header {
		if !handshake.ValidToken(name) {
			return nil, errors.New("proxy: header name " + strconv.Quote(name) + " is not a token")
		}
		for _, v := range values {
			// RFC 9110 §5.5: CR, LF and NUL are invalid in field values.
			// The value is left out of the message: it may be a secret.
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, errors.New("proxy: header " + name + " has a value holding CR, LF or NUL")
			}
		}
		if !strings.EqualFold(name, "Host") {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	var b bytes.Buffer
	b.WriteString("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n")
	for _, name := range names {
		for _, v := range header[name] {
			b.WriteString(name + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// readAnswer reads the proxy's answer to CONNECT from conn and returns the
// bytes read past it on success.
func readAnswer(conn io.Reader) ([]byte, error) {
	ar := &answerReader{r: conn, left: maxAnswerBytes}
	br := bufio.NewReader(ar)
	// The request only tells ReadResponse which method the answer is for.
	req := &http.Request{Method: http.MethodConnect}
	var resp *http.Response
	for interim := 0; resp == nil; interim++ {
		r, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, answerError(ar, br, err)
		}
		if r.StatusCode/100 != 1 || r.StatusCode == http.StatusSwitchingProtocols {
			resp = r
		} else if interim == maxInterim {
			return nil, &Error{Protocol: "http", Kind: KindProtocol, Msg: "more than " + strconv.Itoa(maxInterim) + " 1xx answers"}
		}
	}

	e := &Error{
		Protocol:   "http",
		StatusCode: resp.StatusCode,
		Header:     resp.Header,
		Msg:        "CONNECT answered " + strconv.Quote(printable(resp.Status)),
	}
	switch code := resp.StatusCode; {
	case code/100 == 2:
		// RFC 9110 §9.3.6: the tunnel begins right after the header
		// section of a 2xx answer, and a client must ignore any
		// Content-Length or Transfer-Encoding in it. So resp.Body is not
		// read; everything buffered belongs to the tunnel.
		if n := br.Buffered(); n > 0 {
			b, _ := br.Peek(n)
			return bytes.Clone(b), nil
		}
		return nil, nil
	case code == http.StatusProxyAuthRequired, code == http.StatusUnauthorized:
		// A 401 is a server's challenge, not a proxy's (RFC 9110
		// §15.5.2), but some proxies answer refused credentials with it
		// and WWW-Authenticate: tinyproxy up to 1.11 does.
		e.Kind = KindAuthRequired
	case code < 100 || code > 599 || code == http.StatusSwitchingProtocols:
		// RFC 9110 §15: status codes run from 100 to 599; and a protocol
		// switch is no answer to CONNECT.
		e.Kind = KindProtocol
		return nil, e
	default:
		e.Kind = KindRefused
	}
	e.Body = bodyExcerpt(resp, br)
	return nil, e
}

// bodyExcerpt returns the start of a refusal's body, at most maxBodyExcerpt
// bytes, without waiting for bytes the proxy did not promise. Read errors
// end the excerpt; the refusal matters more than its body.
func bodyExcerpt(resp *http.Response, br *bufio.Reader) []byte {
	var b []byte
	switch {
	case resp.ContentLength > 0 || slices.Contains(resp.TransferEncoding, "chunked"):
		b, _ = io.ReadAll(io.LimitReader(resp.Body, maxBodyExcerpt))
	case resp.ContentLength < 0:
		// A body that ends when the connection closes: the proxy may
		// well keep it open, so take only what has already arrived.
		b, _ = br.Peek(min(br.Buffered(), maxBodyExcerpt))
		b = bytes.Clone(b)
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// answerError turns an error from http.ReadResponse reading from br into
// the one Connect returns, telling I/O failures from malformed answers by
// what ar has seen.
func answerError(ar *answerReader, br *bufio.Reader, err error) error {
	switch {
	case errors.Is(err, errAnswerTooLarge):
		return &Error{Protocol: "http", Kind: KindProtocol, Msg: "answer header longer than 64 KiB"}
	case closedByPeer(err) || ar.err != nil && errors.Is(err, ar.err):
		return ioFailure("http", "during the CONNECT answer", err)
	case ar.err != nil && br.Buffered() == 0 && ar.last != '\n':
		// net/http takes a last line cut short by a read error as whole,
		// so "HTTP/1.1 20" and then a close or a timeout is a malformed
		// status line to it. But the line it failed on was the last one
		// read, and the error cut it: that error is the cause.
		cause := ar.err
		if cause == io.EOF {
			cause = io.ErrUnexpectedEOF
		}
		return ioFailure("http", "during the CONNECT answer", cause)
	}
	return &Error{Protocol: "http", Kind: KindProtocol, Msg: "malformed answer: " + printable(err.Error())}
}

// answerReader reads from r at most left bytes in all, then fails with
// errAnswerTooLarge. It remembers the first error r returned and the last
// byte read.
type answerReader struct {
	r    io.Reader
	left int
	err  error
	last byte
}

// Read reads from the underlying reader, within the remaining allowance.
func (a *answerReader) Read(p []byte) (int, error) {
	if a.left <= 0 {
		return 0, errAnswerTooLarge
	}
	if len(p) > a.left {
		p = p[:a.left]
	}
	n, err := a.r.Read(p)
	a.left -= n
	if n > 0 {
		a.last = p[n-1]
	}
	if err != nil && a.err == nil {
		a.err = err
	}
	return n, err
}

// maxMsgText is the most of the proxy's own text that goes into Error.Msg.
const maxMsgText = 128

// printable cuts s, text that came from the proxy, to maxMsgText bytes and
// replaces control characters and broken UTF-8 by '?', so that an error
// message cannot carry escape sequences or line breaks into a log.
func printable(s string) string {
	if len(s) > maxMsgText {
		s = s[:maxMsgText] + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\uFFFD' {
			return '?'
		}
		return r
	}, s)
}
