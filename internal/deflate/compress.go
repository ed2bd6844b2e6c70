package deflate

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
)

// syncMarker is the end of every sync flush: the LEN and NLEN of an empty
// stored block. RFC 7692 §7.2.1 has the sender remove it from the end of
// each message's compressed payload, and §7.2.2 has the receiver put it back.
var syncMarker = [4]byte{0x00, 0x00, 0xff, 0xff}

var (
	errInProgress = errors.New("deflate: a message is already in progress")
	errNoMessage  = errors.New("deflate: no message in progress")
	errClosed     = errors.New("deflate: codec closed")
	errNoMarker   = errors.New("deflate: encoder output does not end with a sync flush")
)

// Compressor compresses the messages one end of a connection sends, as RFC
// 7692 §7.2.1 describes. Use one per sending direction; it is not safe for
// concurrent use and must not be copied after first use.
//
// Memory: without context takeover a Compressor holds about a hundred bytes
// between messages; it takes an encoder from a process-wide pool for each
// message and puts it back at the end. With context takeover it must keep
// its encoder, and with it the LZ77 history, from its first message until
// Close: several hundred KiB with klauspost/compress (see memory_test.go).
type Compressor struct {
	level      int
	windowBits int
	takeover   bool

	fw     *flate.Writer // nil between messages without takeover
	out    sink          // where fw writes; fw keeps a pointer to it
	active bool          // between Begin and End
	closed bool
	err    error // sticky: the compression context is lost
}

// NewCompressor returns a Compressor for one sending direction.
//
// level is a DEFLATE level from 1 (fastest) to 9 (smallest), or
// flate.DefaultCompression (-1); level 0 would only add framing, so a caller
// that wants no compression must send messages uncompressed instead.
// windowBits is the sender's negotiated maximum window, 8..15 (RFC 7692
// §7.1.2): a window below 15 uses klauspost's windowed encoder, which has a
// single algorithm and ignores level. contextTakeover false means the peer
// asked for no context takeover for this direction (§7.1.1): every message
// is then compressed on its own.
//
// Nothing large is allocated here: the encoder comes with the first message.
func NewCompressor(level, windowBits int, contextTakeover bool) (*Compressor, error) {
	if level != flate.DefaultCompression && (level < flate.BestSpeed || level > flate.BestCompression) {
		return nil, fmt.Errorf("deflate: compression level %d outside 1..9 and -1", level)
	}
	if windowBits < MinWindowBits || windowBits > MaxWindowBits {
		return nil, fmt.Errorf("deflate: window bits %d outside %d..%d", windowBits, MinWindowBits, MaxWindowBits)
	}
	return &Compressor{level: level, windowBits: windowBits, takeover: contextTakeover}, nil
}

// Compress appends to dst the compressed payload of the whole message msg
// and returns the extended slice: DEFLATE blocks ended by a sync flush, with
// the final 0x00 0x00 0xff 0xff removed (RFC 7692 §7.2.1). An empty message
// compresses to the single octet 0x00 (§7.2.3.6).
//
// With context takeover the output may refer back to earlier messages, so
// every message Compress returns must be sent, in order.
func (c *Compressor) Compress(dst, msg []byte) ([]byte, error) {
	if err := c.start(); err != nil {
		return dst, err
	}
	c.out = sink{dst: dst}
	_, err := c.fw.Write(msg)
	if err == nil {
		err = c.fw.Flush()
	}
	out := c.out.dst
	if err == nil && !bytes.HasSuffix(out[len(dst):], syncMarker[:]) {
		err = errNoMarker
	}
	c.finish(err)
	if err != nil {
		return dst, err
	}
	return out[:len(out)-len(syncMarker)], nil
}

// Begin starts a message written piece by piece with Write and ended by End;
// its compressed payload goes to w. Until End, the last four octets written
// so far are held back, since they may turn out to be the sync marker that
// §7.2.1 removes; w gets them, or not, at End.
//
// Calling Begin while a message is in progress is an error that Write and
// End report, and it makes c unusable with context takeover.
func (c *Compressor) Begin(w io.Writer) {
	if c.active {
		c.fail(errInProgress)
		return
	}
	if err := c.start(); err != nil {
		c.out = sink{err: err}
		c.active = true
		return
	}
	c.out = sink{w: w}
	c.active = true
}

