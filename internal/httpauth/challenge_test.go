package httpauth

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/handshake"
)

// TestParseChallenges checks the challenge grammar of RFC 9110 §11.1-§11.3
// and the list rule of §5.6.1.
func TestParseChallenges(t *testing.T) {
	basic := func(realm string) Challenge {
		return Challenge{Scheme: "basic", Params: map[string]string{"realm": realm}}
	}
	tests := []struct {
		name   string
		values []string
		want   []Challenge
	}{
		{"no values", nil, nil},
		{"empty value", []string{""}, nil},
		{"only separators", []string{" , ,\t,"}, nil},
		{"basic", []string{`Basic realm="x"`}, []Challenge{basic("x")}},
		{
			"two in one value",
			[]string{`Digest realm="a", qop="auth,auth-int", nonce="x", Basic realm="b"`},
			[]Challenge{
				{Scheme: "digest", Params: map[string]string{"realm": "a", "qop": "auth,auth-int", "nonce": "x"}},
				basic("b"),
			},
		},
		{
			"two values",
			[]string{`Digest realm="a", nonce="x"`, `Basic realm="b"`},
			[]Challenge{
				{Scheme: "digest", Params: map[string]string{"realm": "a", "nonce": "x"}},
				basic("b"),
			},
		},
		{
			// RFC 9110 §5.3: field lines combine into one comma-separated list.
			"parameters continue in the next value",
			[]string{`Digest realm="a"`, `nonce="x"`, `Basic realm="b"`},
			[]Challenge{
				{Scheme: "digest", Params: map[string]string{"realm": "a", "nonce": "x"}},
				basic("b"),
			},
		},
		{
			// The example of RFC 9110 §11.6.1.
			"rfc 9110 example",
			[]string{`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`},
			[]Challenge{
				{Scheme: "newauth", Params: map[string]string{"realm": "apps", "type": "1", "title": `Login to "apps"`}},
				basic("simple"),
			},
		},
		{"token68 base64", []string{"Basic dXNlcg=="}, []Challenge{{Scheme: "basic", Token68: "dXNlcg=="}}},
		{"token68 negotiate", []string{"Negotiate abc=="}, []Challenge{{Scheme: "negotiate", Token68: "abc=="}}},
		{"token68 no padding", []string{"Negotiate abc"}, []Challenge{{Scheme: "negotiate", Token68: "abc"}}},
		{
			"token68 every character",
			[]string{"Bearer aZ09-._~+/=="},
			[]Challenge{{Scheme: "bearer", Token68: "aZ09-._~+/=="}},
		},
		{
			"token68 then challenge",
			[]string{`Negotiate abc==, Basic realm="x"`},
			[]Challenge{{Scheme: "negotiate", Token68: "abc=="}, basic("x")},
		},
		{
			"token68 case kept",
			[]string{"NEGOTIATE AbC=,Basic realm=x"},
			[]Challenge{{Scheme: "negotiate", Token68: "AbC="}, basic("x")},
		},
		{
			// The grammar reads "realm=" as a token68 ending in padding.
			"lone name and equals is a token68",
			[]string{"Basic realm="},
			[]Challenge{{Scheme: "basic", Token68: "realm="}},
		},
		{"bare scheme", []string{"Negotiate"}, []Challenge{{Scheme: "negotiate"}}},
		{
			"bare schemes",
			[]string{"Negotiate, NTLM", "Basic realm=x"},
			[]Challenge{{Scheme: "negotiate"}, {Scheme: "ntlm"}, basic("x")},
		},
		{
			"quoted string with escapes and commas",
			[]string{`Basic realm="a \"quoted\", realm\\ with, commas", Digest realm="\a"`},
			[]Challenge{
				basic(`a "quoted", realm\ with, commas`),
				{Scheme: "digest", Params: map[string]string{"realm": "a"}},
			},
		},
		{"empty quoted string", []string{`Basic realm=""`}, []Challenge{basic("")}},
		{"obs-text", []string{"Basic realm=\"caf\xc3\xa9\""}, []Challenge{basic("caf\xc3\xa9")}},
		{"tab and escaped tab", []string{"Basic realm=\"a\tb\\\tc\""}, []Challenge{basic("a\tb\tc")}},
		{
			"spaces around equals",
			[]string{`Digest realm = "a" , nonce ="n",qop= auth`},
			[]Challenge{{Scheme: "digest", Params: map[string]string{"realm": "a", "nonce": "n", "qop": "auth"}}},
		},
		{
			"tabs",
			[]string{"\tBasic\trealm\t=\t\"x\"\t"},
			[]Challenge{basic("x")},
		},
		{
			"upper case names",
			[]string{`DIGEST REALM="A", Nonce="N", ALGORITHM=SHA-256`},
			[]Challenge{{Scheme: "digest", Params: map[string]string{"realm": "A", "nonce": "N", "algorithm": "SHA-256"}}},
		},
		{"empty elements before", []string{`, ,Basic realm="x"`}, []Challenge{basic("x")}},
		{"empty elements after", []string{`Basic realm="x",, ,`}, []Challenge{basic("x")}},
		{
			"empty elements between parameters",
			[]string{`Digest realm="a",, ,nonce="n"`},
			[]Challenge{{Scheme: "digest", Params: map[string]string{"realm": "a", "nonce": "n"}}},
		},
		{
			"token values",
			[]string{"Digest realm=r, nonce=n, algorithm=MD5-sess, stale=TRUE"},
			[]Challenge{{Scheme: "digest", Params: map[string]string{"realm": "r", "nonce": "n", "algorithm": "MD5-sess", "stale": "TRUE"}}},
		},
		{
			"parameters after a bare scheme",
			[]string{`Negotiate, realm="x"`},
			[]Challenge{{Scheme: "negotiate", Params: map[string]string{"realm": "x"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChallenges(tt.values)
			if err != nil {
				t.Fatalf("ParseChallenges(%q): %v", tt.values, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseChallenges(%q) =\n%#v, want\n%#v", tt.values, got, tt.want)
			}
		})
	}
}

// TestParseChallengesErrors checks that malformed input is refused.
func TestParseChallengesErrors(t *testing.T) {
	tests := []struct {
		name   string
		values []string
	}{
		{"unterminated quote", []string{`Basic realm="x`}},
		{"unterminated after escape", []string{`Basic realm="x\`}},
		{"quote cannot span values", []string{`Basic realm="a`, `b"`}},
		{"missing scheme", []string{`realm="x"`}},
		{"missing scheme after separator", []string{`, realm="x"`}},
		{"missing name", []string{`="x"`}},
		{"missing scheme in first value", []string{`realm="x"`, `Basic realm="y"`}},
		{"realm without value at end", []string{`Digest nonce="n", realm=`}},
		{"realm without value before comma", []string{`Digest nonce="n", realm=, qop=auth`}},
		{"realm without value first", []string{`Digest realm=, nonce="n"`}},
		{"value is equals", []string{`Basic realm=="x"`}},
		{"no equals", []string{`Digest realm="a", nonce "n"`}},
		{"semicolon", []string{`Basic realm="x"; charset=UTF-8`}},
		{"at in scheme", []string{`Ba@sic realm="x"`}},
		{"quote after scheme", []string{`Basic"x"`}},
		{"brace", []string{"Basic {x}"}},
		{"two tokens", []string{"Basic realm=x y"}},
		{"text after quoted string", []string{`Basic realm="a"b`}},
		{"two quoted strings", []string{`Basic realm="a" "b"`}},
		{"control character in quoted string", []string{"Basic realm=\"x\x01\""}},
		{"DEL in quoted string", []string{"Basic realm=\"x\x7f\""}},
		{"escaped control character", []string{"Basic realm=\"x\\\x00\""}},
		{"CRLF", []string{"Basic realm=\"x\"\r\n"}},
		{"LF inside", []string{"Basic realm=\"x\",\nDigest realm=\"y\""}},
		{"non-ASCII token", []string{"Basic realm=caf\xc3\xa9"}},
		{"non-ASCII scheme", []string{"B\xc3\xa4sic realm=x"}},
		{"parameter after token68", []string{`Negotiate abc==, realm="x"`}},
		{"parameter after token68 across values", []string{"Negotiate abc==", `realm="x"`}},
		{"duplicate parameter", []string{`Digest realm="a", REALM="b"`}},
		{"duplicate parameter across values", []string{`Digest realm="a"`, `realm="b"`}},
		{"padding only", []string{"Negotiate =="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChallenges(tt.values)
			if err == nil {
				t.Fatalf("ParseChallenges(%q) = %#v, want an error", tt.values, got)
			}
			if got != nil {
				t.Errorf("ParseChallenges(%q) returned %#v with its error", tt.values, got)
			}
			if !strings.HasPrefix(err.Error(), "httpauth: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestRealm checks the realm accessor, also on a challenge without
// parameters.
func TestRealm(t *testing.T) {
	if r := (Challenge{}).Realm(); r != "" {
		t.Errorf("zero Challenge: Realm() = %q", r)
	}
	chs, err := ParseChallenges([]string{`Basic REALM="Who \"goes\" there"`})
	if err != nil {
		t.Fatal(err)
	}
	if r := chs[0].Realm(); r != `Who "goes" there` {
		t.Errorf("Realm() = %q", r)
	}
}

// formatChallenges writes challenges back as one header value, parameters
// sorted by name, every value quoted.
func formatChallenges(chs []Challenge) (string, error) {
	var parts []string
	for _, c := range chs {
		s := c.Scheme
		if c.Token68 != "" {
			s += " " + c.Token68
		}
		names := make([]string, 0, len(c.Params))
		for n := range c.Params {
			names = append(names, n)
		}
		slices.Sort(names)
		for i, n := range names {
			q, err := quote(c.Params[n])
			if err != nil {
				return "", err
			}
			if i == 0 {
				s += " "
			} else {
				s += ", "
			}
			s += n + "=" + q
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", "), nil
}

// FuzzParseChallenges checks that ParseChallenges never panics, that what
// it accepts is well formed, and that writing the result back and parsing
// it again gives the same challenges. Lines of the input are separate
// header values.
func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Basic realm="x"`,
		`Digest realm="a", qop="auth,auth-int", nonce="x", Basic realm="b"`,
		"Digest realm=\"a\"\nnonce=\"x\"",
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple"`,
		"Negotiate abc==, Basic dXNlcg==",
		`, ,Basic realm="x",,`,
		`DIGEST REALM = "A" , nonce= n`,
		`Basic realm="a\"b\\c,d"`,
		"Basic realm=",
		`Basic realm="x`,
		"Basic realm=\"caf\xc3\xa9\t\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		values := strings.Split(s, "\n")
		chs, err := ParseChallenges(values)
		if err != nil {
			if chs != nil {
				t.Fatalf("challenges %#v with error %v", chs, err)
			}
			return
		}
		for _, c := range chs {
			if !handshake.ValidToken(c.Scheme) || lowerASCII(c.Scheme) != c.Scheme {
				t.Fatalf("scheme %q is not a lower-case token", c.Scheme)
			}
			if c.Token68 != "" && c.Params != nil {
				t.Fatalf("challenge %#v has both a token68 and parameters", c)
			}
			if c.Params != nil && len(c.Params) == 0 {
				t.Fatalf("challenge %#v has an empty map", c)
			}
			for n := range c.Params {
				if !handshake.ValidToken(n) || lowerASCII(n) != n {
					t.Fatalf("parameter name %q is not a lower-case token", n)
				}
			}
		}
		out, err := formatChallenges(chs)
		if err != nil {
			t.Fatalf("formatting %#v: %v", chs, err)
		}
		again, err := ParseChallenges([]string{out})
		if err != nil {
			t.Fatalf("reparsing %q (from %q): %v", out, s, err)
		}
		if !reflect.DeepEqual(again, chs) {
			t.Fatalf("reparsing %q (from %q) gave\n%#v, want\n%#v", out, s, again, chs)
		}
	})
}
