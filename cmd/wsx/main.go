// Command wsx is the WebSocket toolkit's command-line tool.
//
//	wsx serve [-addr 127.0.0.1:8080]   run an echo, chat and console server
//	wsx connect [flags] URL            talk to a WebSocket server
//	wsx conform server|client|agent    run the conformance suite
//	wsx version                        print the version
package main

import (
	"errors"
	"fmt"
	"os"
)

const usage = `usage: wsx <command> [flags]

commands:
  serve    run a WebSocket server (default 127.0.0.1:8080): echo on every path,
           a chat room on /chat, a browser console at /, or a program per
           connection with -exec
  connect  connect to a WebSocket server: send lines from stdin as messages,
           print the messages that arrive (interactive on a terminal)
  conform  run the conformance suite against a server (server URL), serve it
           to clients (client) or run wsx as a client under test (agent)
  version  print wsx's version, revision and Go version (also -version)

Run "wsx <command> -h" for a command's flags.
`

// exitCode is the error of a command that has already said what went
// wrong, if anything, and only needs wsx to exit with the code.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "connect":
		err = connectCmd(args)
	case "conform":
		err = conformCmd(args)
	case "version", "-version", "--version":
		err = versionCmd(args)
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "wsx: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	var code exitCode
	switch {
	case err == nil:
	case errors.As(err, &code):
		os.Exit(int(code))
	default:
		fmt.Fprintln(os.Stderr, "wsx:", err)
		os.Exit(1)
	}
}
