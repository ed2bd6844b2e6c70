package deflate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/handshake"
)

// TestParseOffers checks that valid offers are read in order, other
// extensions skipped, and offers RFC 7692 §5.1 makes a server decline
// left out.
func TestParseOffers(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []Params
	}{
		{"no header", nil, nil},
		{"empty header", []string{""}, nil},
		{"other extensions only", []string{"x-webkit-deflate-frame, foo; bar=1"}, nil},
		{"bare", []string{"permessage-deflate"}, []Params{{}}},
		{"name case-insensitive", []string{"PerMessage-DEFLATE"}, []Params{{}}},
		{"server_no_context_takeover", []string{"permessage-deflate; server_no_context_takeover"}, []Params{{ServerNoContextTakeover: true}}},
		{"client_no_context_takeover", []string{"permessage-deflate; client_no_context_takeover"}, []Params{{ClientNoContextTakeover: true}}},
		{"server_max_window_bits", []string{"permessage-deflate; server_max_window_bits=10"}, []Params{{ServerMaxWindowBits: 10}}},
		{"server_max_window_bits 8", []string{"permessage-deflate; server_max_window_bits=8"}, []Params{{ServerMaxWindowBits: 8}}},
		{"server_max_window_bits 15", []string{"permessage-deflate; server_max_window_bits=15"}, []Params{{ServerMaxWindowBits: 15}}},
		{"valueless client_max_window_bits", []string{"permessage-deflate; client_max_window_bits"}, []Params{{ClientMaxWindowBits: -1}}},
		{"client_max_window_bits with a value", []string{"permessage-deflate; client_max_window_bits=9"}, []Params{{ClientMaxWindowBits: 9}}},
		// RFC 6455 §9.1: a quoted value counts as the token it holds.
		{"quoted window bits", []string{`permessage-deflate; server_max_window_bits="10"; client_max_window_bits="9"`}, []Params{{ServerMaxWindowBits: 10, ClientMaxWindowBits: 9}}},
		{
			"every parameter, any order, any case",
			[]string{"permessage-deflate; Client_Max_Window_Bits=12; SERVER_MAX_WINDOW_BITS=11; client_no_context_takeover; server_no_context_takeover"},
			[]Params{{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 11, ClientMaxWindowBits: 12}},
		},
		{
			"several offers in one header",
			[]string{"permessage-deflate; server_max_window_bits=10; client_max_window_bits, permessage-deflate; client_max_window_bits, permessage-deflate"},
			[]Params{{ServerMaxWindowBits: 10, ClientMaxWindowBits: -1}, {ClientMaxWindowBits: -1}, {}},
		},
		{
			"offers split over lines, among other extensions",
			[]string{"foo, permessage-deflate; server_no_context_takeover", "bar", "permessage-deflate; client_max_window_bits=15"},
			[]Params{{ServerNoContextTakeover: true}, {ClientMaxWindowBits: 15}},
		},
		{
			"invalid offers dropped, later valid ones kept",
			[]string{"permessage-deflate; server_max_window_bits=7, permessage-deflate; foo, permessage-deflate; server_max_window_bits=9"},
			[]Params{{ServerMaxWindowBits: 9}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOffers(tt.values)
			if err != nil {
				t.Fatalf("ParseOffers(%q): %v", tt.values, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseOffers(%q) = %+v, want %+v", tt.values, got, tt.want)
			}
		})
	}
}

