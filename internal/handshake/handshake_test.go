package handshake

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAcceptKey checks the accept hash against known answers.
func TestAcceptKey(t *testing.T) {
	tests := []struct{ key, want string }{
		// RFC 6455 §1.3 (and §4.2.2, item 5.4).
		{"dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
		// The example of the WebSocket article on Wikipedia.
		{"x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
	}
	for _, tt := range tests {
		if got := AcceptKey(tt.key); got != tt.want {
			t.Errorf("AcceptKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// TestValidKey checks RFC 6455 §4.2.1 item 5: the key is a base64-encoded
// value that decodes to 16 bytes.
func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"dGhlIHNhbXBsZSBub25jZQ==", true},
		{"x3JJHMbDL1EzLkh9GBhXDw==", true},
		{"AAAAAAAAAAAAAAAAAAAAAA==", true},
		{"", false},
		{"dGhlIHNhbXBsZSBub25jZQ=", false},    // 23 characters, bad padding
		{"dGhlIHNhbXBsZSBub25jZQ", false},     // no padding
		{"dGhlIHNhbXBsZSBub25jZQ===", false},  // 25 characters
		{"AAAAAAAAAAAAAAAAAAAAAAAA", false},   // 24 characters, 18 bytes
		{"AAAAAAAAAAAAAAAAAAAAAAA=", false},   // 24 characters, 17 bytes
		{"AAAAAAAAAAAAAAAAAAAA====", false},   // too much padding
		{"dGhlIHNhbXBsZSBub25jZQ=\n", false},  // newline in place of padding
		{" dGhlIHNhbXBsZSBub25jZQ=", false},   // space inside
		{"dGhlIHNhbXBs-SBub25jZQ==", false},   // URL alphabet
		{"dGhlIHNhbXBs_SBub25jZQ==", false},   // URL alphabet
		{"dGhlIHNhbXBs!SBub25jZQ==", false},   // not base64
		{"dGhlIHNhbXBsZSBub25jZQ==\r", false}, // trailing CR
		{"the sample nonce", false},
	}
	for _, tt := range tests {
		if got := ValidKey(tt.key); got != tt.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// TestNewKey checks that keys are valid (RFC 6455 §4.1 item 7) and fresh.
func TestNewKey(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		k := NewKey()
		if !ValidKey(k) {
			t.Fatalf("NewKey() = %q is not a valid key", k)
		}
		if seen[k] {
			t.Fatalf("NewKey() repeated %q", k)
		}
		seen[k] = true
	}
}

// header builds an http.Header holding the given values of name, each added
// as a separate field line.
func header(name string, values ...string) http.Header {
	h := make(http.Header)
	for _, v := range values {
		h.Add(name, v)
	}
	return h
}

// TestHasToken checks the comma-separated list rule of RFC 7230 §7 with
// case-insensitive token comparison (RFC 6455 §4.2.1 items 3 and 4).
func TestHasToken(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		token  string
		want   bool
	}{
		{"single", []string{"Upgrade"}, "upgrade", true},
		{"upper case", []string{"UPGRADE"}, "upgrade", true},
		{"mixed case token", []string{"upgrade"}, "UpGrAdE", true},
		{"list", []string{"keep-alive, Upgrade"}, "upgrade", true},
		{"list first", []string{"Upgrade,keep-alive"}, "upgrade", true},
		{"list with tabs", []string{"keep-alive,\tUpgrade\t"}, "upgrade", true},
		{"empty elements", []string{",, ,Upgrade,"}, "upgrade", true},
		{"second field line", []string{"keep-alive", "Upgrade"}, "upgrade", true},
		{"websocket", []string{"websocket"}, "websocket", true},
		{"absent", []string{"keep-alive"}, "upgrade", false},
		{"no header", nil, "upgrade", false},
		{"empty value", []string{""}, "upgrade", false},
		{"prefix of element", []string{"upgrades"}, "upgrade", false},
		{"suffix of element", []string{"noupgrade"}, "upgrade", false},
		{"inner space", []string{"up grade"}, "upgrade", false},
		{"semicolon is not a separator", []string{"keep-alive;upgrade"}, "upgrade", false},
		{"parameters are part of the element", []string{"websocket; q=1"}, "websocket", false},
		// Tokens are ASCII (RFC 7230 §3.2.6): no Unicode case folding,
		// where K (U+212A KELVIN SIGN) folds to k and ſ (U+017F) to s.
		{"kelvin sign", []string{"websoc\u212Aet"}, "websocket", false},
		{"long s", []string{"web\u017Focket"}, "websocket", false},
		// Optional whitespace is SP and HTAB only (RFC 7230 §3.2.3).
		{"no-break space", []string{"\u00a0upgrade"}, "upgrade", false},
		{"next line", []string{"upgrade\u0085"}, "upgrade", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Header names are case-insensitive too.
			for _, name := range []string{"Connection", "connection", "CONNECTION"} {
				if got := HasToken(header(name, tt.values...), "Connection", tt.token); got != tt.want {
					t.Fatalf("HasToken(%s: %q, %q) = %v, want %v", name, tt.values, tt.token, got, tt.want)
				}
			}
		})
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		values []string
		want   []string
	}{
		{nil, nil},
		{[]string{""}, nil},
		{[]string{" , ,"}, nil},
		{[]string{"chat"}, []string{"chat"}},
		{[]string{"chat, superchat"}, []string{"chat", "superchat"}},
		{[]string{"chat,\tsuperchat ", "v2.json"}, []string{"chat", "superchat", "v2.json"}},
		{[]string{"\u00a0chat"}, []string{"\u00a0chat"}}, // OWS is SP and HTAB only
		{[]string{"permessage-deflate; client_max_window_bits, x-ext"}, []string{"permessage-deflate; client_max_window_bits", "x-ext"}},
	}
	for _, tt := range tests {
		if got := Tokens(header("Sec-WebSocket-Protocol", tt.values...), "Sec-WebSocket-Protocol"); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.values, got, tt.want)
		}
	}
}

// TestValidToken checks the token grammar of RFC 7230 §3.2.6 that RFC 6455
// §4.1 item 10 requires of subprotocol names.
func TestValidToken(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"chat", true},
		{"v2.json.example.com", true},
		{"a", true},
		{"!#$%&'*+-.^_`|~09AZaz", true}, // every tchar class
		{"", false},
		{"with space", false},
		{"tab\t", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"caf\u00e9", false},
		{"\x80", false},
	}
	for _, c := range `()<>@,;:\"/[]?={}` {
		tests = append(tests, struct {
			s    string
			want bool
		}{"a" + string(c) + "b", false})
	}
	for c := range 0x20 {
		tests = append(tests, struct {
			s    string
			want bool
		}{"a" + string(rune(c)), false})
	}
	for _, tt := range tests {
		if got := ValidToken(tt.s); got != tt.want {
			t.Errorf("ValidToken(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestHasCRLF(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"", false},
		{"chat", false},
		{"a\tb", false},
		{"a\rb", true},
		{"a\nb", true},
		{"a\r\nX-Injected: 1", true},
		{strings.Repeat("x", 100) + "\n", true},
	}
	for _, tt := range tests {
		if got := HasCRLF(tt.s); got != tt.want {
			t.Errorf("HasCRLF(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
