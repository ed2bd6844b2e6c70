package main

import (
	"fmt"
	"slices"
	"time"
)

// echoScenario measures closed-loop echo round trips: every connection
// sends a message and waits for its echo before sending the next.
var echoScenario = Scenario{
	Name: "echo",
	Doc: "Closed-loop echo: each connection sends one binary message and waits for its echo before " +
		"sending the next. msg/s counts completed round trips; MB/s is payload echoed per second in " +
		"one direction (10⁶ bytes); latencies are per round trip, over all connections.",
	Cells: echoCells([]int{1, 64}, []int{16, 1 << 10, 64 << 10, 1 << 20}),
	Metrics: []Metric{
		{Name: "msg/s", HigherBetter: true, Format: fmtCount},
		{Name: "MB/s", HigherBetter: true, Format: func(v float64) string { return fmt.Sprintf("%.1f", v) }},
		{Name: "p50", Format: fmtMicros},
		{Name: "p99", Format: fmtMicros},
	},
	Run: runEcho,
}

// echoCells returns a cell for each connection count and message size.
func echoCells(conns, sizes []int) []Cell {
	var cells []Cell
	for _, n := range conns {
		for _, s := range sizes {
			cells = append(cells, Cell{Name: fmt.Sprintf("%dconn-%s", n, fmtSize(s)), Conns: n, Size: s})
		}
	}
	return cells
}

// runEcho measures one echo cell: msg/s, MB/s, p50 and p99 in µs.
func runEcho(srv *serverProc, im Impl, cell Cell, cfg *Config) ([]float64, error) {
	r, err := runEchoLoad(srv.Addr, im.Raw, cell.Conns, cell.Size, cfg.Warm, cfg.Measure)
	if err != nil {
		return nil, err
	}
	if r.RoundTrips == 0 {
		return nil, fmt.Errorf("no round trip completed in %v", r.Elapsed)
	}
	slices.Sort(r.Latencies)
	sec := r.Elapsed.Seconds()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return []float64{
		float64(r.RoundTrips) / sec,
		float64(r.RoundTrips) * float64(cell.Size) / sec / 1e6,
		us(percentile(r.Latencies, 50)),
		us(percentile(r.Latencies, 99)),
	}, nil
}
