package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Messages a fake SOCKS5 proxy expects or sends.
var (
	greetNoAuth = []byte{5, 1, 0}
	greetAuth   = []byte{5, 2, 0, 2}
	pickNoAuth  = []byte{5, 0}
	pickAuth    = []byte{5, 2}
	pickNone    = []byte{5, 0xFF}

	// userPass is the RFC 1929 request for testAuth.
	userPass = []byte{1, 4, 'u', 's', 'e', 'r', 6, 's', 'e', 'c', 'r', 'e', 't'}
	authOK   = []byte{1, 0}

	// reqDomain is the request for "example.com:443".
	reqDomain = append(append([]byte{5, 1, 0, 3, 11}, "example.com"...), 0x01, 0xBB)

	replyIPv4   = []byte{5, 0, 0, 1, 10, 0, 0, 1, 0x12, 0x34}
	replyIPv6   = []byte{5, 0, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0x12, 0x34}
	replyDomain = append(append([]byte{5, 0, 0, 3, 9}, "proxy.lan"...), 0x12, 0x34)
)

var testAuth = &Auth{Username: "user", Password: "secret"}

// step is one turn of a fake SOCKS5 proxy: read expect (exactly), then
// write send. Either may be empty.
type step struct{ expect, send []byte }

// socksCase is a SOCKS5 exchange and what SOCKS5 must make of it.
type socksCase struct {
	name   string
	target string // "example.com:443" if empty
	auth   *Auth
	script []step

	// For success (wantKind 0): the tunnel bytes the proxy sent right
	// after its reply, in the same write. The proxy then echoes "ping"
	// with "pong".
	early string

	wantKind  Kind
	wantReply byte
	wantMsg   string
	wantErrIs error
}

