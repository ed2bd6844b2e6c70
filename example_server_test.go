package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wsx-go/websocket"
)

// A Server with Handle runs each connection in a goroutine of its own;
// Shutdown says 1001 Going Away to the connections still open.
func ExampleServer() {
	srv := &websocket.Server{
		Name: "example",
		Handle: func(c *websocket.Conn) {
			ctx := context.Background()
			for {
				typ, p, err := c.Read(ctx)
				if err != nil {
					return // the client left, or the server is shutting down
				}
				if err := c.Write(ctx, typ, p); err != nil {
					return
				}
			}
		},
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil { // port 0: any free port
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, srv.URL().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("server:", c.Response().Header.Get("Server"))
	c.WriteText(ctx, "hello")
	_, p, _ := c.Read(ctx)
	fmt.Println("echo:", string(p))

	// The client reads on, as an application would, and sees the server go.
	closed := make(chan error)
	go func() {
		_, _, err := c.Read(ctx)
		closed <- err
	}()
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("client saw:", websocket.CloseStatus(<-closed))
	// Output:
	// server: example
	// echo: hello
	// client saw: going away (1001)
}

// Without Handle, handshaken connections wait in a queue, as Qt's
// nextPendingConnection hands them out, until Accept takes them.
func ExampleServer_Accept() {
	srv := &websocket.Server{MaxPending: 10}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := websocket.Dial(ctx, srv.URL().String()+"chat", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Abort()
	client.WriteText(ctx, "anyone there?")

	c, err := srv.Accept(ctx)
	if err != nil {
		log.Fatal(err)
	}
	_, p, _ := c.Read(ctx)
	fmt.Printf("%s asked: %s\n", c.URL().Path, p)
	// Output: /chat asked: anyone there?
}

// Accept runs inside any net/http handler, as Tufao's
// startServerHandshake does, so the handler may refuse the request first:
// here, without the right bearer token, with 401.
func ExampleAccept_bearerToken() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="example"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close(websocket.CloseNormal, "")
		c.WriteText(r.Context(), "welcome")
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := websocket.Dial(ctx, wsURL(srv), nil)
	var he *websocket.HandshakeError
	if errors.As(err, &he) {
		fmt.Println("without a token:", he.StatusCode, he.Header.Get("WWW-Authenticate"))
	}

	c, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{
		Header: http.Header{"Authorization": {"Bearer s3cret"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Abort()
	_, p, _ := c.Read(ctx)
	fmt.Println("with it:", string(p))
	// Output:
	// without a token: 401 Bearer realm="example"
	// with it: welcome
}
