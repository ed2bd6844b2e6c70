package websocket

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/leakcheck"
)

// errorLog collects what a Server hands to OnError, which may be called
// from several goroutines at once.
type errorLog struct {
	mu     sync.Mutex
	errs   []error
	notify chan struct{} // signalled after every error
}

func newErrorLog() *errorLog { return &errorLog{notify: make(chan struct{}, 1)} }

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// matching returns the reported *ServerErrors that ok accepts.
func (l *errorLog) matching(ok func(se *ServerError) bool) []*ServerError {
	var out []*ServerError
	for _, err := range l.all() {
		var se *ServerError
		if errors.As(err, &se) && ok(se) {
			out = append(out, se)
		}
	}
	return out
}

// await waits for a reported *ServerError that ok accepts, and returns it.
func (l *errorLog) await(t *testing.T, what string, ok func(se *ServerError) bool) *ServerError {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		if m := l.matching(ok); len(m) > 0 {
			return m[0]
		}
		select {
		case <-l.notify:
		case <-timer.C:
			t.Fatalf("no %s reported to OnError; reported: %v", what, l.all())
			return nil
		}
	}
}

// opIs accepts the *ServerErrors of operation op from remote address addr
// (any address when addr is "").
func opIs(op, addr string) func(se *ServerError) bool {
	return func(se *ServerError) bool {
		return se.Op == op && (addr == "" || se.RemoteAddr == addr)
	}
}

// watchServer collects s's errors, closes s when the test ends and then
// checks that every reported error was a *ServerError naming its operation
// and, for errors about a client, the client's address.
func watchServer(t *testing.T, s *Server) *errorLog {
	t.Helper()
	errs := newErrorLog()
	s.OnError = errs.add
	t.Cleanup(func() {
		for _, err := range errs.all() {
			var se *ServerError
			switch {
			case !errors.As(err, &se):
				t.Errorf("OnError got %T %v, want a *ServerError", err, err)
			case se.Op == "":
				t.Errorf("OnError got %v without Op", se)
			case se.Op != "accept" && se.Op != "http" && se.RemoteAddr == "":
				t.Errorf("OnError got %v (Op %q) without RemoteAddr", se, se.Op)
			}
		}
	})
	t.Cleanup(func() { s.Close() })
	return errs
}

// listenServer starts s on a free loopback port, closed when the test ends.
func listenServer(t *testing.T, s *Server) *errorLog {
	t.Helper()
	errs := watchServer(t, s)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return errs
}

// serverURL returns s's URL as a string.
func serverURL(t *testing.T, s *Server) string {
	t.Helper()
	u := s.URL()
	if u == nil {
		t.Fatal("URL() = nil on a listening server")
	}
	return u.String()
}

// dialServer dials url; the client is aborted when the test ends.
func dialServer(t *testing.T, url string, opts *DialOptions) *Conn {
	t.Helper()
	c, err := Dial(testContext(t), url, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", url, err)
	}
	t.Cleanup(c.Abort)
	return c
}

// serverEcho is a Handle that sends every message back, until the
// connection ends.
func serverEcho(c *Conn) {
	ctx := context.Background()
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, p); err != nil {
			return
		}
	}
}

// checkEcho sends msg on c and expects it back.
func checkEcho(t *testing.T, c *Conn, msg string) {
	t.Helper()
	ctx := testContext(t)
	if err := c.WriteText(ctx, msg); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	typ, p, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read the echo of %q: %v", msg, err)
	}
	if typ != MessageText || string(p) != msg {
		t.Fatalf("echo = %v %q, want text %q", typ, p, msg)
	}
}

// eventually waits up to testTimeout for cond to hold.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still false after %v", what, testTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// handshakeStatus expects Dial's error to be a *HandshakeError and returns
// its status.
func handshakeStatus(t *testing.T, err error) int {
	t.Helper()
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("Dial error = %v (%T), want a *HandshakeError", err, err)
	}
	return he.StatusCode
}

// padHeaders adds n bytes of X-Pad-i headers of about 1000 bytes each to
// a handshakeRequest.
func padHeaders(n int) func(method, proto *string, h map[string]string) {
	return func(method, proto *string, h map[string]string) {
		for i := 0; n > 0; i++ {
			name := fmt.Sprintf("X-Pad-%d", i)
			size := min(n, 1000) - len(name) - len(": \r\n")
			h[name] = strings.Repeat("p", max(size, 1))
			n -= min(n, 1000)
		}
	}
}

// waitClientDropped reads nc until the server closes it, up to 5 s after
// start, and returns how long that took from start.
func waitClientDropped(t *testing.T, nc net.Conn, start time.Time) time.Duration {
	t.Helper()
	nc.SetReadDeadline(start.Add(5 * time.Second))
	buf := make([]byte, 512)
	for {
		_, err := nc.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the server has not dropped the client %v after it connected", time.Since(start).Round(time.Millisecond))
		}
		if err != nil {
			return time.Since(start)
		}
	}
}

