package main

import (
	"net"
	"net/http"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// nbioImpl is lesismal/nbio's non-blocking (epoll) engine with its default
// settings, echoing from OnMessage; ReleaseWebsocketPayload returns each
// payload buffer to the pool after the callback.
var nbioImpl = Impl{Name: "nbio", Serve: func(ln net.Listener) func() {
	return nbioServe(ln, false)
}}

// nbioDeflate is the same server with the Upgrader's EnableCompression;
// nbio compresses at its default level 1.
var nbioDeflate = deflateServer{
	Serve:      func(ln net.Listener, _ bool) func() { return nbioServe(ln, true) },
	NoTakeover: "nbio answers every offer with server_no_context_takeover; client_no_context_takeover",
}

// nbioServe starts nbio's engine on ln, negotiating permessage-deflate if
// compress is set.
func nbioServe(ln net.Listener, compress bool) func() {
	logging.SetLevel(logging.LevelNone)
	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	up.MessageLengthLimit = maxMessage
	up.EnableCompression(compress)
	up.OnMessage(func(c *websocket.Conn, typ websocket.MessageType, p []byte) {
		c.WriteMessage(typ, p)
	})
	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{ln.Addr().String()},
		// Serve on the listener the harness opened.
		Listen: func(string, string) (net.Listener, error) { return ln, nil },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			up.Upgrade(w, r, nil)
		}),
		ReleaseWebsocketPayload: true,
	})
	if err := engine.Start(); err != nil {
		panic(err)
	}
	return engine.Stop
}
