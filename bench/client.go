package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// echoConn is one connection of the fixed load client. It is the same for
// every WebSocket server: a handshake once, then a pre-masked binary frame
// written with one call per round trip and the echo read back frame by
// frame. With raw set it speaks the ceiling's 4-byte length prefixes.
type echoConn struct {
	nc   net.Conn
	br   *bufio.Reader
	raw  bool
	req  []byte // the request as it goes on the wire, built once
	size int    // the payload size every echo must have
	buf  []byte // where echoed payloads are read to
}

// dialEcho connects to addr and prepares round trips of size-byte
// messages.
func dialEcho(addr string, raw bool, size int) (*echoConn, error) {
	return dialEchoBuf(addr, raw, size, 64<<10)
}

// dialEchoBuf is dialEcho with a read buffer of bufSize bytes, smaller for
// the scenarios that hold many connections open.
func dialEchoBuf(addr string, raw bool, size, bufSize int) (*echoConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &echoConn{nc: nc, br: bufio.NewReaderSize(nc, bufSize), raw: raw, size: size, buf: make([]byte, size)}
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	if raw {
		c.req = binary.BigEndian.AppendUint32(nil, uint32(size))
		c.req = append(c.req, payload...)
		return c, nil
	}
	if err := c.handshake(addr); err != nil {
		nc.Close()
		return nil, err
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	c.req = frame.Append(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Mask: key, Length: int64(size)})
	n := len(c.req)
	c.req = append(c.req, payload...)
	frame.Mask(key, 0, c.req[n:])
	return c, nil
}

// handshake performs the client's opening handshake (RFC 6455 §4.1).
func (c *echoConn) handshake(addr string) error {
	key := handshake.NewKey()
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c.nc, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake: status %s", resp.Status)
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != handshake.AcceptKey(key) {
		return errors.New("handshake: wrong Sec-WebSocket-Accept")
	}
	return nil
}

// roundTrip sends one message and reads its echo.
func (c *echoConn) roundTrip() error {
	if _, err := c.nc.Write(c.req); err != nil {
		return err
	}
	if c.raw {
		return c.readRaw()
	}
	return c.readMessage()
}

// readRaw reads one length-prefixed echo.
func (c *echoConn) readRaw() error {
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return err
	}
	if n := binary.BigEndian.Uint32(hdr[:]); int(n) != c.size {
		return fmt.Errorf("echo of %d bytes, want %d", n, c.size)
	}
	_, err := io.ReadFull(c.br, c.buf)
	return err
}

// nextDataHeader reads frame headers from br up to the next data frame's,
// skipping control frames; a close frame is an error.
func nextDataHeader(br *bufio.Reader) (frame.Header, error) {
	for {
		b, err := br.Peek(2)
		if err != nil {
			return frame.Header{}, err
		}
		b, err = br.Peek(frame.Size(b[0], b[1]))
		if err != nil {
			return frame.Header{}, err
		}
		h, n, err := frame.Parse(b)
		if err != nil {
			return frame.Header{}, err
		}
		br.Discard(n)
		if !h.Opcode.IsControl() {
			return h, nil
		}
		if h.Opcode == frame.OpClose {
			return frame.Header{}, errors.New("server closed the connection")
		}
		if _, err := br.Discard(int(h.Length)); err != nil {
			return frame.Header{}, err
		}
	}
}

// readMessage reads the frames of one echoed data message, however the
// server fragmented it, and skips control frames.
func (c *echoConn) readMessage() error {
	got := 0
	for {
		h, err := nextDataHeader(c.br)
		if err != nil {
			return err
		}
		if h.Masked || int64(got)+h.Length > int64(c.size) {
			return fmt.Errorf("bad echo frame: %+v after %d bytes", h, got)
		}
		if _, err := io.ReadFull(c.br, c.buf[got:got+int(h.Length)]); err != nil {
			return err
		}
		got += int(h.Length)
		if h.Fin {
			break
		}
	}
	if got != c.size {
		return fmt.Errorf("echo of %d bytes, want %d", got, c.size)
	}
	return nil
}

// Close closes the connection.
func (c *echoConn) Close() error { return c.nc.Close() }