// 1. A Server with only Handle set listens, reports its address and URL,
// and serves.
func TestServerListenZeroValue(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{Handle: serverEcho}
	if s.Addr() != nil || s.URL() != nil {
		t.Fatalf("before Listen: Addr() = %v, URL() = %v, want nil", s.Addr(), s.URL())
	}
	listenServer(t, s)

	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok || addr.Port == 0 || !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("Addr() = %v, want 127.0.0.1 with a non-zero port", s.Addr())
	}
	want := fmt.Sprintf("ws://127.0.0.1:%d/", addr.Port)
	if got := serverURL(t, s); got != want {
		t.Fatalf("URL() = %s, want %s", got, want)
	}

	c := dialServer(t, want, nil)
	checkEcho(t, c, "hello")
	checkEcho(t, c, "again")
	eventually(t, "ConnCount() == 1", func() bool { return s.ConnCount() == 1 })
	conns := s.Conns()
	if len(conns) != 1 || conns[0].RemoteAddr().String() != c.LocalAddr().String() {
		t.Errorf("Conns() = %v, want the server end of the client from %v", conns, c.LocalAddr())
	}
}

// 1. With TLSConfig set, URL is wss.
func TestServerURLSchemeWithTLS(t *testing.T) {
	checkNoLeaks(t)
	cfg, _ := serverTLSConfig(t)
	s := &Server{Handle: serverEcho, TLSConfig: cfg}
	listenServer(t, s)
	u := s.URL()
	if u == nil || u.Scheme != "wss" || u.Host != s.Addr().String() || u.Path != "/" {
		t.Fatalf("URL() = %v, want wss://%v/", u, s.Addr())
	}
}

// 2. Without Handle, connections wait in a queue of MaxPending for Accept;
// handshakes beyond it are refused with 503 and reported.
func TestServerAcceptQueue(t *testing.T) {
	checkNoLeaks(t)
	const maxPending = 30
	s := &Server{MaxPending: maxPending}
	errs := listenServer(t, s)
	url := serverURL(t, s)

	clients := make(map[string]*Conn)
	for i := range maxPending {
		c := dialServer(t, url, nil)
		clients[c.LocalAddr().String()] = c
		if p := s.Pending(); p > i+1 {
			t.Fatalf("Pending() = %d after %d clients", p, i+1)
		}
	}
	eventually(t, "Pending() == 30", func() bool { return s.Pending() == maxPending })
	if n := s.ConnCount(); n != maxPending {
		t.Errorf("ConnCount() = %d, want the %d queued connections", n, maxPending)
	}

	// The 31st is refused.
	c, err := Dial(testContext(t), url, nil)
	if err == nil {
		c.Abort()
		t.Fatal("Dial beyond MaxPending succeeded")
	}
	if status := handshakeStatus(t, err); status != http.StatusServiceUnavailable {
		t.Fatalf("Dial beyond MaxPending: status %d, want 503", status)
	}
	se := errs.await(t, "queue full error", opIs("queue", ""))
	if !errors.Is(se, ErrQueueFull) || se.Status != http.StatusServiceUnavailable || se.RemoteAddr == "" {
		t.Errorf("reported %#v, want ErrQueueFull with Status 503 and the client's address", se)
	}
	if p := s.Pending(); p != maxPending {
		t.Errorf("Pending() = %d after a refused handshake, want %d", p, maxPending)
	}

	// Accept takes one, which works; then there is room for one more.
	sc, err := s.Accept(testContext(t))
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	client := clients[sc.RemoteAddr().String()]
	if client == nil {
		t.Fatalf("Accept returned a connection from %v, which is no client of the test", sc.RemoteAddr())
	}
	if p := s.Pending(); p != maxPending-1 {
		t.Errorf("Pending() = %d after Accept, want %d", p, maxPending-1)
	}
	ctx := testContext(t)
	if err := sc.WriteText(ctx, "from the server"); err != nil {
		t.Fatalf("write on the accepted connection: %v", err)
	}
	if _, p, err := client.Read(ctx); err != nil || string(p) != "from the server" {
		t.Fatalf("client read %q, %v", p, err)
	}

	late := dialServer(t, url, nil)
	eventually(t, "Pending() back to 30", func() bool { return s.Pending() == maxPending })
	if n := len(errs.matching(opIs("queue", ""))); n != 1 {
		t.Errorf("%d queue errors reported, want 1", n)
	}

	// After Close, Accept fails at once, even with connections queued.
	s.Close()
	if c, err := s.Accept(testContext(t)); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Accept after Close = %v, %v, want ErrServerClosed", c, err)
	}
	if _, _, err := late.Read(testContext(t)); err == nil {
		t.Error("a queued client survived Close")
	}
}

// 2. Accept on an empty queue waits for its context or for the server to
// close.
func TestServerAcceptEmptyQueue(t *testing.T) {
	tests := []struct {
		name string
		ctx  func() context.Context
		// closeAfter closes the server after the given delay, or before
		// Accept when negative; zero leaves it open.
		closeAfter time.Duration
		want       error
	}{
		{name: "cancelled ctx", ctx: func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, want: context.Canceled},
		{name: "ctx deadline", ctx: func() context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, want: context.DeadlineExceeded},
		{name: "closed while waiting", ctx: func() context.Context { return testContext(t) }, closeAfter: 50 * time.Millisecond, want: ErrServerClosed},
		{name: "closed before", ctx: func() context.Context { return testContext(t) }, closeAfter: -1, want: ErrServerClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{}
			listenServer(t, s)
			var timer *time.Timer
			switch {
			case tt.closeAfter < 0:
				s.Close()
			case tt.closeAfter > 0:
				timer = time.AfterFunc(tt.closeAfter, func() { s.Close() })
				defer timer.Stop()
			}
			type result struct {
				c   *Conn
				err error
			}
			done := make(chan result, 1)
			go func() {
				c, err := s.Accept(tt.ctx())
				done <- result{c, err}
			}()
			select {
			case r := <-done:
				if !errors.Is(r.err, tt.want) || r.c != nil {
					t.Errorf("Accept = %v, %v, want %v", r.c, r.err, tt.want)
				}
			case <-time.After(testTimeout):
				s.Close()
				t.Fatalf("Accept still blocked after %v, want %v", testTimeout, tt.want)
			}
		})
	}
}

