package httpauth

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/handshake"
)

// credParam is one auth-param of credentials as written on the wire.
type credParam struct {
	value  string // unquoted
	quoted bool
}

// parseCredentials reads credentials "Digest name=value, ..." as Digest
// writes them, keeping whether each value was quoted. It is written
// plainly, apart from ParseChallenges, so the two check each other.
func parseCredentials(t *testing.T, s string) map[string]credParam {
	t.Helper()
	rest, ok := strings.CutPrefix(s, "Digest ")
	if !ok {
		t.Fatalf("credentials %q do not start with \"Digest \"", s)
	}
	params := make(map[string]credParam)
	for rest != "" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok || !handshake.ValidToken(strings.TrimSuffix(name, "*")) {
			t.Fatalf("bad parameter name at %q in %q", rest, s)
		}
		var p credParam
		if strings.HasPrefix(after, `"`) {
			p.quoted = true
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' {
					i++
				}
				b.WriteByte(after[i])
			}
			if i == len(after) {
				t.Fatalf("unterminated quoted value in %q", s)
			}
			p.value, rest = b.String(), after[i+1:]
		} else {
			end := strings.IndexByte(after, ',')
			if end < 0 {
				end = len(after)
			}
			p.value, rest = after[:end], after[end:]
			if !handshake.ValidToken(p.value) && name != "username*" {
				t.Fatalf("unquoted value %q of %s is not a token in %q", p.value, name, s)
			}
		}
		if _, dup := params[name]; dup {
			t.Fatalf("%s given twice in %q", name, s)
		}
		params[name] = p
		if rest != "" {
			if rest, ok = strings.CutPrefix(rest, ", "); !ok || rest == "" {
				t.Fatalf("bad separator in %q", s)
			}
		}
	}

	// RFC 7616 §3.4: these are tokens, the rest quoted-strings.
	for name, p := range params {
		switch name {
		case "algorithm", "qop", "nc", "userhash", "username*":
			if p.quoted {
				t.Errorf("%s is quoted in %q", name, s)
			}
		default:
			if !p.quoted {
				t.Errorf("%s is not quoted in %q", name, s)
			}
		}
	}

	// The credentials grammar is the challenge grammar (RFC 9110 §11.4).
	chs, err := ParseChallenges([]string{s})
	if err != nil || len(chs) != 1 || chs[0].Scheme != "digest" {
		t.Fatalf("ParseChallenges(%q) = %#v, %v", s, chs, err)
	}
	for name, p := range params {
		if got := chs[0].Params[name]; got != p.value {
			t.Errorf("ParseChallenges reads %s as %q, want %q", name, got, p.value)
		}
	}
	if len(chs[0].Params) != len(params) {
		t.Errorf("ParseChallenges reads %d parameters, want %d", len(chs[0].Params), len(params))
	}
	return params
}

// values returns the unquoted values of params.
func values(params map[string]credParam) map[string]string {
	m := make(map[string]string, len(params))
	for k, p := range params {
		m[k] = p.value
	}
	return m
}

// mustChallenge parses a header value holding one challenge.
func mustChallenge(t *testing.T, value string) Challenge {
	t.Helper()
	chs, err := ParseChallenges([]string{value})
	if err != nil || len(chs) != 1 {
		t.Fatalf("ParseChallenges(%q) = %#v, %v", value, chs, err)
	}
	return chs[0]
}

// unfold joins the lines of an RFC example into one header value.
func unfold(lines ...string) string { return strings.Join(lines, ", ") }

// The challenge and answers of RFC 7616 §3.9.1 (SHA-256 first, then MD5),
// for "Mufasa" with password "Circle of Life" (lower-case "of", erratum
// 4495).
const rfc7616Nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"

var rfc7616Request = DigestRequest{
	Method:   "GET",
	URI:      "/dir/index.html",
	Username: "Mufasa",
	Password: "Circle of Life",
	CNonce:   "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
	NC:       1,
}

