package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wsx-go/websocket"
)

// serve runs an echo server: every message is sent back, with its type, on
// any path.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	origins := fs.String("origins", "", "comma-separated origin host patterns allowed for cross-origin browsers (\"*\" allows all)")
	maxMessage := fs.Int64("max-message", websocket.DefaultMaxMessageSize, "largest incoming message in bytes")
	quiet := fs.Bool("q", false, "do not log connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := &websocket.AcceptOptions{Options: websocket.Options{MaxMessageSize: *maxMessage}}
	if *origins != "" {
		opts.OriginPatterns = strings.Split(*origins, ",")
	}
	logf := log.Printf
	if *quiet {
		logf = func(string, ...any) {}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("wsx: echo server listening on ws://%s/\n", ln.Addr())
	srv := &http.Server{
		Handler:           echoHandler(opts, logf),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// echoHandler upgrades each request and echoes its messages until the
// client closes.
func echoHandler(opts *websocket.AcceptOptions, logf func(string, ...any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			logf("handshake from %s refused: %v", r.RemoteAddr, err)
			return
		}
		logf("%s connected (%s)", c.RemoteAddr(), r.URL.Path)
		err = echo(c)
		logf("%s disconnected: %v", c.RemoteAddr(), err)
	})
}

// echo sends every message back until the connection ends, reusing one
// buffer.
func echo(c *websocket.Conn) error {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadInto(ctx, buf)
		if err != nil {
			return err
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return err
		}
		buf = msg
	}
}
