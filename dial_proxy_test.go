package websocket

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/testcert"
)

// unresolvableHost is a name that does not resolve here (RFC 6761 §6.2
// reserves .test); the in-process proxies reach it at 127.0.0.1, so a dial
// to it succeeds only through them.
const unresolvableHost = "echo.wsx.test"

// proxyServer is a loopback server run for a proxy test: a goroutine per
// connection, every connection it accepted or opened closed by stop.
type proxyServer struct {
	ln     net.Listener
	handle func(nc net.Conn)

	mu      sync.Mutex
	conns   map[net.Conn]bool
	stopped bool
	wg      sync.WaitGroup
}

// startProxyServer listens on 127.0.0.1:0, wrapped by wrap when it is not
// nil, and runs handle on each connection until the test ends.
func startProxyServer(t *testing.T, wrap func(net.Listener) net.Listener, handle func(nc net.Conn)) *proxyServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &proxyServer{ln: ln, handle: handle, conns: make(map[net.Conn]bool)}
	if wrap != nil {
		s.ln = wrap(ln)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.stop)
	return s
}

func (s *proxyServer) addr() string { return s.ln.Addr().String() }

func (s *proxyServer) serve() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(nc) {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(nc)
			nc.SetDeadline(time.Now().Add(testTimeout))
			s.handle(nc)
		}()
	}
}

// track registers nc to be closed by stop; false (and nc closed) once the
// server has stopped.
func (s *proxyServer) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		nc.Close()
		return false
	}
	s.conns[nc] = true
	return true
}

func (s *proxyServer) untrack(nc net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nc.Close()
	delete(s.conns, nc)
}

// stop closes the listener and every connection and waits for the
// goroutines to end.
func (s *proxyServer) stop() {
	s.mu.Lock()
	s.stopped = true
	s.ln.Close()
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// dialTarget opens the proxy's connection to target, a host:port, reaching
// unresolvableHost at 127.0.0.1. The connection is closed by stop.
func (s *proxyServer) dialTarget(target string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	if host == unresolvableHost {
		host = "127.0.0.1"
	}
	nc, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), testTimeout)
	if err != nil {
		return nil, err
	}
	if !s.track(nc) {
		return nil, net.ErrClosed
	}
	nc.SetDeadline(time.Now().Add(testTimeout))
	return nc, nil
}

// relay copies between the client (read through r) and up until either
// side closes, then closes both.
func (s *proxyServer) relay(client net.Conn, r io.Reader, up net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(up, r)
		up.Close()
		client.Close()
	}()
	io.Copy(client, up)
	up.Close()
	client.Close()
	<-done
	s.untrack(up)
}

// connectRequest is a request an in-process HTTP proxy read.
type connectRequest struct {
	conn   int    // the number of the connection it came on, from 0
	line   string // the request line
	header textproto.MIMEHeader
	first  byte // the first byte the client sent into the tunnel, if opened
}

// target is the request line's request-target.
func (r connectRequest) target() string {
	f := strings.Fields(r.line)
	if len(f) != 3 {
		return ""
	}
	return f[1]
}

// httpProxy is an in-process HTTP proxy that records the requests it reads.
// answer decides what to do with each; nil opens the tunnel.
type httpProxy struct {
	*proxyServer
	answer func(p *httpProxy, x *proxyExchange) (more bool)

	mu    sync.Mutex
	reqs  []connectRequest
	conns int
}

// proxyExchange is one request and the means to answer it.
type proxyExchange struct {
	nc  net.Conn
	br  *bufio.Reader
	req connectRequest
	n   int // the number of the request, from 0
}

// startHTTPProxy starts an HTTP proxy on loopback, behind wrap if it is not
// nil (tls.NewListener for an https proxy).
func startHTTPProxy(t *testing.T, wrap func(net.Listener) net.Listener, answer func(p *httpProxy, x *proxyExchange) (more bool)) *httpProxy {
	t.Helper()
	p := &httpProxy{answer: answer}
	p.proxyServer = startProxyServer(t, wrap, p.serveConn)
	return p
}

// url returns the proxy's URL with scheme and user-info.
func (p *httpProxy) url(scheme string, user *url.Userinfo) *url.URL {
	return &url.URL{Scheme: scheme, User: user, Host: p.addr()}
}

// requests returns the requests read so far.
func (p *httpProxy) requests() []connectRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

func (p *httpProxy) serveConn(nc net.Conn) {
	p.mu.Lock()
	conn := p.conns
	p.conns++
	p.mu.Unlock()
	br := bufio.NewReader(nc)
	tr := textproto.NewReader(br)
	for {
		line, err := tr.ReadLine()
		if err != nil {
			return
		}
		header, err := tr.ReadMIMEHeader()
		if err != nil {
			return
		}
		x := &proxyExchange{nc: nc, br: br, req: connectRequest{conn: conn, line: line, header: header}}
		p.mu.Lock()
		x.n = len(p.reqs)
		p.reqs = append(p.reqs, x.req)
		p.mu.Unlock()
		answer := p.answer
		if answer == nil {
			answer = (*httpProxy).tunnel
		}
		if !answer(p, x) {
			return
		}
	}
}

// tunnel opens the tunnel x asks for, records the first byte sent into it
// and relays until either side closes.
func (p *httpProxy) tunnel(x *proxyExchange) bool {
	up, err := p.dialTarget(x.req.target())
	if err != nil {
		io.WriteString(x.nc, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return false
	}
	io.WriteString(x.nc, "HTTP/1.1 200 Connection established\r\n\r\n")
	if b, err := x.br.Peek(1); err == nil {
		p.mu.Lock()
		p.reqs[x.n].first = b[0]
		p.mu.Unlock()
	}
	p.relay(x.nc, x.br, up)
	return false
}

// replyWith returns an answer that writes raw and closes the connection.
func replyWith(raw string) func(*httpProxy, *proxyExchange) bool {
	return func(_ *httpProxy, x *proxyExchange) bool {
		io.WriteString(x.nc, raw)
		return false
	}
}

// socksProxy is an in-process SOCKS5 proxy (RFC 1928, RFC 1929) that
// records what clients send.
type socksProxy struct {
	*proxyServer
	user, pass string // credentials required; none when user is ""
	reply      byte   // the reply code to send; 0 opens the tunnel

	mu    sync.Mutex
	reqs  []socksRequest
	conns int
}

// socksRequest is what a client sent one in-process SOCKS5 proxy.
type socksRequest struct {
	methods    []byte // the authentication methods offered
	user, pass string // RFC 1929 credentials, if sent
	atyp       byte   // the request's address type, 0 if none came
	host       string // the request's address or name
	port       int
}

func startSOCKSProxy(t *testing.T, user, pass string, reply byte) *socksProxy {
	t.Helper()
	p := &socksProxy{user: user, pass: pass, reply: reply}
	p.proxyServer = startProxyServer(t, nil, p.serveConn)
	return p
}

func (p *socksProxy) url(scheme string, user *url.Userinfo) *url.URL {
	return &url.URL{Scheme: scheme, User: user, Host: p.addr()}
}

func (p *socksProxy) requests() []socksRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

func (p *socksProxy) serveConn(nc net.Conn) {
	var r socksRequest
	recorded := false
	record := func() {
		if !recorded {
			recorded = true
			p.mu.Lock()
			p.reqs = append(p.reqs, r)
			p.mu.Unlock()
		}
	}
	defer record()
	br := bufio.NewReader(nc)
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil
		}
		return b
	}
	head := read(2)
	if head == nil || head[0] != 5 {
		return
	}
	if r.methods = read(int(head[1])); r.methods == nil {
		return
	}
	switch {
	case p.user == "" && slices.Contains(r.methods, 0):
		nc.Write([]byte{5, 0})
	case p.user != "" && slices.Contains(r.methods, 2):
		nc.Write([]byte{5, 2})
		ver := read(2)
		if ver == nil {
			return
		}
		u := read(int(ver[1]))
		n := read(1)
		if u == nil || n == nil {
			return
		}
		pw := read(int(n[0]))
		if pw == nil {
			return
		}
		r.user, r.pass = string(u), string(pw)
		if r.user != p.user || r.pass != p.pass {
			nc.Write([]byte{1, 1})
			return
		}
		nc.Write([]byte{1, 0})
	default:
		nc.Write([]byte{5, 0xFF})
		return
	}
	req := read(4)
	if req == nil || req[0] != 5 || req[1] != 1 {
		return
	}
	r.atyp = req[3]
	switch r.atyp {
	case 1:
		r.host = net.IP(read(4)).String()
	case 4:
		r.host = net.IP(read(16)).String()
	case 3:
		n := read(1)
		if n == nil {
			return
		}
		r.host = string(read(int(n[0])))
	default:
		return
	}
	port := read(2)
	if port == nil {
		return
	}
	r.port = int(binary.BigEndian.Uint16(port))
	failure := []byte{5, p.reply, 0, 1, 0, 0, 0, 0, 0, 0}
	if p.reply != 0 {
		nc.Write(failure)
		return
	}
	up, err := p.dialTarget(net.JoinHostPort(r.host, strconv.Itoa(r.port)))
	if err != nil {
		failure[1] = 5
		nc.Write(failure)
		return
	}
	// The bound address: the proxy's end of its connection to the target.
	bound := up.LocalAddr().(*net.TCPAddr)
	nc.Write(binary.BigEndian.AppendUint16(append([]byte{5, 0, 0, 1}, bound.IP.To4()...), uint16(bound.Port)))
	record()
	p.relay(nc, br, up)
}

// echoServer starts a Server that echoes every message, closed when the
// test ends, and returns it and its URL.
func echoServer(t *testing.T, tlsConfig *tls.Config) (*Server, *url.URL) {
	t.Helper()
	s := &Server{Handle: serverEcho, TLSConfig: tlsConfig}
	listenServer(t, s)
	return s, s.URL()
}

// proxyCert is the certificate of the https proxies and wss servers.
func proxyCert(t *testing.T) *testcert.Cert {
	t.Helper()
	c, err := testcert.New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dialVia dials target with d; a connection is aborted when the test ends.
func dialVia(t *testing.T, target string, d *Dialer) (*Conn, error) {
	t.Helper()
	c, err := d.Dial(testContext(t), target)
	if c != nil {
		t.Cleanup(c.Abort)
	}
	return c, err
}

// mustDialVia is dialVia failing the test on error.
func mustDialVia(t *testing.T, target string, d *Dialer) *Conn {
	t.Helper()
	c, err := dialVia(t, target, d)
	if err != nil {
		t.Fatalf("Dial %s: %v", target, err)
	}
	return c
}

// proxyDialError checks that err is a *DialError of op and kind with Addr
// addr, and returns it with the *ProxyError in it, if any.
func proxyDialError(t *testing.T, err error, op string, kind ErrorKind, addr string) (*DialError, *ProxyError) {
	t.Helper()
	if err == nil {
		t.Fatalf("Dial succeeded, want a %v failure", kind)
	}
	var de *DialError
	if !errors.As(err, &de) {
		t.Fatalf("Dial error = %v (%T), want a *DialError", err, err)
	}
	if de.Op != op || de.Kind != kind {
		t.Fatalf("Dial error Op %q Kind %q (%v), want Op %q Kind %q", de.Op, de.Kind, err, op, kind)
	}
	if de.Addr != addr {
		t.Errorf("DialError.Addr = %q, want %q", de.Addr, addr)
	}
	var pe *ProxyError
	errors.As(err, &pe)
	return de, pe
}

// proxyAuthLog is a Dialer.ProxyAuth answering with fixed credentials, or
// declining when ok is false, that records what it was asked.
type proxyAuthLog struct {
	user, pass string
	ok         bool
	mu         sync.Mutex
	asked      []*AuthChallenge
}

func (a *proxyAuthLog) auth(_ context.Context, ch *AuthChallenge) (string, string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, ch)
	return a.user, a.pass, a.ok
}

