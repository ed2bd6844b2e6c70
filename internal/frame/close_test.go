package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// closePayload builds a close payload from a code and raw reason bytes,
// without any of AppendClose's checks.
func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// TestValidWireCode checks every boundary of the close code classes of
// RFC 6455 §7.4.1 (defined codes), §7.4.2 (reserved ranges) and the IANA
// registry for 1012-1015.
func TestValidWireCode(t *testing.T) {
	tests := []struct {
		code uint16
		want bool
		why  string
	}{
		{0, false, "§7.4.2: 0-999 not used"},
		{999, false, "§7.4.2: 0-999 not used"},
		{1000, true, "normal closure"},
		{1001, true, "going away"},
		{1002, true, "protocol error"},
		{1003, true, "unsupported data"},
		{1004, false, "§7.4.1: reserved"},
		{1005, false, "§7.4.1: no status, never on the wire"},
		{1006, false, "§7.4.1: abnormal closure, never on the wire"},
		{1007, true, "invalid payload data"},
		{1008, true, "policy violation"},
		{1009, true, "message too big"},
		{1010, true, "mandatory extension"},
		{1011, true, "internal error"},
		{1012, true, "IANA: service restart"},
		{1013, true, "IANA: try again later"},
		{1014, true, "IANA: bad gateway"},
		{1015, false, "§7.4.1: TLS handshake, never on the wire"},
		{1016, false, "§7.4.2: unassigned protocol range"},
		{1999, false, "§7.4.2: protocol range"},
		{2000, false, "§7.4.2: extension range, not registered"},
		{2999, false, "§7.4.2: extension range"},
		{3000, true, "§7.4.2: registered (libraries, frameworks)"},
		{3999, true, "§7.4.2: registered range"},
		{4000, true, "§7.4.2: private use"},
		{4999, true, "§7.4.2: private use"},
		{5000, false, "§7.4.2: undefined"},
		{65535, false, "§7.4.2: undefined"},
	}
	for _, tt := range tests {
		if got := ValidWireCode(tt.code); got != tt.want {
			t.Errorf("ValidWireCode(%d) = %v, want %v (%s)", tt.code, got, tt.want, tt.why)
		}
	}
}

// TestParseCloseEveryCode checks that ParseClose accepts exactly the codes
// ValidWireCode allows, for all 65536 codes, and that the valid set has the
// expected size (4 + 8 + 2000 codes).
func TestParseCloseEveryCode(t *testing.T) {
	valid := 0
	for c := range 1 << 16 {
		code := uint16(c)
		got, reason, err := ParseClose(closePayload(code, "ok"))
		if ValidWireCode(code) {
			valid++
			if err != nil || got != code || string(reason) != "ok" {
				t.Fatalf("ParseClose(%d) = %d, %q, %v", code, got, reason, err)
			}
		} else if !errors.Is(err, ErrCloseCodeInvalid) || got != code || reason != nil {
			t.Fatalf("ParseClose(%d) = %d, %q, %v; want ErrCloseCodeInvalid", code, got, reason, err)
		}
	}
	if valid != 4+8+2000 {
		t.Fatalf("%d valid codes, want %d", valid, 4+8+2000)
	}
}

// TestParseClose checks RFC 6455 §5.5.1: an optional 2-byte code followed by
// an optional UTF-8 reason.
func TestParseClose(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		wantCode   uint16
		wantReason string
		wantErr    error
	}{
		{"empty is no status (§7.1.5)", nil, NoStatus, "", nil},
		{"one byte", []byte{0x03}, 0, "", ErrCloseOneByte},
		{"one byte zero", []byte{0x00}, 0, "", ErrCloseOneByte},
		{"code only", closePayload(1000, ""), 1000, "", nil},
		{"code and reason", closePayload(1001, "bye"), 1001, "bye", nil},
		{"multibyte reason", closePayload(4000, "héllo €𝄞"), 4000, "héllo €𝄞", nil},
		{"max reason", closePayload(1000, strings.Repeat("a", MaxCloseReason)), 1000, strings.Repeat("a", MaxCloseReason), nil},
		{"1005 on the wire (§7.4.1)", closePayload(1005, ""), 1005, "", ErrCloseCodeInvalid},
		{"1006 on the wire (§7.4.1)", closePayload(1006, ""), 1006, "", ErrCloseCodeInvalid},
		{"code 0", closePayload(0, ""), 0, "", ErrCloseCodeInvalid},
		{"invalid code before invalid reason", closePayload(999, "\xff"), 999, "", ErrCloseCodeInvalid},
		{"reason 0xff (§8.1)", closePayload(1000, "\xff"), 1000, "", ErrCloseReasonUTF8},
		{"reason surrogate", closePayload(1000, "\xed\xa0\x80"), 1000, "", ErrCloseReasonUTF8},
		{"reason overlong", closePayload(1000, "\xc0\xaf"), 1000, "", ErrCloseReasonUTF8},
		{"reason above U+10FFFF", closePayload(1000, "\xf4\x90\x80\x80"), 1000, "", ErrCloseReasonUTF8},
		{"reason cut code point", closePayload(1000, "ok\xe2\x82"), 1000, "", ErrCloseReasonUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := ParseClose(tt.in)
			if !errors.Is(err, tt.wantErr) || code != tt.wantCode || string(reason) != tt.wantReason {
				t.Fatalf("ParseClose(% x) = %d, %q, %v; want %d, %q, %v",
					tt.in, code, reason, err, tt.wantCode, tt.wantReason, tt.wantErr)
			}
			if err != nil && reason != nil {
				t.Fatalf("reason %q returned with error", reason)
			}
		})
	}
}

