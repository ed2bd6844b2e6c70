package deflate

import (
	"bufio"
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
//
// The decoder reads through br, a *bufio.Reader: klauspost decodes Huffman
// codes several times faster from one of the reader types it knows than
// through the io.ByteReader interface. br may read ahead of the decoder,
// but never past the end of src, which ends with the message; how far
// the decoder really got is src's count minus br.Buffered().
type inflater struct {
	fr  io.ReadCloser // a klauspost decoder; also a flate.Resetter
	br  *bufio.Reader
	src source
}

// inflaterPool holds idle inflaters. A decoder does not depend on the
// window size: it always keeps 32 KiB of history.
var inflaterPool = sync.Pool{
	New: func() any {
		in := new(inflater)
		in.br = bufio.NewReaderSize(&in.src, 4096)
		in.fr = flate.NewReader(in.br)
		return in
	},
}

// reset points the inflater at a new message's payload: b in memory, or,
// when r is not nil, read from r.
func (in *inflater) reset(b []byte, r io.Reader) {
	in.src.reset(b, r)
	in.br.Reset(&in.src)
}

// tailConsumed returns how many octets of msgTail the decoder has consumed,
// or -1 when it has not consumed all of the payload yet.
func (in *inflater) tailConsumed() int {
	pending := in.br.Buffered()
	if pending == 0 && in.src.tail == 0 {
		// Nothing read ahead: look whether the payload has more.
		in.br.Peek(1)
		pending = in.br.Buffered()
	}
	if pending > in.src.tail {
		return -1
	}
	return in.src.tail - pending
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

// source yields the payload of one message followed by msgTail.
type source struct {
	b    []byte    // payload octets held in memory, not yet read
	r    io.Reader // streaming mode: where the payload comes from; nil when b is all of it
	rerr error     // the error r returned, io.EOF at the end of the payload
	tail int       // octets of msgTail read
}

// reset points s at a payload held in memory (r == nil) or read from r.
func (s *source) reset(b []byte, r io.Reader) {
	s.b, s.r, s.rerr, s.tail = b, r, nil, 0
}

// failed returns the error of the payload reader other than io.EOF, if any.
func (s *source) failed() error {
	if s.rerr == io.EOF {
		return nil
	}
	return s.rerr
}

// Read implements io.Reader.
func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(s.b) > 0 {
		n := copy(p, s.b)
		s.b = s.b[n:]
		return n, nil
	}
	if s.r != nil && s.rerr == nil {
		// Tolerate a few empty reads, as bufio does, before giving up.
		for range 100 {
			n, err := s.r.Read(p)
			if err != nil {
				s.rerr = err
			}
			if n > 0 {
				return n, nil
			}
			if err != nil {
				break
			}
		}
		if s.rerr == nil {
			s.rerr = io.ErrNoProgress
		}
	}
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
