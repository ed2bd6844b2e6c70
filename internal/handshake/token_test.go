package handshake

import "testing"

// TestEqualToken checks that only ASCII letters fold.
func TestEqualToken(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"permessage-deflate", "PerMessage-Deflate", true},
		{"UTF-8", "utf-8", true},
		{"", "", true},
		{"a", "ab", false},
		{"a-b", "a_b", false},
		{"kelvin", "\u212aelvin", false}, // U+212A KELVIN SIGN folds to k in Unicode, not here
		{"[", "{", false},                // 0x5B and 0x7B differ by the case bit, but are not letters
		{"caf\xc3\xa9", "caf\xc3\xa9", true},
	}
	for _, tt := range tests {
		if got := EqualToken(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualToken(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
