package proxy

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// splitTarget checks a "host:port" target and splits it. The host must not be
// empty, an IPv6 literal must be in brackets and carry no zone, and the port
// must be a decimal number from 1 to 65535. Host names are taken as given,
// apart from bytes that would break the CONNECT request line or that no
// host name holds: controls, space and the delimiters of RFC 3986 §3.2.2
// outside reg-name.
func splitTarget(target string) (host string, port uint16, err error) {
	h, p, err := net.SplitHostPort(target)
	if err != nil {
		return "", 0, errors.New("proxy: target " + strconv.Quote(target) + " is not host:port")
	}
	if h == "" {
		return "", 0, errors.New("proxy: target " + strconv.Quote(target) + " has no host")
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return "", 0, errors.New("proxy: target " + strconv.Quote(target) + " has a bad port")
	}
	if strings.HasPrefix(target, "[") || strings.Contains(h, ":") {
		// RFC 3986 §3.2.2: brackets hold IPv6 literals, and only they
		// hold colons. SplitHostPort has checked that the brackets are
		// there when there are colons.
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", 0, errors.New("proxy: target " + strconv.Quote(target) + " has a bad IPv6 address")
		}
		return h, uint16(n), nil
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= ' ' || c == 0x7f || strings.IndexByte("\"#/<>?@[\\]^`{|}", c) >= 0 {
			return "", 0, errors.New("proxy: target " + strconv.Quote(target) + " has a bad host")
		}
	}
	return h, uint16(n), nil
}
