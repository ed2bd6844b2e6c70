package deflate

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/klauspost/compress/flate"
)

// The example payloads of RFC 7692 §7.2.3, each a sequence of messages
// decoded by one Decompressor.
var rfcVectors = []struct {
	name     string
	takeover bool
	payloads [][]byte
	want     []string
}{
	{
		name:     "7.2.3.1 a message compressed using 1 compressed DEFLATE block",
		payloads: [][]byte{{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}},
		want:     []string{"Hello"},
	},
	{
		name:     "7.2.3.2 sharing LZ77 sliding window",
		takeover: true,
		payloads: [][]byte{
			{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00},
			{0xf2, 0x00, 0x11, 0x00, 0x00},
		},
		want: []string{"Hello", "Hello"},
	},
	{
		name:     "7.2.3.3 DEFLATE block with no compression",
		payloads: [][]byte{{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}},
		want:     []string{"Hello"},
	},
	{
		name:     "7.2.3.4 DEFLATE block with BFINAL set to 1",
		payloads: [][]byte{{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}},
		want:     []string{"Hello"},
	},
	{
		// Not in the RFC: the same without the octet §7.2.3.4 says must
		// follow a final block. Decoders built on zlib stop at the final
		// block and accept this, so we do too.
		name:     "BFINAL block ending the payload",
		payloads: [][]byte{{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}},
		want:     []string{"Hello"},
	},
	{
		name:     "7.2.3.5 two DEFLATE blocks in 1 message",
		payloads: [][]byte{{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}},
		want:     []string{"Hello"},
	},
	{
		name:     "7.2.3.6 generating an empty fragment",
		payloads: [][]byte{{0x00}},
		want:     []string{""},
	},
	{
		name:     "7.2.3.3 and 7.2.3.4 after 7.2.3.1 with takeover",
		takeover: true,
		payloads: [][]byte{
			{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00},
			{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00},
			{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00},
			{0xf2, 0x00, 0x11, 0x00, 0x00},
			{0x00},
		},
		want: []string{"Hello", "Hello", "Hello", "Hello", ""},
	},
}

func TestDecompressRFCVectors(t *testing.T) {
	for _, tt := range rfcVectors {
		t.Run(tt.name, func(t *testing.T) {
			whole := NewDecompressor(15, tt.takeover)
			streamed := NewDecompressor(15, tt.takeover)
			for i, p := range tt.payloads {
				got, err := whole.Decompress(nil, p, 1000)
				if err != nil || string(got) != tt.want[i] {
					t.Errorf("Decompress message %d = %q, %v; want %q", i, got, err, tt.want[i])
				}
				streamed.Begin(bytes.NewReader(p), 1000)
				got, err = io.ReadAll(streamed)
				if err != nil || string(got) != tt.want[i] {
					t.Errorf("Begin/Read message %d = %q, %v; want %q", i, got, err, tt.want[i])
				}
			}
		})
	}
}

// The second "Hello" of §7.2.3.2 is only a back-reference into the first
// message: without takeover there is nothing to refer to.
func TestDecompressNeedsHistory(t *testing.T) {
	d := NewDecompressor(15, false)
	d.Decompress(nil, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 0)
	if got, err := d.Decompress(nil, []byte{0xf2, 0x00, 0x11, 0x00, 0x00}, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("back-reference without takeover = %q, %v; want ErrCorrupt", got, err)
	}
}

// Our encoder's output for the RFC's "Hello" need not be the RFC's octets
// (klauspost stores messages of up to 32 octets), but it must decode.
func TestCompressRFCMessages(t *testing.T) {
	for _, takeover := range []bool{false, true} {
		c, _ := NewCompressor(flate.DefaultCompression, 15, takeover)
		d := NewDecompressor(15, takeover)
		for _, msg := range []string{"Hello", "Hello", "", "Hello"} {
			p, err := c.Compress(nil, []byte(msg))
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Decompress(nil, p, 0)
			if err != nil || string(got) != msg {
				t.Fatalf("takeover=%t: %q compressed to % x, which decodes to %q, %v", takeover, msg, p, got, err)
			}
		}
	}
}

