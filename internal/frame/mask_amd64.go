//go:build amd64 && !purego

package frame

import "unsafe"

// On amd64 the bulk of a payload is masked by vector kernels written in
// assembly (mask_amd64.s): 32 bytes an instruction with AVX2, 16 with SSE2,
// which every amd64 processor has. Short payloads and the last few bytes
// stay with the word loop, where a call would cost more than it saves.

// vectorMin is the shortest payload handed to a vector kernel.
const vectorMin = 64

// useAVX2 tells whether the AVX2 kernels may run.
var useAVX2 = hasAVX2()

// maskWords XORs the whole 8-byte words at the start of b with k64 and
// returns how many bytes it masked.
func maskWords(k64 uint64, b []byte) int {
	n := 0
	if len(b) >= vectorMin {
		p := unsafe.SliceData(b)
		if useAVX2 {
			n = len(b) &^ 31
			maskAVX2(p, n, k64)
		} else {
			n = len(b) &^ 15
			maskSSE2(p, n, k64)
		}
	}
	return n + wordMask(k64, b[n:])
}

// maskCopyWords writes the whole 8-byte words at the start of src, XORed
// with k64, to dst and returns how many bytes it wrote.
func maskCopyWords(dst, src []byte, k64 uint64) int {
	n := 0
	if len(src) >= vectorMin {
		d, s := unsafe.SliceData(dst), unsafe.SliceData(src)
		if useAVX2 {
			n = len(src) &^ 31
			maskCopyAVX2(d, s, n, k64)
		} else {
			n = len(src) &^ 15
			maskCopySSE2(d, s, n, k64)
		}
	}
	return n + wordMaskCopy(dst[n:], src[n:], k64)
}

// hasAVX2 reports whether the processor has AVX2 and the operating system
// saves the 256-bit registers across context switches (Intel SDM vol. 1,
// "Detection of AVX instructions").
func hasAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	const (
		osxsave = 1 << 27 // CPUID.1:ECX, the OS uses XSAVE
		avx     = 1 << 28 // CPUID.1:ECX
		avx2    = 1 << 5  // CPUID.(7,0):EBX
		ymmOn   = 1<<1 | 1<<2
	)
	_, _, ecx, _ := cpuid(1, 0)
	if ecx&(osxsave|avx) != osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&ymmOn != ymmOn {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&avx2 != 0
}

// maskAVX2 XORs the n bytes at p with k64 repeated; n is a multiple of 32.
//
//go:noescape
func maskAVX2(p *byte, n int, k64 uint64)

// maskSSE2 XORs the n bytes at p with k64 repeated; n is a multiple of 16.
//
//go:noescape
func maskSSE2(p *byte, n int, k64 uint64)

// maskCopyAVX2 writes the n bytes at src XORed with k64 repeated to dst; n
// is a multiple of 32.
//
//go:noescape
func maskCopyAVX2(dst, src *byte, n int, k64 uint64)

// maskCopySSE2 writes the n bytes at src XORed with k64 repeated to dst; n
// is a multiple of 16.
//
//go:noescape
func maskCopySSE2(dst, src *byte, n int, k64 uint64)

// cpuid executes CPUID for a leaf and sub-leaf.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// xgetbv reads extended control register 0.
func xgetbv() (eax, edx uint32)
