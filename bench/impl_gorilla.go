package main

import (
	"io"
	"net"
	"net/http"

	gorilla "github.com/gorilla/websocket"
)

// gorillaImpl streams each message back through NextReader and NextWriter,
// as gorilla's own Autobahn echo server does: io.Copy uses the writer's
// ReadFrom, so no message-sized buffer is allocated.
var gorillaImpl = Impl{Name: "gorilla", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, http.HandlerFunc(gorillaEcho))
}}

var gorillaUpgrader = gorilla.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func gorillaEcho(w http.ResponseWriter, r *http.Request) {
	c, err := gorillaUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(maxMessage)
	for {
		typ, rd, err := c.NextReader()
		if err != nil {
			return
		}
		wr, err := c.NextWriter(typ)
		if err != nil {
			return
		}
		if _, err := io.Copy(wr, rd); err != nil {
			return
		}
		if wr.Close() != nil {
			return
		}
	}
}
