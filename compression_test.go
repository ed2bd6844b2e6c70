package websocket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/frame"
)

// The tests here run permessage-deflate (RFC 7692) between two wsx ends;
// compression_raw_test.go checks each end against a hand-driven peer.

// pmdPair returns a client and a server joined with the given compression
// options (nil: off) and otherwise default options but for frameSize, the
// OutgoingFrameSize of both (0: default).
func pmdPair(t *testing.T, client, server *CompressionOptions, frameSize int64) (*Conn, *Conn) {
	t.Helper()
	return newPair(t,
		&DialOptions{Options: Options{Compression: client, OutgoingFrameSize: frameSize}},
		&AcceptOptions{Options: Options{Compression: server, OutgoingFrameSize: frameSize}})
}

// pmdExchange sends each message from one end to the other, both ways,
// on a goroutine so that long messages do not fill the socket buffers,
// and checks what arrives.
func pmdExchange(t *testing.T, a, b *Conn, msgs ...[]byte) {
	t.Helper()
	ctx := testContext(t)
	for _, dir := range []struct {
		name     string
		from, to *Conn
	}{{"client to server", a, b}, {"server to client", b, a}} {
		errc := make(chan error, 1)
		go func() {
			for _, m := range msgs {
				if err := dir.from.Write(ctx, MessageBinary, m); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		for i, m := range msgs {
			_, p, err := dir.to.Read(ctx)
			if err != nil {
				t.Fatalf("%s, message %d: %v", dir.name, i, err)
			}
			if !bytes.Equal(p, m) {
				t.Fatalf("%s, message %d: %d bytes differ from the %d sent", dir.name, i, len(p), len(m))
			}
		}
		pmdWait(t, dir.name+": write", errc)
	}
}

// TestCompressionNegotiation dials Accept with a table of client and
// server CompressionOptions and checks the extension both ends report,
// then exchanges messages, which checks that each end compresses within
// what the other decompresses: a message repeated after 4 KiB refers back
// further than a 1 KiB window allows.
func TestCompressionNegotiation(t *testing.T) {
	checkNoLeaks(t)
	tests := []struct {
		name           string
		client, server *CompressionOptions
		want           string
	}{
		{"defaults", &CompressionOptions{}, &CompressionOptions{}, "permessage-deflate"},
		{"level and threshold are local", &CompressionOptions{Level: 9, Threshold: -1}, &CompressionOptions{Level: 5, Threshold: 10}, "permessage-deflate"},
		{"client asks server_no_context_takeover", &CompressionOptions{ServerNoContextTakeover: true}, &CompressionOptions{},
			"permessage-deflate; server_no_context_takeover"},
		{"client asks client_no_context_takeover", &CompressionOptions{ClientNoContextTakeover: true}, &CompressionOptions{},
			"permessage-deflate; client_no_context_takeover"},
		{"server imposes server_no_context_takeover", &CompressionOptions{}, &CompressionOptions{ServerNoContextTakeover: true},
			"permessage-deflate; server_no_context_takeover"},
		{"server imposes client_no_context_takeover", &CompressionOptions{}, &CompressionOptions{ClientNoContextTakeover: true},
			"permessage-deflate; client_no_context_takeover"},
		{"no context takeover from both", &CompressionOptions{ServerNoContextTakeover: true}, &CompressionOptions{ClientNoContextTakeover: true},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"client offers server window 10", &CompressionOptions{ServerMaxWindowBits: 10}, &CompressionOptions{},
			"permessage-deflate; server_max_window_bits=10"},
		{"client offers server window below the server's", &CompressionOptions{ServerMaxWindowBits: 10}, &CompressionOptions{ServerMaxWindowBits: 12},
			"permessage-deflate; server_max_window_bits=10"},
		{"server window below the client's offer", &CompressionOptions{ServerMaxWindowBits: 12}, &CompressionOptions{ServerMaxWindowBits: 9},
			"permessage-deflate; server_max_window_bits=9"},
		{"server window unasked", &CompressionOptions{}, &CompressionOptions{ServerMaxWindowBits: 8},
			"permessage-deflate; server_max_window_bits=8"},
		{"client offers its window 10", &CompressionOptions{ClientMaxWindowBits: 10}, &CompressionOptions{},
			"permessage-deflate; client_max_window_bits=10"},
		{"server limits the valueless offer", &CompressionOptions{}, &CompressionOptions{ClientMaxWindowBits: 10},
			"permessage-deflate; client_max_window_bits=10"},
		{"server limit below the client's window", &CompressionOptions{ClientMaxWindowBits: 12}, &CompressionOptions{ClientMaxWindowBits: 9},
			"permessage-deflate; client_max_window_bits=9"},
		{"client window below the server's limit", &CompressionOptions{ClientMaxWindowBits: 9}, &CompressionOptions{ClientMaxWindowBits: 12},
			"permessage-deflate; client_max_window_bits=9"},
		{"smallest everything", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
			&CompressionOptions{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8"},
		{"small windows with takeover", &CompressionOptions{}, &CompressionOptions{ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
			"permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"},
		{"client off", nil, &CompressionOptions{}, ""},
		{"server off", &CompressionOptions{}, nil, ""},
		{"both off", nil, nil, ""},
	}
	random := pmdRandom(10, 4096)
	msgs := [][]byte{random, random, pmdCompressible(100_000), nil, []byte("short"), random}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := pmdPair(t, tt.client, tt.server, 0)
			for _, end := range []struct {
				name string
				c    *Conn
			}{{"client", client}, {"server", server}} {
				if got := end.c.Extensions(); got != tt.want {
					t.Errorf("%s Extensions() = %q, want %q", end.name, got, tt.want)
				}
				if got := end.c.Compressed(); got != (tt.want != "") {
					t.Errorf("%s Compressed() = %v, want %v", end.name, got, tt.want != "")
				}
			}
			pmdExchange(t, client, server, msgs...)
		})
	}
}

// TestCompressionRoundTrip sends messages of the sizes around each framing
// and threshold boundary, random and compressible, text and binary, with
// Write and with Writer, both ways, over connections that cut frames at
// 1000 bytes, so that compressed payloads span many frames.
func TestCompressionRoundTrip(t *testing.T) {
	checkNoLeaks(t)
	configs := []struct {
		name  string
		z     *CompressionOptions
		sizes []int
	}{
		{"defaults", &CompressionOptions{}, []int{0, 1, 125, 126, 127, 128, 65535, 65536, 1<<20 + 1}},
		{"no takeover, 9-bit windows", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true,
			ServerMaxWindowBits: 9, ClientMaxWindowBits: 9}, []int{0, 1, 127, 128, 65536}},
		{"level 9, every message compressed", &CompressionOptions{Level: 9, Threshold: -1}, []int{0, 1, 127, 128, 65536}},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			client, server := pmdPair(t, cfg.z, cfg.z, 1000)
			ctx := testContext(t)
			type message struct {
				typ MessageType
				p   []byte
			}
			var msgs []message
			for _, n := range cfg.sizes {
				msgs = append(msgs,
					message{MessageBinary, pmdRandom(uint64(n), n)},
					message{MessageText, pmdRandomText(uint64(n), n)},
					message{MessageBinary, pmdCompressible(n)},
					message{MessageText, pmdCompressible(n)})
			}
			for _, api := range []string{"Write", "Writer"} {
				for _, dir := range []struct {
					name     string
					from, to *Conn
				}{{"client to server", client, server}, {"server to client", server, client}} {
					errc := make(chan error, 1)
					go func() {
						for _, m := range msgs {
							var err error
							if api == "Write" {
								err = dir.from.Write(ctx, m.typ, m.p)
							} else {
								err = pmdWriteChunks(ctx, dir.from, m.typ, m.p, 7777)
							}
							if err != nil {
								errc <- fmt.Errorf("%v of %d bytes: %w", m.typ, len(m.p), err)
								return
							}
						}
						errc <- nil
					}()
					for i, m := range msgs {
						typ, p, err := dir.to.Read(ctx)
						if err != nil {
							t.Fatalf("%s %s, message %d: %v", api, dir.name, i, err)
						}
						if typ != m.typ || !bytes.Equal(p, m.p) {
							t.Fatalf("%s %s, message %d: %v of %d bytes, want %v of %d", api, dir.name, i, typ, len(p), m.typ, len(m.p))
						}
					}
					pmdWait(t, api+" "+dir.name, errc)
				}
			}
		})
	}
}

