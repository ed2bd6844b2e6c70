package handshake

import "strings"

// The token rules of HTTP (RFC 9110 §5.6.2, RFC 7230 §3.2.6, the same set
// RFC 6455 §9.1 builds on), shared by the handshake, the extension
// grammar, permessage-deflate's parameters and the authentication
// challenges.

// IsTokenChar reports whether c may appear in a token: any visible
// US-ASCII byte but the separators.
func IsTokenChar(c byte) bool {
	return ' ' < c && c < 0x7f && strings.IndexByte(`()<>@,;:\"/[]?={}`, c) < 0
}

// ValidToken reports whether s is a token, the form RFC 6455 §4.1 requires
// of subprotocol names.
func ValidToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// EqualToken compares two tokens ignoring case, folding ASCII letters
// only: tokens are ASCII, and Unicode folding would match "K" (U+212A
// KELVIN SIGN) to "k".
func EqualToken(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// trimOWS trims the optional whitespace of RFC 7230 §3.2.3, SP and HTAB;
// unlike strings.TrimSpace it leaves non-ASCII spaces alone.
func trimOWS(s string) string { return strings.Trim(s, " \t") }