// 3. A paused server leaves new clients waiting, keeps serving open
// connections, and takes the waiting clients when it resumes.
func TestServerPauseAccepting(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{Handle: serverEcho}
	listenServer(t, s)
	url := serverURL(t, s)
	addr := s.Addr().String()

	open := dialServer(t, url, nil)
	checkEcho(t, open, "before the pause")

	s.PauseAccepting()
	s.PauseAccepting() // twice is harmless

	// A client cannot complete its handshake while paused.
	if c, err := Dial(testContext(t), url, &DialOptions{HandshakeTimeout: 300 * time.Millisecond}); err == nil {
		c.Abort()
		t.Fatal("Dial succeeded on a paused server")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial on a paused server: %v, want its handshake timeout", err)
	}
	// A raw client connects (the kernel queues it) and sends its request.
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	if _, err := io.WriteString(raw, handshakeRequest(addr, nil)); err != nil {
		t.Fatal(err)
	}
	raw.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	br := bufio.NewReader(raw)
	if line, err := br.ReadString('\n'); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a paused server answered %q, %v", line, err)
	}

	// Open connections keep working.
	checkEcho(t, open, "during the pause")

	s.ResumeAccepting()
	s.ResumeAccepting()

	// The client that connected meanwhile gets its answer.
	raw.SetReadDeadline(time.Now().Add(testTimeout))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("waiting client after ResumeAccepting: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("waiting client after ResumeAccepting: status %d, want 101", resp.StatusCode)
	}

	c := dialServer(t, url, nil)
	checkEcho(t, c, "after the pause")
	checkEcho(t, open, "still open")

	// Pausing again works as the first time.
	s.PauseAccepting()
	if c, err := Dial(testContext(t), url, &DialOptions{HandshakeTimeout: 300 * time.Millisecond}); err == nil {
		c.Abort()
		t.Fatal("Dial succeeded on a server paused a second time")
	}
	s.ResumeAccepting()
	checkEcho(t, dialServer(t, url, nil), "after the second pause")
}