// pmdWriteChunks sends p as one message through Writer, in writes of at
// most chunk bytes.
func pmdWriteChunks(ctx context.Context, c *Conn, typ MessageType, p []byte, chunk int) error {
	w, err := c.Writer(ctx, typ)
	if err != nil {
		return err
	}
	for len(p) > 0 {
		n := min(chunk, len(p))
		if _, err := w.Write(p[:n]); err != nil {
			w.Close()
			return err
		}
		p = p[n:]
	}
	return w.Close()
}

// pmdReadMessages are compressed messages a raw client sends for the read
// API tests: the longest first, so that ReadInto's buffer fits the rest;
// text whose multi-byte code points straddle pieces; one in many frames.
func pmdReadMessages() []struct {
	typ MessageType
	p   []byte
} {
	return []struct {
		typ MessageType
		p   []byte
	}{
		{MessageText, pmdCompressible(300_000)},
		{MessageText, pmdRandomText(11, 150_000)},
		{MessageBinary, pmdRandom(12, 5000)},
		{MessageBinary, pmdRandom(12, 5000)},
		{MessageText, nil},
		{MessageText, []byte("é")},
	}
}

// TestCompressionReadAPIs reads compressed messages from a raw client with
// each read API: Read, ReadInto reusing its buffer, Reader whole and in
// small reads, and NextFrame, whose pieces must join to the message, hold
// whole code points, and end with the only Final one.
func TestCompressionReadAPIs(t *testing.T) {
	checkNoLeaks(t)
	type reader func(t *testing.T, ctx context.Context, c *Conn, i int) (MessageType, []byte)
	var intoBuf []byte
	apis := []struct {
		name string
		read reader
	}{
		{"Read", func(t *testing.T, ctx context.Context, c *Conn, _ int) (MessageType, []byte) {
			typ, p, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return typ, p
		}},
		{"ReadInto", func(t *testing.T, ctx context.Context, c *Conn, i int) (MessageType, []byte) {
			old := intoBuf
			typ, p, err := c.ReadInto(ctx, intoBuf)
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && (cap(p) != cap(old) || len(p) > 0 && &p[:1][0] != &old[:1][0]) {
				t.Fatalf("message %d: ReadInto did not reuse the buffer (cap %d, was %d)", i, cap(p), cap(old))
			}
			intoBuf = p
			return typ, p
		}},
		{"Reader ReadAll", func(t *testing.T, ctx context.Context, c *Conn, _ int) (MessageType, []byte) {
			typ, r, err := c.Reader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return typ, p
		}},
		{"Reader small reads", func(t *testing.T, ctx context.Context, c *Conn, _ int) (MessageType, []byte) {
			typ, r, err := c.Reader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var p []byte
			var small [7]byte
			for k := 0; ; k++ {
				n, err := r.Read(small[:1+k%len(small)])
				p = append(p, small[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if n, err := r.Read(small[:]); n != 0 || err != io.EOF {
				t.Fatalf("Read after io.EOF: %d, %v", n, err)
			}
			return typ, p
		}},
		{"NextFrame", func(t *testing.T, ctx context.Context, c *Conn, _ int) (MessageType, []byte) {
			var p []byte
			var typ MessageType
			for k := 0; ; k++ {
				f, err := c.NextFrame(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 {
					typ = f.Type
				} else if f.Type != typ {
					t.Fatalf("piece %d of type %v, the message is %v", k, f.Type, typ)
				}
				if len(f.Data) > maxInflatedPiece+utf8.UTFMax-1 {
					t.Fatalf("piece %d of %d bytes", k, len(f.Data))
				}
				if typ == MessageText && !utf8.Valid(f.Data) {
					t.Fatalf("text piece %d is not whole code points: % x ... % x", k, f.Data[:min(4, len(f.Data))], f.Data[max(0, len(f.Data)-4):])
				}
				p = append(p, f.Data...)
				if f.Final {
					if len(p) > 200_000 && k < 3 {
						t.Fatalf("a %d-byte message came in %d pieces, want pieces of at most 64 KiB", len(p), k+1)
					}
					return typ, p
				}
			}
		}},
	}
	msgs := pmdReadMessages()
	for _, api := range apis {
		t.Run(api.name, func(t *testing.T) {
			raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{Compression: &CompressionOptions{}}}, "permessage-deflate")
			ctx := testContext(t)
			d := newPMDDeflater(t, true)
			var wire []byte
			for i, m := range msgs {
				nframes := 1 + i*3 // 1 to 16 frames
				wire = append(wire, pmdEncode(true, pmdFrames(frame.Opcode(m.typ), true, d.compress(t, m.p), nframes, i%2 == 1)...)...)
			}
			werr := pmdWriteAsync(raw, wire)
			intoBuf = nil
			for i, m := range msgs {
				typ, p := api.read(t, ctx, server, i)
				if typ != m.typ || !bytes.Equal(p, m.p) {
					t.Fatalf("message %d: %v of %d bytes, want %v of %d", i, typ, len(p), m.typ, len(m.p))
				}
			}
			pmdWait(t, "raw write", werr)
		})
	}
}

// TestCompressionUnfinishedMessage leaves a compressed message partly read
// and reads the next one, which refers back to it through the shared
// context: the rest of the first must still be decompressed, not skipped,
// for the second to come out right.
func TestCompressionUnfinishedMessage(t *testing.T) {
	checkNoLeaks(t)
	first := pmdRandomText(20, 20_000)
	second := append(bytes.Clone(first[:19_000]), " and more"...)
	partial := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, c *Conn)
	}{
		{"Reader, 10 bytes read", func(t *testing.T, ctx context.Context, c *Conn) {
			_, r, err := c.Reader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var b [10]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := r.Read(b[:]); err == nil {
					t.Error("a Reader left behind still reads")
				}
			})
		}},
		{"Reader, nothing read", func(t *testing.T, ctx context.Context, c *Conn) {
			if _, _, err := c.Reader(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{"NextFrame, first piece", func(t *testing.T, ctx context.Context, c *Conn) {
			f, err := c.NextFrame(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if f.Final || len(f.Data) >= len(first) {
				t.Fatalf("first piece: %d bytes, Final %v; want part of the message", len(f.Data), f.Final)
			}
		}},
	}
	next := pmdReadAPIs()
	for _, part := range partial {
		for _, next := range next {
			t.Run(part.name+" then "+next.name, func(t *testing.T) {
				raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{Compression: &CompressionOptions{}}}, "permessage-deflate")
				ctx := testContext(t)
				d := newPMDDeflater(t, true)
				w1, w2 := d.compress(t, first), d.compress(t, second)
				if len(w2) > len(second)/10 {
					t.Fatalf("second message compressed to %d bytes: it does not refer back", len(w2))
				}
				// Several frames each, so a piece ends before the message.
				wire := pmdEncode(true, pmdFrames(frame.OpText, true, w1, 8, true)...)
				wire = append(wire, pmdEncode(true, pmdFrames(frame.OpText, true, w2, 2, false)...)...)
				werr := pmdWriteAsync(raw, wire)
				part.run(t, ctx, server)
				if strings.HasPrefix(part.name, "NextFrame") && next.name == "NextFrame" {
					// NextFrame goes on with the message it started.
					rest, err := next.read(ctx, server)
					if err != nil || !bytes.HasSuffix(first, rest) || len(rest) == 0 {
						t.Fatalf("NextFrame after a first piece: %d bytes, %v; want the rest of the first message", len(rest), err)
					}
				}
				p, err := next.read(ctx, server)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(p, second) {
					t.Fatalf("second message: %d bytes, want %d; the context fell out of step", len(p), len(second))
				}
				pmdWait(t, "raw write", werr)
			})
		}
	}
}