// TestParseOffersDeclined checks each rule of RFC 7692 §5.1 and §7.1 that
// makes an offer invalid: it is dropped, and the valid offer after it in
// the same header is kept.
func TestParseOffersDeclined(t *testing.T) {
	for _, params := range []string{
		"foo",                             // unknown parameter
		"server_no_context_takeover; x=1", // unknown parameter after a known one
		"server_no_context_takeover; server_no_context_takeover", // duplicate
		"client_no_context_takeover; CLIENT_NO_CONTEXT_TAKEOVER", // duplicate in another case
		"server_max_window_bits=10; server_max_window_bits=10",   // duplicate, same value
		"client_max_window_bits; client_max_window_bits=10",      // duplicate, valueless then valued
		"server_no_context_takeover=1",                           // value on a valueless parameter
		"client_no_context_takeover=true",                        // value on a valueless parameter
		`client_no_context_takeover="x"`,                         // quoted value on a valueless parameter
		"server_max_window_bits",                                 // server_max_window_bits needs a value
		"server_max_window_bits=7",                               // below 8
		"server_max_window_bits=16",                              // above 15
		"server_max_window_bits=0",                               // zero
		"server_max_window_bits=08",                              // leading zero
		"server_max_window_bits=010",                             // leading zero
		"server_max_window_bits=+9",                              // sign
		"server_max_window_bits=-9",                              // sign
		"server_max_window_bits=9.0",                             // not an integer
		"server_max_window_bits=0x9",                             // not decimal
		"server_max_window_bits=1000000000000000000009",          // overflow-sized
		"client_max_window_bits=7",                               // below 8
		"client_max_window_bits=16",                              // above 15
		"client_max_window_bits=09",                              // leading zero
	} {
		values := []string{"permessage-deflate; " + params + ", permessage-deflate; client_no_context_takeover"}
		got, err := ParseOffers(values)
		if err != nil {
			t.Errorf("ParseOffers(%q): %v", values, err)
			continue
		}
		want := []Params{{ClientNoContextTakeover: true}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseOffers(%q) = %+v, want %+v", values, got, want)
		}
	}
}

// TestParseOffersMalformed checks that a header breaking RFC 6455 §9.1 is
// an error, not a declined offer.
func TestParseOffersMalformed(t *testing.T) {
	for _, v := range []string{
		"permessage-deflate;",
		"permessage-deflate;; client_max_window_bits",
		"permessage-deflate; server_max_window_bits=",
		`permessage-deflate; server_max_window_bits="10`,
		"permessage-deflate\x00",
	} {
		got, err := ParseOffers([]string{"permessage-deflate", v})
		if err == nil || got != nil {
			t.Errorf("ParseOffers(%q) = %+v, %v; want an error", v, got, err)
			continue
		}
		if !errors.Is(err, handshake.ErrMalformedExtensions) {
			t.Errorf("ParseOffers(%q): error %v does not wrap handshake.ErrMalformedExtensions", v, err)
		}
	}
}

