package websocket

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/deflate"
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/handshake"
)

// The helpers here drive one end of a permessage-deflate connection by
// hand. They compress and decompress with the standard library's
// compress/flate, independent of the klauspost encoder wsx uses, so that a
// test passes only if wsx speaks RFC 7692 as another implementation does.

// pmdTail is what a sender strips from the end of each compressed message
// and a receiver appends back (RFC 7692 §7.2.1, §7.2.2).
var pmdTail = []byte{0x00, 0x00, 0xff, 0xff}

// pmdDeflater compresses messages as an RFC 7692 sender does: DEFLATE,
// flushed to a byte boundary with an empty stored block, whose last four
// octets are removed. With takeover one encoder runs across messages, so a
// message may refer back to earlier ones; without, each starts afresh.
type pmdDeflater struct {
	takeover bool
	buf      bytes.Buffer
	w        *flate.Writer
}

func newPMDDeflater(t testing.TB, takeover bool) *pmdDeflater {
	t.Helper()
	d := &pmdDeflater{takeover: takeover}
	w, err := flate.NewWriter(&d.buf, flate.DefaultCompression)
	if err != nil {
		t.Fatal(err)
	}
	d.w = w
	return d
}

// compress returns msg's compressed payload.
func (d *pmdDeflater) compress(t testing.TB, msg []byte) []byte {
	t.Helper()
	if !d.takeover {
		d.w.Reset(&d.buf)
	}
	d.buf.Reset()
	if _, err := d.w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := d.w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(d.buf.Bytes())
	if !bytes.HasSuffix(out, pmdTail) {
		t.Fatalf("compress/flate flush does not end with %x: %x", pmdTail, out)
	}
	return out[:len(out)-len(pmdTail)]
}

// pmdInflater decompresses messages as an RFC 7692 receiver does. With
// takeover it keeps the last 32 KiB of output as the dictionary of the
// next message.
type pmdInflater struct {
	takeover bool
	history  []byte
}

// inflate returns what payload decompresses to, or an error.
func (in *pmdInflater) inflate(payload []byte) ([]byte, error) {
	// The stripped tail completes the flush block; a final empty stored
	// block after it ends the stream, so the reader stops with io.EOF
	// rather than asking for more input.
	src := append(append(bytes.Clone(payload), pmdTail...), 0x01, 0x00, 0x00, 0xff, 0xff)
	var r io.ReadCloser
	if in.takeover && len(in.history) > 0 {
		r = flate.NewReaderDict(bytes.NewReader(src), in.history)
	} else {
		r = flate.NewReader(bytes.NewReader(src))
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if in.takeover {
		in.history = append(in.history, out...)
		if n := len(in.history) - 32<<10; n > 0 {
			in.history = append(in.history[:0], in.history[n:]...)
		}
	}
	return out, nil
}

// mustInflate is inflate failing the test on an error.
func (in *pmdInflater) mustInflate(t testing.TB, payload []byte) []byte {
	t.Helper()
	out, err := in.inflate(payload)
	if err != nil {
		t.Fatalf("compress/flate cannot decompress the %d-byte payload wsx sent: %v", len(payload), err)
	}
	return out
}

// pmdRawClient upgrades a raw TCP connection to a server Conn made by
// Accept with opts, its request carrying one Sec-WebSocket-Extensions line
// per offer. It returns both ends and the server's answer.
func pmdRawClient(t testing.TB, opts *AcceptOptions, offers ...string) (*rawClientConn, *Conn, *http.Response) {
	t.Helper()
	srv, accepted := acceptServer(t, false, opts, nil)
	nc, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(testTimeout))
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + handshake.NewKey() +
		"\r\nSec-WebSocket-Version: 13\r\n")
	for _, o := range offers {
		b.WriteString("Sec-WebSocket-Extensions: " + o + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(nc, b.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("raw handshake: %v %v", resp, err)
	}
	return &rawClientConn{Conn: nc, br: br}, takeConn(t, accepted), resp
}

// pmdDialResult is the outcome of pmdDial.
type pmdDialResult struct {
	c       *Conn          // the client, if Dial succeeded
	err     error          // Dial's error
	raw     *rawClientConn // the hand-driven server end, if Dial succeeded
	offered []string       // the Sec-WebSocket-Extensions values Dial sent
}

// pmdDial dials a hand-driven server with a Dialer offering z (nil: no
// compression); the server answers 101 with one Sec-WebSocket-Extensions
// pmdConn returns a wsx connection with compression options z and the raw
// peer that negotiated ext with it: a wsx client whose raw server answers
// ext, or a wsx server whose raw client offers ext.
func pmdConn(t *testing.T, client bool, z *CompressionOptions, ext string) (*Conn, *rawClientConn) {
	t.Helper()
	if client {
		r := pmdDial(t, z, nil, ext)
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.c, r.raw
	}
	raw, c, _ := pmdRawClient(t, &AcceptOptions{Options: Options{Compression: z}}, ext)
	return c, raw
}

// line per value of answer. opts, if set, supplies the other options.
func pmdDial(t *testing.T, z *CompressionOptions, opts *Options, answer ...string) pmdDialResult {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	type served struct {
		raw     *rawClientConn
		offered []string
	}
	ch := make(chan served, 1)
	go func() {
		defer close(ch)
		nc, err := ln.Accept()
		ln.Close()
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
		var b strings.Builder
		b.WriteString(switchingProtocols(req))
		for _, a := range answer {
			b.WriteString("Sec-WebSocket-Extensions: " + a + "\r\n")
		}
		b.WriteString("\r\n")
		io.WriteString(nc, b.String())
		ch <- served{&rawClientConn{Conn: nc, br: br}, req.Header.Values("Sec-WebSocket-Extensions")}
	}()
	t.Cleanup(func() { ln.Close() })
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Compression = z
	c, err := Dial(testContext(t), "ws://"+ln.Addr().String()+"/", &DialOptions{Options: o})
	s, ok := <-ch
	if !ok {
		if c != nil {
			c.Abort()
		}
		t.Fatalf("raw server: no handshake (Dial: %v)", err)
	}
	t.Cleanup(func() { s.raw.Close() })
	res := pmdDialResult{c: c, err: err, offered: s.offered}
	if err != nil {
		s.raw.Close()
		return res
	}
	t.Cleanup(c.Abort)
	res.raw = s.raw
	return res
}

// pmdFrames cuts payload into n frames of a message with opcode op, RSV1
// on the first when compressed, and, with pings, a ping between every two.
func pmdFrames(op frame.Opcode, compressed bool, payload []byte, n int, pings bool) []wireFrame {
	var frames []wireFrame
	for i := range n {
		lo, hi := len(payload)*i/n, len(payload)*(i+1)/n
		f := wireFrame{fin: i == n-1, op: frame.OpContinuation, payload: payload[lo:hi]}
		if i == 0 {
			f.op = op
			if compressed {
				f.rsv = frame.RSV1
			}
		}
		if i > 0 && pings {
			frames = append(frames, wireFrame{fin: true, op: frame.OpPing, payload: []byte{'p', byte(i)}})
		}
		frames = append(frames, f)
	}
	return frames
}

// pmdEncode joins the frames' bytes, masked as a client sends them.
func pmdEncode(masked bool, frames ...wireFrame) []byte {
	var b []byte
	for _, f := range frames {
		b = append(b, f.encode(masked)...)
	}
	return b
}

// pmdWriteAsync writes b on a goroutine, so that a Conn can read while a
// long write is under way, and returns a channel that gets its error.
func pmdWriteAsync(w io.Writer, b []byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := w.Write(b)
		ch <- err
	}()
	return ch
}

