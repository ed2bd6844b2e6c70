package main

import (
	"context"
	"io"
	"net"
	"net/http"

	coder "github.com/coder/websocket"
	"github.com/wsx-go/websocket/peers"
)

// coderImpl serves the shared echo handler of the peers module: coder streams each message back through Reader and Writer with a reused buffer.
var coderImpl = Impl{Name: "coder", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["coder"])
}}

// coderDeflate is the same echo accepted with CompressionContextTakeover
// or CompressionNoContextTakeover; coder compresses at level 1
// (flate.BestSpeed) with its default thresholds.
var coderDeflate = deflateServer{Serve: func(ln net.Listener, takeover bool) func() {
	mode := coder.CompressionNoContextTakeover
	if takeover {
		mode = coder.CompressionContextTakeover
	}
	return serveHTTP(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, &coder.AcceptOptions{InsecureSkipVerify: true, CompressionMode: mode})
		if err != nil {
			return
		}
		defer c.CloseNow()
		coderEchoLoop(context.Background(), c)
	}))
}}

// coderEchoLoop streams each message back through Reader and Writer with
// a reused copy buffer, as the peers module's coder echo server does.
func coderEchoLoop(ctx context.Context, c *coder.Conn) {
	c.SetReadLimit(maxMessage)
	buf := make([]byte, 32<<10)
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			return
		}
		if w.Close() != nil {
			return
		}
	}
}
