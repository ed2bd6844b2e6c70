package deflate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wsx-go/websocket/internal/handshake"
)

// ExtensionName is the token of the permessage-deflate extension
// (RFC 7692 §7).
const ExtensionName = "permessage-deflate"

// The extension parameters of RFC 7692 §7.1.
const (
	paramServerNoContextTakeover = "server_no_context_takeover" // §7.1.1.1
	paramClientNoContextTakeover = "client_no_context_takeover" // §7.1.1.2
	paramServerMaxWindowBits     = "server_max_window_bits"     // §7.1.2.1
	paramClientMaxWindowBits     = "client_max_window_bits"     // §7.1.2.2
)

// The window sizes RFC 7692 §7.1.2 allows, as base-2 logarithms; 15 (32 KiB)
// is also what an absent parameter means.
const (
	MinWindowBits = 8
	MaxWindowBits = 15
)

// ErrNotNegotiated is returned by ParseResponse when the server's response
// holds no extension at all: the connection runs without compression.
var ErrNotNegotiated = errors.New("deflate: permessage-deflate not negotiated")

// ErrInvalidResponse is wrapped by every error of ParseResponse about a
// response the client must fail the connection for (RFC 7692 §5.2).
var ErrInvalidResponse = errors.New("deflate: invalid permessage-deflate response")

// ErrUnrequestedExtension is wrapped, beside ErrInvalidResponse, by the
// error of ParseResponse about a response that accepts an extension other
// than permessage-deflate, which the client never offered.
var ErrUnrequestedExtension = errors.New("unrequested extension")

// Params are the parameters of one permessage-deflate offer or response
// (RFC 7692 §7.1). The zero value is the extension without parameters:
// both sides keep their context and use 32 KiB windows.
type Params struct {
	// ServerNoContextTakeover: the server resets its compressor after each
	// message (§7.1.1.1).
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the client resets its compressor after each
	// message (§7.1.1.2).
	ClientNoContextTakeover bool
	// ServerMaxWindowBits limits the server's compression window
	// (§7.1.2.1): 0 if absent, else 8..15.
	ServerMaxWindowBits int
	// ClientMaxWindowBits limits the client's compression window
	// (§7.1.2.2): 0 if absent, -1 if present without a value (which only
	// an offer may send: "I can honour a limit"), else 8..15.
	ClientMaxWindowBits int
}

// String formats p as a Sec-WebSocket-Extensions element: "permessage-deflate"
// followed by server_no_context_takeover, client_no_context_takeover,
// server_max_window_bits and client_max_window_bits, in that order, each
// only if set. ClientMaxWindowBits -1 is written without a value. String
// does not validate p: out-of-range window bits are written as they are.
func (p Params) String() string {
	var b strings.Builder
	b.WriteString(ExtensionName)
	if p.ServerNoContextTakeover {
		b.WriteString("; " + paramServerNoContextTakeover)
	}
	if p.ClientNoContextTakeover {
		b.WriteString("; " + paramClientNoContextTakeover)
	}
	if p.ServerMaxWindowBits != 0 {
		b.WriteString("; " + paramServerMaxWindowBits + "=" + strconv.Itoa(p.ServerMaxWindowBits))
	}
	switch {
	case p.ClientMaxWindowBits == -1:
		b.WriteString("; " + paramClientMaxWindowBits)
	case p.ClientMaxWindowBits != 0:
		b.WriteString("; " + paramClientMaxWindowBits + "=" + strconv.Itoa(p.ClientMaxWindowBits))
	}
	return b.String()
}

// Window returns the window, in bits, that the given sender (the server if
// server is true, else the client) may compress with and its peer must be
// ready to decompress: the negotiated limit, or 15 if none was negotiated.
func (p Params) Window(server bool) int {
	bits := p.ClientMaxWindowBits
	if server {
		bits = p.ServerMaxWindowBits
	}
	if bits <= 0 { // absent, or the valueless offer form
		return MaxWindowBits
	}
	return bits
}