// TestAccept checks the response to each kind of offer under each kind of
// configuration (RFC 7692 §5.1, §7.1).
func TestAccept(t *testing.T) {
	tests := []struct {
		name   string
		offers []Params
		cfg    ServerConfig
		want   Params
		ok     bool
	}{
		// The zero configuration accepts every valid offer, answering only
		// what the offer asks.
		{"bare offer", []Params{{}}, ServerConfig{}, Params{}, true},
		{"server_no_context_takeover echoed", []Params{{ServerNoContextTakeover: true}}, ServerConfig{}, Params{ServerNoContextTakeover: true}, true},
		{"client_no_context_takeover echoed", []Params{{ClientNoContextTakeover: true}}, ServerConfig{}, Params{ClientNoContextTakeover: true}, true},
		{"server_max_window_bits answered", []Params{{ServerMaxWindowBits: 10}}, ServerConfig{}, Params{ServerMaxWindowBits: 10}, true},
		{"server_max_window_bits 15 answered", []Params{{ServerMaxWindowBits: 15}}, ServerConfig{}, Params{ServerMaxWindowBits: 15}, true},
		{"valueless client_max_window_bits not needed", []Params{{ClientMaxWindowBits: -1}}, ServerConfig{}, Params{}, true},
		{"client hint used", []Params{{ClientMaxWindowBits: 10}}, ServerConfig{}, Params{ClientMaxWindowBits: 10}, true},
		{"client hint 15 left out", []Params{{ClientMaxWindowBits: 15}}, ServerConfig{}, Params{}, true},
		{
			"everything offered",
			[]Params{{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 11}},
			ServerConfig{},
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 11},
			true,
		},

		// A server that resets its context says so unasked (§7.1.1.1).
		{"server no context, bare offer", []Params{{}}, ServerConfig{ServerNoContextTakeover: true}, Params{ServerNoContextTakeover: true}, true},
		{"server no context, offered too", []Params{{ServerNoContextTakeover: true}}, ServerConfig{ServerNoContextTakeover: true}, Params{ServerNoContextTakeover: true}, true},

		// A server may tell the client to reset its context unasked
		// (§7.1.1.2).
		{"client no context, bare offer", []Params{{}}, ServerConfig{ClientNoContextTakeover: true}, Params{ClientNoContextTakeover: true}, true},
		{"client no context, offered too", []Params{{ClientNoContextTakeover: true}}, ServerConfig{ClientNoContextTakeover: true}, Params{ClientNoContextTakeover: true}, true},

		// A server with a smaller window says so unasked (§7.1.2.1) and
		// answers an offered limit with the smaller of the two.
		{"server window, bare offer", []Params{{}}, ServerConfig{ServerMaxWindowBits: 10}, Params{ServerMaxWindowBits: 10}, true},
		{"server window below offer", []Params{{ServerMaxWindowBits: 12}}, ServerConfig{ServerMaxWindowBits: 10}, Params{ServerMaxWindowBits: 10}, true},
		{"server window above offer", []Params{{ServerMaxWindowBits: 9}}, ServerConfig{ServerMaxWindowBits: 10}, Params{ServerMaxWindowBits: 9}, true},
		{"server window 15 configured", []Params{{}}, ServerConfig{ServerMaxWindowBits: 15}, Params{}, true},
		{"server window clamped up", []Params{{}}, ServerConfig{ServerMaxWindowBits: 3}, Params{ServerMaxWindowBits: 8}, true},
		{"server window clamped down", []Params{{}}, ServerConfig{ServerMaxWindowBits: 99}, Params{}, true},
		{"server window negative", []Params{{ServerMaxWindowBits: 12}}, ServerConfig{ServerMaxWindowBits: -1}, Params{ServerMaxWindowBits: 8}, true},

		// A server that limits the client's window needs the client to
		// have offered client_max_window_bits (§7.1.2.2).
		{"client window, bare offer declined", []Params{{}}, ServerConfig{ClientMaxWindowBits: 10}, Params{}, false},
		{"client window, valueless offer", []Params{{ClientMaxWindowBits: -1}}, ServerConfig{ClientMaxWindowBits: 10}, Params{ClientMaxWindowBits: 10}, true},
		{"client window below hint", []Params{{ClientMaxWindowBits: 12}}, ServerConfig{ClientMaxWindowBits: 10}, Params{ClientMaxWindowBits: 10}, true},
		{"client window above hint", []Params{{ClientMaxWindowBits: 9}}, ServerConfig{ClientMaxWindowBits: 10}, Params{ClientMaxWindowBits: 9}, true},
		{"client window 15 configured", []Params{{}}, ServerConfig{ClientMaxWindowBits: 15}, Params{}, true},
		{"client window clamped", []Params{{ClientMaxWindowBits: -1}}, ServerConfig{ClientMaxWindowBits: 1}, Params{ClientMaxWindowBits: 8}, true},
		{"client window over 15 is 15", []Params{{}}, ServerConfig{ClientMaxWindowBits: 16}, Params{}, true},

		{
			"everything configured",
			[]Params{{ClientMaxWindowBits: -1}},
			ServerConfig{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 11, ClientMaxWindowBits: 12},
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 11, ClientMaxWindowBits: 12},
			true,
		},

		// The first acceptable offer wins.
		{"first offer wins", []Params{{ServerMaxWindowBits: 10}, {}}, ServerConfig{}, Params{ServerMaxWindowBits: 10}, true},
		{
			"unacceptable offer skipped",
			[]Params{{}, {ClientMaxWindowBits: -1, ServerNoContextTakeover: true}, {ClientMaxWindowBits: 9}},
			ServerConfig{ClientMaxWindowBits: 10},
			Params{ServerNoContextTakeover: true, ClientMaxWindowBits: 10},
			true,
		},
		{
			"invalid offers skipped",
			[]Params{{ServerMaxWindowBits: 7}, {ServerMaxWindowBits: -1}, {ClientMaxWindowBits: 16}, {ClientMaxWindowBits: -2}, {ClientNoContextTakeover: true}},
			ServerConfig{},
			Params{ClientNoContextTakeover: true},
			true,
		},
		{"no offers", nil, ServerConfig{}, Params{}, false},
		{"only invalid offers", []Params{{ServerMaxWindowBits: 16}, {ClientMaxWindowBits: 7}}, ServerConfig{}, Params{}, false},
		{"no acceptable offer", []Params{{}, {ServerNoContextTakeover: true}}, ServerConfig{ClientMaxWindowBits: 9}, Params{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Accept(tt.offers, tt.cfg)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Accept(%+v, %+v) = %+v, %t; want %+v, %t", tt.offers, tt.cfg, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestParseResponse checks the responses a client accepts and what it
// takes from them (RFC 7692 §5.2, §7.1).
func TestParseResponse(t *testing.T) {
	full := Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: -1}
	tests := []struct {
		name    string
		values  []string
		offered Params
		want    Params
	}{
		{"bare", []string{"permessage-deflate"}, Params{}, Params{}},
		{"name case-insensitive", []string{"Permessage-Deflate"}, Params{}, Params{}},
		{"empty elements around", []string{" , permessage-deflate ,", ""}, Params{}, Params{}},
		{"server_no_context_takeover unasked", []string{"permessage-deflate; server_no_context_takeover"}, Params{}, Params{ServerNoContextTakeover: true}},
		{"client_no_context_takeover unasked", []string{"permessage-deflate; client_no_context_takeover"}, Params{}, Params{ClientNoContextTakeover: true}},
		{"server_max_window_bits unasked", []string{"permessage-deflate; server_max_window_bits=9"}, Params{}, Params{ServerMaxWindowBits: 9}},
		{"server_max_window_bits as offered", []string{"permessage-deflate; server_max_window_bits=12"}, full, Params{ServerMaxWindowBits: 12}},
		{"server_max_window_bits below offer", []string{"permessage-deflate; server_max_window_bits=8"}, full, Params{ServerMaxWindowBits: 8}},
		{"client_max_window_bits after valueless offer", []string{"permessage-deflate; client_max_window_bits=10"}, full, Params{ClientMaxWindowBits: 10}},
		{"client_max_window_bits below hint", []string{"permessage-deflate; client_max_window_bits=10"}, Params{ClientMaxWindowBits: 11}, Params{ClientMaxWindowBits: 10}},
		{"client_max_window_bits above hint", []string{"permessage-deflate; client_max_window_bits=12"}, Params{ClientMaxWindowBits: 11}, Params{ClientMaxWindowBits: 12}},
		{"offered parameters left out", []string{"permessage-deflate"}, full, Params{}},
		{"quoted window bits", []string{`permessage-deflate; server_max_window_bits="9"; client_max_window_bits="10"`}, full, Params{ServerMaxWindowBits: 9, ClientMaxWindowBits: 10}},
		{
			"every parameter, any case",
			[]string{"permessage-deflate; CLIENT_MAX_WINDOW_BITS=15; server_max_window_bits=12; Client_No_Context_Takeover; server_no_context_takeover"},
			full,
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: 15},
		},
		{"split over lines", []string{"", "permessage-deflate; server_no_context_takeover", ""}, Params{}, Params{ServerNoContextTakeover: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse(tt.values, tt.offered)
			if err != nil {
				t.Fatalf("ParseResponse(%q, %+v): %v", tt.values, tt.offered, err)
			}
			if got != tt.want {
				t.Fatalf("ParseResponse(%q, %+v) = %+v, want %+v", tt.values, tt.offered, got, tt.want)
			}
		})
	}
}

