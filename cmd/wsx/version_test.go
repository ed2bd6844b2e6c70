package main

import (
	"bytes"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestPrintVersion checks the version line for the build information a
// release, a work tree and a build without information give.
func TestPrintVersion(t *testing.T) {
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"wsx v1.2.3 (go1.26.8)\n"},
		{"work tree", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main:     debug.Module{Version: "v0.0.0-20260101120000-abcdef123456+dirty"},
			Settings: setting("vcs", "git", "vcs.revision", "abcdef1234567890abcdef1234567890abcdef12", "vcs.modified", "true")},
			"wsx v0.0.0-20260101120000-abcdef123456+dirty (go1.26.8, rev abcdef123456, modified)\n"},
		{"clean tree", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: setting("vcs.revision", "abc1234", "vcs.modified", "false")},
			"wsx (devel) (go1.26.8, rev abc1234)\n"},
		{"no information", nil, "wsx (unknown) (" + runtime.Version() + ")\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printVersion(&b, tt.info)
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}
