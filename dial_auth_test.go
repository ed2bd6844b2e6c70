package websocket

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// seenRequest is what a test server saw of one handshake request.
type seenRequest struct {
	RequestURI string // the request-target as sent
	Host       string // the Host header
	RemoteAddr string // the client's end of the connection
	Header     http.Header
}

// requestLog records the requests a test server saw, in order.
type requestLog struct {
	mu   sync.Mutex
	reqs []seenRequest
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, seenRequest{
		RequestURI: r.RequestURI, Host: r.Host, RemoteAddr: r.RemoteAddr, Header: r.Header.Clone(),
	})
}

func (l *requestLog) all() []seenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]seenRequest(nil), l.reqs...)
}

func (l *requestLog) uris() []string {
	var uris []string
	for _, r := range l.all() {
		uris = append(uris, r.RequestURI)
	}
	return uris
}

// newUpgradeServer makes an unstarted httptest server, listening on ln (or
// on 127.0.0.1:0 when ln is nil), that records every request and passes it
// to answer. When answer returns true the handler upgrades the request with
// Accept and hands the Conn over on the returned channel; otherwise answer
// has written the response. The caller starts the server (Start or
// StartTLS); it is closed when the test ends. Its address is known before
// it starts, so servers can point at each other.
func newUpgradeServer(t *testing.T, ln net.Listener, answer func(w http.ResponseWriter, r *http.Request) bool) (*httptest.Server, *requestLog, <-chan *Conn) {
	t.Helper()
	log := new(requestLog)
	accepted := make(chan *Conn, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.add(r)
		if !answer(w, r) {
			return
		}
		c, err := Accept(w, r, nil)
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		select {
		case accepted <- c:
		default:
			t.Errorf("more upgrades than the test expected")
			c.Abort()
		}
	}))
	if ln != nil {
		srv.Listener.Close()
		srv.Listener = ln
	}
	t.Cleanup(srv.Close)
	return srv, log, accepted
}

// startUpgradeServer is newUpgradeServer on 127.0.0.1:0, started without
// TLS.
func startUpgradeServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request) bool) (*httptest.Server, *requestLog, <-chan *Conn) {
	t.Helper()
	srv, log, accepted := newUpgradeServer(t, nil, answer)
	srv.Start()
	return srv, log, accepted
}

// hostOf is the host:port a test server listens on.
func hostOf(srv *httptest.Server) string { return srv.Listener.Addr().String() }

// echoOnce sends a text message from c to s and back, checking both ends.
func echoOnce(t *testing.T, ctx context.Context, c, s *Conn) {
	t.Helper()
	if err := c.WriteText(ctx, "ping through"); err != nil {
		t.Fatalf("client write: %v", err)
	}
	typ, p, err := s.Read(ctx)
	if err != nil || typ != MessageText || string(p) != "ping through" {
		t.Fatalf("server read = %v %q %v", typ, p, err)
	}
	if err := s.Write(ctx, typ, p); err != nil {
		t.Fatalf("server write: %v", err)
	}
	if typ, p, err = c.Read(ctx); err != nil || typ != MessageText || string(p) != "ping through" {
		t.Fatalf("client read = %v %q %v", typ, p, err)
	}
}

// basicValue is the Basic credentials for user and pass, computed here
// rather than by the library (RFC 7617 §2).
func basicValue(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// basicServer answers 401 with a Basic challenge unless the request
// carries the Basic credentials of user and pass, and then upgrades.
func basicServer(t *testing.T, user, pass, body string) (*httptest.Server, *requestLog, <-chan *Conn) {
	t.Helper()
	want := basicValue(user, pass)
	return startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") == want {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, body)
		return false
	})
}

// mustDialError checks that err is a *DialError with op and kind.
func mustDialError(t *testing.T, err error, op string, kind ErrorKind) *DialError {
	t.Helper()
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DialError", err, err)
	}
	if de.Op != op || de.Kind != kind {
		t.Errorf("DialError Op %q Kind %v (%d), want %q %v (%d); error: %v", de.Op, de.Kind, int(de.Kind), op, kind, int(kind), err)
	}
	if de.Timeout() != (kind == KindTimeout || kind == KindProxyTimeout) {
		t.Errorf("Timeout() = %v for kind %v", de.Timeout(), kind)
	}
	if !strings.HasPrefix(de.Error(), "websocket: "+op) {
		t.Errorf("Error() = %q, want it to start with %q", de.Error(), "websocket: "+op)
	}
	return de
}

