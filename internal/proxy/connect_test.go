package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// connectTarget and connectHeader are what TestConnect asks for, and
// connectRequestWire the request they must give, byte for byte: fields
// sorted by name, the Host entry of the header dropped.
var (
	connectTarget = "example.com:443"
	connectHeader = http.Header{
		"Proxy-Authorization": {"Basic dXNlcjpwYXNz"},
		"X-Trace":             {"a", "b"},
		"Host":                {"evil.example"},
	}
	connectRequestWire = "CONNECT example.com:443 HTTP/1.1\r\n" +
		"Host: example.com:443\r\n" +
		"Proxy-Authorization: Basic dXNlcjpwYXNz\r\n" +
		"X-Trace: a\r\n" +
		"X-Trace: b\r\n" +
		"\r\n"
)

// connectCase is one answer of a fake proxy to CONNECT and what Connect
// must make of it.
type connectCase struct {
	name   string
	answer string // written in one Write after the request was read
	later  string // written in a second Write, if not empty

	// For a tunnel (wantKind 0): the bytes Connect returns as buffered.
	// The fake proxy then echoes "ping" with "pong".
	wantBuffered string

	wantKind   Kind
	wantStatus int
	wantBody   string
	wantHeader http.Header // fields that must be in Error.Header
	wantErrIs  error       // what Error.Err must be
}

var connectCases = []connectCase{
	{name: "200", answer: "HTTP/1.1 200 Connection established\r\n\r\n"},
	{name: "200 with tunnel bytes after it", answer: "HTTP/1.1 200 OK\r\n\r\nearly", wantBuffered: "early"},
	{name: "HTTP/1.0 200", answer: "HTTP/1.0 200 OK\r\nVia: 1.0 p\r\n\r\n"},
	{name: "204", answer: "HTTP/1.1 204 No Content\r\n\r\n"},
	{name: "200 with LF line ends", answer: "HTTP/1.1 200 OK\nVia: p\n\nearly", wantBuffered: "early"},
	{
		// RFC 9110 §9.3.6: Content-Length means nothing in a 2xx answer
		// to CONNECT; the bytes after the header are the tunnel's.
		name:         "200 with Content-Length",
		answer:       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef",
		wantBuffered: "abcdef",
	},
	{name: "100 then 200", answer: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nx", wantBuffered: "x"},
	{
		name:       "407",
		answer:     "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"wsx\"\r\nContent-Length: 12\r\n\r\nwho are you?",
		wantKind:   KindAuthRequired,
		wantStatus: 407,
		wantBody:   "who are you?",
		wantHeader: http.Header{"Proxy-Authenticate": {`Basic realm="wsx"`}},
	},
	{
		name:       "407 with two challenges",
		answer:     "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n",
		wantKind:   KindAuthRequired,
		wantStatus: 407,
		wantHeader: http.Header{"Proxy-Authenticate": {"Negotiate", `Basic realm="x"`}},
	},
	{
		// tinyproxy 1.11 answers refused credentials this way.
		name:       "401 from a proxy",
		answer:     "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Tinyproxy\"\r\nContent-Length: 0\r\n\r\n",
		wantKind:   KindAuthRequired,
		wantStatus: 401,
		wantHeader: http.Header{"Www-Authenticate": {`Basic realm="Tinyproxy"`}},
	},
	{
		name:       "403 with Content-Length",
		answer:     "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nno entry.",
		wantKind:   KindRefused,
		wantStatus: 403,
		wantBody:   "no entry.",
		wantHeader: http.Header{"Content-Type": {"text/plain"}},
	},
	{
		name:       "502 chunked",
		answer:     "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		wantKind:   KindRefused,
		wantStatus: 502,
		wantBody:   "hello world",
	},
	{
		name:       "403 with a long body",
		answer:     "HTTP/1.1 403 Forbidden\r\nContent-Length: 5000\r\n\r\n" + strings.Repeat("x", 5000),
		wantKind:   KindRefused,
		wantStatus: 403,
		wantBody:   strings.Repeat("x", 1024),
	},
	{
		name:       "502 chunked, endless",
		answer:     "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("100\r\n"+strings.Repeat("y", 256)+"\r\n", 8),
		later:      strings.Repeat("100\r\n"+strings.Repeat("y", 256)+"\r\n", 8),
		wantKind:   KindRefused,
		wantStatus: 502,
		wantBody:   strings.Repeat("y", 1024),
	},
	{
		name:       "502 until close, body with the header",
		answer:     "HTTP/1.0 502 Bad Gateway\r\n\r\nupstream down",
		wantKind:   KindRefused,
		wantStatus: 502,
		wantBody:   "upstream down",
	},
	{
		// The body's end is the connection's: Connect must not wait for it.
		name:       "502 until close, body later",
		answer:     "HTTP/1.1 502 Bad Gateway\r\n\r\n",
		later:      "upstream down",
		wantKind:   KindRefused,
		wantStatus: 502,
	},
	{
		name:       "503 with Content-Length 0",
		answer:     "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
		later:      "junk",
		wantKind:   KindRefused,
		wantStatus: 503,
	},
	{
		name:       "302",
		answer:     "HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n",
		wantKind:   KindRefused,
		wantStatus: 302,
		wantHeader: http.Header{"Location": {"http://elsewhere/"}},
	},
	{name: "not HTTP", answer: "SSH-2.0-OpenSSH_9.6\r\n", wantKind: KindProtocol},
	{name: "status not a number", answer: "HTTP/1.1 2xx OK\r\n\r\n", wantKind: KindProtocol},
	{name: "bad version", answer: "HTTX/1.1 200 OK\r\n\r\n", wantKind: KindProtocol},
	{name: "bad header line", answer: "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", wantKind: KindProtocol},
	{name: "status 600", answer: "HTTP/1.1 600 Odd\r\n\r\n", wantKind: KindProtocol, wantStatus: 600},
	{name: "status 099", answer: "HTTP/1.1 099 Odd\r\n\r\n", wantKind: KindProtocol, wantStatus: 99},
	{name: "101", answer: "HTTP/1.1 101 Switching Protocols\r\n\r\n", wantKind: KindProtocol, wantStatus: 101},
	{name: "endless 1xx", answer: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 9), wantKind: KindProtocol},
	{
		name:     "endless header",
		answer:   "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", 40),
		later:    strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", 40),
		wantKind: KindProtocol,
	},
	{name: "closed at once", answer: "", wantKind: KindClosed, wantErrIs: io.ErrUnexpectedEOF},
	{name: "closed in the status line", answer: "HTTP/1.1 20", wantKind: KindClosed, wantErrIs: io.ErrUnexpectedEOF},
	{name: "closed in the header", answer: "HTTP/1.1 200 OK\r\nVia: 1.1 p", wantKind: KindClosed, wantErrIs: io.ErrUnexpectedEOF},
	{name: "closed before the blank line", answer: "HTTP/1.1 407 Proxy Authentication Required\r\n", wantKind: KindClosed, wantErrIs: io.ErrUnexpectedEOF},
}

