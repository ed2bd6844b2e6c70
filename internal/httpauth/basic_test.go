package httpauth

import (
	"strings"
	"testing"
)

// TestBasic checks the examples of RFC 7617.
func TestBasic(t *testing.T) {
	tests := []struct{ user, password, want string }{
		// RFC 7617 §2.
		{"Aladdin", "open sesame", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
		// RFC 7617 §2.1, charset="UTF-8": "£" is U+00A3.
		{"test", "123\u00a3", "Basic dGVzdDoxMjPCow=="},
		// A colon in the password is fine: the first colon splits.
		{"u", "p:w", "Basic dTpwOnc="},
		{"", "", "Basic Og=="},
	}
	for _, tt := range tests {
		got, err := Basic(tt.user, tt.password)
		if err != nil || got != tt.want {
			t.Errorf("Basic(%q, %q) = %q, %v, want %q", tt.user, tt.password, got, err, tt.want)
		}
	}
}

// TestBasicErrors checks the user-id and password rules of RFC 7617 §2.
func TestBasicErrors(t *testing.T) {
	tests := []struct{ user, password string }{
		{"Ala:ddin", "open sesame"},
		{":", ""},
		{"Ala\x00ddin", "open sesame"},
		{"Aladdin\r\n", "open sesame"},
		{"Ala\tddin", "open sesame"},
		{"Ala\x7fddin", "open sesame"},
		{"Aladdin", "open\nsesame"},
		{"Aladdin", "\x1f"},
	}
	for _, tt := range tests {
		got, err := Basic(tt.user, tt.password)
		if err == nil {
			t.Errorf("Basic(%q, %q) = %q, want an error", tt.user, tt.password, got)
		} else if !strings.HasPrefix(err.Error(), "httpauth: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}
