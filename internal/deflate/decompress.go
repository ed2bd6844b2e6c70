package deflate

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/flate"
)

// ErrTooLarge is returned when a message decompresses to more octets than
// the limit passed to Decompress or Begin. Decompression stops as soon as
// the limit is passed, so a small payload that would inflate to gigabytes
// (a "compression bomb") costs at most about 32 KiB of work past the limit.
var ErrTooLarge = errors.New("deflate: decompressed message exceeds the size limit")

// ErrCorrupt is wrapped by every error about a compressed payload that is
// not valid DEFLATE data ended on a block boundary (RFC 7692 §7.2.2); the
// decoder's own error is wrapped too. RFC 7692 names no close code for
// this; the connection decides how to fail.
var ErrCorrupt = errors.New("deflate: corrupt compressed message")

// Decompressor decompresses the messages one end of a connection receives,
// as RFC 7692 §7.2.2 describes. Use one per receiving direction; it is not
// safe for concurrent use.
//
// Memory: a Decompressor takes a decoder (about 40 KiB) from a process-wide
// pool for each message and puts it back at the end. Between messages it
// holds about a hundred bytes, plus, with context takeover, the last
// 1<<windowBits octets it produced (at most 32 KiB), which the next message
// may refer back to. A connection that never receives a compressed message
// allocates nothing beyond the struct.
type Decompressor struct {
	windowSize int
	takeover   bool

	// window holds the latest output for context takeover. While it is
	// shorter than windowSize it is in order; once full it is a ring whose
	// oldest octet is at wpos.
	window []byte
	wpos   int

	in     *inflater // non-nil only during a message
	limit  int64     // of the current message; <= 0 means none
	n      int64     // octets produced so far in the current message
	active bool      // between Begin and the end of the streamed message
	err    error     // how the last streamed message ended, for Read to repeat
	broken error     // takeover history lost: every later message fails
	closed bool
}

// NewDecompressor returns a Decompressor for one receiving direction.
// windowBits is the peer's negotiated maximum window, 8..15 (RFC 7692
// §7.1.2); a value out of range is taken as 15, since keeping more history
// than the peer uses is harmless. contextTakeover false means the peer
// compresses every message on its own (§7.1.1), so no history is kept.
func NewDecompressor(windowBits int, contextTakeover bool) *Decompressor {
	if windowBits < MinWindowBits || windowBits > MaxWindowBits {
		windowBits = MaxWindowBits
	}
	return &Decompressor{windowSize: 1 << windowBits, takeover: contextTakeover}
}

// Decompress appends to dst the message whose whole compressed payload is
// src (the payloads of its frames joined, unmasked) and returns the extended
// slice. It appends the 0x00 0x00 0xff 0xff the sender removed (RFC 7692
// §7.2.2) itself. If limit > 0 and the message is longer than limit octets,
// it stops as soon as it knows and returns dst unchanged with ErrTooLarge.
// Invalid data gives an error wrapping ErrCorrupt.
//
// With context takeover an error loses the shared history, and every later
// message fails with the same error.
func (d *Decompressor) Decompress(dst, src []byte, limit int64) ([]byte, error) {
	if err := d.usable(); err != nil {
		return dst, err
	}
	d.begin(src, nil, limit)
	start := len(dst)
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, d.growth(len(dst)-start, len(src)))
		}
		n, err := d.read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			d.end(err)
			return dst[:start], err
		}
	}
	d.remember(dst[start:])
	d.end(nil)
	return dst, nil
}

// growth returns how much room to add to the output when have octets of
// it are written: doubling from a guess based on the payload size, never
// more than the limit can use.
func (d *Decompressor) growth(have, srcLen int) int {
	n := max(have, 4*srcLen, 512)
	if d.limit > 0 {
		n = int(min(int64(n), d.limit-int64(have)+1))
	}
	return n
}

// Begin starts a message read piece by piece with Read. src yields the
// compressed payload (the frames' payloads joined, unmasked) and io.EOF at
// its end; the Decompressor never reads past that. limit is as for
// Decompress. Calling Begin before the previous message reached io.EOF is
// an error that Read reports.
func (d *Decompressor) Begin(src io.Reader, limit int64) {
	if d.active {
		d.end(errInProgress)
		d.active = false
		d.err = errInProgress
		return
	}
	if err := d.usable(); err != nil {
		d.err = err
		return
	}
	d.begin(nil, src, limit)
	d.active = true
	d.err = nil
}

