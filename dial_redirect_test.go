package websocket

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/testcert"
)

// writeRedirect answers with code and loc as the Location, exactly as
// given (http.Redirect would make a relative one absolute).
func writeRedirect(w http.ResponseWriter, code int, loc string) bool {
	w.Header().Set("Location", loc)
	w.WriteHeader(code)
	return false
}

// routes answers each request-target with its entry: a redirect, or an
// upgrade for the entry "upgrade". Other targets fail the test.
type route struct {
	code int
	loc  func() string
}

func routes(t *testing.T, table map[string]route) func(w http.ResponseWriter, r *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		rt, ok := table[r.RequestURI]
		if !ok {
			t.Errorf("request for unexpected target %q", r.RequestURI)
			http.NotFound(w, r)
			return false
		}
		if rt.code == 0 {
			return true
		}
		return writeRedirect(w, rt.code, rt.loc())
	}
}

func to(loc string) func() string { return func() string { return loc } }

// mustRedirectError checks that err is a redirect refusal: a *DialError
// with Op "redirect", Kind KindRedirect, URL from, holding a
// *RedirectError with status and location.
func mustRedirectError(t *testing.T, err error, from string, status int, location string) *RedirectError {
	t.Helper()
	de := mustDialError(t, err, "redirect", KindRedirect)
	if de.URL == nil || de.URL.String() != from {
		t.Errorf("DialError.URL = %v, want %s", de.URL, from)
	}
	var re *RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("error %v holds no *RedirectError", err)
	}
	if re.StatusCode != status || re.Location == nil || re.Location.String() != location {
		t.Errorf("RedirectError status %d Location %v, want %d %s", re.StatusCode, re.Location, status, location)
	}
	var he *HandshakeError
	if errors.As(err, &he) {
		t.Errorf("a refused redirect also holds a *HandshakeError: %v", err)
	}
	return re
}

// tlsUpgradeServer is newUpgradeServer over TLS with a testcert
// certificate, and a Dialer config that trusts it.
func tlsUpgradeServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request) bool) (*httptest.Server, *requestLog, <-chan *Conn, *tls.Config) {
	t.Helper()
	cert, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, log, accepted := newUpgradeServer(t, nil, answer)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	srv.Config.ErrorLog = quietLog()
	srv.StartTLS()
	return srv, log, accepted, &tls.Config{RootCAs: cert.Pool}
}

func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

func TestDialRedirectChain(t *testing.T) {
	checkNoLeaks(t)
	var a, b, c *httptest.Server
	a, logA, _ := newUpgradeServer(t, nil, routes(t, map[string]route{
		"/start": {301, func() string { return "http://" + hostOf(b) + "/b1/page" }},
	}))
	b, logB, _ := newUpgradeServer(t, nil, routes(t, map[string]route{
		"/b1/page":   {302, to("b2?x=1")}, // relative to the path
		"/b1/b2?x=1": {303, func() string { return "ws://" + hostOf(c) + "/c1?y=2" }},
	}))
	c, logC, accepted := newUpgradeServer(t, nil, routes(t, map[string]route{
		"/c1?y=2":    {307, to("/c2#frag")},
		"/c2":        {308, to("/final?z=3")},
		"/final?z=3": {},
	}))
	a.Start()
	b.Start()
	c.Start()

	ctx := testContext(t)
	conn, err := Dial(ctx, "ws://"+hostOf(a)+"/start", nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Abort()
	s := takeConn(t, accepted)
	if got, want := conn.URL().String(), "ws://"+hostOf(c)+"/final?z=3"; got != want {
		t.Errorf("Conn.URL() = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		name string
		srv  *httptest.Server
		log  *requestLog
		want []string
	}{
		{"A", a, logA, []string{"/start"}},
		{"B", b, logB, []string{"/b1/page", "/b1/b2?x=1"}},
		{"C", c, logC, []string{"/c1?y=2", "/c2", "/final?z=3"}},
	} {
		if got := tt.log.uris(); !equalStrings(got, tt.want) {
			t.Errorf("server %s saw %q, want %q", tt.name, got, tt.want)
		}
		for _, r := range tt.log.all() {
			if r.Host != hostOf(tt.srv) {
				t.Errorf("server %s: request %s with Host %q, want %q", tt.name, r.RequestURI, r.Host, hostOf(tt.srv))
			}
		}
	}
	echoOnce(t, ctx, conn, s)
}

func TestDialRedirectStatuses(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			checkNoLeaks(t)
			srv, log, accepted := startUpgradeServer(t, routes(t, map[string]route{
				"/from": {code, to("/to#top")},
				"/to":   {},
			}))
			c, err := Dial(testContext(t), "ws://"+hostOf(srv)+"/from", nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c.Abort()
			takeConn(t, accepted)
			if got := log.uris(); !equalStrings(got, []string{"/from", "/to"}) {
				t.Errorf("server saw %q", got)
			}
			// RFC 6455 §3: a WebSocket URI has no fragment; the
			// Location's is dropped.
			if got, want := c.URL().String(), "ws://"+hostOf(srv)+"/to"; got != want {
				t.Errorf("Conn.URL() = %q, want %q", got, want)
			}
		})
	}
}