// 3. A server paused before it listens takes no client until resumed; a
// server closed while paused drops the clients that wait and leaves no
// goroutine behind.
func TestServerPausedBeforeListen(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{Handle: serverEcho}
	s.PauseAccepting()
	listenServer(t, s)
	url := serverURL(t, s)
	if c, err := Dial(testContext(t), url, &DialOptions{HandshakeTimeout: 300 * time.Millisecond}); err == nil {
		c.Abort()
		t.Fatal("Dial succeeded on a server paused before Listen")
	}
	s.ResumeAccepting()
	checkEcho(t, dialServer(t, url, nil), "resumed")

	// Closed while paused, with a client waiting.
	s.PauseAccepting()
	start := time.Now()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := io.WriteString(nc, handshakeRequest(s.Addr().String(), nil)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	waitClientDropped(t, nc, start)
}

// 4. A client that trickles its request is dropped at HandshakeTimeout
// and reported, while other clients are served.
func TestServerSlowloris(t *testing.T) {
	checkNoLeaks(t)
	const timeout = 300 * time.Millisecond
	s := &Server{Handle: serverEcho, HandshakeTimeout: timeout}
	errs := listenServer(t, s)
	addr := s.Addr().String()

	start := time.Now()
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slow.Close() })
	if _, err := io.WriteString(slow, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		header := "X-Slow: " + strings.Repeat("s", 100)
		for i := range 100 { // at most 5 s
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := slow.Write([]byte{header[i%len(header)]}); err != nil {
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(stop)

	// Meanwhile, a normal client is served.
	c := dialServer(t, serverURL(t, s), nil)
	checkEcho(t, c, "next to a slow client")

	took := waitClientDropped(t, slow, start)
	if took < timeout {
		t.Errorf("slow client dropped after %v, before HandshakeTimeout %v", took, timeout)
	}
	se := errs.await(t, "handshake error for the slow client", opIs("handshake", slow.LocalAddr().String()))
	if !errors.Is(se, ErrHandshakeIncomplete) {
		t.Errorf("reported %v, want ErrHandshakeIncomplete", se)
	}
	checkEcho(t, c, "after the slow client")
}

// 4. A negative HandshakeTimeout lets clients take their time.
func TestServerHandshakeTimeoutDisabled(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{Handle: serverEcho, HandshakeTimeout: -1}
	errs := listenServer(t, s)
	addr := s.Addr().String()

	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if _, err := io.WriteString(nc, "GET / HTTP/1.1\r\nHost: "+addr+"\r\n"); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(600 * time.Millisecond))
	var buf [64]byte
	if n, err := nc.Read(buf[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("half a request: the server ended it after less than 600 ms: %q, %v", buf[:n], err)
	}
	// The client goes away: that is reported, though not as a timeout.
	local := nc.LocalAddr().String()
	nc.Close()
	se := errs.await(t, "handshake error for the client that went away", opIs("handshake", local))
	if !errors.Is(se, ErrHandshakeIncomplete) || strings.Contains(se.Error(), "HandshakeTimeout") {
		t.Errorf("reported %v, want ErrHandshakeIncomplete without a timeout", se)
	}
}

// TestServerHandshakeTimeoutSetting checks the deadlines HandshakeTimeout
// gives the server's HTTP side: the default when zero, none when negative.
// TestServerHandshakeTimeoutDisabled cannot tell "none" from the 10 s
// default without waiting 10 s; this can.
func TestServerHandshakeTimeoutSetting(t *testing.T) {
	tests := []struct {
		set, want time.Duration
	}{
		{0, DefaultServerHandshakeTimeout},
		{-1, 0},
		{-time.Second, 0},
		{250 * time.Millisecond, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		s := &Server{HandshakeTimeout: tt.set}
		s.init()
		if s.http.ReadHeaderTimeout != tt.want || s.http.IdleTimeout != tt.want {
			t.Errorf("HandshakeTimeout %v: header timeout %v, idle timeout %v; want %v",
				tt.set, s.http.ReadHeaderTimeout, s.http.IdleTimeout, tt.want)
		}
	}
}

// 5. Handshakes whose head exceeds MaxHeaderBytes are answered 431.
func TestServerHeaderLimit(t *testing.T) {
	tests := []struct {
		name           string
		maxHeaderBytes int
		pad            int
		status         int
		reported       bool // ServeHTTP reports the 431 with its status
	}{
		{name: "default limit, 6 KiB", pad: 6 << 10, status: 101},
		{name: "default limit, 9 KiB", pad: 9 << 10, status: 431, reported: true},
		{name: "default limit, 16 KiB", pad: 16 << 10, status: 431},
		{name: "2 KiB limit, 1 KiB", maxHeaderBytes: 2 << 10, pad: 1 << 10, status: 101},
		{name: "2 KiB limit, 3 KiB", maxHeaderBytes: 2 << 10, pad: 3 << 10, status: 431, reported: true},
		{name: "32 KiB limit, 20 KiB", maxHeaderBytes: 32 << 10, pad: 20 << 10, status: 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{Handle: serverEcho, MaxHeaderBytes: tt.maxHeaderBytes}
			errs := listenServer(t, s)
			addr := s.Addr().String()
			resp, body := rawRequest(t, addr, handshakeRequest(addr, padHeaders(tt.pad)))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			if tt.reported {
				se := errs.await(t, "431", opIs("handshake", ""))
				if se.Status != http.StatusRequestHeaderFieldsTooLarge {
					t.Errorf("reported %v with status %d, want 431", se, se.Status)
				}
			}
		})
	}
}

// 6. Cross-origin handshakes are refused unless OriginPatterns or
// CheckOrigin allow them.
func TestServerOrigin(t *testing.T) {
	tests := []struct {
		name      string
		opts      func(o *AcceptOptions)
		origin    string // %s is the server's address
		refused   bool
		checkSeen bool // CheckOrigin must have been asked
	}{
		{name: "default, cross origin", origin: "http://evil.example", refused: true},
		{name: "default, same origin", origin: "http://%s"},
		{name: "default, no origin"},
		{name: "pattern matches", opts: func(o *AcceptOptions) { o.OriginPatterns = []string{"*.example"} }, origin: "http://evil.example"},
		{name: "pattern does not match", opts: func(o *AcceptOptions) { o.OriginPatterns = []string{"*.example"} }, origin: "http://evil.test", refused: true},
		{name: "CheckOrigin allows", opts: func(o *AcceptOptions) {
			o.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "http://friend.example" }
		}, origin: "http://friend.example", checkSeen: true},
		{name: "CheckOrigin refuses", opts: func(o *AcceptOptions) {
			o.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "http://friend.example" }
		}, origin: "http://evil.example", refused: true, checkSeen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{Handle: serverEcho}
			if tt.opts != nil {
				tt.opts(&s.AcceptOptions)
			}
			var asked atomic.Bool
			if check := s.CheckOrigin; check != nil {
				s.CheckOrigin = func(r *http.Request) bool {
					asked.Store(true)
					return check(r)
				}
			}
			errs := listenServer(t, s)
			origin := tt.origin
			if strings.Contains(origin, "%s") {
				origin = fmt.Sprintf(origin, s.Addr())
			}
			c, err := Dial(testContext(t), serverURL(t, s), &DialOptions{Origin: origin})
			if tt.checkSeen && !asked.Load() {
				t.Error("CheckOrigin was not called")
			}
			if !tt.refused {
				if err != nil {
					t.Fatalf("Dial with Origin %q: %v", origin, err)
				}
				t.Cleanup(c.Abort)
				checkEcho(t, c, "from "+origin)
				return
			}
			if err == nil {
				c.Abort()
				t.Fatalf("Dial with Origin %q succeeded, want 403", origin)
			}
			if status := handshakeStatus(t, err); status != http.StatusForbidden {
				t.Errorf("status %d, want 403", status)
			}
			se := errs.await(t, "refused origin", opIs("handshake", ""))
			if se.Status != http.StatusForbidden {
				t.Errorf("reported %v with status %d, want 403", se, se.Status)
			}
		})
	}
}