// ContextTakeover reports whether the given sender (the server if server
// is true, else the client) may keep its compression context from one
// message to the next (RFC 7692 §7.1.1), so that its peer must keep its
// decompression context too.
func (p Params) ContextTakeover(server bool) bool {
	if server {
		return !p.ServerNoContextTakeover
	}
	return !p.ClientNoContextTakeover
}

// ParseOffers returns the client's permessage-deflate offers, in the
// client's order of preference (RFC 7692 §5), from the values of its
// Sec-WebSocket-Extensions header. Other extensions are skipped.
//
// RFC 7692 §5.1 makes a server decline an offer with a parameter not
// defined for offers, a parameter given twice, or a parameter with an
// invalid value: window bits other than "8" to "15" (no leading zero, no
// sign; a quoted number counts as the number), a value on a
// no_context_takeover parameter, or server_max_window_bits without a
// value. Such offers are left out, not reported: declining one offer is
// not an error, and a later offer may still be accepted. Parameter names
// are matched case-insensitively.
//
// Only a header that breaks the grammar of RFC 6455 §9.1 gives an error
// (wrapping handshake.ErrMalformedExtensions); a header with no valid offer
// gives nil and no error.
func ParseOffers(values []string) ([]Params, error) {
	exts, err := handshake.ParseExtensions(values)
	if err != nil {
		return nil, err
	}
	var offers []Params
	for _, e := range exts {
		if !handshake.EqualToken(e.Name, ExtensionName) {
			continue
		}
		if p, err := fromParams(e.Params, false); err == nil {
			offers = append(offers, p)
		}
	}
	return offers, nil
}

// fromParams reads the parameters of one permessage-deflate element of an
// offer (response false) or a response (response true), checking what RFC
// 7692 §7.1 asks of each parameter on its own. The error says which rule
// the parameters break.
func fromParams(params []handshake.Param, response bool) (Params, error) {
	var p Params
	var seen [4]bool // indexed like the switch below
	for _, prm := range params {
		var idx int
		switch {
		case handshake.EqualToken(prm.Name, paramServerNoContextTakeover):
			idx = 0
		case handshake.EqualToken(prm.Name, paramClientNoContextTakeover):
			idx = 1
		case handshake.EqualToken(prm.Name, paramServerMaxWindowBits):
			idx = 2
		case handshake.EqualToken(prm.Name, paramClientMaxWindowBits):
			idx = 3
		default:
			return Params{}, fmt.Errorf("unknown parameter %q", prm.Name)
		}
		// RFC 7692 §5.1, §5.2: a parameter may appear once.
		if seen[idx] {
			return Params{}, fmt.Errorf("parameter %s given twice", prm.Name)
		}
		seen[idx] = true
		switch idx {
		case 0, 1:
			// RFC 7692 §7.1.1.1, §7.1.1.2: these parameters have no value.
			if prm.HasValue {
				return Params{}, fmt.Errorf("parameter %s has a value", prm.Name)
			}
			if idx == 0 {
				p.ServerNoContextTakeover = true
			} else {
				p.ClientNoContextTakeover = true
			}
		case 2:
			// RFC 7692 §7.1.2.1: server_max_window_bits always has a value.
			bits, err := windowBits(prm)
			if err != nil {
				return Params{}, err
			}
			p.ServerMaxWindowBits = bits
		case 3:
			// RFC 7692 §7.1.2.2: client_max_window_bits may come without a
			// value in an offer, but a response that limits the client must
			// say to what.
			if !prm.HasValue {
				if response {
					return Params{}, fmt.Errorf("parameter %s has no value", prm.Name)
				}
				p.ClientMaxWindowBits = -1
				continue
			}
			bits, err := windowBits(prm)
			if err != nil {
				return Params{}, err
			}
			p.ClientMaxWindowBits = bits
		}
	}
	return p, nil
}