// pmdWait waits for the error on ch and fails the test if it is not nil.
func pmdWait(t testing.TB, what string, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(testTimeout):
		t.Fatalf("%s: timed out", what)
	}
}

// pmdRandom returns n random bytes from a fixed seed, which do not
// compress.
func pmdRandom(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// pmdRandomText returns random valid UTF-8 of exactly n bytes, mixing code
// points of 1 to 4 bytes, which compresses poorly.
func pmdRandomText(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x7e47))
	b := make([]byte, 0, n+utf8.UTFMax)
	ranges := [][2]rune{{0x20, 0x7e}, {0xa0, 0x7ff}, {0x800, 0xd7ff}, {0x10000, 0x10ffff}}
	for len(b) < n {
		rg := ranges[r.IntN(len(ranges))]
		cp := rg[0] + rune(r.IntN(int(rg[1]-rg[0]+1)))
		if len(b)+utf8.RuneLen(cp) > n {
			cp = 'x'
		}
		b = utf8.AppendRune(b, cp)
	}
	return b
}

// pmdCompressible returns n bytes of repetitive UTF-8 text, which
// compresses well.
func pmdCompressible(n int) []byte {
	const unit = `{"user":"héloïse","status":"online ✓","seq":12345},`
	b := make([]byte, 0, n)
	for len(b) < n {
		for _, r := range unit {
			if len(b) == n {
				break
			}
			if len(b)+utf8.RuneLen(r) > n {
				r = 'x'
			}
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

// pmdReadErr reads with c until an error and returns it on the channel;
// messages read on the way are dropped.
func pmdReadErr(c *Conn) <-chan error {
	ch := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				ch <- err
				return
			}
		}
	}()
	return ch
}

// pmdProtocolCode returns the close code of the *ProtocolError err holds,
// failing the test if it holds none.
func pmdProtocolCode(t testing.TB, err error) CloseCode {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *ProtocolError", err, err)
	}
	return pe.Code
}

