// Package utf8check validates UTF-8 text that arrives in pieces. It fails on
// the first byte that no valid continuation could follow, not at the end of
// the message, which is what RFC 6455 §8.1 asks of a WebSocket endpoint.
package utf8check

import "unicode/utf8"

// Validator checks a stream of UTF-8 bytes split at arbitrary points. The
// zero value is ready to use, at the start of a stream.
type Validator struct {
	need   uint8 // continuation bytes still expected
	have   uint8 // bytes of the pending code point seen so far
	lo, hi byte  // allowed range of the next continuation byte
}

// Write checks the next piece of the stream. It returns false as soon as the
// bytes seen so far cannot be the start of valid UTF-8; once false, the
// Validator stays failed until Reset.
func (v *Validator) Write(p []byte) bool {
	if v.need == 0xff {
		return false
	}
	// Finish a code point left open by the previous piece.
	for v.need > 0 && len(p) > 0 {
		if !v.step(p[0]) {
			return false
		}
		p = p[1:]
	}
	if len(p) == 0 {
		return true
	}
	// The standard library validates whole code points fastest; only the
	// last three bytes may hold the start of a code point that continues in
	// the next piece.
	cut := tailStart(p)
	if !utf8.Valid(p[:cut]) {
		v.need = 0xff
		return false
	}
	for _, c := range p[cut:] {
		if !v.step(c) {
			return false
		}
	}
	return true
}

// Complete reports whether the stream so far ends on a code point boundary,
// as a whole message must.
func (v *Validator) Complete() bool { return v.need == 0 }

// Pending returns how many bytes at the end of the stream so far belong to a
// code point that is not complete yet (0 to 3).
func (v *Validator) Pending() int {
	if v.need == 0xff {
		return 0
	}
	return int(v.have)
}

// Reset returns v to the start of a new stream.
func (v *Validator) Reset() { *v = Validator{} }

// step feeds one byte through the state machine.
func (v *Validator) step(c byte) bool {
	if v.need > 0 {
		if c < v.lo || c > v.hi {
			v.need = 0xff
			return false
		}
		v.need--
		v.have++
		v.lo, v.hi = 0x80, 0xbf
		if v.need == 0 {
			v.have = 0
		}
		return true
	}
	switch {
	case c < 0x80:
		return true
	case c >= 0xc2 && c <= 0xdf:
		v.need, v.lo, v.hi = 1, 0x80, 0xbf
	case c == 0xe0:
		v.need, v.lo, v.hi = 2, 0xa0, 0xbf // no overlong forms
	case c == 0xed:
		v.need, v.lo, v.hi = 2, 0x80, 0x9f // no surrogates
	case c >= 0xe1 && c <= 0xef:
		v.need, v.lo, v.hi = 2, 0x80, 0xbf
	case c == 0xf0:
		v.need, v.lo, v.hi = 3, 0x90, 0xbf // no overlong forms
	case c >= 0xf1 && c <= 0xf3:
		v.need, v.lo, v.hi = 3, 0x80, 0xbf
	case c == 0xf4:
		v.need, v.lo, v.hi = 3, 0x80, 0x8f // nothing above U+10FFFF
	default:
		v.need = 0xff
		return false
	}
	v.have = 1
	return true
}

// tailStart returns the index where the last, possibly unfinished, code
// point of p begins if it might continue past p; otherwise len(p).
func tailStart(p []byte) int {
	// Walk back over at most three continuation bytes to a lead byte.
	for i := len(p) - 1; i >= 0 && i >= len(p)-4; i-- {
		c := p[i]
		if c < 0x80 {
			return len(p)
		}
		if c >= 0xc0 {
			// A lead byte: is its sequence complete within p?
			if i+seqLen(c) > len(p) {
				return i
			}
			return len(p)
		}
	}
	return len(p)
}

// seqLen returns the length of the sequence a lead byte announces (1 for a
// byte that cannot lead, so it is judged by utf8.Valid).
func seqLen(c byte) int {
	switch {
	case c >= 0xf0:
		return 4
	case c >= 0xe0:
		return 3
	case c >= 0xc0:
		return 2
	}
	return 1
}

// IncompleteTail returns how many bytes at the end of p form the start of a
// code point that p cuts off (0 to 3). p is assumed to be valid UTF-8 up to
// that point; a sender uses it to cut text frames between code points.
func IncompleteTail(p []byte) int { return len(p) - tailStart(p) }
