package main

import (
	"bufio"
	"net"
	"net/http"

	"github.com/lxzan/gws"
)

// gwsImpl is lxzan/gws's server, echoing from OnMessage and returning each
// message's pooled buffer with Close, as its README does. The accept loop
// is gws's Server.RunListener, which spins logging errors once its
// listener is closed; ours stops instead.
var gwsImpl = Impl{Name: "gws", Serve: func(ln net.Listener) func() {
	return gwsServe(ln, &gws.ServerOption{ReadMaxPayloadSize: maxMessage})
}}

// gwsDeflate is the same server with PermessageDeflate enabled and
// ServerContextTakeover and ClientContextTakeover set as the mode asks;
// the rest is gws's default: level 1, and for context takeover a window
// of 12 bits in both directions, which it announces with
// server_max_window_bits=12; client_max_window_bits=12.
var gwsDeflate = deflateServer{Serve: func(ln net.Listener, takeover bool) func() {
	return gwsServe(ln, &gws.ServerOption{
		ReadMaxPayloadSize: maxMessage,
		PermessageDeflate: gws.PermessageDeflate{
			Enabled:               true,
			ServerContextTakeover: takeover,
			ClientContextTakeover: takeover,
		},
	})
}}

// gwsServe serves gwsHandler with opt on ln.
func gwsServe(ln net.Listener, opt *gws.ServerOption) func() {
	srv := gws.NewServer(gwsHandler{}, opt)
	return acceptLoop(ln, func(c net.Conn) {
		br := bufio.NewReaderSize(c, 4096) // gws's default ReadBufferSize
		r, err := http.ReadRequest(br)
		if err != nil {
			c.Close()
			return
		}
		srv.OnRequest(c, br, r)
	})
}

// gwsHandler echoes every message and answers pings.
type gwsHandler struct{ gws.BuiltinEventHandler }

func (gwsHandler) OnPing(s *gws.Conn, p []byte) { s.WritePong(p) }

func (gwsHandler) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	s.WriteMessage(m.Opcode, m.Bytes())
}
