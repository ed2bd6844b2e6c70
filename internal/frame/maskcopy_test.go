package frame

import (
	"bytes"
	"testing"
)

// TestMaskCopyMatchesMask checks that MaskCopy leaves src alone and writes
// what Mask would have made of it in place, for every length up to 300 and
// every start offset.
func TestMaskCopyMatchesMask(t *testing.T) {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for n := 0; n <= 300; n++ {
		for pos := 0; pos < 4; pos++ {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(i*7 + 1)
			}
			orig := bytes.Clone(src)
			want := bytes.Clone(src)
			wantPos := naiveMask(key, pos, want)
			dst := make([]byte, n+3) // room past the end must stay untouched
			gotPos := MaskCopy(dst, src, key, pos)
			if !bytes.Equal(dst[:n], want) || gotPos != wantPos {
				t.Fatalf("n=%d pos=%d: got %x pos %d, want %x pos %d", n, pos, dst[:n], gotPos, want, wantPos)
			}
			if !bytes.Equal(src, orig) {
				t.Fatalf("n=%d pos=%d: src changed", n, pos)
			}
			if !bytes.Equal(dst[n:], []byte{0, 0, 0}) {
				t.Fatalf("n=%d pos=%d: wrote past len(src)", n, pos)
			}
		}
	}
}

func BenchmarkMaskCopy64K(b *testing.B) {
	src := make([]byte, 64<<10)
	dst := make([]byte, len(src))
	key := [4]byte{1, 2, 3, 4}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		MaskCopy(dst, src, key, 0)
	}
}