func TestDialRedirectLoop(t *testing.T) {
	t.Run("self", func(t *testing.T) {
		checkNoLeaks(t)
		srv, log, _ := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
			return writeRedirect(w, http.StatusFound, "/loop")
		})
		c, err := Dial(testContext(t), "ws://"+hostOf(srv)+"/loop", nil)
		if err == nil {
			c.Abort()
			t.Fatal("Dial succeeded")
		}
		url := "ws://" + hostOf(srv) + "/loop"
		mustRedirectError(t, err, url, http.StatusFound, url)
		if !errors.Is(err, ErrTooManyRedirects) {
			t.Errorf("error %v is not ErrTooManyRedirects", err)
		}
		if n := len(log.all()); n != MaxRedirects+1 {
			t.Errorf("server saw %d requests, want %d (%d redirects followed, the next refused)", n, MaxRedirects+1, MaxRedirects)
		}
	})
	t.Run("A to B to A", func(t *testing.T) {
		checkNoLeaks(t)
		var a, b *httptest.Server
		a, logA, _ := newUpgradeServer(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
			return writeRedirect(w, http.StatusTemporaryRedirect, "ws://"+hostOf(b)+"/b")
		})
		b, logB, _ := newUpgradeServer(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
			return writeRedirect(w, http.StatusMovedPermanently, "http://"+hostOf(a)+"/a")
		})
		a.Start()
		b.Start()
		c, err := Dial(testContext(t), "ws://"+hostOf(a)+"/a", nil)
		if err == nil {
			c.Abort()
			t.Fatal("Dial succeeded")
		}
		// Requests: A B A B A B A B A B A; the eleventh, A's, is refused.
		mustRedirectError(t, err, "ws://"+hostOf(a)+"/a", http.StatusTemporaryRedirect, "ws://"+hostOf(b)+"/b")
		if !errors.Is(err, ErrTooManyRedirects) {
			t.Errorf("error %v is not ErrTooManyRedirects", err)
		}
		if na, nb := len(logA.all()), len(logB.all()); na != 6 || nb != 5 {
			t.Errorf("servers saw %d and %d requests, want 6 and 5", na, nb)
		}
	})
}

func TestDialRedirectWSSToWS(t *testing.T) {
	for _, scheme := range []string{"ws", "http"} {
		t.Run(scheme, func(t *testing.T) {
			checkNoLeaks(t)
			plain, plainLog, _ := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
				t.Errorf("the ws server was reached: %s", r.RequestURI)
				return true
			})
			target := scheme + "://" + hostOf(plain) + "/plain"
			secure, secureLog, _, cfg := tlsUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
				return writeRedirect(w, http.StatusFound, target)
			})
			from := "wss://" + hostOf(secure) + "/start"
			c, err := Dial(testContext(t), from, &Dialer{TLSConfig: cfg})
			if err == nil {
				c.Abort()
				t.Fatal("Dial followed a redirect from wss to ws")
			}
			mustRedirectError(t, err, from, http.StatusFound, "ws://"+hostOf(plain)+"/plain")
			if !errors.Is(err, ErrInsecureRedirect) || errors.Is(err, ErrTooManyRedirects) {
				t.Errorf("error %v is not (only) ErrInsecureRedirect", err)
			}
			if n := len(secureLog.all()); n != 1 {
				t.Errorf("wss server saw %d requests, want 1", n)
			}
			if n := len(plainLog.all()); n != 0 {
				t.Errorf("ws server saw %d requests, want 0", n)
			}
		})
	}
}

