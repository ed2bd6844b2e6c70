package main

import (
	"fmt"
	"time"
)

// idleScenario measures what an idle connection costs the server: the
// client opens Conns WebSocket connections, echoes one small message on
// each so that every buffer a library allocates on first use exists,
// and leaves them open. The server process reports its runtime
// statistics after a collection (the serve subcommand's "stats" line)
// before the first connection and with all of them open; the difference,
// divided by Conns, is the cost per connection.
//
// Heap is runtime.MemStats.HeapInuse, stack StackInuse, both after
// runtime.GC; memory the kernel holds for the sockets is not counted, and
// neither is the memory the runtime keeps but does not use. raw is a
// goroutine per connection with a 4 KiB bufio.Reader and a 4 KiB frame
// buffer. Most adapters also hold a goroutine per connection, blocked in
// its read; nbio's event loop holds none, and every library is measured
// as it is, goroutines and all.
var idleScenario = Scenario{
	Name: "idle",
	Doc: "Idle memory per connection: the client opens the connections, echoes one 16-byte message on each " +
		"so that buffers allocated on first use exist, and leaves them open; the server reports " +
		"runtime.MemStats after runtime.GC before the first connection and with all of them open. " +
		"bytes/conn is the growth of HeapInuse + StackInuse divided by the connections (1 KiB = 1024 bytes); " +
		"heap/conn and stack/conn are its parts, goroutines/conn the growth of runtime.NumGoroutine. " +
		"Socket buffers in the kernel are not counted. raw is a goroutine per connection with a 4 KiB " +
		"bufio.Reader and a 4 KiB frame buffer. Less is better; ×best and ×raw are oriented so that below 1.00 " +
		"means more memory than the reference.",
	Cells:      []Cell{{Name: "10000conn", Conns: 10000, Size: 16}},
	QuickCells: []Cell{{Name: "2000conn", Conns: 2000, Size: 16}},
	Metrics: []Metric{
		{Name: "bytes/conn", Format: fmtBytes},
		{Name: "heap/conn", Format: fmtBytes},
		{Name: "stack/conn", Format: fmtBytes},
		{Name: "goroutines/conn", Format: func(v float64) string { return fmt.Sprintf("%.2f", v) }},
	},
	Run: runIdle,
}

// runIdle measures one idle cell: bytes, heap and stack per connection,
// and goroutines per connection.
func runIdle(srv *serverProc, im Impl, cell Cell, _ *Config) ([]float64, error) {
	base, err := srv.stats()
	if err != nil {
		return nil, err
	}
	cs, err := dialMany(srv.Addr, im.Raw, cell.Conns, cell.Size, 1<<10, true)
	defer func() {
		for _, c := range cs {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	// Let the server's connection goroutines settle in their reads.
	time.Sleep(200 * time.Millisecond)
	st, err := srv.stats()
	if err != nil {
		return nil, err
	}
	n := float64(cell.Conns)
	heap := (float64(st.HeapInuse) - float64(base.HeapInuse)) / n
	stack := (float64(st.StackInuse) - float64(base.StackInuse)) / n
	return []float64{heap + stack, heap, stack, float64(st.NumGoroutine-base.NumGoroutine) / n}, nil
}

// fmtBytes formats a byte count as 312 B or 7.8 KiB.
func fmtBytes(v float64) string {
	switch {
	case v >= 1<<20 || v <= -1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10 || v <= -1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
