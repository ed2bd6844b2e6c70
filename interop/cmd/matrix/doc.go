package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wsx-go/websocket/interop/internal/matrix"
)

// writeDoc writes the matrix as docs/interop.md.
func writeDoc(w io.Writer, spec *matrix.Spec, t *table) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# Interop matrix")
	p("")
	p("<!-- Written by `go run ./interop/cmd/matrix` from a run of the interop tests; do not edit. -->")
	p("")
	p("wsx against independent WebSocket implementations, in both directions: each peer's client")
	p("against a wsx server, and a wsx client against each peer's server, over loopback. Both ends")
	p("judge every case and both must be satisfied for a cell to pass. The cases and the drivers are")
	p("described in [interop/README.md](../interop/README.md); their shared values are in")
	p("[interop/matrix.json](../interop/matrix.json). CI runs the same command with `-check`, which")
	p("fails unless every cell below ran and passed and no interop test skipped.")
	p("")
	p("## Peers")
	p("")
	p("| peer | version in this run | what runs |")
	p("| --- | --- | --- |")
	seen := map[string]bool{}
	for _, c := range t.columns {
		if seen[c.peer.Name] {
			continue
		}
		seen[c.peer.Name] = true
		p("| %s | %s | %s |", c.peer.Title, orDash(c.version), c.peer.About)
	}
	p("")
	p("## Results")
	p("")
	applicable := len(t.rows)*len(t.columns) - t.count(statusNotApplicable)
	summary := fmt.Sprintf("%d of %d cells pass", t.count(statusPass), applicable)
	if n := t.count(statusFail); n > 0 {
		summary += fmt.Sprintf(", **%d fail**", n)
	}
	if n := t.count(statusNotRun); n > 0 {
		summary += fmt.Sprintf(", **%d did not run**", n)
	}
	p("%s (and %d are not applicable). \"A → B\" is A's client talking to B's server.", summary, t.count(statusNotApplicable))
	p("")
	header := []string{"case"}
	rule := []string{"---"}
	for _, c := range t.columns {
		if c.role == matrix.PeerClient {
			header = append(header, c.peer.Title+" → wsx")
		} else {
			header = append(header, "wsx → "+c.peer.Title)
		}
		rule = append(rule, ":---:")
	}
	p("| %s |", strings.Join(header, " | "))
	p("| %s |", strings.Join(rule, " | "))
	var notes []string // the reasons cells are not applicable, numbered in order
	for r, row := range t.rows {
		line := []string{"`" + row.Name + "`"}
		for _, c := range t.cells[r] {
			line = append(line, cellText(c, &notes))
		}
		p("| %s |", strings.Join(line, " | "))
	}
	p("")
	for i, n := range notes {
		p("%d. n/a: %s", i+1, n)
	}
	p("")
	p("## Cases")
	p("")
	p("| case | what is checked |")
	p("| --- | --- |")
	for _, row := range t.rows {
		p("| `%s` | %s |", row.Name, row.About)
	}
}

// cellText is a cell as the table shows it; a reason not applicable is
// numbered in notes.
func cellText(c cell, notes *[]string) string {
	switch c.status {
	case statusPass:
		return "pass"
	case statusFail:
		return "**FAIL**"
	case statusNotApplicable:
		i := slices.Index(*notes, c.note)
		if i < 0 {
			*notes = append(*notes, c.note)
			i = len(*notes) - 1
		}
		return fmt.Sprintf("n/a (%d)", i+1)
	}
	return "**not run**"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
