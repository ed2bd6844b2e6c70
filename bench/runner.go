package main

import (
	"fmt"
	"math/rand/v2"
	"os"
)

// cellResult holds every measurement of one scenario cell.
type cellResult struct {
	Cell Cell
	Rows []implResult // in report order
}

// implResult holds one implementation's repetitions of a cell.
type implResult struct {
	Impl    string
	Raw     bool
	Samples [][]float64 // one per successful repetition, as Scenario.Metrics
	Reps    []int       // the repetition each sample comes from
	Err     error       // the last failure, if any
}

// scenarioResult holds the results of one scenario's selected cells.
type scenarioResult struct {
	Scenario *Scenario
	Cells    []cellResult
}

// runScenario measures the cells of sc for every implementation in list.
// Repetitions are interleaved, and each runs the implementations in an
// order of its own (see repOrder), so slow drift in the machine's load
// spreads over all of them, and so does whatever one measurement leaves
// behind for the next.
func runScenario(sc *Scenario, cells []Cell, list []Impl, cfg *Config, pin bool) scenarioResult {
	res := scenarioResult{Scenario: sc}
	all := list
	for _, cell := range cells {
		list := all
		if sc.Subjects != nil {
			list = sc.Subjects(cell, all)
		}
		cr := cellResult{Cell: cell, Rows: make([]implResult, len(list))}
		for i, im := range list {
			cr.Rows[i] = implResult{Impl: im.Name, Raw: im.Raw}
		}
		for rep := range cfg.Reps {
			for _, i := range repOrder(len(list), rep) {
				v, err := runOnce(sc, list[i], cell, cfg, pin)
				row := &cr.Rows[i]
				if err != nil {
					row.Err = err
					fmt.Fprintf(os.Stderr, "%s/%s %s rep %d: %v\n", sc.Name, cell.Name, list[i].Name, rep+1, err)
					continue
				}
				row.Samples = append(row.Samples, v)
				row.Reps = append(row.Reps, rep)
			}
		}
		fmt.Fprintf(os.Stderr, "%s/%s done\n", sc.Name, cell.Name)
		res.Cells = append(res.Cells, cr)
	}
	return res
}

// runOnce measures one repetition of cell against a fresh server process,
// or in this process for a NoServer scenario.
func runOnce(sc *Scenario, im Impl, cell Cell, cfg *Config, pin bool) ([]float64, error) {
	if sc.NoServer {
		return sc.Run(nil, im, cell, cfg)
	}
	var extra []string
	if sc.ServerArgs != nil {
		extra = sc.ServerArgs(cell, cfg)
	}
	srv, err := startServer(im, pin, extra...)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	return sc.Run(srv, im, cell, cfg)
}

// repOrder returns the order in which repetition rep measures n
// implementations: a permutation drawn from a generator seeded with rep,
// so a run can be repeated exactly. Rotating one fixed order would change
// only where each repetition starts, while every implementation kept the
// same predecessor; with a fresh permutation each implementation follows
// a different one from repetition to repetition.
func repOrder(n, rep int) []int {
	return rand.New(rand.NewPCG(uint64(rep), 0x77737862656e6368)).Perm(n)
}
