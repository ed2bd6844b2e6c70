package main

import (
	"bufio"
	"io"
	"net"

	"github.com/gobwas/ws"
)

// gobwasImpl uses gobwas/ws's low-level API, the zero-copy upgrade and
// frame-by-frame reads and writes through reused buffers, as its README
// recommends for speed. Data frames are echoed as they arrive, so
// fragmented messages come back with the same fragmentation.
var gobwasImpl = Impl{Name: "gobwas", Serve: func(ln net.Listener) func() {
	return acceptLoop(ln, gobwasEcho)
}}

func gobwasEcho(c net.Conn) {
	defer c.Close()
	if _, err := ws.Upgrade(c); err != nil {
		return
	}
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	hb := make([]byte, ws.MaxHeaderSize)
	var buf []byte
	for {
		h, err := ws.ReadHeaderBuffer(br, hb)
		if err != nil {
			return
		}
		if h.Length > maxMessage {
			return
		}
		if int(h.Length) > cap(buf) {
			buf = make([]byte, h.Length)
		}
		p := buf[:h.Length]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		out := ws.Header{Fin: h.Fin, OpCode: h.OpCode, Length: h.Length}
		switch h.OpCode {
		case ws.OpPong:
			continue
		case ws.OpPing:
			out.OpCode = ws.OpPong
		}
		if ws.WriteHeaderBuffer(bw, out, hb) != nil {
			return
		}
		if _, err := bw.Write(p); err != nil {
			return
		}
		if bw.Flush() != nil || h.OpCode == ws.OpClose {
			return
		}
	}
}
