package proxy

import (
	"net/url"
	"strings"
	"testing"
)

// TestFromEnvironment checks every rule of FromEnvironment with a
// map-backed environment.
func TestFromEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		target  string
		want    string // the proxy URL; "" for none
		wantErr string // a part of the error message; "" for no error
	}{
		{name: "empty environment", target: "ws://example.com", want: ""},
		{name: "empty environment, wss", target: "wss://example.com", want: ""},

		// Which variable applies.
		{name: "ws uses HTTP_PROXY", env: map[string]string{"HTTP_PROXY": "http://p:3128"}, target: "ws://example.com", want: "http://p:3128"},
		{name: "ws uses http_proxy", env: map[string]string{"http_proxy": "http://q:3128"}, target: "ws://example.com", want: "http://q:3128"},
		{name: "HTTP_PROXY before http_proxy", env: map[string]string{"HTTP_PROXY": "http://p", "http_proxy": "http://q"}, target: "ws://example.com", want: "http://p"},
		{name: "blank HTTP_PROXY is unset", env: map[string]string{"HTTP_PROXY": "  ", "http_proxy": "http://q"}, target: "ws://example.com", want: "http://q"},
		{name: "wss uses HTTPS_PROXY", env: map[string]string{"HTTPS_PROXY": "http://p:3128"}, target: "wss://example.com", want: "http://p:3128"},
		{name: "wss uses https_proxy", env: map[string]string{"https_proxy": "https://q"}, target: "wss://example.com", want: "https://q"},
		{name: "HTTPS_PROXY before https_proxy", env: map[string]string{"HTTPS_PROXY": "http://p", "https_proxy": "http://q"}, target: "wss://example.com", want: "http://p"},
		{name: "wss ignores HTTP_PROXY", env: map[string]string{"HTTP_PROXY": "http://p", "http_proxy": "http://p"}, target: "wss://example.com", want: ""},
		{name: "ws ignores HTTPS_PROXY", env: map[string]string{"HTTPS_PROXY": "http://p", "https_proxy": "http://p"}, target: "ws://example.com", want: ""},
		{name: "ws falls back on ALL_PROXY", env: map[string]string{"ALL_PROXY": "socks5://s:1080"}, target: "ws://example.com", want: "socks5://s:1080"},
		{name: "wss falls back on ALL_PROXY", env: map[string]string{"ALL_PROXY": "socks5://s:1080", "HTTP_PROXY": "http://p"}, target: "wss://example.com", want: "socks5://s:1080"},
		{name: "all_proxy", env: map[string]string{"all_proxy": "socks5h://s"}, target: "wss://example.com", want: "socks5h://s"},
		{name: "ALL_PROXY before all_proxy", env: map[string]string{"ALL_PROXY": "socks5://a", "all_proxy": "socks5://b"}, target: "ws://example.com", want: "socks5://a"},
		{name: "HTTPS_PROXY before ALL_PROXY", env: map[string]string{"ALL_PROXY": "socks5://a", "https_proxy": "http://p"}, target: "wss://example.com", want: "http://p"},
		{name: "URL scheme in capitals", env: map[string]string{"HTTPS_PROXY": "http://p"}, target: "WSS://example.com", want: "http://p"},

		// Proxy values.
		{name: "host:port means http", env: map[string]string{"HTTP_PROXY": "p.example:3128"}, target: "ws://example.com", want: "http://p.example:3128"},
		{name: "host means http", env: map[string]string{"HTTP_PROXY": "p.example"}, target: "ws://example.com", want: "http://p.example"},
		{name: "IPv6 proxy", env: map[string]string{"HTTP_PROXY": "[2001:db8::2]:3128"}, target: "ws://example.com", want: "http://[2001:db8::2]:3128"},
		{name: "user information kept", env: map[string]string{"ALL_PROXY": "socks5://u:pw@s:1080"}, target: "ws://example.com", want: "socks5://u:pw@s:1080"},
		{name: "user information without scheme", env: map[string]string{"HTTP_PROXY": "u:pw@p:3128"}, target: "ws://example.com", want: "http://u:pw@p:3128"},
		{name: "scheme in capitals", env: map[string]string{"HTTP_PROXY": "SOCKS5://s"}, target: "ws://example.com", want: "socks5://s"},
		{name: "spaces around the value", env: map[string]string{"HTTP_PROXY": " http://p \n"}, target: "ws://example.com", want: "http://p"},
		{name: "https proxy", env: map[string]string{"HTTPS_PROXY": "https://p:8443"}, target: "wss://example.com", want: "https://p:8443"},
		{name: "unknown scheme", env: map[string]string{"HTTP_PROXY": "ftp://p"}, target: "ws://example.com", wantErr: `HTTP_PROXY has scheme "ftp"`},
		{name: "socks4 scheme", env: map[string]string{"ALL_PROXY": "socks4://s"}, target: "wss://example.com", wantErr: "ALL_PROXY has scheme"},
		{name: "no host", env: map[string]string{"HTTP_PROXY": "http://"}, target: "ws://example.com", wantErr: "HTTP_PROXY names no host"},
		{name: "no host but a port", env: map[string]string{"HTTP_PROXY": "http://:3128"}, target: "ws://example.com", wantErr: "names no host"},
		{name: "not a URL", env: map[string]string{"https_proxy": "http://[::1"}, target: "wss://example.com", wantErr: "https_proxy is not a valid URL"},
		{name: "bad value, excluded host", env: map[string]string{"HTTP_PROXY": "ftp://p", "NO_PROXY": "example.com"}, target: "ws://example.com", want: ""},

		// Never proxied.
		{name: "localhost", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://localhost:8080", want: ""},
		{name: "LOCALHOST", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://LOCALHOST", want: ""},
		{name: "127.0.0.1", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://127.0.0.1:8080", want: ""},
		{name: "127.5.6.7", env: map[string]string{"HTTPS_PROXY": "http://p"}, target: "wss://127.5.6.7", want: ""},
		{name: "::1", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://[::1]:8080", want: ""},
		{name: "IPv4-mapped loopback", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://[::ffff:127.0.0.1]", want: ""},
		{name: "localhost.example is proxied", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://localhost.example", want: "http://p"},
		{name: "128.0.0.1 is proxied", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "ws://128.0.0.1", want: "http://p"},

		// NO_PROXY.
		{name: "NO_PROXY *", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "*"}, target: "ws://example.com", want: ""},
		{name: "NO_PROXY * for an IP", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "*"}, target: "ws://192.0.2.1", want: ""},
		{name: "name matches itself", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com"}, target: "ws://example.com/chat", want: ""},
		{name: "name matches subdomains", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com"}, target: "ws://a.b.example.com", want: ""},
		{name: "name does not match other names", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com"}, target: "ws://notexample.com", want: "http://p"},
		{name: "name does not match a parent", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "a.example.com"}, target: "ws://example.com", want: "http://p"},
		{name: "dot name matches subdomains", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": ".example.com"}, target: "ws://a.example.com", want: ""},
		{name: "dot name does not match itself", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": ".example.com"}, target: "ws://example.com", want: "http://p"},
		{name: "star dot name matches subdomains", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "*.example.com"}, target: "ws://a.example.com", want: ""},
		{name: "star dot name does not match itself", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "*.example.com"}, target: "ws://example.com", want: "http://p"},
		{name: "case-insensitive entry", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "EXAMPLE.COM"}, target: "ws://a.example.com", want: ""},
		{name: "case-insensitive host", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com"}, target: "ws://A.Example.COM", want: ""},
		{name: "name with the port", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com:8080"}, target: "ws://example.com:8080", want: ""},
		{name: "name with another port", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com:8080"}, target: "ws://example.com", want: "http://p"},
		{name: "ws default port 80", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "example.com:80"}, target: "ws://example.com", want: ""},
		{name: "wss default port 443", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "example.com:443"}, target: "wss://example.com", want: ""},
		{name: "wss is not port 80", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "example.com:80"}, target: "wss://example.com", want: "http://p"},
		{name: "dot name with the port", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": ".example.com:443"}, target: "wss://a.example.com", want: ""},
		{name: "IP", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "192.0.2.1"}, target: "ws://192.0.2.1:9000", want: ""},
		{name: "other IP", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "192.0.2.1"}, target: "ws://192.0.2.2", want: "http://p"},
		{name: "IP with the port", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "192.0.2.1:80"}, target: "ws://192.0.2.1", want: ""},
		{name: "IP with another port", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "192.0.2.1:81"}, target: "ws://192.0.2.1", want: "http://p"},
		{name: "IPv6", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "2001:db8::1"}, target: "wss://[2001:db8::1]", want: ""},
		{name: "IPv6 spelled otherwise", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "2001:DB8:0::1"}, target: "wss://[2001:db8::1]", want: ""},
		{name: "IPv6 in brackets", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "[2001:db8::1]"}, target: "wss://[2001:db8::1]", want: ""},
		{name: "IPv6 with the port", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "[2001:db8::1]:443"}, target: "wss://[2001:db8::1]", want: ""},
		{name: "IPv6 with another port", env: map[string]string{"HTTPS_PROXY": "http://p", "NO_PROXY": "[2001:db8::1]:80"}, target: "wss://[2001:db8::1]", want: "http://p"},
		{name: "CIDR", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"}, target: "ws://10.20.30.40", want: ""},
		{name: "CIDR not matching", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"}, target: "ws://11.0.0.1", want: "http://p"},
		{name: "CIDR with host bits", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "10.1.2.3/16"}, target: "ws://10.1.200.1", want: ""},
		{name: "IPv6 CIDR", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "2001:db8::/32"}, target: "ws://[2001:db8:1::5]", want: ""},
		{name: "CIDR does not match names", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"}, target: "ws://example.com", want: "http://p"},
		{name: "name does not match an IP", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "0.2.1"}, target: "ws://192.0.2.1", want: "http://p"},
		{name: "IP does not match a name", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "192.0.2.1"}, target: "ws://192.0.2.1.example", want: "http://p"},
		{name: "comma list", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "a.example,b.example"}, target: "ws://b.example", want: ""},
		{name: "comma and space list", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "a.example, b.example"}, target: "ws://b.example", want: ""},
		{name: "space list", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "a.example b.example\tc.example"}, target: "ws://c.example", want: ""},
		{name: "empty entries", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": ",, ,"}, target: "ws://example.com", want: "http://p"},
		{name: "list not matching", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "a.example,b.example"}, target: "ws://c.example", want: "http://p"},
		{name: "no_proxy", env: map[string]string{"HTTP_PROXY": "http://p", "no_proxy": "example.com"}, target: "ws://example.com", want: ""},
		{name: "NO_PROXY before no_proxy", env: map[string]string{"HTTP_PROXY": "http://p", "NO_PROXY": "a.example", "no_proxy": "example.com"}, target: "ws://example.com", want: "http://p"},
		{name: "NO_PROXY applies to ALL_PROXY", env: map[string]string{"ALL_PROXY": "socks5://s", "NO_PROXY": "example.com"}, target: "wss://example.com", want: ""},

		// CGI.
		{name: "HTTP_PROXY under CGI", env: map[string]string{"HTTP_PROXY": "http://evil", "REQUEST_METHOD": "GET"}, target: "ws://example.com", wantErr: "CGI"},
		{name: "http_proxy under CGI", env: map[string]string{"http_proxy": "http://p", "REQUEST_METHOD": "GET"}, target: "ws://example.com", want: "http://p"},
		{name: "HTTPS_PROXY under CGI", env: map[string]string{"HTTPS_PROXY": "http://p", "HTTP_PROXY": "http://evil", "REQUEST_METHOD": "GET"}, target: "wss://example.com", want: "http://p"},
		{name: "HTTP_PROXY under CGI, excluded host", env: map[string]string{"HTTP_PROXY": "http://evil", "REQUEST_METHOD": "GET"}, target: "ws://localhost", want: ""},

		// Targets.
		{name: "http target", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "http://example.com", wantErr: `scheme "http" is not ws or wss`},
		{name: "no scheme", env: map[string]string{"HTTP_PROXY": "http://p"}, target: "//example.com", wantErr: "is not ws or wss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(name string) string { return tt.env[name] }
			target, err := url.Parse(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			got, err := FromEnvironment(getenv)(target)
			checkProxyURL(t, got, err, tt.want, tt.wantErr)
		})
	}
}

