package websocket

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// fuzzOptions are small limits, so the fuzzer reaches them, and a read
// buffer of the smallest size, so frames straddle its end.
var fuzzOptions = Options{
	MaxMessageSize: 1 << 16,
	MaxFrameSize:   1 << 14,
	ReadBufferSize: 256,
	CloseTimeout:   time.Second,
}

// fuzzReadTimeout bounds the reads of one input. The peer has closed its
// side once the input is written, so every read ends at once; running into
// this bound means a read hangs.
const fuzzReadTimeout = 2 * time.Second

// The read APIs FuzzConnRead drives, chosen by its api argument.
const (
	fuzzRead = iota
	fuzzReadInto
	fuzzNextFrame
	fuzzReader
	fuzzAPIs
)

// fuzzSeeds are inputs for the fuzz targets: valid and broken frames as a
// server (client false) or a client (client true) reads them.
func fuzzSeeds(client bool) [][]byte {
	enc := func(frames ...wireFrame) []byte {
		var b []byte
		for _, fr := range frames {
			b = append(b, fr.encode(!client)...)
		}
		return b
	}
	return [][]byte{
		nil,
		enc(wf(opText, true, "hello"), closeFrame(1000, "bye")),
		enc(wf(opBinary, true, strings.Repeat("b", 200)), wf(opBinary, false, strings.Repeat("c", 300)), wf(opCont, true, "d"), closeFrame(4000, "")),
		enc(wf(opBinary, true, "x").announcing(70000)),
		enc(wf(opText, false, "caf\xc3"), wf(opPing, true, "p"), wf(opCont, false, "\xa9"), wf(opPong, true, "q"), wf(opCont, true, "!")),
		enc(wf(opText, true, "ab\xf4\x90cd")),
		enc(wf(opText, true, "a").withRSV(frame.RSV1)),
		enc(wf(opBinary, true, "").announcing(1 << 63)),
		enc(wf(opBinary, true, "short").announcing(1 << 40)),
		enc(wf(opCont, true, "x")),
		enc(wf(opPing, true, strings.Repeat("p", 126))),
		enc(wf(opPing, true, strings.Repeat("p", 125)), wf(opClose, true, "")),
		enc(closeFrame(1005, "")),
		enc(wf(opClose, true, "\x03")),
		enc(wf(opText, true, "x").flipped()),
		enc(wf(0x3, true, "x"), wf(0xb, true, "")),
		[]byte("\x81\x85\x00\x00\x00"), // a frame cut off in its header
	}
}

// FuzzConnRead feeds arbitrary bytes, as they arrive after the opening
// handshake, to a Conn (a server one, or a client one when client is set)
// and reads with one of the read APIs until an error. The Conn is made as
// Accept and Dial make it, over an in-memory connection that hands out the
// bytes chunk at a time (all that is left when chunk is 0), the first
// buffered of them as if they had arrived with the handshake, then reports
// the end of the stream. Being deterministic, it lets the fuzzer explore
// quickly; FuzzLiveConnRead does the same over TCP after a real handshake.
//
// No input may panic or hang a read; every message must respect the limits
// and UTF-8; the read must end with a *CloseError or a *ProtocolError; and
// what the Conn sends must be well-formed frames, ending with at most one
// close frame that carries the code of the error.
func FuzzConnRead(f *testing.F) {
	for _, client := range []bool{false, true} {
		for i, s := range fuzzSeeds(client) {
			f.Add(s, client, uint8(i%fuzzAPIs), uint8(i*5%8), uint16(i*37%300))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, client bool, api, chunk uint8, buffered uint16) {
		nc := &scriptedConn{data: data, chunk: int(chunk)}
		n := min(int(buffered), len(data))
		nc.data = data[n:]
		c := newConn(nc, client, fuzzOptions.withDefaults(), data[:n])
		if client {
			c.masks = newRandomMasks()
		}
		defer c.Abort()

		ctx, cancel := context.WithTimeout(context.Background(), fuzzReadTimeout)
		defer cancel()
		// Up to 3 bytes of a code point split between frames are
		// carried over to the next text frame.
		err := fuzzReadAll(ctx, c, api%fuzzAPIs, fuzzOptions.MaxFrameSize+utf8.UTFMax-1)
		if ctx.Err() != nil {
			t.Fatalf("read hung on %q: %v", data, err)
		}
		checkFuzzEnd(t, c, err)
		checkFuzzSent(t, nc.sent(), client, err)
	})
}