// pmdWriterCase is a message a text Writer is fed: the writes, which of
// them Writer must refuse, and what the peer must then receive.
type pmdWriterCase struct {
	name       string
	writes     [][]byte
	refused    map[int]bool // indexes of writes refused with ErrInvalidUTF8
	closeErr   error
	want       []byte
	compressed bool
}

// TestCompressionTextWriter feeds text Writers on a compressing server in
// writes cut inside code points, with invalid writes and a code point left
// unfinished at Close, and reads what the raw client receives: valid text
// either way, compressed once the threshold was reached.
func TestCompressionTextWriter(t *testing.T) {
	checkNoLeaks(t)
	text := pmdRandomText(30, 50_000)
	var smallWrites [][]byte
	for rest, k := text, 0; len(rest) > 0; k++ {
		n := min(1+k%7, len(rest))
		smallWrites = append(smallWrites, rest[:n])
		rest = rest[n:]
	}
	big := pmdCompressible(500)
	join := func(parts ...string) []byte { return []byte(strings.Join(parts, "")) }
	tests := []pmdWriterCase{
		{name: "many small writes cut inside code points", writes: smallWrites, want: text, compressed: true},
		{name: "closed below the threshold", writes: [][]byte{[]byte("short "), []byte("t\xc3"), []byte("\xa9xt")},
			want: []byte("short téxt")},
		{name: "invalid write refused before compressing",
			writes:  [][]byte{[]byte("abc"), []byte("\xff"), big},
			refused: map[int]bool{1: true}, want: join("abc", string(big)), compressed: true},
		{name: "invalid write refused while compressing",
			writes:  [][]byte{big, []byte("\xc3\x28"), []byte("end")},
			refused: map[int]bool{1: true}, want: join(string(big), "end"), compressed: true},
		{name: "invalid continuation of a pending code point refused",
			writes:  [][]byte{big, []byte("\xe2\x82"), []byte("("), []byte("\xac!")},
			refused: map[int]bool{2: true}, want: join(string(big), "€!"), compressed: true},
		{name: "closed inside a code point below the threshold",
			writes: [][]byte{[]byte("caf"), []byte("\xc3")}, closeErr: ErrInvalidUTF8, want: []byte("caf")},
		{name: "closed inside a code point while compressing",
			writes: [][]byte{big, []byte("\xf0\x9f\x98")}, closeErr: ErrInvalidUTF8, want: big, compressed: true},
	}
	raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
		Compression:       &CompressionOptions{},
		OutgoingFrameSize: 1000,
	}}, "permessage-deflate")
	in := &pmdInflater{takeover: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			errc := make(chan error, 1)
			go func() {
				errc <- func() error {
					w, err := server.Writer(ctx, MessageText)
					if err != nil {
						return err
					}
					for i, p := range tt.writes {
						n, err := w.Write(p)
						if tt.refused[i] {
							if n != 0 || !errors.Is(err, ErrInvalidUTF8) {
								return fmt.Errorf("write %d %q: %d, %v; want 0, ErrInvalidUTF8", i, p, n, err)
							}
						} else if n != len(p) || err != nil {
							return fmt.Errorf("write %d %q: %d, %v", i, p, n, err)
						}
					}
					if err := w.Close(); !errors.Is(err, tt.closeErr) {
						return fmt.Errorf("Close: %v, want %v", err, tt.closeErr)
					}
					return nil
				}()
			}()
			hs, ps := readMessageFrames(t, raw)
			pmdWait(t, "writer", errc)
			if compressed := hs[0].RSV == frame.RSV1; compressed != tt.compressed {
				t.Fatalf("first frame RSV %#x, want compressed %v", hs[0].RSV, tt.compressed)
			}
			payload := bytes.Join(ps, nil)
			for i, h := range hs[1:] {
				if h.RSV != 0 {
					t.Fatalf("continuation %d has RSV %#x", i+1, h.RSV)
				}
			}
			if tt.compressed {
				payload = in.mustInflate(t, payload)
			}
			if !utf8.Valid(payload) || !bytes.Equal(payload, tt.want) {
				t.Fatalf("peer received %d bytes (valid %v), want the %d expected", len(payload), utf8.Valid(payload), len(tt.want))
			}
		})
	}
}

