package frame

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveMask is the byte-by-byte reference for Mask, written straight from
// RFC 6455 §5.3: octet i of the payload is XORed with octet (i MOD 4) of the
// key, where i counts from the start of the frame's payload.
func naiveMask(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// testData returns n pseudo-random bytes that depend only on n and seed.
func testData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var maskKeys = [][4]byte{
	{0, 0, 0, 0},
	{0xff, 0xff, 0xff, 0xff},
	{0x01, 0x02, 0x04, 0x08},
	{0x37, 0xfa, 0x21, 0x3d},
}

// TestMaskReference compares Mask with naiveMask for all lengths 0..300 and
// all start offsets, and checks that Mask stays inside its slice.
func TestMaskReference(t *testing.T) {
	const guard = 16
	for _, key := range maskKeys {
		for n := 0; n <= 300; n++ {
			for pos := range 4 {
				// Also at an odd address, to catch alignment assumptions.
				for _, off := range []int{0, 3} {
					data := testData(guard+off+n+guard, uint64(n*4+pos))
					want := bytes.Clone(data)
					wantPos := naiveMask(key, pos, want[guard+off:guard+off+n])
					gotPos := Mask(key, pos, data[guard+off:guard+off+n])
					if gotPos != wantPos || !bytes.Equal(data, want) {
						t.Fatalf("key % x, len %d, pos %d, off %d: Mask = %d, % x; want %d, % x",
							key, n, pos, off, gotPos, data, wantPos, want)
					}
				}
			}
		}
	}
}

// TestMaskPosNormalized checks that a start offset outside 0..3 is taken
// modulo 4, as a running payload offset would be.
func TestMaskPosNormalized(t *testing.T) {
	key := maskKeys[3]
	for _, pos := range []int{4, 5, 6, 7, 1001, 1<<30 + 3} {
		for n := range 40 {
			got := testData(n, 1)
			want := bytes.Clone(got)
			wantPos := naiveMask(key, pos, want)
			if gotPos := Mask(key, pos, got); gotPos != wantPos || !bytes.Equal(got, want) {
				t.Fatalf("pos %d, len %d: Mask = %d, want %d", pos, n, gotPos, wantPos)
			}
		}
	}
}

// TestMaskInvolution checks that unmasking is the same operation as masking
// (RFC 6455 §5.3).
func TestMaskInvolution(t *testing.T) {
	orig := testData(1000, 7)
	b := bytes.Clone(orig)
	Mask(testMask, 1, b)
	if bytes.Equal(b, orig) {
		t.Fatal("Mask changed nothing")
	}
	Mask(testMask, 1, b)
	if !bytes.Equal(b, orig) {
		t.Fatal("masking twice did not restore the data")
	}
}

// maskInPieces masks b in the pieces that cuts (sorted offsets into b)
// delimit, passing the returned offset from one call to the next.
func maskInPieces(key [4]byte, pos int, b []byte, cuts []int) int {
	prev := 0
	for _, c := range append(cuts, len(b)) {
		pos = Mask(key, pos, b[prev:c])
		prev = c
	}
	return pos
}

// TestMaskPieces checks that masking in pieces equals masking at once: every
// single cut for lengths up to 100, then many random multi-cut splits.
func TestMaskPieces(t *testing.T) {
	key := maskKeys[3]
	check := func(t *testing.T, n, pos int, cuts []int) {
		t.Helper()
		data := testData(n, uint64(pos))
		want := bytes.Clone(data)
		wantPos := naiveMask(key, pos, want)
		if gotPos := maskInPieces(key, pos, data, cuts); gotPos != wantPos || !bytes.Equal(data, want) {
			t.Fatalf("len %d, pos %d, cuts %v: pieces differ from the whole", n, pos, cuts)
		}
	}
	for n := 0; n <= 100; n++ {
		for pos := range 4 {
			for c := 0; c <= n; c++ {
				check(t, n, pos, []int{c})
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		n := r.IntN(300)
		cuts := make([]int, r.IntN(8))
		for i := range cuts {
			cuts[i] = r.IntN(n + 1)
		}
		slices.Sort(cuts)
		check(t, n, r.IntN(4), cuts)
	}
}

// FuzzMask checks Mask against naiveMask, and masking in pieces (cut where
// the bytes of cutSeed say) against masking at once.
func FuzzMask(f *testing.F) {
	f.Add(uint32(0x3d21fa37), 0, []byte("hello, websocket"), []byte{3, 5})
	f.Add(uint32(0xffffffff), 3, make([]byte, 100), []byte{1, 7, 9, 33})
	f.Add(uint32(1), -1, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, k uint32, pos int, data, cutSeed []byte) {
		var key [4]byte
		binary.LittleEndian.PutUint32(key[:], k)

		want := bytes.Clone(data)
		wantPos := naiveMask(key, pos, want)

		whole := bytes.Clone(data)
		if p := Mask(key, pos, whole); p != wantPos || !bytes.Equal(whole, want) {
			t.Fatalf("Mask whole = %d, % x; want %d, % x", p, whole, wantPos, want)
		}

		var cuts []int
		at := 0
		for _, c := range cutSeed {
			at += int(c)
			if at > len(data) {
				break
			}
			cuts = append(cuts, at)
		}
		pieces := bytes.Clone(data)
		if p := maskInPieces(key, pos, pieces, cuts); p != wantPos || !bytes.Equal(pieces, want) {
			t.Fatalf("Mask in pieces %v = %d, % x; want %d, % x", cuts, p, pieces, wantPos, want)
		}
	})
}

func BenchmarkMask64K(b *testing.B) {
	buf := testData(64<<10, 1)
	b.SetBytes(int64(len(buf)))
	pos := 0
	for b.Loop() {
		pos = Mask(testMask, pos, buf)
	}
}

func BenchmarkCopy64K(b *testing.B) {
	src := testData(64<<10, 1)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		copy(dst, src)
	}
}

// BenchmarkMaskSizes shows where the eight-byte loop starts to pay off.
func BenchmarkMaskSizes(b *testing.B) {
	for _, n := range []int{7, 32, 125, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			buf := testData(n, 1)
			b.SetBytes(int64(n))
			for b.Loop() {
				Mask(testMask, 1, buf)
			}
		})
	}
}
