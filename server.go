package websocket

import (
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
	serving   sync.WaitGroup // Serve calls, which Close and Shutdown wait for
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

// report hands err to OnError, or to the standard logger.
func (s *Server) report(err error) {
	if s.OnError != nil {
		s.OnError(err)
		return
	}
	log.Print(err)
}