// TestConnect runs Connect against a fake proxy over an in-memory pipe.
func TestConnect(t *testing.T) {
	for _, tc := range connectCases {
		t.Run(tc.name, func(t *testing.T) {
			conn := pipeProxy(t, func(p net.Conn) { fakeHTTPProxy(t, p, tc) })
			checkConnect(t, conn, tc)
		})
	}
}

// TestConnectLoopback runs a few cases over TCP, where reads return what
// has arrived rather than one write at a time.
func TestConnectLoopback(t *testing.T) {
	for _, tc := range connectCases {
		switch tc.name {
		case "200", "200 with tunnel bytes after it", "407", "502 chunked", "closed in the header":
		default:
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			conn := loopbackProxy(t, func(p net.Conn) { fakeHTTPProxy(t, p, tc) })
			checkConnect(t, conn, tc)
		})
	}
}

// fakeHTTPProxy checks the request on p, sends tc's answer and, for a
// tunnel, echoes "ping" with "pong".
func fakeHTTPProxy(t *testing.T, p net.Conn, tc connectCase) {
	got := make([]byte, len(connectRequestWire))
	if _, err := io.ReadFull(p, got); err != nil {
		t.Errorf("proxy: reading the request: %v", err)
		return
	}
	if string(got) != connectRequestWire {
		t.Errorf("proxy got request\n%q\nwant\n%q", got, connectRequestWire)
		return
	}
	if tc.answer != "" {
		if _, err := p.Write([]byte(tc.answer)); err != nil {
			return // the client stopped reading, as it may
		}
	}
	if tc.later != "" {
		if _, err := p.Write([]byte(tc.later)); err != nil {
			return
		}
	}
	if tc.wantKind != 0 {
		return
	}
	echo(t, p)
}

