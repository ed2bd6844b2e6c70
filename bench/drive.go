package main

import (
	"flag"
	"fmt"
	"sync"
)

// driveMain is the hidden subcommand
//
//	drive -addr ADDR [-conns N] [-size S] [-n K] [-raw]
//
// which opens N connections to an echo server at ADDR and makes exactly K
// round trips of S-byte messages on each, with the same client as the echo
// scenario. A fixed amount of work, unlike the timed scenarios, lets a
// server's instructions per message be counted under callgrind (see
// count-instructions.sh and docs/performance.md).
func driveMain(args []string) error {
	fs := flag.NewFlagSet("drive", flag.ExitOnError)
	addr := fs.String("addr", "", "echo server address")
	conns := fs.Int("conns", 64, "connections")
	size := fs.Int("size", 16, "message size in bytes")
	n := fs.Int("n", 1000, "round trips per connection")
	raw := fs.Bool("raw", false, "length-prefixed frames (the raw server) instead of WebSocket")
	fs.Parse(args)
	if *addr == "" {
		return fmt.Errorf("-addr is required")
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