func TestDialRedirectWSToWSS(t *testing.T) {
	checkNoLeaks(t)
	secure, secureLog, accepted, cfg := tlsUpgradeServer(t, routes(t, map[string]route{"/secure": {}}))
	plain, plainLog, _ := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
		return writeRedirect(w, http.StatusTemporaryRedirect, "wss://"+hostOf(secure)+"/secure")
	})
	ctx := testContext(t)
	c, err := Dial(ctx, "ws://"+hostOf(plain)+"/go", &Dialer{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Abort()
	s := takeConn(t, accepted)
	if got, want := c.URL().String(), "wss://"+hostOf(secure)+"/secure"; got != want {
		t.Errorf("Conn.URL() = %q, want %q", got, want)
	}
	if _, ok := c.NetConn().(*tls.Conn); !ok {
		t.Errorf("NetConn is %T, not *tls.Conn", c.NetConn())
	}
	if got := plainLog.uris(); !equalStrings(got, []string{"/go"}) {
		t.Errorf("ws server saw %q", got)
	}
	if got := secureLog.uris(); !equalStrings(got, []string{"/secure"}) {
		t.Errorf("wss server saw %q", got)
	}
	echoOnce(t, ctx, c, s)
}

func TestDialRedirectCheckRedirect(t *testing.T) {
	type call struct {
		next string
		via  []string
	}
	setup := func(t *testing.T) (a, b *httptest.Server, logB *requestLog, accepted <-chan *Conn) {
		a, _, _ = newUpgradeServer(t, nil, routes(t, map[string]route{
			"/a": {302, func() string { return "ws://" + hostOf(b) + "/b" }},
		}))
		b, logB, accepted = newUpgradeServer(t, nil, routes(t, map[string]route{
			"/b":     {307, to("/c?d=1")},
			"/c?d=1": {},
		}))
		a.Start()
		b.Start()
		return a, b, logB, accepted
	}
	record := func(calls *[]call, refuseAt int, refusal error) func(*url.URL, []*url.URL) error {
		return func(next *url.URL, via []*url.URL) error {
			c := call{next: next.String()}
			for _, u := range via {
				c.via = append(c.via, u.String())
			}
			*calls = append(*calls, c)
			if len(*calls) == refuseAt {
				return refusal
			}
			return nil
		}
	}
	check := func(t *testing.T, got []call, want []call) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("CheckRedirect called %d times (%v), want %d", len(got), got, len(want))
		}
		for i := range want {
			if got[i].next != want[i].next || !equalStrings(got[i].via, want[i].via) {
				t.Errorf("call %d: next %s via %q, want %s via %q", i, got[i].next, got[i].via, want[i].next, want[i].via)
			}
		}
	}

	t.Run("follow", func(t *testing.T) {
		checkNoLeaks(t)
		a, b, logB, accepted := setup(t)
		var calls []call
		c, err := Dial(testContext(t), "ws://"+hostOf(a)+"/a", &Dialer{CheckRedirect: record(&calls, 0, nil)})
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		c.Abort()
		takeConn(t, accepted)
		check(t, calls, []call{
			{"ws://" + hostOf(b) + "/b", []string{"ws://" + hostOf(a) + "/a"}},
			{"ws://" + hostOf(b) + "/c?d=1", []string{"ws://" + hostOf(a) + "/a", "ws://" + hostOf(b) + "/b"}},
		})
		if got := logB.uris(); !equalStrings(got, []string{"/b", "/c?d=1"}) {
			t.Errorf("B saw %q", got)
		}
	})
	t.Run("refuse", func(t *testing.T) {
		checkNoLeaks(t)
		a, b, logB, _ := setup(t)
		var calls []call
		refusal := errors.New("not there")
		c, err := Dial(testContext(t), "ws://"+hostOf(a)+"/a", &Dialer{CheckRedirect: record(&calls, 2, refusal)})
		if err == nil {
			c.Abort()
			t.Fatal("Dial succeeded")
		}
		mustRedirectError(t, err, "ws://"+hostOf(b)+"/b", http.StatusTemporaryRedirect, "ws://"+hostOf(b)+"/c?d=1")
		if !errors.Is(err, refusal) {
			t.Errorf("error %v does not wrap CheckRedirect's error", err)
		}
		var de *DialError
		if errors.As(err, &de) && de.Addr != hostOf(b) {
			t.Errorf("DialError.Addr = %q, want %q", de.Addr, hostOf(b))
		}
		check(t, calls, []call{
			{"ws://" + hostOf(b) + "/b", []string{"ws://" + hostOf(a) + "/a"}},
			{"ws://" + hostOf(b) + "/c?d=1", []string{"ws://" + hostOf(a) + "/a", "ws://" + hostOf(b) + "/b"}},
		})
		if got := logB.uris(); !equalStrings(got, []string{"/b"}) {
			t.Errorf("B saw %q, want only /b", got)
		}
	})
}

