package interop_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// wireRelay is a TCP relay on loopback that passes WebSocket connections
// on to a target unchanged while it parses what goes through: the
// handshake's Sec-WebSocket-Extensions headers, and every frame's header in
// both directions. It is how the tests see what the two ends actually
// sent, RSV1 (the compressed bit, RFC 7692 §6) in particular.
type wireRelay struct {
	ln       net.Listener
	target   string
	finished chan *wireConn // each connection once both directions ended
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn           // to close when the test ends
	byPath   map[string]*wireConn // the last ended connection to each path
	ended    chan struct{}        // closed, and replaced, when one ends
}

// wireConn is what a relay saw of one connection. Its fields are written
// by the relay's goroutines and may be read once the connection is on
// finished.
type wireConn struct {
	path   string // the request's path, without the query
	offer  string // Sec-WebSocket-Extensions of the request
	status string // the status line of the answer
	answer string // Sec-WebSocket-Extensions of the answer
	dirs   [2]wireDir
}

// The directions of wireConn.dirs.
const (
	toServer = 0
	toClient = 1
)

// wireDir is one direction of a relayed connection.
type wireDir struct {
	msgs    []wireMsg // data messages
	frames  int       // frames of any kind
	control int       // control frames
	bad     []string  // frames breaking the rules a relay can check
}

// wireMsg is one data message as it went over the wire.
type wireMsg struct {
	opcode  byte
	rsv1    bool  // on its first frame: compressed
	frames  int   // frames it took
	payload int64 // payload bytes on the wire, over all its frames
}

// startRelay starts a relay to target on a port the system picks; it
// stops, closing every connection, when the test ends.
func startRelay(t *testing.T, target string) *wireRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &wireRelay{ln: ln, target: target, finished: make(chan *wireConn, 16),
		byPath: map[string]*wireConn{}, ended: make(chan struct{})}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		for _, c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

// URL returns the ws URL of path through the relay.
func (r *wireRelay) URL(path string) string {
	return "ws://" + r.ln.Addr().String() + path
}

func (r *wireRelay) accept() {
	defer r.wg.Done()
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", r.target, 5*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, client, server)
		r.mu.Unlock()
		wc := &wireConn{}
		var pumps sync.WaitGroup
		pumps.Add(2)
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			defer pumps.Done()
			wc.pump(server, client, toServer)
		}()
		go func() {
			defer r.wg.Done()
			defer pumps.Done()
			wc.pump(client, server, toClient)
		}()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			pumps.Wait()
			client.Close()
			server.Close()
			select {
			case r.finished <- wc:
			default:
			}
			r.mu.Lock()
			r.byPath[wc.path] = wc
			close(r.ended)
			r.ended = make(chan struct{})
			r.mu.Unlock()
		}()
	}
}

// next returns the next connection whose both directions have ended.
func (r *wireRelay) next(t *testing.T, ctx context.Context) *wireConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, lineTimeout)
	defer cancel()
	select {
	case wc := <-r.finished:
		return wc
	case <-ctx.Done():
		t.Fatalf("waiting for the relayed connection to end: %v", ctx.Err())
		return nil
	}
}

// endedConn returns the connection to path once both its directions have
// ended, or an error when ctx ends first.
func (r *wireRelay) endedConn(ctx context.Context, path string) (*wireConn, error) {
	for {
		r.mu.Lock()
		wc, changed := r.byPath[path], r.ended
		r.mu.Unlock()
		if wc != nil {
			return wc, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the relayed connection to %s to end: %w", path, ctx.Err())
		}
	}
}

// pump copies one direction, src to dst, parsing the handshake head and
// then frame headers; payloads are copied without a look. At the end it
// half-closes dst, so that the other end sees what this one did.
func (wc *wireConn) pump(dst, src net.Conn, dir int) {
	defer func() {
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	d := &wc.dirs[dir]
	br := bufio.NewReaderSize(src, 64<<10)
	head, err := readHead(br)
	if _, werr := dst.Write(head); werr != nil || err != nil {
		if err != nil && !errors.Is(err, io.EOF) {
			d.bad = append(d.bad, "handshake: "+err.Error())
		}
		return
	}
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\r\n")
	var exts []string
	for _, l := range lines[1:] {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "Sec-WebSocket-Extensions") {
			exts = append(exts, strings.TrimSpace(v))
		}
	}
	if dir == toServer {
		if f := strings.Fields(lines[0]); len(f) == 3 {
			wc.path, _, _ = strings.Cut(f[1], "?")
		}
		wc.offer = strings.Join(exts, ", ")
	} else {
		wc.status, wc.answer = lines[0], strings.Join(exts, ", ")
		if !strings.HasPrefix(wc.status, "HTTP/1.1 101 ") {
			io.Copy(dst, br)
			return
		}
	}

	inMessage := false
	for {
		var h [14]byte
		if _, err := io.ReadFull(br, h[:2]); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				d.bad = append(d.bad, "reading a frame: "+err.Error())
			}
			return
		}
		n, extLen := int64(h[1]&0x7f), 0
		switch n {
		case 126:
			extLen = 2
		case 127:
			extLen = 8
		}
		masked := h[1]&0x80 != 0
		hl := 2 + extLen
		if masked {
			hl += 4
		}
		if _, err := io.ReadFull(br, h[2:hl]); err != nil {
			d.bad = append(d.bad, "reading a frame header: "+err.Error())
			return
		}
		switch extLen {
		case 2:
			n = int64(binary.BigEndian.Uint16(h[2:4]))
		case 8:
			n = int64(binary.BigEndian.Uint64(h[2:10]))
		}
		if _, err := dst.Write(h[:hl]); err != nil {
			return
		}
		if _, err := io.CopyN(dst, br, n); err != nil {
			return
		}

		fin, rsv1, op := h[0]&0x80 != 0, h[0]&0x40 != 0, h[0]&0x0f
		d.frames++
		if h[0]&0x30 != 0 {
			d.bad = append(d.bad, fmt.Sprintf("frame %d has RSV2 or RSV3 set", d.frames))
		}
		if masked != (dir == toServer) {
			d.bad = append(d.bad, fmt.Sprintf("frame %d: masked %v", d.frames, masked))
		}
		switch {
		case op >= 8:
			d.control++
			if rsv1 {
				d.bad = append(d.bad, fmt.Sprintf("control frame %d has RSV1 set", d.frames))
			}
		case op == 0:
			if !inMessage {
				d.bad = append(d.bad, fmt.Sprintf("frame %d continues no message", d.frames))
				continue
			}
			if rsv1 {
				d.bad = append(d.bad, fmt.Sprintf("continuation frame %d has RSV1 set", d.frames))
			}
			m := &d.msgs[len(d.msgs)-1]
			m.frames++
			m.payload += n
			inMessage = !fin
		default:
			if inMessage {
				d.bad = append(d.bad, fmt.Sprintf("frame %d starts a message inside another", d.frames))
			}
			d.msgs = append(d.msgs, wireMsg{opcode: op, rsv1: rsv1, frames: 1, payload: n})
			inMessage = !fin
		}
	}
}

// readHead reads an HTTP head up to and including its empty line.
func readHead(br *bufio.Reader) ([]byte, error) {
	var head []byte
	for len(head) < 64<<10 {
		line, err := br.ReadSlice('\n')
		head = append(head, line...)
		if err != nil {
			return head, err
		}
		if string(line) == "\r\n" {
			return head, nil
		}
	}
	return head, errors.New("head longer than 64 KiB")
}
