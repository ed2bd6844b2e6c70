package websocket_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/wsx-go/websocket"
)

// echoHandler sends every text message back, through the send queue.
type echoHandler struct{ websocket.NopHandler }

func (echoHandler) OnText(c *websocket.Conn, text []byte) {
	c.Send(websocket.MessageText, text) // copies text: it is only valid during the call
}

// greeter says hello when the connection opens, prints the answer and
// closes.
type greeter struct{ websocket.NopHandler }

func (greeter) OnOpen(c *websocket.Conn) { c.SendText("hello") }

func (greeter) OnText(c *websocket.Conn, text []byte) {
	fmt.Printf("received %q\n", text)
	c.Close(websocket.CloseNormal, "thanks") // starts the close; Run finishes it
}

func (greeter) OnClose(c *websocket.Conn, code websocket.CloseCode, reason string) {
	fmt.Println("closed:", code)
}

// Run drives a connection with a Handler, Qt style, on both sides: the
// server echoes, the client greets, prints the echo and closes.
func ExampleRun() {
	srv := &websocket.Server{
		Handle: func(c *websocket.Conn) { websocket.Run(context.Background(), c, echoHandler{}) },
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, srv.URL().String(), nil)
	if err != nil {
		log.Fatal(err)
	}
	err = websocket.Run(ctx, c, greeter{})
	fmt.Println("Run returned the server's answer:", websocket.CloseStatus(err))
	// Output:
	// received "hello"
	// closed: normal closure (1000)
	// Run returned the server's answer: normal closure (1000)
}

// Keepalive pings the peer on a timer and drops it if a pong is late; RTT
// tells the last round trip.
func ExampleOptions_keepalive() {
	srv := &websocket.Server{
		Handle: func(c *websocket.Conn) { websocket.Run(context.Background(), c, websocket.NopHandler{}) },
	}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := websocket.Dial(ctx, srv.URL().String(), &websocket.DialOptions{
		Options: websocket.Options{PingInterval: 20 * time.Millisecond, PingTimeout: 5 * time.Second},
	})
	if err != nil {
		log.Fatal(err)
	}
	go websocket.Run(ctx, c, websocket.NopHandler{}) // something must read for pongs to be seen
	for i := 0; c.RTT() == 0 && i < 1000; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("measured a round trip:", c.RTT() > 0)
	c.Close(websocket.CloseNormal, "")
	// Output: measured a round trip: true
}
