package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/wsx-go/websocket"
)

// hexShown is how many bytes of a binary message interactive mode shows.
const hexShown = 32

// interactivePrinter shows every event on stdout as a line starting with
// its direction, "<" in and ">" out, for a person at a terminal. The
// connection's details and errors go to stderr. Messages typed in are not
// echoed.
type interactivePrinter struct {
	out, errOut io.Writer
}

func (p *interactivePrinter) open(c *websocket.Conn) {
	sub, ext := c.Subprotocol(), c.Extensions()
	if sub == "" {
		sub = "none"
	}
	if ext == "" {
		ext = "none"
	}
	fmt.Fprintf(p.errOut, "connected to %s (subprotocol %s, extensions %s)\n", c.URL().Redacted(), sub, ext)
}

func (p *interactivePrinter) frame(websocket.Frame) {}

func (p *interactivePrinter) message(dir string, typ websocket.MessageType, data []byte) {
	if dir == dirOut {
		return
	}
	if typ == websocket.MessageText {
		fmt.Fprintf(p.out, "< %s\n", data)
		return
	}
	more := ""
	if len(data) > hexShown {
		more = "…"
	}
	fmt.Fprintf(p.out, "< [binary %d bytes] %s%s\n", len(data), hex.EncodeToString(data[:min(len(data), hexShown)]), more)
}

func (p *interactivePrinter) ping(payload []byte) {
	fmt.Fprintf(p.out, "< ping%s\n", controlPayload(payload))
}

// pong shows no payload: it is that of a ping wsx sent, for keepalive a
// sequence number.
func (p *interactivePrinter) pong(rtt time.Duration, _ []byte) {
	if rtt > 0 {
		fmt.Fprintf(p.out, "< pong %v\n", roundRTT(rtt))
		return
	}
	fmt.Fprintln(p.out, "< pong")
}

func (p *interactivePrinter) closed(dir string, code websocket.CloseCode, reason string) {
	arrow := "<"
	if dir == dirOut {
		arrow = ">"
	}
	if reason != "" {
		reason = " " + reason
	}
	fmt.Fprintf(p.out, "%s close %d%s\n", arrow, int(code), reason)
}

func (p *interactivePrinter) fail(err error) {
	fmt.Fprintf(p.errOut, "wsx: %v\n", err)
}

// controlPayload formats a ping's payload, quoted, after a
// space; nothing when it is empty.
func controlPayload(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return fmt.Sprintf(" %q", b)
}

// roundRTT keeps a round-trip time's two or three significant digits.
func roundRTT(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// pipePrinter writes each incoming message to stdout as it is, followed
// by a newline, and nothing else; errors go to stderr.
type pipePrinter struct {
	out, errOut io.Writer
	buf         []byte
}

func (p *pipePrinter) open(*websocket.Conn)                       {}
func (p *pipePrinter) frame(websocket.Frame)                      {}
func (p *pipePrinter) ping([]byte)                                {}
func (p *pipePrinter) pong(time.Duration, []byte)                 {}
func (p *pipePrinter) closed(string, websocket.CloseCode, string) {}
func (p *pipePrinter) fail(err error)                             { fmt.Fprintf(p.errOut, "wsx: %v\n", err) }

// message is called for outgoing messages from another goroutine than
// for incoming ones, but only incoming ones touch buf.
func (p *pipePrinter) message(dir string, _ websocket.MessageType, data []byte) {
	if dir == dirOut {
		return
	}
	// One write per message, so that a reader of stdout never sees half
	// of one.
	p.buf = append(append(p.buf[:0], data...), '\n')
	p.out.Write(p.buf)
}