func TestAppendClose(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name   string
		code   uint16
		reason string
		want   []byte
	}{
		{"no status is an empty payload (§7.4.1)", NoStatus, "ignored", nil},
		{"code only", 1000, "", []byte{0x03, 0xe8}},
		{"code and reason", 1001, "bye", []byte{0x03, 0xe9, 'b', 'y', 'e'}},
		{"private code", 4999, "", []byte{0x13, 0x87}},
		{"long reason cut to fit a control frame (§5.5)", 1000, long, closePayload(1000, long[:MaxCloseReason])},
		{"invalid UTF-8 replaced", 1000, "a\xffb", closePayload(1000, "a\uFFFDb")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xaa}
			got := AppendClose(prefix, tt.code, tt.reason)
			if !bytes.Equal(got[:1], prefix) || !bytes.Equal(got[1:], tt.want) {
				t.Fatalf("AppendClose = % x, want aa % x", got, tt.want)
			}
			if len(got)-1 > MaxControlPayload {
				t.Fatalf("payload of %d bytes exceeds a control frame", len(got)-1)
			}
		})
	}
}

// TestTruncateReason checks the cut at MaxCloseReason (123) bytes, with
// code points of every width straddling the cut.
func TestTruncateReason(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"short", "bye", "bye"},
		{"exactly 123", a(123), a(123)},
		{"124 ASCII", a(124), a(123)},
		{"2-byte ends at 123", a(121) + "é", a(121) + "é"},
		{"2-byte straddles 123", a(122) + "é", a(122)},
		{"3-byte ends at 123", a(120) + "€", a(120) + "€"},
		{"3-byte straddles 123 by 1", a(121) + "€", a(121)},
		{"3-byte straddles 123 by 2", a(122) + "€", a(122)},
		{"4-byte ends at 123", a(119) + "𝄞", a(119) + "𝄞"},
		{"4-byte straddles 123 by 1", a(120) + "𝄞", a(120)},
		{"4-byte straddles 123 by 2", a(121) + "𝄞", a(121)},
		{"4-byte straddles 123 by 3", a(122) + "𝄞", a(122)},
		{"all 2-byte", strings.Repeat("é", 100), strings.Repeat("é", 61)},
		{"all 3-byte", strings.Repeat("€", 100), strings.Repeat("€", 41)},
		{"all 4-byte", strings.Repeat("𝄞", 100), strings.Repeat("𝄞", 30)},
		{"invalid byte replaced", "a\xffb", "a\uFFFDb"},
		{"cut code point replaced", "a\xe2\x82", "a\uFFFD"},
		{"replacement straddles 123", a(121) + "\xff", a(121)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TruncateReason(tt.in)
			if got != tt.want {
				t.Fatalf("TruncateReason = %q (%d bytes), want %q (%d bytes)", got, len(got), tt.want, len(tt.want))
			}
			checkTruncated(t, tt.in, got)
		})
	}
}

// checkTruncated checks the contract of TruncateReason: the result is valid
// UTF-8, fits MaxCloseReason, and is the longest whole-code-point prefix of
// the sanitized input that fits.
func checkTruncated(t *testing.T, in, got string) {
	t.Helper()
	clean := strings.ToValidUTF8(in, "\uFFFD")
	if !utf8.ValidString(got) || len(got) > MaxCloseReason || !strings.HasPrefix(clean, got) {
		t.Fatalf("TruncateReason(%q) = %q: invalid, too long or not a prefix", in, got)
	}
	if len(got) < len(clean) {
		_, size := utf8.DecodeRuneInString(clean[len(got):])
		if len(got)+size <= MaxCloseReason {
			t.Fatalf("TruncateReason(%q) = %q: cut too early", in, got)
		}
	}
}

// FuzzParseClose checks that ParseClose never panics and that what it
// accepts survives a round trip through AppendClose.
func FuzzParseClose(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x03})
	f.Add(closePayload(1000, "bye"))
	f.Add(closePayload(1005, ""))
	f.Add(closePayload(4000, "\xed\xa0\x80"))
	f.Add(closePayload(1001, strings.Repeat("€", 41)))
	f.Fuzz(func(t *testing.T, p []byte) {
		code, reason, err := ParseClose(p)
		if err != nil {
			if reason != nil {
				t.Fatalf("reason with error %v", err)
			}
			return
		}
		if !utf8.Valid(reason) {
			t.Fatalf("accepted invalid UTF-8 reason %q", reason)
		}
		if len(p) == 0 {
			if code != NoStatus || reason != nil {
				t.Fatalf("empty payload gave %d, %q", code, reason)
			}
		} else if !ValidWireCode(code) {
			t.Fatalf("accepted code %d", code)
		}

		// ParseClose does not bound the length: a receiver enforces the
		// 125-byte control frame limit (RFC 6455 §5.5) on the header, so a
		// longer payload cannot arrive. Past it, AppendClose cuts the reason.
		out := AppendClose(nil, code, string(reason))
		code2, reason2, err := ParseClose(out)
		if err != nil || code2 != code {
			t.Fatalf("round trip of %d, %q: got %d, %q, %v", code, reason, code2, reason2, err)
		}
		if len(p) <= MaxControlPayload {
			if !bytes.Equal(reason2, reason) || !bytes.Equal(out, p) {
				t.Fatalf("round trip: % x -> % x", p, out)
			}
		} else {
			checkTruncated(t, string(reason), string(reason2))
		}
	})
}
