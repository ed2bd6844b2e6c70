package matrix

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// specPath is the repository's matrix.json, from this package's directory.
var specPath = filepath.Join("..", "..", "matrix.json")

func TestRepositorySpecLoads(t *testing.T) {
	s, err := Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) == 0 || len(s.Peers) == 0 {
		t.Fatalf("spec has %d cases and %d peers", len(s.Cases), len(s.Peers))
	}
	for _, c := range s.Cases {
		text, data, ok := s.Message(c.Name)
		if ok && text && !utf8.Valid(data) {
			t.Errorf("case %s: text message is not valid UTF-8", c.Name)
		}
	}
}

func TestMessages(t *testing.T) {
	s := &Spec{TextUnit: "aé€😀", UTF8: "κόσμε", LargeSize: 1000}
	tests := []struct {
		name   string
		text   bool
		size   int
		prefix []byte
	}{
		{"text-0", true, 0, nil},
		{"text-13", true, 13, []byte("aé€😀aaa")},
		{"text-1048576", true, 1 << 20, []byte("aé€😀aé€😀")},
		{"binary-0", false, 0, nil},
		{"binary-3", false, 3, []byte{3, 34, 65}},
		{"binary-251", false, 251, []byte{0, 31, 62}},
		{"utf8", true, len("κόσμε"), []byte("κόσμε")},
		{"large", false, 1000, []byte{(1000) % 251}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, data, ok := s.Message(tt.name)
			if !ok || text != tt.text || len(data) != tt.size || !bytes.HasPrefix(data, tt.prefix) {
				t.Errorf("Message(%q) = %v, %d bytes starting %q, %v; want %v, %d bytes starting %q",
					tt.name, text, len(data), data[:min(len(data), 8)], ok, tt.text, tt.size, tt.prefix)
			}
			if text && !utf8.Valid(data) {
				t.Errorf("Message(%q) is not valid UTF-8", tt.name)
			}
		})
	}
	for _, name := range []string{"ping-by-client", "close-by-server", "origin-refused"} {
		if _, data, ok := s.Message(name); ok || data != nil {
			t.Errorf("Message(%q) = %d bytes, %v; want none", name, len(data), ok)
		}
	}
}

func TestLoadRefuses(t *testing.T) {
	good, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown case", `"name": "utf8"`, `"name": "utf-9"`, `case "utf-9"`},
		{"bad size", `"name": "text-125"`, `"name": "text-0125"`, `case "text-0125"`},
		{"duplicate case", `"name": "text-126"`, `"name": "text-125"`, "twice"},
		{"unknown not applicable", `"ping-by-client": "a page`, `"ping-by-nobody": "a page`, "ping-by-nobody"},
		{"close code", `"code": 4000`, `"code": 1000`, "close.code"},
		{"chosen not offered", `"chosen": "wsx.v1"`, `"chosen": "wsx.v3"`, "chosen"},
		{"no timeout", `"timeoutSeconds": 20`, `"timeoutSeconds": 0`, "timeoutSeconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tt.old)) {
				t.Fatalf("matrix.json has no %s", tt.old)
			}
			path := filepath.Join(t.TempDir(), "matrix.json")
			bad := bytes.Replace(good, []byte(tt.old), []byte(tt.new), 1)
			if err := os.WriteFile(path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCasesFor(t *testing.T) {
	s, err := Load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Peers {
		for _, role := range []Role{PeerClient, PeerServer} {
			run := s.CasesFor(p, role)
			for _, c := range run {
				if role == PeerServer && c.WsxServerOnly {
					t.Errorf("%s %s runs %s, a wsx-server-only case", p.Name, role, c.Name)
				}
				if _, na := p.NotApplicable[c.Name]; na {
					t.Errorf("%s %s runs %s, which it cannot do", p.Name, role, c.Name)
				}
			}
			if (role == PeerClient && !p.Client || role == PeerServer && !p.Server) && len(run) > 0 {
				t.Errorf("%s has no %s driver but runs %d cases", p.Name, role, len(run))
			}
		}
	}
}