// checkProxyURL checks a result of the function FromEnvironment returns.
func checkProxyURL(t *testing.T, got *url.URL, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) || !strings.HasPrefix(err.Error(), "proxy: ") {
			t.Fatalf("got %v, %v; want an error with %q", got, err, wantErr)
		}
		if got != nil {
			t.Errorf("URL %v with an error", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("error %v", err)
	}
	switch {
	case want == "" && got != nil:
		t.Errorf("proxy %v, want none", got)
	case want != "" && (got == nil || got.String() != want):
		t.Errorf("proxy %v, want %s", got, want)
	}
}

// TestFromEnvironmentReadsEachCall checks that the environment is read at
// each call, not when the function is made.
func TestFromEnvironmentReadsEachCall(t *testing.T) {
	env := map[string]string{}
	pick := FromEnvironment(func(name string) string { return env[name] })
	target := &url.URL{Scheme: "ws", Host: "example.com"}
	steps := []struct {
		set, value string
		want       string
	}{
		{"", "", ""},
		{"HTTP_PROXY", "http://p", "http://p"},
		{"NO_PROXY", "example.com", ""},
		{"NO_PROXY", "", "http://p"},
		{"HTTP_PROXY", "", ""},
	}
	for i, s := range steps {
		if s.set != "" {
			env[s.set] = s.value
		}
		got, err := pick(target)
		if err != nil || (got == nil) != (s.want == "") || got != nil && got.String() != s.want {
			t.Errorf("step %d: got %v, %v; want %q", i, got, err, s.want)
		}
	}
}