// pmdRaceEnabled reports whether the test binary was built with -race,
// under which sync.Pool drops items at random, so that allocation counts
// mean nothing.
func pmdRaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestCompressionServerAnswersOffers sends Sec-WebSocket-Extensions offers
// from a raw client and checks the server's exact answer (RFC 7692 §5.1):
// the first acceptable offer wins, offers breaking §7.1 are declined one by
// one, and a malformed header declines compression without failing the
// handshake. Then one message each way checks that both ends act on the
// answer.
func TestCompressionServerAnswersOffers(t *testing.T) {
	checkNoLeaks(t)
	zero := &CompressionOptions{}
	tests := []struct {
		name   string
		server *CompressionOptions
		offers []string // one header line each
		want   string   // the answer's extension, "" for none
	}{
		{"plain offer", zero, []string{"permessage-deflate"}, "permessage-deflate"},
		{"valueless client_max_window_bits", zero, []string{"permessage-deflate; client_max_window_bits"}, "permessage-deflate"},
		{"first of several offers in one header", zero,
			[]string{"permessage-deflate; server_max_window_bits=10; client_max_window_bits, permessage-deflate"},
			"permessage-deflate; server_max_window_bits=10"},
		{"unknown param declined, later offer taken", zero,
			[]string{"permessage-deflate; x_window=1, permessage-deflate; server_no_context_takeover"},
			"permessage-deflate; server_no_context_takeover"},
		{"duplicate param declined, later offer taken", zero,
			[]string{"permessage-deflate; client_no_context_takeover; client_no_context_takeover, permessage-deflate; client_max_window_bits=12"},
			"permessage-deflate; client_max_window_bits=12"},
		{"duplicate window bits declined", zero,
			[]string{"permessage-deflate; server_max_window_bits=10; server_max_window_bits=10, permessage-deflate"},
			"permessage-deflate"},
		{"window bits 16 declined", zero,
			[]string{"permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=15"},
			"permessage-deflate; server_max_window_bits=15"},
		{"window bits 7 declined", zero,
			[]string{"permessage-deflate; client_max_window_bits=7, permessage-deflate"}, "permessage-deflate"},
		{"window bits with a leading zero declined", zero,
			[]string{"permessage-deflate; server_max_window_bits=010, permessage-deflate; client_no_context_takeover"},
			"permessage-deflate; client_no_context_takeover"},
		{"value on server_no_context_takeover declined", zero, []string{"permessage-deflate; server_no_context_takeover=1"}, ""},
		{"server_max_window_bits without value declined", zero, []string{"permessage-deflate; server_max_window_bits"}, ""},
		{"quoted window bits", zero, []string{`permessage-deflate; server_max_window_bits="9"`}, "permessage-deflate; server_max_window_bits=9"},
		{"names in another case", zero, []string{"PerMessage-Deflate; Server_No_Context_Takeover"}, "permessage-deflate; server_no_context_takeover"},
		{"other extensions skipped", zero,
			[]string{"x-webkit-deflate-frame, permessage-deflate; client_max_window_bits=10"},
			"permessage-deflate; client_max_window_bits=10"},
		{"offers across header lines", zero, []string{"x-foo", "permessage-deflate; server_max_window_bits=11"}, "permessage-deflate; server_max_window_bits=11"},
		{"only other extensions", zero, []string{"x-foo; a=1, deflate-frame"}, ""},
		{"no offer", zero, nil, ""},
		{"server without compression", nil, []string{"permessage-deflate"}, ""},

		{"server limits a client that cannot be told", &CompressionOptions{ClientMaxWindowBits: 10}, []string{"permessage-deflate"}, ""},
		{"server limits the valueless form", &CompressionOptions{ClientMaxWindowBits: 10},
			[]string{"permessage-deflate, permessage-deflate; client_max_window_bits"},
			"permessage-deflate; client_max_window_bits=10"},
		{"server limit below the client's value", &CompressionOptions{ClientMaxWindowBits: 10},
			[]string{"permessage-deflate; client_max_window_bits=12"}, "permessage-deflate; client_max_window_bits=10"},
		{"client's value below the server's limit", &CompressionOptions{ClientMaxWindowBits: 12},
			[]string{"permessage-deflate; client_max_window_bits=9"}, "permessage-deflate; client_max_window_bits=9"},
		{"server window below the offer", &CompressionOptions{ServerMaxWindowBits: 9},
			[]string{"permessage-deflate; server_max_window_bits=12"}, "permessage-deflate; server_max_window_bits=9"},
		{"server window announced unasked", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate"}, "permessage-deflate; server_max_window_bits=10"},
		{"no context takeover imposed", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true},
			[]string{"permessage-deflate"}, "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},

		// RFC 6455 §9.1 grammar broken: compression is declined, the
		// handshake goes on.
		{"malformed: parameter without a name", zero, []string{"permessage-deflate; =1"}, ""},
		{"malformed: unterminated quote", zero, []string{`permessage-deflate; server_max_window_bits="10`}, ""},
		{"malformed: junk after the name", zero, []string{"permessage-deflate foo"}, ""},
		{"malformed: empty parameter", zero, []string{"permessage-deflate; ;"}, ""},
		{"malformed line beside a valid one", zero, []string{"permessage-deflate", "permessage-deflate; server_max_window_bits=10 x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			raw, server, resp := pmdRawClient(t, &AcceptOptions{Options: Options{Compression: tt.server}}, tt.offers...)
			got := resp.Header.Values("Sec-WebSocket-Extensions")
			switch {
			case tt.want == "" && len(got) != 0:
				t.Fatalf("answer %q, want no Sec-WebSocket-Extensions", got)
			case tt.want != "" && (len(got) != 1 || got[0] != tt.want):
				t.Fatalf("answer %q, want %q", got, tt.want)
			}
			if e := server.Extensions(); e != tt.want {
				t.Errorf("server Extensions() = %q, want %q", e, tt.want)
			}
			if c := server.Compressed(); c != (tt.want != "") {
				t.Errorf("server Compressed() = %v, want %v", c, tt.want != "")
			}

			// The server compresses what reaches the threshold only when
			// negotiated.
			msg := pmdCompressible(1000)
			if err := server.Write(ctx, MessageText, msg); err != nil {
				t.Fatal(err)
			}
			h, p := raw.readFrame(t)
			if compressed := h.RSV == frame.RSV1; compressed != (tt.want != "") {
				t.Fatalf("server frame RSV %#x, want compressed %v", h.RSV, tt.want != "")
			}
			if h.RSV != 0 {
				p = (&pmdInflater{}).mustInflate(t, p)
			}
			if !h.Fin || !bytes.Equal(p, msg) {
				t.Fatalf("server sent fin %v %q, want %q", h.Fin, p, msg)
			}

			// A compressed message from the client is read when negotiated,
			// and fails the connection with 1002 when not. 200 bytes keep
			// its back-references within the smallest window.
			msg = pmdCompressible(200)
			type result struct {
				p   []byte
				err error
			}
			done := make(chan result, 1)
			go func() {
				_, p, err := server.Read(ctx)
				done <- result{p, err}
			}()
			raw.Write(pmdEncode(true, wireFrame{fin: true, rsv: frame.RSV1, op: frame.OpText,
				payload: newPMDDeflater(t, false).compress(t, msg)}))
			if tt.want == "" {
				// The server lingers until the peer closes.
				if code, _ := raw.readClose(t); code != uint16(CloseProtocolError) {
					t.Errorf("compressed message without negotiation: close code %d, want %d", code, CloseProtocolError)
				}
				raw.Close()
				if code := pmdProtocolCode(t, (<-done).err); code != CloseProtocolError {
					t.Fatalf("compressed message without negotiation: error code %d, want %d", code, CloseProtocolError)
				}
				return
			}
			if r := <-done; r.err != nil || !bytes.Equal(r.p, msg) {
				t.Fatalf("server read %q, %v; want %q", r.p, r.err, msg)
			}
		})
	}
}

// TestCompressionServerFrames reads what a server Conn sends through each
// write API with compression negotiated, frame by frame: RSV1 on the first
// frame of a compressed message only, never on continuations, frames no
// longer than OutgoingFrameSize, and a payload that compress/flate
// decompresses to the message.
func TestCompressionServerFrames(t *testing.T) {
	checkNoLeaks(t)
	const frameSize = 1000
	raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
		Compression:       &CompressionOptions{},
		OutgoingFrameSize: frameSize,
	}}, "permessage-deflate")
	ctx := testContext(t)
	prep128, _ := NewPreparedMessage(MessageBinary, pmdCompressible(128))
	prep127, _ := NewPreparedMessage(MessageBinary, pmdCompressible(127))
	writer := func(chunk int) func(typ MessageType, p []byte) error {
		return func(typ MessageType, p []byte) error {
			w, err := server.Writer(ctx, typ)
			if err != nil {
				return err
			}
			for len(p) > 0 {
				n := min(chunk, len(p))
				if _, err := w.Write(p[:n]); err != nil {
					return err
				}
				p = p[n:]
			}
			return w.Close()
		}
	}
	write := func(typ MessageType, p []byte) error { return server.Write(ctx, typ, p) }
	uncompressed := func(typ MessageType, p []byte) error { return server.WriteUncompressed(ctx, typ, p) }
	text := func(_ MessageType, p []byte) error { return server.WriteText(ctx, string(p)) }
	prepared := func(m *PreparedMessage) func(MessageType, []byte) error {
		return func(MessageType, []byte) error { return server.WritePrepared(ctx, m) }
	}
	tests := []struct {
		name       string
		send       func(typ MessageType, p []byte) error
		typ        MessageType
		msg        []byte
		compressed bool
	}{
		{"Write empty", write, MessageBinary, nil, false},
		{"Write 1 byte", write, MessageText, []byte("a"), false},
		{"Write 127 bytes", write, MessageText, pmdCompressible(127), false},
		{"Write 128 bytes", write, MessageText, pmdCompressible(128), true},
		{"WriteText 128 bytes", text, MessageText, pmdCompressible(128), true},
		{"WriteText 127 bytes", text, MessageText, pmdCompressible(127), false},
		{"Write compressible 100 KB", write, MessageText, pmdCompressible(100_000), true},
		{"Write random 5000 bytes", write, MessageBinary, pmdRandom(1, 5000), true},
		{"Write random text 300 KB", write, MessageText, pmdRandomText(2, 300_000), true},
		{"WriteUncompressed 128 bytes", uncompressed, MessageText, pmdCompressible(128), false},
		{"WriteUncompressed 5000 bytes", uncompressed, MessageBinary, pmdCompressible(5000), false},
		{"Writer 127 bytes", writer(1000), MessageText, pmdCompressible(127), false},
		{"Writer 128 bytes", writer(1000), MessageText, pmdCompressible(128), true},
		{"Writer 128 bytes in 1-byte writes", writer(1), MessageBinary, pmdCompressible(128), true},
		{"Writer random 70 KB in 3000-byte writes", writer(3000), MessageBinary, pmdRandom(3, 70_000), true},
		{"Writer compressible 200 KB in 7-byte writes", writer(7), MessageText, pmdCompressible(200_000), true},
		{"WritePrepared 128 bytes", prepared(prep128), MessageBinary, prep128.Payload(), true},
		{"WritePrepared 127 bytes", prepared(prep127), MessageBinary, prep127.Payload(), false},
		{"Write 128 bytes after uncompressed ones", write, MessageBinary, pmdCompressible(128), true},
	}
	// The server keeps its context: each compressed message may refer
	// back to the ones before, so one decoder follows them all.
	in := &pmdInflater{takeover: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			go func() { errc <- tt.send(tt.typ, tt.msg) }()
			hs, ps := readMessageFrames(t, raw)
			pmdWait(t, "send", errc)
			var payload []byte
			for i, h := range hs {
				wantOp, wantRSV := frame.OpContinuation, byte(0)
				if i == 0 {
					wantOp = frame.Opcode(tt.typ)
					if tt.compressed {
						wantRSV = frame.RSV1
					}
				}
				if h.Opcode != wantOp || h.RSV != wantRSV || h.Masked {
					t.Fatalf("frame %d of %d: opcode %v RSV %#x masked %v, want %v RSV %#x unmasked",
						i, len(hs), h.Opcode, h.RSV, h.Masked, wantOp, wantRSV)
				}
				if h.Length > frameSize {
					t.Fatalf("frame %d: %d bytes, want at most OutgoingFrameSize %d", i, h.Length, frameSize)
				}
				payload = append(payload, ps[i]...)
			}
			if tt.compressed {
				payload = in.mustInflate(t, payload)
			} else if len(payload) > frameSize && len(hs) == 1 {
				t.Fatalf("%d bytes in one frame", len(payload))
			}
			if !bytes.Equal(payload, tt.msg) {
				t.Fatalf("peer got %d bytes, want the %d sent", len(payload), len(tt.msg))
			}
		})
	}
}

