// Command bench measures the WebSocket servers of wsx and its Go peers
// against a raw TCP ceiling, and rewrites BENCHMARKS.md at the repository
// root. The scenarios: echo round trips, idle memory per connection,
// broadcast to many connections, echo with permessage-deflate (with and
// without context takeover, against the fastest peer), and in-process
// micro-benchmarks of masking and UTF-8 validation.
//
//	cd bench && go run .                 # everything, 5 repetitions of 1.5 s
//	go run . -quick                      # a short run of the same tables
//	go run . -impl raw,wsx,gorilla -scenario echo/64conn
//	go run . -quick -scenario idle,broadcast,micro -out /tmp/b.md
//
// Each server runs in a child process (this binary's hidden "serve"
// subcommand) pinned to CPU 0; the load client, the same for every
// WebSocket server, runs here pinned to CPU 1; both with GOMAXPROCS=1.
//
// With WSX_BENCH_CPUPROFILE=/tmp/p in the environment each server process
// writes a CPU profile to /tmp/p.<implementation> (the last process of each
// implementation wins; run one cell and one repetition to profile it):
//
//	WSX_BENCH_CPUPROFILE=/tmp/p go run . -impl wsx -scenario echo/1conn-1MiB -reps 1 -out /tmp/b.md
//	go tool pprof -top /tmp/p.wsx
//
// WSX_BENCH_HEAPPROFILE=/tmp/h does the same with a heap profile, written
// whenever a scenario reads the server's memory (idle, deflate), with
// every allocation sampled: go tool pprof -sample_index=inuse_space -top
// /tmp/h.wsx shows what the memory per connection is.
//
// The hidden "drive" subcommand makes a fixed number of echo round trips
// against a server; count-instructions.sh uses it to count a server's
// instructions per message under callgrind:
//
//	./count-instructions.sh wsx 16 64    # 16-byte messages, 64 connections
//
// and compare-builds.sh to time wsx servers built from several revisions
// in alternation, paired round by round, with peers beside them if asked,
// each measurement on a fresh server or, with ALIVE=1, on servers kept
// running and taken in turn in short windows:
//
//	SIZE=1048576 CONNS=1 PEER=gobwas ./compare-builds.sh main .
//	SIZE=16 ALIVE=1 PEER=gobwas,gws ./compare-builds.sh main
//
// trace-echo.sh traces the system calls of one server and the client on
// one connection and, through the hidden "timeline" subcommand, shows
// where each side spends a round trip:
//
//	./trace-echo.sh gobwas 1048576
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "drive" {
		if err := driveMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "drive:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serveMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "timeline" {
		if err := timelineMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "timeline:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run parses the flags, measures the selected scenarios and writes the
// report.
func run() error {
	quick := flag.Bool("quick", false, "short run: brief warm-up and measuring window")
	implFilter := flag.String("impl", "", "comma-separated implementations to run (default all)")
	scFilter := flag.String("scenario", "", "comma-separated scenarios or scenario/cell prefixes (default all)")
	reps := flag.Int("reps", 0, "repetitions per cell and implementation (default 5, quick 3)")
	warm := flag.Duration("warm", 0, "warm-up per measurement (default 500ms, quick 100ms)")
	measure := flag.Duration("measure", 0, "measuring window per measurement (default 1.5s, quick 300ms)")
	out := flag.String("out", "../BENCHMARKS.md", "report file to rewrite")
	noPin := flag.Bool("nopin", false, "do not pin server and client to CPUs")
	flag.Parse()

	// Five repetitions of 1.5 s: on a shared machine whose speed swings
	// for seconds at a time, more and shorter windows give steadier
	// medians than three long ones.
	cfg := &Config{Warm: 500 * time.Millisecond, Measure: 1500 * time.Millisecond, Reps: 5, Quick: *quick}
	if *quick {
		cfg.Warm, cfg.Measure, cfg.Reps = 100*time.Millisecond, 300*time.Millisecond, 3
	}
	if *reps > 0 {
		cfg.Reps = *reps
	}
	if *warm > 0 {
		cfg.Warm = *warm
	}
	if *measure > 0 {
		cfg.Measure = *measure
	}
	list, err := selectImpls(*implFilter)
	if err != nil {
		return err
	}

	m := thisMachine()
	runtime.GOMAXPROCS(1)
	if err := raiseFileLimit(); err != nil {
		return err
	}
	pin := !*noPin && canPin()
	if pin {
		if err := pinProcess(clientCPU); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(os.Stderr, "bench: not pinning to CPUs")
	}

	var results []scenarioResult
	for i := range scenarios {
		sc := &scenarios[i]
		if cells := selectCells(*sc, *scFilter, *quick); len(cells) > 0 {
			results = append(results, runScenario(sc, cells, list, cfg, pin))
		}
	}
	if len(results) == 0 {
		return fmt.Errorf("no scenario matches %q", *scFilter)
	}
	var buf bytes.Buffer
	writeReport(&buf, m, cfg, results)
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "wrote", *out)
	return nil
}
