package frame

import (
	"encoding/binary"
	"math/bits"
)

// Mask XORs b in place with the masking key, starting at offset pos within
// the key (RFC 6455 §5.3), and returns the offset for the byte after b, so a
// payload can be masked in pieces. Masking and unmasking are the same
// operation.
//
// The bulk of b is processed eight bytes at a time.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	// Align the key with the first byte of b.
	k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
	done := 0
	if len(b) >= 8 {
		done = maskWords(uint64(k32)|uint64(k32)<<32, b)
	}
	// Whole words keep the key aligned, so only the tail moves pos.
	tail := b[done:]
	for i := range tail {
		tail[i] ^= byte(k32 >> (8 * uint(i&3)))
	}
	return (pos + len(b)) & 3
}

// MaskCopy copies src to dst masked with the key from offset pos, as Mask
// would mask it in place, and returns the offset after it. dst must be at
// least as long as src. Copying and masking in one pass saves a pass over
// the payload when the original must stay untouched.
func MaskCopy(dst, src []byte, key [4]byte, pos int) int {
	dst = dst[:len(src)]
	pos &= 3
	k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
	done := 0
	if len(src) >= 8 {
		done = maskCopyWords(dst, src, uint64(k32)|uint64(k32)<<32)
	}
	dst, src = dst[done:], src[done:]
	for i := range src {
		dst[i] = src[i] ^ byte(k32>>(8*uint(i&3)))
	}
	return (pos + done + len(src)) & 3
}