// TestCompressionThreshold checks that messages as long as
// CompressionOptions.Threshold are compressed and shorter ones not, for
// Write and Writer, with the default, a set and a negative threshold.
func TestCompressionThreshold(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		threshold  int
		size       int
		compressed bool
	}{
		{0, 127, false}, {0, DefaultCompressionThreshold, true},
		{10, 9, false}, {10, 10, true},
		{1000, 999, false}, {1000, 1000, true},
		{-1, 0, true}, {-1, 1, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("threshold %d size %d", tt.threshold, tt.size), func(t *testing.T) {
			raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
				Compression: &CompressionOptions{Threshold: tt.threshold},
			}}, "permessage-deflate; server_no_context_takeover")
			ctx := testContext(t)
			msg := pmdCompressible(tt.size)
			for _, api := range []string{"Write", "Writer"} {
				if api == "Write" {
					if err := server.Write(ctx, MessageBinary, msg); err != nil {
						t.Fatal(err)
					}
				} else {
					w, err := server.Writer(ctx, MessageBinary)
					if err != nil {
						t.Fatal(err)
					}
					w.Write(msg)
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
				}
				h, p := raw.readFrame(t)
				if got := h.RSV == frame.RSV1; got != tt.compressed {
					t.Fatalf("%s: RSV %#x, want compressed %v", api, h.RSV, tt.compressed)
				}
				if got := h.RSV == frame.RSV1; got {
					p = (&pmdInflater{}).mustInflate(t, p)
				}
				if !bytes.Equal(p, msg) {
					t.Fatalf("%s: peer got %q, want %q", api, p, msg)
				}
			}
		})
	}
}

// TestCompressionServerReadsCompressed sends messages compressed by
// compress/flate from a raw client, whole or cut into frames with pings
// between them, with and without context takeover, and checks that the
// server reads each and answers every ping.
func TestCompressionServerReadsCompressed(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		name     string
		server   *CompressionOptions
		offer    string
		takeover bool // the answer lets the client keep its context
		frames   int  // per message
		pings    bool
	}{
		{"takeover, whole messages", &CompressionOptions{}, "permessage-deflate", true, 1, false},
		{"takeover, 5 frames and pings", &CompressionOptions{}, "permessage-deflate", true, 5, true},
		{"takeover, 40 frames and pings", &CompressionOptions{}, "permessage-deflate", true, 40, true},
		{"client_no_context_takeover offered", &CompressionOptions{}, "permessage-deflate; client_no_context_takeover", false, 5, true},
		{"client_no_context_takeover imposed", &CompressionOptions{ClientNoContextTakeover: true}, "permessage-deflate", false, 1, false},
	}
	msgs := []struct {
		typ      MessageType
		p        []byte
		compress bool
	}{
		{MessageText, pmdCompressible(10_000), true},
		{MessageBinary, pmdRandom(4, 3000), true},
		{MessageBinary, pmdRandom(4, 3000), true}, // refers back to the previous one with takeover
		{MessageText, nil, true},
		{MessageText, []byte("plain, RSV1 clear"), false},
		{MessageText, pmdRandomText(5, 200_000), true},
		{MessageBinary, []byte("after a plain message"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, server, resp := pmdRawClient(t, &AcceptOptions{Options: Options{Compression: tt.server}}, tt.offer)
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); strings.Contains(got, "client_no_context_takeover") == tt.takeover {
				t.Fatalf("answer %q, want takeover %v", got, tt.takeover)
			}
			ctx := testContext(t)
			d := newPMDDeflater(t, tt.takeover)
			var wire []byte
			pings := 0
			for i, m := range msgs {
				p := m.p
				if m.compress {
					p = d.compress(t, m.p)
					if i == 2 {
						// The repeat is tiny only if it refers back.
						if small := len(p) < 300; small != tt.takeover {
							t.Fatalf("repeated message compressed to %d bytes with takeover %v", len(p), tt.takeover)
						}
					}
				}
				frames := pmdFrames(frame.Opcode(m.typ), m.compress, p, tt.frames, tt.pings)
				if tt.pings {
					pings += tt.frames - 1
				}
				wire = append(wire, pmdEncode(true, frames...)...)
			}
			werr := pmdWriteAsync(raw, wire)
			for i, m := range msgs {
				typ, p, err := server.Read(ctx)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if typ != m.typ || !bytes.Equal(p, m.p) {
					t.Fatalf("message %d: read %v of %d bytes, want %v of %d", i, typ, len(p), m.typ, len(m.p))
				}
			}
			pmdWait(t, "raw write", werr)
			for i := range pings {
				h, p := raw.readFrame(t)
				if h.Opcode != frame.OpPong || len(p) != 2 || p[0] != 'p' {
					t.Fatalf("frame %d after the pings: %v %q, want a pong", i, h.Opcode, p)
				}
			}
		})
	}
}