// TestParseResponseNotNegotiated checks that a response without extensions
// is the sentinel, not a failure.
func TestParseResponseNotNegotiated(t *testing.T) {
	for _, values := range [][]string{nil, {}, {""}, {" , ,", "\t"}} {
		got, err := ParseResponse(values, Params{ClientMaxWindowBits: -1})
		if err != ErrNotNegotiated || got != (Params{}) {
			t.Errorf("ParseResponse(%q) = %+v, %v; want ErrNotNegotiated", values, got, err)
		}
	}
}

// TestParseResponseErrors checks every response RFC 7692 §5.2 makes the
// client fail the connection for, and that the error says why.
func TestParseResponseErrors(t *testing.T) {
	valueless := Params{ClientMaxWindowBits: -1}
	tests := []struct {
		name    string
		values  []string
		offered Params
		reason  string
	}{
		{"grammar", []string{"permessage-deflate;"}, Params{}, "malformed Sec-WebSocket-Extensions"},
		{"grammar in a later line", []string{"permessage-deflate", `x; y="`}, Params{}, "unterminated"},
		{"other extension", []string{"x-webkit-deflate-frame"}, Params{}, `unrequested extension "x-webkit-deflate-frame"`},
		{"other extension after", []string{"permessage-deflate, foo"}, Params{}, `unrequested extension "foo"`},
		{"other extension on another line", []string{"permessage-deflate", "foo"}, Params{}, `unrequested extension "foo"`},
		{"twice", []string{"permessage-deflate, permessage-deflate"}, Params{}, "accepted 2 times"},
		{"twice over lines", []string{"permessage-deflate", "permessage-deflate; server_no_context_takeover"}, Params{}, "accepted 2 times"},
		{"unknown parameter", []string{"permessage-deflate; foo"}, Params{}, `unknown parameter "foo"`},
		{"duplicate parameter", []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, Params{}, "given twice"},
		{"duplicate window bits", []string{"permessage-deflate; server_max_window_bits=9; Server_Max_Window_Bits=9"}, Params{}, "given twice"},
		{"value on server_no_context_takeover", []string{"permessage-deflate; server_no_context_takeover=1"}, Params{}, "has a value"},
		{"value on client_no_context_takeover", []string{"permessage-deflate; client_no_context_takeover=1"}, Params{}, "has a value"},
		{"server_max_window_bits valueless", []string{"permessage-deflate; server_max_window_bits"}, Params{}, "has no value"},
		{"server_max_window_bits 7", []string{"permessage-deflate; server_max_window_bits=7"}, Params{}, "want 8 to 15"},
		{"server_max_window_bits 16", []string{"permessage-deflate; server_max_window_bits=16"}, Params{}, "want 8 to 15"},
		{"server_max_window_bits leading zero", []string{"permessage-deflate; server_max_window_bits=09"}, Params{}, "want 8 to 15"},
		{"server_max_window_bits above offer", []string{"permessage-deflate; server_max_window_bits=11"}, Params{ServerMaxWindowBits: 10}, "server_max_window_bits=11 above the 10 offered"},
		{"client_max_window_bits not offered", []string{"permessage-deflate; client_max_window_bits=10"}, Params{}, "client_max_window_bits=10 not offered"},
		{"client_max_window_bits valueless", []string{"permessage-deflate; client_max_window_bits"}, valueless, "client_max_window_bits has no value"},
		{"client_max_window_bits valueless, not offered", []string{"permessage-deflate; client_max_window_bits"}, Params{}, "has no value"},
		{"client_max_window_bits 7", []string{"permessage-deflate; client_max_window_bits=7"}, valueless, "want 8 to 15"},
		{"client_max_window_bits 16", []string{"permessage-deflate; client_max_window_bits=16"}, valueless, "want 8 to 15"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse(tt.values, tt.offered)
			if err == nil {
				t.Fatalf("ParseResponse(%q, %+v) = %+v, want an error", tt.values, tt.offered, got)
			}
			if got != (Params{}) {
				t.Errorf("ParseResponse(%q, %+v) returned %+v with its error", tt.values, tt.offered, got)
			}
			if !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("error %v does not wrap ErrInvalidResponse", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
		})
	}
	_, err := ParseResponse([]string{"permessage-deflate; a=\"b"}, Params{})
	if !errors.Is(err, handshake.ErrMalformedExtensions) {
		t.Errorf("grammar error %v does not wrap handshake.ErrMalformedExtensions", err)
	}
}

