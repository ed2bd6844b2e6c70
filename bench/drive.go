package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
)

// driveMain is the hidden subcommand
//
//	drive -addr ADDR [-conns N] [-size S] [-n K] [-raw]
//	drive -addr ADDR [-conns N] [-size S] [-raw] -measure D [-warm W]
//
// which opens N connections to an echo server at ADDR and makes exactly K
// round trips of S-byte messages on each, with the same client as the echo
// scenario. A fixed amount of work, unlike the timed scenarios, lets a
// server's instructions per message be counted under callgrind (see
// count-instructions.sh and docs/performance.md).
//
// With -measure it runs one measurement of the echo scenario instead,
// exactly as the harness does (a warm-up of W, then a window of D), and
// prints the round trips per second of the window: compare-builds.sh
// times servers this way.
func driveMain(args []string) error {
	fs := flag.NewFlagSet("drive", flag.ExitOnError)
	addr := fs.String("addr", "", "echo server address")
	conns := fs.Int("conns", 64, "connections")
	size := fs.Int("size", 16, "message size in bytes")
	n := fs.Int("n", 1000, "round trips per connection")
	raw := fs.Bool("raw", false, "length-prefixed frames (the raw server) instead of WebSocket")
	measure := fs.Duration("measure", 0, "time one echo measurement of this window instead of making -n round trips")
	warm := fs.Duration("warm", 500*time.Millisecond, "warm-up before the -measure window")
	fs.Parse(args)
	if *addr == "" {
		return fmt.Errorf("-addr is required")
	}
	if *measure > 0 {
		r, err := runEchoLoad(*addr, *raw, *conns, *size, *warm, *measure)
		if err != nil {
			return err
		}
		fmt.Printf("%.0f\n", float64(r.RoundTrips)/r.Elapsed.Seconds())
		return nil
	}
	errs := make(chan error, *conns)
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialEcho(*addr, *raw, *size)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for range *n {
				if err := c.roundTrip(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
