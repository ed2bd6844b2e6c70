package websocket

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/protocol"
)

// MessageType is the type of a data message.
type MessageType int

// The data message types of RFC 6455 §5.6.
const (
	MessageText   MessageType = 1 // UTF-8 text
	MessageBinary MessageType = 2 // arbitrary bytes
)

// String returns "text", "binary" or "invalid".
func (t MessageType) String() string {
	switch t {
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return "invalid"
}

// State is the life-cycle state of a connection, as Qt's socket states.
type State int32

// The states a Conn moves through, in order.
const (
	StateConnecting State = iota // opening handshake in progress
	StateOpen                    // messages flow both ways
	StateClosing                 // a close frame has been sent or received
	StateClosed                  // the TCP connection is closed
)

// String returns the state's name in lower case, such as "open".
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOpen:
		return "open"
	case StateClosing:
		return "closing"
	case StateClosed:
		return "closed"
	}
	return "invalid"
}

// Conn is a WebSocket connection, from Dial or Accept.
//
// One goroutine may read (Read, ReadInto, Reader, NextFrame) while any
// number of goroutines write, ping and close. Reads must be running for
// pings to be answered, pongs to be seen and the peer's close to be noticed.
type Conn struct {
	nc          net.Conn
	client      bool
	vectored    bool // nc writes a vector in one system call (see takesVectors)
	opts        Options
	subprotocol string
	request     *http.Request  // the handshake request (server) or nil
	response    *http.Response // the handshake answer (client) or nil
	url         *url.URL
	origin      string
	state       atomic.Int32
	abortFunc   func()       // closeTCP, allocated once for context.AfterFunc
	server      *Server      // the Server that tracks the connection, or nil
	z           *compression // permessage-deflate, when negotiated

	// Reading; guarded by readMu. Bytes read but not yet used are
	// rbuf[rpos:rend]. rbuf is rsmall while the connection is idle, and a
	// buffer from rpool (rpooled) while bytes arrive faster than that holds.
	// On a TCP or Unix socket, raw is set and reads go through rawRead
	// (readRaw), which sees when no bytes are waiting: there the pooled
	// buffer is held whenever bytes are read and given back only while the
	// read waits.
	readMu      ctxLock
	rbuf        []byte
	rpos, rend  int
	rpooled     *[]byte
	rpool       *bufferPool
	rsmall      [smallReadSize]byte
	raw         syscall.RawConn
	rawRead     func(fd uintptr) bool // c.readRaw, made once
	rawN        int                   // readRaw's results
	rawErr      error
	rawWaited   bool  // the current read has waited for the socket
	rawFlowing  bool  // the last read found bytes without waiting
	rawSmallRun uint8 // reads after a wait in a row that the small buffer held
	recv        protocol.Receiver
	frameLeft   int64 // unread payload bytes of the current data frame
	frameMask   [4]byte
	frameMasked bool
	maskPos     int
	readErr     error          // sticky: once set, every read returns it
	ctrl        []byte         // control frame payload, unmasked
	reader      *messageReader // the Reader of the current message, if any
	frameBuf    []byte         // NextFrame's payload buffer
	textCarry   []byte         // bytes of a code point split between frames

	// Writing.
	msgMu     ctxLock          // held for a whole data message
	frameMu   sync.Mutex       // held for one frame or group of frames; guards the fields below
	wpool     *writeBufferPool // buffers frames are written through, while written
	writeErr  error            // sticky
	closeSent bool
	masks     MaskGenerator

	// Closing.
	closeMu   sync.Mutex
	peerClose *CloseError
	done      chan struct{} // closed when the TCP connection is closed
	doneOnce  sync.Once

	pings pingWaiters
	rtt   atomic.Int64 // nanoseconds of the last ping's round trip
	ka    *keepalive   // nil unless Options.PingInterval is set

	sendq  atomic.Pointer[sendQueue] // made by the first Send or Close; its closed flag tells that Close has started
	cause  error                     // why abortWith dropped the connection; guarded by closeMu
	runner atomic.Pointer[runner]    // the Run driving the connection, if any
}