// socksCases returns the table of TestSOCKS5.
func socksCases() []socksCase {
	cases := []socksCase{
		{
			name:   "domain",
			script: []step{{greetNoAuth, pickNoAuth}, {reqDomain, replyIPv4}},
		},
		{
			name:   "domain, tunnel bytes after the IPv4 reply",
			script: []step{{greetNoAuth, pickNoAuth}, {reqDomain, cat(replyIPv4, "early")}},
			early:  "early",
		},
		{
			name:   "tunnel bytes after an IPv6 reply",
			script: []step{{greetNoAuth, pickNoAuth}, {reqDomain, cat(replyIPv6, "early")}},
			early:  "early",
		},
		{
			name:   "tunnel bytes after a name reply",
			script: []step{{greetNoAuth, pickNoAuth}, {reqDomain, cat(replyDomain, "early")}},
			early:  "early",
		},
		{
			name:   "tunnel bytes after an empty name reply",
			script: []step{{greetNoAuth, pickNoAuth}, {reqDomain, cat([]byte{5, 0, 0, 3, 0, 0, 0}, "early")}},
			early:  "early",
		},
		{
			name:   "reply with nonzero RSV",
			script: []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, 0, 7, 1, 10, 0, 0, 1, 0, 80}}},
		},
		{
			name:   "IPv4",
			target: "192.0.2.1:80",
			script: []step{{greetNoAuth, pickNoAuth}, {[]byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80}, replyIPv4}},
		},
		{
			name:   "IPv4-mapped IPv6 goes as IPv4",
			target: "[::ffff:192.0.2.1]:80",
			script: []step{{greetNoAuth, pickNoAuth}, {[]byte{5, 1, 0, 1, 192, 0, 2, 1, 0, 80}, replyIPv4}},
		},
		{
			name:   "IPv6",
			target: "[2001:db8::1]:8080",
			script: []step{{greetNoAuth, pickNoAuth}, {
				[]byte{5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1f, 0x90},
				replyIPv4,
			}},
		},
		{
			name:   "name of 255 bytes",
			target: strings.Repeat("a", 255) + ":1",
			script: []step{{greetNoAuth, pickNoAuth}, {
				append(append([]byte{5, 1, 0, 3, 255}, strings.Repeat("a", 255)...), 0, 1),
				replyIPv4,
			}},
		},
		{
			name:   "auth offered, none needed",
			auth:   testAuth,
			script: []step{{greetAuth, pickNoAuth}, {reqDomain, replyIPv4}},
		},
		{
			name:   "auth",
			auth:   testAuth,
			script: []step{{greetAuth, pickAuth}, {userPass, authOK}, {reqDomain, cat(replyIPv4, "early")}},
			early:  "early",
		},
		{
			name:     "bad credentials",
			auth:     testAuth,
			script:   []step{{greetAuth, pickAuth}, {userPass, []byte{1, 1}}},
			wantKind: KindAuthRequired,
			wantMsg:  "username and password rejected (status 1)",
		},
		{
			name:     "auth reply with version 5",
			auth:     testAuth,
			script:   []step{{greetAuth, pickAuth}, {userPass, []byte{5, 0}}},
			wantKind: KindProtocol,
		},
		{
			name:     "no acceptable method",
			script:   []step{{greetNoAuth, pickNone}},
			wantKind: KindAuthRequired,
			wantMsg:  "proxy accepts none of the offered authentication methods",
		},
		{
			name:     "no acceptable method with auth",
			auth:     testAuth,
			script:   []step{{greetAuth, pickNone}},
			wantKind: KindAuthRequired,
		},
		{
			name:     "auth picked but not offered",
			script:   []step{{greetNoAuth, pickAuth}},
			wantKind: KindProtocol,
		},
		{
			name:     "GSSAPI picked",
			auth:     testAuth,
			script:   []step{{greetAuth, []byte{5, 1}}},
			wantKind: KindProtocol,
		},
		{
			name:     "SOCKS4 answer to the greeting",
			script:   []step{{greetNoAuth, []byte{0, 0x5A}}},
			wantKind: KindProtocol,
		},
		{
			name:     "HTTP answer to the greeting",
			script:   []step{{greetNoAuth, []byte("HTTP/1.1 400 Bad Request\r\n\r\n")}},
			wantKind: KindProtocol,
		},
		{
			name:     "reply with version 4",
			script:   []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{4, 0, 0, 1, 10, 0, 0, 1, 0, 80}}},
			wantKind: KindProtocol,
		},
		{
			name:     "reply with address type 2",
			script:   []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, 0, 0, 2, 10, 0, 0, 1, 0, 80}}},
			wantKind: KindProtocol,
		},
		{
			name:     "reply with address type 0",
			script:   []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, 0, 0, 0, 10, 0, 0, 1, 0, 80}}},
			wantKind: KindProtocol,
		},
		{
			name:      "closed before method selection",
			script:    []step{{greetNoAuth, nil}},
			wantKind:  KindClosed,
			wantErrIs: io.EOF,
		},
		{
			name:      "closed in method selection",
			script:    []step{{greetNoAuth, []byte{5}}},
			wantKind:  KindClosed,
			wantErrIs: io.ErrUnexpectedEOF,
		},
		{
			name:      "closed before the auth reply",
			auth:      testAuth,
			script:    []step{{greetAuth, pickAuth}, {userPass, nil}},
			wantKind:  KindClosed,
			wantErrIs: io.EOF,
		},
		{
			name:      "closed in the auth reply",
			auth:      testAuth,
			script:    []step{{greetAuth, pickAuth}, {userPass, []byte{1}}},
			wantKind:  KindClosed,
			wantErrIs: io.ErrUnexpectedEOF,
		},
		{
			name:      "closed before the reply",
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, nil}},
			wantKind:  KindClosed,
			wantErrIs: io.EOF,
		},
		{
			name:      "closed in the reply head",
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, 0, 0}}},
			wantKind:  KindClosed,
			wantErrIs: io.ErrUnexpectedEOF,
		},
		{
			name:      "closed in an IPv6 BND.ADDR",
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, replyIPv6[:12]}},
			wantKind:  KindClosed,
			wantErrIs: io.ErrUnexpectedEOF,
		},
		{
			name:      "closed before a name's length",
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, 0, 0, 3}}},
			wantKind:  KindClosed,
			wantErrIs: io.EOF,
		},
		{
			name:      "closed in BND.PORT",
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, replyDomain[:len(replyDomain)-1]}},
			wantKind:  KindClosed,
			wantErrIs: io.ErrUnexpectedEOF,
		},
		{
			// The refusal is judged on the reply's first four bytes.
			name:      "refusal cut short",
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, 5, 0, 1}}},
			wantKind:  KindRefused,
			wantReply: 5,
			wantMsg:   "connection refused by destination host",
		},
	}

	// RFC 1928 §6 reply codes, each with the message SOCKS5 must give.
	messages := []string{
		1:    "general SOCKS server failure",
		2:    "connection not allowed by the proxy's rules",
		3:    "network unreachable",
		4:    "host unreachable",
		5:    "connection refused by destination host",
		6:    "TTL expired",
		7:    "command not supported",
		8:    "address type not supported",
		9:    "unassigned reply code",
		0xFF: "unassigned reply code",
	}
	for code, msg := range messages {
		if msg == "" {
			continue
		}
		cases = append(cases, socksCase{
			name:      fmt.Sprintf("reply %d", code),
			script:    []step{{greetNoAuth, pickNoAuth}, {reqDomain, []byte{5, byte(code), 0, 1, 0, 0, 0, 0, 0, 0}}},
			wantKind:  KindRefused,
			wantReply: byte(code),
			wantMsg:   msg,
		})
	}
	return cases
}

