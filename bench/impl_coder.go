package main

import (
	"net"

	"github.com/wsx-go/websocket/peers"
)

// coderImpl serves the shared echo handler of the peers module: coder streams each message back through Reader and Writer with a reused buffer.
var coderImpl = Impl{Name: "coder", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["coder"])
}}