// 7. Shutdown runs the close handshake with every client, with
// CloseGoingAway, and waits for the Handle functions.
func TestServerShutdown(t *testing.T) {
	checkNoLeaks(t)
	const clients = 100
	var started, running atomic.Int32
	s := &Server{Handle: func(c *Conn) {
		started.Add(1)
		running.Add(1)
		defer running.Add(-1)
		serverEcho(c)
		time.Sleep(50 * time.Millisecond) // some cleanup, which Shutdown waits for
	}}
	listenServer(t, s)
	url := serverURL(t, s)

	results := make(chan error, clients)
	for range clients {
		c := dialServer(t, url, nil)
		go func() {
			_, _, err := c.Read(testContext(t))
			results <- err
		}()
	}
	eventually(t, "100 Handle calls", func() bool { return started.Load() == clients })
	if n := s.ConnCount(); n != clients {
		t.Fatalf("ConnCount() = %d, want %d", n, clients)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The close handshakes completed: none waited for CloseTimeout.
	if took := time.Since(start); took >= DefaultCloseTimeout {
		t.Errorf("Shutdown took %v, at least CloseTimeout", took)
	}
	if n := running.Load(); n != 0 {
		t.Errorf("%d Handle calls still running after Shutdown", n)
	}
	if n := s.ConnCount(); n != 0 {
		t.Errorf("ConnCount() = %d after Shutdown, want 0", n)
	}
	timeout := time.After(testTimeout)
	for i := range clients {
		select {
		case err := <-results:
			if code := CloseStatus(err); code != CloseGoingAway {
				t.Fatalf("client %d: Read = %v, close status %v, want %v", i, err, code, CloseGoingAway)
			}
		case <-timeout:
			t.Fatalf("only %d of %d clients saw the close", i, clients)
		}
	}

	if err := s.Listen("127.0.0.1:0"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Listen after Shutdown = %v, want ErrServerClosed", err)
	}
	if c, err := Dial(testContext(t), url, nil); err == nil {
		c.Abort()
		t.Error("Dial succeeded after Shutdown")
	}
}

// 7. Shutdown waits for the close handshakes of connections that Run
// drives outside Handle, from the Accept queue, as for the others.
func TestServerShutdownWaitsForRun(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{}
	listenServer(t, s)
	client := dialServer(t, serverURL(t, s), nil)
	c, err := s.Accept(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(t)
	done := runAsync(testContext(t), c, rec)
	clientErr := make(chan error, 1)
	go func() {
		_, _, err := client.Read(testContext(t))
		clientErr <- err
	}()
	if err := s.Shutdown(testContext(t)); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if st := c.State(); st != StateClosed {
		t.Errorf("state %v when Shutdown returned", st)
	}
	if err := awaitRun(t, done); CloseStatus(err) != CloseGoingAway {
		t.Errorf("Run returned %v, want the client's echo of 1001", err)
	}
	if err := <-clientErr; CloseStatus(err) != CloseGoingAway {
		t.Errorf("client read %v", err)
	}
}

// 7. A Shutdown whose context ends before a client answers the close frame
// drops the connection, returns the context's error and leaves nothing
// running.
func TestServerShutdownContextEnds(t *testing.T) {
	tests := []struct {
		name   string
		handle func(c *Conn) // nil: the queue
	}{
		{name: "Handle", handle: serverEcho},
		{name: "queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			var running atomic.Int32
			s := &Server{}
			if tt.handle != nil {
				s.Handle = func(c *Conn) {
					running.Add(1)
					defer running.Add(-1)
					tt.handle(c)
				}
			}
			listenServer(t, s)
			// A client that completes the handshake and never reads.
			nc, err := rawHandshake(s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { nc.Close() })
			eventually(t, "the connection is tracked", func() bool { return s.ConnCount() == 1 })

			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = s.Shutdown(ctx)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown = %v, want context.DeadlineExceeded", err)
			}
			if took >= DefaultCloseTimeout {
				t.Errorf("Shutdown took %v: it waited for CloseTimeout, not its context", took)
			}
			if n := s.ConnCount(); n != 0 {
				t.Errorf("ConnCount() = %d after Shutdown, want 0", n)
			}
			if n := running.Load(); n != 0 {
				t.Errorf("%d Handle calls still running after Shutdown", n)
			}
			// The client got the close frame, then the connection dropped.
			raw := &rawClientConn{Conn: nc, br: bufio.NewReader(nc)}
			if code, _ := raw.readClose(t); CloseCode(code) != CloseGoingAway {
				t.Errorf("close frame with code %d, want %d", code, CloseGoingAway)
			}
			if _, err := io.Copy(io.Discard, raw.br); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Error("the connection is still open after Shutdown")
			}
		})
	}
}

// 8. Close drops every connection at once and ends Serve and Listen.
func TestServerClose(t *testing.T) {
	checkNoLeaks(t)
	handled := make(chan struct{}, 2)
	s := &Server{Handle: func(c *Conn) {
		serverEcho(c)
		handled <- struct{}{}
	}}
	listenServer(t, s)
	listenURL := serverURL(t, s)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()

	ctx := testContext(t)
	a := dialServer(t, listenURL, nil)
	b := dialServer(t, "ws://"+ln.Addr().String()+"/", nil)
	checkEcho(t, a, "via Listen")
	checkEcho(t, b, "via Serve")
	aErr, bErr := readErr(ctx, a), readErr(ctx, b)

	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := s.ConnCount(); n != 0 {
		t.Errorf("ConnCount() = %d after Close, want 0", n)
	}
	for name, ch := range map[string]<-chan error{"Listen client": aErr, "Serve client": bErr} {
		select {
		case err := <-ch:
			// Dropped: no close frame came.
			if code := CloseStatus(err); code != CloseAbnormal {
				t.Errorf("%s: Read = %v, close status %v, want %v", name, err, code, CloseAbnormal)
			}
		case <-time.After(testTimeout):
			t.Fatalf("%s: Read still blocked after Close", name)
		}
	}
	select {
	case err := <-served:
		if !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v after Close, want ErrServerClosed", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Serve still running after Close")
	}
	for i := range 2 {
		select {
		case <-handled:
		case <-time.After(testTimeout):
			t.Fatalf("%d of 2 Handle calls returned after Close", i)
		}
	}

	if err := s.Listen("127.0.0.1:0"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Listen after Close = %v, want ErrServerClosed", err)
	}
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	if err := s.Serve(ln2); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Close = %v, want ErrServerClosed", err)
	}
	if c, err := Dial(testContext(t), listenURL, nil); err == nil {
		c.Abort()
		t.Error("Dial succeeded after Close")
	}
	s.Close() // a second Close is harmless
}

