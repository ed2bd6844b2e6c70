package frame

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
)

// testMask is an arbitrary masking key used by the table tests.
var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// wire builds expected header bytes: the first byte, the second byte
// without its mask bit, the extended length bytes, and the masking key when
// masked is set (RFC 6455 §5.2 layout).
func wire(b0, len7 byte, ext []byte, masked bool) []byte {
	b := []byte{b0, len7}
	if masked {
		b[1] |= 0x80
	}
	b = append(b, ext...)
	if masked {
		b = append(b, testMask[:]...)
	}
	return b
}

// headerCase is one header with its minimal (RFC 6455 §5.2) encoding.
type headerCase struct {
	name string
	h    Header
	wire []byte
}

// lengthCases returns headers at every boundary of the 7-, 16- and 64-bit
// length encodings of RFC 6455 §5.2, masked and unmasked.
func lengthCases() []headerCase {
	type lc struct {
		length int64
		len7   byte
		ext    []byte
	}
	lengths := []lc{
		{0, 0, nil},
		{1, 1, nil},
		{125, 125, nil},
		{126, 126, []byte{0x00, 0x7e}},
		{127, 126, []byte{0x00, 0x7f}},
		{256, 126, []byte{0x01, 0x00}},
		{65535, 126, []byte{0xff, 0xff}},
		{65536, 127, []byte{0, 0, 0, 0, 0, 1, 0, 0}},
		{1<<32 - 1, 127, []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}},
		{1 << 32, 127, []byte{0, 0, 0, 1, 0, 0, 0, 0}},
		{math.MaxInt64, 127, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	var cases []headerCase
	for _, l := range lengths {
		for _, masked := range []bool{false, true} {
			h := Header{Fin: true, Opcode: OpBinary, Masked: masked, Length: l.length}
			if masked {
				h.Mask = testMask
			}
			cases = append(cases, headerCase{
				name: fmt.Sprintf("len=%d/masked=%v", l.length, masked),
				h:    h,
				wire: wire(0x82, l.len7, l.ext, masked),
			})
		}
	}
	return cases
}

// bitCases returns headers that exercise fin, every RSV combination and
// every one of the 16 opcode values.
func bitCases() []headerCase {
	var cases []headerCase
	for op := range 16 {
		for _, fin := range []bool{false, true} {
			b0 := byte(op)
			if fin {
				b0 |= 0x80
			}
			cases = append(cases, headerCase{
				name: fmt.Sprintf("op=%#x/fin=%v", op, fin),
				h:    Header{Fin: fin, Opcode: Opcode(op), Length: 5},
				wire: []byte{b0, 5},
			})
		}
	}
	for rsv := byte(0); rsv < 8; rsv++ {
		bits := rsv << 4 // RSV1 = 0x40, RSV2 = 0x20, RSV3 = 0x10
		cases = append(cases, headerCase{
			name: fmt.Sprintf("rsv=%#x", bits),
			h:    Header{Fin: true, RSV: bits, Opcode: OpText, Masked: true, Mask: testMask, Length: 3},
			wire: wire(0x81|bits, 3, nil, true),
		})
	}
	return cases
}

func allHeaderCases() []headerCase { return append(lengthCases(), bitCases()...) }

func TestPutAppendParse(t *testing.T) {
	for _, tc := range allHeaderCases() {
		t.Run(tc.name, func(t *testing.T) {
			var buf [MaxHeaderSize]byte
			n := Put(buf[:], tc.h)
			if !bytes.Equal(buf[:n], tc.wire) {
				t.Fatalf("Put = % x, want % x", buf[:n], tc.wire)
			}
			prefix := []byte("xyz")
			if got := Append(prefix, tc.h); !bytes.Equal(got, append(prefix, tc.wire...)) {
				t.Fatalf("Append = % x, want prefix + % x", got, tc.wire)
			}
			if got := Size(tc.wire[0], tc.wire[1]); got != len(tc.wire) {
				t.Fatalf("Size = %d, want %d", got, len(tc.wire))
			}
			// Parse must ignore whatever follows the header (the payload).
			in := append(append([]byte{}, tc.wire...), 0xde, 0xad)
			h, n, err := Parse(in)
			if err != nil || n != len(tc.wire) || h != tc.h {
				t.Fatalf("Parse = %+v, %d, %v; want %+v, %d, nil", h, n, err, tc.h, len(tc.wire))
			}
		})
	}
}

// TestPutMinimalLength checks RFC 6455 §5.2: "the minimal number of bytes
// MUST be used to encode the length".
func TestPutMinimalLength(t *testing.T) {
	tests := []struct {
		length int64
		want   int // unmasked header size
	}{
		{-1, 2}, // negative lengths are written as zero
		{0, 2},
		{125, 2},
		{126, 4},
		{65535, 4},
		{65536, 10},
		{1 << 32, 10},
		{math.MaxInt64, 10},
	}
	for _, tt := range tests {
		var buf [MaxHeaderSize]byte
		if n := Put(buf[:], Header{Length: tt.length}); n != tt.want {
			t.Errorf("Put(len %d) = %d bytes, want %d", tt.length, n, tt.want)
		}
		if n := Put(buf[:], Header{Length: tt.length, Masked: true}); n != tt.want+4 {
			t.Errorf("Put(len %d, masked) = %d bytes, want %d", tt.length, n, tt.want+4)
		}
	}
}

func TestPutNegativeLength(t *testing.T) {
	b := Append(nil, Header{Fin: true, Opcode: OpPing, Length: -7})
	if want := []byte{0x89, 0x00}; !bytes.Equal(b, want) {
		t.Fatalf("Append = % x, want % x", b, want)
	}
}

// TestPutDropsStrayBits checks that Put writes only the four opcode bits and
// the three RSV bits, so a bad Header cannot corrupt the fin bit.
func TestPutDropsStrayBits(t *testing.T) {
	b := Append(nil, Header{RSV: 0xff, Opcode: 0xf1, Length: 1})
	if want := []byte{0x71, 0x01}; !bytes.Equal(b, want) {
		t.Fatalf("Append = % x, want % x", b, want)
	}
}

// TestParseShort checks that every proper prefix of a header, including
// the empty one, yields n == 0 and no error.
func TestParseShort(t *testing.T) {
	for _, tc := range allHeaderCases() {
		for i := range len(tc.wire) {
			h, n, err := Parse(tc.wire[:i])
			if n != 0 || err != nil || h != (Header{}) {
				t.Errorf("%s: Parse(first %d of %d bytes) = %+v, %d, %v; want zero, 0, nil",
					tc.name, i, len(tc.wire), h, n, err)
			}
		}
	}
	if _, n, err := Parse(nil); n != 0 || err != nil {
		t.Errorf("Parse(nil) = %d, %v", n, err)
	}
}

// TestParseLengthOverflow checks RFC 6455 §5.2: "the most significant bit
// MUST be 0" in a 64-bit payload length.
func TestParseLengthOverflow(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"msb only", []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"all ones", []byte{0x82, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"masked", []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := Parse(tt.in)
			if !errors.Is(err, ErrLengthOverflow) || n != 0 || h != (Header{}) {
				t.Fatalf("Parse = %+v, %d, %v; want zero, 0, ErrLengthOverflow", h, n, err)
			}
			// Until the whole header is in, there is nothing to judge.
			if _, n, err := Parse(tt.in[:len(tt.in)-1]); n != 0 || err != nil {
				t.Fatalf("Parse(short) = %d, %v; want 0, nil", n, err)
			}
		})
	}
}

