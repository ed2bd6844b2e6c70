package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsx-go/websocket"
)

// dialChat connects n clients to /chat with opts and returns once each is a member
// of the room: each has received the broadcast of its own "join" message,
// which its server-side reader sends only after joining.
func dialChat(ctx context.Context, t *testing.T, url string, n int, opts *websocket.DialOptions) []*websocket.Conn {
	t.Helper()
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		c, err := websocket.Dial(ctx, serveBase(url)+"/chat", opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Abort)
		clients[i] = c
	}
	for i, c := range clients {
		join := fmt.Sprintf("join %d", i)
		if err := c.WriteText(ctx, join); err != nil {
			t.Fatal(err)
		}
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("client %d waiting for its join: %v", i, err)
			}
			if string(msg) == join {
				break
			}
		}
	}
	return clients
}

// TestServeChatBroadcast checks that every message sent to /chat reaches
// every member, the sender included, with its type, and that all members
// see the messages in one order, which keeps each sender's order.
func TestServeChatBroadcast(t *testing.T) {
	tests := []struct {
		name string
		opts *websocket.DialOptions
		pad  string // makes the messages long enough to be compressed
	}{
		{"plain", nil, ""},
		{"compressed", &websocket.DialOptions{Options: websocket.Options{Compression: &websocket.CompressionOptions{}}}, strings.Repeat(" chat", 60)},
		{"compressed without context takeover", &websocket.DialOptions{Options: websocket.Options{Compression: &websocket.CompressionOptions{
			ServerNoContextTakeover: true, ClientNoContextTakeover: true,
		}}}, strings.Repeat(" room", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			const members, perSender = 3, 20
			clients := dialChat(ctx, t, url, members, tt.opts)
			if tt.opts != nil && !clients[0].Compressed() {
				t.Fatal("compression not negotiated")
			}

			got := make([][]string, members)
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Go(func() {
					for j := range perSender {
						typ, text := websocket.MessageText, fmt.Sprintf("m %d %d%s", i, j, tt.pad)
						if j%5 == 4 {
							typ = websocket.MessageBinary
						}
						if err := c.Write(ctx, typ, []byte(text)); err != nil {
							t.Errorf("client %d: %v", i, err)
							return
						}
					}
				})
				wg.Go(func() {
					for len(got[i]) < members*perSender {
						typ, msg, err := c.Read(ctx)
						if err != nil {
							t.Errorf("client %d after %d messages: %v", i, len(got[i]), err)
							return
						}
						if strings.HasPrefix(string(msg), "join ") {
							continue // another member's join, seen late
						}
						got[i] = append(got[i], typ.String()+" "+string(msg))
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			for i := 1; i < members; i++ {
				if !slices.Equal(got[i], got[0]) {
					t.Errorf("client %d saw another order than client 0:\n%v\n%v", i, got[i], got[0])
				}
			}
			for sender := range members {
				var mine []string
				for _, m := range got[0] {
					if strings.HasPrefix(m, fmt.Sprintf("text m %d ", sender)) || strings.HasPrefix(m, fmt.Sprintf("binary m %d ", sender)) {
						mine = append(mine, m)
					}
				}
				if len(mine) != perSender {
					t.Fatalf("sender %d: %d messages arrived, want %d", sender, len(mine), perSender)
				}
				for j, m := range mine {
					typ := "text"
					if j%5 == 4 {
						typ = "binary"
					}
					if want := fmt.Sprintf("%s m %d %d%s", typ, sender, j, tt.pad); m != want {
						t.Errorf("sender %d message %d = %q, want %q", sender, j, m, want)
					}
				}
			}
		})
	}
}

// TestServeChatLeave checks that a member that left no longer counts:
// the others keep getting each other's messages.
func TestServeChatLeave(t *testing.T) {
	url, _, _ := startServe(t, "-addr", "127.0.0.1:0", "-q")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clients := dialChat(ctx, t, url, 3, nil)
	if err := clients[2].Close(websocket.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	if err := clients[0].WriteText(ctx, "after"); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients[:2] {
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			if string(msg) == "after" {
				break
			}
		}
	}
}

// TestServeChatSlowMember checks that a member that does not read is
// dropped once its send queue overflows, while the others keep getting
// every message.
func TestServeChatSlowMember(t *testing.T) {
	var logs outputBuffer
	url, stop, result := startServeLog(t, &logs, "-addr", "127.0.0.1:0", "-q", "-compress=false")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Small receive buffers, which the kernel does not grow, keep what
	// the slow member's socket absorbs well below what is sent.
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = setReceiveBuffer(fd, 64<<10)
		})
		return errors.Join(err, serr)
	}}
	clients := dialChat(ctx, t, url, 2, &websocket.DialOptions{NetDial: small.DialContext})
	fast, slow := clients[0], clients[1]
	slowAddr := slow.LocalAddr().String()

	// 24 MiB: more than the default 4 MiB send queue plus what the
	// socket buffers of the slow member hold.
	const count, size = 96, 256 << 10
	payload := []byte(strings.Repeat("x", size))
	// The fast member sends the next message once it got the last one
	// back, so its own queue never holds more than one.
	for i := range count {
		if err := fast.Write(ctx, websocket.MessageBinary, payload); err != nil {
			t.Fatalf("fast member, message %d: %v", i, err)
		}
		for {
			_, msg, err := fast.Read(ctx)
			if err != nil || len(msg) != size && !strings.HasPrefix(string(msg), "join ") {
				t.Fatalf("fast member, message %d: %d bytes, %v", i, len(msg), err)
			}
			if len(msg) == size {
				break
			}
		}
	}

	// The slow member finds what reached its socket, then the end of
	// a connection dropped without a close frame.
	for i := 0; ; i++ {
		_, _, err := slow.Read(ctx)
		if err == nil {
			if i > count {
				t.Fatal("slow member got every message: it was not dropped")
			}
			continue
		}
		if code := websocket.CloseStatus(err); code != websocket.CloseAbnormal {
			t.Fatalf("slow member: %v (code %v), want an abnormal closure", err, code)
		}
		break
	}
	if err := fast.Close(websocket.CloseNormal, ""); err != nil {
		t.Error(err)
	}
	stop()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if lines := logs.lines("level=WARN", "remote="+slowAddr, "path=/chat", "code=1006", "slow consumer"); len(lines) != 1 {
		t.Errorf("no slow consumer line for the slow member; log:\n%s", strings.Join(logs.lines(""), "\n"))
	}
}