// mustHandshakeError checks that err holds a *HandshakeError with status.
func mustHandshakeError(t *testing.T, err error, status int) *HandshakeError {
	t.Helper()
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("error %v holds no *HandshakeError", err)
	}
	if he.StatusCode != status {
		t.Errorf("HandshakeError.StatusCode = %d, want %d", he.StatusCode, status)
	}
	return he
}

func TestDialAuthBasicUserInfo(t *testing.T) {
	checkNoLeaks(t)
	srv, log, accepted := basicServer(t, "alice", "secret", "who are you?")
	host := hostOf(srv)
	ctx := testContext(t)
	c, err := Dial(ctx, "ws://alice:secret@"+host+"/path", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)

	reqs := log.all()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	if v := reqs[0].Header.Values("Authorization"); v != nil {
		t.Errorf("first request carried Authorization %q before any challenge", v)
	}
	if v := reqs[1].Header.Values("Authorization"); len(v) != 1 || v[0] != "Basic YWxpY2U6c2VjcmV0" {
		t.Errorf("second request Authorization = %q, want [\"Basic YWxpY2U6c2VjcmV0\"]", v)
	}
	for i, r := range reqs {
		if r.RequestURI != "/path" || r.Host != host {
			t.Errorf("request %d: target %q Host %q, want /path and %q", i, r.RequestURI, r.Host, host)
		}
	}
	if reqs[0].RemoteAddr == reqs[1].RemoteAddr {
		t.Errorf("both requests came over the same connection (%s); the retry must use a new one", reqs[0].RemoteAddr)
	}
	echoOnce(t, ctx, c, s)
}

func TestDialAuthBasicCallback(t *testing.T) {
	checkNoLeaks(t)
	srv, log, accepted := basicServer(t, "bob", "pa:ss word", "")
	host := hostOf(srv)
	var calls int
	d := &Dialer{Auth: func(ctx context.Context, ch *AuthChallenge) (string, string, bool) {
		calls++
		if _, ok := ctx.Deadline(); !ok {
			t.Error("Auth callback's ctx has no deadline")
		}
		if ch.URL == nil || ch.URL.String() != "ws://"+host+"/path?q=1" || ch.URL.User != nil {
			t.Errorf("challenge URL = %v, want ws://%s/path?q=1 without user-info", ch.URL, host)
		}
		if ch.Proxy || ch.Scheme != "Basic" || ch.Realm != "r" {
			t.Errorf("challenge Proxy %v Scheme %q Realm %q, want false Basic r", ch.Proxy, ch.Scheme, ch.Realm)
		}
		if got := ch.Header.Get("WWW-Authenticate"); got != `Basic realm="r"` {
			t.Errorf("challenge Header WWW-Authenticate = %q", got)
		}
		return "bob", "pa:ss word", true
	}}
	ctx := testContext(t)
	c, err := d.Dial(ctx, "ws://"+host+"/path?q=1")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)
	if calls != 1 {
		t.Errorf("Auth called %d times, want 1", calls)
	}
	reqs := log.all()
	if len(reqs) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(reqs))
	}
	if got, want := reqs[1].Header.Get("Authorization"), basicValue("bob", "pa:ss word"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	echoOnce(t, ctx, c, s)
}

// digestVerifier checks Digest credentials (RFC 7616) on its own, without
// the library's code, for the test servers.
type digestVerifier struct {
	realm, nonce, opaque string
	algorithm            string // as the challenge names it; "" names none (MD5)
	user, pass           string
}

// challenge is the WWW-Authenticate value offering v.
func (v *digestVerifier) challenge() string {
	s := fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", opaque="%s"`, v.realm, v.nonce, v.opaque)
	if v.algorithm != "" {
		s += ", algorithm=" + v.algorithm
	}
	return s
}

// verify checks the Authorization value got for a request to uri.
func (v *digestVerifier) verify(method, uri, got string) error {
	scheme, rest, _ := strings.Cut(got, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return fmt.Errorf("scheme %q, want Digest", scheme)
	}
	p, err := parseAuthParams(rest)
	if err != nil {
		return err
	}
	want := map[string]string{
		"username": v.user, "realm": v.realm, "nonce": v.nonce, "uri": uri,
		"qop": "auth", "nc": "00000001", "opaque": v.opaque,
	}
	for name, w := range want {
		if p[name] != w {
			return fmt.Errorf("%s = %q, want %q", name, p[name], w)
		}
	}
	if p["cnonce"] == "" {
		return errors.New("no cnonce")
	}
	alg, named := p["algorithm"]
	switch {
	case v.algorithm != "" && !strings.EqualFold(alg, v.algorithm):
		return fmt.Errorf("algorithm = %q, want %q", alg, v.algorithm)
	case v.algorithm == "" && named && !strings.EqualFold(alg, "MD5"):
		return fmt.Errorf("algorithm = %q for a challenge that named none (MD5)", alg)
	}
	newHash := md5.New
	if strings.EqualFold(v.algorithm, "SHA-256") {
		newHash = sha256.New
	}
	h := func(parts ...string) string {
		hh := newHash()
		hh.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(hh.Sum(nil))
	}
	ha1 := h(v.user, v.realm, v.pass)
	ha2 := h(method, uri)
	if resp := h(ha1, v.nonce, p["nc"], p["cnonce"], p["qop"], ha2); p["response"] != resp {
		return fmt.Errorf("response = %q, want %q", p["response"], resp)
	}
	return nil
}

