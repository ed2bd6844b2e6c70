package websocket

import (
	"net"
	"sync"

	"github.com/wsx-go/websocket/internal/frame"
)

// A server sends the frames of a long message in groups: every frame of a
// group goes out in one vectored write, under one hold of c.frameMu, so
// the peer sees no pause at the frame boundaries inside a group. Control
// frames (pongs, a close reply) can still go out between groups.
const (
	// groupPayloadSize bounds the payload of a group, summed over its
	// frames: a control frame waits for at most this much data.
	groupPayloadSize = 1 << 20
	// maxGroupFrames bounds the frames of a group, and so the headers
	// and the vector of one write.
	maxGroupFrames = 64
)

// groupsFrames reports whether a message of n bytes is sent in groups of
// frames: on a server connection (a client masks each frame through a
// buffer) when the message needs more than one frame and its frames are
// too long for the write buffer anyway.
func (c *Conn) groupsFrames(n int) bool {
	limit := c.opts.OutgoingFrameSize
	return !c.client && int64(n) > limit && limit >= int64(c.opts.WriteBufferSize)
}

// A groupWrite holds the frame headers and the vector of one group write,
// from groupWrites for the time of the write.
type groupWrite struct {
	vec  net.Buffers
	arr  [2*maxGroupFrames + 1][]byte
	hdrs [maxGroupFrames][frame.MaxHeaderSize]byte
}

var groupWrites = sync.Pool{New: func() any { return new(groupWrite) }}

// writeFrameGroup sends the first frames of p, the rest of a message's
// payload, as one group, and returns the bytes of p it sent. op and rsv
// are the first frame's; with text set, frames are cut only between code
// points. When the group opens the message and its first frame is longer
// than the write buffer, the header and the start of the payload go out
// first in a write of their own, as writeFrameLocked sends a long first
// frame.
func (c *Conn) writeFrameGroup(op frame.Opcode, rsv byte, p []byte, text bool) (int, error) {
	c.frameMu.Lock()
	defer c.frameMu.Unlock()
	if err := c.writableLocked(); err != nil {
		return 0, err
	}
	g := groupWrites.Get().(*groupWrite)
	defer groupWrites.Put(g)
	vec := g.arr[:0]
	first := op != frame.OpContinuation
	sent, frames := 0, 0
	for frames < maxGroupFrames && sent < len(p) {
		rest := p[sent:]
		n := c.frameCut(rest, text)
		if frames > 0 && sent+n > groupPayloadSize {
			break
		}
		h := frame.Header{Fin: n == len(rest), RSV: rsv, Opcode: op, Length: int64(n)}
		k := frame.Put(g.hdrs[frames][:], h)
		vec = append(vec, g.hdrs[frames][:k], rest[:n])
		sent += n
		frames++
		op, rsv = frame.OpContinuation, 0
	}
	var err error
	if first {
		err = c.writeLead(vec)
		vec = vec[1:] // the header went out; the payload's rest follows
		if len(vec[0]) == 0 {
			vec = vec[1:]
		}
	}
	if err == nil && len(vec) > 0 {
		g.vec = vec
		_, err = g.vec.WriteTo(c.nc)
	}
	clear(g.arr[:])
	g.vec = nil
	if err != nil {
		c.writeErr = err
		c.closeTCP()
		return 0, err
	}
	return sent, nil
}

// writeLead writes the header vec[0] of a message's first frame with the
// start of its payload vec[1], leadWriteSize bytes in all, through the
// write buffer, and leaves in vec[1] what remains of the payload.
func (c *Conn) writeLead(vec [][]byte) error {
	wpooled := c.wpool.get()
	defer c.wpool.put(wpooled)
	wbuf := *wpooled
	n := copy(wbuf, vec[0])
	k := min(len(vec[1]), min(leadWriteSize, len(wbuf))-n)
	copy(wbuf[n:], vec[1][:k])
	vec[1] = vec[1][k:]
	_, err := c.nc.Write(wbuf[:n+k])
	return err
}
