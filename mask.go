package websocket

import "crypto/rand"

// MaskGenerator supplies the masking keys a client puts on its frames
// (RFC 6455 §5.3), as Qt's QMaskGenerator does. Keys must be unpredictable
// to the application's peers; a generator shared between connections must
// be safe for concurrent use.
type MaskGenerator interface {
	NextMask() [4]byte
}

// randomMasks is the default MaskGenerator: keys from crypto/rand, drawn
// 64 at a time so that a frame costs no system call. One connection uses it,
// under its frame lock.
type randomMasks struct {
	buf [256]byte
	pos int
}

func newRandomMasks() *randomMasks { return &randomMasks{pos: 256} }

// NextMask returns the next key.
func (m *randomMasks) NextMask() [4]byte {
	if m.pos == len(m.buf) {
		rand.Read(m.buf[:])
		m.pos = 0
	}
	var k [4]byte
	copy(k[:], m.buf[m.pos:])
	m.pos += 4
	return k
}