// parseAuthParams parses the comma-separated auth-params of credentials
// (RFC 9110 §11.2), tokens or quoted-strings.
func parseAuthParams(s string) (map[string]string, error) {
	p := make(map[string]string)
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return p, nil
		}
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("param without '=' in %q", s)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		rest = strings.TrimLeft(rest, " \t")
		var value strings.Builder
		if strings.HasPrefix(rest, `"`) {
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' {
					i++
				}
				if i < len(rest) {
					value.WriteByte(rest[i])
				}
			}
			if i >= len(rest) {
				return nil, fmt.Errorf("unterminated quoted-string for %s", name)
			}
			rest = rest[i+1:]
		} else {
			end := strings.IndexAny(rest, ", \t")
			if end < 0 {
				end = len(rest)
			}
			value.WriteString(rest[:end])
			rest = rest[end:]
		}
		if _, dup := p[name]; dup {
			return nil, fmt.Errorf("param %s twice", name)
		}
		p[name] = value.String()
		s = rest
	}
}

func TestDigestVerifierRFC7616Examples(t *testing.T) {
	checkNoLeaks(t)
	// The verifier itself must be right for the Digest tests to mean
	// anything: RFC 7616 §3.9.1's example, with both algorithms.
	v := &digestVerifier{
		realm: "http-auth@example.org", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", user: "Mufasa", pass: "Circle of Life",
	}
	common := `username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
		`nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ` +
		`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ` +
		`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	for _, tt := range []struct{ alg, response string }{
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		v.algorithm = tt.alg
		got := "Digest " + common + ", algorithm=" + tt.alg + `, response="` + tt.response + `"`
		if err := v.verify("GET", "/dir/index.html", got); err != nil {
			t.Errorf("%s: verifier refused the RFC's example: %v", tt.alg, err)
		}
		bad := strings.Replace(got, tt.response[:4], "0000", 1)
		if err := v.verify("GET", "/dir/index.html", bad); err == nil {
			t.Errorf("%s: verifier accepted a wrong response", tt.alg)
		}
		if err := v.verify("GET", "/dir/other.html", got); err == nil {
			t.Errorf("%s: verifier accepted a wrong uri", tt.alg)
		}
	}
}

// digestServer answers 401 with the challenges of offers (v's Digest
// challenge when an offer is "digest") unless the request carries
// credentials v accepts. Refusals of a sent Authorization are reported on
// the returned channel.
func digestServer(t *testing.T, v *digestVerifier, offers []string) (*httptest.Server, *requestLog, <-chan *Conn, <-chan error) {
	t.Helper()
	refusals := make(chan error, 4)
	srv, log, accepted := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
		if got := r.Header.Get("Authorization"); got != "" {
			err := v.verify(r.Method, r.RequestURI, got)
			if err == nil {
				return true
			}
			select {
			case refusals <- err:
			default:
			}
		}
		for _, o := range offers {
			if o == "digest" {
				o = v.challenge()
			}
			w.Header().Add("WWW-Authenticate", o)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	})
	return srv, log, accepted, refusals
}

