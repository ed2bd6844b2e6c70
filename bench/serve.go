package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
)

// serveMain is the hidden subcommand
//
//	serve -impl NAME -addr ADDR [-cpu N] [-broadcast K -size S -conns N] [-deflate MODE]
//
// the harness runs each server as. It prints the listening address on
// the first line of stdout and serves until stdin is closed. With
// -broadcast it serves the broadcast mode of scenario_broadcast.go
// instead of echoing; with -deflate, an echo that negotiates
// permessage-deflate in MODE (takeover or notakeover, see
// scenario_deflate.go).
//
// Every line "stats" written to its stdin makes it collect garbage and
// print its runtime statistics as one line of JSON (a serveStats) on
// stdout; with WSX_BENCH_HEAPPROFILE=prefix in the environment it also
// writes a heap profile to prefix.<implementation> (the last one wins).
func serveMain(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	name := fs.String("impl", "", "implementation to serve")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	cpu := fs.Int("cpu", -1, "pin the server to this CPU (-1: do not pin)")
	bcast := fs.Int("broadcast", 0, "broadcast mode: send this many messages to every connection on each trigger")
	size := fs.Int("size", 1<<10, "broadcast message size in bytes")
	conns := fs.Int("conns", 1, "broadcast: connections to wait for before broadcasting")
	deflate := fs.String("deflate", "", "echo with permessage-deflate: takeover or notakeover")
	fs.Parse(args)

	im, err := lookupImpl(*name)
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
	if os.Getenv("WSX_BENCH_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, for exact sizes
	}
	if *cpu >= 0 {
		if err := pinProcess(*cpu); err != nil {
			return err
		}
	}
	if err := raiseFileLimit(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	var stop func()
	if *deflate != "" {
		if stop, err = serveDeflate(im, ln, *deflate); err != nil {
			return err
		}
	} else if *bcast > 0 {
		srv, ok := broadcastServers[im.Name]
		if !ok {
			return fmt.Errorf("%s has no broadcast mode", im.Name)
		}
		stop = srv(ln, broadcastConfig{Conns: *conns, Msgs: *bcast, Payload: broadcastPayload(*size)})
	} else {
		stop = im.Serve(ln)
	}
	if prefix := os.Getenv("WSX_BENCH_CPUPROFILE"); prefix != "" {
		stopProfile, err := startCPUProfile(prefix + "." + im.Name)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	fmt.Println(ln.Addr())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "stats" {
			b, _ := json.Marshal(readServeStats())
			if prefix := os.Getenv("WSX_BENCH_HEAPPROFILE"); prefix != "" {
				if err := writeHeapProfile(prefix + "." + im.Name); err != nil {
					return err
				}
			}
			fmt.Printf("%s\n", b)
		}
	}
	stop()
	return nil
}

// serveStats is what a server reports on request: the memory its heap
// spans and goroutine stacks hold after a collection, and its goroutines.
type serveStats struct {
	HeapInuse    uint64
	StackInuse   uint64
	NumGoroutine int
}

// readServeStats collects garbage twice, so objects freed by finalizers
// are gone too, and reads the runtime statistics.
func readServeStats() serveStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return serveStats{HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, NumGoroutine: runtime.NumGoroutine()}
}

// writeHeapProfile writes a heap profile of this server to path; called
// right after readServeStats, it shows what the memory reported is.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startCPUProfile writes a CPU profile of this server to path until the
// returned function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
