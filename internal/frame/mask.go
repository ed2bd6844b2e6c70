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
	k32 := binary.LittleEndian.Uint32(key[:])
	k32 = bits.RotateLeft32(k32, -8*pos)
	if len(b) >= 8 {
		k64 := uint64(k32) | uint64(k32)<<32
		for len(b) >= 32 {
			v0 := binary.LittleEndian.Uint64(b) ^ k64
			v1 := binary.LittleEndian.Uint64(b[8:]) ^ k64
			v2 := binary.LittleEndian.Uint64(b[16:]) ^ k64
			v3 := binary.LittleEndian.Uint64(b[24:]) ^ k64
			binary.LittleEndian.PutUint64(b, v0)
			binary.LittleEndian.PutUint64(b[8:], v1)
			binary.LittleEndian.PutUint64(b[16:], v2)
			binary.LittleEndian.PutUint64(b[24:], v3)
			b = b[32:]
		}
		for len(b) >= 8 {
			binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
			b = b[8:]
		}
	}
	// Eight-byte steps keep the key aligned, so only the tail moves pos.
	for i := range b {
		b[i] ^= byte(k32 >> (8 * uint(i&3)))
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
	k64 := uint64(k32) | uint64(k32)<<32
	for len(src) >= 32 {
		v0 := binary.LittleEndian.Uint64(src) ^ k64
		v1 := binary.LittleEndian.Uint64(src[8:]) ^ k64
		v2 := binary.LittleEndian.Uint64(src[16:]) ^ k64
		v3 := binary.LittleEndian.Uint64(src[24:]) ^ k64
		binary.LittleEndian.PutUint64(dst, v0)
		binary.LittleEndian.PutUint64(dst[8:], v1)
		binary.LittleEndian.PutUint64(dst[16:], v2)
		binary.LittleEndian.PutUint64(dst[24:], v3)
		src, dst = src[32:], dst[32:]
	}
	for len(src) >= 8 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k64)
		src, dst = src[8:], dst[8:]
	}
	for i := range src {
		dst[i] = src[i] ^ byte(k32>>(8*uint(i&3)))
	}
	return (pos + len(src)) & 3
}