func randomNonce(t *testing.T) string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestDialAuthDigest(t *testing.T) {
	tests := []struct {
		name      string
		algorithm string
		offers    []string
		callback  bool // credentials from Dialer.Auth rather than user-info
	}{
		{name: "SHA-256", algorithm: "SHA-256", offers: []string{"digest"}},
		{name: "MD5 unnamed", offers: []string{"digest"}},
		{name: "Basic and Digest", algorithm: "SHA-256", offers: []string{`Basic realm="wsx"`, "digest"}},
		{name: "Digest and Basic in one header", offers: []string{"digest, Basic realm=\"wsx\""}},
		{name: "callback", algorithm: "SHA-256", offers: []string{`Basic realm="wsx"`, "digest"}, callback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			v := &digestVerifier{
				realm: "wsx", nonce: randomNonce(t), opaque: "op/" + randomNonce(t),
				algorithm: tt.algorithm, user: "alice", pass: "s3cr3t",
			}
			offers := tt.offers
			if strings.HasPrefix(offers[0], "digest, ") {
				offers = []string{v.challenge() + strings.TrimPrefix(offers[0], "digest")}
			}
			srv, log, accepted, refusals := digestServer(t, v, offers)
			host := hostOf(srv)
			d := &Dialer{}
			url := "ws://alice:s3cr3t@" + host + "/chat/room?id=7&x=%20y"
			var calls int
			if tt.callback {
				url = "ws://" + host + "/chat/room?id=7&x=%20y"
				d.Auth = func(ctx context.Context, ch *AuthChallenge) (string, string, bool) {
					calls++
					if ch.Scheme != "Digest" || ch.Realm != "wsx" || ch.Proxy {
						t.Errorf("challenge Scheme %q Realm %q Proxy %v, want Digest wsx false", ch.Scheme, ch.Realm, ch.Proxy)
					}
					return "alice", "s3cr3t", true
				}
			}
			ctx := testContext(t)
			c, err := d.Dial(ctx, url)
			select {
			case e := <-refusals:
				t.Errorf("server refused the Digest answer: %v", e)
			default:
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Abort()
			s := takeConn(t, accepted)
			reqs := log.all()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			if reqs[0].Header.Get("Authorization") != "" {
				t.Error("first request carried Authorization")
			}
			if got := reqs[1].Header.Get("Authorization"); !strings.HasPrefix(got, "Digest ") {
				t.Errorf("Authorization = %q, want Digest", got)
			}
			if tt.callback && calls != 1 {
				t.Errorf("Auth called %d times, want 1", calls)
			}
			echoOnce(t, ctx, c, s)
		})
	}
}

func TestDialAuthRefused(t *testing.T) {
	body := strings.Repeat("denied! ", 300) // 2400 bytes
	for _, scheme := range []string{"Basic", "Digest"} {
		t.Run(scheme, func(t *testing.T) {
			checkNoLeaks(t)
			v := &digestVerifier{realm: "wsx", nonce: randomNonce(t), opaque: "o", algorithm: "SHA-256", user: "alice", pass: "right"}
			srv, log, _ := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
				if scheme == "Basic" {
					if r.Header.Get("Authorization") == basicValue("alice", "right") {
						return true
					}
					w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
				} else {
					if v.verify(r.Method, r.RequestURI, r.Header.Get("Authorization")) == nil {
						return true
					}
					w.Header().Set("WWW-Authenticate", v.challenge())
				}
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, body)
				return false
			})
			host := hostOf(srv)
			c, err := Dial(testContext(t), "ws://alice:wrong@"+host+"/path", nil)
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded with wrong credentials")
			}
			de := mustDialError(t, err, "auth", KindAuthRequired)
			if de.URL == nil || de.URL.String() != "ws://"+host+"/path" {
				t.Errorf("DialError.URL = %v, want ws://%s/path (no user-info)", de.URL, host)
			}
			if de.Addr != host {
				t.Errorf("DialError.Addr = %q, want %q", de.Addr, host)
			}
			if strings.Contains(err.Error(), "wrong") {
				t.Errorf("error message shows the password: %v", err)
			}
			he := mustHandshakeError(t, err, http.StatusUnauthorized)
			if !strings.HasPrefix(he.Header.Get("WWW-Authenticate"), scheme+" ") {
				t.Errorf("HandshakeError.Header WWW-Authenticate = %q", he.Header.Get("WWW-Authenticate"))
			}
			if string(he.Body) != body[:1024] {
				t.Errorf("HandshakeError.Body = %d bytes %q..., want the first 1024 bytes of the body", len(he.Body), he.Body[:min(len(he.Body), 16)])
			}
			if n := len(log.all()); n != 2 {
				t.Errorf("server saw %d requests, want 2 (one challenge, one retry)", n)
			}
		})
	}
}

