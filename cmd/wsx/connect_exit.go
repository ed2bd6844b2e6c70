package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/wsx-go/websocket"
)

// endOf gives the close code and reason that ended c, whose Run returned
// runErr: the ones wsx sent when the peer broke the protocol, else the
// peer's (CloseAbnormal when it sent none).
func endOf(c *websocket.Conn, runErr error) (websocket.CloseCode, string) {
	var pe *websocket.ProtocolError
	if errors.As(runErr, &pe) {
		return pe.Code, pe.Reason
	}
	return c.CloseStatus()
}

// exitStatus maps the close code that ended the connection to wsx
// connect's exit status, as its help text lists them.
func exitStatus(code websocket.CloseCode) int {
	switch {
	case code == websocket.CloseNormal:
		return 0
	case code > websocket.CloseNormal && code <= websocket.CloseTLSHandshake:
		return 100 + int(code-websocket.CloseNormal)
	case code >= 3000 && code <= 4999:
		return 3
	default:
		return 1
	}
}

// reportEnd says on stderr how a connection that did not close with 1000
// ended, and returns the exit status.
func reportEnd(errOut io.Writer, code websocket.CloseCode, reason string) int {
	status := exitStatus(code)
	if status != 0 {
		if reason != "" {
			reason = ": " + reason
		}
		fmt.Fprintf(errOut, "wsx: connection closed with %v%s\n", code, reason)
	}
	return status
}