// TestDigestRFC7616 checks the two answers of RFC 7616 §3.9.1 byte for
// byte, in the RFC's parameter order.
func TestDigestRFC7616(t *testing.T) {
	for _, tt := range []struct{ alg, response string }{
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			ch := mustChallenge(t, "Digest "+unfold(
				`realm="http-auth@example.org"`,
				`qop="auth, auth-int"`,
				`algorithm=`+tt.alg,
				`nonce="`+rfc7616Nonce+`"`,
				`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			))
			want := "Digest " + unfold(
				`username="Mufasa"`,
				`realm="http-auth@example.org"`,
				`uri="/dir/index.html"`,
				`algorithm=`+tt.alg,
				`nonce="`+rfc7616Nonce+`"`,
				`nc=00000001`,
				`cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"`,
				`qop=auth`,
				`response="`+tt.response+`"`,
				`opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			)
			got, err := Digest(ch, rfc7616Request)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Digest =\n%s\nwant\n%s", got, want)
			}
			parseCredentials(t, got)
		})
	}
}

// TestDigestRFC2617 checks the example of RFC 2617 §3.5 (password
// "Circle Of Life", capital "O").
func TestDigestRFC2617(t *testing.T) {
	ch := mustChallenge(t, "Digest "+unfold(
		`realm="testrealm@host.com"`,
		`qop="auth,auth-int"`,
		`nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"`,
		`opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
	))
	got, err := Digest(ch, DigestRequest{
		Method:   "GET",
		URI:      "/dir/index.html",
		Username: "Mufasa",
		Password: "Circle Of Life",
		CNonce:   "0a4f113b",
		NC:       1,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"username": "Mufasa",
		"realm":    "testrealm@host.com",
		"nonce":    "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		"uri":      "/dir/index.html",
		"qop":      "auth",
		"nc":       "00000001",
		"cnonce":   "0a4f113b",
		"response": "6629fae49393a05397450978507c4ef1",
		"opaque":   "5ccc069c403ebaf9f0171e9517f40e41",
	}
	if params := values(parseCredentials(t, got)); !reflect.DeepEqual(params, want) {
		t.Errorf("Digest = %s\nparameters %v\nwant %v", got, params, want)
	}
}

// truncatedSHA512 is SHA-512 cut to 256 bits, the hash that reproduces the
// "SHA-512-256" example of RFC 7616 §3.9.2. It is not the SHA-512/256 of
// FIPS 180-4, which starts from other initial values and gives username
// 793263ca... and response 3798d413... for the same example.
type truncatedSHA512 struct{ hash.Hash }

func (h truncatedSHA512) Sum(b []byte) []byte { return h.Hash.Sum(b)[:len(b)+32] }
func (h truncatedSHA512) Size() int           { return 32 }

// TestDigestRFC7616Userhash checks the userhash example of RFC 7616
// §3.9.2. Digest refuses its algorithm, SHA-512-256, so the test swaps in
// the hash the RFC's numbers were computed with and checks the rest of the
// answer: userhash, charset and the parameter layout.
func TestDigestRFC7616Userhash(t *testing.T) {
	ch := mustChallenge(t, "Digest "+unfold(
		`realm="api@example.org"`,
		`qop="auth"`,
		`algorithm=SHA-512-256`,
		`nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"`,
		`opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS"`,
		`charset=UTF-8`,
		`userhash=true`,
	))
	req := DigestRequest{
		Method: "GET",
		URI:    "/doe.json",
		// "Jason Doe" with U+00E4 and U+00F8: 4A C3A4 73 C3B8 6E 20 44 6F 65.
		Username: "J\u00e4s\u00f8n Doe",
		Password: "Secret, or not?",
		CNonce:   "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
		NC:       1,
	}
	if got, err := Digest(ch, req); err == nil {
		t.Fatalf("Digest answered SHA-512-256: %s", got)
	}

	bare := ch
	bare.Params = maps.Clone(ch.Params)
	delete(bare.Params, "algorithm")
	d, err := readDigestChallenge(bare)
	if err != nil {
		t.Fatal(err)
	}
	d.alg = algorithm{name: "SHA-512-256", newHash: func() hash.Hash { return truncatedSHA512{sha512.New()} }}
	d.namedAlg = true
	got, err := d.answer(req)
	if err != nil {
		t.Fatal(err)
	}
	want := "Digest " + unfold(
		`username="488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec"`,
		`realm="api@example.org"`,
		`uri="/doe.json"`,
		`algorithm=SHA-512-256`,
		`nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK"`,
		`nc=00000001`,
		`cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v"`,
		`qop=auth`,
		`response="ae66e67d6b427bd3f120414a82e4acff38e8ecd9101d6c861229025f607a79dd"`,
		`opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS"`,
		`userhash=true`,
	)
	if got != want {
		t.Errorf("answer =\n%s\nwant\n%s", got, want)
	}
	parseCredentials(t, got)
}

// hexOf returns the lower-case hex digest of s under the named algorithm
// family, computed directly.
func hexOf(alg, s string) string {
	if strings.HasPrefix(alg, "SHA-256") {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// expectedResponse computes the response of RFC 7616 §3.4.1-§3.4.3 (and
// RFC 2069 when qop is empty) written out step by step, apart from the
// code under test.
func expectedResponse(alg, qop, realm, nonce, cnonce, nc string, req DigestRequest) string {
	ha1 := hexOf(alg, req.Username+":"+realm+":"+req.Password)
	if strings.HasSuffix(alg, "-sess") {
		ha1 = hexOf(alg, ha1+":"+nonce+":"+cnonce)
	}
	a2 := req.Method + ":" + req.URI
	if qop == "auth-int" {
		a2 += ":" + hexOf(alg, "")
	}
	ha2 := hexOf(alg, a2)
	if qop == "" {
		return hexOf(alg, ha1+":"+nonce+":"+ha2)
	}
	return hexOf(alg, ha1+":"+nonce+":"+nc+":"+cnonce+":"+qop+":"+ha2)
}

// TestDigestVariants checks every algorithm with every qop form, userhash
// and opaque, against expectedResponse and for the set and quoting of the
// parameters.
func TestDigestVariants(t *testing.T) {
	req := DigestRequest{
		Method:   "CONNECT",
		URI:      "proxy.example:443",
		Username: "Mufasa",
		Password: "Circle of Life",
		CNonce:   "0a4f113b",
		NC:       0x2a,
	}
	for _, alg := range []string{"", "MD5", "MD5-sess", "SHA-256", "SHA-256-sess"} {
		for _, offer := range []string{"", "auth", "auth-int", "auth,auth-int", "auth-int, auth"} {
			for _, userhash := range []bool{false, true} {
				sess := strings.HasSuffix(alg, "-sess")
				name := fmt.Sprintf("alg=%q qop=%q userhash=%v", alg, offer, userhash)
				t.Run(name, func(t *testing.T) {
					fields := []string{`realm="proxy"`, `nonce="abc123"`}
					if alg != "" {
						fields = append(fields, "algorithm="+alg)
					}
					if offer != "" {
						fields = append(fields, `qop="`+offer+`"`)
					}
					if userhash {
						fields = append(fields, "userhash=TRUE", `opaque="op"`)
					}
					ch := mustChallenge(t, "Digest "+unfold(fields...))
					got, err := Digest(ch, req)
					if sess && offer == "" {
						if err == nil {
							t.Fatalf("Digest = %s, want an error for -sess without qop", got)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}

					qop := ""
					switch offer {
					case "auth-int":
						qop = "auth-int"
					case "":
					default:
						qop = "auth"
					}
					want := map[string]string{
						"username": req.Username,
						"realm":    "proxy",
						"uri":      req.URI,
						"nonce":    "abc123",
						"response": expectedResponse(alg, qop, "proxy", "abc123", req.CNonce, "0000002a", req),
					}
					if alg != "" {
						want["algorithm"] = alg
					}
					if qop != "" {
						want["qop"] = qop
						want["nc"] = "0000002a"
						want["cnonce"] = req.CNonce
					}
					if userhash {
						want["username"] = hexOf(alg, req.Username+":proxy")
						want["userhash"] = "true"
						want["opaque"] = "op"
					}
					if params := values(parseCredentials(t, got)); !reflect.DeepEqual(params, want) {
						t.Errorf("Digest = %s\nparameters %v\nwant %v", got, params, want)
					}
				})
			}
		}
	}
}

// TestDigestDetails checks the smaller rules: defaults, spelling, escaping
// and the RFC 8187 username*.
func TestDigestDetails(t *testing.T) {
	base := `Digest realm="r", nonce="n", qop=auth`
	tests := []struct {
		name      string
		challenge string
		req       DigestRequest
		want      map[string]string // parameters that must have these values
		absent    []string          // parameters that must not be sent
	}{
		{
			name:      "nc zero means one",
			challenge: base,
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c"},
			want:      map[string]string{"nc": "00000001"},
		},
		{
			name:      "nc is lower-case hex",
			challenge: base,
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c", NC: 0xABCDEF01},
			want:      map[string]string{"nc": "abcdef01"},
		},
		{
			name:      "algorithm name is canonical",
			challenge: base + ", algorithm=sha-256-SESS",
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c"},
			want:      map[string]string{"algorithm": "SHA-256-sess"},
		},
		{
			name:      "qop case and spaces",
			challenge: `Digest realm="r", nonce="n", qop=" AUTH-INT , Auth "`,
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c"},
			want:      map[string]string{"qop": "auth"},
		},
		{
			name:      "unknown qop values are skipped",
			challenge: `Digest realm="r", nonce="n", qop="auth-conf,auth-int"`,
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c"},
			want:      map[string]string{"qop": "auth-int"},
		},
		{
			name:      "rfc 2069 form",
			challenge: `Digest realm="r", nonce="n", opaque="o"`,
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c"},
			want:      map[string]string{"opaque": "o"},
			absent:    []string{"qop", "nc", "cnonce", "algorithm", "userhash"},
		},
		{
			name:      "userhash false",
			challenge: base + ", userhash=false, charset=utf-8",
			req:       DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "c"},
			want:      map[string]string{"username": "u"},
			absent:    []string{"userhash", "charset"},
		},
		{
			name:      "quotes and backslashes are escaped",
			challenge: `Digest realm="a \"b\" \\c", nonce="n\"", qop=auth, opaque="\\"`,
			req:       DigestRequest{Method: "GET", URI: `/a"b`, Username: `x"y\z`, CNonce: `c"`},
			want: map[string]string{
				"realm": `a "b" \c`, "nonce": `n"`, "opaque": `\`,
				"uri": `/a"b`, "username": `x"y\z`, "cnonce": `c"`,
			},
		},
		{
			// RFC 7616 §3.4 and RFC 8187 §3.2.1, with the name of §3.9.2.
			name:      "non-ASCII username",
			challenge: base + ", charset=UTF-8",
			req:       DigestRequest{Method: "GET", URI: "/", Username: "J\u00e4s\u00f8n Doe", CNonce: "c"},
			want:      map[string]string{"username*": "UTF-8''J%C3%A4s%C3%B8n%20Doe"},
			absent:    []string{"username"},
		},
		{
			name:      "non-ASCII username hashed",
			challenge: base + ", userhash=true",
			req:       DigestRequest{Method: "GET", URI: "/", Username: "J\u00e4s\u00f8n Doe", CNonce: "c"},
			want:      map[string]string{"username": hexOf("MD5", "J\u00e4s\u00f8n Doe:r"), "userhash": "true"},
			absent:    []string{"username*"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Digest(mustChallenge(t, tt.challenge), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			params := values(parseCredentials(t, got))
			for k, v := range tt.want {
				if params[k] != v {
					t.Errorf("%s = %q, want %q in %s", k, params[k], v, got)
				}
			}
			for _, k := range tt.absent {
				if _, ok := params[k]; ok {
					t.Errorf("%s sent in %s", k, got)
				}
			}
		})
	}
}

// TestDigestFreshCNonce checks that an empty CNonce becomes 16 fresh random
// bytes in hex, and that the response uses it.
func TestDigestFreshCNonce(t *testing.T) {
	ch := mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, algorithm=SHA-256`)
	req := DigestRequest{Method: "GET", URI: "/", Username: "u", Password: "p"}
	seen := make(map[string]bool)
	for range 100 {
		got, err := Digest(ch, req)
		if err != nil {
			t.Fatal(err)
		}
		p := values(parseCredentials(t, got))
		c := p["cnonce"]
		if b, err := hex.DecodeString(c); err != nil || len(b) != 16 || strings.ToLower(c) != c {
			t.Fatalf("cnonce %q is not 16 bytes in lower-case hex", c)
		}
		if seen[c] {
			t.Fatalf("cnonce %q repeated", c)
		}
		seen[c] = true
		if want := expectedResponse("SHA-256", "auth", "r", "n", c, "00000001", req); p["response"] != want {
			t.Fatalf("response %q, want %q", p["response"], want)
		}
	}
}

// TestDigestErrors checks the challenges and requests Digest refuses.
func TestDigestErrors(t *testing.T) {
	ok := DigestRequest{Method: "GET", URI: "/", Username: "u", Password: "p", CNonce: "c"}
	tests := []struct {
		name      string
		challenge Challenge
		req       DigestRequest
	}{
		{"sha-512-256", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, algorithm=SHA-512-256`), ok},
		{"sha-512-256-sess", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, algorithm=SHA-512-256-sess`), ok},
		{"sha-1", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, algorithm=SHA-1`), ok},
		{"empty algorithm", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, algorithm=""`), ok},
		{"kelvin sign", mustChallenge(t, "Digest realm=\"r\", nonce=\"n\", qop=auth, algorithm=\"MD5-sess\u212a\""), ok},
		{"missing nonce", mustChallenge(t, `Digest realm="r", qop=auth`), ok},
		{"missing realm", mustChallenge(t, `Digest nonce="n", qop=auth`), ok},
		{"token68", mustChallenge(t, `Digest abc==`), ok},
		{"basic challenge", mustChallenge(t, `Basic realm="r", nonce="n"`), ok},
		{"unsupported qop", mustChallenge(t, `Digest realm="r", nonce="n", qop="auth-conf"`), ok},
		{"empty qop", mustChallenge(t, `Digest realm="r", nonce="n", qop=""`), ok},
		{"sess without qop", mustChallenge(t, `Digest realm="r", nonce="n", algorithm=MD5-sess`), ok},
		{"charset", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, charset=ISO-8859-1`), ok},
		{"userhash", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth, userhash=yes`), ok},
		{"empty method", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{URI: "/", Username: "u"}},
		{"method with space", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{Method: "GE T", URI: "/", Username: "u"}},
		{"empty uri", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{Method: "GET", Username: "u"}},
		{"uri with CRLF", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{Method: "GET", URI: "/\r\nX: y", Username: "u"}},
		{"username with LF", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{Method: "GET", URI: "/", Username: "u\n"}},
		{"username not UTF-8", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{Method: "GET", URI: "/", Username: "\xff"}},
		{"cnonce with NUL", mustChallenge(t, `Digest realm="r", nonce="n", qop=auth`), DigestRequest{Method: "GET", URI: "/", Username: "u", CNonce: "\x00"}},
		{
			"built challenge with CR in nonce",
			Challenge{Scheme: "digest", Params: map[string]string{"realm": "r", "nonce": "n\r"}},
			ok,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Digest(tt.challenge, tt.req)
			if err == nil {
				t.Fatalf("Digest = %s, want an error", got)
			}
			if got != "" {
				t.Errorf("Digest returned %q with its error", got)
			}
			if !strings.HasPrefix(err.Error(), "httpauth: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// FuzzDigest checks that whatever challenge ParseChallenges and Pick let
// through, Digest either refuses it or writes credentials that parse back
// to the challenge's values.
func FuzzDigest(f *testing.F) {
	f.Add(`Digest realm="r", nonce="n", qop="auth,auth-int", algorithm=SHA-256, opaque="o"`, "Mufasa", "/")
	f.Add(`Digest realm="a \"b\"", nonce="\\", userhash=true, charset=UTF-8`, "x:y", "/a?b=c")
	f.Add(`Digest realm="r", nonce="n", algorithm=MD5-sess, qop=auth-int`, "J\u00e4s\u00f8n", "host:443")
	f.Fuzz(func(t *testing.T, value, user, uri string) {
		chs, err := ParseChallenges([]string{value})
		if err != nil {
			return
		}
		ch, ok := Pick(chs)
		if !ok || ch.Scheme != "digest" {
			return
		}
		got, err := Digest(ch, DigestRequest{Method: "GET", URI: uri, Username: user, Password: "p", CNonce: "c"})
		if err != nil {
			return
		}
		p := values(parseCredentials(t, got))
		for _, name := range []string{"realm", "nonce", "opaque"} {
			if v, ok := ch.Params[name]; ok && p[name] != v {
				t.Fatalf("%s = %q, want %q in %s", name, p[name], v, got)
			}
		}
		if p["uri"] != uri {
			t.Fatalf("uri = %q, want %q in %s", p["uri"], uri, got)
		}
	})
}
