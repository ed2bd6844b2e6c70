package main

import (
	"strings"
	"time"
)

// Scenario is one family of measurements. It expands into cells; every
// cell is measured for every implementation, Config.Reps times, each time
// against a fresh server process.
//
// Later scenarios plug in here with their own cells, metrics and Run:
// idle memory at 10 000 connections (reading the server's RSS through
// serverProc.PID), broadcast to 1000 clients, and in-process micro
// benchmarks of masking and UTF-8 validation (with Run ignoring the
// server, or a Scenario field to skip starting one).
type Scenario struct {
	Name    string
	Doc     string   // a paragraph for the report
	Cells   []Cell   // the parameter combinations
	Metrics []Metric // what Run returns, in order; Metrics[0] ranks
	// Run measures one cell once against the running server srv.
	Run func(srv *serverProc, im Impl, cell Cell, cfg *Config) ([]float64, error)
}

// Cell is one parameter combination of a scenario.
type Cell struct {
	Name  string
	Conns int // concurrent connections
	Size  int // message size in bytes
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
var scenarios = []Scenario{echoScenario}

// selectCells returns the cells of sc that filter selects: an empty
// filter, the scenario's name, or a prefix of "scenario/cell" in a
// comma-separated list.
func selectCells(sc Scenario, filter string) []Cell {
	if filter == "" {
		return sc.Cells
	}
	var out []Cell
	for _, c := range sc.Cells {
		for f := range strings.SplitSeq(filter, ",") {
			if f = strings.TrimSpace(f); f == sc.Name || (f != "" && strings.HasPrefix(sc.Name+"/"+c.Name, f)) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
