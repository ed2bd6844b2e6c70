package main

import "testing"

// samples makes a row's one-metric samples from the repetitions reps.
func samples(name string, reps []int, values ...float64) implResult {
	row := implResult{Impl: name, Reps: reps}
	for _, v := range values {
		row.Samples = append(row.Samples, []float64{v})
	}
	return row
}

func TestPairedRatio(t *testing.T) {
	higher := &Scenario{Metrics: []Metric{{Name: "msg/s", HigherBetter: true}}}
	lower := &Scenario{Metrics: []Metric{{Name: "bytes/conn"}}}
	tests := []struct {
		name     string
		sc       *Scenario
		row, ref implResult
		want     string
	}{
		{
			// The machine is fast in repetition 2 for both and in
			// repetition 1 for the reference only: the ratio of the
			// medians (100/157) would say 0.64, the paired ratios say
			// 0.95, 0.64, 0.96.
			name: "a swing of the machine cancels out",
			sc:   higher,
			row:  samples("x", []int{0, 1, 2}, 100, 100, 150),
			ref:  samples("best", []int{0, 1, 2}, 105, 157, 157),
			want: "0.95",
		},
		{
			name: "only the repetitions both measured count",
			sc:   higher,
			row:  samples("x", []int{0, 2}, 90, 180),
			ref:  samples("best", []int{0, 1, 2}, 100, 10, 200),
			want: "0.90",
		},
		{
			name: "lower is better",
			sc:   lower,
			row:  samples("x", []int{0, 1, 2}, 8, 8, 8),
			ref:  samples("raw", []int{0, 1, 2}, 12, 12, 12),
			want: "1.50",
		},
		{
			name: "no repetition in common",
			sc:   higher,
			row:  samples("x", []int{0}, 1),
			ref:  samples("best", []int{1}, 1),
			want: "—",
		},
		{
			name: "an even count takes the mean of the middle two",
			sc:   higher,
			row:  samples("x", []int{0, 1}, 90, 110),
			ref:  samples("best", []int{0, 1}, 100, 100),
			want: "1.00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pairedRatio(tt.sc, &tt.row, &tt.ref); got != tt.want {
				t.Errorf("pairedRatio = %s, want %s", got, tt.want)
			}
		})
	}
	if got := pairedRatio(higher, &implResult{}, nil); got != "—" {
		t.Errorf("pairedRatio without a reference = %s, want —", got)
	}
}

// TestReferences: the best row is the best median among the WebSocket
// rows, the second reference is raw TCP.
func TestReferences(t *testing.T) {
	sc := &Scenario{Metrics: []Metric{{Name: "msg/s", HigherBetter: true}}}
	cr := cellResult{Rows: []implResult{
		samples("raw", []int{0, 1, 2}, 300, 300, 300),
		samples("a", []int{0, 1, 2}, 100, 120, 140),
		samples("b", []int{0, 1, 2}, 130, 90, 150),
		{Impl: "failed"},
	}}
	cr.Rows[0].Raw = true
	best, ref := references(sc, cr)
	if best == nil || best.Impl != "b" || ref == nil || ref.Impl != "raw" {
		t.Fatalf("references = %v, %v; want b, raw", best, ref)
	}
}

// TestLeadingPeerRatio: each repetition compares wsx with whichever peer
// was fastest in it, raw TCP left out.
func TestLeadingPeerRatio(t *testing.T) {
	higher := &Scenario{Metrics: []Metric{{Name: "msg/s", HigherBetter: true}}}
	lower := &Scenario{Metrics: []Metric{{Name: "bytes/conn"}}}
	raw := samples("raw", []int{0, 1, 2}, 1000, 1000, 1000)
	raw.Raw = true
	tests := []struct {
		name string
		sc   *Scenario
		rows []implResult
		want string
	}{
		{
			// a leads by median (110 against 105) but b wins
			// repetition 1: wsx/peer is 100/90, 100/120, 100/110.
			name: "the fastest peer of each repetition",
			sc:   higher,
			rows: []implResult{
				raw,
				samples("wsx", []int{0, 1, 2}, 100, 100, 100),
				samples("a", []int{0, 1, 2}, 90, 110, 110),
				samples("b", []int{0, 1, 2}, 80, 120, 105),
			},
			want: "0.91 (won 1/3)",
		},
		{
			name: "lower is better",
			sc:   lower,
			rows: []implResult{
				samples("wsx", []int{0, 1, 2}, 8, 8, 8),
				samples("a", []int{0, 1, 2}, 10, 12, 16),
				samples("b", []int{0, 1, 2}, 9, 20, 20),
			},
			want: "1.50 (won 3/3)",
		},
		{
			name: "repetitions without a peer are left out",
			sc:   higher,
			rows: []implResult{
				samples("wsx", []int{0, 1, 2}, 100, 100, 100),
				samples("a", []int{1}, 50),
			},
			want: "2.00 (won 1/1)",
		},
		{
			name: "a tie is not a win",
			sc:   higher,
			rows: []implResult{
				samples("wsx", []int{0, 1}, 100, 100),
				samples("a", []int{0, 1}, 100, 95),
			},
			want: "1.03 (won 1/2)",
		},
		{
			name: "no peer",
			sc:   higher,
			rows: []implResult{raw, samples("wsx", []int{0}, 100)},
			want: "—",
		},
		{
			name: "no wsx",
			sc:   higher,
			rows: []implResult{samples("a", []int{0}, 100)},
			want: "—",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := leadingPeerRatio(tt.sc, cellResult{Rows: tt.rows}, "wsx"); got != tt.want {
				t.Errorf("leadingPeerRatio = %s, want %s", got, tt.want)
			}
		})
	}
}
