// Command matrix runs the interop tests and writes their matrix, peer ×
// case × direction, to docs/interop.md.
//
// Run it from the repository root:
//
//	go run ./interop/cmd/matrix                  # run, write docs/interop.md
//	go run ./interop/cmd/matrix -check -o out.md # as CI: fail unless everything passed
//
// It runs "go test -json ./interop/" with WSX_REQUIRE_INTEROP=1, so a peer
// that is not installed fails instead of skipping, and reads TestMatrix's
// results: TestMatrix/PEER/client/CASE and TestMatrix/PEER/server/CASE. With
// -check it exits 1 when any test of the package failed or skipped, or a
// cell of the matrix has no passing test.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/wsx-go/websocket/interop/internal/matrix"
)

func main() {
	out := flag.String("o", "docs/interop.md", "where to write the matrix (- for standard output)")
	check := flag.Bool("check", false, "exit 1 unless every interop test passed and every cell of the matrix ran")
	from := flag.String("from", "", "read the events of an earlier `go test -json ./interop/` from this file instead of running the tests")
	specPath := flag.String("spec", "interop/matrix.json", "the matrix's cases and peers")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *specPath, *from, *check); err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(1)
	}
}

func run(out, specPath, from string, check bool) error {
	spec, err := matrix.Load(specPath)
	if err != nil {
		return err
	}
	events, err := testEvents(from)
	if err != nil {
		return err
	}
	run, err := readRun(bytes.NewReader(events))
	if err != nil {
		return err
	}
	table := buildTable(spec, run)
	var doc bytes.Buffer
	writeDoc(&doc, spec, table)
	if out == "-" {
		os.Stdout.Write(doc.Bytes())
	} else if err := os.WriteFile(out, doc.Bytes(), 0o644); err != nil {
		return err
	}

	problems := table.problems(run)
	fmt.Fprintf(os.Stderr, "matrix: %d cells passed, %d failed, %d not run, %d not applicable; %d tests of the package failed, %d skipped\n",
		table.count(statusPass), table.count(statusFail), table.count(statusNotRun), table.count(statusNotApplicable),
		len(run.failed()), len(run.skipped()))
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "  "+p)
	}
	if check && len(problems) > 0 {
		return fmt.Errorf("%d problems", len(problems))
	}
	return nil
}

// testEvents returns the events of go test -json for the interop package:
// from the file from, or from running the tests.
func testEvents(from string) ([]byte, error) {
	if from != "" {
		return os.ReadFile(from)
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", "-timeout=20m", "./interop/")
	cmd.Env = append(os.Environ(), "WSX_REQUIRE_INTEROP=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	fmt.Fprintln(os.Stderr, "matrix: running", cmd.String())
	err := cmd.Run()
	if _, failed := err.(*exec.ExitError); err != nil && !failed {
		return nil, err
	}
	// A failing test makes go test exit 1; the events say which. No events
	// at all means it did not get as far as running the tests.
	if stdout.Len() == 0 {
		return nil, fmt.Errorf("go test printed no events: %v", err)
	}
	return stdout.Bytes(), nil
}