func TestDialRedirectDropsCredentialHeaders(t *testing.T) {
	tests := []struct {
		name      string
		otherHost bool
		lowerCase bool // Dialer.Header built as a map literal with lower-case names
	}{
		{"same host", false, false},
		{"localhost for 127.0.0.1", true, false},
		{"lower-case names, same host", false, true},
		{"lower-case names, other host", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			var srv *httptest.Server
			srv, log, accepted := newUpgradeServer(t, nil, routes(t, map[string]route{
				"/first": {302, func() string {
					if tt.otherHost {
						_, port, _ := net.SplitHostPort(hostOf(srv))
						return "ws://localhost:" + port + "/second"
					}
					return "/second"
				}},
				"/second": {},
			}))
			srv.Start()
			header := http.Header{
				"Authorization": {"Bearer tok"},
				"Cookie":        {"session=abc"},
				"X-Custom":      {"keep", "me"},
			}
			if tt.lowerCase {
				// The names are written canonical on the wire whatever the
				// map's keys, so the keys' case must not decide what is
				// dropped either.
				header = http.Header{
					"authorization": {"Bearer tok"},
					"cookie":        {"session=abc"},
					"x-custom":      {"keep", "me"},
				}
			}
			before := header.Clone()
			c, err := Dial(testContext(t), "ws://"+hostOf(srv)+"/first", &Dialer{Header: header})
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			c.Abort()
			takeConn(t, accepted)
			reqs := log.all()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			for i, r := range reqs {
				if got := r.Header.Values("X-Custom"); !equalStrings(got, []string{"keep", "me"}) {
					t.Errorf("request %d: X-Custom %q", i, got)
				}
				keep := i == 0 || !tt.otherHost
				for _, name := range []string{"Authorization", "Cookie"} {
					got := r.Header.Get(name)
					want := before.Get(name)
					if tt.lowerCase {
						want = before[strings.ToLower(name)][0]
					}
					if keep && got != want {
						t.Errorf("request %d: %s = %q, want %q", i, name, got, want)
					}
					if !keep && got != "" {
						t.Errorf("request %d to another host carries %s %q", i, name, got)
					}
				}
			}
			if tt.otherHost && !strings.HasPrefix(reqs[1].Host, "localhost:") {
				t.Errorf("second request Host %q, want localhost:port", reqs[1].Host)
			}
			if !equalHeaders(header, before) {
				t.Errorf("Dialer.Header changed to %v", header)
			}
		})
	}
}

