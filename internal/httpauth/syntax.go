package httpauth

import (
	"errors"
	"strings"
)

// The character classes of RFC 9110 §5.6 that challenges and credentials
// are built from. Header values are bytes, so each class is a byte test.

// isToken68Char reports whether c may appear in a token68 before its
// trailing "=" padding (RFC 9110 §11.2): the base64, base64url and base32
// alphabets fit.
func isToken68Char(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

// isOWS reports whether c is optional whitespace, SP or HTAB
// (RFC 9110 §5.6.3).
func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// isQdtext reports whether c may stand unescaped inside a quoted-string
// (RFC 9110 §5.6.4): HTAB, SP and every visible or obs-text byte except
// DQUOTE and backslash.
func isQdtext(c byte) bool {
	return c == '\t' || c == ' ' || (0x21 <= c && c != '"' && c != '\\' && c != 0x7f)
}

// isQuotable reports whether c may follow a backslash in a quoted-pair
// (RFC 9110 §5.6.4): HTAB, SP, VCHAR and obs-text. Every byte a
// quoted-string can carry is one of these.
func isQuotable(c byte) bool { return c == '\t' || (0x20 <= c && c != 0x7f) }

// isCTL reports whether c is a control character (RFC 5234 Appendix B.1).
func isCTL(c byte) bool { return c < 0x20 || c == 0x7f }

// lowerASCII lower-cases the ASCII letters of s: scheme and parameter names
// are ASCII and case-insensitive (RFC 9110 §11.1, §11.2), and Unicode
// folding would wrongly turn "K" (U+212A KELVIN SIGN) into "k".
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// errUnquotable is returned by quote for a value no quoted-string can hold.
var errUnquotable = errors.New("control character")

// quote returns s as a quoted-string (RFC 9110 §5.6.4), escaping DQUOTE and
// backslash. A control character other than HTAB cannot be carried, and a
// CR or LF would end the header line, so those are refused.
func quote(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
		case !isQuotable(c):
			return "", errUnquotable
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String(), nil
}
