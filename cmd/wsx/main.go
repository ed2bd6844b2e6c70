// Command wsx is the WebSocket toolkit's command-line tool.
//
//	wsx serve [-addr 127.0.0.1:8080]   run an echo server
//	wsx conform server|client|agent    run the conformance suite
package main

import (
	"fmt"
	"os"
)

const usage = `usage: wsx <command> [flags]

commands:
  serve    run a WebSocket echo server (default 127.0.0.1:8080)
  conform  run the conformance suite against a server (server URL), serve it
           to clients (client) or run wsx as a client under test (agent)

Run "wsx <command> -h" for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "conform":
		err = conformCmd(args)
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "wsx: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsx:", err)
		os.Exit(1)
	}
}