// TestParseNonMinimal documents that Parse accepts a length written in a
// longer form than needed; only the sender is bound to the minimal form.
func TestParseNonMinimal(t *testing.T) {
	tests := []struct {
		in   []byte
		want int64
	}{
		{[]byte{0x82, 126, 0x00, 0x05}, 5},
		{[]byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0x05}, 5},
		{[]byte{0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 65535},
	}
	for _, tt := range tests {
		h, n, err := Parse(tt.in)
		if err != nil || n != len(tt.in) || h.Length != tt.want {
			t.Errorf("Parse(% x) = %+v, %d, %v; want length %d", tt.in, h, n, err, tt.want)
		}
	}
}

// TestOpcode checks the opcode classes of RFC 6455 §5.2 and §11.8 for all
// 16 values: 0x3-0x7 are reserved data opcodes, 0xB-0xF reserved control
// opcodes.
func TestOpcode(t *testing.T) {
	tests := []struct {
		op      Opcode
		control bool
		known   bool
		str     string
	}{
		{0x0, false, true, "continuation"},
		{0x1, false, true, "text"},
		{0x2, false, true, "binary"},
		{0x3, false, false, "opcode(0x3)"},
		{0x4, false, false, "opcode(0x4)"},
		{0x5, false, false, "opcode(0x5)"},
		{0x6, false, false, "opcode(0x6)"},
		{0x7, false, false, "opcode(0x7)"},
		{0x8, true, true, "close"},
		{0x9, true, true, "ping"},
		{0xA, true, true, "pong"},
		{0xB, true, false, "opcode(0xb)"},
		{0xC, true, false, "opcode(0xc)"},
		{0xD, true, false, "opcode(0xd)"},
		{0xE, true, false, "opcode(0xe)"},
		{0xF, true, false, "opcode(0xf)"},
	}
	for _, tt := range tests {
		if got := tt.op.IsControl(); got != tt.control {
			t.Errorf("%#x.IsControl() = %v, want %v", byte(tt.op), got, tt.control)
		}
		if got := tt.op.IsKnown(); got != tt.known {
			t.Errorf("%#x.IsKnown() = %v, want %v", byte(tt.op), got, tt.known)
		}
		if got := tt.op.String(); got != tt.str {
			t.Errorf("%#x.String() = %q, want %q", byte(tt.op), got, tt.str)
		}
	}
}

