// Package handshake holds the pure parts of the RFC 6455 opening handshake:
// keys, the accept hash and the header token rules. It does no I/O.
package handshake

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"
)

// keyGUID is the fixed string of RFC 6455 §1.3 that the accept hash mixes in.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// NewKey returns a fresh Sec-WebSocket-Key: 16 random bytes, base64-encoded
// (RFC 6455 §4.1).
func NewKey() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.StdEncoding.EncodeToString(b[:])
}

// ValidKey reports whether key is the base64 encoding of exactly 16 bytes,
// as RFC 6455 §4.2.1 requires of a client's Sec-WebSocket-Key.
func ValidKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(key)
	return err == nil && len(b) == 16
}

// AcceptKey computes the Sec-WebSocket-Accept value for a client key
// (RFC 6455 §4.2.2).
func AcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(keyGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.EncodeToString(h.Sum(sum[:0]))
}

// HasToken reports whether any value of the header name, read as a
// comma-separated list, holds token, compared case-insensitively
// (RFC 7230 §7 lists; RFC 6455 §4.2.1 tokens).
func HasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if EqualToken(trimOWS(t), token) {
				return true
			}
		}
	}
	return false
}

// Tokens returns the comma-separated elements of every value of the header
// name, trimmed, with empty elements dropped.
func Tokens(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if t = trimOWS(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// HasCRLF reports whether s holds a carriage return or line feed, which would
// let a value break out of its header line.
func HasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }
