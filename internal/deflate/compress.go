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
// Memory: a Compressor never keeps an encoder between messages. It takes
// one from a process-wide pool for each message and puts it back at the
// end, so a connection holds a few hundred KiB of encoder only while it
// compresses. Context takeover (RFC 7692 §7.1.1) lets each message refer
// back to the octets sent before it; instead of keeping the encoder and its
// history, which costs 0.8 to 1.4 MB per connection with klauspost/compress,
// a Compressor keeps the last octets it sent (at most 8 KiB, or the window
// if smaller) and gives them to the next message's encoder as a preset
// dictionary. The peer's decoder holds at least those octets of history, so
// every reference resolves. Between messages a Compressor thus holds about a
// hundred bytes without takeover and at most 8 KiB more with it (see
// memory_test.go).
//
// Seeding costs time proportional to the dictionary, so a message of n
// octets gets the last min(8 KiB, max(1 KiB, 2n)) octets: a short message
// pays little and still finds the strings it repeats from recent messages.
// A message of 32 KiB or more gets none, as it finds most of its matches in
// itself.
type Compressor struct {
	level      int
	windowBits int
	takeover   bool

	history []byte        // takeover only: the latest octets sent, oldest first
	fw      *flate.Writer // only during a message
	out     sink          // where fw writes; fw keeps a pointer to it
	active  bool          // between Begin and End
	closed  bool
	err     error // sticky: the history no longer matches the peer's
}

// maxHistory bounds the history a Compressor keeps for context takeover.
const maxHistory = 8 << 10

// noDictionarySize is the message size from which a message is compressed
// without the history: it finds most matches in itself, and seeding the
// encoder would cost about a tenth of its compression time.
const noDictionarySize = 32 << 10

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
// Nothing is allocated beyond the Compressor itself.
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
	if err := c.start(len(msg)); err != nil {
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
	if err == nil {
		c.remember(msg)
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
	if err := c.start(-1); err != nil {
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
	c.remember(p[:n])
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

// Close releases c's history. c cannot be used afterwards.
func (c *Compressor) Close() {
	if c.fw != nil {
		c.putEncoder()
	}
	c.out = sink{}
	c.history = nil
	c.active = false
	c.closed = true
}

// start takes an encoder from the pool for a message of n octets (n < 0
// if unknown) and seeds it with the history.
func (c *Compressor) start(n int) error {
	switch {
	case c.closed:
		return errClosed
	case c.err != nil:
		return c.err
	case c.active:
		return errInProgress
	}
	dict := c.dictionary(n)
	pool := encoderPool(c.level, c.windowBits)
	if fw, ok := pool.Get().(*flate.Writer); ok {
		// ResetDict, also without a dictionary: Reset would seed the
		// encoder with the dictionary of its previous user.
		fw.ResetDict(&c.out, dict)
		c.fw = fw
		return nil
	}
	fw, err := newEncoder(&c.out, c.level, c.windowBits)
	if err != nil {
		return err
	}
	if len(dict) > 0 {
		fw.ResetDict(&c.out, dict)
	}
	c.fw = fw
	return nil
}

// dictionary returns the octets of history to seed the encoder of a message
// of n octets with (n < 0 if unknown): see Compressor.
func (c *Compressor) dictionary(n int) []byte {
	if !c.takeover {
		return nil
	}
	size := len(c.history)
	switch {
	case n >= noDictionarySize:
		return nil
	case n >= 0:
		size = min(size, max(1<<10, 2*n))
	}
	return c.history[len(c.history)-size:]
}

// remember adds octets sent to the history, keeping the latest
// min(maxHistory, window) of them.
func (c *Compressor) remember(b []byte) {
	if !c.takeover || len(b) == 0 {
		return
	}
	limit := min(maxHistory, 1<<c.windowBits)
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	h := c.history
	if drop := len(h) + len(b) - limit; drop > 0 {
		h = h[:copy(h, h[drop:])]
	}
	if cap(h)-len(h) < len(b) {
		// Grow by doubling, so that a connection sending only short
		// messages keeps a short history.
		grown := make([]byte, len(h), min(limit, max(2*cap(h), len(h)+len(b), 256)))
		copy(grown, h)
		h = grown
	}
	c.history = append(h, b...)
}

// finish ends a message: the encoder goes back to the pool. With takeover
// an error leaves the peer's history out of step with ours, so c refuses
// further messages.
func (c *Compressor) finish(err error) {
	c.out = sink{} // drop references to the caller's buffer and writer
	c.active = false
	if err != nil && c.takeover {
		c.err = err
	}
	if c.fw != nil {
		c.putEncoder()
	}
}

// putEncoder returns c.fw to its pool, without references to c.
func (c *Compressor) putEncoder() {
	c.fw.ResetDict(nil, nil)
	encoderPool(c.level, c.windowBits).Put(c.fw)
	c.fw = nil
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