// TestCompressionDialOffers checks the Sec-WebSocket-Extensions offer Dial
// sends for its CompressionOptions.
func TestCompressionDialOffers(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		name string
		z    *CompressionOptions
		want []string
	}{
		{"no compression", nil, nil},
		{"defaults: valueless client_max_window_bits", &CompressionOptions{}, []string{"permessage-deflate; client_max_window_bits"}},
		{"level and threshold are not offered", &CompressionOptions{Level: 9, Threshold: 5}, []string{"permessage-deflate; client_max_window_bits"}},
		{"every parameter", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 9},
			[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9"}},
		{"window bits 15 said", &CompressionOptions{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15},
			[]string{"permessage-deflate; server_max_window_bits=15; client_max_window_bits=15"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pmdDial(t, tt.z, nil)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !slices.Equal(r.offered, tt.want) {
				t.Fatalf("offered %q, want %q", r.offered, tt.want)
			}
			if r.c.Compressed() || r.c.Extensions() != "" {
				t.Fatalf("without an answer: Compressed() %v, Extensions() %q", r.c.Compressed(), r.c.Extensions())
			}
		})
	}
	t.Run("options out of range", func(t *testing.T) {
		for _, z := range []*CompressionOptions{{Level: 10}, {Level: -1}, {ServerMaxWindowBits: 7}, {ClientMaxWindowBits: 16}} {
			_, err := Dial(testContext(t), "ws://127.0.0.1:1/", &DialOptions{Options: Options{Compression: z}})
			mustDialError(t, err, "options", KindInvalidInput)
		}
	})
}

