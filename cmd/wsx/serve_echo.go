package main

import (
	"context"

	"github.com/wsx-go/websocket"
)

// echo sends every message back with its type until the connection ends,
// reusing one buffer. A client that does not read slows its own echo
// down, nobody else's.
func echo(c *websocket.Conn, st *connStats) connEnd {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadInto(ctx, buf)
		if err != nil {
			return readEnd(err)
		}
		st.in.Add(1)
		if err := c.Write(ctx, typ, msg); err != nil {
			return drainEnd(c, err)
		}
		st.out.Add(1)
		buf = msg
	}
}

// echoHandle returns a Server.Handle that echoes, for echo servers other
// than wsx serve's (the conformance tests run one); logf is told how each
// connection ended.
func echoHandle(logf func(string, ...any)) func(*websocket.Conn) {
	return func(c *websocket.Conn) {
		end := echo(c, newConnStats())
		logf("%s %s: %v %s %v", c.RemoteAddr(), c.URL().Path, end.code, end.reason, end.err)
	}
}