// echo answers "ping" with "pong" on the proxy's end of a tunnel.
func echo(t *testing.T, p net.Conn) {
	ping := make([]byte, 4)
	if _, err := io.ReadFull(p, ping); err != nil {
		t.Errorf("proxy: reading the tunnel: %v", err)
		return
	}
	if string(ping) != "ping" {
		t.Errorf("proxy: tunnel carried %q, want ping", ping)
	}
	p.Write([]byte("pong"))
}

// checkConnect runs Connect on conn and checks its result against tc.
func checkConnect(t *testing.T, conn net.Conn, tc connectCase) {
	t.Helper()
	buffered, err := Connect(conn, connectTarget, connectHeader)
	if tc.wantKind == 0 {
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		tunnelOK(t, conn, buffered, tc.wantBuffered)
		return
	}
	if buffered != nil {
		t.Errorf("buffered = %q with an error", buffered)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Connect error %v (%T) is not an *Error", err, err)
	}
	if e.Protocol != "http" || e.Kind != tc.wantKind || e.StatusCode != tc.wantStatus || e.Reply != 0 {
		t.Errorf("got Protocol %q, Kind %v, StatusCode %d, Reply %d; want http, %v, %d, 0",
			e.Protocol, e.Kind, e.StatusCode, e.Reply, tc.wantKind, tc.wantStatus)
	}
	if string(e.Body) != tc.wantBody {
		t.Errorf("Body = %q, want %q", e.Body, tc.wantBody)
	}
	for name, want := range tc.wantHeader {
		if got := e.Header.Values(name); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("Header[%s] = %q, want %q", name, got, want)
		}
	}
	if tc.wantErrIs != nil && !errors.Is(err, tc.wantErrIs) {
		t.Errorf("error %v is not %v", err, tc.wantErrIs)
	}
	if tc.wantErrIs == nil && e.Err != nil {
		t.Errorf("Err = %v, want nil", e.Err)
	}
	if !strings.HasPrefix(err.Error(), "proxy: http: ") {
		t.Errorf("message %q lacks the prefix", err)
	}
}

// tunnelOK checks that the tunnel on conn starts with wantBuffered, which
// Connect returned as buffered or left on conn, then that "ping" goes
// through and "pong" comes back.
func tunnelOK(t *testing.T, conn net.Conn, buffered []byte, wantBuffered string) {
	t.Helper()
	if string(buffered) != wantBuffered {
		t.Errorf("buffered = %q, want %q", buffered, wantBuffered)
	}
	r := io.MultiReader(bytes.NewReader(buffered), conn)
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatalf("writing to the tunnel: %v", err)
	}
	want := wantBuffered + "pong"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got); err != nil {
		t.Fatalf("reading the tunnel: %v", err)
	}
	if string(got) != want {
		t.Errorf("tunnel gave %q, want %q", got, want)
	}
}

// TestConnectLateTunnelBytes checks that tunnel bytes the proxy sends after
// its answer, in another write, are left on the connection.
func TestConnectLateTunnelBytes(t *testing.T) {
	conn := pipeProxy(t, func(p net.Conn) {
		if _, err := io.ReadFull(p, make([]byte, len(connectRequestWire))); err != nil {
			t.Errorf("proxy: %v", err)
			return
		}
		p.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
		p.Write([]byte("late"))
		echo(t, p)
	})
	buffered, err := Connect(conn, connectTarget, connectHeader)
	if err != nil {
		t.Fatal(err)
	}
	if len(buffered) != 0 {
		t.Errorf("buffered = %q, want none", buffered)
	}
	late := make([]byte, 4)
	if _, err := io.ReadFull(conn, late); err != nil || string(late) != "late" {
		t.Fatalf("read %q, %v; want late", late, err)
	}
	tunnelOK(t, conn, nil, "")
}