// windowBits reads the value of a *_max_window_bits parameter. RFC 7692
// §7.1.2.1 and §7.1.2.2 ask for a decimal integer without leading zeros
// from 8 to 15, conforming to the ABNF 1*DIGIT. A quoted-string whose
// content is such a number is taken as the number (RFC 6455 §9.1).
func windowBits(prm handshake.Param) (int, error) {
	switch {
	case !prm.HasValue:
		return 0, fmt.Errorf("parameter %s has no value", prm.Name)
	}
	// A quoted value counts as the token it holds (RFC 6455 §9.1):
	// server_max_window_bits="10" is server_max_window_bits=10.
	v := prm.Value
	var bits int
	switch {
	case len(v) == 1 && '8' <= v[0] && v[0] <= '9':
		bits = int(v[0] - '0')
	case len(v) == 2 && v[0] == '1' && '0' <= v[1] && v[1] <= '5':
		bits = 10 + int(v[1]-'0')
	default:
		return 0, fmt.Errorf("parameter %s=%s: want 8 to 15 without leading zeros", prm.Name, v)
	}
	return bits, nil
}

// validOffer reports whether p could have come from ParseOffers: window
// bits within 8..15, the valueless form only for the client's.
func (p Params) validOffer() bool {
	return (p.ServerMaxWindowBits == 0 || validBits(p.ServerMaxWindowBits)) &&
		(p.ClientMaxWindowBits == 0 || p.ClientMaxWindowBits == -1 || validBits(p.ClientMaxWindowBits))
}

// validBits reports whether bits is a window size RFC 7692 §7.1.2 allows.
func validBits(bits int) bool { return MinWindowBits <= bits && bits <= MaxWindowBits }

// ServerConfig is what a server is willing to do. The zero value accepts
// any offer with context takeover and 32 KiB windows both ways.
type ServerConfig struct {
	// ServerNoContextTakeover: the server will not keep its compression
	// context between messages, and says so in every response.
	ServerNoContextTakeover bool
	// ClientNoContextTakeover: the server asks the client not to keep its
	// compression context, so the server need not keep its decompression
	// context.
	ClientNoContextTakeover bool
	// ServerMaxWindowBits is the largest window the server compresses
	// with: 0 means 15; other values outside 8..15 are clamped into it.
	ServerMaxWindowBits int
	// ClientMaxWindowBits is the largest window the server accepts from
	// the client: 0 means 15; other values outside 8..15 are clamped into
	// it. Below 15 it can only be honoured with a client that offered
	// client_max_window_bits; offers without it are declined.
	ClientMaxWindowBits int
}

// Accept returns the response to the first of the client's offers, in the
// client's order, that the server can accept (RFC 7692 §5.1). ok is false
// if there is none; then the server leaves permessage-deflate out of its
// response. Offers that ParseOffers would not return (window bits outside
// 8..15, ServerMaxWindowBits -1) are skipped.
//
// An offer is declined only if cfg limits the client's window below 15 and
// the offer lacks client_max_window_bits: without it the client cannot be
// told of the limit (RFC 7692 §7.1.2.2). The response to an accepted offer
// holds:
//
//   - server_no_context_takeover if the client offered it, since including
//     it is how the server accepts it (§7.1.1.1), or if
//     cfg.ServerNoContextTakeover, which a server may announce unasked.
//   - client_no_context_takeover if cfg.ClientNoContextTakeover (§7.1.1.2
//     lets a server include it unasked), or if the client offered it: the
//     offer is only a hint, and echoing it binds the client, so that the
//     server may drop its decompression context between messages.
//   - server_max_window_bits = min(offered, configured) if the client
//     offered it, since a server accepts that parameter by answering it
//     with the same or a smaller value (§7.1.2.1); if not offered, the
//     configured value when it is below 15, which §7.1.2.1 also allows.
//   - client_max_window_bits = min(offered value or 15, configured) if the
//     client offered the parameter, with or without a value, and that
//     minimum is below 15; a server may use the client's value to allocate
//     a smaller window (§7.1.2.2). At 15 it is left out, as an absent
//     parameter already means 15, and never sent unoffered (§7.1.2.2).
func Accept(offers []Params, cfg ServerConfig) (resp Params, ok bool) {
	server := configBits(cfg.ServerMaxWindowBits)
	client := configBits(cfg.ClientMaxWindowBits)
	for _, o := range offers {
		if !o.validOffer() {
			continue
		}
		if client < MaxWindowBits && o.ClientMaxWindowBits == 0 {
			continue
		}
		r := Params{
			ServerNoContextTakeover: o.ServerNoContextTakeover || cfg.ServerNoContextTakeover,
			ClientNoContextTakeover: o.ClientNoContextTakeover || cfg.ClientNoContextTakeover,
		}
		switch {
		case o.ServerMaxWindowBits != 0:
			r.ServerMaxWindowBits = min(o.ServerMaxWindowBits, server)
		case server < MaxWindowBits:
			r.ServerMaxWindowBits = server
		}
		if o.ClientMaxWindowBits != 0 {
			limit := client
			if o.ClientMaxWindowBits > 0 {
				limit = min(limit, o.ClientMaxWindowBits)
			}
			if limit < MaxWindowBits {
				r.ClientMaxWindowBits = limit
			}
		}
		return r, true
	}
	return Params{}, false
}