// FuzzLiveConnRead is FuzzConnRead over loopback TCP: the bytes follow a
// real opening handshake in the same write, then the raw peer closes its
// side and drains what the Conn sends. Scheduling makes its coverage vary
// from run to run, which slows the fuzzer's minimizing; run it with a
// small -fuzzminimizetime.
func FuzzLiveConnRead(f *testing.F) {
	// A server for server Conns: the raw client's bytes follow its request.
	accepted := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Accept(w, r, &AcceptOptions{Options: fuzzOptions}); err == nil {
			accepted <- c
		}
	}))
	f.Cleanup(srv.Close)
	// A listener for client Conns: the raw server's bytes follow its 101.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })

	for _, client := range []bool{false, true} {
		for i, s := range fuzzSeeds(client) {
			f.Add(s, client, uint8(i%fuzzAPIs))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, client bool, api uint8) {
		var wg sync.WaitGroup
		defer wg.Wait()
		var c *Conn
		var nc net.Conn
		if client {
			c, nc = fuzzClientConn(t, ln, data, &wg)
		} else {
			c, nc = fuzzServerConn(t, srv, accepted, data, &wg)
		}
		defer nc.Close()
		defer c.Abort()

		ctx, cancel := context.WithTimeout(context.Background(), fuzzReadTimeout)
		defer cancel()
		// Up to 3 bytes of a code point split between frames are
		// carried over to the next text frame.
		err := fuzzReadAll(ctx, c, api%fuzzAPIs, fuzzOptions.MaxFrameSize+utf8.UTFMax-1)
		if ctx.Err() != nil {
			t.Fatalf("read hung on %q: %v", data, err)
		}
		checkFuzzEnd(t, c, err)
	})
}

// checkFuzzEnd checks the error a fuzzed read ended with, and that the
// connection is closed.
func checkFuzzEnd(t *testing.T, c *Conn, err error) {
	t.Helper()
	var ce *CloseError
	var pe *ProtocolError
	switch {
	case errors.As(err, &pe):
		switch pe.Code {
		case CloseProtocolError, CloseInvalidPayload, CloseMessageTooBig:
		default:
			t.Fatalf("protocol error with code %d: %v", pe.Code, err)
		}
	case errors.As(err, &ce):
		if ce.Code != CloseAbnormal && ce.Code != CloseNoStatus && !frame.ValidWireCode(uint16(ce.Code)) {
			t.Fatalf("close error with code %d: %v", ce.Code, err)
		}
	default:
		t.Fatalf("read ended with %T %v, want a *CloseError or a *ProtocolError", err, err)
	}
	if s := c.State(); s != StateClosed {
		t.Fatalf("state %v after the read ended with %v", s, err)
	}
}

// checkFuzzSent checks the bytes a Conn sent while a fuzzed read ran:
// whole frames, masked by a client only, control frames only (pongs and a
// last close frame) of at most 125 bytes, and a close frame carrying the code the read's error
// reports: the violation's, or the peer's echoed.
func checkFuzzSent(t *testing.T, b []byte, client bool, readErr error) {
	t.Helper()
	closeCode := -1
	for len(b) > 0 {
		if closeCode >= 0 {
			t.Fatalf("Conn sent %d bytes after its close frame", len(b))
		}
		h, n, err := frame.Parse(b)
		if err != nil || n == 0 || int64(len(b)-n) < h.Length {
			t.Fatalf("Conn sent a broken frame %q (%v)", b, err)
		}
		if h.Masked != client || !h.Fin || h.RSV != 0 || h.Length > frame.MaxControlPayload {
			t.Fatalf("Conn sent %+v", h)
		}
		p := bytes.Clone(b[n : n+int(h.Length)])
		b = b[n+int(h.Length):]
		if h.Masked {
			frame.Mask(h.Mask, 0, p)
		}
		switch h.Opcode {
		case frame.OpPong:
		case frame.OpClose:
			code, _, err := frame.ParseClose(p)
			if err != nil {
				t.Fatalf("Conn sent a bad close payload %q: %v", p, err)
			}
			closeCode = int(code)
		default:
			t.Fatalf("Conn sent a %v frame", h.Opcode)
		}
	}
	var pe *ProtocolError
	var ce *CloseError
	switch {
	case errors.As(readErr, &pe):
		if closeCode != int(pe.Code) {
			t.Fatalf("Conn sent close code %d for %v", closeCode, readErr)
		}
	case errors.As(readErr, &ce) && ce.Code != CloseAbnormal:
		if closeCode != int(ce.Code) {
			t.Fatalf("Conn echoed close code %d for %v", closeCode, readErr)
		}
	}
}

// scriptedConn is a net.Conn whose reads hand out data, at most chunk
// bytes at a time (any number when chunk is 0), then io.EOF, and whose
// writes are recorded.
type scriptedConn struct {
	mu     sync.Mutex
	data   []byte
	chunk  int
	out    []byte
	closed bool
}

