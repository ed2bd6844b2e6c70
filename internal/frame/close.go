package frame

import (
	"encoding/binary"
	"errors"
	"strings"
	"unicode/utf8"
)

// Errors from ParseClose. Each one means the peer broke RFC 6455 §5.5.1.
var (
	ErrCloseOneByte     = errors.New("frame: close payload of one byte")
	ErrCloseCodeInvalid = errors.New("frame: close code not allowed on the wire")
	ErrCloseReasonUTF8  = errors.New("frame: close reason is not valid UTF-8")
)

// NoStatus is the code reported for a close frame that carries no code
// (RFC 6455 §7.1.5); it is never sent on the wire.
const NoStatus = 1005

// MaxCloseReason is the longest close reason that fits in a control frame
// next to the 2-byte code.
const MaxCloseReason = MaxControlPayload - 2

// ValidWireCode reports whether a peer may send code in a close frame
// (RFC 6455 §7.4.1 and §7.4.2, with the IANA registry of codes 1000-1015):
// 1000-1003, 1007-1014 and the range 3000-4999 are allowed; 1004, 1005,
// 1006, 1015 and anything else are not.
func ValidWireCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003:
		return true
	case code >= 1007 && code <= 1014:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// ParseClose decodes a close frame's payload. An empty payload yields
// NoStatus and no reason.
func ParseClose(p []byte) (code uint16, reason []byte, err error) {
	switch {
	case len(p) == 0:
		return NoStatus, nil, nil
	case len(p) == 1:
		return 0, nil, ErrCloseOneByte
	}
	code = binary.BigEndian.Uint16(p)
	if !ValidWireCode(code) {
		return code, nil, ErrCloseCodeInvalid
	}
	reason = p[2:]
	if !utf8.Valid(reason) {
		return code, nil, ErrCloseReasonUTF8
	}
	return code, reason, nil
}

// AppendClose appends a close payload for code and reason to b. The reason is
// cut to MaxCloseReason bytes at a code point boundary. Code NoStatus yields
// an empty payload, as RFC 6455 §7.4.1 reserves it for "no code present".
func AppendClose(b []byte, code uint16, reason string) []byte {
	if code == NoStatus {
		return b
	}
	b = binary.BigEndian.AppendUint16(b, code)
	return append(b, TruncateReason(reason)...)
}

// TruncateReason cuts s to at most MaxCloseReason bytes without splitting a
// code point. Invalid UTF-8 in s is replaced, so the result is always valid.
func TruncateReason(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxCloseReason {
		return s
	}
	i := MaxCloseReason
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
