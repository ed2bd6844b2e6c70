package websocket

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// testTimeout bounds every blocking step of a test.
const testTimeout = 10 * time.Second

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newPair returns a client and a server Conn joined over loopback TCP. Both
// are aborted when the test ends.
func newPair(t testing.TB, dialOpts *DialOptions, acceptOpts *AcceptOptions) (client, server *Conn) {
	t.Helper()
	srv, accepted := acceptServer(t, false, acceptOpts, nil)
	client, err := Dial(testContext(t), "ws"+strings.TrimPrefix(srv.URL, "http"), dialOpts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(client.Abort)
	return client, takeConn(t, accepted)
}

// acceptServer starts an httptest server whose handler calls Accept with
// opts and hands over the Conn; check, when set, sees the request first.
func acceptServer(t testing.TB, tlsServer bool, opts *AcceptOptions, check func(r *http.Request)) (*httptest.Server, <-chan *Conn) {
	t.Helper()
	accepted := make(chan *Conn, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if check != nil {
			check(r)
		}
		c, err := Accept(w, r, opts)
		if err != nil {
			t.Errorf("Accept: %v", err)
			close(accepted)
			return
		}
		accepted <- c
	})
	var srv *httptest.Server
	if tlsServer {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, accepted
}

// takeConn waits for the server Conn and aborts it when the test ends.
func takeConn(t testing.TB, accepted <-chan *Conn) *Conn {
	t.Helper()
	select {
	case c, ok := <-accepted:
		if !ok {
			t.FailNow()
		}
		t.Cleanup(c.Abort)
		return c
	case <-time.After(testTimeout):
		t.Fatal("no connection accepted")
		return nil
	}
}

// rawClientConn is the client end of a connection driven by hand, for
// sending frames the library would never send.
type rawClientConn struct {
	net.Conn
	br *bufio.Reader
}

// newRawClient upgrades a raw TCP connection to a server Conn made by
// Accept with opts, and returns both ends.
func newRawClient(t testing.TB, opts *AcceptOptions) (*rawClientConn, *Conn) {
	t.Helper()
	srv, accepted := acceptServer(t, false, opts, nil)
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(testTimeout))
	key := handshake.NewKey()
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: "+srv.Listener.Addr().String()+
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "+key+
		"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("raw handshake: %v %v", resp, err)
	}
	return &rawClientConn{Conn: nc, br: br}, takeConn(t, accepted)
}

// newRawServer returns a client Conn made by Dial with opts and the server
// end of its connection, driven by hand.
func newRawServer(t testing.TB, opts *DialOptions) (*Conn, *rawClientConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw := make(chan *rawClientConn, 1)
	go func() {
		defer close(raw)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		nc.SetDeadline(time.Now().Add(testTimeout))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			nc.Close()
			return
		}
		io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: "+handshake.AcceptKey(req.Header.Get("Sec-WebSocket-Key"))+"\r\n\r\n")
		raw <- &rawClientConn{Conn: nc, br: br}
	}()
	client, err := Dial(testContext(t), "ws://"+ln.Addr().String()+"/", opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(client.Abort)
	r, ok := <-raw
	if !ok {
		t.Fatal("raw server: handshake failed")
	}
	t.Cleanup(func() { r.Close() })
	return client, r
}

// writeFrame sends one frame; masked frames get a fixed key.
func (r *rawClientConn) writeFrame(t testing.TB, fin bool, rsv byte, op frame.Opcode, masked bool, payload []byte) {
	t.Helper()
	h := frame.Header{Fin: fin, RSV: rsv, Opcode: op, Masked: masked, Mask: [4]byte{1, 2, 3, 4}, Length: int64(len(payload))}
	b := frame.Append(nil, h)
	p := append([]byte(nil), payload...)
	if masked {
		frame.Mask(h.Mask, 0, p)
	}
	if _, err := r.Write(append(b, p...)); err != nil {
		t.Fatalf("raw write: %v", err)
	}
}

// readFrame reads one frame, unmasking its payload.
func (r *rawClientConn) readFrame(t testing.TB) (frame.Header, []byte) {
	t.Helper()
	head := make([]byte, 2, frame.MaxHeaderSize)
	if _, err := io.ReadFull(r.br, head); err != nil {
		t.Fatalf("raw read header: %v", err)
	}
	head = head[:frame.Size(head[0], head[1])]
	if _, err := io.ReadFull(r.br, head[2:]); err != nil {
		t.Fatalf("raw read header: %v", err)
	}
	h, _, err := frame.Parse(head)
	if err != nil {
		t.Fatalf("raw parse header: %v", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(r.br, p); err != nil {
		t.Fatalf("raw read payload: %v", err)
	}
	if h.Masked {
		frame.Mask(h.Mask, 0, p)
	}
	return h, p
}

// readClose reads frames until a close frame and returns its code (1005 for
// an empty one).
func (r *rawClientConn) readClose(t testing.TB) (code uint16, reason string) {
	t.Helper()
	for {
		h, p := r.readFrame(t)
		if h.Opcode != frame.OpClose {
			continue
		}
		c, reasonBytes, err := frame.ParseClose(p)
		if err != nil {
			t.Fatalf("peer sent a bad close payload %x: %v", p, err)
		}
		return c, string(reasonBytes)
	}
}
