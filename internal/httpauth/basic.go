package httpauth

import (
	"encoding/base64"
	"errors"
	"strings"
)

// Basic returns the Authorization or Proxy-Authorization value for the
// Basic scheme (RFC 7617 §2): "Basic " and the base64 of user ":" password.
//
// RFC 7617 §2 forbids a colon in the user-id, which would move the split
// point, and control characters in either part; those give an error. The
// strings are sent as their bytes, UTF-8 for Go strings, which is what a
// server that offered charset="UTF-8" (RFC 7617 §2.1) expects; Basic
// itself sends the password in the clear, so use it only over TLS.
func Basic(user, password string) (string, error) {
	if strings.IndexByte(user, ':') >= 0 {
		return "", errors.New("httpauth: basic: user-id contains a colon")
	}
	if hasCTL(user) {
		return "", errors.New("httpauth: basic: user-id contains a control character")
	}
	if hasCTL(password) {
		return "", errors.New("httpauth: basic: password contains a control character")
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password)), nil
}

// hasCTL reports whether s holds a control character (RFC 5234 Appendix B.1).
func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if isCTL(s[i]) {
			return true
		}
	}
	return false
}
