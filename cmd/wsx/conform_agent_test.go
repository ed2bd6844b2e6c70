package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/internal/conform"
)

// TestConformAgent runs the agent against the built-in fuzzing server and
// checks that it ran every case and asked for the reports. Sections 12 and
// 13 (minutes at Autobahn's message count) are left to
// TestConformCompression, which runs them with fewer messages.
func TestConformAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs the whole suite")
	}
	cases := conform.Select(conform.Cases(), nil, []string{"12", "13"})
	fs := &conform.FuzzingServer{Cases: cases}
	updated := make(chan string, 10)
	fs.OnUpdateReports = func(agent string) { updated <- agent }
	srv := httptest.NewServer(fs)
	defer srv.Close()

	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	if err := runConformAgent([]string{"-url", url, "-agent", "wsx-test"}); err != nil {
		t.Fatal(err)
	}
	close(updated)
	var agents []string
	for a := range updated {
		agents = append(agents, a)
	}
	if len(agents) != 1 || agents[0] != "wsx-test" {
		t.Errorf("updateReports calls: %q, want [wsx-test]", agents)
	}
	results := fs.Results()["wsx-test"]
	if len(results) != len(cases) {
		seen := map[string]bool{}
		for _, r := range results {
			seen[r.ID] = true
		}
		for _, c := range cases {
			if !seen[c.ID] {
				t.Errorf("no result for case %s", c.ID)
			}
		}
		t.Fatalf("%d results for %d cases", len(results), len(cases))
	}
	for _, r := range results {
		if !r.Passed() {
			t.Errorf("case %s: behavior %s (%s), close %s (%s)", r.ID, r.Behavior, r.Result, r.BehaviorClose, r.ResultClose)
		}
	}
}
