package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wsx-go/websocket"
)

// serve runs an echo server until SIGINT or SIGTERM, then shuts it down
// gracefully.
func serve(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runServe(ctx, args, os.Stdout, os.Stderr)
}

// runServe runs an echo server, which sends every message back with its
// type, on any path, until ctx ends. It then sends 1001 Going Away to every
// open connection and waits, up to -shutdown-timeout, for their close
// handshakes. The first line on stdout gives the server's URL.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	certFile := fs.String("tls-cert", "", "PEM certificate file: serve wss (needs -tls-key)")
	keyFile := fs.String("tls-key", "", "PEM private key file of -tls-cert")
	name := fs.String("name", "wsx", "Server header of the handshake answers (empty sends none)")
	var origins originList
	fs.Var(&origins, "origin", "origin host pattern allowed for cross-origin browsers, such as *.example.com or localhost:*; repeatable; \"*\" allows all")
	handshakeTimeout := fs.Duration("handshake-timeout", websocket.DefaultServerHandshakeTimeout, "time a client has to send its handshake request (negative: no limit)")
	shutdownTimeout := fs.Duration("shutdown-timeout", 5*time.Second, "time given to close handshakes at shutdown")
	maxMessage := fs.Int64("max-message", websocket.DefaultMaxMessageSize, "largest incoming message in bytes")
	compress := fs.Bool("compress", true, "negotiate permessage-deflate compression, with context takeover when the client allows it")
	compressLevel := fs.Int("compress-level", 1, "DEFLATE level of -compress, 1 (fastest) to 9 (smallest)")
	quiet := fs.Bool("q", false, "do not log connections (errors are still logged)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if (*certFile == "") != (*keyFile == "") {
		return errors.New("serve: -tls-cert and -tls-key go together")
	}

	var compression *websocket.CompressionOptions
	if *compress {
		if *compressLevel < 1 || *compressLevel > 9 {
			return fmt.Errorf("serve: -compress-level %d outside 1 to 9", *compressLevel)
		}
		compression = &websocket.CompressionOptions{Level: *compressLevel}
	}

	logger := log.New(stderr, "wsx: ", log.LstdFlags)
	logConn := logger.Printf
	if *quiet {
		logConn = func(string, ...any) {}
	}
	srv := &websocket.Server{
		Name:             *name,
		HandshakeTimeout: *handshakeTimeout,
		AcceptOptions: websocket.AcceptOptions{
			Options:        websocket.Options{MaxMessageSize: *maxMessage, Compression: compression},
			OriginPatterns: origins,
		},
		Handle:  echoHandle(logConn),
		OnError: func(err error) { logger.Print(err) },
	}
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if err := srv.Listen(*addr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wsx: echo server listening on %s\n", srv.URL())

	<-ctx.Done()
	logger.Printf("shutting down: 1001 Going Away to the %d open connections", srv.ConnCount())
	sctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// originList is the value of the repeatable -origin flag; a value may also
// hold several patterns separated by commas.
type originList []string

func (l *originList) String() string { return strings.Join(*l, ",") }

func (l *originList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// echoHandle echoes each connection's messages until it ends.
func echoHandle(logf func(string, ...any)) func(*websocket.Conn) {
	return func(c *websocket.Conn) {
		if ext := c.Extensions(); ext != "" {
			logf("%s connected (%s) with %s", c.RemoteAddr(), c.URL().Path, ext)
		} else {
			logf("%s connected (%s)", c.RemoteAddr(), c.URL().Path)
		}
		err := echo(c)
		logf("%s disconnected: %v", c.RemoteAddr(), err)
	}
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
