package httpauth

import (
	"fmt"

	"github.com/wsx-go/websocket/internal/handshake"
)

// Challenge is one challenge of a WWW-Authenticate or Proxy-Authenticate
// header (RFC 9110 §11.6.1, §11.7.1). A challenge carries either a token68
// or auth-params, never both; a challenge with neither is a bare scheme.
type Challenge struct {
	// Scheme is the auth-scheme, lower-cased: "basic", "digest", ...
	Scheme string
	// Token68 is the token68 form of the challenge, as sent; "" if the
	// challenge has auth-params instead, or nothing.
	Token68 string
	// Params holds the auth-params: names lower-cased, quoted-string values
	// unquoted with their backslash escapes resolved. It is nil when the
	// challenge has none.
	Params map[string]string
}

// Realm returns the realm parameter (RFC 9110 §11.5), or "" if there is
// none.
func (c Challenge) Realm() string { return c.Params["realm"] }

// ParseChallenges parses every challenge in the given header values, in
// order. One value may hold several comma-separated challenges, e.g.
//
//	Digest realm="a", qop="auth,auth-int", nonce="x", Basic realm="b"
//
// Empty list elements are skipped (RFC 9110 §5.6.1). The values are read as
// one comma-separated list, as RFC 9110 §5.3 says field lines combine, so
// auth-params at the start of a value continue the last challenge of the
// one before; a quoted-string cannot span two values, though. Likewise
// auth-params after a bare scheme ("Negotiate, realm=x") belong to it.
//
// A lone "name=" after a scheme is a token68 by the grammar (the base64
// padding character is "="), so "Basic realm=" parses to Token68 "realm=";
// inside an auth-param list a parameter without a value is an error.
//
// Malformed input, a parameter named twice in one challenge (RFC 9110
// §11.2 forbids it) or a CR, LF or other control character outside a
// quoted-string's HTAB gives an error; ParseChallenges never panics. Input
// without challenges gives nil and no error. It allocates the result and one
// map per challenge with parameters.
func ParseChallenges(values []string) ([]Challenge, error) {
	var p challengeParser
	for n, v := range values {
		if err := p.parseValue(v); err != nil {
			if len(values) > 1 {
				return nil, fmt.Errorf("httpauth: header value %d: %w", n+1, err)
			}
			return nil, fmt.Errorf("httpauth: %w", err)
		}
	}
	return p.out, nil
}

// challengeParser holds the state that carries from one header value to
// the next.
type challengeParser struct {
	out []Challenge
	// open reports whether the last challenge in out may take more
	// auth-params: it has no token68.
	open bool
}

// syntaxError describes where a header value breaks the grammar.
type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.offset, e.msg) }

// parseValue parses one header value: a list of challenges and auth-params.
func (p *challengeParser) parseValue(s string) error {
	i := 0
	for {
		// Separators and the empty elements between them (RFC 9110 §5.6.1).
		for i < len(s) && (isOWS(s[i]) || s[i] == ',') {
			i++
		}
		if i == len(s) {
			return nil
		}
		var err error
		if i, err = p.element(s, i); err != nil {
			return err
		}
		// An element ends at the end of the value or at a comma.
		i = skipOWS(s, i)
		if i < len(s) && s[i] != ',' {
			return &syntaxError{i, fmt.Sprintf("unexpected %q", s[i])}
		}
	}
}

// element parses one list element at s[i:]: either an auth-param of the
// open challenge, or a new challenge with its token68 or first auth-param
// (RFC 9110 §11.3: challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]).
// It returns the offset just past the element.
func (p *challengeParser) element(s string, i int) (int, error) {
	name, j := scanToken(s, i)
	if name == "" {
		return 0, &syntaxError{i, fmt.Sprintf("unexpected %q where a scheme or parameter name belongs", s[i])}
	}
	k := skipOWS(s, j)
	if k < len(s) && s[k] == '=' {
		if !p.open {
			return 0, &syntaxError{i, fmt.Sprintf("parameter %q outside a challenge with parameters", name)}
		}
		return p.param(s, i)
	}

	p.out = append(p.out, Challenge{Scheme: lowerASCII(name)})
	p.open = true
	if k == len(s) || s[k] == ',' {
		return k, nil // a bare scheme
	}
	if k == j {
		return 0, &syntaxError{j, fmt.Sprintf("unexpected %q after scheme", s[j])}
	}
	// A token68 fills the whole element; anything else must be an
	// auth-param ("realm=x" starts like a token68 "realm=").
	if end := scanToken68(s, k); end > k {
		if m := skipOWS(s, end); m == len(s) || s[m] == ',' {
			p.out[len(p.out)-1].Token68 = s[k:end]
			p.open = false
			return end, nil
		}
	}
	return p.param(s, k)
}

