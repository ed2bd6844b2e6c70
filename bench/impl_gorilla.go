package main

import (
	"io"
	"net"
	"net/http"

	gorilla "github.com/gorilla/websocket"
	"github.com/wsx-go/websocket/peers"
)

// gorillaImpl serves the shared echo handler of the peers module: gorilla streams each message back through NextReader and NextWriter.
var gorillaImpl = Impl{Name: "gorilla", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["gorilla"])
}}

// gorillaDeflate is the same echo with the peers module's upgrader and
// EnableCompression set; gorilla compresses at its default level 1.
var gorillaDeflate = deflateServer{
	Serve: func(ln net.Listener, _ bool) func() {
		up := peers.GorillaUpgrader
		up.EnableCompression = true
		return serveHTTP(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			gorillaEchoLoop(c)
		}))
	},
	NoTakeover: "gorilla answers every offer with server_no_context_takeover; client_no_context_takeover",
}

// gorillaEchoLoop streams each message back, as the peers module's
// gorilla echo server does.
func gorillaEchoLoop(c *gorilla.Conn) {
	c.SetReadLimit(maxMessage)
	for {
		typ, r, err := c.NextReader()
		if err != nil {
			return
		}
		w, err := c.NextWriter(typ)
		if err != nil {
			return
		}
		if _, err := io.Copy(w, r); err != nil {
			return
		}
		if w.Close() != nil {
			return
		}
	}
}