// TestConnectRequest checks the request for targets and headers, parsed on
// the proxy's side by net/http as a check that it is well formed.
func TestConnectRequest(t *testing.T) {
	tests := []struct {
		target string
		header http.Header
		want   string
	}{
		{"example.com:443", nil, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
		{"192.0.2.1:80", http.Header{}, "CONNECT 192.0.2.1:80 HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n"},
		{"[2001:db8::1]:8443", nil, "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"},
		{"example.com:0443", nil, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
		{"example.com:443", http.Header{"host": {"x"}, "User-Agent": {"wsx"}, "A": {""}},
			"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nA: \r\nUser-Agent: wsx\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			conn := pipeProxy(t, func(p net.Conn) {
				got := make([]byte, len(tt.want))
				if _, err := io.ReadFull(p, got); err != nil {
					t.Errorf("proxy: %v", err)
					return
				}
				if string(got) != tt.want {
					t.Errorf("request\n%q\nwant\n%q", got, tt.want)
				}
				req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(got)))
				if err != nil {
					t.Errorf("net/http cannot read the request: %v", err)
				} else if req.Method != http.MethodConnect || req.Host != req.RequestURI {
					t.Errorf("net/http read method %q, URI %q, host %q", req.Method, req.RequestURI, req.Host)
				}
				p.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
			})
			if _, err := Connect(conn, tt.target, tt.header); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestConnectBadArguments checks that bad targets and headers are refused
// before any I/O.
func TestConnectBadArguments(t *testing.T) {
	tests := []struct {
		name   string
		target string
		header http.Header
	}{
		{"no port", "example.com", nil},
		{"no host", ":443", nil},
		{"bare IPv6", "::1:443", nil},
		{"IPv6 without port", "[::1]", nil},
		{"IPv6 zone", "[fe80::1%25eth0]:443", nil},
		{"port 0", "example.com:0", nil},
		{"port too big", "example.com:65536", nil},
		{"port name", "example.com:https", nil},
		{"negative port", "example.com:-1", nil},
		{"space in host", "exa mple.com:443", nil},
		{"CRLF in host", "example.com\r\nX-Evil: 1\r\n:443", nil},
		{"slash in host", "example.com/x:443", nil},
		{"at in host", "user@example.com:443", nil},
		{"CRLF in value", connectTarget, http.Header{"X-A": {"a\r\nX-Evil: 1"}}},
		{"LF in value", connectTarget, http.Header{"X-A": {"a\nb"}}},
		{"CR in value", connectTarget, http.Header{"X-A": {"a\rb"}}},
		{"NUL in value", connectTarget, http.Header{"X-A": {"a\x00b"}}},
		{"CRLF in later value", connectTarget, http.Header{"X-A": {"ok", "a\r\n"}}},
		{"CRLF in name", connectTarget, http.Header{"X-A\r\nX-Evil": {"1"}}},
		{"space in name", connectTarget, http.Header{"X A": {"1"}}},
		{"colon in name", connectTarget, http.Header{"X-A:": {"1"}}},
		{"empty name", connectTarget, http.Header{"": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buffered, err := Connect(noIOConn{t: t}, tt.target, tt.header)
			if err == nil || buffered != nil {
				t.Fatalf("Connect = %q, %v; want an error", buffered, err)
			}
			if !strings.HasPrefix(err.Error(), "proxy: ") || strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("message %q", err)
			}
			var e *Error
			if errors.As(err, &e) {
				t.Errorf("argument error is an *Error: %v", err)
			}
		})
	}
}

// TestConnectSecretNotInError checks that a header value refused for a line
// break does not show in the error.
func TestConnectSecretNotInError(t *testing.T) {
	_, err := Connect(noIOConn{t: t}, connectTarget, http.Header{"Proxy-Authorization": {"Basic c2VjcmV0\n"}})
	if err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Fatalf("error %v", err)
	}
}

// TestConnectDeadline checks that a deadline is returned wrapped, not as
// an *Error, even when it cuts a line short.
func TestConnectDeadline(t *testing.T) {
	for _, answer := range []string{"", "HTTP/1.1 20", "HTTP/1.1 200 OK\r\nVia: p"} {
		t.Run(answer, func(t *testing.T) {
			conn := pipeProxy(t, func(p net.Conn) {
				if _, err := io.ReadFull(p, make([]byte, len(connectRequestWire))); err != nil {
					return
				}
				if answer != "" {
					p.Write([]byte(answer))
				}
				io.Copy(io.Discard, p) // until the client closes
			})
			conn.SetDeadline(time.Now().Add(50 * time.Millisecond))
			_, err := Connect(conn, connectTarget, connectHeader)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("error %v is not os.ErrDeadlineExceeded", err)
			}
			var e *Error
			if errors.As(err, &e) {
				t.Errorf("deadline gave an *Error: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "proxy: http: ") {
				t.Errorf("message %q", err)
			}
		})
	}
}