// param parses the auth-param at s[i:] into the last challenge
// (RFC 9110 §11.2: auth-param = token BWS "=" BWS ( token / quoted-string )).
func (p *challengeParser) param(s string, i int) (int, error) {
	name, j := scanToken(s, i)
	if name == "" {
		return 0, &syntaxError{i, fmt.Sprintf("unexpected %q where a parameter name belongs", s[i])}
	}
	j = skipOWS(s, j)
	if j == len(s) || s[j] != '=' {
		return 0, &syntaxError{j, fmt.Sprintf("parameter %q without \"=\"", name)}
	}
	j = skipOWS(s, j+1)
	var value string
	if j < len(s) && s[j] == '"' {
		var err error
		if value, j, err = scanQuoted(s, j); err != nil {
			return 0, err
		}
	} else if value, j = scanToken(s, j); value == "" {
		return 0, &syntaxError{j, fmt.Sprintf("parameter %q without a value", name)}
	}

	c := &p.out[len(p.out)-1]
	key := lowerASCII(name)
	if _, dup := c.Params[key]; dup {
		return 0, &syntaxError{i, fmt.Sprintf("parameter %q given twice", key)}
	}
	if c.Params == nil {
		c.Params = make(map[string]string)
	}
	c.Params[key] = value
	return j, nil
}

// skipOWS returns the offset of the first byte at or after i that is not
// optional whitespace.
func skipOWS(s string, i int) int {
	for i < len(s) && isOWS(s[i]) {
		i++
	}
	return i
}

// scanToken returns the token starting at s[i] ("" if none) and the offset
// just past it.
func scanToken(s string, i int) (string, int) {
	j := i
	for j < len(s) && handshake.IsTokenChar(s[j]) {
		j++
	}
	return s[i:j], j
}

// scanToken68 returns the offset just past the token68 starting at s[i],
// or i if there is none: 1*token68-char *"=" (RFC 9110 §11.2).
func scanToken68(s string, i int) int {
	j := i
	for j < len(s) && isToken68Char(s[j]) {
		j++
	}
	if j == i {
		return i
	}
	for j < len(s) && s[j] == '=' {
		j++
	}
	return j
}

// scanQuoted unquotes the quoted-string starting at the DQUOTE s[i]
// (RFC 9110 §5.6.4) and returns it with the offset just past the closing
// DQUOTE. Only a value with escapes is copied.
func scanQuoted(s string, i int) (string, int, error) {
	start := i + 1
	var b []byte // nil until the first quoted-pair
	for j := start; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '"':
			if b == nil {
				return s[start:j], j + 1, nil
			}
			return string(b), j + 1, nil
		case c == '\\':
			if j+1 == len(s) {
				return "", 0, &syntaxError{i, "unterminated quoted-string"}
			}
			if !isQuotable(s[j+1]) {
				return "", 0, &syntaxError{j + 1, fmt.Sprintf("%q escaped in quoted-string", s[j+1])}
			}
			if b == nil {
				b = append([]byte(nil), s[start:j]...)
			}
			j++
			b = append(b, s[j])
		case isQdtext(c):
			if b != nil {
				b = append(b, c)
			}
		default:
			return "", 0, &syntaxError{j, fmt.Sprintf("%q in quoted-string", c)}
		}
	}
	return "", 0, &syntaxError{i, "unterminated quoted-string"}
}