// newConn wraps a connection whose opening handshake has completed.
// buffered holds bytes already read past the handshake.
func newConn(nc net.Conn, client bool, opts Options, buffered []byte) *Conn {
	c := &Conn{
		nc:     nc,
		client: client,
		opts:   opts,
		done:   make(chan struct{}),
	}
	c.abortFunc = c.closeTCP
	c.rpool = poolFor(opts.ReadBufferSize)
	c.wpool = writePoolFor(frame.MaxHeaderSize + opts.WriteBufferSize)
	c.rbuf = c.rsmall[:]
	if len(buffered) > len(c.rsmall) {
		var b *[]byte
		if len(buffered) <= c.rpool.size {
			b = c.rpool.get()
		} else {
			// Longer than a pooled buffer: a buffer of its own, which
			// the pool refuses once it is emptied.
			own := make([]byte, len(buffered))
			b = &own
		}
		c.rbuf, c.rpooled = *b, b
	}
	c.rend = copy(c.rbuf, buffered)
	c.setupRawRead()
	c.vectored = takesVectors(nc)
	c.recv = protocol.Receiver{
		MaxFrameSize:   opts.MaxFrameSize,
		MaxMessageSize: opts.MaxMessageSize,
	}
	if client {
		c.recv.Role = protocol.Client
	}
	c.state.Store(int32(StateOpen))
	return c
}

// State returns the connection's current state.
func (c *Conn) State() State { return State(c.state.Load()) }

// setState moves the connection forward to s; states never move back.
func (c *Conn) setState(s State) {
	for {
		old := c.state.Load()
		if old >= int32(s) {
			return
		}
		if c.state.CompareAndSwap(old, int32(s)) {
			c.emit(event{kind: eventState, state: s})
			return
		}
	}
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr returns the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Subprotocol returns the subprotocol both ends agreed on, or "".
func (c *Conn) Subprotocol() string { return c.subprotocol }

// Extensions returns the extensions both ends agreed on, as the
// Sec-WebSocket-Extensions header lists them, or "" when none. The only
// extension wsx speaks is permessage-deflate.
func (c *Conn) Extensions() string {
	if c.z == nil {
		return ""
	}
	return c.z.header
}

// Request returns the HTTP request of the opening handshake on a server
// connection, and nil on a client connection. It must not be modified.
func (c *Conn) Request() *http.Request { return c.request }

// Response returns the server's answer to the opening handshake on a client
// connection, with its headers (such as Server or Set-Cookie) and an empty
// body, and nil on a server connection. It must not be modified.
func (c *Conn) Response() *http.Response { return c.response }

// URL returns the URL the connection was opened to: on a client the URL
// dialed, the last one after redirects, user-info included; on a server the
// request URL with the scheme and host filled in.
func (c *Conn) URL() *url.URL { return c.url }

// Origin returns the Origin header of the handshake: the one the client
// sent, or "" when it sent none.
func (c *Conn) Origin() string { return c.origin }

// NetConn returns the underlying connection. Reading or writing it directly
// corrupts the WebSocket stream; it is meant for socket options and
// connection details such as TLS state.
func (c *Conn) NetConn() net.Conn { return c.nc }

// closeTCP closes the network connection once and marks the Conn closed.
func (c *Conn) closeTCP() {
	c.doneOnce.Do(func() {
		c.setState(StateClosed)
		c.stopKeepalive()
		c.nc.Close()
		if c.server != nil {
			// Before done: whoever waits for it sees the server's
			// count without this connection.
			c.server.forget(c)
		}
		close(c.done)
	})
}

// watch closes the connection if ctx ends before stop is called: a frame
// cut off half-way would leave the stream unusable. It costs nothing for a
// context that can never end.
func (c *Conn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return nil
	}
	return context.AfterFunc(ctx, c.abortFunc)
}

// contextError returns ctx's error if ctx ended, else err.
func contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// smallReadSize is the size of the buffer an idle connection reads through:
// room for the header of any frame and for a whole short message, so that
// an idle connection holds no pooled read buffer.
const smallReadSize = 72

// A bufferPool holds buffers of one size, so that connections hold their
// read buffers, and send queues the copies of queued messages, only while
// they use them. Write buffers have a pool type of their own
// (writeBufferPool), which carries the state of a raw write.
type bufferPool struct {
	size int
	pool sync.Pool
}

// bufferPools maps a buffer size to its *bufferPool.
var bufferPools sync.Map

// poolFor returns the pool of buffers of size bytes.
func poolFor(size int) *bufferPool {
	return sizedPool(&bufferPools, size, func() *bufferPool { return &bufferPool{size: size} })
}

// sizedPool returns the pool that pools (a map from a buffer size to a
// pool of type P) holds for size, adding the one made by fresh if there is
// none.
func sizedPool[P any](pools *sync.Map, size int, fresh func() P) P {
	if p, ok := pools.Load(size); ok {
		return p.(P)
	}
	p, _ := pools.LoadOrStore(size, fresh())
	return p.(P)
}

// get returns a buffer of p.size bytes.
func (p *bufferPool) get() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, p.size)
	return &b
}

// put returns b to the pool; a buffer of another size is dropped.
func (p *bufferPool) put(b *[]byte) {
	if len(*b) == p.size {
		p.pool.Put(b)
	}
}
