//go:build !(amd64 || arm64 || ppc64le)

package frame

import "encoding/binary"

// maskWords XORs the whole 8-byte words at the start of b with k64 and
// returns how many bytes it masked. This portable version reads and writes
// through encoding/binary, which is safe on machines that fault on
// unaligned access or store words big-endian.
func maskWords(k64 uint64, b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], binary.LittleEndian.Uint64(b[i:])^k64)
	}
	return i
}

// maskCopyWords writes the whole 8-byte words at the start of src, XORed
// with k64, to dst and returns how many bytes it wrote.
func maskCopyWords(dst, src []byte, k64 uint64) int {
	i := 0
	for ; i+8 <= len(src); i += 8 {
		binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:])^k64)
	}
	return i
}
