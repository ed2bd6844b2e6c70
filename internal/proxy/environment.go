package proxy

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// FromEnvironment returns a function that picks the proxy for a WebSocket
// URL from environment variables, read through getenv at each call (so a
// change to them takes effect at once). The rules are those of Go's
// net/http (golang.org/x/net/http/httpproxy), plus ALL_PROXY:
//
//   - A wss URL uses HTTPS_PROXY, else https_proxy; a ws URL uses
//     HTTP_PROXY, else http_proxy. If that is empty, both use ALL_PROXY,
//     else all_proxy. If all are empty, no proxy applies.
//   - No proxy applies to the host "localhost" or a loopback IP address.
//   - NO_PROXY, else no_proxy, lists hosts to reach directly, separated by
//     commas or spaces and compared case-insensitively. "*" matches every
//     host. An IP address matches itself and a CIDR prefix ("10.0.0.0/8")
//     the addresses in it. A name ("example.com") matches itself and its
//     subdomains; a name with a leading "." or "*." only its subdomains.
//     An address or a name may end in ":port", and then matches only that
//     port. The target's port is 80 for ws and 443 for wss unless the URL
//     gives one. Names are compared as written: no IDNA conversion is done.
//   - A proxy value without "://" is taken as "http://" and the value. Its
//     scheme must be http, https, socks5 or socks5h and it must name a
//     host, or the function returns an error. Its port may be empty; it is
//     returned as parsed, with any user information in it.
//   - In a CGI program (REQUEST_METHOD is set), a value of HTTP_PROXY is an
//     error, not a proxy: there a client can set it with a "Proxy:" request
//     header (see golang.org/s/cgihttpproxy).
//
// The function returns (nil, nil) when no proxy applies, and an error for a
// URL whose scheme is not ws or wss. A bad proxy value is only reported for
// a URL it would apply to.
func FromEnvironment(getenv func(string) string) func(target *url.URL) (*url.URL, error) {
	return func(target *url.URL) (*url.URL, error) {
		return proxyFor(getenv, target)
	}
}

// proxyFor is the function FromEnvironment returns.
func proxyFor(getenv func(string) string, target *url.URL) (*url.URL, error) {
	if target == nil {
		return nil, errors.New("proxy: nil target URL")
	}
	var name, value, port string
	switch strings.ToLower(target.Scheme) {
	case "ws":
		name, value = firstSet(getenv, "HTTP_PROXY", "http_proxy")
		port = "80"
	case "wss":
		name, value = firstSet(getenv, "HTTPS_PROXY", "https_proxy")
		port = "443"
	default:
		return nil, fmt.Errorf("proxy: target URL scheme %q is not ws or wss", target.Scheme)
	}
	if value == "" {
		name, value = firstSet(getenv, "ALL_PROXY", "all_proxy")
	}
	if value == "" {
		return nil, nil
	}

	host := strings.ToLower(target.Hostname())
	if p := target.Port(); p != "" {
		port = p
	}
	if neverProxied(host) {
		return nil, nil
	}
	if _, list := firstSet(getenv, "NO_PROXY", "no_proxy"); noProxy(list, host, port) {
		return nil, nil
	}
	if name == "HTTP_PROXY" && getenv("REQUEST_METHOD") != "" {
		return nil, errors.New("proxy: refusing HTTP_PROXY in a CGI environment; see golang.org/s/cgihttpproxy")
	}
	return parseProxy(name, value)
}

// firstSet returns the first of the named variables that is set to
// something other than spaces, and its value.
func firstSet(getenv func(string) string, names ...string) (name, value string) {
	for _, n := range names {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			return n, v
		}
	}
	return "", ""
}

// neverProxied reports whether host is "localhost" or a loopback address,
// which net/http never sends through a proxy: the proxy's own loopback is
// not the one meant.
func neverProxied(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// parseProxy parses value, the proxy URL read from the variable name. Error
// messages leave the value out, as it may hold a password.
func parseProxy(name, value string) (*url.URL, error) {
	if !strings.Contains(value, "://") {
		value = "http://" + value
	}
	u, err := url.Parse(value)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("proxy: %s is not a valid URL: %v", name, err)
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy: %s has scheme %q; want http, https, socks5 or socks5h", name, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy: %s names no host", name)
	}
	return u, nil
}