// 8. Serve returns ErrServerClosed after Close, every time: Close must not
// let Serve see its listener closed before the server is marked closed.
func TestServerServeReturnsErrServerClosed(t *testing.T) {
	checkNoLeaks(t)
	const rounds = 20
	failures := 0
	var last error
	for range rounds {
		s := &Server{Handle: serverEcho}
		s.OnError = func(error) {}
		t.Cleanup(func() { s.Close() })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- s.Serve(ln) }()
		// Wait until Serve is accepting: a client is served.
		c := dialServer(t, "ws://"+ln.Addr().String()+"/", nil)
		checkEcho(t, c, "hi")
		s.Close()
		select {
		case err := <-served:
			if !errors.Is(err, ErrServerClosed) {
				failures++
				last = err
			}
		case <-time.After(testTimeout):
			t.Fatal("Serve still running after Close")
		}
	}
	if failures > 0 {
		t.Errorf("Serve returned %q instead of ErrServerClosed after Close in %d of %d rounds", last, failures, rounds)
	}
}

// 9. A server takes over a listening socket passed as a file, as systemd's
// socket activation passes it.
func TestServerListenFile(t *testing.T) {
	checkNoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // f holds a duplicate: the socket still listens
	s := &Server{Handle: serverEcho}
	watchServer(t, s)
	err = s.ListenFile(f)
	f.Close()
	if err != nil {
		t.Fatalf("ListenFile: %v", err)
	}
	if got := s.Addr(); got == nil || got.String() != addr {
		t.Errorf("Addr() = %v, want %s", got, addr)
	}
	c := dialServer(t, "ws://"+addr+"/", nil)
	checkEcho(t, c, "socket activated")
}

// 10. HandleConn serves connections accepted elsewhere, paused or not.
func TestServerHandleConn(t *testing.T) {
	checkNoLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	url := "ws://" + ln.Addr().String() + "/"
	s := &Server{Handle: serverEcho}
	watchServer(t, s)

	// handOver dials in the background, accepts the TCP connection from
	// ln and gives it to HandleConn; it returns the client.
	handOver := func() *Conn {
		t.Helper()
		dialed := make(chan *Conn, 1)
		dialErr := make(chan error, 1)
		go func() {
			c, err := Dial(testContext(t), url, nil)
			if err != nil {
				dialErr <- err
				return
			}
			dialed <- c
		}()
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.HandleConn(nc); err != nil {
			t.Fatalf("HandleConn: %v", err)
		}
		select {
		case c := <-dialed:
			t.Cleanup(c.Abort)
			return c
		case err := <-dialErr:
			t.Fatalf("Dial through HandleConn: %v", err)
		case <-time.After(testTimeout):
			t.Fatal("Dial through HandleConn did not complete")
		}
		return nil
	}

	c := handOver()
	checkEcho(t, c, "handed over")
	if s.Addr() != nil {
		t.Errorf("Addr() = %v for a server that does not listen, want nil", s.Addr())
	}
	// PauseAccepting does not stop HandleConn.
	s.PauseAccepting()
	c2 := handOver()
	checkEcho(t, c2, "handed over while paused")
	checkEcho(t, c, "first one still open")
	s.ResumeAccepting()

	// After Close, HandleConn refuses and closes the connection.
	s.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.HandleConn(nc); !errors.Is(err, ErrServerClosed) {
		nc.Close()
		t.Errorf("HandleConn after Close = %v, want ErrServerClosed", err)
	}
	client.SetReadDeadline(time.Now().Add(testTimeout))
	if _, err := client.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("HandleConn after Close left the connection open")
	}
}

// 11. A Server mounts in a mux; other requests get 426 or go to Fallback.
func TestServerServeHTTPInMux(t *testing.T) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	tests := []struct {
		name     string
		fallback http.Handler
		status   int
		body     string
	}{
		{name: "no Fallback", status: http.StatusUpgradeRequired},
		{name: "Fallback", fallback: hello, status: http.StatusOK, body: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			paths := make(chan string, 1)
			s := &Server{Fallback: tt.fallback, Handle: func(c *Conn) {
				paths <- c.URL().Path
				serverEcho(c)
			}}
			watchServer(t, s)
			mux := http.NewServeMux()
			mux.Handle("/ws", s)
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			addr := srv.Listener.Addr().String()

			c := dialServer(t, "ws://"+addr+"/ws", nil)
			checkEcho(t, c, "through a mux")
			if p := <-paths; p != "/ws" {
				t.Errorf("Handle got a connection for %q, want /ws", p)
			}

			resp, body := rawRequest(t, addr, "GET /ws HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
			if resp.StatusCode != tt.status {
				t.Errorf("plain GET: status %d, want %d (body %q)", resp.StatusCode, tt.status, body)
			}
			if tt.body != "" && body != tt.body {
				t.Errorf("plain GET: body %q, want %q", body, tt.body)
			}
			if tt.status == http.StatusUpgradeRequired && resp.Header.Get("Upgrade") != "websocket" {
				t.Errorf("426 answer without Upgrade: websocket: %v", resp.Header)
			}

			// WebSocket still works after the plain request.
			c2 := dialServer(t, "ws://"+addr+"/ws", nil)
			<-paths
			checkEcho(t, c2, "after a plain GET")

			// Once closed, the Server refuses handshakes; the mux goes on.
			s.Close()
			if _, _, err := c2.Read(testContext(t)); err == nil {
				t.Error("a connection survived Close")
			}
			c3, err := Dial(testContext(t), "ws://"+addr+"/ws", nil)
			if err == nil {
				c3.Abort()
				t.Fatal("Dial succeeded after Close")
			}
			if status := handshakeStatus(t, err); status != http.StatusServiceUnavailable {
				t.Errorf("Dial after Close: status %d, want 503", status)
			}
		})
	}
}