// TestConnectWriteFails checks the error when the request cannot be written.
func TestConnectWriteFails(t *testing.T) {
	client, server := net.Pipe()
	server.Close()
	defer client.Close()
	_, err := Connect(client, connectTarget, nil)
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("error %v is not io.ErrClosedPipe", err)
	}
}

// FuzzConnectAnswer feeds arbitrary bytes to the CONNECT answer reader,
// whole or one byte per read. A tunnel must come from a well-formed 2xx
// answer, with no byte after it lost; an error must be sane.
func FuzzConnectAnswer(f *testing.F) {
	for _, tc := range connectCases {
		f.Add([]byte(tc.answer+tc.later), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\ntunnel"), true)
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), true)
	f.Add([]byte("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, answer []byte, oneByte bool) {
		src := bytes.NewReader(answer)
		var r io.Reader = src
		if oneByte {
			r = iotest.OneByteReader(src)
		}
		buffered, err := readAnswer(r)
		if err == nil {
			checkTunnelAnswer(t, answer, buffered, src.Len())
			return
		}
		if buffered != nil {
			t.Fatalf("buffered %q with error %v", buffered, err)
		}
		checkAnswerError(t, err)
	})
}

// checkTunnelAnswer checks that answer, of which the reader left unread
// bytes and readAnswer returned buffered, starts with a whole 2xx answer
// that readAnswer consumed exactly.
func checkTunnelAnswer(t *testing.T, answer, buffered []byte, unread int) {
	t.Helper()
	end := len(answer) - unread - len(buffered)
	if end < 0 {
		t.Fatalf("buffered %d bytes and %d unread of %d", len(buffered), unread, len(answer))
	}
	if !bytes.Equal(answer[end:len(answer)-unread], buffered) {
		t.Fatalf("buffered %q is not what followed the answer", buffered)
	}
	head := answer[:end]
	if !bytes.HasSuffix(head, []byte("\n\n")) && !bytes.HasSuffix(head, []byte("\n\r\n")) {
		t.Fatalf("tunnel after %q, which does not end in a blank line", head)
	}
	// Skip the interim answers, as readAnswer does, and check the last.
	br := bufio.NewReader(bytes.NewReader(head))
	for range maxInterim + 1 {
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			t.Fatalf("tunnel after %q, which net/http cannot read: %v", head, err)
		}
		if resp.StatusCode/100 == 2 {
			if br.Buffered() != 0 {
				t.Fatalf("tunnel after %q, which holds more than the answer", head)
			}
			return
		}
		if resp.StatusCode/100 != 1 || resp.StatusCode == 101 {
			t.Fatalf("tunnel after status %d", resp.StatusCode)
		}
	}
	t.Fatalf("tunnel after too many 1xx answers: %q", head)
}

// checkAnswerError checks an error of readAnswer: an *Error whose fields
// agree with its Kind and whose message is one printable line.
func checkAnswerError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Protocol != "http" || e.Reply != 0 || len(e.Body) > maxBodyExcerpt {
		t.Fatalf("bad *Error %+v", e)
	}
	switch e.Kind {
	case KindAuthRequired:
		if e.StatusCode != 407 && e.StatusCode != 401 {
			t.Fatalf("KindAuthRequired with status %d", e.StatusCode)
		}
	case KindRefused:
		if e.StatusCode < 300 || e.StatusCode > 599 || e.StatusCode == 407 || e.StatusCode == 401 {
			t.Fatalf("KindRefused with status %d", e.StatusCode)
		}
	case KindProtocol:
		if e.Body != nil {
			t.Fatalf("KindProtocol with a body")
		}
	case KindClosed:
		if e.Err == nil || e.StatusCode != 0 {
			t.Fatalf("KindClosed with Err %v, status %d", e.Err, e.StatusCode)
		}
	default:
		t.Fatalf("Kind %v", e.Kind)
	}
	for _, r := range err.Error() {
		if r < ' ' || r == 0x7f {
			t.Fatalf("message %q holds a control character", err)
		}
	}
}
