//go:build amd64 || arm64 || ppc64le

package frame

import "unsafe"

// On these little-endian machines unaligned 64-bit loads and stores are
// cheap, so masking goes through machine words directly, 64 bytes a step.
// On amd64 the vector kernels take the bulk and these words the rest.

// wordMask XORs the whole 8-byte words at the start of b with k64 and
// returns how many bytes it masked.
func wordMask(k64 uint64, b []byte) int {
	p := unsafe.Pointer(unsafe.SliceData(b))
	n, i := len(b), 0
	for ; i+64 <= n; i += 64 {
		w := (*[8]uint64)(unsafe.Add(p, i))
		w[0] ^= k64
		w[1] ^= k64
		w[2] ^= k64
		w[3] ^= k64
		w[4] ^= k64
		w[5] ^= k64
		w[6] ^= k64
		w[7] ^= k64
	}
	for ; i+8 <= n; i += 8 {
		*(*uint64)(unsafe.Add(p, i)) ^= k64
	}
	return i
}

// wordMaskCopy writes the whole 8-byte words at the start of src, XORed
// with k64, to dst (at least as long) and returns how many bytes it wrote.
func wordMaskCopy(dst, src []byte, k64 uint64) int {
	d := unsafe.Pointer(unsafe.SliceData(dst))
	s := unsafe.Pointer(unsafe.SliceData(src))
	n, i := len(src), 0
	for ; i+64 <= n; i += 64 {
		ws := (*[8]uint64)(unsafe.Add(s, i))
		wd := (*[8]uint64)(unsafe.Add(d, i))
		wd[0] = ws[0] ^ k64
		wd[1] = ws[1] ^ k64
		wd[2] = ws[2] ^ k64
		wd[3] = ws[3] ^ k64
		wd[4] = ws[4] ^ k64
		wd[5] = ws[5] ^ k64
		wd[6] = ws[6] ^ k64
		wd[7] = ws[7] ^ k64
	}
	for ; i+8 <= n; i += 8 {
		*(*uint64)(unsafe.Add(d, i)) = *(*uint64)(unsafe.Add(s, i)) ^ k64
	}
	return i
}
