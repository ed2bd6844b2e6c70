package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/interop/internal/matrix"
)

// This file is wsx's side of the matrix: the server and the client each
// case of interop/README.md describes, written with the library's public
// API only.

// wsxMatrixServer serves the matrix's cases on loopback and records its
// verdict on each connection.
type wsxMatrixServer struct {
	spec    *matrix.Spec
	allowed []string // OriginPatterns of every path but /origin-refused
	results *results
	base    string // ws://127.0.0.1:PORT
}

// startWsxMatrixServer starts a wsx server for the matrix that allows the
// origins matching allowed, until the test ends.
func startWsxMatrixServer(t *testing.T, spec *matrix.Spec, allowed []string) *wsxMatrixServer {
	t.Helper()
	s := &wsxMatrixServer{spec: spec, allowed: allowed, results: newResults()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: spec.Timeout()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.base = "ws://" + ln.Addr().String()
	return s
}

func (s *wsxMatrixServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	detail, err := s.serve(w, r, name)
	if err != nil {
		s.results.add(name, caseResult{detail: err.Error()})
		return
	}
	s.results.add(name, caseResult{ok: true, detail: detail})
}

// serve runs the server's side of case name on one connection.
func (s *wsxMatrixServer) serve(w http.ResponseWriter, r *http.Request, name string) (string, error) {
	spec := s.spec
	opts := &websocket.AcceptOptions{Subprotocols: spec.Subprotocols.Support, OriginPatterns: s.allowed}
	if name == "origin-refused" {
		opts = nil // the default: same-origin browsers only
	}
	c, err := websocket.Accept(w, r, opts)
	if name == "origin-refused" {
		if r.Header.Get("Origin") == "" {
			return "", errors.New("the handshake had no Origin header")
		}
		if err == nil {
			c.Abort()
			return "", fmt.Errorf("accepted Origin %s for host %s", r.Header.Get("Origin"), r.Host)
		}
		return "refused: " + err.Error(), nil
	}
	if err != nil {
		return "", fmt.Errorf("Accept: %w", err)
	}
	defer c.Abort()
	ctx, cancel := context.WithTimeout(context.Background(), 3*spec.Timeout())
	defer cancel()

	if text, want, ok := spec.Message(name); ok {
		return "", echoOnceAndCheck(ctx, c, text, want)
	}
	switch name {
	case "ping-by-client":
		return "", readUntilClose(ctx, c, websocket.CloseNormal, nil)
	case "ping-by-server":
		return pingThenClose(ctx, c, []byte(spec.PingPayload))
	case "subprotocol":
		if got := c.Subprotocol(); got != spec.Subprotocols.Chosen {
			return "", fmt.Errorf("chose subprotocol %q from %q, want %q", got, websocket.Subprotocols(r.Header), spec.Subprotocols.Chosen)
		}
		return "chose " + c.Subprotocol(), readUntilClose(ctx, c, websocket.CloseNormal, nil)
	case "close-by-client":
		reason := spec.Close.Reason
		return fmt.Sprintf("saw %d %q", spec.Close.Code, reason), readUntilClose(ctx, c, websocket.CloseCode(spec.Close.Code), &reason)
	case "close-by-server":
		return closeAndReport(c, websocket.CloseCode(spec.Close.Code), spec.Close.Reason)
	case "origin-allowed":
		origin := r.Header.Get("Origin")
		if u, err := url.Parse(origin); err != nil || origin == "" || strings.EqualFold(u.Host, r.Host) {
			return "", fmt.Errorf("Origin %q is not cross-origin for host %s", origin, r.Host)
		}
		return "allowed Origin " + origin, echoOnceAndCheck(ctx, c, true, []byte("origin"))
	}
	return "", fmt.Errorf("no case %q", name)
}

// echoOnceAndCheck reads one message, echoes it, checks it is the expected
// one, and reads until the client's close with 1000.
func echoOnceAndCheck(ctx context.Context, c *websocket.Conn, text bool, want []byte) error {
	typ, got, err := c.Read(ctx)
	if err != nil {
		return fmt.Errorf("Read: %w", err)
	}
	if err := c.Write(ctx, typ, got); err != nil {
		return fmt.Errorf("Write of the echo: %w", err)
	}
	if err := sameMessage(typ, got, text, want); err != nil {
		return err
	}
	return readUntilClose(ctx, c, websocket.CloseNormal, nil)
}

// sameMessage says how a message differs from the expected one.
func sameMessage(typ websocket.MessageType, got []byte, text bool, want []byte) error {
	wantType := websocket.MessageBinary
	if text {
		wantType = websocket.MessageText
	}
	if typ != wantType {
		return fmt.Errorf("got a %v message, want %v", typ, wantType)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		return fmt.Errorf("got %d bytes, want %d; first difference at byte %d", len(got), len(want), i)
	}
	return nil
}

// readUntilClose reads until the peer's close frame, which must carry
// code, and reason when it is not nil. A data message is an error.
func readUntilClose(ctx context.Context, c *websocket.Conn, code websocket.CloseCode, reason *string) error {
	typ, p, err := c.Read(ctx)
	if err == nil {
		return fmt.Errorf("got a %v message of %d bytes, want the close", typ, len(p))
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("Read: %w, want the peer's close", err)
	}
	if ce.Code != code || reason != nil && ce.Reason != *reason {
		return fmt.Errorf("peer closed with %d %q, want %d%s", int(ce.Code), ce.Reason, int(code), reasonText(reason))
	}
	return nil
}

func reasonText(reason *string) string {
	if reason == nil {
		return ""
	}
	return fmt.Sprintf(" %q", *reason)
}

// pingThenClose pings with payload while reading, and closes with 1000
// once the pong came.
func pingThenClose(ctx context.Context, c *websocket.Conn, payload []byte) (string, error) {
	read := make(chan error, 1)
	go func() {
		_, _, err := c.Read(ctx)
		read <- err
	}()
	rtt, err := c.Ping(ctx, payload)
	if err != nil {
		return "", fmt.Errorf("Ping: %w", err)
	}
	if err := c.Close(websocket.CloseNormal, ""); err != nil {
		return "", fmt.Errorf("Close after the pong: %w", err)
	}
	if err := <-read; !isCloseError(err) {
		return "", fmt.Errorf("Read during the ping returned %v, want the peer's close", err)
	}
	return fmt.Sprintf("pong after %v", rtt.Round(time.Microsecond)), nil
}

func isCloseError(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce)
}