// cat returns b followed by s, in a new slice.
func cat(b []byte, s string) []byte {
	return append(bytes.Clone(b), s...)
}

// TestSOCKS5 runs SOCKS5 against a fake proxy over an in-memory pipe.
func TestSOCKS5(t *testing.T) {
	for _, tc := range socksCases() {
		t.Run(tc.name, func(t *testing.T) {
			conn := pipeProxy(t, func(p net.Conn) { fakeSOCKSProxy(t, p, tc) })
			checkSOCKS5(t, conn, tc)
		})
	}
}

// TestSOCKS5Loopback runs a few cases over TCP.
func TestSOCKS5Loopback(t *testing.T) {
	for _, tc := range socksCases() {
		switch tc.name {
		case "auth", "tunnel bytes after a name reply", "reply 5", "closed in an IPv6 BND.ADDR":
		default:
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			conn := loopbackProxy(t, func(p net.Conn) { fakeSOCKSProxy(t, p, tc) })
			checkSOCKS5(t, conn, tc)
		})
	}
}

// fakeSOCKSProxy plays tc's script on p and, if the exchange succeeds,
// echoes "ping" with "pong".
func fakeSOCKSProxy(t *testing.T, p net.Conn, tc socksCase) {
	for i, s := range tc.script {
		got := make([]byte, len(s.expect))
		if _, err := io.ReadFull(p, got); err != nil {
			t.Errorf("proxy: step %d: reading: %v", i, err)
			return
		}
		if !bytes.Equal(got, s.expect) {
			t.Errorf("proxy: step %d: got % x, want % x", i, got, s.expect)
			return
		}
		if len(s.send) > 0 {
			if _, err := p.Write(s.send); err != nil {
				return // SOCKS5 need not read all of a failure reply
			}
		}
	}
	if tc.wantKind == 0 {
		echo(t, p)
	}
}