// TestCompressionWritePrepared sends one PreparedMessage to server
// connections with and without context takeover, with another window, and
// to a client: each peer must decompress it; connections without takeover
// and with the same window share one compressed frame, while those with
// takeover compress it against what they sent before.
func TestCompressionWritePrepared(t *testing.T) {
	checkNoLeaks(t)
	ctx := testContext(t)
	msg := pmdRandomText(35, 10_000)
	m, err := NewPreparedMessage(MessageText, msg)
	if err != nil {
		t.Fatal(err)
	}
	opts := &AcceptOptions{Options: Options{Compression: &CompressionOptions{}}}
	peers := []struct {
		offer    string
		takeover bool
	}{
		{"permessage-deflate", true},
		{"permessage-deflate; server_no_context_takeover", false},
		{"permessage-deflate; server_no_context_takeover", false},
		{"permessage-deflate; server_no_context_takeover; server_max_window_bits=10", false},
	}
	var payloads [][][]byte // per peer, the two sends
	for i, p := range peers {
		raw, server, _ := pmdRawClient(t, opts, p.offer)
		in := &pmdInflater{takeover: p.takeover}
		var got [][]byte
		for k := range 2 {
			if err := server.WritePrepared(ctx, m); err != nil {
				t.Fatal(err)
			}
			h, payload := raw.readFrame(t)
			if h.RSV != frame.RSV1 || !h.Fin || h.Opcode != frame.OpText {
				t.Fatalf("peer %d, send %d: %+v, want one compressed text frame", i, k, h)
			}
			if out := in.mustInflate(t, payload); !bytes.Equal(out, msg) {
				t.Fatalf("peer %d, send %d: decompressed to %d bytes, want %d", i, k, len(out), len(msg))
			}
			got = append(got, payload)
		}
		payloads = append(payloads, got)
	}
	if len(payloads[0][1]) > len(payloads[0][0])/4 {
		t.Errorf("with takeover the second send took %d bytes, the first %d: want it to refer back", len(payloads[0][1]), len(payloads[0][0]))
	}
	for _, i := range []int{1, 2} {
		for k := range 2 {
			if !bytes.Equal(payloads[i][k], payloads[1][0]) {
				t.Errorf("peer %d, send %d: compressed differently from the shared frame", i, k)
			}
		}
	}
	m.mu.Lock()
	cached := len(m.deflated)
	m.mu.Unlock()
	if cached != 2 {
		t.Errorf("%d compressed frames cached, want 2 (windows 15 and 10)", cached)
	}

	t.Run("fragmented", func(t *testing.T) {
		raw, server, _ := pmdRawClient(t, &AcceptOptions{Options: Options{
			Compression: &CompressionOptions{}, OutgoingFrameSize: 1000,
		}}, "permessage-deflate; server_no_context_takeover")
		random := pmdRandom(40, 5000)
		m, _ := NewPreparedMessage(MessageBinary, random)
		for k := range 2 {
			errc := make(chan error, 1)
			go func() { errc <- server.WritePrepared(ctx, m) }()
			hs, ps := readMessageFrames(t, raw)
			pmdWait(t, "WritePrepared", errc)
			if len(hs) < 5 || hs[0].RSV != frame.RSV1 {
				t.Fatalf("send %d: %d frames, first RSV %#x; want at least 5, compressed", k, len(hs), hs[0].RSV)
			}
			for i, h := range hs {
				if h.Length > 1000 || i > 0 && h.RSV != 0 {
					t.Fatalf("send %d, frame %d: %+v", k, i, h)
				}
			}
			if out := (&pmdInflater{}).mustInflate(t, bytes.Join(ps, nil)); !bytes.Equal(out, random) {
				t.Fatalf("send %d: decompressed to %d bytes, want %d", k, len(out), len(random))
			}
		}
	})

	t.Run("client", func(t *testing.T) {
		r := pmdDial(t, &CompressionOptions{}, nil, "permessage-deflate")
		if r.err != nil {
			t.Fatal(r.err)
		}
		in := &pmdInflater{takeover: true}
		var sizes []int
		for k := range 2 {
			if err := r.c.WritePrepared(ctx, m); err != nil {
				t.Fatal(err)
			}
			h, payload := r.raw.readFrame(t)
			if !h.Masked || h.RSV != frame.RSV1 {
				t.Fatalf("send %d: masked %v RSV %#x, want a masked compressed frame", k, h.Masked, h.RSV)
			}
			if out := in.mustInflate(t, payload); !bytes.Equal(out, msg) {
				t.Fatalf("send %d: decompressed to %d bytes, want %d", k, len(out), len(msg))
			}
			sizes = append(sizes, len(payload))
		}
		if sizes[1] > sizes[0]/4 {
			t.Errorf("client sends took %v bytes: want the second to refer back", sizes)
		}
	})
}

