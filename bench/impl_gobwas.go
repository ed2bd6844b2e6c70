package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"slices"
	"sync"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/klauspost/compress/flate"
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

// gobwasDeflate echoes with gobwas/ws's wsflate: an Extension per
// connection negotiates no context takeover in either direction, and
// each message is inflated through a wsflate.Reader and deflated through
// a wsflate.Writer, both taken from a pool for the message only, as
// gorilla and nbio keep their codecs. wsflate leaves the codec to its
// user; it is given klauspost/compress at level 1, the level of every
// other library. Frames are read and written with the same low-level
// calls and buffers as gobwasEcho, but whole messages are echoed, since
// a compressed message can only be inflated whole.
var gobwasDeflate = deflateServer{
	Serve: func(ln net.Listener, _ bool) func() {
		return acceptLoop(ln, gobwasDeflateEcho)
	},
	NoTakeover: "gobwas/ws's wsflate resets its compressor and decompressor for every message",
}

// gobwasInflater lets wsflate.Reader reset klauspost's inflater instead
// of making a new one for every message.
type gobwasInflater struct{ io.ReadCloser }

func (d gobwasInflater) Reset(r io.Reader) { d.ReadCloser.(flate.Resetter).Reset(r, nil) }

var (
	gobwasReaders = sync.Pool{New: func() any {
		return wsflate.NewReader(nil, func(r io.Reader) wsflate.Decompressor {
			return gobwasInflater{flate.NewReader(r)}
		})
	}}
	gobwasWriters = sync.Pool{New: func() any {
		return wsflate.NewWriter(nil, func(w io.Writer) wsflate.Compressor {
			fw, _ := flate.NewWriter(w, flate.BestSpeed)
			return fw
		})
	}}
)

func gobwasDeflateEcho(c net.Conn) {
	defer c.Close()
	ext := wsflate.Extension{Parameters: wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}}
	u := ws.Upgrader{Negotiate: ext.Negotiate}
	if _, err := u.Upgrade(c); err != nil {
		return
	}
	br := bufio.NewReaderSize(c, 4096)
	bw := bufio.NewWriterSize(c, 4096)
	hb := make([]byte, ws.MaxHeaderSize)
	var in, msg []byte   // the message as it arrived, and inflated
	var out bytes.Buffer // the echo, deflated
	var op ws.OpCode
	var compressed bool
	for {
		h, err := ws.ReadHeaderBuffer(br, hb)
		if err != nil || h.Length > maxMessage {
			return
		}
		if !h.OpCode.IsControl() && h.OpCode != ws.OpContinuation {
			op, in = h.OpCode, in[:0]
			if compressed, err = wsflate.IsCompressed(h); err != nil {
				return
			}
		}
		k := len(in)
		if k+int(h.Length) > maxMessage {
			return
		}
		in = slices.Grow(in, int(h.Length))[:k+int(h.Length)]
		p := in[k:]
		if _, err := io.ReadFull(br, p); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		if h.OpCode.IsControl() {
			in = in[:k]
			if h.OpCode == ws.OpPong {
				continue
			}
			ctl := ws.Header{Fin: true, OpCode: ws.OpPong, Length: h.Length}
			if h.OpCode == ws.OpClose {
				ctl.OpCode = ws.OpClose
			}
			if ws.WriteHeaderBuffer(bw, ctl, hb) != nil {
				return
			}
			bw.Write(p)
			if bw.Flush() != nil || h.OpCode == ws.OpClose {
				return
			}
			continue
		}
		if !h.Fin {
			continue
		}
		out.Reset()
		body := in
		if compressed {
			if msg, err = gobwasInflate(msg[:0], in); err != nil {
				return
			}
			w := gobwasWriters.Get().(*wsflate.Writer)
			w.Reset(&out)
			_, err := w.Write(msg)
			if err == nil {
				err = w.Flush()
			}
			gobwasWriters.Put(w)
			if err != nil {
				return
			}
			body = out.Bytes()
		}
		echo := ws.Header{Fin: true, OpCode: op, Length: int64(len(body))}
		if compressed {
			echo.Rsv = ws.Rsv(true, false, false)
		}
		if ws.WriteHeaderBuffer(bw, echo, hb) != nil {
			return
		}
		if _, err := bw.Write(body); err != nil || bw.Flush() != nil {
			return
		}
	}
}

// gobwasInflate appends the inflated message p to dst, at most
// maxMessage bytes of it.
func gobwasInflate(dst, p []byte) ([]byte, error) {
	r := gobwasReaders.Get().(*wsflate.Reader)
	defer gobwasReaders.Put(r)
	r.Reset(bytes.NewReader(p))
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, 32<<10)
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > maxMessage {
			return dst, errors.New("message too long")
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}
