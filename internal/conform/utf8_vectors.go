package conform

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// utf8Vector is one payload of the UTF-8 decoder tests of section 6 and
// whether it is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF; noncharacters are allowed).
type utf8Vector struct {
	valid bool
	data  string // the bytes, exactly as sent
}

// utf8Group is a numbered group of vectors: group i of utf8Groups becomes
// cases 6.(i+5).1, 6.(i+5).2, ... in the order of its vectors.
type utf8Group struct {
	title   string
	vectors []utf8Vector
}

// utf8Kosme is the Greek word "kosme" (κόσμε), five two- and three-octet code points.
const utf8Kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"

// utf8Truncated are multi-octet sequences whose last continuation
// octet is missing: lead octets of 2- to 6-octet forms, first with the
// lowest, then with the highest continuation values.
var utf8Truncated = []string{
	"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
	"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf",
}

func utf8Good(ss ...string) []utf8Vector {
	out := make([]utf8Vector, len(ss))
	for i, s := range ss {
		out[i] = utf8Vector{true, s}
	}
	return out
}

func utf8Bad(ss ...string) []utf8Vector {
	out := make([]utf8Vector, len(ss))
	for i, s := range ss {
		out[i] = utf8Vector{false, s}
	}
	return out
}

// utf8KosmePrefixes returns every non-empty prefix of utf8Kosme; a prefix is valid
// only when it ends on a code point boundary.
func utf8KosmePrefixes() []utf8Vector {
	var out []utf8Vector
	for n := 1; n <= len(utf8Kosme); n++ {
		out = append(out, utf8Vector{utf8.ValidString(utf8Kosme[:n]), utf8Kosme[:n]})
	}
	return out
}

// utf8ByteRun returns the octets from..to-1, each followed by sep when sep is
// not negative.
func utf8ByteRun(from, to int, sep int) string {
	var b []byte
	for c := from; c < to; c++ {
		b = append(b, byte(c))
		if sep >= 0 {
			b = append(b, byte(sep))
		}
	}
	return string(b)
}

// utf8LonelyStarts returns, for each class of lead octet, the lead octets of
// that class (the last one left out), each followed by a space.
func utf8LonelyStarts() []utf8Vector {
	ranges := [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}}
	var out []utf8Vector
	for _, r := range ranges {
		out = append(out, utf8Vector{false, utf8ByteRun(r[0], r[1], 0x20)})
	}
	return out
}

// utf8Noncharacters returns the noncharacter code points U+FFFE, U+FFFF and
// U+nFFFE, U+nFFFF of the supplementary planes 1 to 16 (4-octet forms),
// which are well-formed UTF-8.
func utf8Noncharacters() []utf8Vector {
	out := utf8Good("\xef\xbf\xbe", "\xef\xbf\xbf")
	for _, b1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, b2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if b1 == 0xf4 && b2 != 0x8f {
				continue // above U+10FFFF
			}
			if b1 == 0xf0 && b2 == 0x8f {
				continue // overlong forms of U+FFFE and U+FFFF
			}
			for _, b4 := range []byte{0xbe, 0xbf} {
				out = append(out, utf8Vector{true, string([]byte{b1, b2, 0xbf, b4})})
			}
		}
	}
	return out
}

// utf8Groups are the vector groups of cases 6.5.x to 6.23.x, in order.
// Most come from Markus Kuhn's UTF-8 decoder stress test
// (https://www.cl.cam.ac.uk/~mgk25/ucs/examples/UTF-8-test.txt).
var utf8Groups = []utf8Group{
	{"Well-formed UTF-8 text", utf8Good(
		"hello\x24world",             // U+0024
		"hello\xc2\xa2world",         // U+00A2
		"hello\xe2\x82\xacworld",     // U+20AC
		"hello\xf0\xa4\xad\xa2world", // U+24B62
		utf8Kosme,
	)},
	{"Every prefix of a UTF-8 text with multi-octet code points", utf8KosmePrefixes()},
	{"The lowest code point of each sequence length", utf8Good(
		"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80",
	)},
	{"The lowest 5- and 6-octet sequences (beyond U+10FFFF)", utf8Bad(
		"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80",
	)},
	{"The highest code point of each sequence length", utf8Good(
		"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
	)},
	{"The highest 4-, 5- and 6-octet sequences (beyond U+10FFFF)", utf8Bad(
		"\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf",
	)},
	{"Code points at other boundaries", append(utf8Good(
		"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",
	), utf8Bad("\xf4\x90\x80\x80")...)},
	{"Continuation octets where none is expected", utf8Bad(
		"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf",
		"\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf",
		utf8ByteRun(0x80, 0xbf, -1),
	)},
	{"Lead octets each followed by a space", utf8LonelyStarts()},
	{"Sequences missing their last continuation octet", utf8Bad(utf8Truncated...)},
	{"Several truncated sequences in a row", utf8Bad(strings.Join(utf8Truncated, ""))},
	{"Octets that never occur in UTF-8", utf8Bad("\xfe", "\xff", "\xfe\xfe\xff\xff")},
	{"Overlong forms of an ASCII character (U+002F)", utf8Bad(
		"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf",
	)},
	{"The highest overlong form of each sequence length", utf8Bad(
		"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf",
	)},
	{"Overlong forms of U+0000", utf8Bad(
		"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80",
	)},
	{"UTF-16 surrogates on their own", utf8Bad(
		"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf",
		"\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf",
	)},
	{"UTF-16 surrogate pairs", utf8Bad(
		"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf",
		"\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
		"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf",
		"\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf",
	)},
	{"Noncharacter code points (well-formed UTF-8)", utf8Noncharacters()},
	{"The Specials block, U+FFF9 to U+FFFF (well-formed UTF-8)", utf8Good(
		"\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc",
		"\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf",
	)},
}

// checkUTF8Vectors reports a vector whose stated validity disagrees with
// Go's strict UTF-8 decoder, which follows RFC 3629 as Autobahn's does.
func checkUTF8Vectors() error {
	for i, g := range utf8Groups {
		for j, v := range g.vectors {
			if utf8.ValidString(v.data) != v.valid {
				return fmt.Errorf("conform: UTF-8 vector 6.%d.%d (%x) marked valid=%t", i+5, j+1, v.data, v.valid)
			}
		}
	}
	return nil
}