// TestFromEnvironmentNilTarget checks that a nil URL is an error.
func TestFromEnvironmentNilTarget(t *testing.T) {
	got, err := FromEnvironment(func(string) string { return "http://p" })(nil)
	if got != nil || err == nil {
		t.Fatalf("got %v, %v; want an error", got, err)
	}
}

// TestFromEnvironmentSecretNotInError checks that a refused proxy value's
// password does not show in the error.
func TestFromEnvironmentSecretNotInError(t *testing.T) {
	for _, value := range []string{"ftp://u:hunter2@p", "http://u:hunter2@[::1", "u:hunter2@p:port"} {
		getenv := func(name string) string {
			if name == "HTTP_PROXY" {
				return value
			}
			return ""
		}
		_, err := FromEnvironment(getenv)(&url.URL{Scheme: "ws", Host: "example.com"})
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error %v", value, err)
		}
	}
}

// TestFromEnvironmentFreshURL checks that each call returns its own URL,
// so a caller may change it.
func TestFromEnvironmentFreshURL(t *testing.T) {
	pick := FromEnvironment(func(name string) string {
		if name == "HTTP_PROXY" {
			return "http://p"
		}
		return ""
	})
	target := &url.URL{Scheme: "ws", Host: "example.com"}
	a, _ := pick(target)
	a.Host = "changed"
	b, _ := pick(target)
	if b.Host != "p" {
		t.Fatalf("second call gave %v", b)
	}
}
