package deflate

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
)

// --- test data shared by the codec tests ---

// textLike returns n octets of deterministic word salad: compressible about
// as well as chat or log messages are.
func textLike(n int, seed uint64) []byte {
	words := strings.Fields("the quick brown fox jumps over lazy dog websocket frame " +
		"message deflate window history context takeover compress payload " +
		"client server ping pong close status reason extension octet")
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(9) == 0 {
			fmt.Fprintf(&b, " %d.\n", r.IntN(100000))
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

// randomBytes returns n incompressible octets.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// jsonLike returns about n octets of deterministic JSON-ish text, the kind
// of message WebSocket applications send most.
func jsonLike(n int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	for i := 0; b.Len() < n-2; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"user":%q,"type":"message","ts":%d,"score":%.3f,"tags":["a%d","b%d"],"ok":%t}`,
			i, names[r.IntN(len(names))], 1700000000+r.IntN(1e6), r.Float64()*100, r.IntN(50), r.IntN(50), r.IntN(2) == 0)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// codecMessage is one test message.
type codecMessage struct {
	name string
	data []byte
}

// codecMessages returns messages of the sizes and kinds that stress the
// codec differently: empty, tiny (stored by the encoder), text, the 64 KiB
// block size of klauspost's fast levels, incompressible, and long runs.
func codecMessages(withHuge bool) []codecMessage {
	msgs := []codecMessage{
		{"empty", nil},
		{"one", []byte{'x'}},
		{"text100", textLike(100, 1)},
		{"text5000", textLike(5000, 2)},
		{"text64K", textLike(64<<10, 3)},
		{"random64K", randomBytes(64<<10, 4)},
		{"zeros100K", make([]byte, 100<<10)},
		{"text100again", textLike(100, 1)},
	}
	if withHuge {
		msgs = append(msgs,
			codecMessage{"text1M", textLike(1<<20, 5)},
			codecMessage{"random1M", randomBytes(1<<20, 6)},
			codecMessage{"zeros1M", make([]byte, 1<<20)},
		)
	}
	return msgs
}

// raceEnabled reports whether the test binary was built with -race, under
// which sync.Pool drops a quarter of what it is given, on purpose, so
// allocation counts mean nothing.
func raceEnabled() bool {
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

// stdInflate decompresses a sequence of payloads with the standard
// library's decoder, an implementation independent of the one under test.
// With takeover one decoder reads all messages as one DEFLATE stream, each
// payload followed by the sync marker the sender removed (RFC 7692 §7.2.2);
// without, each message is its own stream.
func stdInflate(t *testing.T, payloads [][]byte, lens []int, takeover bool) [][]byte {
	t.Helper()
	var out [][]byte
	if takeover {
		var stream bytes.Buffer
		for _, p := range payloads {
			stream.Write(p)
			stream.Write(syncMarker[:])
		}
		r := stdflate.NewReader(&stream)
		for i := range payloads {
			m := make([]byte, lens[i])
			if _, err := io.ReadFull(r, m); err != nil {
				t.Fatalf("stdlib inflate of message %d: %v", i, err)
			}
			out = append(out, m)
		}
		if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.ErrUnexpectedEOF {
			t.Fatalf("stdlib inflate: after the last message got %d octets, %v", n, err)
		}
		return out
	}
	for i, p := range payloads {
		r := stdflate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader(syncMarker[:])))
		m := make([]byte, lens[i]+1)
		n, err := io.ReadFull(r, m)
		if err != io.ErrUnexpectedEOF {
			t.Fatalf("stdlib inflate of message %d: %d octets, %v", i, n, err)
		}
		out = append(out, m[:n])
	}
	return out
}

// stdDeflate compresses messages with the standard library's encoder: one
// writer flushed after each message with takeover, a fresh stream per
// message without. The sync marker is checked and removed (RFC 7692 §7.2.1).
func stdDeflate(t *testing.T, msgs [][]byte, level int, takeover bool) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := stdflate.NewWriter(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		if !takeover {
			w.Reset(&buf)
		}
		buf.Reset()
		w.Write(m)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		p := buf.Bytes()
		if !bytes.HasSuffix(p, syncMarker[:]) {
			t.Fatalf("stdlib flush output % x does not end with the sync marker", p)
		}
		out = append(out, bytes.Clone(p[:len(p)-4]))
	}
	return out
}

// --- tests ---

func TestNewCompressorRejects(t *testing.T) {
	tests := []struct {
		level, bits int
	}{
		{0, 15}, {-2, 15}, {10, 15}, {1, 7}, {1, 16}, {1, 0},
	}
	for _, tt := range tests {
		if c, err := NewCompressor(tt.level, tt.bits, true); err == nil {
			t.Errorf("NewCompressor(%d, %d) = %v, want an error", tt.level, tt.bits, c)
		}
	}
	for _, level := range []int{-1, 1, 5, 9} {
		for bits := 8; bits <= 15; bits++ {
			if _, err := NewCompressor(level, bits, false); err != nil {
				t.Errorf("NewCompressor(%d, %d): %v", level, bits, err)
			}
		}
	}
}

// codecConfig is one compressor configuration under test.
type codecConfig struct {
	level, bits int
}

func (c codecConfig) String() string { return fmt.Sprintf("level%d/window%d", c.level, c.bits) }

var codecConfigs = []codecConfig{
	{1, 15}, {flate.DefaultCompression, 15}, {6, 15}, {7, 15}, {9, 15},
	{1, 8}, {1, 9}, {1, 10}, {1, 11}, {1, 12}, {5, 13}, {9, 14},
}

func TestRoundTrip(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		for _, cfg := range codecConfigs {
			t.Run(fmt.Sprintf("takeover=%t/%v", takeover, cfg), func(t *testing.T) {
				c, err := NewCompressor(cfg.level, cfg.bits, takeover)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				// The decoder keeps only the negotiated window, so an encoder
				// that reached further back across messages would fail here.
				d := NewDecompressor(cfg.bits, takeover)
				defer d.Close()
				huge := cfg.level == 1 || cfg.bits == 15 && cfg.level == 9
				msgs := codecMessages(huge)
				// Twice, so that the second round can refer back to the first.
				for round := range 2 {
					for _, m := range msgs {
						p, err := c.Compress(nil, m.data)
						if err != nil {
							t.Fatalf("round %d %s: Compress: %v", round, m.name, err)
						}
						got, err := d.Decompress(nil, p, 0)
						if err != nil {
							t.Fatalf("round %d %s: Decompress: %v", round, m.name, err)
						}
						if !bytes.Equal(got, m.data) {
							t.Fatalf("round %d %s: got %d octets, want %d", round, m.name, len(got), len(m.data))
						}
					}
				}
			})
		}
	}
}

func TestCompressAppends(t *testing.T) {
	c, _ := NewCompressor(1, 15, false)
	prefix := []byte("prefix")
	msg := textLike(3000, 9)
	out, err := c.Compress(bytes.Clone(prefix), msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, prefix) {
		t.Fatalf("Compress overwrote dst: % x", out[:len(prefix)])
	}
	d := NewDecompressor(15, false)
	got, err := d.Decompress([]byte("x"), out[len(prefix):], 0)
	if err != nil || !bytes.Equal(got, append([]byte("x"), msg...)) {
		t.Fatalf("Decompress after prefix: %v", err)
	}
}

// RFC 7692 §7.2.3.6: an empty message compresses to the single octet 0x00,
// whatever the configuration and whatever came before.
func TestCompressEmptyMessage(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		for _, cfg := range codecConfigs {
			c, _ := NewCompressor(cfg.level, cfg.bits, takeover)
			for i, msg := range [][]byte{nil, textLike(2000, 1), {}, textLike(70000, 2), nil} {
				p, err := c.Compress(nil, msg)
				if err != nil {
					t.Fatal(err)
				}
				if len(msg) == 0 && !bytes.Equal(p, []byte{0x00}) {
					t.Errorf("takeover=%t %v message %d: empty message compressed to % x, want 00", takeover, cfg, i, p)
				}
			}
			c.Close()
		}
	}
}

// With context takeover a message repeated soon after is mostly a
// back-reference; without it, it compresses to the same octets again.
func TestContextTakeoverShrinksRepeats(t *testing.T) {
	for _, cfg := range codecConfigs {
		msg := textLike(min(4000, 1<<cfg.bits/2), 11)
		for _, takeover := range []bool{false, true} {
			c, _ := NewCompressor(cfg.level, cfg.bits, takeover)
			first, _ := c.Compress(nil, msg)
			second, _ := c.Compress(nil, msg)
			c.Close()
			if takeover {
				if len(second)*4 > len(first) {
					t.Errorf("%v takeover: repeat compressed to %d octets, first to %d: want under a quarter",
						cfg, len(second), len(first))
				}
				continue
			}
			if !bytes.Equal(first, second) {
				t.Errorf("%v no takeover: repeat compressed to %d octets, first to %d: want identical output",
					cfg, len(second), len(first))
			}
		}
	}
}

// Our output must decode with the standard library's decoder, message by
// message, with and without takeover.
func TestStdlibInflatesOurOutput(t *testing.T) {
	msgs := codecMessages(true)
	var data [][]byte
	var lens []int
	for range 2 {
		for _, m := range msgs {
			data = append(data, m.data)
			lens = append(lens, len(m.data))
		}
	}
	for _, takeover := range []bool{false, true} {
		for _, cfg := range []codecConfig{{1, 15}, {-1, 15}, {9, 15}, {1, 9}, {1, 12}} {
			c, _ := NewCompressor(cfg.level, cfg.bits, takeover)
			var payloads [][]byte
			for _, m := range data {
				p, err := c.Compress(nil, m)
				if err != nil {
					t.Fatal(err)
				}
				payloads = append(payloads, p)
			}
			c.Close()
			got := stdInflate(t, payloads, lens, takeover)
			for i := range data {
				if !bytes.Equal(got[i], data[i]) {
					t.Fatalf("takeover=%t %v message %d: stdlib decoded %d octets, want %d",
						takeover, cfg, i, len(got[i]), len(data[i]))
				}
			}
		}
	}
}

// The standard library's encoder, flushed after each message, must decode
// with ours.
func TestWeInflateStdlibOutput(t *testing.T) {
	var data [][]byte
	for range 2 {
		for _, m := range codecMessages(true) {
			data = append(data, m.data)
		}
	}
	for _, takeover := range []bool{false, true} {
		for _, level := range []int{stdflate.BestSpeed, stdflate.DefaultCompression, stdflate.BestCompression, stdflate.HuffmanOnly} {
			payloads := stdDeflate(t, data, level, takeover)
			d := NewDecompressor(15, takeover)
			for i, p := range payloads {
				got, err := d.Decompress(nil, p, 0)
				if err != nil {
					t.Fatalf("takeover=%t level %d message %d: %v", takeover, level, i, err)
				}
				if !bytes.Equal(got, data[i]) {
					t.Fatalf("takeover=%t level %d message %d: got %d octets, want %d",
						takeover, level, i, len(got), len(data[i]))
				}
			}
			d.Close()
		}
	}
}

// Begin/Write/End with the message cut at random points must produce what
// Compress produces: klauspost buffers a whole block before encoding, so
// without takeover even the octets are the same. With takeover they may
// differ, as Compress sizes the dictionary to the message and a streamed
// message gets the whole history, but both must decode to the message.
func TestStreamingCompressMatchesCompress(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	msgs := codecMessages(false)
	for _, takeover := range []bool{false, true} {
		for _, cfg := range []codecConfig{{1, 15}, {-1, 15}, {9, 15}, {1, 10}} {
			whole, _ := NewCompressor(cfg.level, cfg.bits, takeover)
			pieces, _ := NewCompressor(cfg.level, cfg.bits, takeover)
			d := NewDecompressor(cfg.bits, takeover)
			for _, m := range msgs {
				want, err := whole.Compress(nil, m.data)
				if err != nil {
					t.Fatal(err)
				}
				var w bytes.Buffer
				pieces.Begin(&w)
				for rest := m.data; len(rest) > 0; {
					n := min(len(rest), 1+r.IntN(1+r.IntN(9000)))
					if k, err := pieces.Write(rest[:n]); err != nil || k != n {
						t.Fatalf("Write: %d, %v", k, err)
					}
					rest = rest[n:]
				}
				if err := pieces.End(); err != nil {
					t.Fatal(err)
				}
				if !takeover && !bytes.Equal(w.Bytes(), want) {
					t.Errorf("takeover=%t %v %s: streamed %d octets, Compress %d", takeover, cfg, m.name, w.Len(), len(want))
				}
				got, err := d.Decompress(nil, w.Bytes(), 0)
				if err != nil || !bytes.Equal(got, m.data) {
					t.Fatalf("takeover=%t %v %s: streamed output does not decompress: %v", takeover, cfg, m.name, err)
				}
			}
		}
	}
}

// The sink passes everything on except the last four octets, whatever the
// sizes of the writes it gets.
func TestSinkHoldsBackFourOctets(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	stream := randomBytes(3000, 8)
	for trial := range 200 {
		var w bytes.Buffer
		s := sink{w: &w}
		for pos := 0; pos < len(stream); {
			n := min(len(stream)-pos, r.IntN(3+trial%20))
			if k, err := s.Write(stream[pos : pos+n]); k != n || err != nil {
				t.Fatalf("Write: %d, %v", k, err)
			}
			pos += n
			sent := max(pos-4, 0)
			if !bytes.Equal(w.Bytes(), stream[:sent]) {
				t.Fatalf("after %d octets the writer has %d, want %d", pos, w.Len(), sent)
			}
			if !bytes.Equal(s.held[:s.nheld], stream[sent:pos]) {
				t.Fatalf("after %d octets the sink holds % x, want % x", pos, s.held[:s.nheld], stream[sent:pos])
			}
		}
	}
}

// failWriter fails every write after the first ok ones.
type failWriter struct{ ok int }

var errWriteFailed = errors.New("write failed")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.ok == 0 {
		return 0, errWriteFailed
	}
	w.ok--
	return len(p), nil
}

func TestStreamingCompressWriteError(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		c, _ := NewCompressor(1, 15, takeover)
		c.Begin(&failWriter{})
		_, err := c.Write(randomBytes(200000, 1))
		if err == nil {
			err = c.End()
		} else if endErr := c.End(); !errors.Is(endErr, errWriteFailed) {
			t.Errorf("takeover=%t: End after failed Write = %v", takeover, endErr)
		}
		if !errors.Is(err, errWriteFailed) {
			t.Fatalf("takeover=%t: got %v, want the writer's error", takeover, err)
		}
		// Without takeover the next message is independent and works;
		// with takeover the peer's history is out of step for good.
		_, err = c.Compress(nil, []byte("next"))
		if takeover != (err != nil) {
			t.Errorf("takeover=%t: Compress after a failed message: %v", takeover, err)
		}
	}
}

func TestCompressorMisuse(t *testing.T) {
	c, _ := NewCompressor(1, 15, false)
	if _, err := c.Write([]byte("x")); !errors.Is(err, errNoMessage) {
		t.Errorf("Write without Begin: %v", err)
	}
	if err := c.End(); !errors.Is(err, errNoMessage) {
		t.Errorf("End without Begin: %v", err)
	}
	var w bytes.Buffer
	c.Begin(&w)
	if _, err := c.Compress(nil, []byte("x")); !errors.Is(err, errInProgress) {
		t.Errorf("Compress during a streamed message: %v", err)
	}
	c.Begin(&w)
	if err := c.End(); !errors.Is(err, errInProgress) {
		t.Errorf("End after a second Begin: %v", err)
	}
	c.Close()
	if _, err := c.Compress(nil, []byte("x")); !errors.Is(err, errClosed) {
		t.Errorf("Compress after Close: %v", err)
	}
	c.Begin(&w)
	if err := c.End(); !errors.Is(err, errClosed) {
		t.Errorf("End after Close: %v", err)
	}
}

// A Compressor holds an encoder only during a message, with or without
// takeover; with takeover it keeps at most maxHistory octets of history.
func TestCompressorHoldsEncoderOnlyDuringMessage(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		c, _ := NewCompressor(1, 15, takeover)
		if c.fw != nil {
			t.Fatal("a new Compressor holds an encoder")
		}
		if _, err := c.Compress(nil, textLike(50000, 1)); err != nil {
			t.Fatal(err)
		}
		if c.fw != nil {
			t.Errorf("takeover=%t: encoder held after Compress", takeover)
		}
		var w bytes.Buffer
		c.Begin(&w)
		c.Write(textLike(1000, 2))
		if c.fw == nil {
			t.Errorf("takeover=%t: no encoder during a streamed message", takeover)
		}
		if err := c.End(); err != nil {
			t.Fatal(err)
		}
		if c.fw != nil {
			t.Errorf("takeover=%t: encoder held after End", takeover)
		}
		want := 0
		if takeover {
			want = maxHistory
		}
		if len(c.history) != want || cap(c.history) > maxHistory {
			t.Errorf("takeover=%t: history of %d octets (capacity %d), want %d (capacity at most %d)",
				takeover, len(c.history), cap(c.history), want, maxHistory)
		}
		c.Close()
		if c.fw != nil || c.history != nil {
			t.Errorf("takeover=%t: encoder or history held after Close", takeover)
		}
	}
}

// The history holds the latest octets sent, in order, whatever the sizes of
// the messages and pieces that brought them, and never more than the
// window.
func TestCompressorHistoryIsLatestOctets(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, bits := range []int{8, 12, 15} {
		limit := min(maxHistory, 1<<bits)
		c, _ := NewCompressor(1, bits, true)
		var sent []byte
		for i := range 200 {
			n := r.IntN(1 + r.IntN(3*limit))
			msg := textLike(n, uint64(i))
			sent = append(sent, msg...)
			if i%2 == 0 {
				if _, err := c.Compress(nil, msg); err != nil {
					t.Fatal(err)
				}
			} else {
				c.Begin(io.Discard)
				for rest := msg; len(rest) > 0; {
					k := min(len(rest), 1+r.IntN(limit))
					c.Write(rest[:k])
					rest = rest[k:]
				}
				if err := c.End(); err != nil {
					t.Fatal(err)
				}
			}
			want := sent[max(0, len(sent)-limit):]
			if !bytes.Equal(c.history, want) {
				t.Fatalf("window %d, after message %d: history of %d octets differs from the latest %d sent",
					bits, i, len(c.history), len(want))
			}
			if cap(c.history) > limit {
				t.Fatalf("window %d: history capacity %d over %d", bits, cap(c.history), limit)
			}
		}
	}
}

// In steady state Compress reuses pooled encoders and the caller's buffer:
// no allocation at all. (The bound of 1 allows for a garbage collection
// emptying the pool during the run, which costs one new encoder.)
func TestCompressSteadyStateAllocs(t *testing.T) {
	if raceEnabled() {
		t.Skip("sync.Pool drops items at random under -race")
	}
	msg := textLike(1000, 4)
	for _, takeover := range []bool{false, true} {
		for _, cfg := range []codecConfig{{1, 15}, {-1, 15}, {1, 10}} {
			c, _ := NewCompressor(cfg.level, cfg.bits, takeover)
			out := make([]byte, 0, 4096)
			allocs := testing.AllocsPerRun(200, func() {
				out, _ = c.Compress(out[:0], msg)
			})
			c.Close()
			if allocs > 1 {
				t.Errorf("takeover=%t %v: %.2f allocations per Compress, want at most 1", takeover, cfg, allocs)
			}
		}
	}
}
