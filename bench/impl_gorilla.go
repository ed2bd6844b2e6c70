package main

import (
	"net"

	"github.com/wsx-go/websocket/peers"
)

// gorillaImpl serves the shared echo handler of the peers module: gorilla streams each message back through NextReader and NextWriter.
var gorillaImpl = Impl{Name: "gorilla", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["gorilla"])
}}
