package websocket

import (
	"errors"
	"testing"
	"time"

	"github.com/wsx-go/websocket/internal/frame"
)

// TestKeepaliveDropsSilentPeer: a TCP peer that answers two pings and then
// falls silent is dropped within PingInterval + PingTimeout of its last
// answer, on either side of the connection.
func TestKeepaliveDropsSilentPeer(t *testing.T) {
	const interval, timeout = 60 * time.Millisecond, 90 * time.Millisecond
	keep := Options{PingInterval: interval, PingTimeout: timeout}
	for _, side := range []string{"client", "server"} {
		t.Run(side, func(t *testing.T) {
			checkNoLeaks(t)
			var c *Conn
			var raw *rawClientConn
			if side == "client" {
				c, raw = newRawServer(t, &DialOptions{Options: keep})
			} else {
				raw, c = newRawClient(t, &AcceptOptions{Options: keep})
			}
			readErr := make(chan error, 1)
			go func() {
				_, _, err := c.Read(testContext(t))
				readErr <- err
			}()
			var lastAnswer time.Time
			for i := 0; i < 2; i++ {
				h, p := raw.readFrame(t)
				if h.Opcode != frame.OpPing {
					t.Fatalf("frame %v, want a ping", h.Opcode)
				}
				raw.writeFrame(t, true, 0, frame.OpPong, side == "server", p)
				lastAnswer = time.Now()
			}
			// Silent from here: read its pings, answer none.
			go func() {
				for {
					if _, err := raw.br.ReadByte(); err != nil {
						return
					}
				}
			}()
			var err error
			select {
			case err = <-readErr:
			case <-time.After(testTimeout):
				t.Fatal("silent peer not dropped")
			}
			took := time.Since(lastAnswer)
			if !errors.Is(err, ErrKeepAliveTimeout) {
				t.Errorf("Read returned %v, want ErrKeepAliveTimeout", err)
			}
			var ce *CloseError
			if !errors.As(err, &ce) || ce.Code != CloseAbnormal {
				t.Errorf("Read returned %v, want a CloseError with CloseAbnormal", err)
			}
			// interval + timeout is the promise; the slack is for a
			// loaded machine's timers and scheduling.
			if took < timeout || took > interval+timeout+time.Second {
				t.Errorf("dropped %v after the last pong; want between %v and %v (+ slack)", took, timeout, interval+timeout)
			}
			t.Logf("dropped %v after the last pong (interval %v, timeout %v): %v", took, interval, timeout, err)
			if rtt := c.RTT(); rtt <= 0 {
				t.Errorf("RTT %v after two answered pings", rtt)
			}
		})
	}
}

// TestKeepaliveKeepsLivePeer: two wsx ends with keepalive stay connected
// through many intervals while reading, and measure round trips.
func TestKeepaliveKeepsLivePeer(t *testing.T) {
	checkNoLeaks(t)
	keep := Options{PingInterval: 10 * time.Millisecond, PingTimeout: 2 * time.Second}
	client, server := newPair(t, &DialOptions{Options: keep}, &AcceptOptions{Options: keep})
	pongs := make(chan time.Duration, 100)
	rec := &pongCounter{pongs: pongs}
	done := runAsync(testContext(t), client, rec)
	serverDone := runAsync(testContext(t), server, NopHandler{})
	for i := 0; i < 10; i++ {
		select {
		case rtt := <-pongs:
			if rtt <= 0 {
				t.Errorf("pong %d with rtt %v", i, rtt)
			}
		case <-time.After(testTimeout):
			t.Fatalf("only %d keepalive pongs", i)
		}
	}
	if client.State() != StateOpen || server.State() != StateOpen {
		t.Errorf("states %v %v", client.State(), server.State())
	}
	if client.RTT() <= 0 {
		t.Errorf("RTT %v", client.RTT())
	}
	client.Close(CloseNormal, "")
	if err := awaitRun(t, done); CloseStatus(err) != CloseNormal {
		t.Errorf("client Run: %v", err)
	}
	awaitRun(t, serverDone)
}

// TestKeepaliveOffByDefault: without PingInterval no ping is ever sent.
func TestKeepaliveOffByDefault(t *testing.T) {
	checkNoLeaks(t)
	raw, server := newRawClient(t, nil)
	if server.ka != nil {
		t.Fatal("keepalive armed without PingInterval")
	}
	raw.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := raw.br.ReadByte(); err == nil {
		t.Error("the server sent something unasked")
	}
}

type pongCounter struct {
	NopHandler
	pongs chan time.Duration
}

func (p *pongCounter) OnPong(c *Conn, rtt time.Duration, payload []byte) {
	select {
	case p.pongs <- rtt:
	default:
	}
}