// TestCompressionContextTakeover sends one 4 KiB random message twice and
// counts its compressed bytes as the raw peer receives them: with context
// takeover the repeat is a few back-references; once either end ruled it
// out, it costs the same again.
func TestCompressionContextTakeover(t *testing.T) {
	checkNoLeaks(t)
	msg := pmdRandom(50, 4096)
	tests := []struct {
		name     string
		client   bool // the sender is a client, dialing a raw server
		opts     *CompressionOptions
		ext      string // the raw peer's offer or answer
		takeover bool
	}{
		{"server, takeover", false, &CompressionOptions{}, "permessage-deflate", true},
		{"server, server_no_context_takeover offered", false, &CompressionOptions{}, "permessage-deflate; server_no_context_takeover", false},
		{"server, ServerNoContextTakeover set", false, &CompressionOptions{ServerNoContextTakeover: true}, "permessage-deflate", false},
		{"server, client_no_context_takeover only", false, &CompressionOptions{}, "permessage-deflate; client_no_context_takeover", true},
		{"client, takeover", true, &CompressionOptions{}, "permessage-deflate", true},
		{"client, client_no_context_takeover answered", true, &CompressionOptions{}, "permessage-deflate; client_no_context_takeover", false},
		{"client, ClientNoContextTakeover offered and echoed", true, &CompressionOptions{ClientNoContextTakeover: true},
			"permessage-deflate; client_no_context_takeover", false},
		{"client, server_no_context_takeover only", true, &CompressionOptions{}, "permessage-deflate; server_no_context_takeover", true},
		{"client, ClientNoContextTakeover offered, left out of the answer", true, &CompressionOptions{ClientNoContextTakeover: true},
			"permessage-deflate", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, raw := pmdConn(t, tt.client, tt.opts, tt.ext)
			ctx := testContext(t)
			in := &pmdInflater{takeover: tt.takeover}
			var sizes []int
			for range 2 {
				if err := c.Write(ctx, MessageBinary, msg); err != nil {
					t.Fatal(err)
				}
				h, p := raw.readFrame(t)
				if h.RSV != frame.RSV1 {
					t.Fatalf("RSV %#x, want a compressed frame", h.RSV)
				}
				if out := in.mustInflate(t, p); !bytes.Equal(out, msg) {
					t.Fatalf("decompressed to %d bytes, want %d", len(out), len(msg))
				}
				sizes = append(sizes, len(p))
			}
			t.Logf("compressed sizes %v", sizes)
			if tt.takeover && sizes[1] > sizes[0]/10 {
				t.Errorf("with takeover: %d then %d bytes, want the repeat under a tenth", sizes[0], sizes[1])
			}
			if !tt.takeover && sizes[1] != sizes[0] {
				t.Errorf("without takeover: %d then %d bytes, want the same", sizes[0], sizes[1])
			}
		})
	}
}

