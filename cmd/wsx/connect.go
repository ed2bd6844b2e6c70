package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/wsx-go/websocket"
)

// connectCmd runs `wsx connect`. The first interrupt closes the
// connection with 1000; after it, a second one ends wsx at once.
func connectCmd(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	if status := runConnect(ctx, args, os.Stdin, os.Stdout, os.Stderr); status != 0 {
		return exitCode(status)
	}
	return nil
}

// runConnect connects to the URL args name, sends the lines of stdin and
// prints what arrives until the connection ends, and returns the exit
// status its help text lists. When ctx ends it closes the connection with
// 1000 and returns once the close handshake is over.
func runConnect(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseConnectFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	d, err := cfg.dialer()
	if err != nil {
		fmt.Fprintf(stderr, "wsx: %v\n", err)
		return 1
	}
	// stdin's goroutine may outlive runConnect: past its end, writes to
	// stdout and stderr are dropped.
	out, errOut := &stoppableWriter{w: stdout}, &stoppableWriter{w: stderr}
	defer out.stop()
	defer errOut.stop()

	c, err := d.Dial(ctx, cfg.url)
	if err != nil {
		fmt.Fprintf(errOut, "wsx: %v\n", err)
		var de *websocket.DialError
		if errors.As(err, &de) && de.Op == "url" {
			return 2
		}
		return 1
	}

	printer := cfg.printer(stdin, out, errOut)
	typ := websocket.MessageText
	if cfg.binary {
		typ = websocket.MessageBinary
	}
	// Run is not given ctx: its end starts a close handshake below rather
	// than dropping the connection.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var closeOnce sync.Once
	closeConn := func() {
		closeOnce.Do(func() {
			// Shown first, so that it comes before the peer's answer.
			if c.State() == websocket.StateOpen {
				printer.closed(dirOut, websocket.CloseNormal, "")
			}
			c.Close(websocket.CloseNormal, "")
		})
	}
	h := &connectHandler{
		print:  printer,
		onOpen: func(c *websocket.Conn) { go sendInput(runCtx, c, stdin, typ, printer, closeConn) },
	}
	ended := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			closeConn()
		case <-ended:
		}
	}()
	runErr := websocket.Run(runCtx, c, h)
	close(ended)
	code, reason := endOf(c, runErr)
	return reportEnd(errOut, code, reason)
}

// printer returns the eventPrinter of the mode the flags and stdin select.
func (cfg *connectConfig) printer(stdin io.Reader, out, errOut io.Writer) eventPrinter {
	switch {
	case cfg.json:
		return &jsonPrinter{out: out}
	case cfg.interactive || !cfg.pipe && isTerminal(stdin):
		return &interactivePrinter{out: out, errOut: errOut}
	default:
		return &pipePrinter{out: out, errOut: errOut}
	}
}

// isTerminal reports whether r is a terminal (a character device, which
// /dev/null is too).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
