//go:build amd64 && !purego

package frame

import (
	"bytes"
	"testing"
)

// TestVectorKernels runs each vector kernel the machine can execute,
// whichever one Mask picks, on whole-vector lengths at aligned and odd
// addresses, and compares with naiveMask. The guard bytes around the
// payload must stay untouched.
func TestVectorKernels(t *testing.T) {
	type kernel struct {
		name   string
		vector int
		mask   func(p *byte, n int, k64 uint64)
		copy   func(dst, src *byte, n int, k64 uint64)
	}
	kernels := []kernel{{"SSE2", 16, maskSSE2, maskCopySSE2}}
	if useAVX2 {
		kernels = append(kernels, kernel{"AVX2", 32, maskAVX2, maskCopyAVX2})
	} else {
		t.Log("no AVX2 here: only the SSE2 kernels run")
	}
	const guard = 8
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	k64 := uint64(0x3d21fa37) | uint64(0x3d21fa37)<<32
	for _, k := range kernels {
		for n := k.vector; n <= 640; n += k.vector {
			for _, off := range []int{0, 1, 7} {
				data := testData(guard+off+n+guard, uint64(n+off))
				want := bytes.Clone(data)
				naiveMask(key, 0, want[guard+off:guard+off+n])

				got := bytes.Clone(data)
				k.mask(&got[guard+off], n, k64)
				if !bytes.Equal(got, want) {
					t.Fatalf("%s mask, len %d, off %d: differs from naiveMask", k.name, n, off)
				}

				dst := make([]byte, len(data))
				k.copy(&dst[guard+off], &data[guard+off], n, k64)
				if !bytes.Equal(dst[guard+off:guard+off+n], want[guard+off:guard+off+n]) {
					t.Fatalf("%s mask copy, len %d, off %d: differs from naiveMask", k.name, n, off)
				}
				if !bytes.Equal(dst[:guard+off], make([]byte, guard+off)) || !bytes.Equal(dst[guard+off+n:], make([]byte, guard)) {
					t.Fatalf("%s mask copy, len %d, off %d: wrote outside dst", k.name, n, off)
				}
			}
		}
	}
}
