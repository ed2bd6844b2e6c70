package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a WebSocket server, the counterpart of Qt's QWebSocketServer.
// Its zero value is ready to use: it listens with Listen or Serve, or mounts
// in any mux as an http.Handler, and hands each handshaken connection either
// to Handle, in a goroutine of its own, or, when Handle is nil, to a bounded
// queue that Accept takes from.
//
// A server refuses cross-origin browser handshakes unless OriginPatterns or
// CheckOrigin allow them, drops clients that take longer than
// HandshakeTimeout to send their request, and answers 431 to requests whose
// head exceeds MaxHeaderBytes. Requests that are not WebSocket handshakes
// go to Fallback.
//
// Fields must not change once the server has started. A server that has
// been closed or shut down cannot serve again.
type Server struct {
	// Name is sent as the Server header of every answer; empty sends none.
	Name string
	// TLSConfig, when set, makes the server speak TLS (wss) on the
	// listeners it serves and the connections HandleConn is given. It must
	// hold a certificate. HTTP/2 is never negotiated.
	TLSConfig *tls.Config

	// AcceptOptions sets the subprotocols, the origin policy and the
	// limits of every connection (see Accept).
	AcceptOptions

	// Handle, when set, is called in a goroutine of its own for each new
	// connection. Close and Shutdown end the connection, which makes its
	// reads fail. When Handle returns, the server closes the connection
	// with CloseNormal if it is still open, so Handle must not leave
	// goroutines using it.
	Handle func(c *Conn)
	// MaxPending bounds the queue of connections waiting for Accept when
	// Handle is nil; handshakes beyond it are refused with 503 and reported
	// as ErrQueueFull. Zero means DefaultMaxPending.
	MaxPending int
	// HandshakeTimeout is how long a client may take, from connecting, to
	// send its whole handshake request; slower clients are dropped. With
	// TLS, the TLS handshake has this long, and then the request again.
	// Zero means DefaultServerHandshakeTimeout; negative disables it.
	HandshakeTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers of a handshake;
	// larger requests are answered 431. Zero means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// Fallback serves the HTTP requests that are not WebSocket handshakes.
	// When nil they are answered 426 Upgrade Required.
	Fallback http.Handler
	// OnError, when set, receives every error the server meets outside an
	// open connection: accept errors, failed handshakes, a full queue, a
	// panicking Handle, all as *ServerError. It may be called from several
	// goroutines at once. When nil, errors go to the standard logger.
	OnError func(err error)

	initOnce sync.Once
	http     *http.Server
	queue    chan *Conn
	pending  atomic.Int64 // queue slots in use, including handshakes in flight
	handoff  *handoffListener
	fresh    sync.Map // net.Conn → time accepted, until a request reaches ServeHTTP

	mu        sync.Mutex
	closed    bool
	closing   chan struct{} // closed by Close and Shutdown
	listeners []*serverListener
	serving   sync.WaitGroup // Serve calls started by Listen and HandleConn
	conns     map[*Conn]struct{}
	handlers  sync.WaitGroup
	paused    bool
	resumed   chan struct{} // closed by ResumeAccepting
}

// Defaults of the Server fields, as Qt's QWebSocketServer has them.
const (
	DefaultMaxPending             = 30
	DefaultServerHandshakeTimeout = 10 * time.Second
	DefaultMaxHeaderBytes         = 8 << 10
)

// ErrServerClosed is returned by Serve, Listen, Accept and HandleConn once
// the server has been closed or shut down.
var ErrServerClosed = errors.New("websocket: server closed")

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.closing = make(chan struct{})
		s.conns = make(map[*Conn]struct{})
		s.queue = make(chan *Conn, s.maxPending())
		s.http = &http.Server{
			Handler:           http.HandlerFunc(s.ServeHTTP),
			ReadHeaderTimeout: max(s.handshakeTimeout(), 0),
			IdleTimeout:       max(s.handshakeTimeout(), 0),
			// net/http allows 4 KiB beyond this before it answers 431
			// itself; ServeHTTP holds requests to the exact limit.
			MaxHeaderBytes: s.maxHeaderBytes(),
			ErrorLog:       log.New(httpErrorLog{s}, "", 0),
			ConnState:      s.connState,
			ConnContext:    withNetConn,
			TLSNextProto:   map[string]func(*http.Server, *tls.Conn, http.Handler){},
		}
	})
}

