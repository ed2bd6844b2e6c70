package deflate

import (
	"fmt"
	"runtime"
	"testing"
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

// TestMemoryPerConnection measures what a connection holds between messages
// after one 1 KiB message each way.
//
// Without context takeover both directions hold only their structs (the
// encoder and decoder went back to the pools): asserted under 2 KiB.
//
// With context takeover the Decompressor keeps its window (here 1 KiB, the
// size of the message; at most 1<<windowBits) and the Compressor keeps
// klauspost's whole encoder: its 64 KiB input block, 320 KiB of history
// buffer, token buffer and hash tables (see TestEncoderMemoryByLevel).
func TestMemoryPerConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about a gigabyte")
	}
	msg := jsonLike(1024)
	n := 1000
	perConn := bytesPerConnection(t, n, 1, 15, false, msg)
	t.Logf("no context takeover, level 1: %.0f bytes per connection (%d connections)", perConn, n)
	if perConn > 2048 {
		t.Errorf("no context takeover: %.0f bytes per connection between messages, want under 2048", perConn)
	}

	if raceEnabled() {
		n = 100 // the race detector's shadow memory makes 1,000 slow
	}
	perConn = bytesPerConnection(t, n, 1, 15, true, msg)
	t.Logf("context takeover, level 1, 32 KiB window: %.0f bytes per connection (%d connections)", perConn, n)
	if perConn > 1.2e6 {
		t.Errorf("context takeover: %.0f bytes per connection, want under 1.2 MB", perConn)
	}
	perConn = bytesPerConnection(t, n, 1, 10, true, msg)
	t.Logf("context takeover, 1 KiB windows: %.0f bytes per connection (%d connections)", perConn, n)
}

// TestEncoderMemoryByLevel reports what a Compressor with context takeover
// holds at each level, and what a Decompressor with takeover holds once its
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
		cs := make([]*Compressor, n)
		before := heapInUse()
		for i := range cs {
			cs[i], _ = NewCompressor(cfg.level, cfg.bits, true)
			cs[i].Compress(nil, msg)
		}
		after := heapInUse()
		t.Logf("encoder level %-16s %7.0f KiB per Compressor with takeover", cfg.name, (float64(after)-float64(before))/n/1024)
		for _, c := range cs {
			c.Close()
		}
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