// configBits reads a window size from a ServerConfig: 0 means 15, and
// anything else is clamped into 8..15.
func configBits(bits int) int {
	if bits == 0 {
		return MaxWindowBits
	}
	return max(MinWindowBits, min(bits, MaxWindowBits))
}

// ParseResponse checks the values of the server's Sec-WebSocket-Extensions
// response against the one permessage-deflate offer the client sent, and
// returns the negotiated parameters. With no values, or values holding no
// extension, it returns ErrNotNegotiated: the server declined.
//
// Otherwise the client must fail the connection on any error (RFC 7692
// §5.2); each wraps ErrInvalidResponse and says what is wrong:
//
//   - a header that breaks the grammar of RFC 6455 §9.1 (the error also
//     wraps handshake.ErrMalformedExtensions);
//   - an extension other than permessage-deflate, or permessage-deflate
//     more than once: the client offered it once (RFC 6455 §9.1);
//   - an unknown or duplicate parameter, a no_context_takeover parameter
//     with a value, or window bits that are missing or not 8 to 15
//     (RFC 7692 §7.1);
//   - client_max_window_bits when the client did not offer it (§7.1.2.2);
//   - server_max_window_bits above the value the client offered (§7.1.2.1).
//
// The response may leave out parameters the client offered, and
// ParseResponse accepts that: the returned Params describe what the
// server will do (context takeover, a 15-bit window), and a client whose
// decoder keeps a full 32 KiB window and its context between messages, as
// DEFLATE decoders usually can, can follow it; one that cannot must check.
// Likewise client_max_window_bits above the value the client offered is
// accepted: that value was only a hint (§7.1.2.2), and the client may
// always compress with a smaller window than allowed.
func ParseResponse(values []string, offered Params) (Params, error) {
	exts, err := handshake.ParseExtensions(values)
	if err != nil {
		return Params{}, fmt.Errorf("%w: %w", ErrInvalidResponse, err)
	}
	if len(exts) == 0 {
		return Params{}, ErrNotNegotiated
	}
	for _, e := range exts {
		if !handshake.EqualToken(e.Name, ExtensionName) {
			return Params{}, fmt.Errorf("%w: %w %q", ErrInvalidResponse, ErrUnrequestedExtension, e.Name)
		}
	}
	if len(exts) > 1 {
		return Params{}, fmt.Errorf("%w: %s accepted %d times, offered once", ErrInvalidResponse, ExtensionName, len(exts))
	}
	p, err := fromParams(exts[0].Params, true)
	if err != nil {
		return Params{}, fmt.Errorf("%w: %s", ErrInvalidResponse, err)
	}
	if p.ClientMaxWindowBits != 0 && offered.ClientMaxWindowBits == 0 {
		return Params{}, fmt.Errorf("%w: %s=%d not offered", ErrInvalidResponse, paramClientMaxWindowBits, p.ClientMaxWindowBits)
	}
	if p.ServerMaxWindowBits != 0 && offered.ServerMaxWindowBits > 0 && p.ServerMaxWindowBits > offered.ServerMaxWindowBits {
		return Params{}, fmt.Errorf("%w: %s=%d above the %d offered", ErrInvalidResponse, paramServerMaxWindowBits, p.ServerMaxWindowBits, offered.ServerMaxWindowBits)
	}
	return p, nil
}