// TestParamsString checks the fixed order of the formatted parameters and
// that offers and responses read back the same.
func TestParamsString(t *testing.T) {
	tests := []struct {
		p    Params
		want string
	}{
		{Params{}, "permessage-deflate"},
		{Params{ClientMaxWindowBits: -1}, "permessage-deflate; client_max_window_bits"},
		{Params{ServerMaxWindowBits: 8}, "permessage-deflate; server_max_window_bits=8"},
		{
			Params{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 15},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=15",
		},
		{Params{ClientNoContextTakeover: true, ClientMaxWindowBits: 9}, "permessage-deflate; client_no_context_takeover; client_max_window_bits=9"},
	}
	for _, tt := range tests {
		s := tt.p.String()
		if s != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, s, tt.want)
		}
		offers, err := ParseOffers([]string{s})
		if err != nil || len(offers) != 1 || offers[0] != tt.p {
			t.Errorf("ParseOffers(%q) = %+v, %v; want [%+v]", s, offers, err, tt.p)
		}
		if tt.p.ClientMaxWindowBits == -1 {
			continue // an offer only
		}
		resp, err := ParseResponse([]string{s}, Params{ClientMaxWindowBits: -1})
		if err != nil || resp != tt.p {
			t.Errorf("ParseResponse(%q) = %+v, %v; want %+v", s, resp, err, tt.p)
		}
	}
}