// TestCompressionDialAnswers answers Dial's offer with crafted
// Sec-WebSocket-Extensions values: each one RFC 6455 §9.1 or RFC 7692 §5.2
// makes the client refuse must fail Dial with the right Kind; the others
// give a connection that compresses as the answer says, checked with one
// message each way.
func TestCompressionDialAnswers(t *testing.T) {
	checkNoLeaks(t)
	zero := &CompressionOptions{}
	const ok = KindUnknown
	tests := []struct {
		name   string
		z      *CompressionOptions // offered; nil offers nothing
		answer []string            // one header line each
		kind   ErrorKind           // of the Dial error; ok: Dial succeeds
		want   string              // Extensions() when Dial succeeds
	}{
		{"malformed: parameter without a name", zero, []string{"permessage-deflate; =1"}, KindBadExtension, ""},
		{"malformed: junk after the name", zero, []string{"permessage-deflate x"}, KindBadExtension, ""},
		{"malformed: unterminated quote", zero, []string{`permessage-deflate; server_max_window_bits="9`}, KindBadExtension, ""},
		{"malformed line beside a valid one", zero, []string{"permessage-deflate", ";"}, KindBadExtension, ""},
		{"duplicate no_context_takeover", zero, []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, KindBadExtension, ""},
		{"duplicate window bits", zero, []string{"permessage-deflate; client_max_window_bits=10; client_max_window_bits=10"}, KindBadExtension, ""},
		{"unknown parameter", zero, []string{"permessage-deflate; x_param"}, KindBadExtension, ""},
		{"value on client_no_context_takeover", zero, []string{"permessage-deflate; client_no_context_takeover=1"}, KindBadExtension, ""},
		{"server window bits 7", zero, []string{"permessage-deflate; server_max_window_bits=7"}, KindBadExtension, ""},
		{"server window bits 16", zero, []string{"permessage-deflate; server_max_window_bits=16"}, KindBadExtension, ""},
		{`server window bits "010"`, zero, []string{"permessage-deflate; server_max_window_bits=010"}, KindBadExtension, ""},
		{"client window bits 7", zero, []string{"permessage-deflate; client_max_window_bits=7"}, KindBadExtension, ""},
		{"client window bits 16", zero, []string{"permessage-deflate; client_max_window_bits=16"}, KindBadExtension, ""},
		{"server_max_window_bits without a value", zero, []string{"permessage-deflate; server_max_window_bits"}, KindBadExtension, ""},
		{"client_max_window_bits without a value", zero, []string{"permessage-deflate; client_max_window_bits"}, KindBadExtension, ""},
		{"server_max_window_bits above the offer", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate; server_max_window_bits=11"}, KindBadExtension, ""},

		{"x-foo", zero, []string{"x-foo"}, KindUnrequestedExtension, ""},
		{"x-foo beside permessage-deflate", zero, []string{"permessage-deflate, x-foo"}, KindUnrequestedExtension, ""},
		{"x-foo on a second line", zero, []string{"permessage-deflate", "x-foo; a=1"}, KindUnrequestedExtension, ""},
		// Accepting the one offer twice is refused as a broken answer
		// (deflate.ParseResponse), not as an unrequested extension.
		{"permessage-deflate twice", zero, []string{"permessage-deflate, permessage-deflate"}, KindBadExtension, ""},
		{"permessage-deflate on two lines", zero, []string{"permessage-deflate", "permessage-deflate"}, KindBadExtension, ""},
		{"permessage-deflate when none offered", nil, []string{"permessage-deflate"}, KindUnrequestedExtension, ""},
		{"x-foo when none offered", nil, []string{"x-foo"}, KindUnrequestedExtension, ""},

		{"no answer", zero, nil, ok, ""},
		{"empty answer", zero, []string{""}, ok, ""},
		{"no offer, no answer", nil, nil, ok, ""},
		{"plain answer", zero, []string{"permessage-deflate"}, ok, "permessage-deflate"},
		{"answer in another case", zero, []string{"Permessage-Deflate; Server_No_Context_Takeover"}, ok, "permessage-deflate; server_no_context_takeover"},
		// ClientMaxWindowBits 0 offers client_max_window_bits without a
		// value, so a server may set any limit: wsx never offers without
		// the parameter, so "not offered" cannot happen through Dial.
		{"client_max_window_bits answering the valueless offer", zero,
			[]string{"permessage-deflate; client_max_window_bits=9"}, ok, "permessage-deflate; client_max_window_bits=9"},
		{"server_max_window_bits at the offer", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate; server_max_window_bits=10"}, ok, "permessage-deflate; server_max_window_bits=10"},
		{"server_max_window_bits below the offer", &CompressionOptions{ServerMaxWindowBits: 10},
			[]string{"permessage-deflate; server_max_window_bits=8"}, ok, "permessage-deflate; server_max_window_bits=8"},
		{"server_max_window_bits unasked", zero,
			[]string{`permessage-deflate; server_max_window_bits="12"`}, ok, "permessage-deflate; server_max_window_bits=12"},
		{"no context takeover both ways", zero,
			[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, ok,
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"offered parameters left out", &CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 9},
			[]string{"permessage-deflate"}, ok, "permessage-deflate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pmdDial(t, tt.z, nil, tt.answer...)
			if tt.kind != ok {
				if r.err == nil {
					t.Fatalf("Dial succeeded with Extensions() %q, want kind %v", r.c.Extensions(), tt.kind)
				}
				mustDialError(t, r.err, "handshake", tt.kind)
				return
			}
			if r.err != nil {
				t.Fatalf("Dial: %v", r.err)
			}
			c, raw, ctx := r.c, r.raw, testContext(t)
			if e := c.Extensions(); e != tt.want {
				t.Fatalf("Extensions() = %q, want %q", e, tt.want)
			}
			negotiated := tt.want != ""
			if c.Compressed() != negotiated {
				t.Fatalf("Compressed() = %v, want %v", c.Compressed(), negotiated)
			}
			// The server's message, compressed if negotiated; 200 bytes keep
			// its back-references within the smallest window.
			msg := pmdCompressible(200)
			f := wireFrame{fin: true, op: frame.OpText, payload: msg}
			if negotiated {
				f.rsv, f.payload = frame.RSV1, newPMDDeflater(t, false).compress(t, msg)
			}
			raw.Write(f.encode(false))
			if _, got, err := c.Read(ctx); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("client read %q, %v; want %q", got, err, msg)
			}
			msg = pmdCompressible(1000)
			if err := c.Write(ctx, MessageBinary, msg); err != nil {
				t.Fatal(err)
			}
			h, p := raw.readFrame(t)
			if !h.Masked || (h.RSV == frame.RSV1) != negotiated {
				t.Fatalf("client frame masked %v RSV %#x, want masked and compressed %v", h.Masked, h.RSV, negotiated)
			}
			if negotiated {
				p = (&pmdInflater{}).mustInflate(t, p)
			}
			if !bytes.Equal(p, msg) {
				t.Fatalf("client sent %q, want %q", p, msg)
			}
		})
	}
}

// TestCompressionReadFailures sends frames that break RFC 7692 or that
// decompress to what the receive rules refuse, and checks the close code
// the server fails the connection with, as the raw client reads it and as
// Read reports it. A close frame follows the bad frames: a server that
// wrongly accepted them answers it with 1000 at once.
func TestCompressionReadFailures(t *testing.T) {
	checkNoLeaks(t)
	zc := func(s []byte) []byte { return newPMDDeflater(t, false).compress(t, s) }
	hello := zc([]byte("hello, compressed world"))
	boundary := append(bytes.Repeat([]byte("a"), maxInflatedPiece-1), "\xe2(\xa2 and on"...)
	repeated := newPMDDeflater(t, true)
	first := repeated.compress(t, pmdRandom(6, 2000))
	second := repeated.compress(t, pmdRandom(6, 2000))
	on := &CompressionOptions{}
	tests := []struct {
		name   string
		server *CompressionOptions // nil: compression off
		offer  string
		frames []wireFrame
		code   CloseCode
	}{
		{"RSV1 on a continuation", on, "permessage-deflate", []wireFrame{
			{fin: false, rsv: frame.RSV1, op: frame.OpText, payload: hello[:4]},
			{fin: true, rsv: frame.RSV1, op: frame.OpContinuation, payload: hello[4:]},
		}, CloseProtocolError},
		{"RSV1 on a continuation of a plain message", on, "permessage-deflate", []wireFrame{
			{fin: false, op: frame.OpText, payload: []byte("hel")},
			{fin: true, rsv: frame.RSV1, op: frame.OpContinuation, payload: []byte("lo")},
		}, CloseProtocolError},
		{"RSV1 on a ping", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpPing, payload: []byte("p")},
		}, CloseProtocolError},
		{"RSV1 on a ping inside a compressed message", on, "permessage-deflate", []wireFrame{
			{fin: false, rsv: frame.RSV1, op: frame.OpText, payload: hello[:4]},
			{fin: true, rsv: frame.RSV1, op: frame.OpPing, payload: []byte("p")},
			{fin: true, op: frame.OpContinuation, payload: hello[4:]},
		}, CloseProtocolError},
		{"RSV1 on a pong", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpPong},
		}, CloseProtocolError},
		{"RSV1 without compression on the server", nil, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: hello},
		}, CloseProtocolError},
		{"RSV1 without an offer", on, "", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: hello},
		}, CloseProtocolError},
		{"RSV2 with compression", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV2, op: frame.OpBinary, payload: []byte("x")},
		}, CloseProtocolError},
		{"RSV1 and RSV2", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1 | frame.RSV2, op: frame.OpBinary, payload: hello},
		}, CloseProtocolError},
		{"RSV3 with compression", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV3, op: frame.OpText, payload: []byte("x")},
		}, CloseProtocolError},
		{"reserved block type", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpBinary, payload: []byte{0xff, 0xff, 0xff}},
		}, CloseInvalidPayload},
		{"stored block length check broken", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpBinary, payload: []byte{0x00, 0x05, 0x00, 0x00, 0x00, 'a', 'b', 'c', 'd', 'e'}},
		}, CloseInvalidPayload},
		{"garbage in a later frame", on, "permessage-deflate", []wireFrame{
			{fin: false, rsv: frame.RSV1, op: frame.OpText, payload: hello[:len(hello)/2]},
			{fin: true, op: frame.OpContinuation, payload: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		}, CloseInvalidPayload},
		{"back-reference after client_no_context_takeover", on, "permessage-deflate; client_no_context_takeover", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpBinary, payload: first},
			{fin: true, rsv: frame.RSV1, op: frame.OpBinary, payload: second},
		}, CloseInvalidPayload},
		{"compressed text, invalid UTF-8", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: zc([]byte("valid, then \xff"))},
		}, CloseInvalidPayload},
		{"compressed text, surrogate", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: zc([]byte("\xed\xa0\x80"))},
		}, CloseInvalidPayload},
		{"invalid UTF-8 across decompressed pieces and 1-byte frames", on, "permessage-deflate",
			pmdFrames(frame.OpText, true, zc(boundary), len(zc(boundary)), false), CloseInvalidPayload},
		{"compressed text ends inside a code point", on, "permessage-deflate", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: zc([]byte("ends in \xe2\x82"))},
		}, CloseInvalidPayload},
		{"fragmented compressed text ends inside a code point", on, "permessage-deflate",
			pmdFrames(frame.OpText, true, zc([]byte("caf\xc3\xa9 \xf0\x9f\x98")), 3, true), CloseInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var offers []string
			if tt.offer != "" {
				offers = append(offers, tt.offer)
			}
			raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
				Compression:  tt.server,
				CloseTimeout: time.Second,
			}}, offers...)
			errc := pmdReadErr(server)
			werr := pmdWriteAsync(raw, pmdEncode(true, append(tt.frames, closeFrame(1000, ""))...))
			code, reason := raw.readClose(t)
			raw.Close()
			<-werr
			err := waitErr(t, errc)
			if CloseCode(code) != tt.code {
				t.Errorf("close frame %d %q, want %d", code, reason, tt.code)
			}
			if got := pmdProtocolCode(t, err); got != tt.code {
				t.Errorf("Read error %v, want code %d", err, tt.code)
			}
		})
	}
}

