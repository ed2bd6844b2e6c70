package httpauth

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"

	"github.com/wsx-go/websocket/internal/handshake"
)

// algorithm is one hash algorithm of the Digest scheme (RFC 7616 §3.2).
type algorithm struct {
	// name is the spelling an answer sends back (RFC 7616 §6.1).
	name string
	// newHash returns the hash H of RFC 7616 §3.2.
	newHash func() hash.Hash
	// sess marks a -sess variant, whose A1 also holds the nonce and the
	// cnonce (RFC 7616 §3.4.2).
	sess bool
	// strength orders the algorithms for Pick; higher is stronger.
	strength int
}

// algorithms lists what Digest answers. SHA-512-256 is left out: the
// worked example of RFC 7616 §3.9.2 comes out of SHA-512 cut to 256 bits,
// not of the SHA-512/256 of FIPS 180-4 that the RFC names (a technical
// erratum, 4897, is filed against that example), so implementations
// disagree on what the name means.
var algorithms = [...]algorithm{
	{"MD5", md5.New, false, 1},
	{"MD5-sess", md5.New, true, 1},
	{"SHA-256", sha256.New, false, 2},
	{"SHA-256-sess", sha256.New, true, 2},
}

// lookupAlgorithm returns the algorithm named name, compared
// case-insensitively.
func lookupAlgorithm(name string) (algorithm, bool) {
	for _, a := range algorithms {
		if handshake.EqualToken(a.name, name) {
			return a, true
		}
	}
	return algorithm{}, false
}

// hashHex returns the lower-case hex digest of the parts joined by ":",
// the H(data) of RFC 7616 §3.4.1 applied to a colon-separated list.
func (a algorithm) hashHex(parts ...string) string {
	h := a.newHash()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