// 12. Name is sent as the Server header.
func TestServerName(t *testing.T) {
	tests := []struct{ name string }{{"wsx-test/1.0"}, {""}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("Name=%q", tt.name), func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{Name: tt.name, Handle: serverEcho}
			listenServer(t, s)
			addr := s.Addr().String()
			resp, _ := rawRequest(t, addr, handshakeRequest(addr, nil))
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake: status %d", resp.StatusCode)
			}
			if got := resp.Header.Values("Server"); tt.name == "" && len(got) != 0 || tt.name != "" && (len(got) != 1 || got[0] != tt.name) {
				t.Errorf("101 answer: Server headers %q, want %q", got, tt.name)
			}
			resp, _ = rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
			if resp.StatusCode != http.StatusUpgradeRequired {
				t.Fatalf("plain GET: status %d, want 426", resp.StatusCode)
			}
			if got := resp.Header.Get("Server"); got != tt.name {
				t.Errorf("426 answer: Server %q, want %q", got, tt.name)
			}
		})
	}
}

// 13. When Handle returns, its connection is closed normally; when it
// panics, the connection is dropped, the panic reported, and the server
// goes on.
func TestServerHandleEnds(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{Handle: func(c *Conn) {
		switch c.URL().Path {
		case "/return":
			return
		case "/panic":
			panic("boom")
		}
		serverEcho(c)
	}}
	errs := listenServer(t, s)
	base := "ws://" + s.Addr().String()

	c := dialServer(t, base+"/return", nil)
	if _, _, err := c.Read(testContext(t)); CloseStatus(err) != CloseNormal {
		t.Errorf("Handle returned: client Read = %v, want a close with %v", err, CloseNormal)
	}

	c = dialServer(t, base+"/panic", nil)
	if _, _, err := c.Read(testContext(t)); CloseStatus(err) != CloseAbnormal {
		t.Errorf("Handle panicked: client Read = %v, want the connection dropped (%v)", err, CloseAbnormal)
	}
	se := errs.await(t, "Handle's panic", opIs("handler", c.LocalAddr().String()))
	if !strings.Contains(se.Error(), "boom") {
		t.Errorf("reported %v, want the panic value", se)
	}

	c = dialServer(t, base+"/", nil)
	checkEcho(t, c, "after a panic")
	eventually(t, "ConnCount() == 1", func() bool { return s.ConnCount() == 1 })
}

// tempAcceptError is a temporary accept error, as EMFILE gives.
type tempAcceptError struct{}

func (tempAcceptError) Error() string   { return "fake temporary accept error" }
func (tempAcceptError) Timeout() bool   { return true }
func (tempAcceptError) Temporary() bool { return true }

// failingListener fails every Accept with a temporary error until closed.
type failingListener struct {
	calls atomic.Int32
	done  chan struct{}
	once  sync.Once
}

func (l *failingListener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	l.calls.Add(1)
	return nil, tempAcceptError{}
}

func (l *failingListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *failingListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

// 14. Temporary accept errors are retried after a growing pause, and
// reported.
func TestServerAcceptErrorBackoff(t *testing.T) {
	checkNoLeaks(t)
	s := &Server{Handle: serverEcho}
	errs := watchServer(t, s)
	ln := &failingListener{done: make(chan struct{})}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	time.Sleep(150 * time.Millisecond)
	calls := ln.calls.Load()
	if calls < 1 || calls > 10 {
		t.Errorf("%d Accept calls in 150 ms, want between 1 and 10", calls)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-served:
		if !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v after Close, want ErrServerClosed", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Serve still running after Close")
	}
	accepts := errs.matching(opIs("accept", ""))
	if len(accepts) == 0 {
		t.Fatalf("no accept error reported; reported: %v", errs.all())
	}
	for _, se := range accepts {
		if !errors.As(se, new(tempAcceptError)) {
			t.Errorf("accept error %v does not wrap the listener's error", se)
		}
	}
	if n := len(errs.matching(opIs("http", ""))); n != 0 {
		t.Errorf("net/http's accept log lines were reported too: %v", errs.all())
	}
}