// closeAndReport closes with code and reason and reports the peer's answer.
func closeAndReport(c *websocket.Conn, code websocket.CloseCode, reason string) (string, error) {
	if err := c.Close(code, reason); err != nil {
		return "", fmt.Errorf("Close: %w", err)
	}
	got, gotReason := c.CloseStatus()
	return fmt.Sprintf("peer answered %d %q", int(got), gotReason), nil
}

// runWsxClient runs the client's side of case name against the server at
// base, and returns what it saw.
func runWsxClient(ctx context.Context, spec *matrix.Spec, base, name string) (string, error) {
	d := &websocket.Dialer{}
	if name == "subprotocol" {
		d.Subprotocols = spec.Subprotocols.Offer
	}
	c, err := d.Dial(ctx, base+"/"+name)
	if err != nil {
		return "", fmt.Errorf("Dial: %w", err)
	}
	defer c.Abort()

	if text, msg, ok := spec.Message(name); ok {
		typ := websocket.MessageBinary
		if text {
			typ = websocket.MessageText
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return "", fmt.Errorf("Write: %w", err)
		}
		gotType, got, err := c.Read(ctx)
		if err != nil {
			return "", fmt.Errorf("Read of the echo: %w", err)
		}
		if err := sameMessage(gotType, got, text, msg); err != nil {
			return "", fmt.Errorf("echo: %w", err)
		}
		return closeAndReport(c, websocket.CloseNormal, "")
	}
	switch name {
	case "ping-by-client":
		return pingThenClose(ctx, c, []byte(spec.PingPayload))
	case "ping-by-server":
		return "server closed with 1000", readUntilClose(ctx, c, websocket.CloseNormal, nil)
	case "subprotocol":
		if got := c.Subprotocol(); got != spec.Subprotocols.Chosen {
			return "", fmt.Errorf("server chose subprotocol %q, want %q", got, spec.Subprotocols.Chosen)
		}
		detail, err := closeAndReport(c, websocket.CloseNormal, "")
		return "got " + c.Subprotocol() + "; " + detail, err
	case "close-by-client":
		return closeAndReport(c, websocket.CloseCode(spec.Close.Code), spec.Close.Reason)
	case "close-by-server":
		reason := spec.Close.Reason
		return fmt.Sprintf("saw %d %q", spec.Close.Code, reason), readUntilClose(ctx, c, websocket.CloseCode(spec.Close.Code), &reason)
	}
	return "", fmt.Errorf("no case %q", name)
}
