package main

import (
	"log/slog"
	"time"

	"github.com/wsx-go/websocket"
)

// chatPath is the path of the chat room; every other path echoes, or runs
// the -exec program.
const chatPath = "/chat"

// serveRoutes hands each WebSocket connection of wsx serve to the chat
// room, the -exec bridge or the echo, and logs it when it ends.
type serveRoutes struct {
	log        *slog.Logger
	hub        *chatHub
	done       <-chan struct{} // closed when the server shuts down
	execCmd    string          // the -exec command, or ""
	execGrace  time.Duration
	maxMessage int64
}

// handle is the Server's Handle function.
func (r *serveRoutes) handle(c *websocket.Conn) {
	st := newConnStats()
	var end connEnd
	switch {
	case c.URL().Path == chatPath:
		end = r.hub.serve(c, st)
	case r.execCmd != "":
		x := &execBridge{
			conn:       c,
			stats:      st,
			log:        r.log,
			command:    r.execCmd,
			grace:      r.execGrace,
			maxLine:    r.maxMessage,
			serverDone: r.done,
		}
		end = x.run()
	default:
		end = echo(c, st)
	}
	logConn(r.log, c, st, end)
}
