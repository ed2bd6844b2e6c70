package main

import (
	"context"
	"io"
	"net"
	"net/http"

	coder "github.com/coder/websocket"
)

// coderImpl streams each message back through Reader and Writer with a
// reused copy buffer, as coder/websocket's own test echo server
// (internal/test/wstest) does; Read would allocate every message.
var coderImpl = Impl{Name: "coder", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, http.HandlerFunc(coderEcho))
}}

func coderEcho(w http.ResponseWriter, r *http.Request) {
	c, err := coder.Accept(w, r, &coder.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(maxMessage)
	ctx := context.Background()
	buf := make([]byte, 32<<10)
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return
		}
		wr, err := c.Writer(ctx, typ)
		if err != nil {
			return
		}
		if _, err := io.CopyBuffer(wr, rd, buf); err != nil {
			return
		}
		if wr.Close() != nil {
			return
		}
	}
}
