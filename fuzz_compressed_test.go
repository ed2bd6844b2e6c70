package websocket

import (
	"bytes"
	"compress/flate"
	"context"
	"testing"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/deflate"
	"github.com/wsx-go/websocket/internal/frame"
)

// fuzzDeflate compresses msgs in turn as a client with context takeover
// would, for the seeds of FuzzCompressedRead.
func fuzzDeflate(msgs ...string) [][]byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	var out [][]byte
	for _, m := range msgs {
		buf.Reset()
		w.Write([]byte(m))
		w.Flush()
		out = append(out, bytes.Clone(buf.Bytes()[:buf.Len()-len(pmdTail)]))
	}
	return out
}

// fuzzCompressedSeeds are inputs for FuzzCompressedRead: compressed
// messages a client sends, valid and broken.
func fuzzCompressedSeeds(tb testing.TB) [][]byte {
	enc := func(frames ...wireFrame) []byte { return pmdEncode(true, frames...) }
	z := func(op frame.Opcode, p []byte) wireFrame {
		return wireFrame{fin: true, rsv: frame.RSV1, op: op, payload: p}
	}
	hello := fuzzDeflate("hello, compressed world")[0]
	pair := fuzzDeflate("the same words twice, the same words twice", "the same words twice, the same words twice")
	long := fuzzDeflate(string(pmdRandomText(3, 20_000)))[0]
	return [][]byte{
		enc(z(opText, hello), closeFrame(1000, "bye")),
		enc(pmdFrames(opText, true, hello, 4, true)...),
		enc(z(opText, pair[0]), z(opBinary, pair[1]), closeFrame(1000, "")),
		enc(wireFrame{fin: false, rsv: frame.RSV1, op: opText, payload: hello[:4]}, wireFrame{fin: true, rsv: frame.RSV1, op: opCont, payload: hello[4:]}),
		enc(z(opBinary, []byte{0xff, 0xff, 0xff})),
		enc(z(opText, fuzzDeflate("bad \xff text")[0])),
		enc(z(opText, fuzzDeflate("ends inside \xe2\x82")[0])),
		enc(z(opBinary, fuzzDeflate(string(make([]byte, 70_000)))[0])),
		enc(z(opBinary, pmdBomb(tb, 1<<20))),
		enc(z(opText, []byte{0x00})),
		enc(z(opText, nil)),
		enc(wf(opText, true, "plain"), z(opText, hello)),
		enc(pmdFrames(opText, true, long, 3, false)...),
		enc(z(opText, []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}), z(opText, []byte{0xf2, 0x00, 0x11, 0x00, 0x00})),
		enc(z(opBinary, hello).withRSV(frame.RSV1 | frame.RSV2)),
		enc(z(opPing, []byte("p"))),
	}
}

// fuzzCompressedParams picks the negotiated parameters from b: whether the
// client keeps its context, and its window, which the server's history
// follows.
func fuzzCompressedParams(b uint8) deflate.Params {
	return deflate.Params{
		ClientNoContextTakeover: b&1 != 0,
		ClientMaxWindowBits:     deflate.MinWindowBits + int(b>>1)%8,
	}
}

// FuzzCompressedRead feeds arbitrary bytes, as a client's frames, to a
// server Conn that negotiated permessage-deflate, as FuzzConnRead does
// without compression: over an in-memory connection, with one of the read
// APIs, the negotiated parameters picked by params.
//
// No input may panic or hang a read; every message read must be within
// MaxMessageSize once decompressed and, for text, valid UTF-8; NextFrame
// pieces at most 64 KiB of whole code points; the read must end with a
// *CloseError or a *ProtocolError; and what the Conn sends must be
// well-formed control frames.
func FuzzCompressedRead(f *testing.F) {
	for i, s := range fuzzCompressedSeeds(f) {
		f.Add(s, uint8(i%fuzzAPIs), uint8(i*5%8), uint16(i*37%300), uint8(i*3))
	}
	f.Fuzz(func(t *testing.T, data []byte, api, chunk uint8, buffered uint16, params uint8) {
		nc := &scriptedConn{chunk: int(chunk)}
		n := min(int(buffered), len(data))
		nc.data = data[n:]
		c := newConn(nc, false, fuzzOptions.withDefaults(), data[:n])
		c.useCompression(fuzzCompressedParams(params), &CompressionOptions{})
		defer c.Abort()

		ctx, cancel := context.WithTimeout(context.Background(), fuzzReadTimeout)
		defer cancel()
		// A NextFrame piece holds at most 64 KiB decompressed, or a
		// frame, and up to 3 bytes of a code point carried over.
		err := fuzzReadAll(ctx, c, api%fuzzAPIs, max(maxInflatedPiece, fuzzOptions.MaxFrameSize)+utf8.UTFMax-1)
		if ctx.Err() != nil {
			t.Fatalf("read hung on %q: %v", data, err)
		}
		checkFuzzEnd(t, c, err)
		checkFuzzSent(t, nc.sent(), false, err)
	})
}
