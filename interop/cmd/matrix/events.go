package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action string
	Test   string
	Output string
}

// testRun is what go test -json said about the package's tests.
type testRun struct {
	results map[string]string   // test name: "pass", "fail" or "skip"
	output  map[string][]string // test name: its output lines
}

// readRun reads go test -json events.
func readRun(r io.Reader) (*testRun, error) {
	run := &testRun{results: map[string]string{}, output: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue // go test's own lines, such as a build failure
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("reading test events: %w", err)
		}
		if e.Test == "" {
			continue
		}
		switch e.Action {
		case "pass", "fail", "skip":
			run.results[e.Test] = e.Action
		case "output":
			run.output[e.Test] = append(run.output[e.Test], strings.TrimRight(e.Output, "\n"))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading test events: %w", err)
	}
	if len(run.results) == 0 {
		return nil, fmt.Errorf("the test events name no test")
	}
	return run, nil
}

// withResult returns the tests whose result is want, sorted.
func (r *testRun) withResult(want string) []string {
	var names []string
	for name, res := range r.results {
		if res == want {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func (r *testRun) failed() []string  { return r.withResult("fail") }
func (r *testRun) skipped() []string { return r.withResult("skip") }

// logged returns the first text a test logged after marker, such as
// "peer version: ", or "".
func (r *testRun) logged(test, marker string) string {
	for _, line := range r.output[test] {
		if _, after, ok := strings.Cut(line, marker); ok {
			return strings.TrimSpace(after)
		}
	}
	return ""
}
