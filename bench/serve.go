package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
)

// serveMain is the hidden subcommand "serve -impl NAME -addr ADDR [-cpu N]"
// the harness runs each server as. It prints the listening address on
// the first line of stdout and serves until stdin is closed.
func serveMain(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	name := fs.String("impl", "", "implementation to serve")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	cpu := fs.Int("cpu", -1, "pin the server to this CPU (-1: do not pin)")
	fs.Parse(args)

	im, err := lookupImpl(*name)
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
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
	stop := im.Serve(ln)
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin)
	stop()
	return nil
}
