package main

import (
	"bytes"
	"encoding/json"
	"net"
	"testing"

	"github.com/klauspost/compress/flate"
)

func TestParseDeflateAnswer(t *testing.T) {
	tests := []struct {
		in      string
		want    deflateParams
		wantErr bool
	}{
		{in: "permessage-deflate", want: deflateParams{serverBits: 15, clientBits: 15}},
		{in: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
			want: deflateParams{serverNoTakeover: true, clientNoTakeover: true, serverBits: 15, clientBits: 15}},
		{in: "permessage-deflate;client_no_context_takeover", want: deflateParams{clientNoTakeover: true, serverBits: 15, clientBits: 15}},
		{in: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=10", want: deflateParams{serverBits: 12, clientBits: 10}},
		{in: `permessage-deflate; server_max_window_bits="9"`, want: deflateParams{serverBits: 9, clientBits: 15}},
		{in: "", wantErr: true},
		{in: "x-webkit-deflate-frame", wantErr: true},
		{in: "permessage-deflate, permessage-deflate", wantErr: true},
		{in: "permessage-deflate; server_no_context_takeover; server_no_context_takeover", wantErr: true},
		{in: "permessage-deflate; server_no_context_takeover=1", wantErr: true},
		{in: "permessage-deflate; server_max_window_bits=16", wantErr: true},
		{in: "permessage-deflate; client_max_window_bits=7", wantErr: true},
		{in: "permessage-deflate; client_max_window_bits", wantErr: true},
		{in: "permessage-deflate; foo", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseDeflateAnswer(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseDeflateAnswer(%q) = %+v, nil; want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDeflateAnswer(%q) = %+v, %v; want %+v, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestJSONLike(t *testing.T) {
	for _, size := range []int{1 << 10, 64 << 10} {
		a, b := jsonLike(size, 1), jsonLike(size, 1)
		if len(a) != size {
			t.Fatalf("jsonLike(%d, 1): got %d bytes, want %d", size, len(a), size)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("jsonLike(%d, 1) differs between calls", size)
		}
		if bytes.Equal(a, jsonLike(size, 2)) {
			t.Errorf("jsonLike(%d, 1) and jsonLike(%d, 2) are equal", size, size)
		}
		var v []map[string]any
		if err := json.Unmarshal(a, &v); err != nil || len(v) == 0 {
			t.Errorf("jsonLike(%d, 1): got %d records, error %v; want valid JSON records", size, len(v), err)
		}
	}
	msg := jsonLike(64<<10, 1)
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	fw.Write(msg)
	fw.Flush()
	if r := float64(buf.Len()) / float64(len(msg)); r < 0.15 || r > 0.25 {
		t.Errorf("level-1 DEFLATE of jsonLike(64 KiB): got %.1f%% of its size, want 15%% to 25%%", 100*r)
	}
}

func TestAppendWindow(t *testing.T) {
	seq := func(from, n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(from + i)
		}
		return p
	}
	var h []byte
	h = appendWindow(h, seq(0, 1000))
	if !bytes.Equal(h, seq(0, 1000)) {
		t.Fatalf("after 1000 bytes: got %d bytes of history, want the 1000", len(h))
	}
	h = appendWindow(h, seq(1000, deflateWindow))
	if !bytes.Equal(h, seq(1000, deflateWindow)) {
		t.Fatalf("after a window-sized append: got %d bytes starting %d, want %d starting 1000", len(h), h[0], deflateWindow)
	}
	h = appendWindow(h, seq(1000+deflateWindow, 10))
	if !bytes.Equal(h, seq(1010, deflateWindow)) {
		t.Fatalf("after 10 more bytes: got %d bytes starting %d, want %d starting at byte 1010", len(h), h[0], deflateWindow)
	}
}

// TestDeflateServers runs a few round trips of the load client against
// every deflate server, in process, in each mode it supports, and checks
// what was negotiated.
func TestDeflateServers(t *testing.T) {
	for name, ds := range deflateServers {
		for _, mode := range []string{deflateNoTakeover, deflateTakeover} {
			if mode == deflateTakeover && ds.NoTakeover != "" {
				continue
			}
			t.Run(name+"/"+mode, func(t *testing.T) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				stop := ds.Serve(ln, mode == deflateTakeover)
				defer stop()
				c, err := dialDeflate(ln.Addr().String(), mode, 64<<10, 0)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer c.Close()
				if c.takeover != (mode == deflateTakeover) {
					t.Errorf("takeover %v with %q, want %v", c.takeover, c.ext, mode == deflateTakeover)
				}
				for i := range 2 * deflateMessages {
					if err := c.roundTrip(); err != nil {
						t.Fatalf("round trip %d: %v", i, err)
					}
				}
				if r := float64(c.wire) / float64(c.echoed*int64(c.size)); r > 0.3 {
					t.Errorf("the server sent %.0f%% of the payload, want less than 30%%", 100*r)
				}
			})
		}
	}
}
