package httpauth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wsx-go/websocket/internal/handshake"
)

// DigestRequest is what a Digest answer depends on besides the challenge.
// The zero NC and CNonce are valid and mean the first use of a fresh client
// nonce.
type DigestRequest struct {
	// Method is the request method: "GET", or "CONNECT" for a proxy.
	Method string
	// URI is the request-target exactly as sent on the request line
	// (RFC 7616 §3.4: the uri parameter repeats it).
	URI string
	// Username and Password are the credentials, in UTF-8.
	Username string
	Password string
	// CNonce is the client nonce; "" means a fresh random one (16 random
	// bytes in hex).
	CNonce string
	// NC is the nonce count, how many requests the client has sent with
	// this nonce, this one included; 0 means 1.
	NC uint32
}

// Digest returns the Authorization or Proxy-Authorization value answering
// ch, a challenge of the Digest scheme (RFC 7616).
//
// The algorithms are MD5, MD5-sess, SHA-256 and SHA-256-sess, named in any
// case; a challenge without one means MD5 (RFC 7616 §3.3), and the answer
// names the algorithm only if the challenge did. Of the qop values offered
// "auth" is taken first; "auth-int" is taken when it is the only one, and
// hashes an empty entity body, which is what a WebSocket handshake or a
// CONNECT sends. A challenge without qop gets the RFC 2069 answer, which has
// no cnonce or nc; a -sess algorithm needs a cnonce, so it then fails.
//
// opaque is echoed. With userhash=true the username is sent as
// H(username ":" realm) (RFC 7616 §3.4.4); otherwise a username outside
// ASCII is sent as username* in the UTF-8 encoding of RFC 8187 (RFC 7616
// §3.4). charset=UTF-8 is accepted; it changes nothing, as Go strings are
// UTF-8 already.
//
// An unsupported algorithm (SHA-512-256, say), charset or set of qop values,
// a missing nonce or realm, a method that is not a token, or a field that
// cannot be quoted gives an error. Each call with an empty CNonce reads 16
// bytes from crypto/rand.
func Digest(ch Challenge, req DigestRequest) (string, error) {
	d, err := readDigestChallenge(ch)
	if err != nil {
		return "", err
	}
	return d.answer(req)
}

// digestChallenge is a Digest challenge checked and reduced to what an
// answer needs.
type digestChallenge struct {
	alg algorithm
	// namedAlg records that the challenge named its algorithm, so the
	// answer names it too.
	namedAlg     bool
	realm, nonce string
	opaque       string
	hasOpaque    bool
	// qop is "auth", "auth-int", or "" for the RFC 2069 form.
	qop      string
	userhash bool
}

// readDigestChallenge checks that ch is a Digest challenge this package can
// answer and picks the algorithm and qop (RFC 7616 §3.3).
func readDigestChallenge(ch Challenge) (digestChallenge, error) {
	var d digestChallenge
	if lowerASCII(ch.Scheme) != "digest" {
		return d, fmt.Errorf("httpauth: digest: challenge of scheme %q", ch.Scheme)
	}
	var ok bool
	if d.realm, ok = ch.Params["realm"]; !ok {
		return d, errors.New("httpauth: digest: challenge without realm")
	}
	if d.nonce, ok = ch.Params["nonce"]; !ok {
		return d, errors.New("httpauth: digest: challenge without nonce")
	}
	d.opaque, d.hasOpaque = ch.Params["opaque"]

	name, named := ch.Params["algorithm"]
	if !named {
		name = "MD5"
	}
	if d.alg, ok = lookupAlgorithm(name); !ok {
		return d, fmt.Errorf("httpauth: digest: unsupported algorithm %q", name)
	}
	d.namedAlg = named

	if offer, ok := ch.Params["qop"]; ok {
		if d.qop = chooseQop(offer); d.qop == "" {
			return d, fmt.Errorf("httpauth: digest: no supported qop in %q", offer)
		}
	} else if d.alg.sess {
		// RFC 7616 §3.4.2 puts the cnonce in A1 of a -sess algorithm, and
		// §3.4 sends a cnonce only with a qop.
		return d, fmt.Errorf("httpauth: digest: algorithm %s without qop", d.alg.name)
	}

	// RFC 7616 §3.3: "UTF-8" is the only charset defined.
	if cs, ok := ch.Params["charset"]; ok && !handshake.EqualToken(cs, "UTF-8") {
		return d, fmt.Errorf("httpauth: digest: unsupported charset %q", cs)
	}
	if uh, ok := ch.Params["userhash"]; ok {
		switch {
		case handshake.EqualToken(uh, "true"):
			d.userhash = true
		case !handshake.EqualToken(uh, "false"):
			return d, fmt.Errorf("httpauth: digest: userhash %q is neither true nor false", uh)
		}
	}
	return d, nil
}

