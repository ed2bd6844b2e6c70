package websocket_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wsx-go/websocket"
)

// countingConn counts the bytes read from the network, to show what
// compression saves.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// A server and a client that both set Options.Compression agree on
// permessage-deflate; a compressible message then crosses the network in a
// fraction of its size.
func ExampleCompressionOptions() {
	compress := &websocket.CompressionOptions{} // level 1, messages of 128 bytes or more
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Options: websocket.Options{Compression: compress},
		})
		if err != nil {
			return
		}
		defer c.Close(websocket.CloseNormal, "")
		ctx := context.Background()
		if _, _, err := c.Read(ctx); err != nil { // the client's "go"
			return
		}
		c.WriteText(ctx, strings.Repeat(`{"user":"alice","status":"online"},`, 1000))
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var read atomic.Int64
	c, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		Options: websocket.Options{Compression: compress},
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := new(net.Dialer).DialContext(ctx, network, addr)
			return countingConn{nc, &read}, err
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(websocket.CloseNormal, "")
	fmt.Println("extensions:", c.Extensions())

	before := read.Load()
	if err := c.WriteText(ctx, "go"); err != nil {
		log.Fatal(err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("message bytes:", len(msg))
	fmt.Println("under 1% on the wire:", read.Load()-before < int64(len(msg))/100)
	// Output:
	// extensions: permessage-deflate
	// message bytes: 35000
	// under 1% on the wire: true
}
