package main

import (
	"slices"
	"testing"
)

// TestRepOrder checks that every repetition measures each implementation
// once, that a repetition's order is the same from run to run, and that
// the implementations do not keep the same predecessor throughout.
func TestRepOrder(t *testing.T) {
	const n, reps = 7, 5
	preds := make([]map[int]bool, n) // predecessors seen, by implementation
	for i := range preds {
		preds[i] = map[int]bool{}
	}
	for rep := range reps {
		order := repOrder(n, rep)
		if !slices.Equal(order, repOrder(n, rep)) {
			t.Fatalf("rep %d: order %v, then %v", rep, order, repOrder(n, rep))
		}
		seen := make([]bool, n)
		for k, i := range order {
			if i < 0 || i >= n || seen[i] {
				t.Fatalf("rep %d: order %v is not a permutation of 0..%d", rep, order, n-1)
			}
			seen[i] = true
			if k > 0 {
				preds[i][order[k-1]] = true
			}
		}
	}
	for i, p := range preds {
		if len(p) < 2 {
			t.Errorf("implementation %d followed %d distinct predecessors in %d repetitions, want at least 2", i, len(p), reps)
		}
	}
}