// FuzzParseHeader checks that Parse never panics, that its results agree
// with Size, and that re-encoding a parsed header with Put and parsing it
// again gives the same header in a form no longer than the original.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range allHeaderCases() {
		f.Add(tc.wire)
	}
	f.Add([]byte{})
	f.Add([]byte{0x81})
	f.Add([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x82, 126, 0x00, 0x05, 'h', 'i'})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, n, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrLengthOverflow) {
				t.Fatalf("unexpected error %v", err)
			}
			if n != 0 || len(data) < 10 || data[1]&0x7f != 127 || data[2]&0x80 == 0 {
				t.Fatalf("ErrLengthOverflow with n=%d for % x", n, data)
			}
			return
		}
		if n == 0 {
			if len(data) >= 2 && len(data) >= Size(data[0], data[1]) {
				t.Fatalf("n == 0 for a whole header: % x", data)
			}
			return
		}
		if n != Size(data[0], data[1]) || n > len(data) || n > MaxHeaderSize {
			t.Fatalf("n = %d, Size = %d, len = %d", n, Size(data[0], data[1]), len(data))
		}
		if h.Length < 0 || h.RSV&^(RSV1|RSV2|RSV3) != 0 || h.Opcode > 0xf {
			t.Fatalf("out-of-range header %+v", h)
		}
		if !h.Masked && h.Mask != ([4]byte{}) {
			t.Fatalf("unmasked header with a key: %+v", h)
		}

		var buf [MaxHeaderSize]byte
		m := Put(buf[:], h)
		if m > n {
			t.Fatalf("re-encoding is longer (%d) than the original (%d)", m, n)
		}
		if !bytes.Equal(Append(nil, h), buf[:m]) {
			t.Fatalf("Append and Put disagree")
		}
		if buf[0] != data[0] || buf[1]&0x80 != data[1]&0x80 {
			t.Fatalf("flag bits changed: % x -> % x", data[:2], buf[:2])
		}
		h2, n2, err := Parse(buf[:m])
		if err != nil || n2 != m || h2 != h {
			t.Fatalf("round trip: Parse(% x) = %+v, %d, %v; want %+v, %d", buf[:m], h2, n2, err, h, m)
		}
	})
}

// TestHeaderSize checks HeaderSize against what Put writes, at each
// boundary of the length encodings, masked and not.
func TestHeaderSize(t *testing.T) {
	for _, length := range []int64{-1, 0, 1, 125, 126, 0xffff, 0x10000, 1 << 40} {
		for _, masked := range []bool{false, true} {
			h := Header{Fin: true, Opcode: OpBinary, Masked: masked, Length: length}
			var b [MaxHeaderSize]byte
			if got, want := HeaderSize(h), Put(b[:], h); got != want {
				t.Errorf("HeaderSize(length %d, masked %v) = %d, Put writes %d", length, masked, got, want)
			}
		}
	}
}
