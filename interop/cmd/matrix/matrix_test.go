package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wsx-go/websocket/interop/internal/matrix"
)

// testSpec is a small matrix: two cases, a peer with both roles and a
// client-only peer that cannot ping.
func testSpec(t *testing.T) *matrix.Spec {
	t.Helper()
	s, err := matrix.Load(filepath.Join("..", "..", "matrix.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.Cases = []matrix.Case{{Name: "text-0"}, {Name: "ping-by-client"}, {Name: "origin-refused", WsxServerOnly: true}}
	s.Peers = []matrix.Peer{
		{Name: "a", Title: "A", Client: true, Server: true},
		{Name: "b", Title: "B", Client: true, NotApplicable: map[string]string{"ping-by-client": "cannot ping"}},
	}
	return s
}

// events renders go test -json lines: each pair is a test and its action,
// or a test and "log:TEXT" for an output line.
func events(t *testing.T, pairs ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := 0; i < len(pairs); i += 2 {
		e := event{Test: pairs[i], Action: pairs[i+1]}
		if text, ok := strings.CutPrefix(e.Action, "log:"); ok {
			e.Action, e.Output = "output", "    matrix_test.go:1: "+text+"\n"
		}
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString("FAIL\tgithub.com/wsx-go/websocket/interop\t1.0s\n") // a plain line, skipped
	return b.Bytes()
}

func TestTable(t *testing.T) {
	spec := testSpec(t)
	run, err := readRun(bytes.NewReader(events(t,
		"TestMatrix/a/client", "log:peer version: A 1.2",
		"TestMatrix/a/client/text-0", "pass",
		"TestMatrix/a/client/ping-by-client", "fail",
		"TestMatrix/a/client/origin-refused", "pass",
		"TestMatrix/a/server/text-0", "skip",
		// a/server/ping-by-client never ran
		"TestMatrix/b/client/text-0", "pass",
		"TestMatrix/b/client/origin-refused", "pass",
		"TestProxy", "skip",
	)))
	if err != nil {
		t.Fatal(err)
	}
	tab := buildTable(spec, run)

	var cols []string
	for _, c := range tab.columns {
		cols = append(cols, c.test())
	}
	if want := []string{"TestMatrix/a/client", "TestMatrix/a/server", "TestMatrix/b/client"}; !slices.Equal(cols, want) {
		t.Fatalf("columns %q, want %q", cols, want)
	}
	if v := tab.columns[0].version; v != "A 1.2" {
		t.Errorf("version of a/client = %q, want %q", v, "A 1.2")
	}
	want := [][]status{
		{statusPass, statusNotRun, statusPass},          // text-0
		{statusFail, statusNotRun, statusNotApplicable}, // ping-by-client
		{statusPass, statusNotApplicable, statusPass},   // origin-refused
	}
	for r, row := range tab.cells {
		for c, cell := range row {
			if cell.status != want[r][c] {
				t.Errorf("cell %s = %v, want %v", cell.test, cell.status, want[r][c])
			}
		}
	}

	problems := tab.problems(run)
	for _, p := range []string{
		"TestMatrix/a/client/ping-by-client: failed",
		"TestMatrix/a/server/text-0: skipped",
		"TestProxy: skipped",
		"TestMatrix/a/server/ping-by-client: not run",
	} {
		if !slices.Contains(problems, p) {
			t.Errorf("problems lack %q: %q", p, problems)
		}
	}

	var doc bytes.Buffer
	writeDoc(&doc, spec, tab)
	for _, line := range []string{
		"| case | A → wsx | wsx → A | B → wsx |",
		"| `text-0` | pass | **not run** | pass |",
		"| `ping-by-client` | **FAIL** | **not run** | n/a (1) |",
		"| `origin-refused` | pass | n/a (2) | pass |",
		"1. n/a: cannot ping",
		"2. n/a: tests the wsx server's policy",
		"4 of 7 cells pass, **1 fail**, **2 did not run** (and 2 are not applicable).",
	} {
		if !strings.Contains(doc.String(), line) {
			t.Errorf("the document lacks %q:\n%s", line, doc.String())
		}
	}
}

func TestReadRunRefusesNoTests(t *testing.T) {
	if _, err := readRun(strings.NewReader("# github.com/wsx-go/websocket/interop\nbuild failed\n")); err == nil {
		t.Error("readRun of a failed build returned no error")
	}
}
