package conform

import (
	"errors"
	"fmt"
)

// deflateScan walks a DEFLATE stream (RFC 1951) up to its final block and
// returns the longest back-reference distance it uses, without producing
// output: decoders with a 32 KiB window, compress/flate's among them,
// accept any distance up to 32 KiB, so this is how the tester checks that
// a peer kept to a smaller window it negotiated (max_window_bits below
// 15).
func deflateScan(data []byte) (maxDist int, err error) {
	s := scanner{data: data}
	for {
		final := s.bits(1)
		switch typ := s.bits(2); typ {
		case 0:
			s.stored()
		case 1:
			s.codes(&fixedLit, &fixedDist, &maxDist)
		case 2:
			var lit, dist huffman
			s.dynamic(&lit, &dist)
			s.codes(&lit, &dist, &maxDist)
		default:
			s.fail("block type 3")
		}
		if s.err != nil {
			return maxDist, s.err
		}
		if final == 1 {
			return maxDist, nil
		}
	}
}

// errScanEnd reports a stream that ends before its final block.
var errScanEnd = errors.New("deflate stream ends early")

type scanner struct {
	data   []byte
	pos    int    // next octet of data
	buf    uint32 // bits read but not used, the next in the lowest bit
	bitCnt uint
	err    error
}

func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("invalid deflate data: "+format, args...)
	}
}

// bits returns the next n bits (n <= 16), least significant first, or 0
// once the stream has failed.
func (s *scanner) bits(n uint) int {
	for s.bitCnt < n {
		if s.pos >= len(s.data) {
			if s.err == nil {
				s.err = errScanEnd
			}
			return 0
		}
		s.buf |= uint32(s.data[s.pos]) << s.bitCnt
		s.pos++
		s.bitCnt += 8
	}
	v := int(s.buf & (1<<n - 1))
	s.buf >>= n
	s.bitCnt -= n
	return v
}

// stored skips a stored block, whose header starts at the next octet.
func (s *scanner) stored() {
	s.buf, s.bitCnt = 0, 0
	if s.pos+4 > len(s.data) {
		s.err = errScanEnd
		return
	}
	n := int(s.data[s.pos]) | int(s.data[s.pos+1])<<8
	nn := int(s.data[s.pos+2]) | int(s.data[s.pos+3])<<8
	if n != ^nn&0xffff {
		s.fail("stored block length %d does not match its complement", n)
		return
	}
	s.pos += 4 + n
	if s.pos > len(s.data) {
		s.err = errScanEnd
	}
}

// tableBits is how many bits of a Huffman code the lookup table of
// huffman covers; longer codes are decoded a bit at a time.
const tableBits = 9

// huffman is a canonical Huffman code: how many codes of each length, the
// symbols in code order, and a table of the codes up to tableBits long,
// indexed by the next tableBits bits of the stream (symbol<<4 | length; 0
// for no such code).
type huffman struct {
	count  [16]int
	symbol []int
	table  [1 << tableBits]uint16
}

// build makes the code of the given code lengths (0: symbol unused). An
// over-subscribed set of lengths is an error; an incomplete one is allowed
// (RFC 1951 permits a single distance code) and fails only if a missing
// code turns up.
func (h *huffman) build(lengths []int) error {
	h.count = [16]int{}
	for _, l := range lengths {
		h.count[l]++
	}
	left := 1
	for l := 1; l < 16; l++ {
		left = left<<1 - h.count[l]
		if left < 0 {
			return errors.New("over-subscribed code lengths")
		}
	}
	var offs [16]int
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.symbol = make([]int, len(lengths))
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = sym
			offs[l]++
		}
	}
	// Canonical codes (RFC 1951 §3.2.2): consecutive within a length, in
	// symbol order. The stream holds each code's first bit lowest, so the
	// table is indexed by the code reversed.
	h.table = [1 << tableBits]uint16{}
	code, index := 0, 0
	for l := 1; l <= tableBits; l++ {
		for range h.count[l] {
			rev := 0
			for b := range l {
				rev |= (code >> (l - 1 - b) & 1) << b
			}
			for i := rev; i < 1<<tableBits; i += 1 << l {
				h.table[i] = uint16(h.symbol[index]<<4 | l)
			}
			code++
			index++
		}
		code <<= 1
	}
	return nil
}