// TestWindowAndContextTakeover checks the per-sender helpers.
func TestWindowAndContextTakeover(t *testing.T) {
	tests := []struct {
		p              Params
		server, client int
		sCtx, cCtx     bool
	}{
		{Params{}, 15, 15, true, true},
		{Params{ClientMaxWindowBits: -1}, 15, 15, true, true},
		{Params{ServerMaxWindowBits: 9, ClientMaxWindowBits: 12}, 9, 12, true, true},
		{Params{ServerNoContextTakeover: true}, 15, 15, false, true},
		{Params{ClientNoContextTakeover: true, ClientMaxWindowBits: 8}, 15, 8, true, false},
	}
	for _, tt := range tests {
		if got := tt.p.Window(true); got != tt.server {
			t.Errorf("%+v.Window(server) = %d, want %d", tt.p, got, tt.server)
		}
		if got := tt.p.Window(false); got != tt.client {
			t.Errorf("%+v.Window(client) = %d, want %d", tt.p, got, tt.client)
		}
		if got := tt.p.ContextTakeover(true); got != tt.sCtx {
			t.Errorf("%+v.ContextTakeover(server) = %t, want %t", tt.p, got, tt.sCtx)
		}
		if got := tt.p.ContextTakeover(false); got != tt.cCtx {
			t.Errorf("%+v.ContextTakeover(client) = %t, want %t", tt.p, got, tt.cCtx)
		}
	}
}