func TestDialAuthNotAnswered(t *testing.T) {
	tests := []struct {
		name      string
		challenge []string
		userInfo  bool
		auth      bool // an Auth callback that declines
		wantCalls int
	}{
		{name: "callback declines", challenge: []string{`Basic realm="r"`}, auth: true, wantCalls: 1},
		{name: "no credentials", challenge: []string{`Basic realm="r"`}},
		{name: "Bearer only", challenge: []string{`Bearer realm="x"`}, auth: true},
		{name: "Bearer only with user-info", challenge: []string{`Bearer realm="x"`}, userInfo: true, auth: true},
		{name: "Digest with unsupported algorithm", challenge: []string{`Digest realm="x", nonce="n", qop="auth", algorithm=SHA-512-256`}, auth: true},
		{name: "no challenge", auth: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			srv, log, _ := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
				for _, c := range tt.challenge {
					w.Header().Add("WWW-Authenticate", c)
				}
				http.Error(w, "no entry", http.StatusUnauthorized)
				return false
			})
			host := hostOf(srv)
			var calls int
			d := &Dialer{}
			if tt.auth {
				d.Auth = func(context.Context, *AuthChallenge) (string, string, bool) {
					calls++
					return "x", "y", false
				}
			}
			url := "ws://" + host + "/"
			if tt.userInfo {
				url = "ws://u:p@" + host + "/"
			}
			c, err := d.Dial(testContext(t), url)
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded")
			}
			mustDialError(t, err, "auth", KindAuthRequired)
			he := mustHandshakeError(t, err, http.StatusUnauthorized)
			if got := he.Header.Values("WWW-Authenticate"); !equalStrings(got, tt.challenge) {
				t.Errorf("HandshakeError.Header WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			if string(he.Body) != "no entry\n" {
				t.Errorf("HandshakeError.Body = %q", he.Body)
			}
			if calls != tt.wantCalls {
				t.Errorf("Auth called %d times, want %d", calls, tt.wantCalls)
			}
			if n := len(log.all()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestDialAuthUserInfoPrecedesCallback(t *testing.T) {
	checkNoLeaks(t)
	srv, log, accepted := basicServer(t, "alice", "secret", "")
	d := &Dialer{Auth: func(context.Context, *AuthChallenge) (string, string, bool) {
		t.Error("Auth called although the URL has user-info")
		return "mallory", "x", true
	}}
	c, err := d.Dial(testContext(t), "ws://alice:secret@"+hostOf(srv)+"/")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Abort()
	takeConn(t, accepted)
	if n := len(log.all()); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestDialAuthLeavesDialerAndRequestClean(t *testing.T) {
	checkNoLeaks(t)
	srv, log, accepted := basicServer(t, "alice", "secret", "")
	host := hostOf(srv)
	d := &Dialer{
		Header: http.Header{"X-App": {"1"}},
		Auth: func(context.Context, *AuthChallenge) (string, string, bool) {
			return "alice", "secret", true
		},
	}
	before := fmt.Sprintf("%#v", *d)
	headerBefore := d.Header.Clone()
	// Twice with the same Dialer: nothing of the first dial's answer may be
	// kept for the second.
	for i := range 2 {
		for _, url := range []string{"ws://alice:secret@" + host + "/p?q=1", "ws://" + host + "/p?q=1"} {
			c, err := d.Dial(testContext(t), url)
			if err != nil {
				t.Fatalf("dial %d %s: %v", i, url, err)
			}
			c.Abort()
			takeConn(t, accepted)
		}
	}
	if after := fmt.Sprintf("%#v", *d); after != before {
		t.Errorf("Dialer changed by dialing:\nbefore %s\nafter  %s", before, after)
	}
	if !equalHeaders(d.Header, headerBefore) {
		t.Errorf("Dialer.Header changed: %v, was %v", d.Header, headerBefore)
	}
	reqs := log.all()
	if len(reqs) != 8 {
		t.Fatalf("server saw %d requests, want 8", len(reqs))
	}
	for i, r := range reqs {
		if r.RequestURI != "/p?q=1" || r.Host != host {
			t.Errorf("request %d: target %q Host %q, want /p?q=1 and %q", i, r.RequestURI, r.Host, host)
		}
		if i%2 == 0 && r.Header.Get("Authorization") != "" {
			t.Errorf("request %d opens a dial but carries Authorization %q", i, r.Header.Get("Authorization"))
		}
		if i%2 == 1 && r.Header.Get("Authorization") != basicValue("alice", "secret") {
			t.Errorf("request %d: Authorization %q", i, r.Header.Get("Authorization"))
		}
		if r.Header.Get("X-App") != "1" {
			t.Errorf("request %d: X-App %q", i, r.Header.Get("X-App"))
		}
		for name, values := range r.Header {
			for _, v := range values {
				if strings.Contains(v, "secret") || strings.Contains(v, "alice") {
					t.Errorf("request %d: header %s = %q shows the credentials", i, name, v)
				}
			}
		}
	}
}

// equalHeaders reports whether a and b hold the same names and values.
func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !equalStrings(v, b[k]) {
			return false
		}
	}
	return true
}