// peek makes at least n bits (n <= 16) ready in buf, if the data holds
// them.
func (s *scanner) peek(n uint) bool {
	for s.bitCnt < n && s.pos < len(s.data) {
		s.buf |= uint32(s.data[s.pos]) << s.bitCnt
		s.pos++
		s.bitCnt += 8
	}
	return s.bitCnt >= n
}

// decode reads one symbol of h: from the table when the code is short
// enough and the bits are there, else a bit at a time.
func (s *scanner) decode(h *huffman) int {
	if s.peek(tableBits) {
		if e := h.table[s.buf&(1<<tableBits-1)]; e != 0 {
			n := uint(e & 15)
			s.buf >>= n
			s.bitCnt -= n
			return int(e >> 4)
		}
	}
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= s.bits(1)
		if s.err != nil {
			return -1
		}
		n := h.count[l]
		if code-first < n {
			return h.symbol[index+code-first]
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	s.fail("no such Huffman code")
	return -1
}

// The extra bits of length symbols 257-285, and the base values and extra
// bits of distance symbols 0-29 (RFC 1951 §3.2.5); the lengths themselves
// do not matter here.
var (
	lengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// The fixed codes of block type 1 (RFC 1951 §3.2.6).
var fixedLit, fixedDist huffman

func init() {
	lengths := make([]int, 288)
	for i := range lengths {
		switch {
		case i < 144:
			lengths[i] = 8
		case i < 256:
			lengths[i] = 9
		case i < 280:
			lengths[i] = 7
		default:
			lengths[i] = 8
		}
	}
	fixedLit.build(lengths)
	dist := make([]int, 30)
	for i := range dist {
		dist[i] = 5
	}
	fixedDist.build(dist)
}

// codeLengthOrder is the order of the code length code's lengths in a
// dynamic block header (RFC 1951 §3.2.7).
var codeLengthOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads a dynamic block's header into its two codes.
func (s *scanner) dynamic(lit, dist *huffman) {
	nlen := s.bits(5) + 257
	ndist := s.bits(5) + 1
	ncode := s.bits(4) + 4
	if s.err != nil {
		return
	}
	if nlen > 286 || ndist > 30 {
		s.fail("%d literal/length and %d distance codes", nlen, ndist)
		return
	}
	var clen [19]int
	for i := range ncode {
		clen[codeLengthOrder[i]] = s.bits(3)
	}
	var lencode huffman
	if err := lencode.build(clen[:]); err != nil {
		s.fail("code length code: %v", err)
		return
	}
	lengths := make([]int, nlen+ndist)
	for i := 0; i < len(lengths) && s.err == nil; {
		sym := s.decode(&lencode)
		if sym < 16 {
			if sym >= 0 {
				lengths[i] = sym
				i++
			}
			continue
		}
		val, rep := 0, 0
		switch sym {
		case 16:
			if i == 0 {
				s.fail("repeat with no previous length")
				return
			}
			val, rep = lengths[i-1], 3+s.bits(2)
		case 17:
			rep = 3 + s.bits(3)
		default:
			rep = 11 + s.bits(7)
		}
		if i+rep > len(lengths) {
			s.fail("code lengths overrun")
			return
		}
		for ; rep > 0; rep-- {
			lengths[i] = val
			i++
		}
	}
	if s.err != nil {
		return
	}
	if lengths[256] == 0 {
		s.fail("no end-of-block code")
		return
	}
	if err := lit.build(lengths[:nlen]); err != nil {
		s.fail("literal/length code: %v", err)
		return
	}
	if err := dist.build(lengths[nlen:]); err != nil {
		s.fail("distance code: %v", err)
	}
}

// codes walks a compressed block's symbols up to its end, keeping the
// longest distance in maxDist.
func (s *scanner) codes(lit, dist *huffman, maxDist *int) {
	for s.err == nil {
		sym := s.decode(lit)
		switch {
		case sym < 0:
			return
		case sym < 256:
			continue
		case sym == 256:
			return
		case sym > 285:
			s.fail("length symbol %d", sym)
			return
		}
		sym -= 257
		s.bits(lengthExtra[sym])
		d := s.decode(dist)
		if d < 0 {
			return
		}
		if d > 29 {
			s.fail("distance symbol %d", d)
			return
		}
		if v := distBase[d] + s.bits(distExtra[d]); v > *maxDist {
			*maxDist = v
		}
	}
}