func TestDecompressCorrupt(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"reserved block type", []byte{0x07, 0x00}},
		{"stored block with bad NLEN", []byte{0x00, 0x05, 0x00, 0xfa, 0xfe, 'H', 'e', 'l', 'l', 'o', 0x00}},
		{"stored block cut short", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 'H', 'e'}},
		{"huffman block cut short", []byte{0xf2, 0x48, 0xcd}},
		{"back-reference before the start", []byte{0xf2, 0x00, 0x11, 0x00, 0x00}},
		{"all ones", bytes.Repeat([]byte{0xff}, 20)},
		{"final block then garbage", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x07}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecompressor(15, false)
			if got, err := d.Decompress(nil, tt.payload, 1<<20); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Decompress = %q, %v; want ErrCorrupt", got, err)
			}
			d.Begin(bytes.NewReader(tt.payload), 1<<20)
			if got, err := io.ReadAll(d); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Begin/Read = %q, %v; want ErrCorrupt", got, err)
			}
			// The failure leaves nothing behind: a good message follows.
			if got, err := d.Decompress(nil, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, 0); err != nil || string(got) != "Hello" {
				t.Errorf("next message = %q, %v", got, err)
			}
		})
	}
}

// With takeover a failed message loses the shared history, so every later
// message must fail rather than decode against a wrong window.
func TestTakeoverErrorIsPermanent(t *testing.T) {
	d := NewDecompressor(15, true)
	if _, err := d.Decompress(nil, []byte{0x07}, 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
	if _, err := d.Decompress(nil, []byte{0x00}, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("message after a failure: %v, want ErrCorrupt again", err)
	}
}

// Flipping bits of valid payloads must give an error or some output, never
// a panic, and the error must be ErrCorrupt.
func TestDecompressMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	c, _ := NewCompressor(1, 15, false)
	d := NewDecompressor(15, false)
	for _, m := range codecMessages(false) {
		good, _ := c.Compress(nil, m.data)
		for range 100 {
			p := bytes.Clone(good)
			for range 1 + r.IntN(3) {
				if len(p) > 0 {
					p[r.IntN(len(p))] ^= 1 << r.IntN(8)
				}
			}
			if r.IntN(4) == 0 {
				p = p[:r.IntN(len(p)+1)]
			}
			if _, err := d.Decompress(nil, p, 1<<20); err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%s mutated: unexpected error %v", m.name, err)
			}
		}
	}
}

func TestDecompressLimit(t *testing.T) {
	msg := textLike(10000, 3)
	c, _ := NewCompressor(1, 15, false)
	p, _ := c.Compress(nil, msg)
	for _, limit := range []int64{10000, 10001, 0, -1} {
		d := NewDecompressor(15, false)
		if got, err := d.Decompress(nil, p, limit); err != nil || !bytes.Equal(got, msg) {
			t.Errorf("limit %d: %d octets, %v", limit, len(got), err)
		}
	}
	for _, limit := range []int64{1, 100, 9999} {
		d := NewDecompressor(15, false)
		dst := []byte("keep")
		got, err := d.Decompress(dst, p, limit)
		if !errors.Is(err, ErrTooLarge) || string(got) != "keep" {
			t.Errorf("limit %d: Decompress = %d octets, %v; want dst unchanged and ErrTooLarge", limit, len(got), err)
		}
		d.Begin(bytes.NewReader(p), limit)
		got, err = io.ReadAll(d)
		if !errors.Is(err, ErrTooLarge) || !bytes.Equal(got, msg[:limit]) {
			t.Errorf("limit %d: Read = %d octets, %v; want the first %d and ErrTooLarge", limit, len(got), err, limit)
		}
	}
}

// bomb is a 1 GiB message of zeros, compressed: about 1 MiB of payload.
var bomb = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	zeros := make([]byte, 1<<20)
	for range 1024 {
		w.Write(zeros)
	}
	w.Flush()
	return bytes.TrimSuffix(buf.Bytes(), syncMarker[:])
})

// countingReader counts what is read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A bomb must stop at the limit: little input consumed, little memory used.
func TestDecompressBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1 GiB bomb")
	}
	payload := bomb()
	t.Logf("bomb: 1 GiB of zeros in %d octets of payload", len(payload))
	const limit = 1 << 20
	for _, takeover := range []bool{false, true} {
		d := NewDecompressor(15, takeover)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := d.Decompress(nil, payload, limit)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) || len(got) != 0 {
			t.Fatalf("takeover=%t: Decompress = %d octets, %v; want ErrTooLarge", takeover, len(got), err)
		}
		// The output buffer grows by doubling to just past the limit; the
		// decoder comes from the pool or costs about 40 KiB.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*limit {
			t.Errorf("takeover=%t: Decompress allocated %d octets for a %d limit", takeover, alloc, limit)
		} else {
			t.Logf("takeover=%t: Decompress allocated %d octets", takeover, alloc)
		}

		src := &countingReader{r: bytes.NewReader(payload)}
		d = NewDecompressor(15, takeover)
		d.Begin(src, limit)
		n, err := io.Copy(io.Discard, d)
		if !errors.Is(err, ErrTooLarge) || n != limit {
			t.Fatalf("takeover=%t: Read = %d octets, %v; want %d and ErrTooLarge", takeover, n, err, limit)
		}
		// 1 MiB of zeros is about 1 KiB of this payload; the rest must
		// not have been read, let alone inflated.
		if src.n > 16<<10 {
			t.Errorf("takeover=%t: read %d octets of payload to produce %d", takeover, src.n, n)
		}
	}
}

