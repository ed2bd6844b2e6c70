package main

import (
	"strings"
	"time"
)

// Scenario is one family of measurements. It expands into cells; every
// cell is measured for every implementation, Config.Reps times, each time
// against a fresh server process.
//
// Each scenario lives in its own scenario_*.go file.
type Scenario struct {
	Name       string
	Doc        string   // a paragraph for the report
	Cells      []Cell   // the parameter combinations
	QuickCells []Cell   // the cells of a -quick run, if not Cells
	Metrics    []Metric // what Run returns, in order; Metrics[0] ranks
	// Run measures one cell once against the running server srv (nil
	// with NoServer).
	Run func(srv *serverProc, im Impl, cell Cell, cfg *Config) ([]float64, error)

	// NoServer runs the scenario in this process, with no server.
	NoServer bool
	// ServerArgs, if set, returns extra arguments for the serve
	// subcommand of a cell.
	ServerArgs func(cell Cell, cfg *Config) []string
	// Subjects, if set, returns what is measured in a cell instead of the
	// selected implementations: rows whose Serve is nil, named for the
	// function measured, Raw marking the reference row.
	Subjects func(cell Cell, list []Impl) []Impl
	// RefName names the reference the ratio column compares with; "raw"
	// if empty.
	RefName string
	// RefBestExcept, if set, makes the reference of the ratio column the
	// best row other than the one of this name: for wsx, the fastest peer,
	// in the scenarios that have no raw row.
	RefBestExcept string
}

// cells returns the cells of a full or a -quick run.
func (sc *Scenario) cells(quick bool) []Cell {
	if quick && sc.QuickCells != nil {
		return sc.QuickCells
	}
	return sc.Cells
}

// refName returns the name of the reference of the ratio column.
func (sc *Scenario) refName() string {
	if sc.RefName == "" {
		return rawName
	}
	return sc.RefName
}

// Cell is one parameter combination of a scenario.
type Cell struct {
	Name  string
	Conns int    // concurrent connections
	Size  int    // message size in bytes
	Msgs  int    // messages per connection, for the scenarios that count them
	Mode  string // a variant the scenario defines, such as deflate's context takeover
}

// Metric describes one number a scenario measures.
type Metric struct {
	Name         string
	Unit         string
	HigherBetter bool
	Format       func(float64) string
}

// Config holds the run settings every scenario shares.
type Config struct {
	Warm    time.Duration // load before measuring, per repetition
	Measure time.Duration // measuring window, per repetition
	Reps    int           // repetitions per cell and implementation
	Quick   bool
}

// scenarios is every scenario, in report order.
var scenarios = []Scenario{echoScenario, idleScenario, broadcastScenario, deflateScenario, microScenario}

// selectCells returns the cells of sc that filter selects: an empty
// filter, the scenario's name, or a prefix of "scenario/cell" in a
// comma-separated list.
func selectCells(sc Scenario, filter string, quick bool) []Cell {
	if filter == "" {
		return sc.cells(quick)
	}
	var out []Cell
	for _, c := range sc.cells(quick) {
		for f := range strings.SplitSeq(filter, ",") {
			if f = strings.TrimSpace(f); f == sc.Name || (f != "" && strings.HasPrefix(sc.Name+"/"+c.Name, f)) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
