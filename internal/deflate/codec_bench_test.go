package deflate

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/klauspost/compress/flate"
)

// benchCase is one configuration the codec benchmarks run.
type benchCase struct {
	name     string
	msg      []byte
	level    int
	takeover bool
}

// benchCases returns a 64 KiB JSON-like message (and a 1 KiB one, where
// per-message costs show), at level 1 and the default level, with and
// without context takeover.
func benchCases() []benchCase {
	var cases []benchCase
	for _, size := range []int{64 << 10, 1 << 10} {
		msg := jsonLike(size)
		for _, level := range []int{1, flate.DefaultCompression} {
			for _, takeover := range []bool{false, true} {
				name := fmt.Sprintf("%dKiB/level=%d/takeover=%t", size>>10, level, takeover)
				cases = append(cases, benchCase{name, msg, level, takeover})
			}
		}
	}
	return cases
}

func BenchmarkCompress(b *testing.B) {
	for _, bc := range benchCases() {
		msg, level, takeover := bc.msg, bc.level, bc.takeover
		b.Run(bc.name, func(b *testing.B) {
			c, err := NewCompressor(level, 15, takeover)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			out := make([]byte, 0, len(msg)+1024)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if out, err = c.Compress(out[:0], msg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out))/float64(len(msg)), "ratio")
		})
	}
}

func BenchmarkDecompress(b *testing.B) {
	for _, bc := range benchCases() {
		msg, level, takeover := bc.msg, bc.level, bc.takeover
		b.Run(bc.name, func(b *testing.B) {
			c, err := NewCompressor(level, 15, takeover)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			// With takeover each payload depends on the ones before; once
			// the history is the message itself, the encoder's output
			// settles, and the settled payload can be decoded again and
			// again.
			var payloads [][]byte
			for range 4 {
				p, err := c.Compress(nil, msg)
				if err != nil {
					b.Fatal(err)
				}
				payloads = append(payloads, p)
			}
			steady := payloads[len(payloads)-1]
			if takeover && !bytes.Equal(steady, payloads[len(payloads)-2]) {
				b.Skip("the encoder's output did not settle; cannot repeat a takeover payload")
			}
			d := NewDecompressor(15, takeover)
			defer d.Close()
			out := make([]byte, 0, len(msg))
			for _, p := range payloads {
				if out, err = d.Decompress(out[:0], p, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if out, err = d.Decompress(out[:0], steady, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
			if !bytes.Equal(out, msg) {
				b.Fatal("wrong output")
			}
		})
	}
}