func (s *Server) maxPending() int {
	if s.MaxPending > 0 {
		return s.MaxPending
	}
	return DefaultMaxPending
}

func (s *Server) handshakeTimeout() time.Duration {
	if s.HandshakeTimeout == 0 {
		return DefaultServerHandshakeTimeout
	}
	return s.HandshakeTimeout
}

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes > 0 {
		return s.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}

// Listen listens on the TCP address addr ("host:port"; port 0 picks a free
// port, which Addr then reports) and serves in the background, as Qt's
// QWebSocketServer::listen does.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.serveBackground(ln)
}

// ListenFile serves in the background on a listening socket inherited as
// a file, as systemd's socket activation passes it (the first one is
// os.NewFile(3, "listener")) and as Qt's setNativeDescriptor takes it. The
// server uses a duplicate of the descriptor; f may be closed afterwards.
func (s *Server) ListenFile(f *os.File) error {
	ln, err := net.FileListener(f)
	if err != nil {
		return fmt.Errorf("websocket: listener from file %s: %w", f.Name(), err)
	}
	return s.serveBackground(ln)
}

func (s *Server) serveBackground(ln net.Listener) error {
	sl, err := s.addListener(ln)
	if err != nil {
		ln.Close()
		return err
	}
	go func() {
		defer s.serving.Done()
		s.serveListener(sl)
	}()
	return nil
}

// Serve accepts connections on ln until the server is closed, and then
// returns ErrServerClosed. Any other error is the listener's.
func (s *Server) Serve(ln net.Listener) error {
	sl, err := s.addListener(ln)
	if err != nil {
		ln.Close()
		return err
	}
	defer s.serving.Done()
	return s.serveListener(sl)
}

func (s *Server) serveListener(sl *serverListener) error {
	var ln net.Listener = sl
	if s.TLSConfig != nil {
		ln = tls.NewListener(sl, s.tlsConfig())
	}
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) || s.isClosed() {
		// Close may close the listener before net/http knows it is
		// shutting down, which then sees a failing listener.
		return ErrServerClosed
	}
	return err
}

// tlsConfig returns TLSConfig offering HTTP/1.1 only: a WebSocket
// handshake over HTTP/2 (RFC 8441) is not served.
func (s *Server) tlsConfig() *tls.Config {
	cfg := s.TLSConfig.Clone()
	cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p != "http/1.1" })
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return cfg
}

// addListener registers ln, wrapped to follow PauseAccepting and report
// accept errors, and counts one more Serve.
func (s *Server) addListener(ln net.Listener) (*serverListener, error) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrServerClosed
	}
	sl := &serverListener{Listener: ln, s: s}
	if s.paused {
		sl.kick()
	}
	s.listeners = append(s.listeners, sl)
	s.serving.Add(1)
	return sl, nil
}

// HandleConn serves a connection accepted elsewhere as if the server's own
// listener had accepted it, as Qt's handleConnection does: the handshake
// request is read from it, under HandshakeTimeout. With TLSConfig set the
// server first runs the TLS handshake on it.
func (s *Server) HandleConn(nc net.Conn) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return ErrServerClosed
	}
	if s.handoff == nil {
		s.handoff = newHandoffListener(nc.LocalAddr())
		sl := &serverListener{Listener: s.handoff, s: s, noPause: true}
		s.listeners = append(s.listeners, sl)
		s.serving.Add(1)
		go func() {
			defer s.serving.Done()
			s.serveListener(sl)
		}()
	}
	h := s.handoff
	s.mu.Unlock()
	return h.give(nc)
}

// Addr returns the address of the first listener the server serves, nil
// before it has one and after it is closed, as Qt's isListening tells.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	for _, l := range s.listeners {
		if !l.noPause {
			return l.Addr()
		}
	}
	return nil
}

// URL returns the ws:// (or, with TLSConfig, wss://) URL of Addr, nil
// before the server listens. The host is the listening address as it is,
// so a server listening on all interfaces reports 0.0.0.0 or [::].
func (s *Server) URL() *url.URL {
	a := s.Addr()
	if a == nil {
		return nil
	}
	u := &url.URL{Scheme: "ws", Host: a.String(), Path: "/"}
	if s.TLSConfig != nil {
		u.Scheme = "wss"
	}
	return u
}