// checkSOCKS5 runs SOCKS5 on conn and checks its result against tc.
func checkSOCKS5(t *testing.T, conn net.Conn, tc socksCase) {
	t.Helper()
	target := tc.target
	if target == "" {
		target = "example.com:443"
	}
	err := SOCKS5(conn, target, tc.auth)
	if tc.wantKind == 0 {
		if err != nil {
			t.Fatalf("SOCKS5: %v", err)
		}
		early := make([]byte, len(tc.early))
		if _, err := io.ReadFull(conn, early); err != nil || string(early) != tc.early {
			t.Fatalf("tunnel started with %q, %v; want %q", early, err, tc.early)
		}
		tunnelOK(t, conn, nil, "")
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("SOCKS5 error %v (%T) is not an *Error", err, err)
	}
	if e.Protocol != "socks5" || e.Kind != tc.wantKind || e.Reply != tc.wantReply ||
		e.StatusCode != 0 || e.Header != nil || e.Body != nil {
		t.Errorf("got %+v; want Kind %v, Reply %d", e, tc.wantKind, tc.wantReply)
	}
	if tc.wantMsg != "" && e.Msg != tc.wantMsg {
		t.Errorf("Msg = %q, want %q", e.Msg, tc.wantMsg)
	}
	if tc.wantErrIs != nil && !errors.Is(err, tc.wantErrIs) {
		t.Errorf("error %v is not %v", err, tc.wantErrIs)
	}
	if tc.wantErrIs == nil && e.Err != nil {
		t.Errorf("Err = %v, want nil", e.Err)
	}
	if !strings.HasPrefix(err.Error(), "proxy: socks5: ") {
		t.Errorf("message %q lacks the prefix", err)
	}
}

// TestSOCKS5BadArguments checks that bad targets and credentials are
// refused before any I/O.
func TestSOCKS5BadArguments(t *testing.T) {
	long := strings.Repeat("a", 256)
	tests := []struct {
		name   string
		target string
		auth   *Auth
	}{
		{"name of 256 bytes", long + ":443", nil},
		{"no port", "example.com", nil},
		{"port 0", "example.com:0", nil},
		{"port too big", "example.com:70000", nil},
		{"no host", ":443", nil},
		{"IPv6 zone", "[fe80::1%25eth0]:443", nil},
		{"space in host", "a b:443", nil},
		{"empty username", "example.com:443", &Auth{Password: "p"}},
		{"empty password", "example.com:443", &Auth{Username: "u"}},
		{"username of 256 bytes", "example.com:443", &Auth{Username: long, Password: "p"}},
		{"password of 256 bytes", "example.com:443", &Auth{Username: "u", Password: long}},
		{"empty Auth", "example.com:443", &Auth{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := SOCKS5(noIOConn{t: t}, tt.target, tt.auth)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "proxy: ") {
				t.Errorf("message %q", err)
			}
			if strings.Contains(err.Error(), long) {
				t.Errorf("message holds the long argument")
			}
			var e *Error
			if errors.As(err, &e) {
				t.Errorf("argument error is an *Error: %v", err)
			}
		})
	}
}

// TestSOCKS5LongCredentials checks credentials of 255 bytes, the most RFC
// 1929 allows, byte for byte.
func TestSOCKS5LongCredentials(t *testing.T) {
	auth := &Auth{Username: strings.Repeat("u", 255), Password: strings.Repeat("p", 255)}
	sub := append([]byte{1, 255}, auth.Username...)
	sub = append(append(sub, 255), auth.Password...)
	tc := socksCase{auth: auth, script: []step{{greetAuth, pickAuth}, {sub, authOK}, {reqDomain, replyIPv4}}}
	conn := pipeProxy(t, func(p net.Conn) { fakeSOCKSProxy(t, p, tc) })
	checkSOCKS5(t, conn, tc)
}

// TestSOCKS5Deadline checks that a deadline is returned wrapped, not as an
// *Error.
func TestSOCKS5Deadline(t *testing.T) {
	conn := pipeProxy(t, func(p net.Conn) {
		io.Copy(io.Discard, p) // read the greeting, answer nothing
	})
	conn.SetDeadline(time.Now().Add(50 * time.Millisecond))
	err := SOCKS5(conn, "example.com:443", nil)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("error %v is not os.ErrDeadlineExceeded", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Errorf("deadline gave an *Error: %v", err)
	}
}

