package deflate

import (
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Encoders and decoders are large (an encoder of klauspost/compress/flate is
// several hundred KiB, a decoder about 40 KiB), so a connection holds one only
// while a message is being compressed or decompressed, unless context
// takeover forces it to keep its encoder. Between messages they wait in these
// pools, shared by every connection of the process.

// encoderPools holds idle encoders, one pool per configuration: row 0 is for
// windows below 32 KiB (klauspost builds those with one fixed algorithm,
// whatever the level), rows 1..9 for levels 1..9 with a 32 KiB window, and
// row 10 for flate.DefaultCompression. The column is the window's base-2
// logarithm.
var encoderPools [11][MaxWindowBits + 1]sync.Pool

// encoderPool returns the pool of encoders for level and windowBits, both
// already validated by NewCompressor.
func encoderPool(level, windowBits int) *sync.Pool {
	row := level
	switch {
	case windowBits < MaxWindowBits:
		row = 0
	case level == flate.DefaultCompression:
		row = 10
	}
	return &encoderPools[row][windowBits]
}

// newEncoder builds an encoder writing to w. A window smaller than the
// 32 KiB of DEFLATE needs klauspost's windowed encoder, which accepts any
// power of two from 32 bytes, so RFC 7692's 8-bit window (§7.1.2.1, which
// zlib cannot do) needs no rounding up to 9.
func newEncoder(w io.Writer, level, windowBits int) (*flate.Writer, error) {
	if windowBits < MaxWindowBits {
		return flate.NewWriterWindow(w, 1<<windowBits)
	}
	return flate.NewWriter(w, level)
}

// inflater is a pooled decoder together with the source it reads from, so
// that the source's read buffer is held only during a message too.
type inflater struct {
	fr  io.ReadCloser // a klauspost decoder; also a flate.Resetter
	src source
}

// inflaterPool holds idle inflaters. A decoder does not depend on the
// window size: it always keeps 32 KiB of history.
var inflaterPool = sync.Pool{
	New: func() any {
		in := new(inflater)
		// The source is an io.ByteReader, so the decoder reads it directly,
		// byte by byte, and never reads past the end of a DEFLATE block; with
		// any other reader klauspost wraps it in a bufio.Reader that would
		// read ahead.
		in.fr = flate.NewReader(&in.src)
		return in
	},
}

// msgTail is what the decoder reads after a message's payload.
//
// The first four octets are the ones the sender removed (RFC 7692 §7.2.2:
// the receiver appends 0x00 0x00 0xff 0xff). They end the empty stored block
// whose header the payload ends with, so the decoder emits all its output.
//
// The remaining five octets are an empty stored block with BFINAL set. A
// decoder that ends cleanly on it proves the payload ended on a block
// boundary; a truncated payload instead runs out of input inside a block and
// fails with io.ErrUnexpectedEOF.
var msgTail = [...]byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// source feeds a decoder the payload of one message followed by msgTail. It
// implements io.ByteReader so that the decoder consumes exactly the octets
// it needs.
type source struct {
	b    []byte    // octets not yet given to the decoder
	r    io.Reader // streaming mode: where more payload comes from; nil when b is all of it
	rerr error     // the error r returned, io.EOF at the end of the payload
	tail int       // octets of msgTail given to the decoder
	buf  [4096]byte
}

// reset points s at a payload held in memory (r == nil) or read from r.
func (s *source) reset(b []byte, r io.Reader) {
	s.b, s.r, s.rerr, s.tail = b, r, nil, 0
}

// fill reads more of the payload into s.b, reporting whether it got any.
func (s *source) fill() bool {
	if s.r == nil || s.rerr != nil {
		return false
	}
	// Tolerate a few empty reads, as bufio does, before giving up.
	for range 100 {
		n, err := s.r.Read(s.buf[:])
		s.b = s.buf[:n]
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
	s.rerr = io.ErrNoProgress
	return false
}

// payloadDone reports whether the decoder has consumed the whole payload
// (possibly not yet the tail).
func (s *source) payloadDone() bool {
	return len(s.b) == 0 && !s.fill()
}

// failed returns the error of the payload reader other than io.EOF, if any.
func (s *source) failed() error {
	if s.rerr == io.EOF {
		return nil
	}
	return s.rerr
}

// ReadByte implements io.ByteReader.
func (s *source) ReadByte() (byte, error) {
	if len(s.b) == 0 && !s.fill() {
		if err := s.failed(); err != nil {
			return 0, err
		}
		if s.tail == len(msgTail) {
			return 0, io.EOF
		}
		s.tail++
		return msgTail[s.tail-1], nil
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c, nil
}

// Read implements io.Reader; the decoder uses it to copy stored blocks.
func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(s.b) == 0 && !s.fill() {
		if err := s.failed(); err != nil {
			return 0, err
		}
		if s.tail == len(msgTail) {
			return 0, io.EOF
		}
		n := copy(p, msgTail[s.tail:])
		s.tail += n
		return n, nil
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
