package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wsx-go/websocket"
)

// agentMaxMessage bounds the messages the agent accepts: the largest of the
// suite are 16 MiB.
const agentMaxMessage = 64 << 20

// agentCaseTimeout bounds one case on the agent's side; the fuzzing server
// ends every case well before.
const agentCaseTimeout = 5 * time.Minute

// runConformAgent runs wsx as the client under test against a fuzzing
// server that speaks Autobahn's URL scheme (Autobahn's fuzzingserver, or
// `wsx conform` playing the server), as Autobahn's example clients do: it
// asks for the number of cases, runs each one as an echo client, then asks
// the server to write its reports.
func runConformAgent(args []string) error {
	fs := flag.NewFlagSet("conform agent", flag.ContinueOnError)
	base := fs.String("url", "ws://127.0.0.1:9001", "URL of the fuzzing server")
	agent := fs.String("agent", "wsx", "agent name the server files the results under")
	compress := fs.Bool("compress", true, "offer permessage-deflate (wsx's defaults) on every connection, as sections 12 and 13 need")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := agentDialOptions(*compress)
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	ctx := context.Background()
	count, err := agentCaseCount(ctx, *base, opts)
	if err != nil {
		return fmt.Errorf("getCaseCount: %w", err)
	}
	fmt.Printf("wsx: %d cases on %s, agent %q\n", count, *base, *agent)
	for n := 1; n <= count; n++ {
		start := time.Now()
		err := runAgentCase(ctx, agentURL(*base, "/runCase", "case", strconv.Itoa(n), "agent", *agent), opts)
		fmt.Printf("case %d/%d: %v (%v)\n", n, count, agentOutcome(err), time.Since(start).Round(time.Millisecond))
	}
	fmt.Println("wsx: updating reports")
	if err := agentReadAll(ctx, agentURL(*base, "/updateReports", "agent", *agent), opts); err != nil {
		return fmt.Errorf("updateReports: %w", err)
	}
	fmt.Println("wsx: done")
	return nil
}

// agentURL joins the server's base URL with path and the query pairs kv.
func agentURL(base, path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	s := strings.TrimSuffix(base, "/") + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// agentDialOptions are the agent's options for every connection. As in
// Autobahn, a case does not tell the client what to offer: with compress,
// the agent offers permessage-deflate with wsx's defaults
// ("permessage-deflate; client_max_window_bits") everywhere, and the
// fuzzing server accepts the offer for sections 12 and 13 only, with the
// parameters of the case.
func agentDialOptions(compress bool) *websocket.DialOptions {
	opts := &websocket.DialOptions{Options: websocket.Options{MaxMessageSize: agentMaxMessage}}
	if compress {
		opts.Compression = &websocket.CompressionOptions{}
	}
	return opts
}

// agentCaseCount reads the number of cases from /getCaseCount.
func agentCaseCount(ctx context.Context, base string, opts *websocket.DialOptions) (int, error) {
	c, err := websocket.Dial(ctx, agentURL(base, "/getCaseCount"), opts)
	if err != nil {
		return 0, err
	}
	defer c.Abort()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, msg, err := c.Read(ctx)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(msg)))
	if err != nil {
		return 0, fmt.Errorf("case count %q: %w", msg, err)
	}
	// The server closes next; take part in the close handshake.
	c.Read(ctx)
	return n, nil
}

// agentReadAll connects to rawURL and reads until the server closes.
func agentReadAll(ctx context.Context, rawURL string, opts *websocket.DialOptions) error {
	c, err := websocket.Dial(ctx, rawURL, opts)
	if err != nil {
		return err
	}
	defer c.Abort()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return normalEnd(err)
		}
	}
}

// runAgentCase connects to one case's URL and echoes until the connection
// ends.
func runAgentCase(ctx context.Context, rawURL string, opts *websocket.DialOptions) error {
	ctx, cancel := context.WithTimeout(ctx, agentCaseTimeout)
	defer cancel()
	c, err := websocket.Dial(ctx, rawURL, opts)
	if err != nil {
		return err
	}
	defer c.Abort()
	return agentEcho(ctx, c)
}

// agentEcho sends every message back with its type until the connection
// ends, and returns how it ended.
func agentEcho(ctx context.Context, c *websocket.Conn) error {
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

// normalEnd turns a normal closure into nil.
func normalEnd(err error) error {
	if websocket.CloseStatus(err) == websocket.CloseNormal {
		return nil
	}
	return err
}

// agentOutcome describes how a case's connection ended.
func agentOutcome(err error) string {
	var ce *websocket.CloseError
	var pe *websocket.ProtocolError
	switch {
	case err == nil:
		return "ended"
	case errors.As(err, &pe):
		return fmt.Sprintf("wsx failed the connection with %v: %s", pe.Code, pe.Reason)
	case errors.As(err, &ce) && ce.Err != nil:
		return fmt.Sprintf("connection dropped: %v", ce.Err)
	case errors.As(err, &ce):
		return fmt.Sprintf("closed by the server: %v", ce.Code)
	}
	return err.Error()
}