// TestCompressionLimitEveryAPI checks that MaxMessageSize bounds what a
// compressed message decompresses to, with each read API: exactly the
// limit is read, one byte more fails the connection with 1009, although
// both are a few hundred bytes on the wire.
func TestCompressionLimitEveryAPI(t *testing.T) {
	checkNoLeaks(t)
	const limit = 64 << 10
	apis := pmdReadAPIs()
	fits := bytes.Repeat([]byte("z"), limit)
	over := bytes.Repeat([]byte("z"), limit+1)
	// Random octets grow a little when compressed: on the wire the
	// message is over the limit, which bounds only what it decompresses to.
	random := pmdRandom(80, limit)
	for _, api := range apis {
		t.Run(api.name, func(t *testing.T) {
			raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
				Compression:    &CompressionOptions{},
				MaxMessageSize: limit,
				CloseTimeout:   time.Second,
			}}, "permessage-deflate")
			ctx := testContext(t)
			d := newPMDDeflater(t, true)
			raw.Write(pmdEncode(true, pmdFrames(frame.OpText, true, d.compress(t, fits), 2, true)...))
			p, err := api.read(ctx, server)
			if err != nil || !bytes.Equal(p, fits) {
				t.Fatalf("message of exactly MaxMessageSize: %d bytes, %v", len(p), err)
			}
			wire := d.compress(t, random)
			if len(wire) <= limit {
				t.Fatalf("random message compressed to %d bytes, want more than %d", len(wire), limit)
			}
			werr := pmdWriteAsync(raw, pmdEncode(true, pmdFrames(frame.OpBinary, true, wire, 2, false)...))
			p, err = api.read(ctx, server)
			if err != nil || !bytes.Equal(p, random) {
				t.Fatalf("message of MaxMessageSize, %d bytes on the wire: read %d bytes, %v", len(wire), len(p), err)
			}
			pmdWait(t, "raw write", werr)
			errc := make(chan error, 1)
			go func() {
				_, err := api.read(ctx, server)
				errc <- err
			}()
			raw.Write(pmdEncode(true, pmdFrames(frame.OpText, true, d.compress(t, over), 2, true)...))
			if code, _ := raw.readClose(t); code != uint16(CloseMessageTooBig) {
				t.Errorf("one byte over the limit: close code %d, want %d", code, CloseMessageTooBig)
			}
			raw.Close()
			if code := pmdProtocolCode(t, waitErr(t, errc)); code != CloseMessageTooBig {
				t.Errorf("one byte over the limit: error code %d, want %d", code, CloseMessageTooBig)
			}
		})
	}
}

// pmdBomb returns a compressed payload of about size/1000 bytes that
// decompresses to size zero bytes (size a multiple of 1 MiB). compress/flate
// compresses the first MiB; the second MiB, which refers back only to
// zeros, is then repeated, as its blocks end on a byte boundary.
func pmdBomb(t testing.TB, size int) []byte {
	t.Helper()
	const mib = 1 << 20
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, mib)
	w.Write(zeros)
	w.Flush()
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	w.Write(zeros)
	w.Flush()
	chunk := bytes.Clone(buf.Bytes())
	// Check the construction on a small bomb.
	small := append(append(bytes.Clone(head), chunk...), chunk...)
	got, err := (&pmdInflater{}).inflate(small[:len(small)-len(pmdTail)])
	if err != nil || len(got) != 3*mib || !bytes.Equal(got, make([]byte, 3*mib)) {
		t.Fatalf("bomb construction: %d bytes, %v", len(got), err)
	}
	b := make([]byte, 0, len(head)+(size/mib)*len(chunk))
	b = append(b, head...)
	for range size/mib - 1 {
		b = append(b, chunk...)
	}
	return b[:len(b)-len(pmdTail)]
}