// FuzzParseOffers checks that ParseOffers never panics, that every offer
// it returns is valid and reads back from its String, and that what Accept
// answers under a fuzzed configuration is a response ParseResponse takes,
// which honours both the offer and the configuration. Lines of the input
// are separate header values.
func FuzzParseOffers(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits, permessage-deflate",
		"permessage-deflate; server_no_context_takeover; server_max_window_bits=10\npermessage-deflate; client_max_window_bits=9",
		"permessage-deflate; server_max_window_bits=08, permessage-deflate; client_no_context_takeover",
		`permessage-deflate; server_max_window_bits="10"`,
		"foo, permessage-deflate; bar",
		"permessage-deflate;;",
	} {
		f.Add(s, 0, 0, false, false)
		f.Add(s, 9, 10, true, true)
	}
	f.Fuzz(func(t *testing.T, s string, sBits, cBits int, sNo, cNo bool) {
		offers, err := ParseOffers(strings.Split(s, "\n"))
		if err != nil {
			if offers != nil {
				t.Fatalf("offers %+v with error %v", offers, err)
			}
			return
		}
		for _, o := range offers {
			if !o.validOffer() {
				t.Fatalf("invalid offer %+v from %q", o, s)
			}
			again, err := ParseOffers([]string{o.String()})
			if err != nil || len(again) != 1 || again[0] != o {
				t.Fatalf("ParseOffers(%q) = %+v, %v; want [%+v]", o.String(), again, err, o)
			}
		}
		if len(offers) > 0 {
			// The zero configuration accepts any valid offer.
			if _, ok := Accept(offers, ServerConfig{}); !ok {
				t.Fatalf("offers %+v not accepted by the zero configuration", offers)
			}
		}
		cfg := ServerConfig{ServerNoContextTakeover: sNo, ClientNoContextTakeover: cNo, ServerMaxWindowBits: sBits, ClientMaxWindowBits: cBits}
		resp, ok := Accept(offers, cfg)
		if !ok {
			return
		}
		// The accepted offer is the first one accepted on its own.
		var offer Params
		for _, o := range offers {
			if r, ok := Accept([]Params{o}, cfg); ok {
				if r != resp {
					t.Fatalf("Accept(%+v) = %+v, but the first acceptable offer %+v alone gives %+v", offers, resp, o, r)
				}
				offer = o
				break
			}
		}
		got, err := ParseResponse([]string{resp.String()}, offer)
		if err != nil || got != resp {
			t.Fatalf("ParseResponse(%q, %+v) = %+v, %v; want %+v", resp.String(), offer, got, err, resp)
		}
		switch {
		case offer.ServerNoContextTakeover && !resp.ServerNoContextTakeover:
			t.Fatalf("response %+v ignores server_no_context_takeover in %+v", resp, offer)
		case cfg.ServerNoContextTakeover && resp.ContextTakeover(true):
			t.Fatalf("response %+v ignores the configured server_no_context_takeover", resp)
		case cfg.ClientNoContextTakeover && resp.ContextTakeover(false):
			t.Fatalf("response %+v ignores the configured client_no_context_takeover", resp)
		case offer.ServerMaxWindowBits != 0 && resp.ServerMaxWindowBits == 0:
			t.Fatalf("response %+v leaves out server_max_window_bits offered in %+v", resp, offer)
		case resp.Window(true) > configBits(sBits) || resp.Window(false) > configBits(cBits):
			t.Fatalf("response %+v exceeds the configuration %+v", resp, cfg)
		}
	})
}

// FuzzParseResponse checks that ParseResponse never panics, that its
// errors are the documented ones, and that a response it takes is within
// the rules: window bits absent or 8..15, client_max_window_bits only if
// offered, server_max_window_bits no larger than offered; and that the
// result reads back from its String.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate, permessage-deflate",
		"foo",
		"",
		"permessage-deflate\n; x",
	} {
		f.Add(s, 0, 0)
		f.Add(s, 12, -1)
		f.Add(s, 9, 10)
	}
	f.Fuzz(func(t *testing.T, s string, sBits, cBits int) {
		offered := Params{ServerMaxWindowBits: sBits, ClientMaxWindowBits: cBits}
		p, err := ParseResponse(strings.Split(s, "\n"), offered)
		if err != nil {
			if p != (Params{}) {
				t.Fatalf("params %+v with error %v", p, err)
			}
			if err != ErrNotNegotiated && !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("undocumented error %v", err)
			}
			return
		}
		if p.ServerMaxWindowBits != 0 && !validBits(p.ServerMaxWindowBits) {
			t.Fatalf("server_max_window_bits %d from %q", p.ServerMaxWindowBits, s)
		}
		if p.ClientMaxWindowBits != 0 && !validBits(p.ClientMaxWindowBits) {
			t.Fatalf("client_max_window_bits %d from %q", p.ClientMaxWindowBits, s)
		}
		if p.ClientMaxWindowBits != 0 && cBits == 0 {
			t.Fatalf("client_max_window_bits %d not offered, from %q", p.ClientMaxWindowBits, s)
		}
		if sBits > 0 && p.ServerMaxWindowBits > sBits {
			t.Fatalf("server_max_window_bits %d above the %d offered, from %q", p.ServerMaxWindowBits, sBits, s)
		}
		again, err := ParseResponse([]string{p.String()}, offered)
		if err != nil || again != p {
			t.Fatalf("ParseResponse(%q) = %+v, %v; want %+v", p.String(), again, err, p)
		}
	})
}