// TestCompressionWindowBits checks that the sender compresses within the
// negotiated window: a 1 KiB random block sent twice in one message
// compresses to about half with a 32 KiB window, but not at all with a
// 256-byte one, which cannot reach back 1 KiB.
func TestCompressionWindowBits(t *testing.T) {
	checkNoLeaks(t)
	block := pmdRandom(70, 1024)
	msg := append(bytes.Clone(block), block...)
	tests := []struct {
		name   string
		client bool // the sender is a client, dialing a raw server
		opts   *CompressionOptions
		ext    string // the raw peer's offer or answer
		small  bool   // the window is 8 bits
	}{
		{"server, 15 bits", false, &CompressionOptions{}, "permessage-deflate", false},
		{"server, 8 bits offered", false, &CompressionOptions{}, "permessage-deflate; server_max_window_bits=8", true},
		{"server, 8 bits configured", false, &CompressionOptions{ServerMaxWindowBits: 8}, "permessage-deflate", true},
		{"server, client's window limited only", false, &CompressionOptions{ClientMaxWindowBits: 8}, "permessage-deflate; client_max_window_bits", false},
		{"client, 15 bits", true, &CompressionOptions{}, "permessage-deflate", false},
		{"client, 8 bits answered", true, &CompressionOptions{}, "permessage-deflate; client_max_window_bits=8", true},
		{"client, 8 bits offered and answered", true, &CompressionOptions{ClientMaxWindowBits: 8}, "permessage-deflate; client_max_window_bits=8", true},
		{"client, server's window limited only", true, &CompressionOptions{ServerMaxWindowBits: 8}, "permessage-deflate; server_max_window_bits=8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, raw := pmdConn(t, tt.client, tt.opts, tt.ext)
			if err := c.Write(testContext(t), MessageBinary, msg); err != nil {
				t.Fatal(err)
			}
			h, p := raw.readFrame(t)
			if h.RSV != frame.RSV1 {
				t.Fatalf("RSV %#x, want a compressed frame", h.RSV)
			}
			if out := (&pmdInflater{}).mustInflate(t, p); !bytes.Equal(out, msg) {
				t.Fatalf("decompressed to %d bytes, want %d", len(out), len(msg))
			}
			t.Logf("%d bytes compressed to %d", len(msg), len(p))
			if small := len(p) > len(msg)*3/4; small != tt.small {
				t.Errorf("%d bytes compressed to %d: want an 8-bit window %v", len(msg), len(p), tt.small)
			}
		})
	}
}