// once checks that a was asked exactly once and returns the challenge.
func (a *proxyAuthLog) once(t *testing.T) *AuthChallenge {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.asked) != 1 {
		t.Fatalf("ProxyAuth called %d times, want 1", len(a.asked))
	}
	return a.asked[0]
}

// basicAnswer is the Proxy-Authorization value of RFC 7617 for user and pass.
func basicAnswer(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestDialProxyHTTPConnect(t *testing.T) {
	checkNoLeaks(t)
	_, target := echoServer(t, nil)

	t.Run("no credentials", func(t *testing.T) {
		p := startHTTPProxy(t, nil, nil)
		c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil))})
		checkEcho(t, c, "through the proxy")
		reqs := p.requests()
		if len(reqs) != 1 {
			t.Fatalf("proxy read %d requests, want 1", len(reqs))
		}
		want := "CONNECT " + target.Host + " HTTP/1.1"
		if reqs[0].line != want {
			t.Errorf("request line %q, want %q", reqs[0].line, want)
		}
		if got := reqs[0].header.Values("Host"); len(got) != 1 || got[0] != target.Host {
			t.Errorf("Host %q, want %q", got, target.Host)
		}
		if got, ok := reqs[0].header["Proxy-Authorization"]; ok {
			t.Errorf("Proxy-Authorization %q sent without credentials", got)
		}
		if got := c.URL().String(); got != target.String() {
			t.Errorf("Conn.URL() = %s, want %s", got, target)
		}
	})

	t.Run("credentials in the URL", func(t *testing.T) {
		p := startHTTPProxy(t, nil, func(p *httpProxy, x *proxyExchange) bool {
			if x.req.header.Get("Proxy-Authorization") != basicAnswer("alice", "open sesame:1") {
				io.WriteString(x.nc, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 0\r\n\r\n")
				return false
			}
			return p.tunnel(x)
		})
		a := &proxyAuthLog{}
		c := mustDialVia(t, target.String(), &Dialer{
			Proxy:     ProxyURL(p.url("http", url.UserPassword("alice", "open sesame:1"))),
			ProxyAuth: a.auth,
		})
		checkEcho(t, c, "with Basic credentials")
		reqs := p.requests()
		if len(reqs) != 1 {
			t.Fatalf("proxy read %d requests, want 1: the credentials go with the first", len(reqs))
		}
		if got := reqs[0].header.Values("Proxy-Authorization"); len(got) != 1 {
			t.Errorf("Proxy-Authorization sent %d times, want once", len(got))
		}
		if len(a.asked) != 0 {
			t.Errorf("ProxyAuth asked %d times though the URL's credentials were taken", len(a.asked))
		}
	})

	t.Run("bytes after the 200 are the tunnel's", func(t *testing.T) {
		// A 101 sent with the 200, before the handshake request: the
		// client must read it from what came with the proxy's answer. Its
		// accept key cannot be right, so the dial fails on that, not on
		// a timeout waiting for bytes already read.
		const early = "HTTP/1.1 200 Connection established\r\n\r\n" +
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: x3JJHMbDL1EzLkh9GBhXDw6Ye1A=\r\n\r\n"
		p := startHTTPProxy(t, nil, func(_ *httpProxy, x *proxyExchange) bool {
			io.WriteString(x.nc, early)
			io.Copy(io.Discard, x.br)
			return false
		})
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil)), HandshakeTimeout: 5 * time.Second})
		proxyDialError(t, err, "handshake", KindBadAccept, p.addr())
	})
}

// The Digest challenge of TestDialProxyDigest's proxy.
const (
	digestRealm     = "p"
	digestNonce     = "n"
	digestChallenge = `Digest realm="p", nonce="n", qop="auth"`
	digestBody      = "proxy credentials wanted"
)

// authParams parses the auth-params of a credentials value after its
// scheme (RFC 9110 §11.2), unquoting quoted strings.
func authParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	for s = strings.TrimSpace(s); s != ""; {
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("no = in %q", s)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		rest = strings.TrimLeft(rest, " ")
		var value string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				b.WriteByte(rest[i])
			}
			if i == len(rest) {
				return nil, fmt.Errorf("unterminated quoted string for %s", name)
			}
			value, rest = b.String(), rest[i+1:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			value, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%s given twice", name)
		}
		params[name] = value
		rest = strings.TrimLeft(rest, " ")
		if rest != "" && rest[0] != ',' {
			return nil, fmt.Errorf("junk %q after %s", rest, name)
		}
		s = strings.TrimLeft(strings.TrimPrefix(rest, ","), " ")
	}
	return params, nil
}

// digestWant is what a Digest answer must hold to be right.
type digestWant struct {
	method, uri          string
	realm, nonce, opaque string // the challenge's; opaque "" when it had none
	user, pass           string
}

