package conform

import (
	"bytes"
	"compress/flate"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	kflate "github.com/klauspost/compress/flate"
)

func TestParseExtensions(t *testing.T) {
	ext := func(name string, params ...extParam) extension { return extension{name: name, params: params} }
	flag := func(name string) extParam { return extParam{name: name} }
	val := func(name, v string) extParam { return extParam{name: name, value: v, hasValue: true} }
	tests := []struct {
		in   []string
		want []extension
	}{
		{nil, nil},
		{[]string{""}, nil},
		{[]string{"permessage-deflate"}, []extension{ext("permessage-deflate")}},
		{[]string{"permessage-deflate; client_max_window_bits, permessage-deflate"},
			[]extension{ext("permessage-deflate", flag("client_max_window_bits")), ext("permessage-deflate")}},
		{[]string{"permessage-deflate ;server_max_window_bits = 10 ; client_no_context_takeover"},
			[]extension{ext("permessage-deflate", val("server_max_window_bits", "10"), flag("client_no_context_takeover"))}},
		{[]string{`permessage-deflate; server_max_window_bits="10"`},
			[]extension{ext("permessage-deflate", val("server_max_window_bits", "10"))}},
		{[]string{`x; a="\1\0"`}, []extension{ext("x", val("a", "10"))}},
		{[]string{"a", " b ;c", ", ,d,"}, []extension{ext("a"), ext("b", flag("c")), ext("d")}},
	}
	for _, tt := range tests {
		got, err := parseExtensions(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseExtensions(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{
		";a", "a b", "a;", "a; =1", "a; b=", `a; b="1 0"`, `a; b="10`, "a; b=1 0", "a/b", "a; b=\"\x01\"", "a; b=c=d",
	} {
		if got, err := parseExtensions([]string{bad}); err == nil {
			t.Errorf("parseExtensions(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseDeflate(t *testing.T) {
	parse := func(s string, response bool) (DeflateParams, error) {
		exts, err := parseExtensions([]string{s})
		if err != nil {
			return DeflateParams{}, err
		}
		return parseDeflate(exts[0], response)
	}
	tests := []struct {
		in       string
		response bool
		want     DeflateParams
	}{
		{"permessage-deflate", false, DeflateParams{}},
		{"permessage-deflate; client_max_window_bits", false, DeflateParams{ClientMaxWindowBits: -1}},
		{"permessage-deflate; client_max_window_bits=8", true, DeflateParams{ClientMaxWindowBits: 8}},
		{"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15", false,
			DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: -1, ServerNoContextTakeover: true, ServerMaxWindowBits: 15}},
		{`permessage-deflate; server_max_window_bits="9"`, true, DeflateParams{ServerMaxWindowBits: 9}},
	}
	for _, tt := range tests {
		got, err := parse(tt.in, tt.response)
		if err != nil || got != tt.want {
			t.Errorf("parse %q (response %t) = %+v, %v; want %+v", tt.in, tt.response, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		in       string
		response bool
	}{
		{"permessage-deflate; client_max_window_bits", true}, // a response must give the value
		{"permessage-deflate; server_max_window_bits", false},
		{"permessage-deflate; server_max_window_bits=7", false},
		{"permessage-deflate; server_max_window_bits=16", true},
		{"permessage-deflate; server_max_window_bits=010", true},
		{"permessage-deflate; client_max_window_bits=1a", false},
		{"permessage-deflate; server_no_context_takeover=1", false},
		{"permessage-deflate; client_no_context_takeover; client_no_context_takeover", true},
		{"permessage-deflate; mux", false},
	} {
		if got, err := parse(bad.in, bad.response); err == nil {
			t.Errorf("parse %q (response %t) = %+v, want an error", bad.in, bad.response, got)
		}
	}
}

// TestDeflateParamsString checks the offers of sections 12 and 13 as sent,
// and that each reads back as written.
func TestDeflateParamsString(t *testing.T) {
	want := []string{
		"permessage-deflate; client_no_context_takeover; client_max_window_bits",
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover",
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=8",
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_max_window_bits=15",
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8",
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=15",
		"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8, " +
			"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover, " +
			"permessage-deflate; client_no_context_takeover; client_max_window_bits",
	}
	for i, p := range compressionParamSets {
		if got := p.compress.offerHeader(); got != want[i] {
			t.Errorf("13.%d offers %q, want %q", i+1, got, want[i])
		}
		for _, o := range p.compress.Offers {
			exts, err := parseExtensions([]string{o.String()})
			if err != nil {
				t.Fatal(err)
			}
			if back, err := parseDeflate(exts[0], false); err != nil || back != o {
				t.Errorf("%q reads back as %+v, %v", o.String(), back, err)
			}
		}
	}
}

func TestCheckResponse(t *testing.T) {
	offer := func(i int) *Compression { return compressionParamSets[i-1].compress }
	tests := []struct {
		comp    *Compression
		answer  []string
		want    string // the accepted parameters; "" for none
		wantErr string
	}{
		{nil, nil, "", ""},
		{offer(1), nil, "", ""},
		{offer(1), []string{"permessage-deflate"}, "permessage-deflate", ""},
		{offer(1), []string{"permessage-deflate; client_no_context_takeover; client_max_window_bits=9"},
			"permessage-deflate; client_no_context_takeover; client_max_window_bits=9", ""},
		// server parameters the client did not ask for are the server's choice
		{offer(1), []string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=10"},
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=10", ""},
		{offer(2), []string{"permessage-deflate"}, "", "server_no_context_takeover was requested but not granted"},
		{offer(3), []string{"permessage-deflate"}, "", "server_max_window_bits=8 was requested but not granted"},
		{offer(3), []string{"permessage-deflate; server_max_window_bits=9"}, "", "exceeds the 8 requested"},
		{offer(3), []string{"permessage-deflate; server_max_window_bits=8"}, "permessage-deflate; server_max_window_bits=8", ""},
		{offer(4), []string{"permessage-deflate; server_max_window_bits=12"}, "permessage-deflate; server_max_window_bits=12", ""},
		// 13.7: any of the three offers may be accepted
		{offer(7), []string{"permessage-deflate"}, "permessage-deflate", ""},
		{offer(7), []string{"permessage-deflate; server_no_context_takeover"}, "permessage-deflate; server_no_context_takeover", ""},
		{offer(2), []string{"permessage-deflate; server_max_window_bits=9"}, "", "accepts no offer"},
		{nil, []string{"permessage-deflate"}, "", "none was offered"},
		{offer(1), []string{"x-webkit-deflate-frame"}, "", "only one permessage-deflate was offered"},
		{offer(1), []string{"permessage-deflate", "permessage-deflate"}, "", "only one permessage-deflate was offered"},
		{offer(1), []string{"permessage-deflate; client_max_window_bits"}, "", "without a value"},
		{offer(1), []string{"permessage-deflate; foo"}, "", "unknown parameter foo"},
		{offer(1), []string{"permessage-deflate;"}, "", "malformed"},
	}
	for _, tt := range tests {
		got, err := checkResponse(tt.comp, tt.answer)
		var gotS string
		if got != nil {
			gotS = got.String()
		}
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("answer %q: %v", tt.answer, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("answer %q: error %v, want one about %q", tt.answer, err, tt.wantErr)
		case gotS != tt.want:
			t.Errorf("answer %q: accepted %q, want %q", tt.answer, gotS, tt.want)
		}
	}
	// A client_max_window_bits answer needs an offer of it.
	plain := &Compression{Offers: []DeflateParams{{}}}
	if _, err := checkResponse(plain, []string{"permessage-deflate; client_max_window_bits=10"}); err == nil ||
		!strings.Contains(err.Error(), "client_max_window_bits was not offered") {
		t.Errorf("unoffered client_max_window_bits: %v", err)
	}
	valued := &Compression{Offers: []DeflateParams{{ClientMaxWindowBits: 10}}}
	if _, err := checkResponse(valued, []string{"permessage-deflate; client_max_window_bits=11"}); err == nil ||
		!strings.Contains(err.Error(), "exceeds the 10 offered") {
		t.Errorf("client_max_window_bits above the offer: %v", err)
	}
}

// TestAcceptOffers plays section 13's accept functions against the offers
// clients make: wsx's default, one without client_max_window_bits, one with
// a value, and broken ones.
func TestAcceptOffers(t *testing.T) {
	const (
		wsxOffer = "permessage-deflate; client_max_window_bits"
		plain    = "permessage-deflate"
		valued   = "permessage-deflate; client_max_window_bits=10"
	)
	tests := []struct {
		set      int
		offer    []string
		response string // "" when declined
		note     string
		bad      bool
	}{
		{1, []string{wsxOffer}, "permessage-deflate", "", false},
		{2, []string{wsxOffer}, "permessage-deflate; client_no_context_takeover", "", false},
		{3, []string{wsxOffer}, "permessage-deflate; client_max_window_bits=8", "", false},
		{4, []string{wsxOffer}, "permessage-deflate; client_max_window_bits=15", "", false},
		{5, []string{wsxOffer}, "permessage-deflate; client_no_context_takeover; client_max_window_bits=8", "", false},
		{6, []string{wsxOffer}, "permessage-deflate; client_no_context_takeover; client_max_window_bits=15", "", false},
		{7, []string{wsxOffer}, "permessage-deflate; client_no_context_takeover; client_max_window_bits=8", "", false},
		{3, []string{plain}, "", "no offer of the client", false},
		{6, []string{plain}, "", "no offer of the client", false},
		{7, []string{plain}, "permessage-deflate; client_no_context_takeover", "", false},
		{4, []string{valued}, "permessage-deflate; client_max_window_bits=10", "", false},
		{3, []string{valued}, "permessage-deflate; client_max_window_bits=8", "", false},
		// the server's own parameters come back as the client asked
		{1, []string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=9"},
			"permessage-deflate; server_no_context_takeover; server_max_window_bits=9", "", false},
		// a later offer is taken when an earlier one does not suit
		{3, []string{"permessage-deflate, permessage-deflate; client_max_window_bits"}, "permessage-deflate; client_max_window_bits=8", "", false},
		{1, nil, "", "offered no permessage-deflate", false},
		{1, []string{"x-foo"}, "", "offered no permessage-deflate", false},
		{1, []string{"permessage-deflate; client_max_window_bits=16"}, "", "break RFC 7692", true},
		{1, []string{"permessage-deflate; bogus, permessage-deflate"}, "permessage-deflate", "break RFC 7692", true},
		{1, []string{"permessage-deflate; ="}, "", "malformed", true},
	}
	for _, tt := range tests {
		n := acceptOffers(compressionParamSets[tt.set-1].compress, tt.offer)
		if n.response != tt.response || (n.params == nil) != (tt.response == "") ||
			!strings.Contains(n.note, tt.note) || (tt.note == "") != (n.note == "") || n.badOffer != tt.bad {
			t.Errorf("13.%d, offer %q: response %q, note %q, bad %t; want %q, note about %q, bad %t",
				tt.set, tt.offer, n.response, n.note, n.badOffer, tt.response, tt.note, tt.bad)
		}
	}
	if n := acceptOffers(nil, []string{wsxOffer}); n.params != nil || n.note != "" {
		t.Errorf("a case without compression accepted %q (%s)", n.response, n.note)
	}
}

// roundTrip sends msgs through a deflater and an inflater set up for
// params, and returns the compressed sizes.
func roundTrip(t *testing.T, p DeflateParams, serverSends bool, msgs [][]byte) []int {
	t.Helper()
	send := newDeflateConn(p, serverSends, 1<<20).send
	recv := newDeflateConn(p, !serverSends, 1<<20).recv
	var sizes []int
	for i, m := range msgs {
		c := send.compress(m)
		sizes = append(sizes, len(c))
		got, err := recv.decompress(c)
		if err != nil {
			t.Fatalf("%s, server sends %t: message %d: %v", p, serverSends, i, err)
		}
		if !bytes.Equal(got, m) {
			t.Fatalf("%s, server sends %t: message %d came out different", p, serverSends, i)
		}
	}
	return sizes
}

func TestDeflateRoundTrip(t *testing.T) {
	src := dataJSON.bytes()
	var msgs [][]byte
	pos := 0
	for _, n := range []int{0, 1, 16, 300, 5000, 70000, 16, 20000} {
		msgs = append(msgs, nextPiece(src, &pos, n))
	}
	msgs = append(msgs, msgs[7]) // a repeat: takeover makes it nearly free
	for _, bits := range []int{0, 8, 9, 12, 15} {
		for _, noCtx := range []bool{false, true} {
			for _, server := range []bool{false, true} {
				p := DeflateParams{ServerNoContextTakeover: noCtx, ClientNoContextTakeover: noCtx}
				if server {
					p.ServerMaxWindowBits = bits
				} else {
					p.ClientMaxWindowBits = bits
				}
				sizes := roundTrip(t, p, server, msgs)
				repeat, first := sizes[len(sizes)-1], sizes[7]
				if takeover := repeat < first/4; takeover == noCtx && (bits == 0 || bits == 15) {
					t.Errorf("%s, server sends %t: a repeated 20000-octet message compresses to %d after %d: context takeover %t",
						p, server, repeat, first, takeover)
				}
			}
		}
	}
}

// TestInflaterCatches feeds the inflater what broken peers send.
func TestInflaterCatches(t *testing.T) {
	msg := dataJSON.bytes()[:4000]

	// Context takeover after agreeing not to use it.
	taking := newDeflater(false, 15)
	strict := newInflater(true, 15, 1<<20)
	if _, err := strict.decompress(taking.compress(msg)); err != nil {
		t.Fatal(err)
	}
	if _, err := strict.decompress(taking.compress(msg)); err == nil {
		t.Error("a message referring to the one before decompressed without context takeover")
	}

	// A window of 32 KiB after agreeing to 2^8 octets: the repeat is
	// 2000 octets back.
	random := make([]byte, 2000)
	r := rng{s: 1}
	for i := range random {
		random[i] = byte(r.next())
	}
	far := append(append([]byte(nil), random...), random[:500]...)
	small := newInflater(false, 8, 1<<20)
	if _, err := small.decompress(newDeflater(false, 15).compress(far)); !errors.Is(err, errTooFar) {
		t.Errorf("a 2000-octet distance in a 256-octet window: %v, want errTooFar", err)
	}
	if got, err := newInflater(false, 12, 1<<20).decompress(newDeflater(false, 15).compress(far)); err != nil || !bytes.Equal(got, far) {
		t.Errorf("a 2000-octet distance in a 4096-octet window: %v", err)
	}
	// The window limit holds across messages too.
	small = newInflater(false, 8, 1<<20)
	d := newDeflater(false, 15)
	if _, err := small.decompress(d.compress(random)); err != nil {
		t.Fatal(err)
	}
	if _, err := small.decompress(d.compress(random[:500])); err == nil {
		t.Error("a reference 2000 octets back into the last message passed a 256-octet window")
	}

	// RSV1 on data that is not compressed.
	if _, err := newInflater(false, 15, 1<<20).decompress([]byte("Hello, world! Not compressed at all.")); err == nil {
		t.Error("uncompressed text decompressed")
	}
	// More than the limit.
	big := newDeflater(false, 15).compress(make([]byte, 100000))
	if _, err := newInflater(false, 15, 99999).decompress(big); err == nil || !strings.Contains(err.Error(), "more than 99999") {
		t.Errorf("100000 octets with a limit of 99999: %v", err)
	}
	if got, err := newInflater(false, 15, 100000).decompress(big); err != nil || len(got) != 100000 {
		t.Errorf("100000 octets with a limit of 100000: %d, %v", len(got), err)
	}
	// A final block inside the message is allowed (RFC 7692 §7.2.3.1).
	var fin bytes.Buffer
	w, _ := flate.NewWriter(&fin, 5)
	w.Write(msg)
	w.Close()
	if got, err := newInflater(false, 15, 1<<20).decompress(fin.Bytes()); err != nil || !bytes.Equal(got, msg) {
		t.Errorf("a message ending with a final block: %v", err)
	}
}

// TestDeflateScan checks the distances the scanner finds against streams
// made to hold a known longest distance.
func TestDeflateScan(t *testing.T) {
	r := rng{s: 7}
	random := make([]byte, 40000)
	for i := range random {
		random[i] = byte(r.next())
	}
	compress := func(level int, p []byte) []byte {
		var b bytes.Buffer
		w, err := flate.NewWriter(&b, level)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p)
		w.Close()
		return b.Bytes()
	}
	for _, dist := range []int{7, 100, 256, 257, 1000, 4096, 20000, 32768} {
		// Random octets, then a repeat of the first 100 of them (or dist)
		// dist octets after they started: no other match is long enough.
		// (Level 1 leaves its matches out of data this random.)
		p := append(bytes.Clone(random[:dist]), random[:min(dist, 100)]...)
		for _, level := range []int{2, 5, 9} {
			got, err := deflateScan(compress(level, p))
			if err != nil || got != dist {
				t.Errorf("level %d, repeat at %d: scan found %d, %v", level, dist, got, err)
			}
		}
	}
	// Stored blocks and Huffman-only blocks hold no distances.
	for _, level := range []int{flate.NoCompression, flate.HuffmanOnly} {
		if got, err := deflateScan(compress(level, dataHTML.bytes()[:100000])); err != nil || got != 0 {
			t.Errorf("level %d: %d, %v", level, got, err)
		}
	}
	// Fixed Huffman blocks: a short message.
	if got, err := deflateScan(compress(9, []byte("abcabcabcabc"))); err != nil || got != 3 {
		t.Errorf("fixed block: %d, %v", got, err)
	}
	// Every window klauspost writes keeps its limit, on every data set.
	for _, bits := range []int{8, 10, 13} {
		for _, d := range []*dataSet{dataJSON, dataGerman, dataHTML} {
			var b bytes.Buffer
			w, _ := kflate.NewWriterWindow(&b, 1<<bits)
			w.Write(d.bytes()[:100000])
			w.Close()
			got, err := deflateScan(b.Bytes())
			if err != nil || got > 1<<bits || got < 1<<bits/2 {
				t.Errorf("window 2^%d, %.20s: longest distance %d, %v", bits, d.desc, got, err)
			}
		}
	}
	good := compress(6, dataJSON.bytes()[:10000])
	for name, bad := range map[string][]byte{
		"empty":            nil,
		"cut short":        good[:len(good)/2],
		"block type 3":     {0x07},
		"stored length":    {0x01, 0x05, 0x00, 0x00, 0x00},
		"stored cut short": {0x01, 0x05, 0x00, 0xfa, 0xff, 'a'},
		"no final block":   {0x00, 0x00, 0x00, 0xff, 0xff},
	} {
		if _, err := deflateScan(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestDataSets checks the generated payloads: the same on every run, text
// that stays valid UTF-8 however it is cut, and compressibility of the
// kind each stands in for.
func TestDataSets(t *testing.T) {
	sets := []struct {
		d                *dataSet
		min, max         int
		ratioLo, ratioHi float64 // compressed / original at level 6
	}{
		{dataJSON, 190 << 10, 200 << 10, 0.1, 0.35},
		{dataBitmap, 263222, 263222, 0.4, 0.75},
		{dataGerman, 215 << 10, 225 << 10, 0.2, 0.5},
		{dataHTML, 255 << 10, 265 << 10, 0.1, 0.35},
		{dataPDF, 1 << 20, 1<<20 + 64<<10, 0.85, 1.01},
	}
	for _, s := range sets {
		b := s.d.bytes()
		if len(b) < s.min || len(b) > s.max {
			t.Errorf("%.30s: %d octets, want %d to %d", s.d.desc, len(b), s.min, s.max)
		}
		if !bytes.Equal(s.d.gen(), b) {
			t.Errorf("%.30s: generated twice, different", s.d.desc)
		}
		var c bytes.Buffer
		w, _ := flate.NewWriter(&c, 6)
		w.Write(b)
		w.Close()
		if ratio := float64(c.Len()) / float64(len(b)); ratio < s.ratioLo || ratio > s.ratioHi {
			t.Errorf("%.30s: compresses to %.2f of its size, want %.2f to %.2f", s.d.desc, ratio, s.ratioLo, s.ratioHi)
		}
		if !s.d.binary {
			for i, c := range b {
				if c >= 0x80 {
					t.Errorf("%.30s: octet %d is %#x: text data must be ASCII so that any piece is valid UTF-8", s.d.desc, i, c)
					break
				}
			}
		}
	}
	if g := dataGerman.bytes(); !utf8.Valid(g) || !bytes.Contains(g, []byte("ü")) {
		t.Error("the German text is not UTF-8 with umlauts")
	}
	if bm := dataBitmap.bytes(); string(bm[:2]) != "BM" {
		t.Errorf("bitmap starts with %q", bm[:2])
	}
}

func TestNextPiece(t *testing.T) {
	src := []byte("abcdefg")
	pos := 0
	var got []string
	for _, n := range []int{3, 3, 3, 10, 0, 1} {
		got = append(got, string(nextPiece(src, &pos, n)))
	}
	want := []string{"abc", "def", "gab", "cdefgabcde", "", "f"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pieces %q, want %q", got, want)
	}
}

// TestWithMessageCount checks that a shortened case is a copy: the
// original keeps Autobahn's count.
func TestWithMessageCount(t *testing.T) {
	cases := Select(Cases(), []string{"12.1.1", "1.1.1"}, nil)
	short := WithMessageCount(cases, 7)
	if short[0] != cases[0] {
		t.Error("case 1.1.1 was rebuilt")
	}
	if !strings.Contains(short[1].Description, "Send 7 compressed") || !strings.Contains(cases[1].Description, "Send 1000 compressed") {
		t.Errorf("descriptions: %q / %q", short[1].Description, cases[1].Description)
	}
	again := WithMessageCount(Select(Cases(), []string{"12.1.1"}, nil), 0)
	if !strings.Contains(again[0].Description, "Send 1000 compressed") {
		t.Errorf("after shortening a copy, the registered case says %q", again[0].Description)
	}
}

// TestPausedWireLog checks that a paused wire log keeps the last entries,
// in order, and says how many it left out.
func TestPausedWireLog(t *testing.T) {
	s := newSession(nil, nil, false, negotiation{})
	s.logEvent("before")
	s.PauseWireLog()
	for i := range 100 {
		s.logFrame("TX", true, 4, 2, []byte{byte(i)})
	}
	s.logEvent("last")
	s.ResumeWireLog()
	s.logEvent("after")
	var got []string
	for _, e := range s.log {
		got = append(got, e.Text)
	}
	want := []string{"before", "wire log paused: only the last 16 entries before it resumes are kept", "85 entries left out of the log"}
	for range 15 {
		want = append(want, "frame op=2 fin=true rsv=4 len=1")
	}
	want = append(want, "last", "wire log resumed", "after")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("log:\n%q\nwant\n%q", got, want)
	}
	if p := s.log[3].Payload; len(p) != 1 || p[0] != 85 {
		t.Errorf("first kept frame has payload %v, want [85]", p)
	}
	if p := s.log[17].Payload; len(p) != 1 || p[0] != 99 {
		t.Errorf("last kept frame has payload %v, want [99]", p)
	}
}
