package httpauth

import (
	"reflect"
	"testing"
)

// TestPick checks the order Digest SHA-256 > Digest MD5 > Basic, and that
// challenges Digest cannot answer are passed over.
func TestPick(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   int // index of the challenge Pick returns; -1 for none
	}{
		{"none", nil, -1},
		{"unknown schemes", []string{"Negotiate abc==, NTLM, Bearer realm=x"}, -1},
		{"basic", []string{`Negotiate, Basic realm="x"`}, 1},
		{"digest over basic", []string{`Basic realm="x", Digest realm="x", nonce="n", qop=auth`}, 1},
		{"default algorithm is md5", []string{`Basic realm="x"`, `Digest realm="x", nonce="n"`}, 1},
		{
			"sha-256 over md5",
			[]string{
				`Digest realm="x", nonce="n", qop="auth", algorithm=MD5`,
				`Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256`,
			},
			1,
		},
		{
			"sha-256-sess over md5-sess",
			[]string{
				`Digest realm="x", nonce="n", qop="auth", algorithm=MD5-sess`,
				`Digest realm="x", nonce="n", qop="auth", algorithm=sha-256-SESS`,
			},
			1,
		},
		{
			"first of equals",
			[]string{
				`Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256-sess`,
				`Digest realm="x", nonce="n", qop="auth", algorithm=SHA-256`,
			},
			0,
		},
		{
			// RFC 7616 §3.9.1 offers both.
			"rfc 7616 pair",
			[]string{
				`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
				`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			},
			0,
		},
		{"unsupported algorithm", []string{`Digest realm="x", nonce="n", qop=auth, algorithm=SHA-512-256, Basic realm="x"`}, 1},
		{"digest without nonce", []string{`Digest realm="x", Basic realm="x"`}, 1},
		{"digest without realm", []string{`Digest nonce="n", Basic realm="x"`}, 1},
		{"sess without qop", []string{`Digest realm="x", nonce="n", algorithm=MD5-sess, Basic realm="x"`}, 1},
		{"unsupported qop", []string{`Digest realm="x", nonce="n", qop="auth-conf", Basic realm="x"`}, 1},
		{"nothing answerable", []string{`Digest realm="x", nonce="n", algorithm=SHA-512-256`}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chs, err := ParseChallenges(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := Pick(chs)
			if tt.want < 0 {
				if ok || !reflect.DeepEqual(got, Challenge{}) {
					t.Errorf("Pick = %#v, %v, want none", got, ok)
				}
				return
			}
			if !ok || !reflect.DeepEqual(got, chs[tt.want]) {
				t.Errorf("Pick = %#v, %v, want %#v", got, ok, chs[tt.want])
			}
		})
	}
}

// TestPickBuiltChallenge checks that a challenge built by hand with a
// capitalised scheme is still recognised.
func TestPickBuiltChallenge(t *testing.T) {
	chs := []Challenge{{Scheme: "Basic", Params: map[string]string{"realm": "x"}}}
	if got, ok := Pick(chs); !ok || got.Scheme != "Basic" {
		t.Errorf("Pick = %#v, %v", got, ok)
	}
}