// Write compresses more of the message begun with Begin. The compressed
// octets may reach w only at a later Write or at End.
func (c *Compressor) Write(p []byte) (int, error) {
	if !c.active {
		return 0, c.misuse()
	}
	if c.out.err != nil {
		return 0, c.out.err
	}
	n, err := c.fw.Write(p)
	if err != nil {
		c.fail(err)
	}
	return n, err
}

// End finishes the message begun with Begin: it flushes the encoder with a
// sync flush, writes all but the final 0x00 0x00 0xff 0xff to w (RFC 7692
// §7.2.1), and returns the first error met while compressing or writing.
func (c *Compressor) End() error {
	if !c.active {
		return c.misuse()
	}
	err := c.out.err
	if err == nil {
		err = c.fw.Flush()
	}
	if err == nil && (c.out.nheld != len(syncMarker) || c.out.held != syncMarker) {
		err = errNoMarker
	}
	c.finish(err)
	return err
}

// Close releases c's encoder and with it any context takeover state. c
// cannot be used afterwards.
func (c *Compressor) Close() {
	if c.fw != nil {
		// An encoder kept for takeover is as good as new after the Reset
		// the next user does, so it can serve another connection.
		encoderPool(c.level, c.windowBits).Put(c.fw)
		c.fw = nil
	}
	c.out = sink{}
	c.active = false
	c.closed = true
}

// start makes c.fw ready for a new message.
func (c *Compressor) start() error {
	switch {
	case c.closed:
		return errClosed
	case c.err != nil:
		return c.err
	case c.active:
		return errInProgress
	case c.fw != nil: // takeover: keep the history
		return nil
	}
	pool := encoderPool(c.level, c.windowBits)
	if fw, ok := pool.Get().(*flate.Writer); ok {
		fw.Reset(&c.out)
		c.fw = fw
		return nil
	}
	fw, err := newEncoder(&c.out, c.level, c.windowBits)
	if err != nil {
		return err
	}
	c.fw = fw
	return nil
}

// finish ends a message: without takeover the encoder goes back to the pool
// (RFC 7692 §7.1.1: each message starts with an empty history anyway), with
// takeover an error leaves the peer's history out of step with ours, so c
// refuses further messages.
func (c *Compressor) finish(err error) {
	c.out = sink{} // drop references to the caller's buffer and writer
	c.active = false
	if c.takeover {
		if err != nil {
			c.err = err
		}
		return
	}
	if c.fw != nil {
		encoderPool(c.level, c.windowBits).Put(c.fw)
		c.fw = nil
	}
}

// fail records a misuse or write error during a streamed message.
func (c *Compressor) fail(err error) {
	if c.out.err == nil {
		c.out.err = err
	}
	if c.takeover {
		c.err = err
	}
}

// misuse returns the error for Write or End without Begin.
func (c *Compressor) misuse() error {
	if c.closed {
		return errClosed
	}
	return errNoMessage
}

// sink receives the encoder's output. With w == nil it appends to dst
// (Compress); otherwise it passes the output on to w, always holding back
// the last four octets, which may be the sync marker (Begin/Write/End).
type sink struct {
	dst   []byte
	w     io.Writer
	held  [4]byte
	nheld int
	err   error
}

// Write implements io.Writer for the encoder.
func (s *sink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.w == nil {
		s.dst = append(s.dst, p...)
		return len(p), nil
	}
	n := len(p)
	if total := s.nheld + len(p); total <= len(s.held) {
		copy(s.held[s.nheld:], p)
		s.nheld = total
		return n, nil
	}
	// Of held+p, everything but the last four octets goes out now.
	if len(p) >= len(s.held) {
		if s.nheld > 0 && !s.send(s.held[:s.nheld]) {
			return 0, s.err
		}
		if !s.send(p[:len(p)-len(s.held)]) {
			return 0, s.err
		}
		s.nheld = copy(s.held[:], p[len(p)-len(s.held):])
		return n, nil
	}
	var both [2 * len(syncMarker)]byte
	k := copy(both[:], s.held[:s.nheld])
	k += copy(both[k:], p)
	if !s.send(both[:k-len(s.held)]) {
		return 0, s.err
	}
	s.nheld = copy(s.held[:], both[k-len(s.held):k])
	return n, nil
}

// send writes b to s.w, recording a failure.
func (s *sink) send(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	n, err := s.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	s.err = err
	return err == nil
}
