package main

import (
	"fmt"

	"github.com/wsx-go/websocket/interop/internal/matrix"
)

// status is the state of one cell of the matrix.
type status int

const (
	statusPass          status = iota // its test passed
	statusFail                        // its test failed
	statusNotRun                      // no test ran it, or it skipped
	statusNotApplicable               // the peer cannot do it, by matrix.json
)

func (s status) String() string {
	return [...]string{"pass", "fail", "not run", "not applicable"}[s]
}

// column is one direction with one peer.
type column struct {
	peer    matrix.Peer
	role    matrix.Role
	version string // as the driver said it in this run
}

// test is the name of the test that runs the column's cases.
func (c column) test() string { return "TestMatrix/" + c.peer.Name + "/" + string(c.role) }

// cell is one case in one column.
type cell struct {
	status status
	test   string // the test's name
	note   string // why it is not applicable
}

// table is the matrix: a row per case, a column per peer and direction.
type table struct {
	columns []column
	rows    []matrix.Case
	cells   [][]cell // [row][column]
}

// buildTable fills the matrix from the tests' results.
func buildTable(spec *matrix.Spec, run *testRun) *table {
	t := &table{rows: spec.Cases}
	for _, p := range spec.Peers {
		for _, role := range []matrix.Role{matrix.PeerClient, matrix.PeerServer} {
			if role == matrix.PeerClient && p.Client || role == matrix.PeerServer && p.Server {
				c := column{peer: p, role: role}
				c.version = run.logged(c.test(), "peer version: ")
				t.columns = append(t.columns, c)
			}
		}
	}
	for _, row := range t.rows {
		cells := make([]cell, len(t.columns))
		for i, col := range t.columns {
			c := cell{test: col.test() + "/" + row.Name}
			if why := spec.NotApplicable(col.peer, col.role, row); why != "" {
				c.status, c.note = statusNotApplicable, why
			} else {
				switch run.results[c.test] {
				case "pass":
					c.status = statusPass
				case "fail":
					c.status = statusFail
				default:
					c.status = statusNotRun
				}
			}
			cells[i] = c
		}
		t.cells = append(t.cells, cells)
	}
	return t
}

// count returns the number of cells with status s.
func (t *table) count(s status) int {
	n := 0
	for _, row := range t.cells {
		for _, c := range row {
			if c.status == s {
				n++
			}
		}
	}
	return n
}

// problems lists what keeps the run from being a clean one: every failed
// or skipped test of the package, and every cell no test ran.
func (t *table) problems(run *testRun) []string {
	var out []string
	for _, name := range run.failed() {
		out = append(out, name+": failed")
	}
	for _, name := range run.skipped() {
		out = append(out, name+": skipped")
	}
	for _, row := range t.cells {
		for _, c := range row {
			if c.status == statusNotRun {
				out = append(out, fmt.Sprintf("%s: not run", c.test))
			}
		}
	}
	return out
}