func (c *scriptedConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return 0, net.ErrClosed
	case len(c.data) == 0:
		return 0, io.EOF
	}
	if c.chunk > 0 && len(p) > c.chunk {
		p = p[:c.chunk]
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

func (c *scriptedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	c.out = append(c.out, p...)
	return len(p), nil
}

func (c *scriptedConn) sent() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out
}

func (c *scriptedConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *scriptedConn) CloseWrite() error                { return nil }
func (c *scriptedConn) LocalAddr() net.Addr              { return scriptedAddr{} }
func (c *scriptedConn) RemoteAddr() net.Addr             { return scriptedAddr{} }
func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }

type scriptedAddr struct{}

func (scriptedAddr) Network() string { return "scripted" }
func (scriptedAddr) String() string  { return "scripted" }

// fuzzServerConn connects to srv, sends a handshake followed by data in one
// write and closes its side, draining what the server sends.
func fuzzServerConn(t *testing.T, srv *httptest.Server, accepted chan *Conn, data []byte, wg *sync.WaitGroup) (*Conn, net.Conn) {
	addr := srv.Listener.Addr().String()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(testTimeout))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + handshake.NewKey() + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	wg.Go(func() {
		nc.Write(append([]byte(req), data...))
		nc.(*net.TCPConn).CloseWrite()
	})
	wg.Go(func() { io.Copy(io.Discard, nc) })
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for {
		select {
		case c := <-accepted:
			if c.RemoteAddr().String() == nc.LocalAddr().String() {
				return c, nc
			}
			c.Abort() // left over from an earlier input
		case <-timer.C:
			nc.Close()
			t.Fatal("handshake did not complete")
		}
	}
}

// fuzzClientConn dials ln, whose raw server answers the handshake with data
// after its 101 in one write and closes its side, draining what the client
// sends.
func fuzzClientConn(t *testing.T, ln net.Listener, data []byte, wg *sync.WaitGroup) (*Conn, net.Conn) {
	raw := make(chan net.Conn, 1)
	wg.Go(func() {
		nc, err := ln.Accept()
		if err != nil {
			close(raw)
			return
		}
		raw <- nc
		nc.SetDeadline(time.Now().Add(testTimeout))
		br := bufio.NewReader(nc)
		req, err := http.ReadRequest(br)
		if err != nil {
			nc.Close()
			return
		}
		resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + handshake.AcceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"
		nc.Write(append([]byte(resp), data...))
		nc.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, br)
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := Dial(ctx, "ws://"+ln.Addr().String()+"/", &DialOptions{Options: fuzzOptions})
	nc, ok := <-raw
	if !ok {
		t.Fatal("raw server: accept failed")
	}
	if err != nil {
		nc.Close()
		t.Fatalf("Dial: %v", err)
	}
	return c, nc
}

// fuzzReadAll reads with the chosen API until an error, checking what it
// reads, and returns the error. pieceLimit bounds the Data of one
// NextFrame; the pieces of a message together stay within MaxMessageSize.
func fuzzReadAll(ctx context.Context, c *Conn, api uint8, pieceLimit int64) error {
	limit := fuzzOptions.MaxMessageSize
	check := func(typ MessageType, p []byte, limit int64) error {
		if typ != MessageText && typ != MessageBinary {
			return errors.New("read a message of type " + typ.String())
		}
		if typ == MessageText && !utf8.Valid(p) {
			return errors.New("read invalid UTF-8 as text")
		}
		if int64(len(p)) > limit {
			return errors.New("read more than the limit")
		}
		return nil
	}
	var buf []byte
	var msgLen int64 // NextFrame: the message so far
	for {
		var err error
		switch api {
		case fuzzRead:
			var typ MessageType
			var p []byte
			if typ, p, err = c.Read(ctx); err == nil {
				err = check(typ, p, limit)
			}
		case fuzzReadInto:
			var typ MessageType
			if typ, buf, err = c.ReadInto(ctx, buf); err == nil {
				err = check(typ, buf, limit)
			}
		case fuzzNextFrame:
			var fr Frame
			if fr, err = c.NextFrame(ctx); err == nil {
				err = check(fr.Type, fr.Data, pieceLimit)
				msgLen += int64(len(fr.Data))
				if err == nil && msgLen > limit {
					err = errors.New("NextFrame pieces add up past the limit")
				}
				if fr.Final {
					msgLen = 0
				}
			}
		case fuzzReader:
			var typ MessageType
			var r io.Reader
			if typ, r, err = c.Reader(ctx); err == nil {
				var p []byte
				if p, err = io.ReadAll(r); err == nil {
					err = check(typ, p, limit)
				}
			}
		}
		if err != nil {
			return err
		}
	}
}
