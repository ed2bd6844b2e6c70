package main

import (
	"time"

	"github.com/wsx-go/websocket"
)

// connectHandler receives the events of wsx connect's connection: it
// prints them and starts sending stdin once the connection is open.
type connectHandler struct {
	websocket.NopHandler
	print  eventPrinter
	onOpen func(*websocket.Conn) // starts sending stdin
}

func (h *connectHandler) OnOpen(c *websocket.Conn) {
	h.print.open(c)
	h.onOpen(c)
}

func (h *connectHandler) OnFrame(_ *websocket.Conn, f websocket.Frame) {
	h.print.frame(f)
}

func (h *connectHandler) OnText(_ *websocket.Conn, text []byte) {
	h.print.message(dirIn, websocket.MessageText, text)
}

func (h *connectHandler) OnBinary(_ *websocket.Conn, data []byte) {
	h.print.message(dirIn, websocket.MessageBinary, data)
}

func (h *connectHandler) OnPing(_ *websocket.Conn, payload []byte) {
	h.print.ping(payload)
}

func (h *connectHandler) OnPong(_ *websocket.Conn, rtt time.Duration, payload []byte) {
	h.print.pong(rtt, payload)
}

func (h *connectHandler) OnError(_ *websocket.Conn, err error) {
	h.print.fail(err)
}

func (h *connectHandler) OnClose(_ *websocket.Conn, code websocket.CloseCode, reason string) {
	h.print.closed(dirIn, code, reason)
}
