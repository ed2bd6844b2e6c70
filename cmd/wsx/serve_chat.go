package main

import (
	"context"
	"sync"

	"github.com/wsx-go/websocket"
)

// chatHub is a chat room: each message a member sends goes to every
// member, the sender included. It is safe for concurrent use.
//
// Messages are queued with SendPrepared, which never blocks: a member
// that does not read its messages fills its queue and is closed by the
// library as a slow consumer, without holding the others up.
type chatHub struct {
	mu      sync.Mutex
	members map[*websocket.Conn]*connStats
}

func newChatHub() *chatHub {
	return &chatHub{members: make(map[*websocket.Conn]*connStats)}
}

// join adds c to the room; st counts the messages it is sent.
func (h *chatHub) join(c *websocket.Conn, st *connStats) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.members[c] = st
}

// leave removes c from the room, if it is still there.
func (h *chatHub) leave(c *websocket.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.members, c)
}

// broadcast queues m for every member. The lock makes every member get
// the messages in one order, the order of the broadcast calls. A member
// whose queue refuses m, being closed, is removed.
func (h *chatHub) broadcast(m *websocket.PreparedMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c, st := range h.members {
		if err := c.SendPrepared(m); err != nil {
			delete(h.members, c)
			continue
		}
		st.out.Add(1)
	}
}

// serve makes c a member of the room until it ends, broadcasting each
// message it sends, and returns how it ended.
func (h *chatHub) serve(c *websocket.Conn, st *connStats) connEnd {
	h.join(c, st)
	defer h.leave(c)
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.ReadInto(ctx, buf)
		if err != nil {
			return readEnd(err)
		}
		st.in.Add(1)
		// The message is copied once, framed once, and shared by the
		// queues of every member.
		m, err := websocket.NewPreparedMessage(typ, msg)
		if err != nil {
			// Cannot happen: reads return valid text only.
			c.Close(websocket.CloseInternalError, "")
			return connEnd{code: websocket.CloseInternalError, err: err}
		}
		h.broadcast(m)
		buf = msg
	}
}