func TestDialRedirectUserInfoStaysWithHost(t *testing.T) {
	for _, otherHost := range []bool{false, true} {
		name := "same host"
		if otherHost {
			name = "other host"
		}
		t.Run(name, func(t *testing.T) {
			checkNoLeaks(t)
			var srv *httptest.Server
			next := func() string {
				if otherHost {
					_, port, _ := net.SplitHostPort(hostOf(srv))
					return "ws://localhost:" + port + "/second"
				}
				return "/second"
			}
			srv, log, accepted := newUpgradeServer(t, nil, func(w http.ResponseWriter, r *http.Request) bool {
				if r.RequestURI == "/first" {
					return writeRedirect(w, http.StatusFound, next())
				}
				if r.Header.Get("Authorization") == basicValue("alice", "secret") {
					return true
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="r"`)
				w.WriteHeader(http.StatusUnauthorized)
				return false
			})
			srv.Start()
			c, err := Dial(testContext(t), "ws://alice:secret@"+hostOf(srv)+"/first", nil)
			if !otherHost {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				c.Abort()
				takeConn(t, accepted)
				if got := log.uris(); !equalStrings(got, []string{"/first", "/second", "/second"}) {
					t.Errorf("server saw %q", got)
				}
				return
			}
			if err == nil {
				c.Abort()
				t.Fatal("the URL's credentials were sent to another host")
			}
			de := mustDialError(t, err, "auth", KindAuthRequired)
			if want := next(); de.URL == nil || de.URL.String() != want {
				t.Errorf("DialError.URL = %v, want %s", de.URL, want)
			}
			reqs := log.all()
			if len(reqs) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(reqs))
			}
			if got := reqs[1].Header.Get("Authorization"); got != "" {
				t.Errorf("other host got Authorization %q", got)
			}
		})
	}
}

func TestDialRedirectBad(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		location []string // nil: no Location header
		op       string
		kind     ErrorKind
		redirect string // the RedirectError's Location, for KindRedirect
	}{
		{name: "no Location", code: 302, op: "handshake", kind: KindHandshakeStatus},
		{name: "empty Location", code: 301, location: []string{""}, op: "handshake", kind: KindHandshakeStatus},
		{name: "malformed Location", code: 302, location: []string{"ws://[::1"}, op: "handshake", kind: KindHandshakeStatus},
		{name: "ftp", code: 301, location: []string{"ftp://127.0.0.1/x"}, op: "redirect", kind: KindRedirect, redirect: "ftp://127.0.0.1/x"},
		{name: "ftp with user-info", code: 308, location: []string{"ftp://bob:pw@127.0.0.1/x"}, op: "redirect", kind: KindRedirect, redirect: "ftp://127.0.0.1/x"},
		{name: "no host", code: 307, location: []string{"ws:///x"}, op: "redirect", kind: KindRedirect, redirect: "ws:///x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			srv, log, _ := startUpgradeServer(t, func(w http.ResponseWriter, r *http.Request) bool {
				if tt.location != nil {
					w.Header()["Location"] = tt.location
				}
				w.WriteHeader(tt.code)
				io.WriteString(w, "moved")
				return false
			})
			from := "ws://" + hostOf(srv) + "/"
			c, err := Dial(testContext(t), from, nil)
			if err == nil {
				c.Abort()
				t.Fatal("Dial succeeded")
			}
			if tt.kind == KindRedirect {
				re := mustRedirectError(t, err, from, tt.code, tt.redirect)
				if errors.Is(err, ErrTooManyRedirects) || errors.Is(err, ErrInsecureRedirect) {
					t.Errorf("error %v names the wrong reason", err)
				}
				if re.Err == nil || strings.Contains(err.Error(), "pw") {
					t.Errorf("RedirectError.Err %v; error %q", re.Err, err)
				}
			} else {
				de := mustDialError(t, err, tt.op, tt.kind)
				if de.URL == nil || de.URL.String() != from {
					t.Errorf("DialError.URL = %v, want %s", de.URL, from)
				}
				he := mustHandshakeError(t, err, tt.code)
				if string(he.Body) != "moved" {
					t.Errorf("HandshakeError.Body = %q", he.Body)
				}
				var re *RedirectError
				if errors.As(err, &re) {
					t.Errorf("a bad redirect answer holds a *RedirectError: %v", err)
				}
			}
			if n := len(log.all()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}