// Conns returns the open connections the server has accepted, queued ones
// included, in no particular order.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// ConnCount returns the number of open connections Conns would return.
func (s *Server) ConnCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// track registers a new connection. It reports false once the server is
// closing, when the connection must not be used.
func (s *Server) track(c *Conn, handled bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	c.server = s
	s.conns[c] = struct{}{}
	if handled {
		s.handlers.Add(1)
	}
	return true
}

// forget is called by a tracked connection when it closes.
func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops listening and drops every connection at once, without close
// handshakes; Handle functions see their connections fail. Close returns
// the error of closing the first listener, if any.
func (s *Server) Close() error {
	conns, err := s.stop()
	for _, c := range conns {
		c.Abort()
	}
	if err2 := s.http.Close(); err == nil && !errors.Is(err2, net.ErrClosed) {
		err = err2
	}
	return err
}

// Shutdown stops listening, sends a close frame with CloseGoingAway to
// every open connection, and waits for their close handshakes, for Handle
// functions to return and for non-WebSocket requests in progress to end.
// When ctx ends first, it drops what remains and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	conns, _ := s.stop()

	closed := make(chan struct{})
	var closers sync.WaitGroup
	for _, c := range conns {
		closers.Add(1)
		go func() {
			defer closers.Done()
			c.Close(CloseGoingAway, "server shutting down")
		}()
	}
	go func() {
		closers.Wait()
		s.handlers.Wait()
		close(closed)
	}()

	// Connections whose request has not arrived have nothing to finish.
	s.fresh.Range(func(nc, _ any) bool {
		nc.(net.Conn).Close()
		return true
	})
	// Requests in progress: handshakes being answered, Fallback. The
	// listeners are closed already, which net/http may report again.
	err := s.http.Shutdown(ctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	if err != nil {
		s.http.Close()
	}
	select {
	case <-closed:
	case <-ctx.Done():
		err = ctx.Err()
		for _, c := range s.Conns() {
			c.Abort()
		}
		// The aborted connections end their close handshakes and
		// handlers promptly: wait, so as to leave no goroutine behind.
		<-closed
	}
	return err
}

// stop marks the server closed, closes its listeners and returns the open
// connections.
func (s *Server) stop() ([]*Conn, error) {
	s.init()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	listeners := s.listeners
	s.mu.Unlock()
	var err error
	for _, l := range listeners {
		if e := l.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	return s.Conns(), err
}

// report hands err to OnError, or to the standard logger.
func (s *Server) report(err error) {
	if s.OnError != nil {
		s.OnError(err)
		return
	}
	log.Print(err)
}

// connState watches connections until their first request reaches
// ServeHTTP, to report those that close before: slow clients dropped at
// HandshakeTimeout, clients that went away, malformed requests.
func (s *Server) connState(nc net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.fresh.Store(nc, time.Now())
	case http.StateHijacked:
		s.fresh.Delete(nc)
	case http.StateClosed:
		v, ok := s.fresh.LoadAndDelete(nc)
		if !ok {
			return
		}
		if tc, isTLS := nc.(*tls.Conn); isTLS && !tc.ConnectionState().HandshakeComplete {
			return // net/http reports the TLS failure with its reason
		}
		select {
		case <-s.closing:
			return
		default:
		}
		took := time.Since(v.(time.Time)).Round(time.Millisecond)
		err := fmt.Errorf("%w after %v", ErrHandshakeIncomplete, took)
		if t := s.handshakeTimeout(); t > 0 && took >= t {
			err = fmt.Errorf("%w: HandshakeTimeout %v reached", ErrHandshakeIncomplete, t)
		}
		s.report(&ServerError{Op: "handshake", RemoteAddr: nc.RemoteAddr().String(), Err: err})
	}
}

// netConnKey is the request context key of the connection a request came
// on, for the server's own connections.
type netConnKey struct{}

func withNetConn(ctx context.Context, nc net.Conn) context.Context {
	return context.WithValue(ctx, netConnKey{}, nc)
}

// requestArrived stops watching the connection r came on.
func (s *Server) requestArrived(r *http.Request) {
	if nc, ok := r.Context().Value(netConnKey{}).(net.Conn); ok {
		s.fresh.Delete(nc)
	}
}
