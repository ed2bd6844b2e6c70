package utf8check

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// validPrefix reports whether p is a prefix of some valid UTF-8 text. It is
// an oracle built only on utf8.Valid: p is a valid prefix when p followed by
// at most three continuation bytes is valid. Trying 0x80, 0x90 and 0xA0 for
// the first added byte and 0x80 for the rest is enough, because each of the
// ranges a lead byte allows for its first continuation byte (80-BF, 80-9F,
// 80-8F, 90-BF, A0-BF; RFC 3629 §4) contains one of them.
func validPrefix(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	buf := make([]byte, len(p), len(p)+3)
	copy(buf, p)
	for _, first := range []byte{0x80, 0x90, 0xa0} {
		q := append(buf, first)
		for range 3 {
			if utf8.Valid(q) {
				return true
			}
			q = append(q, 0x80)
		}
	}
	return false
}

// pendingOracle returns the number of bytes at the end of a valid prefix p
// that belong to an unfinished code point: the fewest bytes whose removal
// leaves valid UTF-8.
func pendingOracle(p []byte) int {
	for k := 0; k <= 3 && k <= len(p); k++ {
		if utf8.Valid(p[:len(p)-k]) {
			return k
		}
	}
	panic(fmt.Sprintf("pendingOracle: % x is not a valid prefix", p))
}

// feed writes pieces to a fresh Validator and returns the index of the first
// piece on which Write returned false (-1 if none) and the Validator.
func feed(pieces [][]byte) (int, *Validator) {
	v := new(Validator)
	for i, p := range pieces {
		if !v.Write(p) {
			return i, v
		}
	}
	return -1, v
}