// chunkReader returns its data in random pieces, sometimes empty ones.
type chunkReader struct {
	b []byte
	r *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.b), c.r.IntN(300))
	n = copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// Begin/Read with the payload arriving in random pieces and read into
// random-sized buffers must give what Decompress gives.
func TestStreamingReadMatchesDecompress(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, takeover := range []bool{false, true} {
		for _, bits := range []int{9, 15} {
			c, _ := NewCompressor(1, bits, takeover)
			whole := NewDecompressor(bits, takeover)
			streamed := NewDecompressor(bits, takeover)
			for round := range 2 {
				for _, m := range codecMessages(false) {
					p, _ := c.Compress(nil, m.data)
					want, err := whole.Decompress(nil, p, 0)
					if err != nil || !bytes.Equal(want, m.data) {
						t.Fatalf("Decompress %s: %v", m.name, err)
					}
					streamed.Begin(&chunkReader{b: p, r: r}, 0)
					var got []byte
					for {
						buf := make([]byte, 1+r.IntN(5000))
						n, err := streamed.Read(buf)
						got = append(got, buf[:n]...)
						if err == io.EOF {
							break
						}
						if err != nil {
							t.Fatalf("takeover=%t bits %d round %d %s: Read: %v", takeover, bits, round, m.name, err)
						}
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("takeover=%t bits %d round %d %s: Read gave %d octets, want %d",
							takeover, bits, round, m.name, len(got), len(want))
					}
					if n, err := streamed.Read(make([]byte, 10)); n != 0 || err != io.EOF {
						t.Fatalf("Read after the end = %d, %v; want io.EOF again", n, err)
					}
				}
			}
		}
	}
}

// A payload read that fails is reported as that failure, not as corruption.
func TestReadReturnsSourceError(t *testing.T) {
	errBroken := errors.New("connection broken")
	c, _ := NewCompressor(1, 15, false)
	p, _ := c.Compress(nil, textLike(5000, 1))
	d := NewDecompressor(15, false)
	d.Begin(io.MultiReader(bytes.NewReader(p[:len(p)/2]), &failReader{errBroken}), 0)
	_, err := io.ReadAll(d)
	if !errors.Is(err, errBroken) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want the source's error", err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

// The decompressor must not read past the message, even from a source that
// does not stop there by itself.
func TestDecompressorStopsAtEndOfPayload(t *testing.T) {
	c, _ := NewCompressor(1, 15, true)
	p, _ := c.Compress(nil, textLike(3000, 1))
	d := NewDecompressor(15, true)
	src := &countingReader{r: bytes.NewReader(p)}
	d.Begin(src, 0)
	if _, err := io.ReadAll(d); err != nil {
		t.Fatal(err)
	}
	if src.n != len(p) {
		t.Errorf("read %d octets of a %d-octet payload", src.n, len(p))
	}
}

func TestDecompressorMisuse(t *testing.T) {
	d := NewDecompressor(15, false)
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, errNoMessage) {
		t.Errorf("Read without Begin: %v", err)
	}
	d.Begin(bytes.NewReader([]byte{0x00}), 0)
	if _, err := d.Decompress(nil, []byte{0x00}, 0); !errors.Is(err, errInProgress) {
		t.Errorf("Decompress during a streamed message: %v", err)
	}
	d.Begin(bytes.NewReader([]byte{0x00}), 0)
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, errInProgress) {
		t.Errorf("Read after a second Begin: %v", err)
	}
	d.Close()
	if _, err := d.Decompress(nil, []byte{0x00}, 0); !errors.Is(err, errClosed) {
		t.Errorf("Decompress after Close: %v", err)
	}
	d.Begin(bytes.NewReader([]byte{0x00}), 0)
	if _, err := d.Read(make([]byte, 1)); !errors.Is(err, errClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}