// chooseQop picks from the comma-separated qop-options of a challenge
// (RFC 7616 §3.3): "auth" if offered, else "auth-int", else "".
func chooseQop(offer string) string {
	var authInt bool
	for opt := range strings.SplitSeq(offer, ",") {
		opt = strings.Trim(opt, " \t")
		switch {
		case handshake.EqualToken(opt, "auth"):
			return "auth"
		case handshake.EqualToken(opt, "auth-int"):
			authInt = true
		}
	}
	if authInt {
		return "auth-int"
	}
	return ""
}

// answer computes the credentials for req (RFC 7616 §3.4).
func (d digestChallenge) answer(req DigestRequest) (string, error) {
	if !handshake.ValidToken(req.Method) {
		return "", fmt.Errorf("httpauth: digest: method %q is not a token", req.Method)
	}
	if req.URI == "" {
		return "", errors.New("httpauth: digest: empty request URI")
	}
	cnonce := req.CNonce
	if cnonce == "" {
		cnonce = newCNonce()
	}
	nc := fmt.Sprintf("%08x", max(req.NC, 1)) // 8LHEX, RFC 7616 §3.4

	h := d.alg.hashHex
	// RFC 7616 §3.4.2.
	ha1 := h(req.Username, d.realm, req.Password)
	if d.alg.sess {
		ha1 = h(ha1, d.nonce, cnonce)
	}
	// RFC 7616 §3.4.3; the entity body of auth-int is empty.
	ha2 := h(req.Method, req.URI)
	if d.qop == "auth-int" {
		ha2 = h(req.Method, req.URI, h(""))
	}
	// RFC 7616 §3.4.1, and RFC 2069 §2.1.2 when there is no qop.
	var response string
	if d.qop == "" {
		response = h(ha1, d.nonce, ha2)
	} else {
		response = h(ha1, d.nonce, nc, cnonce, d.qop, ha2)
	}

	var w fieldWriter
	w.b.WriteString("Digest ")
	switch {
	case d.userhash:
		w.quoted("username", h(req.Username, d.realm)) // RFC 7616 §3.4.4
	case !isASCII(req.Username):
		if !utf8.ValidString(req.Username) {
			return "", errors.New("httpauth: digest: username is not valid UTF-8")
		}
		w.raw("username*", "UTF-8''"+pctEncode(req.Username)) // RFC 7616 §3.4, RFC 8187 §3.2
	default:
		w.quoted("username", req.Username)
	}
	w.quoted("realm", d.realm)
	w.quoted("uri", req.URI)
	if d.namedAlg {
		w.raw("algorithm", d.alg.name)
	}
	w.quoted("nonce", d.nonce)
	if d.qop != "" {
		w.raw("nc", nc)
		w.quoted("cnonce", cnonce)
		w.raw("qop", d.qop)
	}
	w.quoted("response", response)
	if d.hasOpaque {
		w.quoted("opaque", d.opaque)
	}
	if d.userhash {
		w.raw("userhash", "true")
	}
	if w.err != nil {
		return "", w.err
	}
	return w.b.String(), nil
}

// fieldWriter writes the comma-separated auth-params of credentials,
// keeping the first error.
type fieldWriter struct {
	b   strings.Builder
	n   int
	err error
}

// raw writes name=value with value as it is: a token, or an ext-value.
func (w *fieldWriter) raw(name, value string) {
	if w.n > 0 {
		w.b.WriteString(", ")
	}
	w.n++
	w.b.WriteString(name)
	w.b.WriteByte('=')
	w.b.WriteString(value)
}

// quoted writes name=value with value as a quoted-string.
func (w *fieldWriter) quoted(name, value string) {
	q, err := quote(value)
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("httpauth: digest: %s contains a %w", name, err)
		}
		return
	}
	w.raw(name, q)
}

// newCNonce returns 16 random bytes in hex.
func newCNonce() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// pctEncode percent-encodes every byte of s but the attr-chars of RFC 8187
// §3.2.1, with upper-case hex as its examples use.
func pctEncode(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&0xf])
	}
	return b.String()
}

// isAttrChar reports whether c may stand unencoded in an RFC 8187
// ext-value: ALPHA, DIGIT and "!#$&+-.^_`|~".
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
