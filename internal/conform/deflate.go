package conform

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	kflate "github.com/klauspost/compress/flate"
)

// The tester's own permessage-deflate (RFC 7692): negotiation, compression
// and decompression, written apart from wsx's internal/deflate so that the
// two cannot share a mistake. It compresses with the standard library's
// compress/flate, and with klauspost's flate only when the peer limits the
// tester's window below 32 KiB, which compress/flate cannot do. It
// decompresses with compress/flate, whose 32 KiB window reads any smaller
// window's output; whether the peer kept to a smaller window it negotiated
// is checked apart (deflateScan in deflate_scan.go).

// extDeflate is the extension's name in Sec-WebSocket-Extensions.
const extDeflate = "permessage-deflate"

// DeflateParams are the parameters of one permessage-deflate offer (sent by
// a client) or response (sent by a server), RFC 7692 §7.1.
type DeflateParams struct {
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	// ServerMaxWindowBits is 0 when absent, else 8 to 15.
	ServerMaxWindowBits int
	// ClientMaxWindowBits is 0 when absent, -1 when present without a value
	// (allowed in offers only), else 8 to 15.
	ClientMaxWindowBits int
}

// String returns the parameters as one element of Sec-WebSocket-Extensions,
// in the order Autobahn writes an offer.
func (p DeflateParams) String() string {
	var b strings.Builder
	b.WriteString(extDeflate)
	if p.ClientNoContextTakeover {
		b.WriteString("; client_no_context_takeover")
	}
	switch {
	case p.ClientMaxWindowBits < 0:
		b.WriteString("; client_max_window_bits")
	case p.ClientMaxWindowBits > 0:
		fmt.Fprintf(&b, "; client_max_window_bits=%d", p.ClientMaxWindowBits)
	}
	if p.ServerNoContextTakeover {
		b.WriteString("; server_no_context_takeover")
	}
	if p.ServerMaxWindowBits > 0 {
		fmt.Fprintf(&b, "; server_max_window_bits=%d", p.ServerMaxWindowBits)
	}
	return b.String()
}

// Compression sets up permessage-deflate for a case. Without it the tester
// neither offers nor accepts any extension.
type Compression struct {
	// Offers are what the tester offers, in order of preference, when it
	// plays the client.
	Offers []DeflateParams
	// Accept picks the tester's response to the client's valid offers when
	// it plays the server; nil declines the extension.
	Accept func(offers []DeflateParams) *DeflateParams
}

