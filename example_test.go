package websocket_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wsx-go/websocket"
)

// echo is a handler that sends every message back.
func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"echo"}})
	if err != nil {
		return // Accept has answered with an HTTP error
	}
	ctx := context.Background()
	for {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return // the client closed, or the connection dropped
		}
		if err := c.Write(ctx, typ, p); err != nil {
			return
		}
	}
}

// wsURL turns an httptest server's http:// URL into a ws:// one.
func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func ExampleDial() {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{
		Subprotocols: []string{"echo"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("subprotocol:", c.Subprotocol())

	if err := c.WriteText(ctx, "hello"); err != nil {
		log.Fatal(err)
	}
	typ, p, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(typ, string(p))

	if err := c.Close(websocket.CloseNormal, "done"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", c.State())
	// Output:
	// subprotocol: echo
	// text hello
	// state: closed
}

func ExampleAccept() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The handler may refuse before upgrading, or set headers that the
		// 101 answer keeps.
		if r.URL.Query().Get("name") == "" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Greeting", "welcome")
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		ctx := context.Background()
		c.WriteText(ctx, "hello, "+r.URL.Query().Get("name"))
		// Read until the client closes: reading runs the close handshake.
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := websocket.Dial(ctx, wsURL(srv), nil)
	var he *websocket.HandshakeError
	if errors.As(err, &he) {
		fmt.Printf("refused: %d %s", he.StatusCode, he.Body)
	}

	c, err := websocket.Dial(ctx, wsURL(srv)+"?name=ann", nil)
	if err != nil {
		log.Fatal(err)
	}
	_, p, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(p))
	c.Close(websocket.CloseNormal, "")
	// Output:
	// refused: 401 who are you?
	// hello, ann
}

func ExampleConn_Writer() {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(websocket.CloseNormal, "")

	// Stream a message in pieces: it goes out as a fragmented message,
	// and no other message can interleave until Close.
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		log.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(w, "part %d; ", i)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	// The echo comes back as one message.
	_, p, err := c.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(p))
	// Output:
	// part 1; part 2; part 3;
}

func ExampleConn_NextFrame() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A server that sends frames of at most 8 bytes.
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
			Options: websocket.Options{OutgoingFrameSize: 8},
		})
		if err != nil {
			return
		}
		ctx := context.Background()
		c.WriteText(ctx, "Grüße aus 🌍🌏")
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(websocket.CloseNormal, "")

	// Frames arrive one by one; text frames hold whole code points.
	for {
		f, err := c.NextFrame(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%v %q final=%v\n", f.Type, f.Data, f.Final)
		if f.Final {
			break
		}
	}
	// Output:
	// text "Grüße " final=false
	// text "aus 🌍" final=false
	// text "🌏" final=true
}

func ExampleCloseStatus() {
	serverErr := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				serverErr <- fmt.Errorf("chat session: %w", err)
				return
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("client Close:", c.Close(4001, "session over"))

	// CloseStatus finds the code in a wrapped error.
	err = <-serverErr
	fmt.Println("server saw:", websocket.CloseStatus(err))
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		fmt.Printf("reason: %q\n", ce.Reason)
	}
	fmt.Println("no close code:", int(websocket.CloseStatus(errors.New("other"))))
	// Output:
	// client Close: <nil>
	// server saw: private code 4001
	// reason: "session over"
	// no close code: -1
}

func ExampleConn_Ping() {
	srv := httptest.NewServer(http.HandlerFunc(echo)) // reading, so it answers pings
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, wsURL(srv), nil)
	if err != nil {
		log.Fatal(err)
	}

	// The pong is seen only while this side reads too.
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	}()

	rtt, err := c.Ping(ctx, []byte("are you there?"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pong received:", rtt > 0)

	fmt.Println("Close:", c.Close(websocket.CloseNormal, ""))
	<-readDone
	// Output:
	// pong received: true
	// Close: <nil>
}
