package main

import (
	"context"
	"net"

	wsx "github.com/wsx-go/websocket"
	"github.com/wsx-go/websocket/peers"
)

// wsxImpl serves the shared echo server of the peers module: a wsx Server
// whose Handle echoes with the buffer-reusing ReadInto and Write.
var wsxImpl = Impl{Name: "wsx", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["wsx"])
}}

// wsxDeflate is the same echo on a Server with Options.Compression set: the
// default CompressionOptions (level 1) for context takeover, and
// ServerNoContextTakeover with ClientNoContextTakeover for none.
var wsxDeflate = deflateServer{Serve: func(ln net.Listener, takeover bool) func() {
	co := &wsx.CompressionOptions{ServerNoContextTakeover: !takeover, ClientNoContextTakeover: !takeover}
	return serveHTTP(ln, &wsx.Server{
		AcceptOptions: wsx.AcceptOptions{Options: wsx.Options{MaxMessageSize: maxMessage, Compression: co}},
		Handle:        wsxEchoLoop,
		OnError:       func(error) {},
	})
}}

// wsxEchoLoop sends every message back with its type through one reused
// buffer, as the peers module's wsx echo server does.
func wsxEchoLoop(c *wsx.Conn) {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadInto(ctx, buf)
		if err != nil {
			return
		}
		if c.Write(ctx, typ, msg) != nil {
			return
		}
		buf = msg
	}
}