// offerHeader is the value of Sec-WebSocket-Extensions for the offers.
func (c *Compression) offerHeader() string {
	parts := make([]string, len(c.Offers))
	for i, o := range c.Offers {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}

// negotiation is what the opening handshake settled about compression.
type negotiation struct {
	offer    string         // Sec-WebSocket-Extensions of the request
	response string         // Sec-WebSocket-Extensions of the answer
	params   *DeflateParams // the accepted parameters; nil if none
	// note explains, when the tester plays the server, why it did not
	// accept: no offer, or offers it could not read.
	note string
	// badOffer is set when the client sent a permessage-deflate offer
	// that breaks RFC 7692.
	badOffer bool
}

// extension is one element of a Sec-WebSocket-Extensions header.
type extension struct {
	name   string
	params []extParam
}

type extParam struct {
	name, value string
	hasValue    bool
}

// parseExtensions parses every value of a Sec-WebSocket-Extensions header
// by the grammar of RFC 6455 §9.1: a comma-separated list of extensions,
// each a token with ";"-separated parameters, each a token with an
// optional "=" and a token or quoted-string value (which, unquoted, must
// be a token).
func parseExtensions(values []string) ([]extension, error) {
	var out []extension
	for _, v := range values {
		p := v
		for {
			p = skipOWS(p)
			if p == "" {
				break
			}
			if p[0] == ',' { // empty list elements are allowed (RFC 7230 §7)
				p = p[1:]
				continue
			}
			var e extension
			if e.name, p = cutToken(p); e.name == "" {
				return nil, fmt.Errorf("extension name expected at %q", p)
			}
			for {
				p = skipOWS(p)
				if p == "" || p[0] == ',' {
					break
				}
				if p[0] != ';' {
					return nil, fmt.Errorf("';' or ',' expected at %q", p)
				}
				var prm extParam
				if prm.name, p = cutToken(skipOWS(p[1:])); prm.name == "" {
					return nil, fmt.Errorf("parameter name expected at %q", p)
				}
				p = skipOWS(p)
				if p != "" && p[0] == '=' {
					prm.hasValue = true
					p = skipOWS(p[1:])
					if p != "" && p[0] == '"' {
						var err error
						if prm.value, p, err = cutQuoted(p); err != nil {
							return nil, err
						}
						if t, rest := cutToken(prm.value); t == "" || rest != "" {
							return nil, fmt.Errorf("quoted value %q of %s is not a token", prm.value, prm.name)
						}
					} else if prm.value, p = cutToken(p); prm.value == "" {
						return nil, fmt.Errorf("value of %s expected at %q", prm.name, p)
					}
				}
				e.params = append(e.params, prm)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func skipOWS(s string) string { return strings.TrimLeft(s, " \t") }

// isTchar reports whether c may appear in a token (RFC 7230 §3.2.6).
func isTchar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func cutToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// cutQuoted reads a quoted-string at the start of s, which starts with '"'.
func cutQuoted(s string) (val, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], nil
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c < ' ' && c != '\t' || c == 0x7f:
			return "", "", fmt.Errorf("control character in quoted string %q", s)
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string %q", s)
}

// parseDeflate reads the parameters of a permessage-deflate element, by
// the rules of RFC 7692 §7.1: each parameter at most once, the
// no_context_takeover ones without a value, window bits a decimal from 8
// to 15 without leading zeros, client_max_window_bits without a value only
// in an offer, nothing else.
func parseDeflate(e extension, response bool) (DeflateParams, error) {
	var p DeflateParams
	seen := map[string]bool{}
	for _, prm := range e.params {
		if seen[prm.name] {
			return p, fmt.Errorf("parameter %s given twice", prm.name)
		}
		seen[prm.name] = true
		switch prm.name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if prm.hasValue {
				return p, fmt.Errorf("%s has a value (%q)", prm.name, prm.value)
			}
			if prm.name == "server_no_context_takeover" {
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits := -1
			if prm.hasValue {
				bits = parseWindowBits(prm.value)
				if bits == 0 {
					return p, fmt.Errorf("%s=%s: want 8 to 15", prm.name, prm.value)
				}
			} else if response || prm.name == "server_max_window_bits" {
				return p, fmt.Errorf("%s without a value", prm.name)
			}
			if prm.name == "server_max_window_bits" {
				p.ServerMaxWindowBits = bits
			} else {
				p.ClientMaxWindowBits = bits
			}
		default:
			return p, fmt.Errorf("unknown parameter %s", prm.name)
		}
	}
	return p, nil
}

// parseWindowBits returns the value of a window bits parameter, or 0 if it
// is not a decimal from 8 to 15 without leading zeros.
func parseWindowBits(s string) int {
	if s == "" || s[0] == '0' || strings.Trim(s, "0123456789") != "" || len(s) > 2 {
		return 0
	}
	n, _ := strconv.Atoi(s)
	if n < 8 || n > 15 {
		return 0
	}
	return n
}

// acceptsOffer returns why response r cannot answer offer o, or "" if it
// can (RFC 7692 §7.1): a requested server_no_context_takeover must be
// granted, server_max_window_bits must not exceed the value offered, and
// client_max_window_bits may only come back, no larger, if it was offered.
// Server parameters the client did not ask for are the server's choice.
func acceptsOffer(r, o DeflateParams) string {
	switch {
	case o.ServerNoContextTakeover && !r.ServerNoContextTakeover:
		return "server_no_context_takeover was requested but not granted"
	case o.ServerMaxWindowBits > 0 && r.ServerMaxWindowBits == 0:
		return fmt.Sprintf("server_max_window_bits=%d was requested but not granted", o.ServerMaxWindowBits)
	case o.ServerMaxWindowBits > 0 && r.ServerMaxWindowBits > o.ServerMaxWindowBits:
		return fmt.Sprintf("server_max_window_bits=%d exceeds the %d requested", r.ServerMaxWindowBits, o.ServerMaxWindowBits)
	case r.ClientMaxWindowBits > 0 && o.ClientMaxWindowBits == 0:
		return "client_max_window_bits was not offered"
	case r.ClientMaxWindowBits > 0 && o.ClientMaxWindowBits > 0 && r.ClientMaxWindowBits > o.ClientMaxWindowBits:
		return fmt.Sprintf("client_max_window_bits=%d exceeds the %d offered", r.ClientMaxWindowBits, o.ClientMaxWindowBits)
	}
	return ""
}

// checkResponse judges the server's Sec-WebSocket-Extensions answer to the
// tester's offers: the accepted parameters (nil if the server declined), or
// why the answer breaks RFC 6455 §9.1 or RFC 7692.
func checkResponse(c *Compression, values []string) (*DeflateParams, error) {
	exts, err := parseExtensions(values)
	if err != nil {
		return nil, fmt.Errorf("malformed Sec-WebSocket-Extensions %q: %v", strings.Join(values, ", "), err)
	}
	if len(exts) == 0 {
		return nil, nil
	}
	if c == nil || len(c.Offers) == 0 {
		return nil, fmt.Errorf("extension %s in the answer, none was offered", exts[0].name)
	}
	if len(exts) > 1 || exts[0].name != extDeflate {
		return nil, fmt.Errorf("Sec-WebSocket-Extensions %q: only one %s was offered", strings.Join(values, ", "), extDeflate)
	}
	r, err := parseDeflate(exts[0], true)
	if err != nil {
		return nil, fmt.Errorf("%s answer: %v", extDeflate, err)
	}
	var why []string
	for _, o := range c.Offers {
		w := acceptsOffer(r, o)
		if w == "" {
			return &r, nil
		}
		why = append(why, w)
	}
	return nil, fmt.Errorf("%s answer %q accepts no offer: %s", extDeflate, r.String(), strings.Join(why, "; "))
}

// acceptOffers runs c's accept function on the client's offers in values,
// as the tester playing the server. Offers that break RFC 7692 are left
// out and noted.
func acceptOffers(c *Compression, values []string) negotiation {
	n := negotiation{offer: strings.Join(values, ", ")}
	if c == nil || c.Accept == nil {
		return n
	}
	exts, err := parseExtensions(values)
	if err != nil {
		n.note = fmt.Sprintf("malformed Sec-WebSocket-Extensions %q: %v", n.offer, err)
		n.badOffer = true
		return n
	}
	var offers []DeflateParams
	var bad []string
	for _, e := range exts {
		if e.name != extDeflate {
			continue
		}
		o, err := parseDeflate(e, false)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		offers = append(offers, o)
	}
	if len(bad) > 0 {
		n.note = fmt.Sprintf("the client's %s offers break RFC 7692: %s", extDeflate, strings.Join(bad, "; "))
		n.badOffer = true
	}
	switch r := c.Accept(offers); {
	case r != nil:
		n.params = r
		n.response = r.String()
	case n.note == "" && len(offers) == 0:
		n.note = "the client offered no " + extDeflate
	case n.note == "":
		n.note = fmt.Sprintf("no offer of the client (%s) suits the case", n.offer)
	}
	return n
}

// The octets a sync flush ends with: an empty stored block's LEN and NLEN.
// RFC 7692 §7.2.1 strips them from every message, §7.2.2 puts them back.
var syncTail = []byte{0x00, 0x00, 0xff, 0xff}

// finalTail follows syncTail on decompression: an empty stored block with
// BFINAL set, so the decompressor ends cleanly at the end of the message.
var finalTail = []byte{0x01, 0x00, 0x00, 0xff, 0xff}

// testerLevel is the compression level of the tester's messages. Autobahn
// uses zlib's default, 6; the fastest level makes output as valid, with
// dynamic Huffman blocks and back-references as far as 32 KiB, and cuts
// the time of the largest cases by about 40% (at level 6, two thirds of it
// went into the tester's compression).
const testerLevel = 1

// flateWriter is what the tester needs of either library's compressor.
type flateWriter interface {
	io.Writer
	Flush() error
	Reset(io.Writer)
}

// deflater compresses the tester's messages for one connection.
type deflater struct {
	takeover bool // keep the window from one message to the next
	bits     int  // the window the peer allows: 2^bits octets
	w        flateWriter
	out      bytes.Buffer
}

func newDeflater(noContextTakeover bool, bits int) *deflater {
	if bits <= 0 {
		bits = 15
	}
	return &deflater{takeover: !noContextTakeover, bits: bits}
}

// compress returns p compressed as one message's payload (RFC 7692 §7.2.1):
// deflated, sync-flushed, with the final 0x00 0x00 0xff 0xff removed.
func (d *deflater) compress(p []byte) []byte {
	switch {
	case d.w == nil && d.bits < 15:
		// compress/flate always uses a 32 KiB window.
		w, err := kflate.NewWriterWindow(&d.out, 1<<d.bits)
		if err != nil {
			panic(err) // 256 to 16384 octets are all allowed sizes
		}
		d.w = w
	case d.w == nil:
		w, err := flate.NewWriter(&d.out, testerLevel)
		if err != nil {
			panic(err)
		}
		d.w = w
	case !d.takeover:
		d.w.Reset(&d.out)
	}
	d.out.Reset()
	d.w.Write(p) // writes into a bytes.Buffer cannot fail
	d.w.Flush()
	b := d.out.Bytes()
	if !bytes.HasSuffix(b, syncTail) {
		panic("conform: a sync flush did not end with 0x00 0x00 0xff 0xff")
	}
	return bytes.Clone(b[:len(b)-len(syncTail)])
}

// inflater decompresses the peer's messages for one connection.
type inflater struct {
	takeover bool // the peer may refer to earlier messages
	bits     int  // the window the peer agreed to: 2^bits octets
	max      int  // the largest message accepted, decompressed
	r        io.ReadCloser
	hist     []byte // the last 2^bits octets received, with takeover
	in       []byte
}

func newInflater(noContextTakeover bool, bits, max int) *inflater {
	if bits <= 0 {
		bits = 15
	}
	return &inflater{takeover: !noContextTakeover, bits: bits, max: max}
}

// errTooFar reports a back-reference beyond the negotiated window.
var errTooFar = errors.New("back-reference beyond the window")

// errTooBig reports a message that decompresses to more than the tester
// accepts.
var errTooBig = errors.New("message too big")

// decompress returns the message whose compressed payload is p (RFC 7692
// §7.2.2), or why p is not valid for the negotiated parameters.
func (f *inflater) decompress(p []byte) ([]byte, error) {
	f.in = append(append(append(f.in[:0], p...), syncTail...), finalTail...)
	var dict []byte
	if f.takeover {
		dict = f.hist
	}
	src := bytes.NewReader(f.in)
	if f.r == nil {
		f.r = flate.NewReaderDict(src, dict)
	} else if err := f.r.(flate.Resetter).Reset(src, dict); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(f.r, int64(f.max)+1))
	switch {
	case err != nil:
		return nil, err
	case len(out) > f.max:
		return nil, fmt.Errorf("%w: decompresses to more than %d octets", errTooBig, f.max)
	}
	if f.bits < 15 {
		// compress/flate checks references against the 32 KiB window and
		// the history it was given; a smaller window needs a scan of its
		// own.
		maxDist, err := deflateScan(f.in)
		if err != nil {
			return nil, err
		}
		if maxDist > 1<<f.bits {
			return nil, fmt.Errorf("%w: a distance of %d octets, the window is %d (max_window_bits=%d)",
				errTooFar, maxDist, 1<<f.bits, f.bits)
		}
	}
	if f.takeover {
		f.remember(out)
	}
	return out, nil
}

// remember keeps the last 2^bits octets of everything decompressed.
func (f *inflater) remember(out []byte) {
	size := 1 << f.bits
	if len(out) >= size {
		f.hist = append(f.hist[:0], out[len(out)-size:]...)
		return
	}
	if drop := len(f.hist) + len(out) - size; drop > 0 {
		f.hist = append(f.hist[:0], f.hist[drop:]...)
	}
	f.hist = append(f.hist, out...)
}

// deflateConn is permessage-deflate on one connection of the tester.
type deflateConn struct {
	send *deflater
	recv *inflater
}

// newDeflateConn sets up the tester's side of the parameters p: as the
// server (tester plays the server) or the client.
func newDeflateConn(p DeflateParams, server bool, maxMessage int) *deflateConn {
	if server {
		return &deflateConn{
			send: newDeflater(p.ServerNoContextTakeover, p.ServerMaxWindowBits),
			recv: newInflater(p.ClientNoContextTakeover, p.ClientMaxWindowBits, maxMessage),
		}
	}
	return &deflateConn{
		send: newDeflater(p.ClientNoContextTakeover, p.ClientMaxWindowBits),
		recv: newInflater(p.ServerNoContextTakeover, p.ServerMaxWindowBits, maxMessage),
	}
}