// FuzzSOCKS5Reply feeds arbitrary proxy bytes to SOCKS5 over a pipe. On
// success, SOCKS5 must have read exactly the messages of a valid exchange,
// leaving the rest on the connection; on failure, the error must be sane.
func FuzzSOCKS5Reply(f *testing.F) {
	for _, tc := range socksCases() {
		var b []byte
		for _, s := range tc.script {
			b = append(b, s.send...)
		}
		f.Add(b, tc.auth != nil)
	}
	f.Fuzz(func(t *testing.T, data []byte, withAuth bool) {
		var auth *Auth
		if withAuth {
			auth = testAuth
		}
		client, server := net.Pipe()
		deadline := time.Now().Add(testTimeout)
		client.SetDeadline(deadline)
		server.SetDeadline(deadline)
		var wg sync.WaitGroup
		wg.Go(func() {
			io.Copy(io.Discard, server) // whatever the client sends
		})
		wg.Go(func() {
			server.Write(data)
			server.Close()
		})
		err := SOCKS5(client, "example.com:443", auth)
		var rest []byte
		if err == nil {
			rest, _ = io.ReadAll(client)
		}
		client.Close()
		wg.Wait()

		if err != nil {
			checkSOCKSError(t, err)
			return
		}
		n, ok := socksExchangeLen(data, withAuth)
		if !ok {
			t.Fatalf("SOCKS5 succeeded on % x", data)
		}
		if !bytes.Equal(rest, data[n:]) {
			t.Fatalf("SOCKS5 read %d bytes of % x, want %d", len(data)-len(rest), data, n)
		}
	})
}

// socksExchangeLen returns the length of the proxy's messages in a
// successful exchange that data starts with, and whether it starts with one.
func socksExchangeLen(data []byte, withAuth bool) (int, bool) {
	if len(data) < 2 || data[0] != 5 {
		return 0, false
	}
	n := 2
	switch {
	case data[1] == 0:
	case data[1] == 2 && withAuth:
		if len(data) < 4 || data[2] != 1 || data[3] != 0 {
			return 0, false
		}
		n = 4
	default:
		return 0, false
	}
	if len(data) < n+4 || data[n] != 5 || data[n+1] != 0 {
		return 0, false
	}
	switch data[n+3] {
	case 1:
		n += 4 + 4 + 2
	case 4:
		n += 4 + 16 + 2
	case 3:
		if len(data) < n+5 {
			return 0, false
		}
		n += 4 + 1 + int(data[n+4]) + 2
	default:
		return 0, false
	}
	return n, len(data) >= n
}

// checkSOCKSError checks an error of SOCKS5 with a live connection: an
// *Error whose fields agree with its Kind, or a wrapped I/O error.
func checkSOCKSError(t *testing.T, err error) {
	t.Helper()
	if !strings.HasPrefix(err.Error(), "proxy: socks5: ") {
		t.Fatalf("message %q", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		// The proxy's end closed while SOCKS5 was writing.
		if !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("error %v (%T)", err, err)
		}
		return
	}
	if e.Protocol != "socks5" || e.StatusCode != 0 || e.Header != nil || e.Body != nil || e.Msg == "" {
		t.Fatalf("bad *Error %+v", e)
	}
	switch e.Kind {
	case KindRefused:
		if e.Reply == 0 {
			t.Fatal("KindRefused with reply 0")
		}
	case KindAuthRequired, KindProtocol:
		if e.Reply != 0 || e.Err != nil {
			t.Fatalf("%v with Reply %d, Err %v", e.Kind, e.Reply, e.Err)
		}
	case KindClosed:
		if e.Reply != 0 || e.Err == nil {
			t.Fatalf("KindClosed with Reply %d, Err %v", e.Reply, e.Err)
		}
	default:
		t.Fatalf("Kind %v", e.Kind)
	}
}
