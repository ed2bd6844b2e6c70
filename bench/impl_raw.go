package main

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
)

// rawImpl is the ceiling: a plain TCP echo of length-prefixed frames with
// the same buffering a WebSocket server would need, and no protocol work.
var rawImpl = Impl{Name: rawName, Raw: true, Serve: func(ln net.Listener) func() {
	return acceptLoop(ln, rawEcho)
}}

// rawEcho echoes 4-byte big-endian length-prefixed frames on c, writing
// each back with one write call from a reused buffer.
func rawEcho(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096) // as gorilla, gobwas and gws read
	buf := make([]byte, 4+4096)
	for {
		if _, err := io.ReadFull(br, buf[:4]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(buf))
		if 4+n > cap(buf) {
			buf = append(buf[:cap(buf)], make([]byte, 4+n-cap(buf))...)
		}
		buf = buf[:4+n]
		if _, err := io.ReadFull(br, buf[4:]); err != nil {
			return
		}
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}
