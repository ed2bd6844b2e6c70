package handshake

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMalformedExtensions is the error, wrapped with the place and the
// reason, that ParseExtensions returns for a header value that breaks the
// grammar of RFC 6455 §9.1.
var ErrMalformedExtensions = errors.New("handshake: malformed Sec-WebSocket-Extensions")

// Extension is one element of a Sec-WebSocket-Extensions header
// (RFC 6455 §9.1): an extension token and its parameters.
type Extension struct {
	// Name is the extension token as sent; tokens are case-insensitive,
	// so compare it folding ASCII case only.
	Name string
	// Params are the extension's parameters in the order sent; nil if it
	// has none.
	Params []Param
}

// Param is one extension parameter (RFC 6455 §9.1).
type Param struct {
	// Name is the parameter token as sent.
	Name string
	// Value is the parameter's value with any quoting removed; "" when
	// HasValue is false.
	Value string
	// HasValue is false for the valueless form ("client_max_window_bits")
	// and true for "name=value".
	HasValue bool
	// Quoted reports that the value was sent as a quoted-string
	// ("name=\"10\"") rather than a bare token. The grammar treats both as
	// the same value; an extension may still refuse the quoted form, as
	// permessage-deflate's 1*DIGIT values do in internal/deflate.
	Quoted bool
}

// String formats e as one element of a Sec-WebSocket-Extensions header:
// the name, then "; name" or "; name=value" for each parameter, with the
// value in quotes if Quoted is set. Values are written as they are, so a
// value that is not a token gives a header ParseExtensions rejects.
func (e Extension) String() string {
	var b strings.Builder
	b.WriteString(e.Name)
	for _, p := range e.Params {
		b.WriteString("; ")
		b.WriteString(p.Name)
		if !p.HasValue {
			continue
		}
		b.WriteByte('=')
		if p.Quoted {
			b.WriteByte('"')
			b.WriteString(p.Value)
			b.WriteByte('"')
		} else {
			b.WriteString(p.Value)
		}
	}
	return b.String()
}

// ParseExtensions parses every value of a Sec-WebSocket-Extensions header.
// RFC 6455 §9.1 lets the list be split across several header lines, so the
// values are read as one list, in order:
//
//	extension-list = 1#extension
//	extension      = token *( ";" param )
//	param          = token [ "=" ( token / quoted-string ) ]
//
// A quoted-string value must be a token once unquoted (RFC 6455 §9.1).
// Optional whitespace (SP, HTAB) may stand around ";", "," and "=", and
// empty list elements ("a, , b") are skipped (RFC 7230 §7). A value with no
// elements at all gives no extensions and no error, so an empty header is
// the same as none.
//
// Anything else, including a control or non-ASCII byte outside the places
// the grammar allows, gives an error wrapping ErrMalformedExtensions that
// names the value and byte offset; ParseExtensions never panics. It
// allocates the result, and a string only for a quoted value holding a
// quoted-pair; names and values are substrings of the input.
func ParseExtensions(values []string) ([]Extension, error) {
	var out []Extension
	for n, v := range values {
		p := extParser{s: v}
		var err error
		if out, err = p.parseList(out); err != nil {
			return nil, fmt.Errorf("%w: value %d, offset %d: %s", ErrMalformedExtensions, n+1, p.i, err)
		}
	}
	return out, nil
}

// extParser reads one header value; i is the offset of the next byte.
type extParser struct {
	s string
	i int
}

// parseList appends the extensions of the value to out.
func (p *extParser) parseList(out []Extension) ([]Extension, error) {
	for {
		p.skipOWS()
		if p.i == len(p.s) {
			return out, nil
		}
		if p.s[p.i] == ',' { // an empty list element
			p.i++
			continue
		}
		e, err := p.parseExtension()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		p.skipOWS()
		switch {
		case p.i == len(p.s):
			return out, nil
		case p.s[p.i] == ',':
			p.i++
		default:
			return nil, p.unexpected("\",\" or \";\"")
		}
	}
}

// parseExtension reads a token and its parameters, stopping before the ","
// or the end of the value that ends the element.
func (p *extParser) parseExtension() (Extension, error) {
	name := p.token()
	if name == "" {
		return Extension{}, p.unexpected("an extension name")
	}
	e := Extension{Name: name}
	for {
		p.skipOWS()
		if p.i == len(p.s) || p.s[p.i] != ';' {
			return e, nil
		}
		p.i++
		p.skipOWS()
		prm, err := p.parseParam()
		if err != nil {
			return Extension{}, err
		}
		e.Params = append(e.Params, prm)
	}
}

// parseParam reads param = token [ "=" ( token / quoted-string ) ].
func (p *extParser) parseParam() (Param, error) {
	name := p.token()
	if name == "" {
		return Param{}, p.unexpected("a parameter name")
	}
	p.skipOWS()
	if p.i == len(p.s) || p.s[p.i] != '=' {
		return Param{Name: name}, nil
	}
	p.i++
	p.skipOWS()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		v, err := p.quotedToken()
		if err != nil {
			return Param{}, err
		}
		return Param{Name: name, Value: v, HasValue: true, Quoted: true}, nil
	}
	v := p.token()
	if v == "" {
		return Param{}, p.unexpected("a parameter value")
	}
	return Param{Name: name, Value: v, HasValue: true}, nil
}

// quotedToken reads a quoted-string whose content, once its quoted-pairs
// are undone, must be a token (RFC 6455 §9.1). Since a token holds no
// space, control or separator byte, neither may the quoted-string, escaped
// or not.
func (p *extParser) quotedToken() (string, error) {
	p.i++ // the opening DQUOTE
	start := p.i
	var b []byte // nil until the first quoted-pair
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			v := p.s[start:p.i]
			if b != nil {
				v = string(b)
			}
			if v == "" {
				return "", errors.New("empty quoted value is not a token")
			}
			p.i++
			return v, nil
		case c == '\\':
			if b == nil {
				b = []byte(p.s[start:p.i])
			}
			p.i++
			if p.i == len(p.s) {
				return "", errors.New("unterminated quoted value")
			}
			c = p.s[p.i]
			if !IsTokenChar(c) {
				return "", fmt.Errorf("quoted value is not a token: it holds %s", describeByte(c))
			}
			b = append(b, c)
		case IsTokenChar(c):
			if b != nil {
				b = append(b, c)
			}
		default:
			return "", fmt.Errorf("quoted value is not a token: it holds %s", describeByte(c))
		}
		p.i++
	}
	return "", errors.New("unterminated quoted value")
}

// token reads the longest run of token bytes, possibly empty.
func (p *extParser) token() string {
	start := p.i
	for p.i < len(p.s) && IsTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

// skipOWS skips optional whitespace (RFC 7230 §3.2.3).
func (p *extParser) skipOWS() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// unexpected describes the byte at p.i, or the end of the value, where the
// grammar wanted something else.
func (p *extParser) unexpected(want string) error {
	if p.i == len(p.s) {
		return fmt.Errorf("expected %s, found the end of the value", want)
	}
	return fmt.Errorf("expected %s, found %s", want, describeByte(p.s[p.i]))
}

// describeByte names c for an error message: quoted if printable ASCII,
// in hex otherwise, so a control byte cannot garble a log line.
func describeByte(c byte) string {
	switch {
	case c < 0x20 || c == 0x7f:
		return fmt.Sprintf("control character 0x%02x", c)
	case c >= 0x80:
		return fmt.Sprintf("non-ASCII byte 0x%02x", c)
	}
	return fmt.Sprintf("%q", c)
}
