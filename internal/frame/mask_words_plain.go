//go:build arm64 || ppc64le || (amd64 && purego)

package frame

// maskWords XORs the whole 8-byte words at the start of b with k64 and
// returns how many bytes it masked.
func maskWords(k64 uint64, b []byte) int { return wordMask(k64, b) }

// maskCopyWords writes the whole 8-byte words at the start of src, XORed
// with k64, to dst and returns how many bytes it wrote.
func maskCopyWords(dst, src []byte, k64 uint64) int { return wordMaskCopy(dst, src, k64) }
