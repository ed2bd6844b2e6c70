package main

import (
	"context"
	"net"
	"net/http"

	wsx "github.com/wsx-go/websocket"
)

// wsxImpl echoes with wsx's buffer-reusing ReadInto and Write, as the
// README's server example does.
var wsxImpl = Impl{Name: "wsx", Serve: func(ln net.Listener) func() {
	return serveHTTP(ln, http.HandlerFunc(wsxEcho))
}}

func wsxEcho(w http.ResponseWriter, r *http.Request) {
	c, err := wsx.Accept(w, r, &wsx.AcceptOptions{Options: wsx.Options{MaxMessageSize: maxMessage}})
	if err != nil {
		return
	}
	defer c.Abort()
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
