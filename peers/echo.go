package peers

import (
	"context"
	"io"
	"net/http"
	"sort"

	coder "github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"
	wsx "github.com/wsx-go/websocket"
)

// maxMessage is the message size limit every echo server and agent sets:
// above the 16 MiB messages of the conformance suite.
const maxMessage = 64 << 20

// EchoServers are echo handlers, by implementation name. Each sends every
// message back with its type until the client closes, in the way its
// library's documentation shows to be cheapest (buffers reused, messages
// streamed where the API allows). The conformance comparison and the
// benchmark harness both serve these.
var EchoServers = map[string]http.Handler{
	"wsx":     wsxEcho,
	"gorilla": http.HandlerFunc(gorillaEcho),
	"coder":   http.HandlerFunc(coderEcho),
}

// Names returns the implementation names in a stable order, wsx first.
func Names() []string {
	var names []string
	for n := range EchoServers {
		if n != "wsx" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return append([]string{"wsx"}, names...)
}

// wsxEcho is a wsx Server mounted as a handler: each connection is echoed
// in a goroutine of its own while the HTTP handler returns, so none of
// net/http's per-request state stays alive with the connection.
var wsxEcho = &wsx.Server{
	AcceptOptions: wsx.AcceptOptions{Options: wsx.Options{MaxMessageSize: maxMessage}},
	Handle: func(c *wsx.Conn) {
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
	},
	OnError: func(error) {},
}

// GorillaUpgrader is the upgrader of the gorilla echo server: 4 KiB buffers,
// every origin allowed.
var GorillaUpgrader = gorilla.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func gorillaEcho(w http.ResponseWriter, r *http.Request) {
	c, err := GorillaUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	gorillaEchoLoop(c)
}

// gorillaEchoLoop streams each message back, as gorilla's own Autobahn
// server does.
func gorillaEchoLoop(c *gorilla.Conn) {
	c.SetReadLimit(maxMessage)
	for {
		typ, r, err := c.NextReader()
		if err != nil {
			return
		}
		w, err := c.NextWriter(typ)
		if err != nil {
			return
		}
		if _, err := io.Copy(w, r); err != nil {
			return
		}
		if w.Close() != nil {
			return
		}
	}
}

func coderEcho(w http.ResponseWriter, r *http.Request) {
	c, err := coder.Accept(w, r, &coder.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	coderEchoLoop(context.Background(), c)
}

// coderEchoLoop streams each message back through Reader and Writer with a
// reused copy buffer, as coder/websocket's own test echo server does: Read
// would allocate every message.
func coderEchoLoop(ctx context.Context, c *coder.Conn) {
	c.SetReadLimit(maxMessage)
	buf := make([]byte, 32<<10)
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return
		}
		if _, err := io.CopyBuffer(w, r, buf); err != nil {
			return
		}
		if w.Close() != nil {
			return
		}
	}
}
