package handshake

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestParseExtensions checks the RFC 6455 §9.1 grammar on well-formed
// headers.
func TestParseExtensions(t *testing.T) {
	pmd := "permessage-deflate"
	tests := []struct {
		name   string
		values []string
		want   []Extension
	}{
		{"no values", nil, nil},
		{"empty value", []string{""}, nil},
		{"only empty elements", []string{" , ,\t,"}, nil},
		{"bare name", []string{pmd}, []Extension{{Name: pmd}}},
		{"name case kept", []string{"PerMessage-Deflate"}, []Extension{{Name: "PerMessage-Deflate"}}},
		{
			"valueless param",
			[]string{"permessage-deflate; client_max_window_bits"},
			[]Extension{{Name: pmd, Params: []Param{{Name: "client_max_window_bits"}}}},
		},
		{
			"params in order",
			[]string{"permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits"},
			[]Extension{{Name: pmd, Params: []Param{
				{Name: "server_no_context_takeover"},
				{Name: "server_max_window_bits", Value: "10", HasValue: true},
				{Name: "client_max_window_bits"},
			}}},
		},
		{
			"quoted value",
			[]string{`permessage-deflate; server_max_window_bits="10"`},
			[]Extension{{Name: pmd, Params: []Param{{Name: "server_max_window_bits", Value: "10", HasValue: true, Quoted: true}}}},
		},
		{
			"quoted-pair in a quoted value",
			[]string{`x; a="\1\0"; b="a\-b"`},
			[]Extension{{Name: "x", Params: []Param{
				{Name: "a", Value: "10", HasValue: true, Quoted: true},
				{Name: "b", Value: "a-b", HasValue: true, Quoted: true},
			}}},
		},
		{
			"OWS everywhere it may be",
			[]string{" \tpermessage-deflate \t; \tserver_max_window_bits \t= \t10\t ;client_max_window_bits ; a = \"b\" \t, x\t "},
			[]Extension{
				{Name: pmd, Params: []Param{
					{Name: "server_max_window_bits", Value: "10", HasValue: true},
					{Name: "client_max_window_bits"},
					{Name: "a", Value: "b", HasValue: true, Quoted: true},
				}},
				{Name: "x"},
			},
		},
		{
			"no OWS at all",
			[]string{"a;b=1;c,d;e"},
			[]Extension{
				{Name: "a", Params: []Param{{Name: "b", Value: "1", HasValue: true}, {Name: "c"}}},
				{Name: "d", Params: []Param{{Name: "e"}}},
			},
		},
		{
			"several elements, one line",
			[]string{"permessage-deflate; client_max_window_bits, permessage-deflate, x-webkit-deflate-frame"},
			[]Extension{
				{Name: pmd, Params: []Param{{Name: "client_max_window_bits"}}},
				{Name: pmd},
				{Name: "x-webkit-deflate-frame"},
			},
		},
		{
			"several lines",
			[]string{"permessage-deflate; server_no_context_takeover", "foo, bar; baz=2"},
			[]Extension{
				{Name: pmd, Params: []Param{{Name: "server_no_context_takeover"}}},
				{Name: "foo"},
				{Name: "bar", Params: []Param{{Name: "baz", Value: "2", HasValue: true}}},
			},
		},
		{
			"empty elements and lines",
			[]string{",a, , b,,", "", " , c"},
			[]Extension{{Name: "a"}, {Name: "b"}, {Name: "c"}},
		},
		{
			"every tchar",
			[]string{"!#$%&'*+-.^_`|~09AZaz; !#$%&'*+-.^_`|~09AZaz=!#$%&'*+-.^_`|~09AZaz"},
			[]Extension{{Name: "!#$%&'*+-.^_`|~09AZaz", Params: []Param{
				{Name: "!#$%&'*+-.^_`|~09AZaz", Value: "!#$%&'*+-.^_`|~09AZaz", HasValue: true},
			}}},
		},
		{
			"duplicate params are the extension's business",
			[]string{"x; a; a=1"},
			[]Extension{{Name: "x", Params: []Param{{Name: "a"}, {Name: "a", Value: "1", HasValue: true}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExtensions(tt.values)
			if err != nil {
				t.Fatalf("ParseExtensions(%q): %v", tt.values, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseExtensions(%q) =\n%#v, want\n%#v", tt.values, got, tt.want)
			}
		})
	}
}

// TestParseExtensionsMalformed checks that headers breaking RFC 6455 §9.1
// give an error wrapping ErrMalformedExtensions, and say where and why.
func TestParseExtensionsMalformed(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		reason string // a part of the error message
	}{
		{"missing name", []string{"; a=1"}, "expected an extension name"},
		{"missing name after comma", []string{"a, ;b"}, "expected an extension name"},
		{"double semicolon", []string{"a;;b"}, "expected a parameter name"},
		{"trailing semicolon", []string{"a; b;"}, "expected a parameter name, found the end"},
		{"semicolon then comma", []string{"a; , b"}, "expected a parameter name"},
		{"equals without name", []string{"a; =1"}, "expected a parameter name"},
		{"equals without value", []string{"a; b="}, "expected a parameter value, found the end"},
		{"equals without value before comma", []string{"a; b= , c"}, "expected a parameter value"},
		{"equals without value before semicolon", []string{"a; b=; c"}, "expected a parameter value"},
		{"two equals", []string{"a; b==1"}, "expected a parameter value"},
		{"value with equals", []string{"a; b=1=2"}, `expected "," or ";"`},
		{"space inside name", []string{"perm deflate"}, `expected "," or ";", found 'd'`},
		{"space inside value", []string{"a; b=1 2"}, `expected "," or ";"`},
		{"separator in name", []string{"a/b"}, `found '/'`},
		{"quoted name", []string{`"a"`}, "expected an extension name"},
		{"unterminated quote", []string{`a; b="10`}, "unterminated quoted value"},
		{"unterminated quote after escape", []string{`a; b="1\`}, "unterminated quoted value"},
		{"quote cannot span lines", []string{`a; b="1`, `0"`}, "value 1"},
		{"empty quoted value", []string{`a; b=""`}, "empty quoted value"},
		{"quoted space", []string{`a; b="1 0"`}, "quoted value is not a token: it holds ' '"},
		{"quoted comma", []string{`a; b="1,0"`}, "not a token: it holds ','"},
		{"quoted escaped quote", []string{`a; b="1\"0"`}, `not a token: it holds '"'`},
		{"quoted escaped space", []string{`a; b="1\ 0"`}, "not a token"},
		{"quoted tab", []string{"a; b=\"1\t0\""}, "control character 0x09"},
		{"quoted non-ASCII", []string{"a; b=\"caf\xc3\xa9\""}, "non-ASCII byte 0xc3"},
		{"text after quoted value", []string{`a; b="1"0`}, `expected "," or ";", found '0'`},
		{"NUL in name", []string{"a\x00b"}, "control character 0x00"},
		{"CR LF", []string{"a\r\n; b"}, "control character 0x0d"},
		{"DEL in value", []string{"a; b=1\x7f"}, "control character 0x7f"},
		{"non-ASCII name", []string{"d\xc3\xa9flate"}, "non-ASCII byte 0xc3"},
		{"vertical tab is not OWS", []string{"a;\vb"}, "control character 0x0b"},
		{"error in a later value", []string{"a", "b", "c;"}, "value 3, offset 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExtensions(tt.values)
			if err == nil {
				t.Fatalf("ParseExtensions(%q) = %#v, want an error", tt.values, got)
			}
			if got != nil {
				t.Errorf("ParseExtensions(%q) returned %#v with its error", tt.values, got)
			}
			if !errors.Is(err, ErrMalformedExtensions) {
				t.Errorf("error %v does not wrap ErrMalformedExtensions", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

// TestExtensionString checks the formatting of an element, and that it
// reads back.
func TestExtensionString(t *testing.T) {
	tests := []struct {
		e    Extension
		want string
	}{
		{Extension{Name: "permessage-deflate"}, "permessage-deflate"},
		{
			Extension{Name: "permessage-deflate", Params: []Param{
				{Name: "server_no_context_takeover"},
				{Name: "server_max_window_bits", Value: "10", HasValue: true},
				{Name: "client_max_window_bits", Value: "9", HasValue: true, Quoted: true},
			}},
			`permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits="9"`,
		},
		// A Value set without HasValue is not written.
		{Extension{Name: "x", Params: []Param{{Name: "a", Value: "1"}}}, "x; a"},
	}
	for _, tt := range tests {
		got := tt.e.String()
		if got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.e, got, tt.want)
		}
	}
	for _, tt := range tests[:2] {
		back, err := ParseExtensions([]string{tt.e.String()})
		if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0], tt.e) {
			t.Errorf("ParseExtensions(%q) = %#v, %v; want %#v", tt.e.String(), back, err, tt.e)
		}
	}
}

// FuzzParseExtensions checks that ParseExtensions never panics, that what
// it accepts is made of tokens, and that formatting the result and parsing
// it again gives the same extensions. Lines of the input are separate
// header values.
func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate",
		"permessage-deflate; client_max_window_bits, permessage-deflate",
		"permessage-deflate; server_no_context_takeover; server_max_window_bits=10\nfoo; bar=\"b\\az\"",
		" , a ;\tb = \"1\" , ,",
		"a;;b",
		"a; b=",
		`a; b="1`,
		`a; b="1 0"`,
		"a\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		values := strings.Split(s, "\n")
		exts, err := ParseExtensions(values)
		if err != nil {
			if exts != nil {
				t.Fatalf("extensions %#v with error %v", exts, err)
			}
			if !errors.Is(err, ErrMalformedExtensions) {
				t.Fatalf("error %v does not wrap ErrMalformedExtensions", err)
			}
			return
		}
		parts := make([]string, len(exts))
		for i, e := range exts {
			if !ValidToken(e.Name) {
				t.Fatalf("extension name %q is not a token", e.Name)
			}
			if e.Params != nil && len(e.Params) == 0 {
				t.Fatalf("extension %#v has an empty parameter slice", e)
			}
			for _, p := range e.Params {
				if !ValidToken(p.Name) {
					t.Fatalf("parameter name %q is not a token", p.Name)
				}
				if p.HasValue && !ValidToken(p.Value) {
					t.Fatalf("parameter value %q is not a token", p.Value)
				}
				if !p.HasValue && (p.Value != "" || p.Quoted) {
					t.Fatalf("valueless parameter %#v", p)
				}
			}
			parts[i] = e.String()
		}
		out := strings.Join(parts, ", ")
		again, err := ParseExtensions([]string{out})
		if err != nil {
			t.Fatalf("reparsing %q (from %q): %v", out, s, err)
		}
		if !reflect.DeepEqual(again, exts) {
			t.Fatalf("reparsing %q (from %q) gave\n%#v, want\n%#v", out, s, again, exts)
		}
	})
}
