package proxy

import (
	"net"
	"net/netip"
	"strings"
)

// noProxy reports whether list, a NO_PROXY value, excludes host at port from
// proxying, by the rules FromEnvironment documents. host is a name or an IP
// address without brackets; port is decimal. Entries that cannot match
// anything are ignored, as net/http ignores them.
func noProxy(list, host, port string) bool {
	host = strings.ToLower(host)
	ip, err := netip.ParseAddr(host)
	if err == nil {
		ip = ip.Unmap().WithZone("")
	}
	for _, entry := range strings.FieldsFunc(list, isListSeparator) {
		if entryMatches(strings.ToLower(entry), host, ip, port) {
			return true
		}
	}
	return false
}

// isListSeparator reports whether r separates NO_PROXY entries.
func isListSeparator(r rune) bool {
	return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// entryMatches reports whether one lower-case NO_PROXY entry matches host,
// whose address is ip if it is one (else ip is the zero Addr), at port.
func entryMatches(entry, host string, ip netip.Addr, port string) bool {
	if entry == "*" {
		return true
	}
	if p, err := netip.ParsePrefix(entry); err == nil {
		return ip.IsValid() && p.Masked().Contains(ip)
	}
	name, entryPort := entry, ""
	if h, p, err := net.SplitHostPort(entry); err == nil {
		name, entryPort = h, p
	}
	if entryPort != "" && entryPort != port {
		return false
	}
	// An IPv6 literal in brackets but without a port.
	if len(name) > 2 && name[0] == '[' && name[len(name)-1] == ']' {
		name = name[1 : len(name)-1]
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return ip.IsValid() && a.Unmap().WithZone("") == ip
	}
	if ip.IsValid() || name == "" {
		// Names match names only.
		return false
	}
	if strings.HasPrefix(name, "*.") {
		name = name[1:]
	}
	if name[0] == '.' {
		return strings.HasSuffix(host, name)
	}
	return host == name || strings.HasSuffix(host, "."+name)
}
