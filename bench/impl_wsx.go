package main

import (
	"net"

	"github.com/wsx-go/websocket/peers"
)

// wsxImpl serves the shared echo handler of the peers module: wsx echoes with its buffer-reusing ReadInto and Write.
var wsxImpl = Impl{Name: "wsx", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, peers.EchoServers["wsx"])
}}