// A Decompressor holds a decoder only during a message, and with takeover a
// window no longer than the peer's.
func TestDecompressorState(t *testing.T) {
	c, _ := NewCompressor(1, 15, false)
	small, _ := c.Compress(nil, textLike(1000, 1))
	for _, takeover := range []bool{false, true} {
		d := NewDecompressor(10, takeover)
		if d.in != nil || d.window != nil {
			t.Fatal("a new Decompressor holds state")
		}
		c2, _ := NewCompressor(1, 10, takeover)
		for i, msg := range [][]byte{textLike(1000, 1), textLike(100000, 2)} {
			p, _ := c2.Compress(nil, msg)
			if _, err := d.Decompress(nil, p, 0); err != nil {
				t.Fatal(err)
			}
			if d.in != nil {
				t.Errorf("takeover=%t: decoder held after message %d", takeover, i)
			}
			want := 0
			if takeover {
				want = min(len(msg), 1<<10)
			}
			if len(d.window) != want || cap(d.window) > 1<<10 {
				t.Errorf("takeover=%t: window after message %d is %d octets (cap %d), want %d",
					takeover, i, len(d.window), cap(d.window), want)
			}
		}
		d.Begin(bytes.NewReader(small), 0)
		d.Close()
		if d.in != nil || d.window != nil {
			t.Errorf("takeover=%t: state held after Close", takeover)
		}
	}
}

// remember must keep exactly the last windowSize octets, in order, however
// the output arrives.
func TestWindowKeepsLatestOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for _, size := range []int{256, 1000, 1 << 15} {
		d := &Decompressor{windowSize: size, takeover: true}
		var all []byte
		for i := range 300 {
			n := r.IntN(size / 3)
			if i%50 == 0 {
				n = size + r.IntN(10)
			}
			b := randomBytes(n, uint64(i))
			d.remember(b)
			all = append(all, b...)
			if i%7 == 0 || i == 299 {
				want := all[max(0, len(all)-size):]
				if got := d.history(); !bytes.Equal(got, want) {
					t.Fatalf("size %d step %d: history has %d octets, want %d (the last %d written)",
						size, i, len(got), len(want), len(want))
				}
			}
		}
	}
}

// In steady state Decompress reuses pooled decoders and the caller's buffer.
func TestDecompressSteadyStateAllocs(t *testing.T) {
	if raceEnabled() {
		t.Skip("sync.Pool drops items at random under -race")
	}
	msg := textLike(5000, 4)
	for _, takeover := range []bool{false, true} {
		c, _ := NewCompressor(1, 15, takeover)
		d := NewDecompressor(15, takeover)
		p, _ := c.Compress(nil, msg)
		out, _ := d.Decompress(nil, p, 0) // fills the window
		ps := [][]byte{p}
		if takeover {
			// Each message must match the history the previous left.
			for range 300 {
				q, _ := c.Compress(nil, msg)
				ps = append(ps, q)
			}
		}
		i := 0
		allocs := testing.AllocsPerRun(200, func() {
			i++
			out, _ = d.Decompress(out[:0], ps[min(i, len(ps)-1)], 0)
		})
		if !bytes.Equal(out, msg) {
			t.Fatalf("takeover=%t: wrong output", takeover)
		}
		if allocs > 1 {
			t.Errorf("takeover=%t: %.2f allocations per Decompress, want at most 1", takeover, allocs)
		}
	}
}

func FuzzDecompress(f *testing.F) {
	for _, v := range rfcVectors {
		for _, p := range v.payloads {
			f.Add(p)
		}
	}
	c, _ := NewCompressor(1, 15, false)
	for _, m := range codecMessages(false)[:5] {
		p, _ := c.Compress(nil, m.data)
		f.Add(p)
	}
	f.Add([]byte{0x07})
	f.Add([]byte{})
	const limit = 1 << 20
	f.Fuzz(func(t *testing.T, src []byte) {
		d := NewDecompressor(15, true)
		got, err := d.Decompress(nil, src, limit)
		if len(got) > limit {
			t.Fatalf("%d octets past the %d limit", len(got), limit)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
		// The streaming path must agree.
		s := NewDecompressor(15, true)
		s.Begin(&chunkReader{b: src, r: rand.New(rand.NewPCG(uint64(len(src)), 0))}, limit)
		streamed, serr := io.ReadAll(s)
		if (err == nil) != (serr == nil) || err == nil && !bytes.Equal(got, streamed) {
			t.Fatalf("Decompress = %d octets, %v; Begin/Read = %d octets, %v", len(got), err, len(streamed), serr)
		}
		// A second message, decoded against the first one's history.
		if err == nil {
			got2, err2 := d.Decompress(nil, src, limit)
			if err2 != nil && !errors.Is(err2, ErrCorrupt) && !errors.Is(err2, ErrTooLarge) || len(got2) > limit {
				t.Fatalf("second message: %d octets, %v", len(got2), err2)
			}
		}
	})
}