// Read reads decompressed octets of the message begun with Begin. At the end
// of the message it returns io.EOF. Past the limit it returns the octets up
// to the limit with ErrTooLarge. Invalid data gives an error wrapping
// ErrCorrupt; an error of src other than io.EOF is returned as it is.
func (d *Decompressor) Read(p []byte) (int, error) {
	if !d.active {
		if d.err != nil {
			return 0, d.err
		}
		if d.closed {
			return 0, errClosed
		}
		return 0, errNoMessage
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := d.read(p)
	d.remember(p[:n])
	if err != nil {
		d.end(err)
		d.active = false
		d.err = err
	}
	return n, err
}

// Close releases the decoder and the takeover history. d cannot be used
// afterwards.
func (d *Decompressor) Close() {
	if d.in != nil {
		d.end(nil)
	}
	d.active = false
	d.window, d.wpos = nil, 0
	d.closed = true
}

// usable returns why no message can start now, if anything.
func (d *Decompressor) usable() error {
	switch {
	case d.closed:
		return errClosed
	case d.active:
		return errInProgress
	}
	return d.broken
}

// begin takes a decoder from the pool and points it at the payload, with
// the takeover history as its dictionary.
func (d *Decompressor) begin(b []byte, r io.Reader, limit int64) {
	d.in = inflaterPool.Get().(*inflater)
	d.in.reset(b, r)
	// Reset copies the dictionary into the decoder's own history, so the
	// window may change while the message is read.
	_ = d.in.fr.(flate.Resetter).Reset(d.in.br, d.history())
	d.limit, d.n = limit, 0
}

// end returns the decoder to the pool. With context takeover, an error
// leaves the history incomplete, so later messages cannot be decoded.
func (d *Decompressor) end(err error) {
	if err != nil && err != io.EOF && d.takeover {
		d.broken = err
		d.window, d.wpos = nil, 0
	}
	if d.in != nil {
		d.in.reset(nil, nil) // drop references to the caller's data
		inflaterPool.Put(d.in)
		d.in = nil
	}
}

// read decodes into p, enforcing the limit and recognising the end of the
// message.
func (d *Decompressor) read(p []byte) (int, error) {
	if d.limit > 0 {
		// Ask for one octet more than the limit allows: getting it is how
		// the excess is detected, without decoding any further.
		if rem := d.limit - d.n + 1; int64(len(p)) > rem {
			p = p[:rem]
		}
	}
	in := d.in
	for {
		n, err := d.in.fr.Read(p)
		d.n += int64(n)
		if d.limit > 0 && d.n > d.limit {
			return n - int(d.n-d.limit), ErrTooLarge
		}
		switch {
		case err == nil:
			if n > 0 {
				return n, nil
			}
		case err == io.EOF:
			// A block with BFINAL set ended a DEFLATE stream: normally the
			// one msgTail ends with. A sender may also set BFINAL itself
			// (RFC 7692 §7.2.3.4); whatever payload follows starts a new
			// stream.
			consumed := in.tailConsumed()
			if err := in.src.failed(); err != nil {
				// The payload broke off: however it ended, a stream
				// cut short is not a message.
				return n, err
			}
			switch consumed {
			case len(msgTail), len(syncMarker), 0:
				return n, io.EOF
			case -1:
				// More payload: a new stream.
			default:
				if err := in.src.failed(); err != nil {
					return n, err
				}
				return n, fmt.Errorf("%w: stream ended inside the appended sync marker", ErrCorrupt)
			}
			_ = in.fr.(flate.Resetter).Reset(in.br, nil)
			if n > 0 {
				return n, nil
			}
		default:
			if ferr := in.src.failed(); ferr != nil && errors.Is(err, ferr) {
				return n, err
			}
			return n, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
}

// history returns the takeover window in order, oldest octet first, to seed
// the decoder with: RFC 7692 §7.2.2 lets a message refer back to the peer's
// earlier messages.
func (d *Decompressor) history() []byte {
	if !d.takeover || len(d.window) == 0 {
		return nil
	}
	if d.wpos != 0 {
		rotate(d.window, d.wpos)
		d.wpos = 0
	}
	return d.window
}

// rotate turns the ring w = [newest | oldest], with the oldest octet at k,
// into [oldest | newest]. The smaller part goes through a buffer on the
// stack (at most half the largest window), the larger moves in place.
func rotate(w []byte, k int) {
	var tmp [1 << (MaxWindowBits - 1)]byte
	if n := len(w) - k; k <= n {
		t := tmp[:copy(tmp[:], w[:k])]
		copy(w, w[k:])
		copy(w[n:], t)
	} else {
		t := tmp[:copy(tmp[:], w[k:])]
		copy(w[n:], w[:k])
		copy(w, t)
	}
}

// remember adds output to the takeover window, keeping the last windowSize
// octets.
func (d *Decompressor) remember(b []byte) {
	if !d.takeover || len(b) == 0 {
		return
	}
	size := d.windowSize
	if len(b) >= size {
		if cap(d.window) < size {
			d.window = make([]byte, size)
		}
		d.window = d.window[:size]
		copy(d.window, b[len(b)-size:])
		d.wpos = 0
		return
	}
	if len(d.window) < size {
		k := min(size-len(d.window), len(b))
		if cap(d.window)-len(d.window) < k {
			// Grow by doubling, so that a connection sending only short
			// messages keeps a short window.
			w := make([]byte, len(d.window), min(size, max(2*cap(d.window), len(d.window)+k, 256)))
			copy(w, d.window)
			d.window = w
		}
		d.window = append(d.window, b[:k]...)
		b = b[k:]
		if len(b) == 0 {
			return
		}
	}
	n := copy(d.window[d.wpos:], b)
	if n < len(b) {
		d.wpos = copy(d.window, b[n:])
	} else if d.wpos += n; d.wpos == size {
		d.wpos = 0
	}
}