// bytewise splits s into one-byte pieces.
func bytewise(s []byte) [][]byte {
	out := make([][]byte, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

// validatorCases hold whole texts and whether they are valid UTF-8
// (RFC 3629); WebSocket text must be valid (RFC 6455 §5.6, §8.1).
var validatorCases = []struct {
	name string
	in   string
	want bool
}{
	{"empty", "", true},
	{"ascii", "Hello-µ@ßöäüàá-UTF-8!!", true},
	{"greek", "κόσμε", true},
	{"all widths", "a\u00e9\u20ac\U0001D11E", true},
	{"smallest 2-byte U+0080", "\xc2\x80", true},
	{"largest 2-byte U+07FF", "\xdf\xbf", true},
	{"smallest 3-byte U+0800", "\xe0\xa0\x80", true},
	{"last before surrogates U+D7FF", "\xed\x9f\xbf", true},
	{"first after surrogates U+E000", "\xee\x80\x80", true},
	{"U+FFFF", "\xef\xbf\xbf", true},
	{"smallest 4-byte U+10000", "\xf0\x90\x80\x80", true},
	{"largest U+10FFFF", "\xf4\x8f\xbf\xbf", true},
	{"noncharacter U+FFFE is valid", "\xef\xbf\xbe", true},
	{"lone continuation", "\x80", false},
	{"continuation after ascii", "a\xbf", false},
	{"overlong 2-byte C0", "\xc0\xaf", false},
	{"overlong 2-byte C1", "\xc1\xbf", false},
	{"overlong 3-byte", "\xe0\x9f\xbf", false},
	{"overlong 4-byte", "\xf0\x8f\xbf\xbf", false},
	{"surrogate U+D800", "\xed\xa0\x80", false},
	{"surrogate U+DFFF", "\xed\xbf\xbf", false},
	{"above U+10FFFF", "\xf4\x90\x80\x80", false},
	{"lead F5", "\xf5\x80\x80\x80", false},
	{"lead FF", "\xff", false},
	{"lead FE", "\xfe", false},
	{"cut 2-byte", "a\xc3", false},
	{"cut 3-byte", "a\xe2\x82", false},
	{"cut 4-byte", "a\xf0\x9d\x84", false},
	{"ascii inside sequence", "\xe2a\xac", false},
	{"lead inside sequence", "\xe2\xc3\xa9", false},
	{"too many continuations", "\xc3\xa9\x80", false},
	{"autobahn 6.3.1", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", false},
	{"long valid", strings.Repeat("ab€𝄞é", 50), true},
	{"long, bad at end", strings.Repeat("ab€𝄞é", 50) + "\xed\xa0\x80", false},
}

// TestValidator feeds each case whole, byte by byte and split at every
// single point and checks the verdict against utf8.Valid and the fail-fast
// piece against validPrefix.
func TestValidator(t *testing.T) {
	for _, tt := range validatorCases {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if utf8.Valid(in) != tt.want {
				t.Fatalf("bad case: utf8.Valid = %v", !tt.want)
			}
			splits := [][][]byte{{in}, bytewise(in)}
			for c := 0; c <= len(in); c++ {
				splits = append(splits, [][]byte{in[:c], in[c:]})
			}
			for _, pieces := range splits {
				checkPieces(t, in, pieces)
			}
		})
	}
}

// checkPieces feeds pieces (which concatenate to whole) to a Validator and
// checks it against the oracles: Write fails exactly on the first piece
// after which the stream is no longer a valid prefix, the Validator stays
// failed, Pending matches, and the final verdict is utf8.Valid(whole).
func checkPieces(t *testing.T, whole []byte, pieces [][]byte) {
	t.Helper()
	var v Validator
	end := 0
	failed := false
	for i, p := range pieces {
		end += len(p)
		got := v.Write(p)
		if failed {
			if got {
				t.Fatalf("% x in pieces %q: Write true after a failure", whole, pieces)
			}
			continue
		}
		if want := validPrefix(whole[:end]); got != want {
			t.Fatalf("% x in pieces %q: Write(piece %d) = %v, but stream % x is valid prefix = %v",
				whole, pieces, i, got, whole[:end], want)
		}
		if !got {
			failed = true
			if v.Complete() || v.Pending() != 0 {
				t.Fatalf("failed Validator: Complete %v, Pending %d", v.Complete(), v.Pending())
			}
			continue
		}
		if want := pendingOracle(whole[:end]); v.Pending() != want || v.Complete() != (want == 0) {
			t.Fatalf("% x in pieces %q after piece %d: Pending %d, Complete %v; want %d",
				whole, pieces, i, v.Pending(), v.Complete(), want)
		}
	}
	if verdict, want := !failed && v.Complete(), utf8.Valid(whole); verdict != want {
		t.Fatalf("% x in pieces %q: verdict %v, utf8.Valid %v", whole, pieces, verdict, want)
	}
}

// TestValidatorFailFast checks RFC 6455 §8.1 as the package promises: a
// prefix that no continuation can make valid fails on the Write that
// delivers its first impossible byte, not at the end of the message.
func TestValidatorFailFast(t *testing.T) {
	tests := []struct {
		prefix string
		why    string
	}{
		{"\xf4\x90", "above U+10FFFF"},
		{"\xed\xa0", "UTF-16 surrogate"},
		{"\xc0", "overlong lead C0"},
		{"\xc1", "overlong lead C1"},
		{"\xe0\x80", "overlong 3-byte"},
		{"\xe0\x9f", "overlong 3-byte"},
		{"\xf0\x80", "overlong 4-byte"},
		{"\xf0\x8f", "overlong 4-byte"},
		{"\xf5", "lead above F4"},
		{"\xf8", "5-byte lead"},
		{"\xff", "never in UTF-8"},
		{"\x80", "lone continuation"},
		{"\xc2a", "ASCII where continuation is due"},
		{"\xe2\x82a", "ASCII where continuation is due"},
		{"\xf0\x9d\x84\xc3", "lead where continuation is due"},
	}
	for _, tt := range tests {
		for _, lead := range []string{"", "ok", "ok€", "0123456789abcdef"} {
			in := []byte(lead + tt.prefix)
			// Whole: the one Write fails.
			var v Validator
			if v.Write(in) {
				t.Errorf("%s: Write(% x) = true", tt.why, in)
			}
			if v.Write([]byte("a")) || v.Complete() {
				t.Errorf("%s: Validator not stuck after failure", tt.why)
			}
			v.Reset()
			if !v.Write([]byte("a")) || !v.Complete() {
				t.Errorf("%s: Reset did not restart the Validator", tt.why)
			}
			// Byte by byte: the last byte's Write fails, none before it.
			if i, _ := feed(bytewise(in)); i != len(in)-1 {
				t.Errorf("%s: byte-wise % x failed at byte %d, want %d", tt.why, in, i, len(in)-1)
			}
		}
	}
}

// TestValidatorPrefixesAccepted checks the other side of fail-fast: a prefix
// that can still become valid is accepted, only not Complete.
func TestValidatorPrefixesAccepted(t *testing.T) {
	tests := []struct {
		prefix  string
		pending int
	}{
		{"\xc2", 1},
		{"\xdf", 1},
		{"\xe0\xa0", 2},
		{"\xed\x9f", 2},
		{"\xef", 1},
		{"\xf0\x90", 2},
		{"\xf0\x90\x80", 3},
		{"\xf4\x8f", 2},
		{"\xf4\x8f\xbf", 3},
		{"abc\xf1\x80\x80", 3},
	}
	for _, tt := range tests {
		var v Validator
		if !v.Write([]byte(tt.prefix)) || v.Complete() || v.Pending() != tt.pending {
			t.Errorf("% x: Complete %v, Pending %d; want false, %d", tt.prefix, v.Complete(), v.Pending(), tt.pending)
		}
		if i, v := feed(bytewise([]byte(tt.prefix))); i != -1 || v.Pending() != tt.pending {
			t.Errorf("% x byte-wise: failed at %d, Pending %d", tt.prefix, i, v.Pending())
		}
	}
}

// interesting holds the bytes at the edges of every UTF-8 byte class.
var interesting = []byte{
	0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
	0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
}

// TestValidatorExhaustive feeds every string of up to four interesting bytes
// byte by byte, and every such string of two or three bytes in all splits.
func TestValidatorExhaustive(t *testing.T) {
	var rec func(s []byte)
	rec = func(s []byte) {
		if len(s) > 0 {
			checkPieces(t, s, bytewise(s))
			if len(s) <= 3 {
				for c := 0; c <= len(s); c++ {
					checkPieces(t, s, [][]byte{s[:c], s[c:]})
				}
			}
		}
		if len(s) == 4 {
			return
		}
		for _, c := range interesting {
			rec(append(s, c))
		}
	}
	rec(make([]byte, 0, 4))
}

// TestIncompleteTail checks the cut a sender makes between text frames.
func TestIncompleteTail(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 0},
		{"é", 0},
		{"\xc3", 1},
		{"a\xc3", 1},
		{"€", 0},
		{"\xe2", 1},
		{"\xe2\x82", 2},
		{"𝄞", 0},
		{"\xf0", 1},
		{"\xf0\x9d", 2},
		{"\xf0\x9d\x84", 3},
		{"ab𝄞\xf0\x9d\x84", 3},
		{"\x80\x80\x80\x80", 0}, // continuation bytes only: left to the validator
	}
	for _, tt := range tests {
		if got := IncompleteTail([]byte(tt.in)); got != tt.want {
			t.Errorf("IncompleteTail(% x) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// splitPieces cuts data into pieces at offsets taken from the bytes of
// seed, each byte being the length of the next piece.
func splitPieces(data, seed []byte) [][]byte {
	var pieces [][]byte
	for _, c := range seed {
		n := min(int(c), len(data))
		pieces = append(pieces, data[:n])
		data = data[n:]
	}
	return append(pieces, data)
}

// FuzzValidator checks the Validator against utf8.Valid for arbitrary bytes
// in arbitrary pieces, including that it fails fast on the exact piece that
// makes the stream impossible to complete (RFC 6455 §8.1).
func FuzzValidator(f *testing.F) {
	for _, tt := range validatorCases {
		f.Add([]byte(tt.in), []byte{1, 2, 3})
	}
	f.Add([]byte("ab€𝄞é\xf4\x90"), []byte{0, 4, 1})
	f.Add([]byte("\xf0\x9d\x84\x9e"), []byte{1, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data, seed []byte) {
		checkPieces(t, data, splitPieces(data, seed))
	})
}

// FuzzIncompleteTail checks that IncompleteTail stays within 0..3 for any
// input and, for a valid prefix (a valid text cut anywhere), returns exactly
// the bytes of the cut code point, so the rest can be sent as valid text.
func FuzzIncompleteTail(f *testing.F) {
	f.Add([]byte("ab€𝄞é"), uint16(5))
	f.Add([]byte("\xf0\x9d\x84"), uint16(3))
	f.Add([]byte("\x80\x80\x80\x80"), uint16(4))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		if n := IncompleteTail(data); n < 0 || n > 3 {
			t.Fatalf("IncompleteTail(% x) = %d", data, n)
		}
		text := []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
		p := text[:int(cut)%(len(text)+1)]
		n := IncompleteTail(p)
		if want := pendingOracle(p); n != want {
			t.Fatalf("IncompleteTail(% x) = %d, want %d", p, n, want)
		}
		if n > 0 && !utf8.RuneStart(p[len(p)-n]) {
			t.Fatalf("IncompleteTail(% x) = %d does not start at a lead byte", p, n)
		}
	})
}

// Benchmark inputs: 64 KiB of ASCII, and 64 KiB of mixed text with code
// points of every width.
var (
	benchASCII = bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog. "), 64<<10/45+1)[:64<<10]
	benchMixed = mixed64K()
)

// mixed64K returns 64 KiB of valid text mixing 1- to 4-byte code points.
func mixed64K() []byte {
	b := bytes.Repeat([]byte("añ€𝄞 Grüße, κόσμε! 日本語テキスト "), 64<<10/40+1)
	b = b[:64<<10]
	return b[:len(b)-IncompleteTail(b)]
}

func BenchmarkValidator(b *testing.B) {
	for _, in := range []struct {
		name string
		data []byte
	}{{"ascii", benchASCII}, {"mixed", benchMixed}} {
		b.Run(in.name+"/validator", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				var v Validator
				if !v.Write(in.data) || !v.Complete() {
					b.Fatal("invalid")
				}
			}
		})
		b.Run(in.name+"/validator-4k-pieces", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				var v Validator
				for p := in.data; len(p) > 0; p = p[min(len(p), 4093):] {
					if !v.Write(p[:min(len(p), 4093)]) {
						b.Fatal("invalid")
					}
				}
				if !v.Complete() {
					b.Fatal("incomplete")
				}
			}
		})
		b.Run(in.name+"/utf8.Valid", func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				if !utf8.Valid(in.data) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
