package conform

import (
	"fmt"
	"strings"
)

// Section 13: permessage-deflate with different parameters. The cases run
// as section 12's, on the JSON data, with seven ways to negotiate: when the
// tester plays the client it makes Autobahn's offers, which may ask the
// server for no context takeover and for a window of 2^8 or 2^15 octets;
// when it plays the server it answers the client's offers as Autobahn's
// server does, asking the client for no context takeover and for a window
// of 2^8 or 2^15 octets. In Autobahn a client under test is told nothing
// of the case, so a client making a plain offer gets the server's side of
// each parameter set only.

// offerAsking is an Autobahn offer: the client's default hints, and a
// request for server_no_context_takeover and server_max_window_bits=bits
// (bits 0: none).
func offerAsking(noContext bool, bits int) DeflateParams {
	o := defaultOffer
	o.ServerNoContextTakeover = noContext
	o.ServerMaxWindowBits = bits
	return o
}

// acceptAsking returns an Autobahn server's accept function: it answers the
// first offer that allows a window limit (any offer, when bits is 0),
// asking the client for no context takeover when noContext is set and for
// a window of 2^bits octets when bits is set.
func acceptAsking(noContext bool, bits int) func([]DeflateParams) *DeflateParams {
	return func(offers []DeflateParams) *DeflateParams {
		for _, o := range offers {
			if bits > 0 && o.ClientMaxWindowBits == 0 {
				continue
			}
			return acceptWith(o, noContext, bits)
		}
		return nil
	}
}

// acceptEither tries the accept functions in turn.
func acceptEither(fns ...func([]DeflateParams) *DeflateParams) func([]DeflateParams) *DeflateParams {
	return func(offers []DeflateParams) *DeflateParams {
		for _, fn := range fns {
			if r := fn(offers); r != nil {
				return r
			}
		}
		return nil
	}
}

// paramSet is one of section 13's ways to negotiate: the tester's offers as
// the client and its accept function as the server, each with Autobahn's
// notation of (no context takeover, max window bits) pairs.
type paramSet struct {
	offers   [][2]int // (no context takeover 0/1, window bits 0 or 8-15) asked of the server
	accept   [][2]int // the same, asked of the client, tried in turn
	compress *Compression
}

func (p *paramSet) build() {
	p.compress = &Compression{}
	var fns []func([]DeflateParams) *DeflateParams
	for _, o := range p.offers {
		p.compress.Offers = append(p.compress.Offers, offerAsking(o[0] == 1, o[1]))
	}
	for _, a := range p.accept {
		fns = append(fns, acceptAsking(a[0] == 1, a[1]))
	}
	p.compress.Accept = acceptEither(fns...)
}

// pairs writes Autobahn's notation: [(True, 8), (False, 0)].
func pairs(ps [][2]int) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("(%t, %d)", p[0] == 1, p[1])
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// compressionParamSets are Autobahn's, in its order.
var compressionParamSets = []*paramSet{
	{offers: [][2]int{{0, 0}}, accept: [][2]int{{0, 0}}},
	{offers: [][2]int{{1, 0}}, accept: [][2]int{{1, 0}}},
	{offers: [][2]int{{0, 8}}, accept: [][2]int{{0, 8}}},
	{offers: [][2]int{{0, 15}}, accept: [][2]int{{0, 15}}},
	{offers: [][2]int{{1, 8}}, accept: [][2]int{{1, 8}}},
	{offers: [][2]int{{1, 15}}, accept: [][2]int{{1, 15}}},
	{offers: [][2]int{{1, 8}, {1, 0}, {0, 0}}, accept: [][2]int{{1, 8}, {1, 0}, {0, 0}}},
}

func init() {
	for j, p := range compressionParamSets {
		p.build()
		how := fmt.Sprintf("Playing the client, the tester offers (no context takeover, max window bits) %s of the server: %q. "+
			"Playing the server, it accepts the client's first suitable offer asking %s of the client, in order of preference "+
			"(a window limit needs an offer with client_max_window_bits).",
			pairs(p.offers), p.compress.offerHeader(), pairs(p.accept))
		for i, size := range compressionSizes {
			register(compressionCase(fmt.Sprintf("13.%d.%d", j+1, i+1), dataJSON, size, p.compress, how))
		}
	}
}
