package proxy

import "testing"

// TestSplitTarget checks the target rules Connect and SOCKS5 share.
func TestSplitTarget(t *testing.T) {
	tests := []struct {
		target string
		host   string
		port   uint16
		ok     bool
	}{
		{"example.com:443", "example.com", 443, true},
		{"example.com:1", "example.com", 1, true},
		{"example.com:65535", "example.com", 65535, true},
		{"192.0.2.1:80", "192.0.2.1", 80, true},
		{"[2001:db8::1]:443", "2001:db8::1", 443, true},
		{"[::ffff:192.0.2.1]:443", "::ffff:192.0.2.1", 443, true},
		{"xn--bcher-kva.example:443", "xn--bcher-kva.example", 443, true},
		{"bücher.example:443", "bücher.example", 443, true}, // names are taken as given
		{"under_score.example:443", "under_score.example", 443, true},
		{"example.com", "", 0, false},
		{"example.com:", "", 0, false},
		{":443", "", 0, false},
		{"example.com:0", "", 0, false},
		{"example.com:65536", "", 0, false},
		{"example.com:+443", "", 0, false},
		{"example.com:4_43", "", 0, false},
		{"example.com: 443", "", 0, false},
		{"[::1]", "", 0, false},
		{"::1:443", "", 0, false},
		{"[fe80::1%eth0]:443", "", 0, false},
		{"[example.com]:443", "", 0, false},
		{"[192.0.2.1:443", "", 0, false},
		{"exa mple.com:443", "", 0, false},
		{"exa\tmple.com:443", "", 0, false},
		{"exa\x7fmple.com:443", "", 0, false},
		{"a/b:443", "", 0, false},
		{"a?b:443", "", 0, false},
		{"a#b:443", "", 0, false},
		{"u@a:443", "", 0, false},
		{"a\\b:443", "", 0, false},
	}
	for _, tt := range tests {
		host, port, err := splitTarget(tt.target)
		if (err == nil) != tt.ok || host != tt.host || port != tt.port {
			t.Errorf("splitTarget(%q) = %q, %d, %v; want %q, %d, ok %v", tt.target, host, port, err, tt.host, tt.port, tt.ok)
		}
	}
}