// pmdConcMessage is the seq-th message of writer w in the concurrency
// test: its header names both, and its body, of a length and kind that
// vary with seq, is derived from them, so the reader can check it whole.
func pmdConcMessage(w, seq int) []byte {
	head := fmt.Appendf(nil, "w%d s%d|", w, seq)
	sizes := []int{0, 50, 127, 128, 3000, 70_000}
	n := sizes[seq%len(sizes)]
	if seq%2 == 0 {
		return append(head, pmdCompressible(n)...)
	}
	return append(head, pmdRandomText(uint64(w*1000+seq), n)...)
}

// TestCompressionConcurrency writes compressed messages from several
// goroutines on each end, through Write, Writer, WritePrepared and
// WriteUncompressed, while one goroutine per end reads them and others
// ping: run with -race. Every message must arrive whole, each writer's in
// order.
func TestCompressionConcurrency(t *testing.T) {
	checkNoLeaks(t)
	const writers, perWriter, pings = 3, 24, 20
	client, server := pmdPair(t, &CompressionOptions{}, &CompressionOptions{}, 4096)
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4*writers+8)
	write := func(c *Conn, w int) {
		defer wg.Done()
		for seq := range perWriter {
			p := pmdConcMessage(w, seq)
			var err error
			switch seq % 4 {
			case 0:
				err = c.Write(ctx, MessageText, p)
			case 1:
				err = pmdWriteChunks(ctx, c, MessageText, p, 999)
			case 2:
				var m *PreparedMessage
				if m, err = NewPreparedMessage(MessageText, p); err == nil {
					err = c.WritePrepared(ctx, m)
				}
			case 3:
				err = c.WriteUncompressed(ctx, MessageText, p)
			}
			if err != nil {
				errs <- fmt.Errorf("writer %d, message %d: %w", w, seq, err)
				return
			}
		}
	}
	read := func(name string, c *Conn, all, done chan<- struct{}) {
		defer close(done)
		next := make([]int, writers)
		for range writers * perWriter {
			_, p, err := c.Read(ctx)
			if err != nil {
				errs <- fmt.Errorf("%s read: %w", name, err)
				return
			}
			var w, seq int
			if _, err := fmt.Sscanf(string(p), "w%d s%d|", &w, &seq); err != nil || w < 0 || w >= writers {
				errs <- fmt.Errorf("%s read a message starting %q", name, p[:min(20, len(p))])
				return
			}
			if seq != next[w] || !bytes.Equal(p, pmdConcMessage(w, seq)) {
				errs <- fmt.Errorf("%s: writer %d message %d (%d bytes) arrived when %d was due, or damaged", name, w, seq, len(p), next[w])
				return
			}
			next[w]++
		}
		close(all)
		// Keep reading, so that pongs and the close are seen.
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}
	clientAll, serverAll := make(chan struct{}), make(chan struct{})
	clientDone, serverDone := make(chan struct{}), make(chan struct{})
	go read("client", client, clientAll, clientDone)
	go read("server", server, serverAll, serverDone)
	for w := range writers {
		wg.Add(2)
		go write(client, w)
		go write(server, w)
	}
	for _, c := range []*Conn{client, server} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range pings {
				if _, err := c.Ping(ctx, []byte{byte(i)}); err != nil {
					errs <- fmt.Errorf("ping %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, all := range []chan struct{}{clientAll, serverAll} {
		select {
		case <-all:
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(testTimeout):
			t.Fatal("messages did not all arrive")
		}
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if err := client.Close(CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	<-clientDone
	<-serverDone
}

// TestCompressionPingInsideMessage pings while a Writer is half-way through
// a compressed message: the ping goes out between its frames and is
// answered, and the message still arrives whole.
func TestCompressionPingInsideMessage(t *testing.T) {
	checkNoLeaks(t)
	client, server := pmdPair(t, &CompressionOptions{}, &CompressionOptions{}, 1000)
	ctx := testContext(t)
	msg := pmdRandomText(60, 100_000)
	type result struct {
		p   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		_, p, err := client.Read(ctx)
		got <- result{p, err}
	}()
	go func() { // the server reads to see the pongs
		for {
			if _, _, err := server.Read(ctx); err != nil {
				return
			}
		}
	}()
	w, err := server.Writer(ctx, MessageText)
	if err != nil {
		t.Fatal(err)
	}
	half := len(msg) / 2
	for !utf8.RuneStart(msg[half]) {
		half++
	}
	if _, err := w.Write(msg[:half]); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := server.Ping(ctx, []byte{byte(i)}); err != nil {
			t.Fatalf("ping %d inside the message: %v", i, err)
		}
	}
	if _, err := w.Write(msg[half:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || !bytes.Equal(r.p, msg) {
		t.Fatalf("client read %d bytes, %v; want the %d sent", len(r.p), r.err, len(msg))
	}
}

// TestCompressionSteadyStateAllocs counts the allocations of one
// compressed echo: the server writes a 1000-byte message, the client reads
// it with ReadInto into a reused buffer. The encoder and decoder come from
// pools and the compressed bytes from a pool of buffers, so a round
// should allocate next to nothing once warm.
func TestCompressionSteadyStateAllocs(t *testing.T) {
	if pmdRaceEnabled() {
		t.Skip("sync.Pool drops items at random under -race")
	}
	checkNoLeaks(t)
	// A context that never ends: watching one that can costs an
	// allocation per call. Deadlines bound the reads instead.
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		z    *CompressionOptions
		max  float64
	}{
		{"takeover", &CompressionOptions{}, 1},
		{"no takeover", &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, server := pmdPair(t, tt.z, tt.z, 0)
			client.NetConn().SetDeadline(time.Now().Add(testTimeout))
			server.NetConn().SetDeadline(time.Now().Add(testTimeout))
			msg := pmdCompressible(1000)
			buf := make([]byte, 0, 4096)
			var failed error
			round := func(from, to *Conn) func() {
				return func() {
					if err := from.Write(ctx, MessageText, msg); err != nil {
						failed = err
						return
					}
					var p []byte
					var err error
					if _, p, err = to.ReadInto(ctx, buf); err != nil || !bytes.Equal(p, msg) {
						failed = fmt.Errorf("read %d bytes, %v", len(p), err)
					}
					buf = p
				}
			}
			for _, dir := range []struct {
				name     string
				from, to *Conn
			}{{"server to client", server, client}, {"client to server", client, server}} {
				f := round(dir.from, dir.to)
				for range 20 {
					f()
				}
				allocs := testing.AllocsPerRun(200, f)
				if failed != nil {
					t.Fatal(failed)
				}
				t.Logf("%s: %.2f allocations per round", dir.name, allocs)
				if allocs > tt.max {
					t.Errorf("%s: %.2f allocations per round, want at most %v", dir.name, allocs, tt.max)
				}
			}
		})
	}
}

// ReadInto's reused buffer settles at the size class of the largest
// compressed message, as it does for uncompressed ones, not at whatever
// capacity doubling reached while the message's size was unknown.
func TestCompressedReadIntoSettlesAtMessageSize(t *testing.T) {
	checkNoLeaks(t)
	z := &CompressionOptions{}
	client, server := newPair(t, &DialOptions{Options: Options{Compression: z}}, &AcceptOptions{Options: Options{Compression: z}})
	defer client.Abort()
	ctx := testContext(t)
	var buf []byte
	for _, tc := range []struct{ size, wantCap int }{
		{65536, 65536}, {65535, 65536}, {10, 65536}, {100000, 106496}, {65536, 106496},
	} {
		msg := make([]byte, tc.size)
		for i := range msg {
			msg[i] = byte(i % 7)
		}
		if err := client.Write(ctx, MessageBinary, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := server.ReadInto(ctx, buf)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: read %d bytes, %v", tc.size, len(got), err)
		}
		if cap(got) != tc.wantCap {
			t.Errorf("after a %d-byte message the buffer has capacity %d, want %d", tc.size, cap(got), tc.wantCap)
		}
		buf = got
	}
}

// pmdReadAPI reads one whole message through one of the read methods.
type pmdReadAPI struct {
	name string
	read func(ctx context.Context, c *Conn) ([]byte, error)
}

// pmdReadAPIs returns the four ways to read a message: Read, ReadInto
// (into a buffer too small for it), Reader and NextFrame.
func pmdReadAPIs() []pmdReadAPI {
	return []pmdReadAPI{
		{"Read", func(ctx context.Context, c *Conn) ([]byte, error) {
			_, p, err := c.Read(ctx)
			return p, err
		}},
		{"ReadInto", func(ctx context.Context, c *Conn) ([]byte, error) {
			_, p, err := c.ReadInto(ctx, make([]byte, 0, 64))
			return p, err
		}},
		{"Reader", func(ctx context.Context, c *Conn) ([]byte, error) {
			_, r, err := c.Reader(ctx)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		}},
		{"NextFrame", func(ctx context.Context, c *Conn) ([]byte, error) {
			var p []byte
			for {
				f, err := c.NextFrame(ctx)
				if err != nil {
					return p, err
				}
				p = append(p, f.Data...)
				if f.Final {
					return p, nil
				}
			}
		}},
	}
}