// checkDigest verifies a Digest credentials value by RFC 7616 §3.4.1 with
// MD5 and qop auth, independently of internal/httpauth.
func checkDigest(value string, w digestWant) error {
	scheme, rest, _ := strings.Cut(value, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return fmt.Errorf("scheme %q, want Digest", scheme)
	}
	p, err := authParams(rest)
	if err != nil {
		return err
	}
	h := func(s string) string {
		sum := md5.Sum([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	for name, want := range map[string]string{
		"username": w.user, "realm": w.realm, "nonce": w.nonce, "uri": w.uri, "qop": "auth",
	} {
		if p[name] != want {
			return fmt.Errorf("%s = %q, want %q", name, p[name], want)
		}
	}
	if alg, ok := p["algorithm"]; ok && !strings.EqualFold(alg, "MD5") {
		return fmt.Errorf("algorithm %q, want MD5", alg)
	}
	// RFC 7616 §3.4: opaque comes back unchanged, and only if sent.
	if opaque, ok := p["opaque"]; ok != (w.opaque != "") || opaque != w.opaque {
		return fmt.Errorf("opaque = %q, want %q", opaque, w.opaque)
	}
	if nc := p["nc"]; len(nc) != 8 || strings.Trim(nc, "0123456789abcdefABCDEF") != "" {
		return fmt.Errorf("nc = %q, want 8 hex digits", nc)
	}
	if p["cnonce"] == "" {
		return errors.New("no cnonce")
	}
	ha1 := h(w.user + ":" + w.realm + ":" + w.pass)
	ha2 := h(w.method + ":" + w.uri)
	want := h(ha1 + ":" + w.nonce + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if p["response"] != want {
		return fmt.Errorf("response = %q, want %q", p["response"], want)
	}
	return nil
}

func TestCheckDigest(t *testing.T) {
	// RFC 7616 §3.9.1's MD5 example.
	const good = `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", ` +
		`algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ` +
		`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, ` +
		`response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
	w := digestWant{
		method: "GET", uri: "/dir/index.html",
		realm: "http-auth@example.org", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
		user:   "Mufasa", pass: "Circle of Life",
	}
	if err := checkDigest(good, w); err != nil {
		t.Errorf("checkDigest refused RFC 7616's answer: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(good, "Mufasa", "Scar", 1),
		strings.Replace(good, `uri="/dir/index.html"`, `uri="/"`, 1),
		strings.Replace(good, "nc=00000001", "nc=00000002", 1),
		strings.Replace(good, `opaque="FQhe`, `opaque="fQhe`, 1),
		strings.Replace(good, "Digest", "Basic", 1),
	} {
		if err := checkDigest(bad, w); err == nil {
			t.Errorf("checkDigest took %s", bad)
		}
	}
	for _, edit := range []func(*digestWant){
		func(w *digestWant) { w.pass = "Circle of Death" },
		func(w *digestWant) { w.method = http.MethodConnect },
	} {
		w2 := w
		edit(&w2)
		if err := checkDigest(good, w2); err == nil {
			t.Errorf("checkDigest took the answer for %+v", w2)
		}
	}
}

// digestProxy answers 407 with digestChallenge to a CONNECT without a right
// Digest answer for user and pass, keeping the connection open, and opens
// the tunnel otherwise. Each verification failure is sent to bad.
func digestProxy(t *testing.T, user, pass string, bad chan<- error) *httpProxy {
	return startHTTPProxy(t, nil, func(p *httpProxy, x *proxyExchange) bool {
		if v := x.req.header.Get("Proxy-Authorization"); v != "" {
			err := checkDigest(v, digestWant{
				method: http.MethodConnect, uri: x.req.target(),
				realm: digestRealm, nonce: digestNonce, user: user, pass: pass,
			})
			if err == nil {
				return p.tunnel(x)
			}
			select {
			case bad <- err:
			default: // never block the proxy
			}
		}
		io.WriteString(x.nc, "HTTP/1.1 407 Proxy Authentication Required\r\n"+
			"Proxy-Authenticate: "+digestChallenge+"\r\n"+
			"Content-Length: "+strconv.Itoa(len(digestBody))+"\r\n\r\n"+digestBody)
		return true
	})
}

func TestDialProxyDigest(t *testing.T) {
	checkNoLeaks(t)
	_, target := echoServer(t, nil)

	t.Run("ProxyAuth answers", func(t *testing.T) {
		bad := make(chan error, 4)
		p := digestProxy(t, "alice", "wonder land", bad)
		a := &proxyAuthLog{user: "alice", pass: "wonder land", ok: true}
		c, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil)), ProxyAuth: a.auth})
		close(bad)
		for err := range bad {
			t.Errorf("proxy refused the Digest answer: %v", err)
		}
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		checkEcho(t, c, "after Digest")
		ch := a.once(t)
		if !ch.Proxy || ch.Scheme != "Digest" || ch.Realm != digestRealm || ch.URL.String() != "http://"+p.addr() {
			t.Errorf("challenge Proxy %v Scheme %q Realm %q URL %v, want true, Digest, %q, http://%s",
				ch.Proxy, ch.Scheme, ch.Realm, ch.URL, digestRealm, p.addr())
		}
		if got := ch.Header.Get("Proxy-Authenticate"); got != digestChallenge {
			t.Errorf("challenge header Proxy-Authenticate = %q, want %q", got, digestChallenge)
		}
		reqs := p.requests()
		if len(reqs) != 2 {
			t.Fatalf("proxy read %d requests, want 2", len(reqs))
		}
		if reqs[0].header.Get("Proxy-Authorization") != "" {
			t.Errorf("first CONNECT carried Proxy-Authorization %q", reqs[0].header.Get("Proxy-Authorization"))
		}
		if reqs[0].conn == reqs[1].conn {
			t.Error("the retry came on the connection that got the 407, want a new one")
		}
	})

	t.Run("ProxyAuth declines", func(t *testing.T) {
		p := digestProxy(t, "alice", "wonder land", make(chan error, 4))
		a := &proxyAuthLog{}
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil)), ProxyAuth: a.auth})
		_, pe := proxyDialError(t, err, "proxy", KindProxyAuthRequired, p.addr())
		a.once(t)
		if pe == nil {
			t.Fatalf("no *ProxyError in %v", err)
		}
		if pe.StatusCode != http.StatusProxyAuthRequired {
			t.Errorf("StatusCode = %d, want 407", pe.StatusCode)
		}
		if got := pe.Header.Get("Proxy-Authenticate"); got != digestChallenge {
			t.Errorf("Proxy-Authenticate = %q, want %q", got, digestChallenge)
		}
		if string(pe.Body) != digestBody {
			t.Errorf("Body = %q, want %q", pe.Body, digestBody)
		}
		if pe.Proxy.String() != "http://"+p.addr() {
			t.Errorf("ProxyError.Proxy = %v", pe.Proxy)
		}
		if n := len(p.requests()); n != 1 {
			t.Errorf("proxy read %d requests, want 1", n)
		}
	})

	t.Run("no ProxyAuth", func(t *testing.T) {
		p := digestProxy(t, "alice", "wonder land", make(chan error, 4))
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil))})
		proxyDialError(t, err, "proxy", KindProxyAuthRequired, p.addr())
		if n := len(p.requests()); n != 1 {
			t.Errorf("proxy read %d requests, want 1", n)
		}
	})

	t.Run("challenge it cannot answer", func(t *testing.T) {
		p := startHTTPProxy(t, nil, replyWith("HTTP/1.1 407 Proxy Authentication Required\r\n"+
			"Proxy-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n"))
		a := &proxyAuthLog{user: "alice", pass: "wonder land", ok: true}
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil)), ProxyAuth: a.auth})
		_, pe := proxyDialError(t, err, "proxy", KindProxyAuthRequired, p.addr())
		if len(a.asked) != 0 {
			t.Errorf("ProxyAuth asked %d times for a Negotiate challenge, want 0", len(a.asked))
		}
		if pe == nil || pe.Header.Get("Proxy-Authenticate") != "Negotiate" {
			t.Errorf("ProxyError = %+v, want the 407's header", pe)
		}
	})

	t.Run("ProxyAuth wrong", func(t *testing.T) {
		bad := make(chan error, 4)
		p := digestProxy(t, "alice", "wonder land", bad)
		a := &proxyAuthLog{user: "alice", pass: "looking glass", ok: true}
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil)), ProxyAuth: a.auth})
		_, pe := proxyDialError(t, err, "proxy", KindProxyAuthRequired, p.addr())
		a.once(t)
		if pe == nil || pe.StatusCode != http.StatusProxyAuthRequired {
			t.Errorf("ProxyError = %+v, want the second 407", pe)
		}
		if n := len(p.requests()); n != 2 {
			t.Errorf("proxy read %d requests, want 2", n)
		}
		if len(bad) != 1 {
			t.Errorf("proxy checked %d Digest answers, want 1", len(bad))
		}
	})
}

func TestDialProxyRefusals(t *testing.T) {
	checkNoLeaks(t)
	_, target := echoServer(t, nil)
	for _, tc := range []struct {
		name    string
		answer  func(*httpProxy, *proxyExchange) bool
		timeout time.Duration
		kind    ErrorKind
		status  int
		body    string
	}{{
		name:   "403",
		answer: replyWith("HTTP/1.1 403 Forbidden\r\nX-Policy: no websockets\r\nContent-Length: 17\r\n\r\nnot to that host\n"),
		kind:   KindProxyRefused, status: 403, body: "not to that host\n",
	}, {
		name:   "502",
		answer: replyWith("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\nupstream is down :("),
		kind:   KindProxyRefused, status: 502, body: "upstream is down :(",
	}, {
		name:   "garbage",
		answer: replyWith("HELLO\r\n\r\n"),
		kind:   KindProxyProtocol,
	}, {
		name:   "closed after the request",
		answer: func(*httpProxy, *proxyExchange) bool { return false },
		kind:   KindProxyClosed,
	}, {
		name: "no answer",
		answer: func(_ *httpProxy, x *proxyExchange) bool {
			io.Copy(io.Discard, x.br) // until the client gives up
			return false
		},
		timeout: 300 * time.Millisecond,
		kind:    KindProxyTimeout,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			p := startHTTPProxy(t, nil, tc.answer)
			d := &Dialer{Proxy: ProxyURL(p.url("http", nil)), HandshakeTimeout: tc.timeout}
			_, err := dialVia(t, target.String(), d)
			de, pe := proxyDialError(t, err, "proxy", tc.kind, p.addr())
			if de.URL.String() != target.String() {
				t.Errorf("DialError.URL = %v, want %v", de.URL, target)
			}
			if pe == nil {
				t.Fatalf("no *ProxyError in %v", err)
			}
			if pe.Proxy.String() != "http://"+p.addr() {
				t.Errorf("ProxyError.Proxy = %v, want http://%s", pe.Proxy, p.addr())
			}
			if pe.StatusCode != tc.status || string(pe.Body) != tc.body {
				t.Errorf("ProxyError status %d body %q, want %d %q", pe.StatusCode, pe.Body, tc.status, tc.body)
			}
			if tc.status == 403 && pe.Header.Get("X-Policy") != "no websockets" {
				t.Errorf("ProxyError.Header = %v, want the 403's", pe.Header)
			}
			if tc.kind == KindProxyTimeout {
				if !de.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Timeout() = %v, errors.Is(DeadlineExceeded) = %v, want both true",
						de.Timeout(), errors.Is(err, context.DeadlineExceeded))
				}
			}
		})
	}
}

func TestDialProxyHTTPS(t *testing.T) {
	checkNoLeaks(t)
	_, target := echoServer(t, nil)
	cert := proxyCert(t)
	p := startHTTPProxy(t, func(ln net.Listener) net.Listener {
		return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	}, nil)
	pu := p.url("https", nil)

	t.Run("RootCAs", func(t *testing.T) {
		before := len(p.requests())
		c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(pu), TLSConfig: &tls.Config{RootCAs: cert.Pool}})
		checkEcho(t, c, "through an https proxy")
		reqs := p.requests()[before:]
		if len(reqs) != 1 || reqs[0].target() != target.Host {
			t.Errorf("the proxy read %+v, want one CONNECT to %s", reqs, target.Host)
		}
	})

	t.Run("TrustedCertificates", func(t *testing.T) {
		c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(pu), TrustedCertificates: []*x509.Certificate{cert.TLS.Leaf}})
		checkEcho(t, c, "through a trusted https proxy")
	})

	t.Run("untrusted", func(t *testing.T) {
		before := len(p.requests())
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(pu)})
		_, pe := proxyDialError(t, err, "proxy", KindTLSCertificate, p.addr())
		var ce *CertificateError
		if !errors.As(err, &ce) {
			t.Fatalf("Dial error %v holds no *CertificateError", err)
		}
		if ce.ServerName != "127.0.0.1" || len(ce.Chain) != 1 || !ce.Chain[0].Equal(cert.TLS.Leaf) {
			t.Errorf("CertificateError names %q with %d certificates, want the proxy's", ce.ServerName, len(ce.Chain))
		}
		if !ce.Has(CertSelfSigned) && !ce.Has(CertUnknownAuthority) {
			t.Errorf("CertificateError problems %v, want self-signed or unknown authority", ce)
		}
		if pe != nil {
			t.Errorf("a *ProxyError %v wraps the certificate failure", pe)
		}
		if n := len(p.requests()) - before; n != 0 {
			t.Errorf("the proxy read %d requests over an untrusted connection", n)
		}
	})
}

func TestDialProxyWSSTarget(t *testing.T) {
	checkNoLeaks(t)
	cert := proxyCert(t)
	_, target := echoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	if target.Scheme != "wss" {
		t.Fatalf("server URL %v, want wss", target)
	}
	p := startHTTPProxy(t, nil, nil)
	c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("http", nil)), TLSConfig: &tls.Config{RootCAs: cert.Pool}})
	checkEcho(t, c, "TLS inside the tunnel")
	reqs := p.requests()
	if len(reqs) != 1 || reqs[0].target() != target.Host {
		t.Fatalf("the proxy read %+v, want one CONNECT to %s", reqs, target.Host)
	}
	// RFC 8446 §5.1: a TLS record of type 22 (handshake) opens the tunnel.
	if reqs[0].first != 22 {
		t.Errorf("first byte in the tunnel = %d, want 22, a TLS handshake record", reqs[0].first)
	}
}

func TestDialProxySOCKS5(t *testing.T) {
	checkNoLeaks(t)
	_, target := echoServer(t, nil)
	port, _ := strconv.Atoi(target.Port())

	t.Run("no authentication", func(t *testing.T) {
		p := startSOCKSProxy(t, "", "", 0)
		c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5", nil))})
		checkEcho(t, c, "through SOCKS5")
		reqs := p.requests()
		want := socksRequest{methods: []byte{0}, atyp: 1, host: "127.0.0.1", port: port}
		if len(reqs) != 1 || !equalSOCKS(reqs[0], want) {
			t.Errorf("the proxy read %+v, want %+v", reqs, want)
		}
	})

	t.Run("username and password", func(t *testing.T) {
		p := startSOCKSProxy(t, "bob", "hunter2", 0)
		c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5h", url.UserPassword("bob", "hunter2")))})
		checkEcho(t, c, "through SOCKS5 with a password")
		reqs := p.requests()
		want := socksRequest{methods: []byte{0, 2}, user: "bob", pass: "hunter2", atyp: 1, host: "127.0.0.1", port: port}
		if len(reqs) != 1 || !equalSOCKS(reqs[0], want) {
			t.Errorf("the proxy read %+v, want %+v", reqs, want)
		}
	})

	t.Run("no credentials", func(t *testing.T) {
		p := startSOCKSProxy(t, "bob", "hunter2", 0)
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5", nil))})
		proxyDialError(t, err, "proxy", KindProxyAuthRequired, p.addr())
	})

	t.Run("wrong password, ProxyAuth answers", func(t *testing.T) {
		p := startSOCKSProxy(t, "bob", "hunter2", 0)
		a := &proxyAuthLog{user: "bob", pass: "hunter2", ok: true}
		c := mustDialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5", url.UserPassword("bob", "hunter3"))), ProxyAuth: a.auth})
		checkEcho(t, c, "after the second SOCKS5 try")
		ch := a.once(t)
		if !ch.Proxy || ch.Scheme != "SOCKS5" || ch.Realm != "" || ch.Header != nil || ch.URL.String() != "socks5://"+p.addr() {
			t.Errorf("challenge %+v, want a SOCKS5 one from socks5://%s", ch, p.addr())
		}
		reqs := p.requests()
		if len(reqs) != 2 || reqs[0].pass != "hunter3" || reqs[1].pass != "hunter2" {
			t.Errorf("the proxy read %+v, want the wrong password then the right one", reqs)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		p := startSOCKSProxy(t, "bob", "hunter2", 0)
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5", url.UserPassword("bob", "hunter3")))})
		_, pe := proxyDialError(t, err, "proxy", KindProxyAuthRequired, p.addr())
		if pe == nil || pe.Reply != 0 || pe.StatusCode != 0 {
			t.Errorf("ProxyError = %+v, want one without reply code or status", pe)
		}
	})

	t.Run("connection refused reply", func(t *testing.T) {
		p := startSOCKSProxy(t, "", "", 5)
		_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5", nil))})
		_, pe := proxyDialError(t, err, "proxy", KindProxyRefused, p.addr())
		if pe == nil {
			t.Fatalf("no *ProxyError in %v", err)
		}
		if pe.Reply != 5 || pe.StatusCode != 0 || pe.Header != nil {
			t.Errorf("ProxyError Reply %d StatusCode %d Header %v, want 5, 0, nil", pe.Reply, pe.StatusCode, pe.Header)
		}
		if pe.Proxy.String() != "socks5://"+p.addr() {
			t.Errorf("ProxyError.Proxy = %v", pe.Proxy)
		}
	})
}

func equalSOCKS(a, b socksRequest) bool {
	return slices.Equal(a.methods, b.methods) && a.user == b.user && a.pass == b.pass &&
		a.atyp == b.atyp && a.host == b.host && a.port == b.port
}

// clearProxyEnvironment empties every variable ProxyFromEnvironment reads,
// for the rest of the test.
func clearProxyEnvironment(t *testing.T) {
	for _, name := range []string{
		"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
		"NO_PROXY", "no_proxy", "REQUEST_METHOD",
	} {
		t.Setenv(name, "")
	}
}

// mappingNetDial is a Dialer.NetDial that reaches unresolvableHost at
// 127.0.0.1 and records the addresses it was asked for.
type mappingNetDial struct {
	mu    sync.Mutex
	addrs []string
}

func (m *mappingNetDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	m.mu.Lock()
	m.addrs = append(m.addrs, addr)
	m.mu.Unlock()
	if host, port, err := net.SplitHostPort(addr); err == nil && host == unresolvableHost {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (m *mappingNetDial) dialed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.addrs)
}

// TestDialProxyEnvironment checks that a nil Dialer.Proxy follows the
// environment. Not parallel: it sets environment variables.
func TestDialProxyEnvironment(t *testing.T) {
	checkNoLeaks(t)
	clearProxyEnvironment(t)
	_, direct := echoServer(t, nil)
	cert := proxyCert(t)
	_, secure := echoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	named := "ws://" + net.JoinHostPort(unresolvableHost, direct.Port()) + "/"
	namedSecure := "wss://" + net.JoinHostPort(unresolvableHost, secure.Port()) + "/"
	namedAddr := net.JoinHostPort(unresolvableHost, direct.Port())
	p := startHTTPProxy(t, nil, nil)
	s := startSOCKSProxy(t, "", "", 0)

	// newRequests returns the proxy's requests since the last call.
	seen := 0
	newRequests := func() []connectRequest {
		reqs := p.requests()[seen:]
		seen += len(reqs)
		return reqs
	}
	wantConnect := func(t *testing.T, target string) {
		t.Helper()
		reqs := newRequests()
		if len(reqs) != 1 || reqs[0].target() != target {
			t.Errorf("the HTTP proxy read %+v, want one CONNECT to %s", reqs, target)
		}
	}
	wantNoConnect := func(t *testing.T) {
		t.Helper()
		if reqs := newRequests(); len(reqs) != 0 {
			t.Errorf("the HTTP proxy read %+v, want nothing", reqs)
		}
	}

	t.Run("HTTP_PROXY", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://"+p.addr())
		checkEcho(t, mustDialVia(t, named, nil), "HTTP_PROXY")
		wantConnect(t, namedAddr)
	})

	t.Run("http_proxy without a scheme", func(t *testing.T) {
		t.Setenv("http_proxy", p.addr())
		checkEcho(t, mustDialVia(t, named, &Dialer{}), "http_proxy")
		wantConnect(t, namedAddr)
	})

	t.Run("ALL_PROXY socks5h", func(t *testing.T) {
		t.Setenv("ALL_PROXY", "socks5h://"+s.addr())
		checkEcho(t, mustDialVia(t, named, nil), "ALL_PROXY")
		reqs := s.requests()
		if len(reqs) != 1 || reqs[0].atyp != 3 || reqs[0].host != unresolvableHost || strconv.Itoa(reqs[0].port) != direct.Port() {
			t.Errorf("the SOCKS5 proxy read %+v, want the name %s sent to resolve", reqs, unresolvableHost)
		}
		wantNoConnect(t)
	})

	t.Run("NO_PROXY", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://"+p.addr())
		t.Setenv("NO_PROXY", "localhost, "+unresolvableHost)
		_, err := dialVia(t, named, &Dialer{HandshakeTimeout: 5 * time.Second})
		proxyDialError(t, err, "dial", KindHostNotFound, namedAddr)
		var dns *net.DNSError
		if !errors.As(err, &dns) {
			t.Errorf("Dial error %v holds no *net.DNSError", err)
		}
		wantNoConnect(t)
	})

	t.Run("NoProxy", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://"+p.addr())
		t.Setenv("ALL_PROXY", "socks5://"+s.addr())
		var m mappingNetDial
		checkEcho(t, mustDialVia(t, named, &Dialer{Proxy: NoProxy, NetDial: m.dial}), "NoProxy")
		if got := m.dialed(); !slices.Equal(got, []string{namedAddr}) {
			t.Errorf("NetDial dialed %q, want only %s", got, namedAddr)
		}
		wantNoConnect(t)
	})

	t.Run("loopback targets", func(t *testing.T) {
		t.Setenv("HTTP_PROXY", "http://"+p.addr())
		t.Setenv("ALL_PROXY", "http://"+p.addr())
		for _, u := range []string{direct.String(), "ws://" + net.JoinHostPort("localhost", direct.Port()) + "/"} {
			checkEcho(t, mustDialVia(t, u, nil), "loopback "+u)
		}
		wantNoConnect(t)
	})

	t.Run("HTTPS_PROXY", func(t *testing.T) {
		t.Setenv("HTTPS_PROXY", "http://"+p.addr())
		var m mappingNetDial
		d := &Dialer{NetDial: m.dial, TrustedCertificates: []*x509.Certificate{cert.TLS.Leaf}}
		checkEcho(t, mustDialVia(t, namedSecure, d), "HTTPS_PROXY, wss")
		wantConnect(t, net.JoinHostPort(unresolvableHost, secure.Port()))
		checkEcho(t, mustDialVia(t, named, d), "HTTPS_PROXY, ws")
		wantNoConnect(t)
		if got, want := m.dialed(), []string{p.addr(), namedAddr}; !slices.Equal(got, want) {
			t.Errorf("NetDial dialed %q, want %q: the proxy for wss, the server for ws", got, want)
		}
	})
}

// TestDialProxyChoice checks the Dialer.Proxy results Dial refuses.
func TestDialProxyChoice(t *testing.T) {
	checkNoLeaks(t)
	const target = "ws://" + unresolvableHost + "/"
	broken := errors.New("no proxy today")
	for _, tc := range []struct {
		name  string
		proxy func(*url.URL) (*url.URL, error)
		is    error
	}{
		{"error", func(*url.URL) (*url.URL, error) { return nil, broken }, broken},
		{"ftp", ProxyURL(&url.URL{Scheme: "ftp", Host: "127.0.0.1:21"}), nil},
		{"no host", ProxyURL(&url.URL{Scheme: "http"}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dialVia(t, target, &Dialer{Proxy: tc.proxy})
			proxyDialError(t, err, "proxy", KindInvalidInput, "")
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
}

// TestDialProxyErrorsHidePassword checks that no failure through a proxy
// whose URL holds a password shows the password.
func TestDialProxyErrorsHidePassword(t *testing.T) {
	checkNoLeaks(t)
	const password = "pw-0f-the-proxy"
	_, target := echoServer(t, nil)
	cert := proxyCert(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	user := url.UserPassword("carol", password)
	at := func(scheme, addr string) *url.URL { return &url.URL{Scheme: scheme, User: user, Host: addr} }

	for _, tc := range []struct {
		name  string
		proxy func(t *testing.T) *url.URL
		kind  ErrorKind
	}{
		{"not listening", func(*testing.T) *url.URL { return at("http", closed) }, KindProxyConnectionRefused},
		{"403", func(t *testing.T) *url.URL {
			return startHTTPProxy(t, nil, replyWith("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")).url("http", user)
		}, KindProxyRefused},
		{"407", func(t *testing.T) *url.URL {
			return startHTTPProxy(t, nil, replyWith("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n")).url("http", user)
		}, KindProxyAuthRequired},
		{"garbage", func(t *testing.T) *url.URL {
			return startHTTPProxy(t, nil, replyWith("HELLO\r\n\r\n")).url("http", user)
		}, KindProxyProtocol},
		{"untrusted https proxy", func(t *testing.T) *url.URL {
			return startHTTPProxy(t, func(ln net.Listener) net.Listener {
				return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
			}, nil).url("https", user)
		}, KindTLSCertificate},
		{"SOCKS5 refusal", func(t *testing.T) *url.URL {
			return startSOCKSProxy(t, "carol", password, 2).url("socks5", user)
		}, KindProxyRefused},
		{"SOCKS5 wrong password", func(t *testing.T) *url.URL {
			return startSOCKSProxy(t, "carol", "other", 0).url("socks5", user)
		}, KindProxyAuthRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pu := tc.proxy(t)
			_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(pu)})
			de, pe := proxyDialError(t, err, "proxy", tc.kind, pu.Host)
			if msg := err.Error(); strings.Contains(msg, password) {
				t.Errorf("error %q shows the password", msg)
			}
			if de.URL.User != nil {
				t.Errorf("DialError.URL %v has user-info", de.URL)
			}
			if pe != nil && pe.Proxy.User != nil {
				t.Errorf("ProxyError.Proxy %v has user-info", pe.Proxy)
			}
		})
	}
}

// TestDialProxySOCKS5UnusableCredentials dials through SOCKS5 with
// credentials RFC 1929 §2 cannot carry (1 to 255 bytes each): input the
// Dialer was given, which Dial should report as such.
func TestDialProxySOCKS5UnusableCredentials(t *testing.T) {
	checkNoLeaks(t)
	_, target := echoServer(t, nil)
	p := startSOCKSProxy(t, "bob", "hunter2", 0)
	for name, user := range map[string]*url.Userinfo{
		"no password":       url.User("bob"),
		"empty name":        url.UserPassword("", "hunter2"),
		"name too long":     url.UserPassword(strings.Repeat("b", 256), "hunter2"),
		"password too long": url.UserPassword("bob", strings.Repeat("h", 256)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := dialVia(t, target.String(), &Dialer{Proxy: ProxyURL(p.url("socks5", user))})
			proxyDialError(t, err, "proxy", KindInvalidInput, p.addr())
		})
	}
	// The proxy may have seen connections, but no bytes on them.
	for _, r := range p.requests() {
		if len(r.methods) != 0 {
			t.Errorf("the proxy read %+v, want nothing", r)
		}
	}
}
