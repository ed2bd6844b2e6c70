package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wsx-go/websocket"
)

const serveUsage = `usage: wsx serve [flags]

Serves WebSocket connections until interrupted. A WebSocket handshake on
/chat joins a chat room: every message a member sends goes to every member,
the sender included, in the order the server received them. A handshake on
any other path gets an echo of each message, or, with -exec, is bridged to a
program: each connection runs the command, its messages become lines on the
program's stdin and the lines it prints become text messages. A plain HTTP
GET of / returns a small web console for the chat and echo routes; with
-static DIR, plain GET and HEAD requests are served from DIR instead. One log
line per connection goes to stderr when the connection ends.

An -exec program runs under /bin/sh -c with the server's environment plus
REMOTE_ADDR, REMOTE_PORT, PATH_INFO, QUERY_STRING, HTTP_ORIGIN and
SERVER_SOFTWARE; its stderr goes to the log. When it exits the connection
closes with 1000 for status 0, else 1011 "exit status N". When the client
leaves, its stdin is closed and it has -exec-grace to exit before it is
killed with its process group. On Windows the program runs under cmd /C,
and only the shell is killed.

flags:
`

// serve runs the server until SIGINT or SIGTERM, then shuts it down
// gracefully.
func serve(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := runServe(ctx, args, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// serveConfig holds the parsed flags of wsx serve.
type serveConfig struct {
	addr, certFile, keyFile, name string
	origins                       originList
	subprotocols                  originList
	handshakeTimeout              time.Duration
	shutdownTimeout               time.Duration
	maxMessage                    int64
	compress                      bool
	compressLevel                 int
	quiet                         bool
	static                        string
	execCmd                       string
	execGrace                     time.Duration
}

// parseServeFlags parses the arguments of wsx serve; usage and flag
// errors go to stderr.
func parseServeFlags(args []string, stderr io.Writer) (*serveConfig, error) {
	cfg := new(serveConfig)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&cfg.certFile, "tls-cert", "", "PEM certificate file: serve wss (needs -tls-key)")
	fs.StringVar(&cfg.keyFile, "tls-key", "", "PEM private key file of -tls-cert")
	fs.StringVar(&cfg.name, "name", "wsx", "Server header of the handshake answers (empty sends none)")
	fs.Var(&cfg.origins, "origin", "origin host `pattern` allowed for cross-origin browsers, such as *.example.com or localhost:*; repeatable; \"*\" allows all")
	fs.Var(&cfg.subprotocols, "subprotocol", "`name` of a subprotocol to agree on when a client offers it, in order of preference; repeatable")
	fs.DurationVar(&cfg.handshakeTimeout, "handshake-timeout", websocket.DefaultServerHandshakeTimeout, "time a client has to send its handshake request (negative: no limit)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 5*time.Second, "time given to close handshakes at shutdown")
	fs.Int64Var(&cfg.maxMessage, "max-message", websocket.DefaultMaxMessageSize, "largest incoming message in bytes, and longest -exec output line")
	fs.BoolVar(&cfg.compress, "compress", true, "negotiate permessage-deflate compression, with context takeover when the client allows it")
	fs.IntVar(&cfg.compressLevel, "compress-level", 1, "DEFLATE level of -compress, 1 (fastest) to 9 (smallest)")
	fs.BoolVar(&cfg.quiet, "q", false, "log only warnings and errors, not the connections that end cleanly")
	fs.StringVar(&cfg.static, "static", "", "serve plain GET and HEAD requests from the files under `dir` instead of the web console")
	fs.StringVar(&cfg.execCmd, "exec", "", "shell `command` to run for each connection on a path other than /chat: messages in are lines on its stdin, lines it prints are text messages")
	fs.DurationVar(&cfg.execGrace, "exec-grace", 2*time.Second, "time an -exec program has to exit once its client is gone, before it is killed")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if (cfg.certFile == "") != (cfg.keyFile == "") {
		return nil, errors.New("serve: -tls-cert and -tls-key go together")
	}
	if cfg.compress && (cfg.compressLevel < 1 || cfg.compressLevel > 9) {
		return nil, fmt.Errorf("serve: -compress-level %d outside 1 to 9", cfg.compressLevel)
	}
	if cfg.execGrace < 0 {
		return nil, fmt.Errorf("serve: negative -exec-grace %v", cfg.execGrace)
	}
	return cfg, nil
}

// runServe runs the server (see serveUsage) until ctx ends. It then sends
// 1001 Going Away to every open connection and waits, up to
// -shutdown-timeout, for their close handshakes. The first line on stdout
// gives the server's URL.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if cfg.quiet {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var compression *websocket.CompressionOptions
	if cfg.compress {
		compression = &websocket.CompressionOptions{Level: cfg.compressLevel}
	}
	fallback, err := newServeFallback(cfg.static)
	if err != nil {
		return err
	}
	defer fallback.Close()

	routes := &serveRoutes{
		log:        logger,
		hub:        newChatHub(),
		done:       ctx.Done(),
		execCmd:    cfg.execCmd,
		execGrace:  cfg.execGrace,
		maxMessage: cfg.maxMessage,
	}
	srv := &websocket.Server{
		Name:             cfg.name,
		HandshakeTimeout: cfg.handshakeTimeout,
		AcceptOptions: websocket.AcceptOptions{
			Options:        websocket.Options{MaxMessageSize: cfg.maxMessage, Compression: compression},
			OriginPatterns: cfg.origins,
			Subprotocols:   cfg.subprotocols,
		},
		Handle:   routes.handle,
		Fallback: fallback,
		OnError:  func(err error) { logServerError(logger, err) },
	}
	if cfg.certFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.certFile, cfg.keyFile)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if err := srv.Listen(cfg.addr); err != nil {
		return err
	}
	kind := "echo"
	if cfg.execCmd != "" {
		kind = "exec"
	}
	fmt.Fprintf(stdout, "wsx: %s server listening on %s\n", kind, srv.URL())

	<-ctx.Done()
	logger.Info("shutting down: 1001 Going Away to the open connections", "open", srv.ConnCount())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}

// originList is the value of the repeatable -origin and -subprotocol
// flags; a value may also hold several items separated by commas.
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
