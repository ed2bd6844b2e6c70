package deflate

import (
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/flate"
)

// heapInUse returns the heap in use after two collections: the first
// moves sync.Pool contents to the victim cache, the second frees them, so
// pooled encoders and decoders are not counted against any connection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// codecPair is what one connection holds: a Compressor for what it sends
// and a Decompressor for what it receives.
type codecPair struct {
	c *Compressor
	d *Decompressor
}

// bytesPerConnection sets up n pairs, sends one message through each (out of
// each Compressor into its Decompressor), and returns the heap they hold
// afterwards, per pair.
func bytesPerConnection(t *testing.T, n, level, bits int, takeover bool, msg []byte) float64 {
	t.Helper()
	pairs := make([]codecPair, n)
	buf := make([]byte, 0, 2*len(msg)+64)
	out := make([]byte, 0, len(msg))
	before := heapInUse()
	for i := range pairs {
		c, err := NewCompressor(level, bits, takeover)
		if err != nil {
			t.Fatal(err)
		}
		d := NewDecompressor(bits, takeover)
		p, err := c.Compress(buf[:0], msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decompress(out[:0], p, 0); err != nil {
			t.Fatal(err)
		}
		pairs[i] = codecPair{c, d}
	}
	after := heapInUse()
	runtime.KeepAlive(pairs)
	for _, p := range pairs {
		p.c.Close()
		p.d.Close()
	}
	return (float64(after) - float64(before)) / float64(n)
}

// TestMemoryPerConnection measures what a connection holds between messages.
//
// Without context takeover both directions hold only their structs (the
// encoder and decoder went back to the pools): asserted under 2 KiB.
//
// With context takeover the Compressor keeps the latest octets it sent (at
// most 8 KiB) and the Decompressor the latest it received (at most the
// 32 KiB window), nothing else: asserted after a 1 KiB message (about
// 1 KiB each) and after 64 KiB messages (the full 8 + 32 KiB).
func TestMemoryPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about a gigabyte")
	}
	n := 1000
	if raceEnabled() {
		n = 100 // the race detector's shadow memory makes 1,000 slow
	}
	cases := []struct {
		name     string
		takeover bool
		msg      []byte
		want     float64
	}{
		{"no context takeover, 1 KiB message", false, jsonLike(1 << 10), 2 << 10},
		{"no context takeover, 64 KiB message", false, jsonLike(64 << 10), 2 << 10},
		{"context takeover, 1 KiB message", true, jsonLike(1 << 10), 2<<10 + 2<<10},
		{"context takeover, 64 KiB message", true, jsonLike(64 << 10), 2<<10 + maxHistory + 32<<10},
	}
	for _, tc := range cases {
		perConn := bytesPerConnection(t, n, 1, 15, tc.takeover, tc.msg)
		t.Logf("%s, level 1: %.0f bytes per connection (%d connections)", tc.name, perConn, n)
		if perConn > tc.want {
			t.Errorf("%s: %.0f bytes per connection between messages, want under %.0f", tc.name, perConn, tc.want)
		}
	}
	perConn := bytesPerConnection(t, n, 1, 10, true, jsonLike(64<<10))
	t.Logf("context takeover, 1 KiB windows: %.0f bytes per connection (%d connections)", perConn, n)
	if perConn > 2<<10+2<<10 {
		t.Errorf("context takeover, 1 KiB windows: %.0f bytes per connection, want under %d", perConn, 4<<10)
	}
}

// TestEncoderMemoryByLevel reports what one klauspost encoder of each level
// costs (what a Compressor would hold per connection if it kept its encoder
// for context takeover, and what each goroutine compressing at a time holds
// from the pool), and what a Decompressor with takeover holds once its
// window is full. Only logged: the numbers are klauspost's, not ours.
func TestEncoderMemoryByLevel(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("measurement only")
	}
	const n = 20
	msg := jsonLike(1024)
	type config struct {
		name        string
		level, bits int
	}
	configs := []config{{"default (5)", -1, 15}}
	for level := 1; level <= 9; level++ {
		configs = append(configs, config{fmt.Sprint(level), level, 15})
	}
	for _, bits := range []int{9, 12, 14} {
		configs = append(configs, config{fmt.Sprintf("any, window %d", bits), 1, bits})
	}
	for _, cfg := range configs {
		ws := make([]*flate.Writer, n)
		before := heapInUse()
		for i := range ws {
			ws[i], _ = newEncoder(io.Discard, cfg.level, cfg.bits)
			ws[i].Write(msg)
			ws[i].Flush()
		}
		after := heapInUse()
		t.Logf("encoder level %-16s %7.0f KiB each", cfg.name, (float64(after)-float64(before))/n/1024)
		runtime.KeepAlive(ws)
	}

	big := jsonLike(64 << 10)
	c, _ := NewCompressor(1, 15, true)
	p, _ := c.Compress(nil, big)
	ds := make([]*Decompressor, n)
	before := heapInUse()
	for i := range ds {
		ds[i] = NewDecompressor(15, true)
		ds[i].Decompress(nil, p, 0)
	}
	after := heapInUse()
	t.Logf("decoder with takeover, full 32 KiB window: %.1f KiB per Decompressor", (float64(after)-float64(before))/n/1024)
	runtime.KeepAlive(ds)
}
