package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"github.com/wsx-go/websocket/internal/frame"
	"github.com/wsx-go/websocket/internal/utf8check"
)

// microScenario runs in-process micro-benchmarks with testing.Benchmark,
// in the client process (pinned to its CPU, GOMAXPROCS=1), for the
// measuring window of the run:
//
//   - mask-64KiB: wsx's frame.Mask over 64 KiB in place, against copy of
//     64 KiB (the reference: one pass over the bytes) and gobwas's
//     exported ws.Cipher. gorilla's, gws's (internal.MaskXOR) and nbio's
//     (maskXOR) masking functions are not exported, and coder's is
//     unexported too, so they are not measured.
//   - utf8-64KiB-ascii and utf8-64KiB-mixed: wsx's streaming
//     utf8check.Validator (Write of the whole message, then Complete),
//     against the standard library's utf8.Valid (the reference), on 64 KiB
//     of ASCII and on 64 KiB of text mixing ASCII with 2-, 3- and 4-byte
//     code points.
//
// The rows are these functions, not servers: ×ref compares with copy or
// utf8.Valid, ×best with the fastest of the other rows.
var microScenario = Scenario{
	Name: "micro",
	Doc: "In-process micro-benchmarks (testing.Benchmark, in the client process, for the measuring window). " +
		"mask-64KiB masks 64 KiB in place: wsx is internal/frame.Mask, gobwas its exported ws.Cipher, " +
		"against copy of 64 KiB as the reference (gorilla's, gws's, nbio's and coder's masking functions are " +
		"not exported). utf8-64KiB-* validate 64 KiB of ASCII or of mixed 1- to 4-byte UTF-8: wsx is " +
		"internal/utf8check.Validator (Write, then Complete), against utf8.Valid as the reference. " +
		"MB/s is 10⁶ bytes per second; ×ref is the ratio to the reference row.",
	Cells: []Cell{
		{Name: "mask-64KiB", Size: 64 << 10},
		{Name: "utf8-64KiB-ascii", Size: 64 << 10},
		{Name: "utf8-64KiB-mixed", Size: 64 << 10},
	},
	Metrics: []Metric{
		{Name: "MB/s", HigherBetter: true, Format: func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{Name: "ns/op", Format: func(v float64) string { return fmt.Sprintf("%.0f", v) }},
	},
	NoServer: true,
	Subjects: microSubjects,
	RefName:  "ref",
	Run:      runMicro,
}

// microSubjects returns the rows of a micro cell: the reference first,
// then those of the selected implementations that have the function.
func microSubjects(cell Cell, list []Impl) []Impl {
	ref, others := Impl{Name: "utf8.Valid", Raw: true}, []string{"wsx"}
	if strings.HasPrefix(cell.Name, "mask") {
		ref, others = Impl{Name: "copy", Raw: true}, []string{"wsx", "gobwas"}
	}
	out := []Impl{ref}
	for _, im := range list {
		if slices.Contains(others, im.Name) {
			out = append(out, Impl{Name: im.Name})
		}
	}
	return out
}

// runMicro benchmarks one row of a micro cell: MB/s and ns/op.
func runMicro(_ *serverProc, im Impl, cell Cell, cfg *Config) ([]float64, error) {
	testing.Init()
	if err := flag.Set("test.benchtime", cfg.Measure.String()); err != nil {
		return nil, err
	}
	fn, err := microFunc(im.Name, cell)
	if err != nil {
		return nil, err
	}
	r := testing.Benchmark(func(b *testing.B) {
		b.SetBytes(int64(cell.Size))
		fn(b)
	})
	if r.N == 0 || r.T <= 0 {
		return nil, fmt.Errorf("benchmark did not run")
	}
	sec := r.T.Seconds()
	return []float64{float64(r.Bytes) * float64(r.N) / sec / 1e6, float64(r.T.Nanoseconds()) / float64(r.N)}, nil
}

// microFunc returns the benchmark loop of one row of a cell.
func microFunc(name string, cell Cell) (func(b *testing.B), error) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	if strings.HasPrefix(cell.Name, "mask") {
		buf := broadcastPayload(cell.Size)
		switch name {
		case "copy":
			dst := make([]byte, cell.Size)
			return func(b *testing.B) {
				for b.Loop() {
					copy(dst, buf)
				}
			}, nil
		case "wsx":
			return func(b *testing.B) {
				for b.Loop() {
					frame.Mask(key, 0, buf)
				}
			}, nil
		case "gobwas":
			return func(b *testing.B) {
				for b.Loop() {
					ws.Cipher(buf, key, 0)
				}
			}, nil
		}
		return nil, fmt.Errorf("no masking function for %s", name)
	}
	text := utf8Text(cell.Size, strings.HasSuffix(cell.Name, "mixed"))
	switch name {
	case "utf8.Valid":
		return func(b *testing.B) {
			for b.Loop() {
				if !utf8.Valid(text) {
					b.Fatal("invalid")
				}
			}
		}, nil
	case "wsx":
		return func(b *testing.B) {
			var v utf8check.Validator
			for b.Loop() {
				v.Reset()
				if !v.Write(text) || !v.Complete() {
					b.Fatal("invalid")
				}
			}
		}, nil
	}
	return nil, fmt.Errorf("no UTF-8 validator for %s", name)
}

// utf8Text returns n bytes of valid UTF-8: ASCII prose, or with mixed set
// prose that mixes ASCII with 2-, 3- and 4-byte code points.
func utf8Text(n int, mixed bool) []byte {
	unit := "The quick brown fox jumps over the lazy dog. "
	if mixed {
		unit = "Grüße, naïve café — Привет, мир! 你好，世界。 🙂🚀 ok; "
	}
	b := []byte(strings.Repeat(unit, n/len(unit)+1))[:n]
	// Cut at a code point boundary and pad with spaces to n bytes.
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	for len(b) < n {
		b = append(b, ' ')
	}
	return b
}
