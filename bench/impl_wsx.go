package main

import (
	"net"

	"github.com/wsx-go/websocket/peers"
)

// wsxImpl serves the shared echo server of the peers module: a wsx Server
// whose Handle echoes with the buffer-reusing ReadInto and Write.
var wsxImpl = Impl{Name: "wsx", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["wsx"])
}}