// TestCompressionBomb sends messages a few KiB or a MiB long that would
// decompress to 4 MiB or 1 GiB, against MaxMessageSize 64 KiB: the server
// must fail the connection with 1009 as soon as the limit is passed, and
// allocate nowhere near the decompressed size.
func TestCompressionBomb(t *testing.T) {
	checkNoLeaks(t)
	const limit = 64 << 10
	for _, size := range []int{4 << 20, 1 << 30} {
		t.Run(fmt.Sprintf("%d MiB", size>>20), func(t *testing.T) {
			bomb := pmdBomb(t, size)
			t.Logf("%d compressed bytes decompress to %d", len(bomb), size)
			raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
				Compression:    &CompressionOptions{},
				MaxMessageSize: limit,
				CloseTimeout:   time.Second,
			}}, "permessage-deflate")
			// Frames under MaxFrameSize (= MaxMessageSize): only the
			// decompressed size can trip the limit.
			wire := pmdEncode(true, pmdFrames(frame.OpBinary, true, bomb, len(bomb)/(limit/2)+1, false)...)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			errc := pmdReadErr(server)
			werr := pmdWriteAsync(raw, wire)
			code, _ := raw.readClose(t)
			raw.Close()
			err := waitErr(t, errc)
			runtime.ReadMemStats(&after)
			<-werr
			if code != uint16(CloseMessageTooBig) {
				t.Errorf("close code %d, want %d", code, CloseMessageTooBig)
			}
			if got := pmdProtocolCode(t, err); got != CloseMessageTooBig {
				t.Errorf("Read error code %d, want %d", got, CloseMessageTooBig)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d KiB while reading", alloc>>10)
			if alloc > 8<<20 {
				t.Errorf("allocated %d KiB reading a bomb against a 64 KiB limit, want under 8 MiB", alloc>>10)
			}
		})
	}
}

// TestCompressionRFCExamples reads the compressed payloads of RFC 7692
// §7.2.3, which all decompress to "Hello": the plain example, the second
// message that refers back to the first through the shared window, a
// stored block, a final block (BFINAL set, which the appended tail then
// follows), and two blocks in one message; also fragmented as §7.2.3.1
// shows.
func TestCompressionRFCExamples(t *testing.T) {
	checkNoLeaks(t)
	hello := []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
	tests := []struct {
		name   string
		frames []wireFrame
		count  int // messages, each "Hello"
	}{
		{"one frame", []wireFrame{{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: hello}}, 1},
		{"fragmented", []wireFrame{
			{fin: false, rsv: frame.RSV1, op: frame.OpText, payload: hello[:3]},
			{fin: true, op: frame.OpContinuation, payload: hello[3:]},
		}, 1},
		{"sharing the window", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: hello},
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: []byte{0xf2, 0x00, 0x11, 0x00, 0x00}},
		}, 2},
		{"stored block", []wireFrame{{fin: true, rsv: frame.RSV1, op: frame.OpText,
			payload: []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}}}, 1},
		{"final block", []wireFrame{{fin: true, rsv: frame.RSV1, op: frame.OpText,
			payload: []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}}}, 1},
		{"final block, then another message", []wireFrame{
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}},
			{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: hello},
		}, 2},
		{"two blocks", []wireFrame{{fin: true, rsv: frame.RSV1, op: frame.OpText,
			payload: []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{Compression: &CompressionOptions{}}}, "permessage-deflate")
			ctx := testContext(t)
			raw.Write(pmdEncode(true, tt.frames...))
			for i := range tt.count {
				typ, p, err := server.Read(ctx)
				if err != nil || typ != MessageText || string(p) != "Hello" {
					t.Fatalf("message %d: %v %q, %v; want text \"Hello\"", i, typ, p, err)
				}
			}
		})
	}
}

// TestCompressionErrorMatchesCloseFrame checks that the error a read
// returns agrees with the close frame sent, when the wire fails while the
// decoder still holds decompressed octets that are not UTF-8: the decoder
// hands them over only when it asks for more input, after the failure.
// A *ProtocolError must carry the code of the close frame the Conn sent;
// an end of stream without any close frame is a *CloseError.
func TestCompressionErrorMatchesCloseFrame(t *testing.T) {
	checkNoLeaks(t)
	// The invalid octet comes first, but the decoder keeps its output
	// until the 30th compressed byte is used up and it reads on.
	p := newPMDDeflater(t, false).compress(t, []byte("\xff and then a long tail of text that goes on"))
	first := wireFrame{fin: false, rsv: frame.RSV1, op: frame.OpText, payload: p[:30]}

	t.Run("bad frame next", func(t *testing.T) {
		raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
			Compression: &CompressionOptions{}, CloseTimeout: time.Second,
		}}, "permessage-deflate")
		errc := pmdReadErr(server)
		raw.Write(pmdEncode(true, first, wireFrame{fin: true, rsv: frame.RSV2, op: frame.OpContinuation, payload: p[30:]}))
		code, reason := raw.readClose(t)
		raw.Close()
		err := waitErr(t, errc)
		if got := pmdProtocolCode(t, err); uint16(got) != code {
			t.Errorf("Read returned %v, but the close frame sent was %d %q", err, code, reason)
		}
	})

	t.Run("end of stream", func(t *testing.T) {
		nc := &scriptedConn{data: first.encode(true)}
		o := Options{CloseTimeout: time.Second}
		c := newConn(nc, false, o.withDefaults(), nil)
		c.useCompression(deflate.Params{}, &CompressionOptions{})
		defer c.Abort()
		_, _, err := c.Read(testContext(t))
		checkFuzzEnd(t, c, err)
		checkFuzzSent(t, nc.sent(), false, err)
	})
}

// TestCompressionTruncatedFinalBlock cuts the connection inside a
// compressed frame just after a DEFLATE block with BFINAL set (RFC 7692
// §7.2.3.4 lets a sender end a message's data so): the frame is not
// complete, so the message must not be delivered; the read must fail as
// an abnormal closure.
func TestCompressionTruncatedFinalBlock(t *testing.T) {
	checkNoLeaks(t)
	raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
		Compression: &CompressionOptions{}, CloseTimeout: time.Second,
	}}, "permessage-deflate")
	final := []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00} // "Hello", BFINAL set
	raw.Write(wireFrame{fin: true, rsv: frame.RSV1, op: frame.OpText, payload: final}.announcing(20).encode(true))
	raw.Close()
	typ, p, err := server.Read(testContext(t))
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != CloseAbnormal {
		t.Fatalf("Read of a frame cut off after 7 of its 20 bytes: %v %q, %v; want a *CloseError with code %d",
			typ, p, err, CloseAbnormal)
	}
}
