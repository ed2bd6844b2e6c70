package proxy

import (
	"net/netip"
	"strings"
	"testing"
)

// TestNoProxy checks the NO_PROXY matcher on entries the FromEnvironment
// table does not reach.
func TestNoProxy(t *testing.T) {
	tests := []struct {
		list, host, port string
		want             bool
	}{
		{"", "example.com", "80", false},
		{"*", "", "80", true},
		{"a.example, *", "example.com", "80", true},
		{"*foo.com", "foo.com", "80", false}, // "*" only as "*." is a wildcard
		{"*foo.com", "a.foo.com", "80", false},
		{":80", "example.com", "80", false}, // no host: ignored
		{"[", "example.com", "80", false},
		{"[]", "example.com", "80", false},
		{"example.com:", "example.com", "8080", true}, // an empty port is any port
		{"example.com.", "example.com", "80", false},
		{".", "example.com", "80", false},
		{"com", "example.com", "80", true},
		{"fe80::1", "fe80::1%eth0", "80", true}, // zones are not compared
		{"::ffff:192.0.2.1", "192.0.2.1", "80", true},
		{"192.0.2.1", "::ffff:192.0.2.1", "80", true},
		{"192.0.2.0/24", "::ffff:192.0.2.9", "80", true},
		{"192.0.2.0/24:80", "192.0.2.9", "80", false}, // a CIDR takes no port
		{"0.0.0.0/0", "example.com", "80", false},
		{"::/0", "2001:db8::1", "80", true},
		{"::/0", "192.0.2.1", "80", false},
		{"EXAMPLE.com", "Example.COM", "80", true},
		{"a.example\nb.example", "b.example", "80", true},
		{"a.example\r\nb.example", "b.example", "80", true},
	}
	for _, tt := range tests {
		if got := noProxy(tt.list, tt.host, tt.port); got != tt.want {
			t.Errorf("noProxy(%q, %q, %q) = %v, want %v", tt.list, tt.host, tt.port, got, tt.want)
		}
	}
}

// FuzzNoProxy checks the NO_PROXY matcher for panics and for rules that
// hold of every list: "*" matches all, adding an entry never removes a
// match, a host always matches an entry of its own, and ASCII case does not
// matter.
func FuzzNoProxy(f *testing.F) {
	f.Add("example.com", "a.example.com", "80")
	f.Add(".example.com:443", "example.com", "443")
	f.Add("*.example.com", "x.example.com", "8080")
	f.Add("10.0.0.0/8,192.0.2.1:80", "10.1.2.3", "80")
	f.Add("[2001:db8::1]:443 2001:db8::/32", "2001:db8::1", "443")
	f.Add("*", "", "")
	f.Add("[::1", "::1", "1")
	f.Fuzz(func(t *testing.T, list, host, port string) {
		got := noProxy(list, host, port)
		if !noProxy("*", host, port) {
			t.Fatal(`"*" did not match`)
		}
		if got && !noProxy(list+",example.net", host, port) {
			t.Fatalf("adding an entry to %q lost the match", list)
		}
		if self := ownEntry(host); self != "" && !noProxy(list+","+self, host, port) {
			t.Fatalf("%q does not match %q", self, host)
		}
		if noProxy(asciiUpper(list), host, port) != got || noProxy(list, asciiUpper(host), port) != got {
			t.Fatalf("case changed the answer for %q, %q", list, host)
		}
	})
}

// ownEntry returns a NO_PROXY entry that must match host, or "" if host
// is not a plain name or address.
func ownEntry(host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.WithZone("").String()
	}
	if host == "" || host[0] == '.' || host[0] == '*' || host[0] == '[' {
		return ""
	}
	for i := 0; i < len(host); i++ {
		c := host[i] | 0x20
		if !('a' <= c && c <= 'z' || '0' <= host[i] && host[i] <= '9' || host[i] == '.' || host[i] == '-') {
			return ""
		}
	}
	if _, err := netip.ParsePrefix(host); err == nil {
		return ""
	}
	return host
}

// asciiUpper is strings.ToUpper for ASCII letters only, so that byte
// lengths stay the same.
func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}