// 4. A request that arrived and was answered is no incomplete handshake,
// even when the connection closes after the answer: ErrHandshakeIncomplete
// is for connections that close before their request arrives.
func TestServerNoHandshakeErrorAfterAnswer(t *testing.T) {
	tests := []struct {
		name    string
		request string // %s is the server's address
		status  int
		body    string
		// reports is how many handshake errors the request deserves.
		reports int
	}{
		{name: "Fallback, Connection: close", request: "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
			status: http.StatusOK, body: "hello"},
		{name: "HTTP/1.0 handshake", request: "GET / HTTP/1.0\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
			status: http.StatusBadRequest, reports: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{Handle: serverEcho, Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "hello")
			})}
			errs := listenServer(t, s)
			addr := s.Addr().String()

			before := leakcheck.Snapshot()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(testTimeout))
			io.WriteString(nc, fmt.Sprintf(tt.request, addr))
			br := bufio.NewReader(nc)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != tt.status || tt.body != "" && string(body) != tt.body {
				t.Fatalf("answer %d %q, %v; want %d %q", resp.StatusCode, body, err, tt.status, tt.body)
			}
			// The server closes the connection after its answer; wait for
			// its connection goroutine to end, after which every report
			// has been made.
			if _, err := br.ReadByte(); err == nil {
				t.Fatal("the server kept the connection open")
			}
			eventually(t, "the server's connection goroutine ended", func() bool {
				return leakcheck.Leaked([]string{"net/http.(*conn).serve"}, before, 0) == ""
			})
			reported := errs.matching(opIs("handshake", nc.LocalAddr().String()))
			if len(reported) != tt.reports {
				t.Errorf("%d handshake errors reported, want %d: %v", len(reported), tt.reports, reported)
			}
			for _, se := range reported {
				if errors.Is(se, ErrHandshakeIncomplete) {
					t.Errorf("a request that arrived and was answered %d was reported as %v", tt.status, se)
				}
			}
		})
	}
}

// 7. Once Shutdown has returned, no connection is counted any more, even
// when the application, not the server, was reading it when the close
// handshake ended. The window is narrow: the test tries many times.
func TestServerShutdownConnCountQueued(t *testing.T) {
	checkNoLeaks(t)
	const rounds = 500
	stale := 0
	var shutdownErr error // TestServerStopReturnsNil looks into these
	for range rounds {
		s := &Server{}
		s.OnError = func(error) {}
		t.Cleanup(func() { s.Close() })
		if err := s.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		c := dialServer(t, serverURL(t, s), nil)
		clientDone := readErr(testContext(t), c)
		sc, err := s.Accept(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		serverDone := readErr(testContext(t), sc) // the application reads
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		err = s.Shutdown(ctx)
		n := s.ConnCount()
		cancel()
		c.Abort()
		<-clientDone
		<-serverDone
		if err != nil && shutdownErr == nil {
			shutdownErr = err
		}
		if n != 0 {
			stale++
		}
	}
	if shutdownErr != nil {
		t.Errorf("Shutdown: %v", shutdownErr)
	}
	if stale > 0 {
		t.Errorf("ConnCount() > 0 right after Shutdown returned in %d of %d rounds", stale, rounds)
	}
}

// 7. Clients that have not sent their whole request do not make Shutdown
// claim success after its context has ended, nor outlive it: either
// Shutdown closes them and returns nil in time, or its context ends first,
// and it drops them and returns the context's error.
func TestServerShutdownIncompleteRequest(t *testing.T) {
	tests := []struct {
		name string
		send string
	}{
		{name: "silent"},
		{name: "half a request", send: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{Handle: serverEcho} // default HandshakeTimeout: 10 s
			listenServer(t, s)
			start := time.Now()
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := io.WriteString(nc, tt.send); err != nil {
				t.Fatal(err)
			}
			// Once a later client has been served, nc has been accepted.
			c := dialServer(t, serverURL(t, s), nil)
			c.Abort()
			eventually(t, "ConnCount() == 0", func() bool { return s.ConnCount() == 0 })

			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err = s.Shutdown(ctx)
			ended := ctx.Err()
			if err == nil && ended != nil {
				t.Errorf("Shutdown returned nil after its context ended (%v)", ended)
			}
			if err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown = %v, want nil or context.DeadlineExceeded", err)
			}
			waitClientDropped(t, nc, start)
		})
	}
}

// slowWakeListener is a listener whose Accept, once the listener is
// closed, takes a moment to return its error, as a loaded machine may.
type slowWakeListener struct{ net.Listener }

func (l slowWakeListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		time.Sleep(100 * time.Millisecond)
	}
	return nc, err
}

// 7, 8. Close and Shutdown return nil when closing the listeners went
// fine: that net/http closes them a second time is no error of the
// caller's.
func TestServerStopReturnsNil(t *testing.T) {
	tests := []struct {
		name string
		stop func(s *Server) error
	}{
		{name: "Close", stop: (*Server).Close},
		{name: "Shutdown", stop: func(s *Server) error {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			return s.Shutdown(ctx)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeaks(t)
			s := &Server{Handle: serverEcho}
			watchServer(t, s)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve(slowWakeListener{ln}) }()
			// Once a request is answered, Serve runs.
			addr := ln.Addr().String()
			if resp, _ := rawRequest(t, addr, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n"); resp.StatusCode != http.StatusUpgradeRequired {
				t.Fatalf("plain GET: status %d, want 426", resp.StatusCode)
			}
			if err := tt.stop(s); err != nil {
				t.Errorf("%s = %v, want nil", tt.name, err)
			}
			select {
			case err := <-served:
				if !errors.Is(err, ErrServerClosed) {
					t.Errorf("Serve returned %v after %s, want ErrServerClosed", err, tt.name)
				}
			case <-time.After(testTimeout):
				t.Fatalf("Serve still running after %s", tt.name)
			}
		})
	}
}
